/* cmd_sync.c - civic sync: fetch from peers, verify, accept; push to relays. */
#include "cmd.h"
#include "attach_sync.h"
#include "error.h"
#include "feed.h"
#include "municipality.h"
#include "peer.h"
#include "state.h"
#include "sync.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COMMAND_NAME "sync"

static const char usage[] =
	N_("usage: civic sync [--json] [--no-push] [--no-attachments] [--max-bytes N] [--timeout S]\n"
	   "                  [--records-per-fetch N] [--passphrase-file FILE] [NAME|URL ...]\n"
	   "  with no NAME, every peer in 'civic peer list'\n"
	   "  --no-push     fetch only, even from relays\n"
	   "  --no-attachments  records only: attachment bytes are not fetched or pushed\n"
	   "  --max-bytes   cut off a peer that sends more than N bytes (default 2 GiB)\n"
	   "  --records-per-fetch  a feed far ahead on the peer comes in parts of at most N records,\n"
	   "                each kept before the next, and a push to a relay goes in parts of as\n"
	   "                many (default 6144; fewer: less memory, and more progress on a link\n"
	   "                that drops)\n"
	   "  --timeout     give up on a peer that sends nothing for S seconds (default 60)\n"
	   "  --passphrase-file  opens the key to sign what this node holds (also CIVIC_PASSPHRASE_FILE);\n"
	   "                without it, an encrypted key is never asked for and the statement waits\n");

#define DEFAULT_TIMEOUT 60

typedef struct {
	const char *peer;
	unsigned int timeout;
	int show;
	int attachments; /* also fetch and push attachment bytes */
	int last_phase;  /* of the last call that re-armed the timer, or -1 */
	size_t last_done; /* its objects_done */
	struct timespec last; /* when it did */
} progress_state;

/* libgit2 1.5 has no network timeouts: a link that goes silent without
 * closing would block a read forever. SIGALRM, installed without
 * SA_RESTART, interrupts that read; every sign of progress re-arms it, so
 * only a stall of --timeout seconds ends the sync with that peer. */
static volatile sig_atomic_t stalled, ever_stalled;

static void on_alarm(int sig)
{
	(void)sig;
	stalled = ever_stalled = 1;
}

static void watch_stalls(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the blocked read must fail */
	sigaction(SIGALRM, &sa, NULL);
}

/* Whether this call re-arms the timer and redraws the line: a new phase, the
 * end of one, or 100 ms on. The callback comes for every object received
 * and every delta resolved: an alarm() each time was a million system calls
 * in a first sync of 100k records. */
static int progress_due(progress_state *ps, const civic_sync_progress *p)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - ps->last.tv_sec) * 1000 + (now.tv_nsec - ps->last.tv_nsec) / 1000000;
	if ((int)p->phase == ps->last_phase && ms >= 0 && ms < 100 &&
	    (p->objects_done != p->objects_total || p->objects_done == ps->last_done))
		return 0;
	ps->last_phase = (int)p->phase;
	ps->last_done = p->objects_done;
	ps->last = now;
	return 1;
}

static int show_progress(const civic_sync_progress *p, void *payload)
{
	progress_state *ps = payload;

	/* Each connection (a retry after a break) gets a fresh timer. */
	if (p->phase == CIVIC_SYNC_PHASE_CONNECT) {
		stalled = 0;
		ps->last_phase = -1;
	}
	if (stalled)
		return -1;
	if (!progress_due(ps, p))
		return 0;
	alarm(ps->timeout);
	if (!ps->show)
		return 0;
	fputc('\r', stderr);
	switch (p->phase) {
	case CIVIC_SYNC_PHASE_CONNECT:
		fprintf(stderr, _("sync %s: connecting"), ps->peer);
		break;
	case CIVIC_SYNC_PHASE_RECEIVE:
		fprintf(stderr, _("sync %s: receiving objects %zu/%zu, %.1f MiB"), ps->peer, p->objects_done,
			p->objects_total, (double)p->bytes / (1024.0 * 1024.0));
		break;
	case CIVIC_SYNC_PHASE_VERIFY:
		fprintf(stderr, _("sync %s: verifying records %zu/%zu"), ps->peer, p->objects_done,
			p->objects_total);
		break;
	case CIVIC_SYNC_PHASE_PUSH:
		fprintf(stderr, _("sync %s: pushing objects %zu/%zu, %.1f MiB"), ps->peer, p->objects_done,
			p->objects_total, (double)p->bytes / (1024.0 * 1024.0));
		break;
	}
	fputs("\033[K", stderr); /* clear the rest of the line */
	fflush(stderr);
	return 0;
}

/* The node's key, to sign its statement of what it holds (state.h): opened
 * at most once a run, and only without asking: a sync runs from cron too. */
typedef struct {
	civic_node *node;
	const char *pass_file;
	civic_key *key;
	int tried;
} state_signer;

static const civic_key *state_key(void *payload)
{
	state_signer *s = payload;
	int encrypted;

	if (s->tried)
		return s->key;
	s->tried = 1;
	if (!s->pass_file || !*s->pass_file)
		s->pass_file = getenv("CIVIC_PASSPHRASE_FILE");
	if ((encrypted = civic_node_key_is_encrypted(s->node)) < 0 ||
	    (encrypted && (!s->pass_file || !*s->pass_file)))
		return NULL;
	if (cli_load_key(&s->key, s->node, s->pass_file) < 0) {
		char why[sizeof civic_error_last()->message];
		snprintf(why, sizeof why, "%s", civic_error_last()->message);
		civic_error_set(CIVIC_ERROR_KEY, "this node's statement of what it holds is not signed: %s", why);
		(void)cli_error_civic(CIVIC_ERROR);
		s->key = NULL;
	}
	return s->key;
}

/* Where the key's hex starts in a feed, fork or state ref; NULL for others. */
static const char *key_in_ref(const char *refname)
{
	static const char *const prefixes[] = { CIVIC_FEED_REF_PREFIX, "refs/civic/forks/", CIVIC_STATE_REF_PREFIX };
	size_t i;

	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (!strncmp(refname, prefixes[i], strlen(prefixes[i])))
			return refname + strlen(prefixes[i]);
	return NULL;
}

/* "НПО Рила (Рила)" for a feed ref, from the roster; the ref when unknown. */
static void print_ref(const char *refname, const civic_roster *roster)
{
	const char *hex = key_in_ref(refname);
	const civic_member *m = NULL;
	civic_pubkey key;

	if (roster && hex && civic_pubkey_from_hex(&key, hex, CIVIC_PUBKEY_HEX_LEN) == 0)
		m = civic_roster_find(roster, &key);
	if (!m) {
		cli_print_safe(refname, 0);
		return;
	}
	if (!strncmp(refname, CIVIC_STATE_REF_PREFIX, strlen(CIVIC_STATE_REF_PREFIX)))
		fputs(_("what this node holds, signed: "), stdout);
	cli_print_safe(m->name, 0);
	printf(" (%s)", civic_municipality_name(m->municipality));
}

static void print_report(const civic_peer *peer, const civic_sync_report *r, const civic_roster *roster)
{
	size_t i;

	for (i = 0; i < r->count; i++) {
		const civic_sync_item *it = &r->items[i];
		printf("  %-12s ", civic_sync_outcome_name(it->outcome));
		print_ref(it->refname, roster);
		if (it->outcome == CIVIC_SYNC_ACCEPTED && it->roster)
			printf(_(": %zu members"), it->records);
		else if (it->records && it->outcome == CIVIC_SYNC_ACCEPTED)
			printf(_(": %zu new records"), it->records);
		if (it->reason[0]) {
			fputs(": ", stdout);
			cli_print_safe(it->reason, 0);
		}
		putchar('\n');
	}
	printf(_("sync %s: %zu new records in %zu feeds%s; %zu refused, %zu forks, %zu refs pushed\n"),
	       peer->name, r->records_accepted, r->feeds_accepted,
	       r->roster_updated ? _(", roster updated") : "", r->rejected, r->forks, r->refs_pushed);
	if (r->fetches > 1)
		printf(_("  fetched in %zu parts\n"), r->fetches);
	if (r->pushes > 1)
		printf(_("  pushed in %zu parts\n"), r->pushes);
}

static json_t *report_json(const civic_peer *peer, const civic_sync_report *r, int error)
{
	json_t *items = json_array();
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	for (i = 0; items && i < r->count; i++) {
		const civic_sync_item *it = &r->items[i];
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:I, s:s}", "ref", it->refname,
			"outcome", civic_sync_outcome_name(it->outcome),
			"theirs", git_oid_is_zero(&it->theirs) ? "" : git_oid_tostr(hex, sizeof hex, &it->theirs),
			"records", (json_int_t)it->records, "reason", it->reason));
	}
	return json_pack("{s:s, s:s, s:b, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		"peer", peer->name, "url", peer->url, "ok", error == 0,
		"error", error < 0 ? civic_error_last()->message : "", "roster_updated", r->roster_updated,
		"records_accepted", (json_int_t)r->records_accepted, "rejected", (json_int_t)r->rejected,
		"forks", (json_int_t)r->forks, "states_accepted", (json_int_t)r->states_accepted,
		"refs_pushed", (json_int_t)r->refs_pushed,
		"push_failed", (json_int_t)r->push_failed, "bytes_received", (json_int_t)r->bytes_received,
		"objects_received", (json_int_t)r->objects_received, "fetches", (json_int_t)r->fetches,
		"pushes", (json_int_t)r->pushes, "items", items);
}

static json_t *attach_json(const civic_attach_sync_report *a)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "records_missing",
			 (json_int_t)a->records_missing, "stored", (json_int_t)a->stored, "refused", (json_int_t)a->refused,
			 "not_on_peer", (json_int_t)a->not_on_peer, "pushed", (json_int_t)a->batches_pushed,
			 "push_failed", (json_int_t)a->push_failed, "parts_kept", (json_int_t)a->parts_kept,
			 "purged", (json_int_t)a->purged, "deleted", (json_int_t)a->batches_deleted, "reason", a->why);
}

static void print_attach(const civic_peer *peer, const civic_attach_sync_report *a)
{
	if (a->purged)
		printf(_("attachments: %zu files removed, purged by a signed retraction\n"), a->purged);
	if (a->batches_deleted)
		printf(_("attachments %s: %zu purged records' attachments deleted from the relay\n"), peer->name,
		       a->batches_deleted);
	if (!a->records_missing && !a->batches_pushed && !a->push_failed)
		return;
	printf(_("attachments %s: %zu stored, %zu refused, %zu records' attachments not on the peer; "
		 "%zu records' attachments pushed\n"),
	       peer->name, a->stored, a->refused, a->not_on_peer, a->batches_pushed);
	if (a->parts_kept)
		printf(_("  the link dropped: %zu chunks that had arrived whole were kept, not fetched again\n"),
		       a->parts_kept);
	if (a->push_failed)
		printf(_("  the relay refused %zu of these pushes and deletions\n"), a->push_failed);
	if (a->refused) {
		fputs("  ", stdout);
		cli_print_safe(a->why, 0);
		putchar('\n');
	}
}

/* After the records: the attachment bytes this node lacks, and, to a
 * relay, those it lacks. */
static int sync_attachments(civic_attach_sync_report *a, civic_node *node, civic_peer *peer,
			    const civic_sync_options *o)
{
	civic_attach_sync_options ao = CIVIC_ATTACH_SYNC_OPTIONS_INIT;

	ao.push = o->push;
	ao.max_bytes = o->max_bytes;
	ao.progress = o->progress;
	ao.payload = o->payload;
	return civic_attach_sync_peer(a, node, peer, &ao);
}

/* One peer: sync, remember what it holds, say what happened. 0: all well;
 * 1: something was refused or forked; negative: the sync failed. */
static int sync_one(civic_node *node, civic_peers *peers, civic_peer *peer, const civic_sync_options *o,
		    int json, json_t *out, int *took)
{
	const progress_state *ps = o->payload;
	civic_attach_sync_report attach;
	civic_sync_report report;
	civic_roster *roster = NULL;
	int error, saved;

	memset(&attach, 0, sizeof attach);
	stalled = ever_stalled = 0;
	alarm(ps->timeout);
	error = civic_sync_peer(&report, node, peer, o);
	if (error == 0 && ps->attachments)
		error = sync_attachments(&attach, node, peer, o);
	alarm(0);
	if (error < 0 && ever_stalled) {
		char why[sizeof civic_error_last()->message];
		snprintf(why, sizeof why, "%s", civic_error_last()->message);
		civic_error_set(CIVIC_ERROR_SYNC, "peer '%s' sent nothing for %u s, the link is down (%.400s)",
				peer->name, ps->timeout, why);
		snprintf(peer->last_error, sizeof peer->last_error, "%s", civic_error_last()->message);
	}
	if (ps->show)
		fputs("\r\033[K", stderr);
	/* What the peer holds is worth keeping even when the sync failed. */
	if (civic_peers_find(peers, peer->name) == peer && (saved = civic_peers_save(peers)) < 0 && error == 0)
		error = saved;
	if (json) {
		json_t *j = report_json(peer, &report, error);
		if (j)
			json_object_set_new(j, "attachments", attach_json(&attach));
		json_array_append_new(out, j);
	} else {
		/* What was kept before a transfer broke off is reported too. */
		char why[sizeof civic_error_last()->message];
		snprintf(why, sizeof why, "%s", civic_error_last()->message);
		if (error == 0 || report.count > 0) {
			if (cli_load_roster(&roster, node) < 0)
				roster = NULL;
			print_report(peer, &report, roster);
			print_attach(peer, &attach);
			civic_roster_free(roster);
		}
		if (error < 0) {
			civic_error_set(CIVIC_ERROR_SYNC, "%s", why);
			cli_error_civic(error);
		}
	}
	*took |= report.records_accepted > 0 || report.roster_updated;
	if (error == 0 && (report.rejected || report.forks || report.push_failed || attach.refused ||
			   attach.push_failed))
		error = 1;
	civic_sync_report_dispose(&report);
	return error;
}

int cmd_sync(const cli_context *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-push", no_argument, NULL, 'n' },
		{ "no-attachments", no_argument, NULL, 'A' },
		{ "max-bytes", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "records-per-fetch", required_argument, NULL, 'r' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;
	progress_state ps = { NULL, DEFAULT_TIMEOUT, 0, 1, -1, 0, { 0, 0 } };
	state_signer signer = { NULL, NULL, NULL, 0 };
	unsigned long seconds;
	civic_peer **targets = NULL, *adhoc = NULL;
	civic_peers *peers = NULL;
	civic_node *node = NULL;
	json_t *out = NULL;
	size_t n = 0, i;
	int json = 0, failed = 0, refused = 0, took = 0, written, c, error, code = CLI_EXIT_OK;
	char *end;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'n': o.push = 0; break;
		case 'A': ps.attachments = 0; break;
		case 'm':
			o.max_bytes = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || o.max_bytes == 0)
				return cli_usage_error(_("--max-bytes takes a number of bytes, not '%s'"), optarg);
			break;
		case 't':
			seconds = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || seconds == 0 || seconds > 86400)
				return cli_usage_error(_("--timeout takes seconds from 1 to 86400, not '%s'"), optarg);
			ps.timeout = (unsigned int)seconds;
			break;
		case 'r':
			o.records_per_fetch = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || o.records_per_fetch == 0 ||
			    o.records_per_fetch > CIVIC_FEED_MAX_SEQ)
				return cli_usage_error(_("--records-per-fetch takes a number of records, not '%s'"),
						       optarg);
			break;
		case 'p': signer.pass_file = optarg; break;
		case 'h': printf("%s", _(usage)); return CLI_EXIT_OK;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	/* Progress is shown on a terminal only; it always re-arms the stall timer. */
	ps.show = ctx->is_tty && !json;
	o.progress = show_progress;
	o.payload = &ps;
	watch_stalls();
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_WRITE)) < 0 ||
	    (error = cli_require_network(&ps.peer, node)) < 0 ||
	    (error = civic_peers_load(&peers, civic_node_path(node))) < 0 ||
	    !(adhoc = calloc((size_t)(argc - optind) + 1, sizeof *adhoc)) ||
	    (error = cli_pick_peers(&targets, &n, adhoc, peers, argv + optind, (size_t)(argc - optind))) < 0) {
		code = cli_error_civic(error < 0 ? error : civic_error_nomem());
		goto done;
	}
	/* Each sync that takes anything adds a pack: the small ones are joined. */
	cli_tidy_node(node);
	signer.node = node;
	o.state_key = state_key;
	o.state_payload = &signer;
	out = json ? json_array() : NULL;
	for (i = 0; i < n; i++) {
		ps.peer = targets[i]->name;
		error = sync_one(node, peers, targets[i], &o, json, out, &took);
		failed += error < 0;
		refused += error > 0;
	}
	/* For the peers that fetch from this node: what it holds after it all.
	 * A sync that took nothing leaves the archive as it was. */
	if (took && civic_state_refresh(&written, node, state_key, &signer) < 0) {
		(void)cli_error_civic(CIVIC_ERROR);
		failed++;
	}
	/* A peer that could not be synced is a job not done (128), though the
	 * others were; something refused is a failed check (1). */
	if (json && cli_print_json(out) < 0)
		code = cli_error_civic(CIVIC_ERROR);
	else if (failed)
		code = CLI_EXIT_FATAL;
	else if (refused)
		code = CLI_EXIT_FAILED;
done:
	for (i = 0; adhoc && i < (size_t)(argc - optind); i++)
		civic_peer_dispose(&adhoc[i]);
	free(adhoc);
	free(targets);
	civic_key_free(signer.key);
	json_decref(out);
	civic_peers_free(peers);
	civic_node_free(node);
	return code;
}

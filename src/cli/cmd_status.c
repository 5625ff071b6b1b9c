/* cmd_status.c - civic status: records held per feed, forks, missing
 * attachments, and what each peer is known to lack. */
#include "cmd.h"
#include "error.h"
#include "municipality.h"
#include "status.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

#define COMMAND_NAME "status"

static const char usage[] = N_("usage: civic status [--json]\n");

static json_t *feed_json(const civic_feed_status *f)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1], head[GIT_OID_HEXSZ + 1], bad[GIT_OID_HEXSZ + 1];

	civic_pubkey_to_hex(hex, &f->author);
	return json_pack("{s:s, s:s?, s:s?, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:{s:I, s:I, s:I, s:I}}",
		"feed", hex, "name", f->member ? f->member->name : NULL,
		"municipality", f->member ? f->member->municipality : NULL,
		"head", f->head_seq ? git_oid_tostr(head, sizeof head, &f->head) : "",
		"records", (json_int_t)f->head_seq, "valid", (json_int_t)f->valid,
		"pending", (json_int_t)f->pending, "revoked", (json_int_t)f->revoked,
		"forks", (json_int_t)f->forks, "forks_settled", (json_int_t)f->forks_settled, "bad_commit", f->bad ? git_oid_tostr(bad, sizeof bad, &f->bad_commit) : "",
		"bad_reason", f->bad ? f->bad_reason : "",
		"attachments", "present", (json_int_t)f->attachments_present,
		"missing", (json_int_t)f->attachments_missing, "corrupt", (json_int_t)f->attachments_corrupt,
		"purged", (json_int_t)f->attachments_purged);
}

static json_t *peer_json(const civic_peer *p, const civic_peer_status *ps)
{
	json_t *j = cli_peer_json(p);

	if (j)
		json_object_set_new(j, "feeds", json_pack("{s:I, s:I, s:I, s:I}",
			"current", (json_int_t)ps->feeds_current, "lacking", (json_int_t)ps->feeds_lacking,
			"records_lacking", (json_int_t)ps->records_lacking, "other", (json_int_t)ps->feeds_other));
	return j;
}

/* When a node signed its statement, by its clock: "2026-12-02 10:15 UTC"
 * for people, "2026-12-02T10:15:07Z" (RFC 3339) for --json. */
static void format_time(char *out, size_t size, int64_t t, int json)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, size, json ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(out, size, "?");
}

static json_t *node_json(const civic_node_status *n, const civic_pubkey *me)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1], when[32];
	const civic_peer_status *h = &n->holds;

	civic_pubkey_to_hex(hex, &n->node);
	format_time(when, sizeof when, n->time, 1);
	return json_pack("{s:s, s:s?, s:s?, s:b, s:I, s:s, s:b, s:{s:I, s:I, s:I, s:I}, s:I}", "key", hex,
		"name", n->member ? n->member->name : NULL,
		"municipality", n->member ? n->member->municipality : NULL,
		"this_node", me && civic_pubkey_equal(me, &n->node), "serial", (json_int_t)n->serial, "signed", when,
		"same_roster", n->same_roster, "feeds", "current", (json_int_t)h->feeds_current,
		"lacking", (json_int_t)h->feeds_lacking, "records_lacking", (json_int_t)h->records_lacking,
		"other", (json_int_t)h->feeds_other, "records_ahead", (json_int_t)h->records_ahead);
}

static void print_node(const civic_node_status *n, const civic_pubkey *me)
{
	const civic_peer_status *h = &n->holds;
	char when[32];

	format_time(when, sizeof when, n->time, 0);
	printf("  ");
	cli_print_padded(civic_municipality_name(n->member->municipality), 15);
	putchar(' ');
	cli_print_safe(n->member->name, 0);
	printf("%s\n", me && civic_pubkey_equal(me, &n->node) ? _(" (this node)") : "");
	printf(_("    signed %s (statement %llu): holds %zu feeds as we do; lacks %zu records in %zu feeds"), when,
	       (unsigned long long)n->serial, h->feeds_current, h->records_lacking, h->feeds_lacking);
	if (h->records_ahead)
		printf(_("; holds %zu records this node lacks"), h->records_ahead);
	if (h->feeds_other)
		printf(_("; %zu feeds differ"), h->feeds_other);
	if (!n->same_roster)
		printf("%s", _("; another roster"));
	putchar('\n');
}

static void print_feed(const civic_feed_status *f)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1];

	civic_pubkey_to_hex(hex, &f->author);
	printf("  ");
	if (f->member) {
		cli_print_padded(civic_municipality_name(f->member->municipality), 15);
		putchar(' ');
		cli_print_safe(f->member->name, 0);
	} else {
		printf(_("%-15s key %.16s… (not a member)"), "", hex);
	}
	printf(_("\n    %llu records"), (unsigned long long)f->head_seq);
	if (f->pending)
		printf(_(", %zu pending"), f->pending);
	if (f->revoked)
		printf(_(", %zu after revocation"), f->revoked);
	if (f->forks)
		printf(_(", FORK: %zu other signed histories kept"), f->forks);
	if (f->forks_settled)
		printf(_(", %zu settled forks kept as evidence"), f->forks_settled);
	if (f->attachments_missing)
		printf(_(", %zu attachments missing"), f->attachments_missing);
	if (f->attachments_purged)
		printf(_(", %zu attachments purged by a retraction"), f->attachments_purged);
	putchar('\n');
	if (f->bad) {
		printf(_("    BAD after record %llu: "), (unsigned long long)f->head_seq);
		cli_print_safe(f->bad_reason, 0);
		putchar('\n');
	}
}

static void print_peer(const civic_peer *p, const civic_peer_status *ps)
{
	printf("  %-16s ", p->name);
	cli_print_safe(p->url, 0);
	printf("%s\n", p->relay ? _(" (relay)") : "");
	if (!p->last_attempt) {
		printf("%s", _("    never synced\n"));
		return;
	}
	printf(_("    holds %zu feeds as we do; lacks %zu records in %zu feeds"), ps->feeds_current,
	       ps->records_lacking, ps->feeds_lacking);
	if (ps->feeds_other)
		printf(_("; %zu feeds differ"), ps->feeds_other);
	putchar('\n');
	if (p->last_error[0]) {
		printf("%s", _("    last sync failed: "));
		cli_print_safe(p->last_error, 0);
		putchar('\n');
	}
}

static int print_status(const civic_node *node, const civic_status *st, civic_peers *peers, int json)
{
	const civic_pubkey *me = civic_node_public_key(node);
	json_t *out, *feeds = json_array(), *plist = json_array(), *nodes = json_array();
	civic_peer_status ps;
	size_t i;
	int error = 0;

	if (!json) {
		printf(_("network %s\nfeeds: %zu\n"), civic_node_network(node), st->count);
		for (i = 0; i < st->count; i++)
			print_feed(&st->feeds[i]);
		if (st->roster_forks)
			printf(_("ROSTER FORK: %zu other signed rosters kept\n"), st->roster_forks);
		if (st->roster_forks_settled)
			printf(_("roster: %zu settled forks kept as evidence\n"), st->roster_forks_settled);
		printf(_("attachments: %zu present, %zu missing, %zu corrupt\n"), st->attachments_present,
		       st->attachments_missing, st->attachments_corrupt);
		if (st->attachments_purged)
			printf(_("attachments purged by retractions: %zu\n"), st->attachments_purged);
		printf(_("peers: %zu\n"), civic_peers_count(peers));
	}
	for (i = 0; i < civic_peers_count(peers); i++) {
		civic_peer *p = civic_peers_get(peers, i);
		civic_status_peer(&ps, st, p, civic_node_repository(node));
		if (json)
			json_array_append_new(plist, peer_json(p, &ps));
		else
			print_peer(p, &ps);
	}
	if (!json)
		printf(_("nodes, as their signed statements say: %zu\n"), st->nnodes);
	for (i = 0; i < st->nnodes; i++) {
		if (json)
			json_array_append_new(nodes, node_json(&st->nodes[i], me));
		else
			print_node(&st->nodes[i], me);
	}
	for (i = 0; json && i < st->count; i++)
		json_array_append_new(feeds, feed_json(&st->feeds[i]));
	if (json) {
		out = json_pack("{s:s, s:o, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:o, s:o}", "network", civic_node_network(node),
			"feeds", feeds, "roster_forks", (json_int_t)st->roster_forks,
			"roster_forks_settled", (json_int_t)st->roster_forks_settled,
			"attachments", "present", (json_int_t)st->attachments_present,
			"missing", (json_int_t)st->attachments_missing, "corrupt", (json_int_t)st->attachments_corrupt,
			"purged", (json_int_t)st->attachments_purged,
			"peers", plist, "nodes", nodes);
		error = out ? cli_print_json(out) : CIVIC_ERROR;
		json_decref(out);
	} else {
		json_decref(feeds);
		json_decref(plist);
		json_decref(nodes);
	}
	return error;
}

int cmd_status(const cli_context *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	civic_status st;
	civic_schemas *schemas = NULL;
	civic_roster *roster = NULL;
	civic_peers *peers = NULL;
	civic_node *node = NULL;
	const char *network;
	int json = 0, c, error, code = CLI_EXIT_OK;

	memset(&st, 0, sizeof st);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': printf("%s", _(usage)); return CLI_EXIT_OK;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_READ)) < 0 ||
	    (error = cli_require_network(&network, node)) < 0 ||
	    (error = civic_schemas_new(&schemas)) < 0 ||
	    (error = civic_peers_load(&peers, civic_node_path(node))) < 0)
		goto done;
	if ((error = cli_load_roster(&roster, node)) == CIVIC_ENOTFOUND)
		error = 0;
	if (error < 0 ||
	    (error = civic_status_collect(&st, civic_node_repository(node), network, roster, schemas,
					  civic_node_attachments_dir(node), civic_node_tmp_dir(node))) < 0)
		goto done;
	error = print_status(node, &st, peers, json);
done:
	if (error < 0)
		code = cli_error_civic(error);
	civic_status_dispose(&st);
	civic_peers_free(peers);
	civic_roster_free(roster);
	civic_schemas_free(schemas);
	civic_node_free(node);
	return code;
}

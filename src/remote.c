/* remote.c - one connection to a peer; see remote.h. */
#include "remote.h"
#include "error.h"
#include "local_git.h"

#include <libintl.h>
#include <stdio.h>
#include <string.h>

void civic_remote_init(civic_remote *r, civic_peer *peer, uint64_t max_bytes, civic_progress_cb progress,
		       void *payload)
{
	memset(r, 0, sizeof *r);
	r->peer = peer;
	r->max_bytes = max_bytes;
	r->progress = progress;
	r->payload = payload;
}

int civic_remote_progress(civic_remote *r, civic_sync_phase phase, size_t done, size_t total, uint64_t bytes)
{
	civic_sync_progress p = { phase, done, total, bytes };

	if (!r->progress || r->progress(&p, r->payload) == 0)
		return 0;
	return civic_remote_cancel(r);
}

int civic_remote_cancel(civic_remote *r)
{
	r->cancelled = 1;
	civic_error_set(CIVIC_ERROR_SYNC, "the sync with '%s' was cancelled", r->peer->name);
	return CIVIC_ERROR;
}

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	civic_remote *r = payload;

	r->bytes_received = stats->received_bytes;
	r->objects_received = stats->received_objects;
	if (stats->received_bytes > r->max_bytes) {
		snprintf(r->cut, sizeof r->cut, dgettext("civic", "the peer sent more than %llu bytes"),
			 (unsigned long long)r->max_bytes);
		return -1;
	}
	return civic_remote_progress(r, CIVIC_SYNC_PHASE_RECEIVE, stats->received_objects, stats->total_objects,
				     stats->received_bytes) < 0 ? -1 : 0;
}

static int on_push_transfer(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
	return civic_remote_progress(payload, CIVIC_SYNC_PHASE_PUSH, current, total, bytes) < 0 ? -1 : 0;
}

static int on_push_status(const char *refname, const char *status, void *payload)
{
	civic_remote *r = payload;

	return r->push_status ? r->push_status(refname, status, r->push_data) : 0;
}

/* ssh: the peer's key file if one is set, else the ssh agent. Offered
 * once: libgit2 asks again when the server refuses it, and trying again
 * would only use up the server's attempts. */
static int on_credentials(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	civic_remote *r = payload;
	const char *user = user_from_url && *user_from_url ? user_from_url : "git";

	(void)url;
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (r->key_offered) {
			r->key_refused = 1;
			return GIT_EAUTH;
		}
		r->key_offered = 1;
		return r->peer->ssh_key[0] ? git_credential_ssh_key_new(out, user, NULL, r->peer->ssh_key, NULL)
					   : git_credential_ssh_key_from_agent(out, user);
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	return GIT_PASSTHROUGH;
}

/* A path (a USB stick) to fetch from through git upload-pack (local_git.h);
 * a fetch to be copied through the capturing transport (capture.h); else
 * libgit2's own. */
static int open_transport(git_transport **out, git_remote *owner, void *payload)
{
	civic_remote *r = payload;
	const char *url = git_remote_url(owner);

	/* Fetch only: a push to a path that comes here (attachments, or no
	 * git: path_push.h takes the rest) stays in this process (libgit2's
	 * local transport), for git receive-pack would run the hooks of a
	 * stick that nobody has checked. */
	if (r->direction == GIT_DIRECTION_FETCH && civic_local_git_url(url)) {
		r->local.callback = civic_local_git_subtransport;
		r->local.rpc = 0;
		r->local.param = NULL;
		return git_transport_smart(out, owner, &r->local);
	}
	if (r->capture)
		return civic_capture_transport(out, owner, r->capture);
	return git_transport_new(out, owner, url);
}

static void set_callbacks(git_remote_callbacks *cb, civic_remote *r)
{
	cb->transport = open_transport;
	cb->transfer_progress = on_transfer;
	cb->push_transfer_progress = on_push_transfer;
	cb->push_update_reference = on_push_status;
	cb->credentials = on_credentials;
	cb->payload = r;
}

int civic_remote_error(civic_remote *r, int error, const char *what)
{
	char peer[CIVIC_PEER_NAME_MAX + CIVIC_PEER_URL_MAX + 8];
	const git_error *e = git_error_last();

	what = dgettext("civic", what); /* a literal the callers mark (xgettext -k) */
	if (strcmp(r->peer->name, r->peer->url))
		snprintf(peer, sizeof peer, "'%s' (%s)", r->peer->name, r->peer->url);
	else
		snprintf(peer, sizeof peer, "'%s'", r->peer->url);
	if (r->cut[0]) {
		civic_error_set(CIVIC_ERROR_SYNC, "%s %s was cut off: %s", what, peer, r->cut);
		return CIVIC_EINVALID;
	}
	if (r->cancelled) {
		civic_error_set(CIVIC_ERROR_SYNC, "%s %s was cancelled", what, peer);
		return CIVIC_ERROR;
	}
	if (r->key_refused) {
		civic_error_set(CIVIC_ERROR_SYNC, "%s %s: the server refused the ssh key %s", what, peer,
				r->peer->ssh_key[0] ? r->peer->ssh_key : dgettext("civic", "of the ssh agent"));
		return CIVIC_ERROR;
	}
	if (e && e->message && strstr(e->message, "hostkey")) {
		civic_error_set(CIVIC_ERROR_SYNC,
				"%s %s: the server's ssh host key is not in ~/.ssh/known_hosts "
				"(check it, then add it, e.g. with ssh-keyscan)", what, peer);
		return CIVIC_ERROR;
	}
	return civic_error_from_git(error, "%s %s failed", what, peer);
}

/* url.insteadOf is not applied: the URL is the peer's as given (and
 * libgit2 1.5 leaks in that lookup). */
int civic_remote_open(git_remote **out, civic_remote *r, git_repository *repo, git_direction direction)
{
	git_remote_create_options o;
	git_remote_callbacks cb;
	int error;

	*out = NULL;
	r->direction = direction;
	r->key_offered = r->key_refused = r->cancelled = 0;
	r->cut[0] = '\0';
	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = repo;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((error = git_remote_create_with_opts(out, r->peer->url, &o)) < 0)
		return civic_error_from_git(error, "'%s' is not a URL civic can reach", r->peer->url);
	if ((error = civic_remote_progress(r, CIVIC_SYNC_PHASE_CONNECT, 0, 0, 0)) < 0)
		return error;
	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	set_callbacks(&cb, r);
	if ((error = git_remote_connect(*out, direction, &cb, NULL, NULL)) < 0 && direction == GIT_DIRECTION_PUSH)
		return civic_remote_error(r, error, "connecting for a push to");
	if (error < 0)
		return civic_remote_error(r, error, "connecting to");
	return 0;
}

int civic_remote_download(civic_remote *r, git_remote *remote, char **refspecs, size_t n)
{
	git_strarray specs = { refspecs, n };
	git_fetch_options fo;
	int error;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	set_callbacks(&fo.callbacks, r);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	if ((error = git_remote_download(remote, &specs, &fo)) < 0)
		return civic_remote_error(r, error, "fetching from");
	return 0;
}

int civic_remote_upload(civic_remote *r, git_remote *remote, char **refspecs, size_t n)
{
	git_strarray specs = { refspecs, n };
	git_push_options po;
	int error;

	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	set_callbacks(&po.callbacks, r);
	/* libgit2 deltifies all a push sends, anew: on every core. */
	po.pb_parallelism = 0;
	if ((error = git_remote_upload(remote, &specs, &po)) < 0)
		return civic_remote_error(r, error, "pushing to");
	return 0;
}

void civic_remote_close(git_remote *remote)
{
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
}

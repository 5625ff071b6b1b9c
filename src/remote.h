/*
 * remote.h - one connection to a peer, the way sync and the attachment
 * transfer both make it: a libgit2 remote that takes the peer's URL as
 * given, offers the ssh key once, cuts off a peer that sends more than a
 * cap, reports progress (a caller may give up on a stalled link from
 * there), and names in one line what failed, with whom.
 */
#ifndef CIVIC_REMOTE_H
#define CIVIC_REMOTE_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "peer.h"

typedef enum {
	CIVIC_SYNC_PHASE_CONNECT,
	CIVIC_SYNC_PHASE_RECEIVE,
	CIVIC_SYNC_PHASE_VERIFY,
	CIVIC_SYNC_PHASE_PUSH,
} civic_sync_phase;

typedef struct {
	civic_sync_phase phase;
	size_t objects_done, objects_total;
	uint64_t bytes;
} civic_sync_progress;

/* Called now and then; a non-zero return cancels the transfer. */
typedef int (*civic_progress_cb)(const civic_sync_progress *progress, void *payload);

typedef struct {
	civic_peer *peer;
	uint64_t max_bytes;
	civic_progress_cb progress;
	void *payload;
	/* Called for each ref a push offered: status NULL when the peer took it. */
	int (*push_status)(const char *refname, const char *status, void *data);
	void *push_data;
	/* When set, what a fetch receives is copied there (capture.h). */
	civic_capture *capture;
	git_smart_subtransport_definition local; /* for a path peer (local_git.h) */
	git_direction direction;                  /* of the connection being opened */
	/* What the last transfer saw. */
	uint64_t bytes_received;
	size_t objects_received;
	char cut[256];     /* why it was cut off, "" when it was not */
	int cancelled;     /* the progress callback said stop */
	int key_offered, key_refused;
} civic_remote;

void civic_remote_init(civic_remote *r, civic_peer *peer, uint64_t max_bytes, civic_progress_cb progress,
		       void *payload);

/* Passes progress on; CIVIC_ERROR when the caller cancels. */
int civic_remote_progress(civic_remote *r, civic_sync_phase phase, size_t done, size_t total, uint64_t bytes);

/* Marks the sync cancelled and says so: CIVIC_ERROR. */
int civic_remote_cancel(civic_remote *r);

/* Connects to the peer for a fetch or a push. repo NULL (fetch only): a
 * remote of no repository, enough to list the peer's refs. */
int civic_remote_open(git_remote **out, civic_remote *r, git_repository *repo, git_direction direction);

/* Fetches refspecs[0..n) into the remote's repository. */
int civic_remote_download(civic_remote *r, git_remote *remote, char **refspecs, size_t n);

/* Pushes refspecs[0..n); the peer's word on each ref goes to push_status. */
int civic_remote_upload(civic_remote *r, git_remote *remote, char **refspecs, size_t n);

void civic_remote_close(git_remote *remote);

/* Sets the one line for a failed transfer ("fetching from 'center'
 * (git://...) failed: ..."), and returns the code to pass up. */
int civic_remote_error(civic_remote *r, int error, const char *what);

#endif

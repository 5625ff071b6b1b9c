/*
 * peer.h - the nodes and relays this node syncs with, and what each was last
 * seen holding.
 *
 *   <home>/peers.json   {"format": "civic-peers-1", "peers": [
 *                          {"name", "url", "relay", "ssh_key", "last_sync",
 *                           "last_attempt", "last_error",
 *                           "known": {refname: commit id, ...}}, ...]}
 *
 * A peer is any git remote libgit2 reaches: a path, file://, git://, ssh://,
 * http(s)://, or user@host:path. A relay is a plain bare git repository with
 * no civic behind it: `civic sync` also pushes to it. `known` is what the
 * peer advertised at the last sync (or what we pushed to it): it is a hint
 * for status and for what to send, never trusted as data.
 */
#ifndef CIVIC_PEER_H
#define CIVIC_PEER_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#define CIVIC_PEER_NAME_MAX 64
#define CIVIC_PEER_URL_MAX 1024
#define CIVIC_PEER_REF_MAX 160
#define CIVIC_PEERS_MAX 256
#define CIVIC_PEER_KNOWN_MAX 100000

typedef struct {
	char refname[CIVIC_PEER_REF_MAX];
	git_oid id;
} civic_peer_head;

typedef struct {
	char name[CIVIC_PEER_NAME_MAX + 1];
	char url[CIVIC_PEER_URL_MAX + 1];
	char ssh_key[CIVIC_PEER_URL_MAX + 1]; /* private key file for ssh, "" for none */
	int relay;
	int64_t last_sync;     /* Unix time of the last sync that completed, 0: never */
	int64_t last_attempt;  /* Unix time of the last sync tried, 0: never */
	char last_error[512];  /* why the last attempt failed, "" when it did not */
	civic_peer_head *known;
	size_t known_count, known_alloc;
	size_t *known_index;   /* open addressing over known[]: i + 1, 0 when empty */
	size_t known_index_size;
} civic_peer;

typedef struct civic_peers civic_peers;

/* Reads <home>/peers.json; none there is an empty list. */
int civic_peers_load(civic_peers **out, const char *home);
/* Writes the list back, durably (temporary file, fsync, rename). */
int civic_peers_save(const civic_peers *peers);
void civic_peers_free(civic_peers *peers);

size_t civic_peers_count(const civic_peers *peers);
civic_peer *civic_peers_get(civic_peers *peers, size_t i);
/* NULL when no peer has that name. */
civic_peer *civic_peers_find(civic_peers *peers, const char *name);

/* CIVIC_EEXISTS when the name is taken; CIVIC_EINVALID for a bad name or URL. */
int civic_peers_add(civic_peers *peers, const char *name, const char *url, int relay,
		    const char *ssh_key);
/* CIVIC_ENOTFOUND when there is no such peer. */
int civic_peers_remove(civic_peers *peers, const char *name);

/* A peer name: 1 to 64 of [A-Za-z0-9._-], not starting with '-' or '.'. */
int civic_peer_name_check(const char *name);
/* A URL or path libgit2 can fetch from: printable, no spaces at its ends. */
int civic_peer_url_check(const char *url);
/* Whether text looks like a URL or path rather than a peer name. */
int civic_peer_is_url(const char *text);

/* Sets up a peer that is not in the list (civic sync URL). */
void civic_peer_init(civic_peer *peer, const char *name, const char *url);
void civic_peer_dispose(civic_peer *peer);

/* What the peer was last seen holding at refname; CIVIC_ENOTFOUND if nothing. */
int civic_peer_known(git_oid *out, const civic_peer *peer, const char *refname);
/* Records (or, with id NULL, forgets) what the peer holds at refname. */
int civic_peer_set_known(civic_peer *peer, const char *refname, const git_oid *id);
/* Forgets everything the peer was known to hold. */
void civic_peer_clear_known(civic_peer *peer);

#endif

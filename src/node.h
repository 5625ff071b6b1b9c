/*
 * node.h - a node home: the place one organization's civic keeps its state.
 *
 *   <home>/config        JSON: organization, municipality, role, public key, network id
 *   <home>/keys/         the secret key (0700 directory, 0600 file), never inside git
 *   <home>/archive.git/  bare git repository: feeds, roster
 *   <home>/attachments/  attachment bytes by SHA-256, outside git (attach.h)
 *   <home>/peers.json    the peers this node syncs with (peer.h)
 *   <home>/tmp/          quarantines of incoming data (quarantine.h)
 *   <home>/lock          flock()ed by the one process that may write
 *
 * The home is --home, else $CIVIC_HOME, else $XDG_DATA_HOME/civic, else
 * ~/.local/share/civic.
 */
#ifndef CIVIC_NODE_H
#define CIVIC_NODE_H

#include <git2.h>

#include "buf.h"
#include "key.h"
#include "repack.h"

typedef struct civic_node civic_node;

typedef struct {
	unsigned int version;
	const char *name;         /* organization, UTF-8 */
	const char *municipality; /* slug */
	const char *role;         /* "ngo", "civic-center" or "auditor" */
} civic_node_init_options;

#define CIVIC_NODE_INIT_OPTIONS_VERSION 1
#define CIVIC_NODE_INIT_OPTIONS_INIT { CIVIC_NODE_INIT_OPTIONS_VERSION, NULL, NULL, "ngo" }

enum civic_node_flags {
	CIVIC_NODE_READ = 0,
	CIVIC_NODE_WRITE = 1 << 0, /* take the lock; CIVIC_ELOCKED if another process has it */
};

/* Resolves the home directory from the --home option (may be NULL) and the environment. */
int civic_node_home(civic_buf *out, const char *home_option);

/* Whether role is one the roster knows. */
int civic_role_valid(const char *role);

/* Creates a new node at home with the given key. passphrase NULL stores the
 * key unencrypted. CIVIC_EEXISTS when a node is there already. */
int civic_node_create(const char *home, const civic_node_init_options *opts,
		      const civic_key *key, const char *passphrase, size_t passphrase_len);

/* Opens an existing node. CIVIC_ENOTFOUND when there is none. */
int civic_node_open(civic_node **out, const char *home, unsigned int flags);
void civic_node_free(civic_node *node);

/* Borrowed; live as long as the node. */
git_repository *civic_node_repository(const civic_node *node);
const char *civic_node_path(const civic_node *node);
const char *civic_node_name(const civic_node *node);
const char *civic_node_municipality(const civic_node *node);
const char *civic_node_role(const civic_node *node);
const civic_pubkey *civic_node_public_key(const civic_node *node);
/* The pinned network id (40 hex), or NULL before create/join. */
const char *civic_node_network(const civic_node *node);

/* Pins the network id (durably). CIVIC_EEXISTS if another one is pinned. */
int civic_node_set_network(civic_node *node, const char *network_hex);

/* Joins the archive's small packs and packs its loose objects when that
 * is due (repack.h); node open for writing. A failure leaves the archive
 * as it was, or with a pack more. */
int civic_node_tidy(civic_node *node, civic_repack *r);

int civic_node_key_is_encrypted(const civic_node *node);
int civic_node_load_key(civic_key **out, const civic_node *node, const char *passphrase, size_t len);

/* <home>/attachments */
const char *civic_node_attachments_dir(const civic_node *node);

/* <home>/tmp: where a sync stages what a peer sends (made when needed). */
const char *civic_node_tmp_dir(const civic_node *node);

#endif

/* node.c - the node home; see node.h for its layout. */
#include "node.h"
#include "error.h"
#include "fsutil.h"
#include "municipality.h"
#include "path_push.h"
#include "quarantine.h"
#include "roster.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define CONFIG_FORMAT "civic-node-1"
#define CONFIG_MAX_SIZE (64 * 1024)

struct civic_node {
	char *path;
	char *attachments;
	char *tmp;
	git_repository *repo;
	json_t *config;
	civic_pubkey pubkey;
	int lock_fd;
};

int civic_role_valid(const char *role)
{
	return role && (!strcmp(role, "ngo") || !strcmp(role, "civic-center") || !strcmp(role, "auditor"));
}

int civic_node_home(civic_buf *out, const char *home_option)
{
	const char *env;

	civic_buf_clear(out);
	if (home_option && *home_option)
		return civic_buf_puts(out, home_option);
	if ((env = getenv("CIVIC_HOME")) && *env)
		return civic_buf_puts(out, env);
	if ((env = getenv("XDG_DATA_HOME")) && *env)
		return civic_buf_printf(out, "%s/civic", env);
	if ((env = getenv("HOME")) && *env)
		return civic_buf_printf(out, "%s/.local/share/civic", env);
	civic_error_set(CIVIC_ERROR_NODE, "no node home: give --home or set CIVIC_HOME");
	return CIVIC_EINVALID;
}

static int sub_path(char *out, size_t size, const char *home, const char *name)
{
	int n = snprintf(out, size, "%s/%s", home, name);
	if (n < 0 || (size_t)n >= size) {
		civic_error_set(CIVIC_ERROR_NODE, "path too long: '%s'", home);
		return CIVIC_EINVALID;
	}
	return 0;
}

static int write_config(const char *home, json_t *config)
{
	char path[PATH_MAX];
	char *text = NULL;
	int error;

	if ((error = sub_path(path, sizeof path, home, "config")) < 0)
		return error;
	if (!(text = json_dumps(config, JSON_INDENT(2) | JSON_SORT_KEYS)))
		return civic_error_nomem();
	error = civic_fs_write_atomic(path, text, strlen(text), 0600, 0);
	free(text);
	return error;
}

static int init_repository(const char *home)
{
	char path[PATH_MAX];
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int error;

	if ((error = sub_path(path, sizeof path, home, "archive.git")) < 0)
		return error;
	if ((error = git_repository_init(&repo, path, 1)) < 0)
		return civic_error_from_git(error, "cannot create repository '%s'", path);
	/* Reflogs keep the history of every ref move: evidence for audits.
	 * A pack's reverse index (.rev), which stock git before 2.41 does not
	 * write by default, spares the upload-pack serving this archive from
	 * rebuilding it (sorting every object of the pack) for each fetch
	 * that uses the pack's bitmap. */
	if ((error = git_repository_config(&cfg, repo)) < 0 ||
	    (error = git_config_set_string(cfg, "core.logAllRefUpdates", "always")) < 0 ||
	    (error = git_config_set_bool(cfg, "receive.fsckObjects", 1)) < 0 ||
	    (error = git_config_set_bool(cfg, "pack.writeReverseIndex", 1)) < 0)
		error = civic_error_from_git(error, "cannot configure repository '%s'", path);
	git_config_free(cfg);
	git_repository_free(repo);
	return error;
}

static int check_new_home(const char *home)
{
	char path[PATH_MAX];
	int error;

	if ((error = sub_path(path, sizeof path, home, "config")) < 0)
		return error;
	if (civic_fs_exists(path)) {
		civic_error_set(CIVIC_ERROR_NODE, "a node exists already in '%s'", home);
		return CIVIC_EEXISTS;
	}
	if ((error = sub_path(path, sizeof path, home, "archive.git")) < 0)
		return error;
	if (civic_fs_exists(path)) {
		civic_error_set(CIVIC_ERROR_NODE,
				"'%s' holds an unfinished node: remove it and run init again", home);
		return CIVIC_EEXISTS;
	}
	return 0;
}

int civic_node_create(const char *home, const civic_node_init_options *opts,
		      const civic_key *key, const char *passphrase, size_t passphrase_len)
{
	char path[PATH_MAX];
	civic_buf keyline = CIVIC_BUF_INIT;
	const civic_municipality *muni;
	json_t *config = NULL;
	int error;

	CIVIC_ASSERT_ARG(opts && opts->version == CIVIC_NODE_INIT_OPTIONS_VERSION);
	CIVIC_ASSERT_ARG(opts->name && opts->municipality && civic_role_valid(opts->role));
	if ((error = civic_text_check_name(opts->name, 200, "the organization's name")) < 0)
		return error;
	if (!(muni = civic_municipality_find(opts->municipality))) {
		civic_error_set(CIVIC_ERROR_NODE, "unknown municipality '%s'", opts->municipality);
		return CIVIC_EINVALID;
	}

	if ((error = check_new_home(home)) < 0 ||
	    (error = civic_fs_mkdir_all(home, 0700)) < 0 ||
	    (error = sub_path(path, sizeof path, home, "keys")) < 0 ||
	    (error = civic_fs_mkdir(path, 0700)) < 0 ||
	    (error = sub_path(path, sizeof path, home, "attachments")) < 0 ||
	    (error = civic_fs_mkdir(path, 0700)) < 0 ||
	    (error = init_repository(home)) < 0 ||
	    (error = sub_path(path, sizeof path, home, "keys/secret_key")) < 0 ||
	    (error = civic_key_save(key, path, passphrase, passphrase_len)) < 0 ||
	    (error = civic_pubkey_to_openssh(&keyline, civic_key_public(key))) < 0)
		goto done;

	config = json_pack("{s:s, s:s, s:s, s:s, s:s}", "format", CONFIG_FORMAT,
			   "name", opts->name, "municipality", muni->slug,
			   "role", opts->role, "public_key", keyline.ptr);
	if (!config) {
		error = civic_error_nomem();
		goto done;
	}
	/* The config is written last: its presence marks a finished node. */
	error = write_config(home, config);
done:
	json_decref(config);
	civic_buf_dispose(&keyline);
	return error;
}

static int take_lock(civic_node *node)
{
	char path[PATH_MAX];
	int error;

	if ((error = sub_path(path, sizeof path, node->path, "lock")) < 0)
		return error;
	node->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (node->lock_fd < 0) {
		civic_error_set_os("cannot open lock '%s'", path);
		return CIVIC_ERROR;
	}
	/* flock() is released by the kernel when the process dies, even by
	 * kill -9, so a crash never leaves a stale lock behind. */
	if (flock(node->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			civic_error_set(CIVIC_ERROR_NODE,
					"another civic process is writing to '%s'; try again when it is done",
					node->path);
			return CIVIC_ELOCKED;
		}
		civic_error_set_os("cannot lock '%s'", path);
		return CIVIC_ERROR;
	}
	return 0;
}

/* A writer killed mid-way (kill -9, power cut) can leave ".tmp-*" files
 * behind; they were never renamed into place, so nothing refers to them.
 * Only the lock holder may remove them: no other writer is running. */
static void remove_stale_temporaries(const char *dir)
{
	struct dirent *e;
	char path[PATH_MAX];
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, ".tmp-", 5) &&
		    snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
			unlink(path);
	closedir(d);
}

/* libgit2 moves a ref by writing <ref>.lock and renaming it; a writer
 * killed in between leaves the .lock, and every later move of that ref
 * would fail. civic owns refs/civic/ while it holds the node lock. */
static void clean_after_crash(const civic_node *node)
{
	static const char *const dirs[] = { "", "/keys", "/attachments/sha256" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (snprintf(path, sizeof path, "%s%s", node->path, dirs[i]) < (int)sizeof path)
			remove_stale_temporaries(path);
	/* packed-refs.lock is left alone: stock git (gc, pack-refs) takes it too. */
	if (snprintf(path, sizeof path, "%s/archive.git/refs/civic", node->path) < (int)sizeof path)
		civic_fs_remove_ref_locks(path);
	/* A sync killed mid-way leaves its quarantine: nothing in the archive
	 * refers to it (DESIGN.md section 4). */
	civic_quarantine_clean(node->tmp);
	civic_path_push_clean(node->tmp);
}

static const char *config_string(const civic_node *node, const char *key)
{
	return json_string_value(json_object_get(node->config, key));
}

static int load_config(civic_node *node)
{
	char path[PATH_MAX];
	civic_buf text = CIVIC_BUF_INIT;
	json_error_t jerr;
	const char *keyline;
	int error;

	if ((error = sub_path(path, sizeof path, node->path, "config")) < 0)
		return error;
	if ((error = civic_buf_read_file(&text, path, CONFIG_MAX_SIZE)) < 0) {
		if (error == CIVIC_ENOTFOUND)
			civic_error_set(CIVIC_ERROR_NODE,
					"no node in '%s': run 'civic init' first", node->path);
		goto done;
	}
	node->config = json_loadb(text.ptr, text.size, JSON_REJECT_DUPLICATES, &jerr);
	if (!node->config || !json_is_object(node->config) ||
	    strcmp(config_string(node, "format") ? config_string(node, "format") : "", CONFIG_FORMAT) ||
	    !config_string(node, "name") || !civic_municipality_is_slug(config_string(node, "municipality")) ||
	    !civic_role_valid(config_string(node, "role")) ||
	    (json_object_get(node->config, "network") &&
	     !civic_network_id_valid(json_string_value(json_object_get(node->config, "network")))) ||
	    !(keyline = config_string(node, "public_key"))) {
		civic_error_set(CIVIC_ERROR_NODE, "'%s' is not a valid civic node config", path);
		error = CIVIC_EINVALID;
		goto done;
	}
	error = civic_pubkey_from_openssh(&node->pubkey, keyline, strlen(keyline));
done:
	civic_buf_dispose(&text);
	return error;
}

int civic_node_open(civic_node **out, const char *home, unsigned int flags)
{
	char path[PATH_MAX];
	civic_node *node;
	int error;

	*out = NULL;
	if (!(node = calloc(1, sizeof *node)))
		return civic_error_nomem();
	node->lock_fd = -1;
	if (!(node->path = strdup(home))) {
		error = civic_error_nomem();
		goto fail;
	}
	if ((error = load_config(node)) < 0)
		goto fail;
	if ((error = sub_path(path, sizeof path, home, "tmp")) < 0)
		goto fail;
	if (!(node->tmp = strdup(path))) {
		error = civic_error_nomem();
		goto fail;
	}
	if ((flags & CIVIC_NODE_WRITE) && (error = take_lock(node)) < 0)
		goto fail;
	if (flags & CIVIC_NODE_WRITE)
		clean_after_crash(node);
	if ((error = sub_path(path, sizeof path, home, "archive.git")) < 0)
		goto fail;
	if ((error = git_repository_open_bare(&node->repo, path)) < 0) {
		error = civic_error_from_git(error, "cannot open repository '%s'", path);
		goto fail;
	}
	if (flags & CIVIC_NODE_WRITE)
		civic_quarantine_clean_packs(node->repo);
	if ((error = sub_path(path, sizeof path, home, "attachments")) < 0)
		goto fail;
	if (!(node->attachments = strdup(path))) {
		error = civic_error_nomem();
		goto fail;
	}
	*out = node;
	return 0;
fail:
	civic_node_free(node);
	return error;
}

void civic_node_free(civic_node *node)
{
	if (!node)
		return;
	git_repository_free(node->repo);
	json_decref(node->config);
	if (node->lock_fd >= 0)
		close(node->lock_fd);
	free(node->attachments);
	free(node->tmp);
	free(node->path);
	free(node);
}

git_repository *civic_node_repository(const civic_node *node) { return node->repo; }
const char *civic_node_path(const civic_node *node) { return node->path; }
const char *civic_node_name(const civic_node *node) { return config_string(node, "name"); }
const char *civic_node_municipality(const civic_node *node) { return config_string(node, "municipality"); }
const char *civic_node_role(const civic_node *node) { return config_string(node, "role"); }
const civic_pubkey *civic_node_public_key(const civic_node *node) { return &node->pubkey; }
const char *civic_node_network(const civic_node *node) { return config_string(node, "network"); }
const char *civic_node_attachments_dir(const civic_node *node) { return node->attachments; }
const char *civic_node_tmp_dir(const civic_node *node) { return node->tmp; }


int civic_node_tidy(civic_node *node, civic_repack *r)
{
	char path[PATH_MAX];
	git_odb *odb = NULL;
	int error;

	CIVIC_ASSERT_ARG(node->lock_fd >= 0);
	if ((error = sub_path(path, sizeof path, node->path, "archive.git")) < 0 ||
	    (error = civic_repack_small(r, path)) < 0)
		return error;
	/* libgit2 looks at objects/pack again for the new packs. */
	if ((r->packs_joined || r->loose_packed) && git_repository_odb(&odb, node->repo) == 0)
		(void)git_odb_refresh(odb);
	git_odb_free(odb);
	git_error_clear();
	return 0;
}

int civic_node_set_network(civic_node *node, const char *network_hex)
{
	const char *current = civic_node_network(node);
	json_t *value;

	if (!civic_network_id_valid(network_hex)) {
		civic_error_set(CIVIC_ERROR_NODE, "'%s' is not a network id (40 lowercase hex digits)",
				network_hex);
		return CIVIC_EINVALID;
	}
	if (current && !strcmp(current, network_hex))
		return 0;
	if (current) {
		civic_error_set(CIVIC_ERROR_NODE, "this node belongs to network %s already", current);
		return CIVIC_EEXISTS;
	}
	if (!(value = json_string(network_hex)) || json_object_set_new(node->config, "network", value) < 0)
		return civic_error_nomem();
	return write_config(node->path, node->config);
}

static int key_path(char *out, size_t size, const civic_node *node)
{
	return sub_path(out, size, node->path, "keys/secret_key");
}

int civic_node_key_is_encrypted(const civic_node *node)
{
	char path[PATH_MAX];
	int error;

	if ((error = key_path(path, sizeof path, node)) < 0)
		return error;
	return civic_key_file_is_encrypted(path);
}

int civic_node_load_key(civic_key **out, const civic_node *node, const char *passphrase, size_t len)
{
	char path[PATH_MAX];
	int error;

	*out = NULL;
	if ((error = key_path(path, sizeof path, node)) < 0 ||
	    (error = civic_key_load(out, path, passphrase, len)) < 0)
		return error;
	if (!civic_pubkey_equal(civic_key_public(*out), &node->pubkey)) {
		civic_key_free(*out);
		*out = NULL;
		civic_error_set(CIVIC_ERROR_NODE, "the key in '%s' does not match the node's public key", path);
		return CIVIC_EINVALID;
	}
	return 0;
}

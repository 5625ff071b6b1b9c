/*
 * signed_commit.h - git commits signed with SSHSIG in the gpgsig header, the
 * way `git commit -S` with gpg.format=ssh writes them, so that stock
 * `git verify-commit` checks them. Both feeds and the roster are chains of
 * such commits; this is the one place that writes and checks them.
 */
#ifndef CIVIC_SIGNED_COMMIT_H
#define CIVIC_SIGNED_COMMIT_H

#include <git2.h>
#include <stdint.h>

#include "buf.h"
#include "key.h"

/* Commit signatures use the namespace git itself checks. */
#define CIVIC_COMMIT_NAMESPACE "git"

/* Writes a commit of tree_id (parent NULL for a root) by key, named
 * author_name <hex@civic>, signed; does not move any ref. */
int civic_signed_commit_create(git_oid *out, git_repository *repo, const civic_key *key,
			       const char *author_name, const git_oid *tree_id,
			       git_commit *parent, const char *message);
/* The same with any number of parents (a roster settlement has two). */
int civic_signed_commit_create_with_parents(git_oid *out, git_repository *repo, const civic_key *key,
					    const char *author_name, const git_oid *tree_id,
					    const git_commit **parents, size_t nparents, const char *message);

/* Verifies the commit's signature. With `expected`, the signer must be that
 * key; `signer` (may be NULL) receives the signing key. CIVIC_EBADSIG when
 * unsigned or bad. */
int civic_signed_commit_verify(civic_pubkey *signer, git_repository *repo, const git_oid *id,
			       const civic_pubkey *expected);

/* Moves `refname` to `id` with compare-and-swap (`old` NULL: the ref must
 * not exist yet; CIVIC_ECONFLICT when it moved meanwhile), durably.
 * libgit2 fsyncs each file and its own directory, but not a directory it
 * has just created (objects/xx/, refs/civic/feeds/) into its parent: those
 * are synced here, objects before the ref moves, refs after. */
int civic_ref_move(git_repository *repo, const char *refname, const git_oid *id, const git_oid *old,
		   const char *log_message);

/* Like civic_ref_move(), for a ref that is only a hint (a step, steps.h),
 * moved after the refs it stands on: no directory is synced, so a crash may
 * lose it (civic_steps_repair() writes it again), and `id` must be held (an
 * ancestor of a feed head), as libgit2 does not look for it. A first sync of
 * 100k records writes 781 steps; a dozen fsyncs each cost it seconds.
 * Not while another thread writes refs or objects (civic.h). */
int civic_ref_move_hint(git_repository *repo, const char *refname, const git_oid *id, const git_oid *old,
			const char *log_message);

/* Packs every loose ref of repo into packed-refs (as `git pack-refs --all`).
 * A server advertises every ref on every fetch, and stock git upload-pack
 * opens each loose ref and reads the object it names: 781 loose step refs
 * (steps.h) at 100k records made a sync of 10 new records 25% slower. */
int civic_refs_pack(git_repository *repo);

/* The commit's email, "<hex of key>@civic": the principal in allowed_signers. */
int civic_commit_email(civic_buf *out, const civic_pubkey *author);

/* Checks that the commit's author and committer emails are the key's. */
int civic_commit_check_email(const git_commit *commit, const civic_pubkey *author);

/* The value of a trailer that must occur exactly once in message. */
int civic_trailer_get(civic_buf *out, const char *message, const char *key);

/* A trailer that must be a decimal number from min to max. */
int civic_trailer_get_number(uint64_t *out, const char *message, const char *key,
			     uint64_t min, uint64_t max);

#endif

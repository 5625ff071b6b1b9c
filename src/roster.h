/*
 * roster.h - who belongs to the network: a chain of commits signed by the
 * network's admins (members with the role civic-center).
 *
 * refs/civic/roster. Its first commit's id is the network id: given out of
 * band, it pins everything else. Each commit's tree is the whole roster:
 *   network.json              {"format": "civic-roster-1", "name": ...}
 *   members/<hex>.json        {"key", "name", "municipality", "role"}
 *   revocations/<hex>.json    {"key", "last_valid": commit id or null, "reason"}
 * Entries are never changed or removed: a member leaves by revocation; and
 * every commit but a settlement adds one at least, so a node reads only the
 * entries each commit adds, and one load reads at most 25,000 commits. A
 * revocation names the last commit of that key that stays valid, not a time,
 * since signers choose their own dates. Every commit but the first carries
 * the trailer Civic-Network; all carry Civic-Roster-Seq (1, 2, ...), counted
 * along first parents.
 *
 * Two admins who each sign a roster commit before they see the other's fork
 * the roster. Since entries are only ever added, an admin settles the fork
 * with a commit of two parents (its own roster first, the other second),
 * whose tree is the union of both. So no member added and no revocation
 * signed on either side is lost, and a node holding either roster takes the
 * settlement as an ordinary next commit (git sees both as its ancestors).
 * What a node checks of one:
 *   - its signer is an admin before it and after it;
 *   - its second parent verifies as a roster of its own, and the two part;
 *   - its tree is exactly the union, and where both sides name one key they
 *     name it alike (a node must not see a member's role or a revocation's
 *     point change under it);
 *   - no commit of either side since they part is signed by a key that the
 *     other side revokes (whether or not its own side revokes it too): an
 *     admin revoked on one side cannot sign a roster of its own from before
 *     its revocation (a new admin, the others revoked) and have it taken in;
 *   - one roster holds at most 100 settlements, each costing two walks back
 *     to where its rosters part.
 */
#ifndef CIVIC_ROSTER_H
#define CIVIC_ROSTER_H

#include <git2.h>

#include "key.h"

#define CIVIC_ROSTER_REF "refs/civic/roster"
#define CIVIC_NETWORK_ID_LEN 40
/* Bytes of a revocation's or a settlement's reason. */
#define CIVIC_ROSTER_REASON_MAX 255

typedef struct {
	civic_pubkey key;
	char name[256];
	char municipality[32];
	char role[16];
	int revoked;
	int has_last_valid;  /* revoked after this commit of the member's feed */
	git_oid last_valid;
	char reason[CIVIC_ROSTER_REASON_MAX + 1];
} civic_member;

typedef struct civic_roster civic_roster;

/* Whether text is a network id: 40 lowercase hex digits. */
int civic_network_id_valid(const char *text);

/* Creates the network: the roster's first commit, listing the creator as
 * its first admin (role civic-center). *out receives the network id. */
int civic_roster_create(git_oid *out, git_repository *repo, const civic_key *key,
			const char *network_name, const char *creator_name,
			const char *creator_municipality);

/* The first commit of the roster this node holds (unverified: load it with
 * that id to verify). CIVIC_ENOTFOUND when there is no roster. */
int civic_roster_root(git_oid *out, git_repository *repo);

/* Verifies refs/civic/roster from its first commit (which must be the
 * network id) to its head, and builds the member list. CIVIC_ENOTFOUND when
 * there is no roster yet; CIVIC_EBADSIG / CIVIC_EINVALID when any commit
 * fails, with the commit and the reason. */
int civic_roster_load(civic_roster **out, git_repository *repo, const char *network_hex);
/* The same for the roster whose head is `head` (a peer's, in a quarantine). */
int civic_roster_load_at(civic_roster **out, git_repository *repo, const git_oid *head,
			 const char *network_hex);
void civic_roster_free(civic_roster *roster);

const char *civic_roster_network_name(const civic_roster *roster);
git_oid civic_roster_head(const civic_roster *roster);
size_t civic_roster_count(const civic_roster *roster);
const civic_member *civic_roster_get(const civic_roster *roster, size_t i); /* borrowed */
const civic_member *civic_roster_find(const civic_roster *roster, const civic_pubkey *key);
int civic_member_is_admin(const civic_member *member);
/* Whether `by` may amend (correct, retract) a record written by `author`:
 * it is the author, or an admin of roster (revoked since or not: what a
 * revoked key wrote past its revocation point must not count, and the
 * caller, which holds the amending record, checks that). roster may be
 * NULL: then only the author may. */
int civic_roster_may_amend(const civic_roster *roster, const civic_pubkey *by, const civic_pubkey *author);

/* Appends a member, signed by admin_key (which must be an admin). */
int civic_roster_add(civic_roster *roster, git_repository *repo, const civic_key *admin_key,
		     const civic_member *member);

/* Revokes a member, signed by admin_key; last_valid NULL makes none of the
 * member's records valid. */
int civic_roster_revoke(civic_roster *roster, git_repository *repo, const civic_key *admin_key,
			const civic_pubkey *member, const git_oid *last_valid, const char *reason);

/* Settles a fork of the roster: signs, on top of `roster`, a commit whose
 * second parent is `other` (a roster of this network beside it, neither
 * holding the other) and whose tree is the union of both, verifies it as
 * every node will, then moves refs/civic/roster to it from ref_now (NULL:
 * roster's head; or `other`, when the roster kept is a fork this node kept
 * as evidence). Every node holding either roster then takes it as the
 * roster's next commit. Refused (CIVIC_EINVALID) when the two name a key
 * differently, when the union would leave no admin, or when it would not
 * verify. */
int civic_roster_settle(civic_roster *roster, git_repository *repo, const civic_key *admin_key,
			const git_oid *other, const git_oid *ref_now, const char *reason);

#endif

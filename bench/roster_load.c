/*
 * roster_load.c - the roster benchmark: builds a network whose roster holds
 * N members, added one per commit, and times civic_roster_load() over it.
 *
 *   roster_load create DIR N
 *   roster_load time DIR [RUNS]
 *
 * create: DIR must not exist. It becomes
 *   DIR/roster.git       a bare repository: refs/civic/roster, made by the
 *                        library's own civic_roster_create() (one admin,
 *                        the Civic Center, key from civic_key_generate())
 *                        and N civic_roster_add() calls, each a commit of
 *                        its own signed by that admin: NGOs with Bulgarian
 *                        names, role ngo, over the nine municipalities;
 *   DIR/network          the network id (the roster's first commit), a line;
 *   DIR/allowed_signers  every member, as `civic allowed-signers` prints it
 *                        (`<hex>@civic namespaces="git" ssh-ed25519 AAAA...`),
 *                        for stock git's gpg.ssh.allowedSignersFile.
 * For generation speed only, fsync is off (as in bench/gen_archive); the
 * objects are written loose, as civic writes them. bench/run.sh packs the
 * repository with stock `git repack -adq` before it times anything.
 *
 * time: RUNS times (default 5, at most 64), opens DIR/roster.git afresh, so
 * that no run starts with the objects the one before left in libgit2's
 * cache, and times civic_roster_load() with the network id of DIR/network,
 * with civic's own settings (civic_global_init). The opening is not timed.
 *
 * Both print key=value lines for bench/run.sh.
 */
#include <errno.h>
#include <git2.h>
#include <sys/stat.h>

#include "bench_common.h"
#define BENCH_PROGRAM "roster_load"
#include "bench_fail.h"
#include "civic.h"
#include "error.h"
#include "key.h"
#include "roster.h"
#include "signed_commit.h"

#define MAX_MEMBERS 10000u /* a members/ tree of 10k entries is about 1 MB,
			    * the roster's limit (object_limits.h) */

static const char *const kinds[] = {
	"Сдружение", "Фондация", "Народно читалище", "Асоциация",
	"Младежко сдружение", "Клуб", "Дружество", "Сдружение на родителите",
};
#define KINDS (sizeof kinds / sizeof kinds[0])

static const char *const names[] = {
	"Просвета", "Възраждане", "Светлина", "Пробуда", "Зора", "Открита община",
	"Гражданска инициатива", "Бъдеще за селата", "Зелена долина", "Родолюбие",
	"Надежда", "Развитие",
};
#define NAMES (sizeof names / sizeof names[0])

/* Member number i (from 1): a key of its own, a name and a municipality. */
static int make_member(civic_member *m, civic_key **key, unsigned i)
{
	const bench_municipality *muni = &bench_municipalities[i % BENCH_MUNICIPALITIES];

	memset(m, 0, sizeof *m);
	if (civic_key_generate(key) < 0)
		return -1;
	m->key = *civic_key_public(*key);
	snprintf(m->name, sizeof m->name, "%s „%s – %s“ № %u", kinds[i % KINDS],
		 names[i / KINDS % NAMES], muni->name, i);
	snprintf(m->municipality, sizeof m->municipality, "%s", muni->slug);
	snprintf(m->role, sizeof m->role, "ngo");
	return 0;
}

/* DIR/allowed_signers, line for line as src/cli/cmd_allowed_signers.c
 * writes it. */
static int write_signers(const char *path, const civic_roster *roster, const char *network_hex)
{
	civic_buf line = CIVIC_BUF_INIT, principal = CIVIC_BUF_INIT;
	FILE *f = fopen(path, "w");
	size_t i;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "roster_load: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# allowed_signers of civic network %s (%s)\n", network_hex,
		civic_roster_network_name(roster));
	fprintf(f, "# stock git checks signatures; 'civic audit' also checks membership and revocations\n");
	for (i = 0; i < civic_roster_count(roster); i++) {
		const civic_member *m = civic_roster_get(roster, i);

		if (civic_pubkey_to_openssh(&line, &m->key) < 0 || civic_commit_email(&principal, &m->key) < 0) {
			fail("cannot write the allowed signers");
			goto done;
		}
		fprintf(f, "# %s (%s, %s)%s\n", m->name, m->municipality, m->role, m->revoked ? ", revoked" : "");
		fprintf(f, "%s namespaces=\"git\" %s\n", principal.ptr, line.ptr);
	}
	rc = 0;
done:
	if (fclose(f) != 0 && rc == 0) {
		fprintf(stderr, "roster_load: cannot write %s: %s\n", path, strerror(errno));
		rc = -1;
	}
	civic_buf_dispose(&line);
	civic_buf_dispose(&principal);
	return rc;
}

static int create(const char *dir, unsigned n)
{
	civic_buf path = CIVIC_BUF_INIT;
	civic_roster *roster = NULL;
	civic_key *admin = NULL, *key = NULL;
	git_repository *repo = NULL;
	git_oid network;
	char network_hex[GIT_OID_HEXSZ + 1];
	civic_member m;
	double t0 = bench_now(), t1;
	FILE *f;
	unsigned i;
	int rc = 1;

	/* Generation only: the timing runs with civic's settings. */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0) < 0)
		return git_fail("cannot turn fsync off");
	if (mkdir(dir, 0777) < 0) {
		fprintf(stderr, "roster_load: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	civic_buf_printf(&path, "%s/roster.git", dir);
	if (civic_buf_oom(&path) || git_repository_init(&repo, path.ptr, 1) < 0) {
		git_fail("cannot create the repository");
		goto done;
	}
	if (civic_key_generate(&admin) < 0) {
		fail("cannot generate a key");
		goto done;
	}
	if (civic_roster_create(&network, repo, admin, "НПО Мрежа на област Кюстендил",
				"Граждански център – Кюстендил", "kyustendil") < 0) {
		fail("cannot create the network");
		goto done;
	}
	git_oid_tostr(network_hex, sizeof network_hex, &network);
	if (civic_roster_load(&roster, repo, network_hex) < 0) {
		fail("cannot load the new roster");
		goto done;
	}
	for (i = 1; i <= n; i++) {
		if (make_member(&m, &key, i) < 0) {
			fail("cannot make a member");
			goto done;
		}
		civic_key_free(key); /* only its public half is needed */
		key = NULL;
		if (civic_roster_add(roster, repo, admin, &m) < 0) {
			fail("cannot add a member");
			goto done;
		}
		if (i % 100 == 0 || i == n) {
			t1 = bench_now();
			fprintf(stderr, "\rroster_load: %u/%u members, %.0f members/s", i, n,
				(double)i / (t1 - t0));
		}
	}
	fprintf(stderr, "\n");

	civic_buf_clear(&path);
	civic_buf_printf(&path, "%s/allowed_signers", dir);
	if (civic_buf_oom(&path) || write_signers(path.ptr, roster, network_hex) < 0)
		goto done;
	civic_buf_clear(&path);
	civic_buf_printf(&path, "%s/network", dir);
	if (civic_buf_oom(&path) || !(f = fopen(path.ptr, "w"))) {
		fprintf(stderr, "roster_load: cannot write the network id\n");
		goto done;
	}
	fprintf(f, "%s\n", network_hex);
	if (fclose(f) != 0) {
		fprintf(stderr, "roster_load: cannot write the network id: %s\n", strerror(errno));
		goto done;
	}
	printf("roster_create_members=%zu\n", civic_roster_count(roster));
	printf("roster_create_s=%.6f\n", bench_now() - t0);
	rc = 0;
done:
	civic_roster_free(roster);
	civic_key_free(key);
	civic_key_free(admin);
	git_repository_free(repo);
	civic_buf_dispose(&path);
	return rc;
}

static int read_network(char out[GIT_OID_HEXSZ + 1], const char *dir)
{
	civic_buf path = CIVIC_BUF_INIT;
	char line[128];
	FILE *f;
	int rc = -1;

	civic_buf_printf(&path, "%s/network", dir);
	if (!civic_buf_oom(&path) && (f = fopen(path.ptr, "r"))) {
		if (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\n")] = '\0';
			if (civic_network_id_valid(line)) {
				memcpy(out, line, GIT_OID_HEXSZ + 1);
				rc = 0;
			}
		}
		fclose(f);
	}
	if (rc < 0)
		fprintf(stderr, "roster_load: no network id in %s\n", path.ptr ? path.ptr : dir);
	civic_buf_dispose(&path);
	return rc;
}

static int time_load(const char *dir, int runs)
{
	civic_buf path = CIVIC_BUF_INIT;
	civic_roster *roster = NULL;
	git_repository *repo = NULL;
	char network_hex[GIT_OID_HEXSZ + 1];
	double times[64], t0, min = 0, max = 0;
	size_t members = 0;
	int i, rc = 1;

	if (read_network(network_hex, dir) < 0)
		return 1;
	civic_buf_printf(&path, "%s/roster.git", dir);
	if (civic_buf_oom(&path))
		return 1;
	for (i = 0; i < runs; i++) {
		if (git_repository_open_bare(&repo, path.ptr) < 0) {
			git_fail("cannot open the repository");
			goto done;
		}
		t0 = bench_now();
		if (civic_roster_load(&roster, repo, network_hex) < 0) {
			fail("the roster does not verify");
			goto done;
		}
		times[i] = bench_now() - t0;
		if (i == 0 || times[i] < min)
			min = times[i];
		if (i == 0 || times[i] > max)
			max = times[i];
		members = civic_roster_count(roster);
		civic_roster_free(roster);
		roster = NULL;
		git_repository_free(repo);
		repo = NULL;
	}
	printf("roster_load_members=%zu\n", members);
	printf("roster_load_runs=%d\n", runs);
	printf("roster_load_s=%.6f\n", bench_median(times, (size_t)runs));
	printf("roster_load_min_s=%.6f\n", min);
	printf("roster_load_max_s=%.6f\n", max);
	rc = 0;
done:
	civic_roster_free(roster);
	git_repository_free(repo);
	civic_buf_dispose(&path);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: roster_load create DIR N (N from 1 to %u)\n"
			"       roster_load time DIR [RUNS (1-64)]\n", MAX_MEMBERS);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long n = 0;
	int runs = 5, rc;
	char *end;

	if (argc == 4 && !strcmp(argv[1], "create")) {
		errno = 0;
		n = strtoul(argv[3], &end, 10);
		if (errno || *end || n < 1 || n > MAX_MEMBERS)
			return usage();
	} else if ((argc == 3 || argc == 4) && !strcmp(argv[1], "time")) {
		if (argc == 4 && ((runs = atoi(argv[3])) < 1 || runs > 64))
			return usage();
	} else {
		return usage();
	}
	if (civic_global_init() < 0)
		return fail("init");
	rc = n ? create(argv[2], (unsigned)n) : time_load(argv[2], runs);
	civic_global_shutdown();
	return rc;
}

/* civic.c - process-wide set-up; see civic.h. */
#include "civic.h"
#include "error.h"
#include "tcp_stream.h"

#include <git2.h>
#include <sodium.h>

int civic_global_init(void)
{
	int error;

	if (sodium_init() < 0) {
		civic_error_set(CIVIC_ERROR_NONE, "cannot initialise libsodium");
		return CIVIC_ERROR;
	}
	if ((error = git_libgit2_init()) < 0)
		return civic_error_from_git(error, "cannot initialise libgit2");
	/* Acknowledged records must survive a power cut: libgit2 leaves fsync
	 * off by default (DESIGN.md section 5). */
	if ((error = git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1)) < 0 ||
	    (error = git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1)) < 0 ||
	    (error = git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1)) < 0)
		return civic_error_from_git(error, "cannot configure libgit2");
	/* An audit reads every object once, in order: a large object cache buys
	 * nothing, and libgit2's default (256 MiB) made a 100k-record audit both
	 * slower (11.2 s against 10.6 s with 1-2 MiB) and fat (894 MiB peak).
	 * What each commit shares with the next is kept by the feed verifier. */
	if ((error = git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)2 * 1024 * 1024)) < 0)
		return civic_error_from_git(error, "cannot configure libgit2");
	/* libgit2 maps packs in windows of 1 GiB, up to 8 GiB, and keeps what it
	 * mapped: an audit or a first sync of 100k records held the whole pack
	 * (200+ MiB). Old laptops: small windows, 32 MiB mapped at most, which
	 * measured as fast (bench/, docs/benchmarks.md). */
	if ((error = git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)4 * 1024 * 1024)) < 0 ||
	    (error = git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)32 * 1024 * 1024)) < 0)
		return civic_error_from_git(error, "cannot configure libgit2");
	/* Every fetch lost 40 ms or more to delayed acknowledgements (tcp_stream.h). */
	return civic_tcp_stream_register();
}

void civic_global_rehash_reads(int on)
{
	/* Cannot fail: it sets a flag. */
	(void)git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, on ? 1 : 0);
}

void civic_global_check_ref_targets(int on)
{
	/* Cannot fail: it sets a flag. */
	(void)git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, on ? 1 : 0);
}

void civic_global_shutdown(void)
{
	git_libgit2_shutdown();
}

/* feed_run.c - a run of feed commits verified on every core; see feed_run.h. */
#include "feed_run.h"
#include "error.h"
#include "quarantine.h"
#include "thread.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Commits per chunk. Starting a chunk reads the commit before it and its
 * path trees, a few objects against the chunk's ~7 per commit: under 1%.
 * Small enough that the threads finish together, and that a chunk after a
 * failed one is little wasted work. */
#define CHUNK 512
#define MAX_THREADS 8

typedef struct {
	size_t good; /* leading commits of the chunk that verified */
	int failed;  /* the commit after those did not; why[] says why */
	char why[512];
	civic_oidset *read;
} chunk;

typedef struct {
	const civic_feed_run *run;
	const char *repo_path;
	const git_oid *resume, *ids;
	size_t n, chunk, nchunks;
	chunk *chunks;
	atomic_size_t next;    /* the next chunk to take */
	atomic_size_t stop_at; /* chunks from this one on are not started */
	atomic_size_t done;    /* commits verified so far, for progress */
	atomic_flag failed;    /* set by the first thread that could not go on */
	civic_error fatal;     /* ... and its error */
} shared_run;

static void lower_stop(shared_run *s, size_t c)
{
	size_t now = atomic_load(&s->stop_at);

	while (c < now && !atomic_compare_exchange_weak(&s->stop_at, &now, c))
		;
}

/* Keeps the first error of any thread for the caller, and stops the run. */
static int give_up(shared_run *s, int error)
{
	if (!atomic_flag_test_and_set(&s->failed))
		s->fatal = *civic_error_last();
	lower_stop(s, 0);
	return error;
}

static int verifier_at(civic_feed_verifier **v, shared_run *s, git_repository *repo, chunk *ch, size_t from)
{
	const civic_feed_run *run = s->run;
	const git_oid *before = from ? &s->ids[from - 1] : s->resume;
	int error;

	if (run->read && (error = civic_oidset_new(&ch->read)) < 0)
		return error;
	if ((error = civic_feed_verifier_new(v, repo, run->author, run->network_hex, run->schemas)) < 0)
		return error;
	civic_feed_verifier_collect(*v, ch->read);
	/* The commit before a later chunk is checked as the last of the chunk
	 * before; only the one a sync trusts (its own head) is never checked. */
	if (before && civic_feed_verifier_resume(*v, before) < 0) {
		ch->failed = 1;
		snprintf(ch->why, sizeof ch->why, "%s", civic_error_last()->message);
	}
	return 0;
}

static int after_commit(shared_run *s, const civic_feed_commit *fc, json_t *record)
{
	const civic_feed_run *run = s->run;
	int error = run->on_record ? run->on_record(fc, record, run->payload) : 0;

	json_decref(record);
	atomic_fetch_add(&s->done, 1);
	return error;
}

/* Verifies chunk c; `report`: this is the calling thread, which may call
 * back. Returns < 0 only when the run cannot go on. */
static int verify_chunk(shared_run *s, git_repository *repo, size_t c, int report)
{
	chunk *ch = &s->chunks[c];
	size_t from = c * s->chunk, to = from + s->chunk < s->n ? from + s->chunk : s->n, i;
	civic_feed_verifier *v = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	civic_feed_commit fc;
	json_t *record;
	int error;

	if ((error = verifier_at(&v, s, repo, ch, from)) < 0)
		goto done;
	for (i = from; i < to && !ch->failed; i++) {
		if (atomic_load(&s->stop_at) < c)
			break; /* a chunk before this one failed: nothing here counts */
		record = NULL;
		if (civic_feed_verifier_next(v, &fc, s->run->on_record ? &record : NULL, &s->ids[i]) < 0) {
			ch->failed = 1;
			snprintf(ch->why, sizeof ch->why, "commit %.12s: %.480s",
				 git_oid_tostr(hex, sizeof hex, &s->ids[i]), civic_error_last()->message);
			break;
		}
		ch->good++;
		if ((error = after_commit(s, &fc, record)) < 0)
			break;
	}
	if (ch->failed)
		lower_stop(s, c);
	if (error == 0 && report && s->run->progress)
		error = s->run->progress(atomic_load(&s->done), s->n, s->run->payload);
done:
	civic_feed_verifier_free(v);
	return error;
}

static int take_chunks(shared_run *s, git_repository *repo, int report)
{
	size_t c;
	int error = 0;

	while ((c = atomic_fetch_add(&s->next, 1)) < s->nchunks && c < atomic_load(&s->stop_at))
		if ((error = verify_chunk(s, repo, c, report)) < 0)
			return give_up(s, error);
	return 0;
}

static void *worker(void *arg)
{
	shared_run *s = arg;
	git_repository *repo = NULL;
	int error = civic_quarantine_open(&repo, s->repo_path);

	if (error < 0)
		give_up(s, error);
	else
		take_chunks(s, repo, 0);
	git_repository_free(repo);
	return NULL;
}

static unsigned thread_count(const civic_feed_run *run, size_t nchunks)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned t = run->threads ? run->threads : (cpus > 0 ? (unsigned)cpus : 1);

	if (run->on_record)
		return 1; /* records are handed over in order */
	if (t > MAX_THREADS)
		t = MAX_THREADS;
	return nchunks < t ? (nchunks ? (unsigned)nchunks : 1) : t;
}

/* The chunks in order, up to and including the first that failed: what
 * one verifier walking the run would have found. */
static int gather(size_t *good, char *why, size_t why_size, shared_run *s)
{
	size_t c;
	int error = 0;

	for (c = 0; c < s->nchunks && error == 0; c++) {
		chunk *ch = &s->chunks[c];
		*good += ch->good;
		if (s->run->read && ch->read)
			error = civic_oidset_add_all(s->run->read, ch->read);
		if (ch->failed) {
			snprintf(why, why_size, "%s", ch->why);
			break;
		}
	}
	return error;
}

static int run_threads(shared_run *s, unsigned threads)
{
	pthread_t tid[MAX_THREADS];
	unsigned started = 0, i;
	int error;

	for (; started + 1 < threads && s->repo_path; started++)
		if (civic_thread_start(&tid[started], worker, s) < 0)
			break; /* fewer threads: the rest of the chunks are ours */
	error = take_chunks(s, s->run->repo, 1);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (atomic_flag_test_and_set(&s->failed)) {
		civic_error_set(s->fatal.klass, "%s", s->fatal.message);
		return error < 0 ? error : CIVIC_ERROR;
	}
	return 0;
}

int civic_feed_run_verify(size_t *good, char *why, size_t why_size, const civic_feed_run *run,
			  const git_oid *resume, const git_oid *ids, size_t n)
{
	shared_run s;
	size_t c;
	int error;

	*good = 0;
	why[0] = '\0';
	memset(&s, 0, sizeof s);
	s.run = run;
	s.repo_path = git_repository_path(run->repo);
	s.resume = resume;
	s.ids = ids;
	s.n = n;
	s.chunk = run->chunk ? run->chunk : CHUNK;
	/* One chunk at least: with nothing to verify, the resume point must
	 * still be readable. */
	s.nchunks = n ? (n + s.chunk - 1) / s.chunk : 1;
	atomic_init(&s.next, 0);
	atomic_init(&s.stop_at, s.nchunks);
	atomic_init(&s.done, 0);
	atomic_flag_clear(&s.failed);
	if (!(s.chunks = calloc(s.nchunks, sizeof *s.chunks)))
		return civic_error_nomem();
	error = run_threads(&s, thread_count(run, s.nchunks));
	if (error == 0)
		error = gather(good, why, why_size, &s);
	for (c = 0; c < s.nchunks; c++)
		civic_oidset_free(s.chunks[c].read);
	free(s.chunks);
	return error;
}

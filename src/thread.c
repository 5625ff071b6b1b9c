/* thread.c - threads that take no signals; see thread.h. */
#include "thread.h"
#include "error.h"

#include <signal.h>
#include <string.h>

int civic_thread_start(pthread_t *tid, void *(*start)(void *), void *arg)
{
	sigset_t all, old;
	int error;

	/* A new thread starts with its creator's mask: block everything for
	 * the creation, and give the caller its own mask back at once. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(tid, NULL, start, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		civic_error_set(CIVIC_ERROR_OS, "cannot start a thread: %s", strerror(error));
		return CIVIC_ERROR;
	}
	return 0;
}

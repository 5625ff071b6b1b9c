/*
 * thread.h - civic's own threads, which take no signals.
 *
 * A signal sent to the process goes to any one of its threads that does not
 * block it. `civic sync` ends a stalled link with SIGALRM, which must
 * interrupt the read of the thread that waits on the network; a verifying
 * thread that caught it instead would leave that read blocked. So every
 * thread civic starts blocks all signals that can be blocked, from its first
 * instruction: the caller's thread keeps receiving them.
 */
#ifndef CIVIC_THREAD_H
#define CIVIC_THREAD_H

#include <pthread.h>

/* pthread_create() with every signal blocked in the new thread. 0, or
 * CIVIC_ERROR with the reason set. */
int civic_thread_start(pthread_t *tid, void *(*start)(void *), void *arg);

#endif

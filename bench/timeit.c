/*
 * timeit.c - runs a command several times and reports its wall time and
 * peak memory, for bench/run.sh (date +%s%N in a shell loop adds the cost of
 * its own processes to every sample).
 *
 *   timeit [-n RUNS] [-w WARMUP] [-o OUT] [-e ERR] [-c CPU] [-t SECONDS] -- COMMAND [ARG]...
 *
 * The command runs WARMUP times untimed, then RUNS times; its standard
 * output goes to OUT (default /dev/null), its standard error to ERR (default:
 * inherited). -c pins it to one CPU. Any non-zero exit stops timeit with
 * status 1. Prints one line of key=value pairs: runs, median_s, min_s, max_s,
 * and maxrss_kb (the largest peak resident set of any run, from wait4()).
 *
 * With -t, a run still going after SECONDS is killed (SIGKILL) and ends the
 * measurement: the line then says timed_out=1, runs counts the runs made, the
 * cut-off run included at the time it was killed, and timeit exits 0. With
 * -t the line always carries timed_out=0 or 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 1000

static volatile sig_atomic_t child_pid, timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	if (child_pid > 0) {
		timed_out = 1;
		kill((pid_t)child_pid, SIGKILL);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int redirect(int fd, const char *path, int append)
{
	int f = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);

	if (f < 0 || dup2(f, fd) < 0)
		return -1;
	close(f);
	return 0;
}

/* Runs the command once; its wall time in *secs and peak RSS in *rss. With
 * limit > 0, kills it after limit seconds (timed_out is then set). */
static int run(double *secs, long *rss, char **cmd, const char *out, const char *err, int cpu,
	       int first, unsigned int limit)
{
	struct rusage ru;
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("timeit: fork");
		return -1;
	}
	if (pid == 0) {
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof set, &set) < 0)
				perror("timeit: sched_setaffinity");
		}
		/* Each run's output replaces the last one's. */
		if (redirect(1, out ? out : "/dev/null", 0) < 0 || (err && redirect(2, err, !first) < 0)) {
			perror("timeit: redirect");
			_exit(127);
		}
		execvp(cmd[0], cmd);
		fprintf(stderr, "timeit: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	if (limit > 0) {
		child_pid = pid;
		alarm(limit);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("timeit: wait4");
			return -1;
		}
	}
	*secs = now() - t0;
	*rss = ru.ru_maxrss;
	if (limit > 0) {
		child_pid = 0;
		alarm(0);
		if (timed_out)
			return 0;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "timeit: %s failed (%s %d)\n", cmd[0],
			WIFEXITED(status) ? "exit status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static double times[MAX_RUNS];
	const char *out = NULL, *err = NULL;
	int runs = 1, warmup = 0, cpu = -1, c, i;
	unsigned int limit = 0;
	long rss, maxrss = 0;
	double t, median;
	struct sigaction sa;

	while ((c = getopt(argc, argv, "+n:w:o:e:c:t:")) != -1) {
		switch (c) {
		case 'n': runs = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'e': err = optarg; break;
		case 'c': cpu = atoi(optarg); break;
		case 't': limit = (unsigned int)atoi(optarg); if (limit == 0) goto usage; break;
		default: goto usage;
		}
	}
	if (optind >= argc || runs < 1 || runs > MAX_RUNS || warmup < 0)
		goto usage;
	if (limit > 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm; /* no SA_RESTART: wait4 sees EINTR and waits on */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
	}
	for (i = 0; i < warmup && !timed_out; i++)
		if (run(&t, &rss, argv + optind, out, err, cpu, i == 0, limit) < 0)
			return 1;
	for (i = 0; i < runs && !timed_out; i++) {
		if (run(&times[i], &rss, argv + optind, out, err, cpu, warmup == 0 && i == 0, limit) < 0)
			return 1;
		maxrss = rss > maxrss ? rss : maxrss;
	}
	if (timed_out)
		runs = i > 0 ? i : 1; /* a warm-up run cut off: nothing was timed */
	if (timed_out && i == 0)
		times[0] = limit;
	qsort(times, (size_t)runs, sizeof times[0], cmp);
	median = runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
	printf("runs=%d median_s=%.6f min_s=%.6f max_s=%.6f maxrss_kb=%ld", runs, median, times[0],
	       times[runs - 1], maxrss);
	if (limit > 0)
		printf(" timed_out=%d", timed_out ? 1 : 0);
	putchar('\n');
	return 0;
usage:
	fprintf(stderr, "usage: timeit [-n RUNS] [-w WARMUP] [-o OUT] [-e ERR] [-c CPU] [-t SECONDS] -- COMMAND [ARG]...\n");
	return 2;
}

/* pack_objects.c - stock git pack-objects on what civic gives it; see pack_objects.h. */
#include "pack_objects.h"
#include "error.h"
#include "git_child.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The reason in the first "fatal: " or "error: " line of what git said,
 * cut at its end (said is changed); NULL when there is none. */
static const char *first_fatal(char *said)
{
	char *p = strstr(said, "fatal: "), *e = strstr(said, "error: "), *end;

	if (!p || (e && e < p))
		p = e;
	if (!p)
		return NULL;
	p += 7;
	if ((end = strchr(p, '\n')))
		*end = '\0';
	return p;
}

int civic_pack_objects(char hash[GIT_OID_HEXSZ + 1], char *const argv[], char *const *env, const civic_buf *input)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, status = 0, error = CIVIC_ERROR, k;
	char line[128], said[4096];
	size_t got, done = 0;
	pid_t pid = 0;
	ssize_t n;

	/* A socket for its input: a git that exits early gives EPIPE, not a
	 * SIGPIPE to this process (MSG_NOSIGNAL). */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0) {
		civic_error_set_os("cannot run git pack-objects");
		goto done;
	}
	{
		civic_git_stdio io = { in[1], out[1], err[1], NULL, env, 0 };
		error = civic_git_spawn(&pid, argv, &io);
	}
	close(in[1]), in[1] = -1;
	close(out[1]), out[1] = -1;
	close(err[1]), err[1] = -1;
	if (error != 0) {
		civic_error_set(CIVIC_ERROR_GIT, "cannot run git pack-objects: %s", strerror(error));
		error = CIVIC_ERROR;
		goto done;
	}
	while (done < input->size && (n = send(in[0], input->ptr + done, input->size - done, MSG_NOSIGNAL)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break; /* it stopped reading: its exit status says why */
		done += (size_t)n;
	}
	close(in[0]), in[0] = -1;
	got = civic_git_read_output(out[0], line, sizeof line);
	/* With -q it says something only when it fails: a line or two, read
	 * once it has closed its output. */
	civic_git_read_output(err[0], said, sizeof said);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* One line, one pack: a pack.packSizeLimit would make it several. */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != GIT_OID_HEXSZ + 1 ||
	    strspn(line, "0123456789abcdef") != GIT_OID_HEXSZ || line[GIT_OID_HEXSZ] != '\n') {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			civic_error_set(CIVIC_ERROR_GIT, "git pack-objects named no one pack it wrote");
		else if (WIFEXITED(status) && first_fatal(said))
			civic_error_set(CIVIC_ERROR_GIT, "git pack-objects: %s", first_fatal(said));
		else if (WIFEXITED(status))
			civic_error_set(CIVIC_ERROR_GIT, "git pack-objects failed with exit code %d",
					WEXITSTATUS(status));
		else
			civic_error_set(CIVIC_ERROR_GIT, "git pack-objects was stopped by signal %d",
					WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		error = CIVIC_ERROR;
		goto done;
	}
	memcpy(hash, line, GIT_OID_HEXSZ);
	hash[GIT_OID_HEXSZ] = '\0';
	error = 0;
done:
	for (k = 0; k < 2; k++) {
		if (in[k] >= 0)
			close(in[k]);
		if (out[k] >= 0)
			close(out[k]);
		if (err[k] >= 0)
			close(err[k]);
	}
	return error;
}

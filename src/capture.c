/* capture.c - libgit2's smart transports, with a copy of what they receive; see capture.h. */
#include "capture.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct capture_sub capture_sub;

/* One of the inner subtransport's streams, copied while it carries upload-pack. */
typedef struct {
	git_smart_subtransport_stream parent;
	git_smart_subtransport_stream *inner;
	capture_sub *sub;
	int copying;
} capture_stream;

struct capture_sub {
	git_smart_subtransport parent;
	git_smart_subtransport *inner;
	capture_stream *current; /* a stateful transport hands out one stream twice */
	civic_capture *capture;
};

static int stream_read(git_smart_subtransport_stream *stream, char *buffer, size_t size, size_t *got)
{
	capture_stream *s = (capture_stream *)stream;
	civic_capture *c = s->sub->capture;
	int error = s->inner->read(s->inner, buffer, size, got);

	/* The copy is best effort: a transfer never fails for its sake. */
	if (error == 0 && s->copying && *got && c->out && !c->failed && fwrite(buffer, 1, *got, c->out) != *got)
		c->failed = 1;
	return error;
}

static int stream_write(git_smart_subtransport_stream *stream, const char *buffer, size_t len)
{
	capture_stream *s = (capture_stream *)stream;

	return s->inner->write(s->inner, buffer, len);
}

static void stream_free(git_smart_subtransport_stream *stream)
{
	capture_stream *s = (capture_stream *)stream;

	s->inner->free(s->inner);
	if (s->sub->current == s)
		s->sub->current = NULL;
	free(s);
}

static int sub_action(git_smart_subtransport_stream **out, git_smart_subtransport *transport, const char *url,
		      git_smart_service_t action)
{
	capture_sub *t = (capture_sub *)transport;
	git_smart_subtransport_stream *inner = NULL;
	capture_stream *s;
	int error;

	if ((error = t->inner->action(&inner, t->inner, url, action)) < 0)
		return error;
	/* git:// and ssh:// keep one stream from the ref listing to the pack,
	 * and libgit2 checks it gets the same one back. */
	if (t->current && t->current->inner == inner) {
		s = t->current;
	} else {
		if (!(s = calloc(1, sizeof *s))) {
			git_error_set_oom();
			return -1;
		}
		s->parent.subtransport = transport;
		s->parent.read = stream_read;
		s->parent.write = stream_write;
		s->parent.free = stream_free;
		s->inner = inner;
		s->sub = t;
		t->current = s;
	}
	/* What follows the ref advertisement: acknowledgements, then the pack. */
	s->copying = action == GIT_SERVICE_UPLOADPACK;
	*out = &s->parent;
	return 0;
}

static int sub_close(git_smart_subtransport *transport)
{
	capture_sub *t = (capture_sub *)transport;

	return t->inner->close(t->inner);
}

static void sub_free(git_smart_subtransport *transport)
{
	capture_sub *t = (capture_sub *)transport;

	t->inner->free(t->inner);
	free(t);
}

/* The inner subtransport for a URL's scheme, as libgit2 would pick it. */
static git_smart_subtransport_cb inner_for(const char *url, unsigned *rpc)
{
	static const char *const ssh[] = { "ssh://", "ssh+git://", "git+ssh://" };
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');
	size_t i;

	*rpc = 0;
	if (!strncmp(url, "git://", 6))
		return git_smart_subtransport_git;
	if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) {
		*rpc = 1;
		return git_smart_subtransport_http;
	}
	for (i = 0; i < sizeof ssh / sizeof ssh[0]; i++)
		if (!strncmp(url, ssh[i], strlen(ssh[i])))
			return git_smart_subtransport_ssh;
	/* scp-like "user@host:path": a colon before any slash, not "C:". */
	if (colon && (!slash || colon < slash) && colon - url > 1 && strncmp(url, "file:", 5))
		return git_smart_subtransport_ssh;
	return NULL;
}

static int sub_new(git_smart_subtransport **out, git_transport *owner, void *param)
{
	civic_capture *c = param;
	capture_sub *t;
	int error;

	if (!(t = calloc(1, sizeof *t))) {
		git_error_set_oom();
		return -1;
	}
	t->capture = c;
	t->parent.action = sub_action;
	t->parent.close = sub_close;
	t->parent.free = sub_free;
	if ((error = c->inner(&t->inner, owner, NULL)) < 0) {
		free(t);
		return error;
	}
	*out = &t->parent;
	return 0;
}

int civic_capture_transport(git_transport **out, git_remote *owner, void *payload)
{
	civic_capture *c = payload;
	const char *url = git_remote_url(owner);
	git_smart_subtransport_cb inner = inner_for(url, &c->definition.rpc);

	if (!inner)
		return git_transport_new(out, owner, url);
	c->inner = inner;
	c->definition.callback = sub_new;
	c->definition.param = c;
	return git_transport_smart(out, owner, &c->definition);
}

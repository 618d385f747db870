/*
 * stream.c - request body -> fd and fd -> response, never blocking the
 * loop: a full pipe pauses the client's body, a slow client pauses the
 * reading of the pipe (and so the worker that fills it).
 *
 * The watches belong to the stream (owner NULL), not to the module, so
 * a module that stops mid-stream cannot free them from under us; its
 * done callback is then simply not called.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "http.h"
#include "log.h"
#include "loop.h"
#include "stream.h"

#define CHUNK	(64u << 10)

struct body_pipe {
	struct berth_req	*req;
	int			 fd;
	struct berth_watch	*w;
	struct evbuffer		*pending;	/* bytes fd did not take yet */
	berth_body_end_cb	 done;
	void			*arg;
	int			 broken;	/* reader closed its end */
	int			 ended;		/* body complete or failed */
	int			 rc;
};

static void
set_nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	if (fl != -1)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
body_pipe_finish(struct body_pipe *bp)
{
	berth_body_end_cb	 done = bp->done;
	void			*arg = bp->arg;
	int			 rc = bp->broken ? -EPIPE : bp->rc, alive;

	if (bp->w != NULL)
		loop_fd_unwatch(bp->w);
	close(bp->fd);
	alive = http_req_owner_alive(bp->req);
	evbuffer_free(bp->pending);
	free(bp);
	if (alive)
		done(arg, rc);
}

/* Write what is pending; 1 if all of it went. */
static int
body_pipe_flush(struct body_pipe *bp)
{
	struct evbuffer_iovec	v;
	ssize_t			n;

	while (evbuffer_get_length(bp->pending) > 0 && !bp->broken) {
		if (evbuffer_peek(bp->pending, -1, NULL, &v, 1) < 1)
			break;
		n = write(bp->fd, v.iov_base, v.iov_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			/* EPIPE: the reader gave up; drop the rest. */
			bp->broken = 1;
			break;
		}
		evbuffer_drain(bp->pending, (size_t)n);
	}
	if (bp->broken)
		evbuffer_drain(bp->pending, evbuffer_get_length(bp->pending));
	return 1;
}

static void
body_pipe_writable(int fd, int events, void *arg)
{
	struct body_pipe	*bp = arg;

	if (!body_pipe_flush(bp))
		return;
	loop_fd_unwatch(bp->w);
	bp->w = NULL;
	if (bp->ended)
		body_pipe_finish(bp);
	else
		http_req_body_pause(bp->req, 0);
}

static void
body_pipe_data(void *arg, const void *data, size_t len)
{
	struct body_pipe	*bp = arg;

	if (bp->broken)
		return;		/* keep reading the body, drop it */
	if (evbuffer_add(bp->pending, data, len) < 0) {
		bp->broken = 1;
		return;
	}
	if (body_pipe_flush(bp))
		return;
	/* The pipe is full: stop the client until it drains. */
	http_req_body_pause(bp->req, 1);
	if (bp->w == NULL)
		bp->w = loop_fd_watch(NULL, bp->fd, BERTH_FD_WRITE,
		    body_pipe_writable, bp);
	if (bp->w == NULL)
		bp->broken = 1;
}

static void
body_pipe_end(void *arg, int rc)
{
	struct body_pipe	*bp = arg;

	bp->ended = 1;
	bp->rc = rc;
	if (rc < 0 || evbuffer_get_length(bp->pending) == 0 || bp->broken)
		body_pipe_finish(bp);
	/* else body_pipe_writable finishes once the rest is written */
}

void
stream_body_to_fd(struct berth_req *r, int fd, berth_body_end_cb done,
    void *arg)
{
	struct body_pipe	*bp;

	if ((bp = calloc(1, sizeof(*bp))) == NULL ||
	    (bp->pending = evbuffer_new()) == NULL) {
		free(bp);
		close(fd);
		done(arg, -ENOMEM);
		return;
	}
	set_nonblock(fd);
	bp->req = r;
	bp->fd = fd;
	bp->done = done;
	bp->arg = arg;
	r->body_stream = 1;
	http_req_body_stream(r, body_pipe_data, body_pipe_end, bp);
}

struct fd_resp {
	struct berth_req	*req;
	int			 fd;
	struct berth_watch	*w;
	berth_body_end_cb	 done;
	void			*arg;
};

static void	fd_resp_readable(int, int, void *);

static void
fd_resp_finish(struct fd_resp *fr, int rc)
{
	berth_body_end_cb	 done = fr->done;
	void			*arg = fr->arg;
	int			 alive = http_req_owner_alive(fr->req);

	if (fr->w != NULL)
		loop_fd_unwatch(fr->w);
	close(fr->fd);
	fr->req->on_close = NULL;
	fr->req->on_drain = NULL;
	http_resp_finish(fr->req);
	free(fr);
	if (alive)
		done(arg, rc);
}

static void
fd_resp_drained(void *arg)
{
	struct fd_resp	*fr = arg;

	fr->w = loop_fd_watch(NULL, fr->fd, BERTH_FD_READ,
	    fd_resp_readable, fr);
	if (fr->w == NULL)
		fd_resp_finish(fr, -ENOMEM);
}

static void
fd_resp_readable(int fd, int events, void *arg)
{
	struct fd_resp	*fr = arg;
	char		 buf[CHUNK];
	ssize_t		 n;

	if (http_resp_buffered(fr->req) > STREAM_RESP_HIGHWAT) {
		/* The client is slower than the writer: wait for it. */
		loop_fd_unwatch(fr->w);
		fr->w = NULL;
		http_resp_on_drain(fr->req, fd_resp_drained, fr);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		log_warn("stream: read: %s", strerror(errno));
		fd_resp_finish(fr, -errno);
		return;
	}
	if (n == 0) {
		fd_resp_finish(fr, 0);
		return;
	}
	if (http_resp_chunk(fr->req, buf, (size_t)n) < 0)
		fd_resp_finish(fr, -EPIPE);
}

static void
fd_resp_closed(void *arg)
{
	fd_resp_finish(arg, -EPIPE);
}

void
stream_resp_from_fd(struct berth_req *r, int status, const char *content_type,
    int fd, berth_body_end_cb done, void *arg)
{
	struct fd_resp	*fr;

	if ((fr = calloc(1, sizeof(*fr))) == NULL) {
		close(fd);
		http_resp_error(r, 500, "out of memory");
		done(arg, -ENOMEM);
		return;
	}
	set_nonblock(fd);
	fr->req = r;
	fr->fd = fd;
	fr->done = done;
	fr->arg = arg;
	http_resp_start(r, status, content_type);
	r->on_close = fd_resp_closed;
	r->close_arg = fr;
	fr->w = loop_fd_watch(NULL, fd, BERTH_FD_READ, fd_resp_readable, fr);
	if (fr->w == NULL)
		fd_resp_finish(fr, -ENOMEM);
}

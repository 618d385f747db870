/*
 * http-probe - a test-only service module that exercises the parts of
 * the core's HTTP layer no built-in endpoint uses yet: streamed request
 * bodies with backpressure, chunked responses, hijacked connections and
 * deferred (asynchronous) answers.
 *
 *   POST /probe/upload    streamed body; answers {"bytes":N}.  Pauses
 *                         for 1 ms every 4 MiB to prove backpressure.
 *   POST /probe/hijack    101 UPGRADED, then echoes what it reads.
 *   GET  /probe/stream    ?n=N lines, chunked, one per 10 ms.
 *   POST /probe/json      echoes the parsed JSON body.
 *   GET  /probe/slow      ?ms=N answers 204 after N ms.
 *   POST /probe/pipe-up   streamed body -> pipe -> a worker counts it.
 *   GET  /probe/pipe-down ?mb=N: a worker writes N MiB -> pipe -> response.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <berth/host.h>
#include <berth/module.h>

struct probe {
	const struct berth_host	*h;
};

static struct probe	probe;

struct upload {
	struct berth_req	*req;
	uint64_t		 bytes;
	uint64_t		 next_pause;
	int			 closed;
};

static void
upload_resume(void *arg)
{
	struct upload	*u = arg;

	probe.h->req_body_pause(u->req, 0);
}

static void
upload_data(void *arg, const void *data, size_t len)
{
	struct upload	*u = arg;

	u->bytes += len;
	if (u->bytes >= u->next_pause) {
		u->next_pause += 4u << 20;
		probe.h->req_body_pause(u->req, 1);
		probe.h->timer_add(probe.h, 1, upload_resume, u);
	}
}

static void
upload_end(void *arg, int rc)
{
	struct upload	*u = arg;
	json_object	*o;
	struct berth_err err = BERTH_ERR_INIT;

	if (rc < 0) {
		berth_err_set(&err, rc, "upload aborted");
		probe.h->resp_error(u->req, &err);
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "bytes",
		    json_object_new_int64((int64_t)u->bytes));
		probe.h->resp_json(u->req, 200, o);
		json_object_put(o);
	}
	free(u);
}

static void
probe_upload(struct berth_req *req, void *state)
{
	struct upload	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		probe.h->resp_status(req, 500);
		return;
	}
	u->req = req;
	u->next_pause = 4u << 20;
	probe.h->req_body_stream(req, upload_data, upload_end, u);
}

struct echo {
	int			 fd;
	struct berth_watch	*w;
};

static void
echo_read(int fd, int events, void *arg)
{
	struct echo	*e = arg;
	char		 buf[4096];
	ssize_t		 n;

	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		probe.h->fd_unwatch(probe.h, e->w);
		close(e->fd);
		free(e);
		return;
	}
	/* Small test payloads: a blocking-free socket write suffices. */
	(void)write(fd, buf, (size_t)n);
}

static void
hijacked(void *arg, int fd, const void *pending, size_t npending)
{
	struct echo	*e;

	if (fd < 0)
		return;
	if (npending > 0)
		(void)write(fd, pending, npending);
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		close(fd);
		return;
	}
	e->fd = fd;
	e->w = probe.h->fd_watch(probe.h, fd, BERTH_FD_READ, echo_read, e);
}

static void
probe_hijack(struct berth_req *req, void *state)
{
	probe.h->resp_hijack(req, 0, hijacked, NULL);
}

struct stream {
	struct berth_req	*req;
	int			 left;
	int			 n;
	int			 closed;
	struct berth_timer	*t;
};

static void
stream_tick(void *arg)
{
	struct stream	*s = arg;
	char		 line[64];
	int		 len;

	s->t = NULL;
	if (s->closed || s->left == 0) {
		probe.h->resp_end(s->req);
		free(s);
		return;
	}
	len = snprintf(line, sizeof(line), "{\"line\":%d}\n", s->n++);
	probe.h->resp_write(s->req, line, (size_t)len);
	s->left--;
	s->t = probe.h->timer_add(probe.h, 10, stream_tick, s);
}

static void
stream_closed(void *arg)
{
	struct stream	*s = arg;

	s->closed = 1;
}

static void
probe_stream(struct berth_req *req, void *state)
{
	struct stream	*s;
	const char	*n = probe.h->req_query(req, "n", 0);

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		probe.h->resp_status(req, 500);
		return;
	}
	s->req = req;
	s->left = n ? atoi(n) : 3;
	probe.h->req_on_close(req, stream_closed, s);
	probe.h->resp_start(req, 200, "application/json");
	stream_tick(s);
}

static void
probe_json(struct berth_req *req, void *state)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*body;

	if (probe.h->req_json(req, &body, &err) < 0) {
		probe.h->resp_error(req, &err);
		return;
	}
	if (body == NULL) {
		probe.h->resp_status(req, 204);
		return;
	}
	probe.h->resp_json(req, 200, body);
}

static void
slow_done(void *arg)
{
	probe.h->resp_status(arg, 204);
}

static void
probe_slow(struct berth_req *req, void *state)
{
	const char	*ms = probe.h->req_query(req, "ms", 0);

	probe.h->timer_add(probe.h, ms ? (uint64_t)atoi(ms) : 100, slow_done,
	    req);
}

struct pipejob {
	struct berth_req	*req;
	int			 fd;		/* worker's end */
	uint64_t		 bytes;
	uint64_t		 want;
	int			 body_rc;
	int			 pending;	/* body and worker both done */
};

static void
pipe_up_count(void *arg)
{
	struct pipejob	*j = arg;
	char		 buf[65536];
	ssize_t		 n;

	while ((n = read(j->fd, buf, sizeof(buf))) > 0)
		j->bytes += (uint64_t)n;
	close(j->fd);
}

static void
pipe_up_answer(struct pipejob *j)
{
	json_object	*o;

	if (--j->pending > 0)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)j->bytes));
	json_object_object_add(o, "rc", json_object_new_int(j->body_rc));
	probe.h->resp_json(j->req, 200, o);
	json_object_put(o);
	free(j);
}

static void
pipe_up_counted(void *arg)
{
	pipe_up_answer(arg);
}

static void
pipe_up_body_done(void *arg, int rc)
{
	struct pipejob	*j = arg;

	j->body_rc = rc;
	pipe_up_answer(j);
}

static void
probe_pipe_up(struct berth_req *req, void *state)
{
	struct pipejob	*j;
	int		 p[2];

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    pipe2(p, O_CLOEXEC) == -1) {
		free(j);
		probe.h->resp_status(req, 500);
		return;
	}
	j->req = req;
	j->fd = p[0];
	j->pending = 2;
	probe.h->work(probe.h, pipe_up_count, pipe_up_counted, j);
	probe.h->req_body_to_fd(req, p[1], pipe_up_body_done, j);
}

static void
pipe_down_fill(void *arg)
{
	struct pipejob	*j = arg;
	static char	 buf[65536];
	ssize_t		 n;

	while (j->bytes < j->want) {
		n = write(j->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		j->bytes += (uint64_t)n;
	}
	close(j->fd);
}

static void
pipe_down_filled(void *arg)
{
	struct pipejob	*j = arg;

	if (--j->pending == 0)
		free(j);
}

static void
pipe_down_sent(void *arg, int rc)
{
	pipe_down_filled(arg);
}

static void
probe_pipe_down(struct berth_req *req, void *state)
{
	struct pipejob	*j;
	const char	*mb = probe.h->req_query(req, "mb", 0);
	int		 p[2];

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    pipe2(p, O_CLOEXEC) == -1) {
		free(j);
		probe.h->resp_status(req, 500);
		return;
	}
	j->fd = p[1];
	j->want = (uint64_t)(mb ? atoi(mb) : 1) << 20;
	j->pending = 2;
	probe.h->work(probe.h, pipe_down_fill, pipe_down_filled, j);
	probe.h->resp_from_fd(req, 200, "application/octet-stream", p[0],
	    pipe_down_sent, j);
}

static const struct berth_route probe_routes[] = {
	{ BERTH_POST,	"/probe/pipe-up",	NULL,	probe_pipe_up,
	    BERTH_ROUTE_STREAM_BODY, 0 },
	{ BERTH_GET,	"/probe/pipe-down",	NULL,	probe_pipe_down, 0, 0 },
	{ BERTH_POST,	"/probe/upload",	NULL,	probe_upload,
	    BERTH_ROUTE_STREAM_BODY, 0 },
	{ BERTH_POST,	"/probe/hijack",	NULL,	probe_hijack,	0, 0 },
	{ BERTH_GET,	"/probe/stream",	NULL,	probe_stream,	0, 0 },
	{ BERTH_POST,	"/probe/json",		NULL,	probe_json,	0, 0 },
	{ BERTH_GET,	"/probe/slow",		NULL,	probe_slow,	0, 0 },
};

static int
probe_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	probe.h = h;
	*statep = &probe;
	return h->route(h, probe_routes,
	    sizeof(probe_routes) / sizeof(probe_routes[0]), &probe, err);
}

static void
probe_fini(void *state)
{
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "http-probe",
	.version = "0.1.0",
	.init = probe_init,
	.fini = probe_fini,
};

/*
 * containers_attach.c - POST /containers/{id}/attach and resize.
 *
 * The connection is hijacked here and handed to the runtime driver's
 * monitor, which streams from then on.  The CLI attaches before it
 * starts the container, when no monitor exists yet: such connections
 * are held (fd and flags) and handed over by start, after the runtime
 * has created the container and before it starts it, so that the
 * first byte the process writes reaches them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/json.h>

#include "containers.h"

struct attach_req {
	struct ctr	*c;
	uint32_t	 flags;
	int		 stream;
	char		*detach_keys;
};

/*
 * attach?logs=1&stream=0: the log so far, then the end, whether the
 * container runs or not (dockerd's attach replays the log and, without
 * stream, stops there).  A worker writes the json-file's lines to the
 * hijacked socket, framed unless the container has a terminal.
 */
#define REPLAY_DELAY_MS	20

struct replay {
	const struct berth_host	*h;
	int	 fd;
	int	 tty;
	uint32_t flags;
	char	 path[PATH_MAX];
};

static int
replay_write(int fd, const void *p, size_t n)
{
	const char	*b = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
replay_work(void *arg)
{
	struct replay	*r = arg;
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0, n;
	json_object	*o;
	const char	*s, *stream;
	unsigned char	 hdr[8];
	int		 err;

	(void)fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) & ~O_NONBLOCK);
	if ((f = fopen(r->path, "re")) == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		if ((o = json_tokener_parse(line)) == NULL)
			continue;
		s = berth_json_str(o, "log");
		stream = berth_json_str(o, "stream");
		err = stream != NULL && strcmp(stream, "stderr") == 0;
		if (s == NULL || !(r->flags & (err ? BERTH_ATTACH_STDERR :
		    BERTH_ATTACH_STDOUT))) {
			json_object_put(o);
			continue;
		}
		n = strlen(s);
		memset(hdr, 0, sizeof(hdr));
		hdr[0] = err ? 2 : 1;
		hdr[4] = (unsigned char)(n >> 24);
		hdr[5] = (unsigned char)(n >> 16);
		hdr[6] = (unsigned char)(n >> 8);
		hdr[7] = (unsigned char)n;
		if ((!r->tty && replay_write(r->fd, hdr, sizeof(hdr)) < 0) ||
		    replay_write(r->fd, s, n) < 0) {
			json_object_put(o);
			break;
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
}

static void
replay_done(void *arg)
{
	struct replay	*r = arg;

	close(r->fd);
	free(r);
}

static void
replay_go(void *arg)
{
	struct replay	*r = arg;

	if (r->h->work(r->h, replay_work, replay_done, r) < 0)
		replay_done(r);
}

static void
attach_replay(struct ctr *c, int fd, uint32_t flags)
{
	struct replay	*r;
	json_object	*v = berth_json_get(c->config, "Tty");

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    containers_log_path(c, r->path, sizeof(r->path)) < 0) {
		free(r);
		close(fd);
		return;
	}
	r->fd = fd;
	r->tty = v != NULL && json_object_get_boolean(v);
	r->flags = flags;
	r->h = c->cs->h;
	/*
	 * A moment after the 101: docker-py reads the response's headers
	 * through a buffered reader and then the raw socket, so bytes that
	 * arrive with the headers are lost to it.
	 */
	if (r->h->timer_add(r->h, REPLAY_DELAY_MS, replay_go, r) == NULL)
		replay_go(r);
}

static void
attach_handed(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	if (rc < 0)
		c->cs->h->log(c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: attach: %s", c->id,
		    err != NULL ? err->msg : strerror(-rc));
	ctr_unref(c);
}

static void
attach_hijacked(void *arg, int fd, const void *pending, size_t npending)
{
	struct attach_req		*ar = arg;
	struct ctr			*c = ar->c;
	const struct berth_runtime_ops	*rt;
	void				*rst;
	struct ctr_attach		*a;
	struct berth_err		 err = BERTH_ERR_INIT;

	if (fd < 0)
		goto out;
	if (npending > 0)
		c->cs->h->log(c->cs->h, BERTH_LOG_DEBUG,
		    "container %.12s: %zu bytes sent before the upgrade "
		    "dropped", c->id, npending);
	if (c->removed) {
		close(fd);
		goto out;
	}
	if (!ar->stream && (ar->flags & BERTH_ATTACH_LOGS)) {
		attach_replay(c, fd, ar->flags);
		goto out;
	}
	if (c->st.rt_created && (c->st.status == CTR_RUNNING ||
	    c->st.status == CTR_PAUSED) && !c->starting) {
		if ((rt = containers_runtime_of(c, &rst, &err)) == NULL) {
			close(fd);
			goto out;
		}
		ctr_ref(c);
		rt->attach(rst, c->id, NULL, fd, ar->flags, ar->detach_keys,
		    attach_handed, c);
		goto out;
	}
	/* Nothing runs and nothing will stream: nothing to wait for. */
	if (!ar->stream) {
		close(fd);
		goto out;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		close(fd);
		goto out;
	}
	a->fd = fd;
	a->flags = ar->flags;
	a->detach_keys = ar->detach_keys;
	ar->detach_keys = NULL;
	TAILQ_INSERT_TAIL(&c->attaches, a, entry);
out:
	free(ar->detach_keys);
	ctr_unref(c);
	free(ar);
}

void
containers_h_attach(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	const char		*ref = h->req_param(req, "id");
	const char		*keys = h->req_query(req, "detachKeys", 0);
	struct berth_err	 err = BERTH_ERR_INIT;
	struct attach_req	*ar;
	struct ctr		*c;
	char			 msg[BERTH_ERR_MSGLEN + 4];
	int			 n;

	if ((c = containers_find(cs, ref, &err)) == NULL) {
		/* Docker answers attach errors as raw text, not JSON. */
		n = snprintf(msg, sizeof(msg), "%s\r\n", err.msg);
		h->resp_raw(req, err.code == -ENOENT ? 404 : 400,
		    "application/vnd.docker.raw-stream", msg, (size_t)n);
		return;
	}
	if (c->removing) {
		n = snprintf(msg, sizeof(msg), "container %s is being "
		    "removed\r\n", c->id);
		h->resp_raw(req, 409, "application/vnd.docker.raw-stream",
		    msg, (size_t)n);
		return;
	}
	if ((ar = calloc(1, sizeof(*ar))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	ar->c = c;
	ar->stream = h->req_query_bool(req, "stream");
	if (h->req_query_bool(req, "stdin"))
		ar->flags |= BERTH_ATTACH_STDIN;
	if (h->req_query_bool(req, "stdout"))
		ar->flags |= BERTH_ATTACH_STDOUT;
	if (h->req_query_bool(req, "stderr"))
		ar->flags |= BERTH_ATTACH_STDERR;
	if (h->req_query_bool(req, "logs"))
		ar->flags |= BERTH_ATTACH_LOGS;
	if (keys != NULL && *keys != '\0' &&
	    (ar->detach_keys = strdup(keys)) == NULL) {
		free(ar);
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	ctr_ref(c);
	containers_emit(c, "attach", NULL);
	h->resp_hijack(req, 0, attach_hijacked, ar);
}

struct attach_flush {
	struct ctr	*c;
	int		 left;
	ctr_done_cb	 cb;
	void		*arg;
};

static void
attach_flushed_one(void *arg, int rc, const struct berth_err *err)
{
	struct attach_flush	*af = arg;

	if (rc < 0)
		af->c->cs->h->log(af->c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: attach: %s", af->c->id,
		    err != NULL ? err->msg : strerror(-rc));
	if (--af->left > 0)
		return;
	af->cb(af->arg, 0, NULL);
	ctr_unref(af->c);
	free(af);
}

/*
 * Hand every held attach to the runtime (its container now exists);
 * cb once the driver has taken them all.
 */
void
containers_attach_flush(struct ctr *c, ctr_done_cb cb, void *arg)
{
	const struct berth_runtime_ops	*rt;
	void				*rst;
	struct berth_err		 err = BERTH_ERR_INIT;
	struct attach_flush		*af;
	struct ctr_attach		*a;

	if (TAILQ_EMPTY(&c->attaches) ||
	    (rt = containers_runtime_of(c, &rst, &err)) == NULL ||
	    (af = calloc(1, sizeof(*af))) == NULL) {
		containers_attach_drop(c);
		cb(arg, 0, NULL);
		return;
	}
	af->c = c;
	af->cb = cb;
	af->arg = arg;
	ctr_ref(c);
	/* One extra count so no callback finishes before the loop ends. */
	af->left = 1;
	while ((a = TAILQ_FIRST(&c->attaches)) != NULL) {
		TAILQ_REMOVE(&c->attaches, a, entry);
		af->left++;
		rt->attach(rst, c->id, NULL, a->fd, a->flags, a->detach_keys,
		    attach_flushed_one, af);
		free(a->detach_keys);
		free(a);
	}
	attach_flushed_one(af, 0, NULL);
}

/* Close held attaches: the container will not run (removed, failed). */
void
containers_attach_drop(struct ctr *c)
{
	struct ctr_attach	*a;

	while ((a = TAILQ_FIRST(&c->attaches)) != NULL) {
		TAILQ_REMOVE(&c->attaches, a, entry);
		close(a->fd);
		free(a->detach_keys);
		free(a);
	}
}

struct resize_req {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
	unsigned		 h, w;
};

static void
resize_done(void *arg, int rc, const struct berth_err *err)
{
	struct resize_req	*rr = arg;
	struct berth_err	 e2 = BERTH_ERR_INIT;
	json_object		*a;
	char			 buf[16];

	if (rc < 0)
		rr->cs->h->resp_error(rr->req, containers_rt_err(rr->c, rc,
		    err, &e2));
	else {
		a = json_object_new_object();
		snprintf(buf, sizeof(buf), "%u", rr->h);
		json_object_object_add(a, "height", json_object_new_string(buf));
		snprintf(buf, sizeof(buf), "%u", rr->w);
		json_object_object_add(a, "width", json_object_new_string(buf));
		containers_emit(rr->c, "resize", a);
		json_object_put(a);
		rr->cs->h->resp_status(rr->req, 200);
	}
	ctr_unref(rr->c);
	free(rr);
}

void
containers_h_resize(struct berth_req *req, void *state)
{
	struct containers		*cs = state;
	const struct berth_host		*h = cs->h;
	struct berth_err		 err = BERTH_ERR_INIT;
	const struct berth_runtime_ops	*rt;
	void				*rst;
	struct resize_req		*rr;
	struct ctr			*c;
	unsigned			 rows, cols;

	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if (containers_req_size(h, req, &rows, &cols, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if (containers_admit(c, CTR_OP_RESIZE, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if ((rt = containers_runtime_of(c, &rst, &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if ((rr = calloc(1, sizeof(*rr))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	rr->cs = cs;
	rr->req = req;
	rr->c = c;
	rr->h = rows;
	rr->w = cols;
	ctr_ref(c);
	rt->resize(rst, c->id, NULL, rows, cols, resize_done, rr);
}

/*
 * containers_logs.c - GET /containers/{id}/logs from the json-file log
 * the runtime's monitor writes (one {"log","stream","time"} object per
 * line, Docker's format).
 *
 * The file is read in work jobs, a slice at a time, and only whole
 * lines are consumed.  With follow, an idle reader polls every
 * LOGS_POLL_MS while the container runs, and ends once it has stopped
 * and a last read found nothing more.  The client's pace bounds the
 * reading: no new slice is read while the response holds more than
 * LOGS_HIGH_WATER unsent bytes.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/json.h>

#include "containers.h"

#define LOGS_SLICE	(256u << 10)
#define LOGS_HIGH_WATER	(1u << 20)
#define LOGS_POLL_MS	50

struct logs_job {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
	char			 path[PATH_MAX];
	int			 want_out;
	int			 want_err;
	int			 timestamps;
	int			 follow;
	int			 tty;
	int64_t			 since;
	int64_t			 until;		/* 0: none */
	long			 tail;		/* -1: all */
	off_t			 off;
	int			 first;
	int			 closed;
	int			 final_pass;	/* after the container stopped */
	int			 draining;	/* waiting for resp_on_drain */
	struct berth_timer	*t;
	/* worker results */
	char			*out;
	size_t			 outlen;
	size_t			 outcap;
	int			 more;		/* the slice was full */
	int			 done;		/* past until: stop */
};

int
containers_log_path(const struct ctr *c, char *buf, size_t len)
{
	int	n;

	n = snprintf(buf, len, "%s/%s/%s-json.log", c->cs->root, c->id,
	    c->id);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* --log-driver none: no log file at all. */
int
containers_log_none(const struct ctr *c)
{
	const char	*t = berth_json_str(berth_json_get(c->hostconfig,
	    "LogConfig"), "Type");

	return t != NULL && strcmp(t, "none") == 0;
}

static int
logs_append(struct logs_job *j, const void *p, size_t len)
{
	char	*n;
	size_t	 cap;

	if (j->outlen + len > j->outcap) {
		cap = j->outcap != 0 ? j->outcap : 4096;
		while (cap < j->outlen + len)
			cap *= 2;
		if ((n = realloc(j->out, cap)) == NULL)
			return -ENOMEM;
		j->out = n;
		j->outcap = cap;
	}
	memcpy(j->out + j->outlen, p, len);
	j->outlen += len;
	return 0;
}

/* The offset where the last n lines of fd begin. */
static off_t
logs_tail_offset(int fd, long n)
{
	char	 buf[8192];
	off_t	 end, pos;
	ssize_t	 r, i;
	long	 seen = 0;
	struct stat sb;

	if (fstat(fd, &sb) == -1 || sb.st_size == 0)
		return 0;
	end = sb.st_size;
	pos = end;
	/* The last byte is the final line's newline: not a boundary. */
	while (pos > 0) {
		size_t want = pos > (off_t)sizeof(buf) ? sizeof(buf) :
		    (size_t)pos;

		pos -= (off_t)want;
		if ((r = pread(fd, buf, want, pos)) <= 0)
			return 0;
		for (i = r - 1; i >= 0; i--) {
			if (buf[i] != '\n' || pos + i == end - 1)
				continue;
			if (++seen == n)
				return pos + i + 1;
		}
	}
	return 0;
}

/* One log line -> the client's bytes (framed unless tty). */
static void
logs_line(struct logs_job *j, const char *line, size_t len)
{
	json_object	*o;
	const char	*log, *stream, *ts;
	int64_t		 ns = 0;
	char		 hdr[8], pre[64];
	size_t		 llen, plen = 0;
	int		 fd;

	if ((o = json_tokener_parse(line)) == NULL)
		return;
	(void)len;
	log = berth_json_str(o, "log");
	stream = berth_json_str(o, "stream");
	ts = berth_json_str(o, "time");
	if (log == NULL || stream == NULL)
		goto out;
	fd = strcmp(stream, "stderr") == 0 ? 2 : 1;
	if ((fd == 1 && !j->want_out) || (fd == 2 && !j->want_err))
		goto out;
	if (ts != NULL)
		(void)containers_time_parse(ts, &ns);
	if (j->since != 0 && ns < j->since)
		goto out;
	if (j->until != 0 && ns > j->until) {
		j->done = 1;
		goto out;
	}
	if (j->timestamps) {
		char	t[64], *dot, *z;

		containers_time_fmt(ns, t, sizeof(t));
		/* Docker pads the fraction to nine digits here. */
		if ((z = strchr(t, 'Z')) != NULL)
			*z = '\0';
		if ((dot = strchr(t, '.')) == NULL)
			plen = (size_t)snprintf(pre, sizeof(pre),
			    "%s.000000000Z ", t);
		else
			plen = (size_t)snprintf(pre, sizeof(pre),
			    "%s%.*sZ ", t, (int)(10 - strlen(dot)),
			    "000000000");
	}
	llen = strlen(log);
	if (!j->tty) {
		uint32_t n = (uint32_t)(llen + plen);

		hdr[0] = (char)fd;
		hdr[1] = hdr[2] = hdr[3] = 0;
		hdr[4] = (char)(n >> 24);
		hdr[5] = (char)(n >> 16);
		hdr[6] = (char)(n >> 8);
		hdr[7] = (char)n;
		(void)logs_append(j, hdr, sizeof(hdr));
	}
	if (plen > 0)
		(void)logs_append(j, pre, plen);
	(void)logs_append(j, log, llen);
out:
	json_object_put(o);
}

static void
logs_work(void *arg)
{
	struct logs_job	*j = arg;
	char		*buf, *p, *nl;
	ssize_t		 r;
	int		 fd;

	j->outlen = 0;
	j->more = 0;
	if ((fd = open(j->path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (j->first) {
		j->first = 0;
		if (j->tail >= 0)
			j->off = j->tail == 0 ? lseek(fd, 0, SEEK_END) :
			    logs_tail_offset(fd, j->tail);
		if (j->off < 0)
			j->off = 0;
	}
	if ((buf = malloc(LOGS_SLICE + 1)) == NULL) {
		close(fd);
		return;
	}
	r = pread(fd, buf, LOGS_SLICE, j->off);
	close(fd);
	if (r <= 0) {
		free(buf);
		return;
	}
	buf[r] = '\0';
	p = buf;
	while (!j->done && (nl = memchr(p, '\n', (size_t)(buf + r - p))) !=
	    NULL) {
		*nl = '\0';
		logs_line(j, p, (size_t)(nl - p));
		j->off += nl + 1 - p;
		p = nl + 1;
	}
	j->more = r == (ssize_t)LOGS_SLICE && !j->done;
	free(buf);
}

static void	logs_next(struct logs_job *);
static void	logs_done(void *);

static void
logs_finish(struct logs_job *j)
{
	if (j->t != NULL)
		j->cs->h->timer_del(j->cs->h, j->t);
	j->cs->h->resp_end(j->req);
	ctr_unref(j->c);
	free(j->out);
	free(j);
}

static void
logs_read(struct logs_job *j)
{
	if (j->cs->h->work(j->cs->h, logs_work, logs_done, j) < 0)
		logs_finish(j);
}

static void
logs_tick(void *arg)
{
	struct logs_job	*j = arg;

	j->t = NULL;
	if (j->closed) {
		logs_finish(j);
		return;
	}
	logs_read(j);
}

static void
logs_drained(void *arg)
{
	struct logs_job	*j = arg;

	j->draining = 0;
	logs_next(j);
}

static int
logs_live(const struct ctr *c)
{
	return !c->removed && (c->starting || c->st.status == CTR_RUNNING ||
	    c->st.status == CTR_PAUSED || c->st.status == CTR_RESTARTING);
}

static void
logs_next(struct logs_job *j)
{
	if (j->closed || j->done) {
		logs_finish(j);
		return;
	}
	if (j->cs->h->resp_buffered(j->req) > LOGS_HIGH_WATER) {
		j->draining = 1;
		j->cs->h->resp_on_drain(j->req, logs_drained, j);
		return;
	}
	if (j->more) {
		logs_read(j);
		return;
	}
	if (!j->follow) {
		logs_finish(j);
		return;
	}
	if (!logs_live(j->c)) {
		/* One last read for what the monitor wrote at exit. */
		if (j->final_pass) {
			logs_finish(j);
			return;
		}
		j->final_pass = 1;
		logs_read(j);
		return;
	}
	j->t = j->cs->h->timer_add(j->cs->h, LOGS_POLL_MS, logs_tick, j);
}

static void
logs_done(void *arg)
{
	struct logs_job	*j = arg;

	if (j->outlen > 0 && !j->closed &&
	    j->cs->h->resp_write(j->req, j->out, j->outlen) < 0)
		j->closed = 1;
	logs_next(j);
}

static void
logs_closed(void *arg)
{
	struct logs_job	*j = arg;

	j->closed = 1;
	if (j->t != NULL) {
		j->cs->h->timer_del(j->cs->h, j->t);
		j->t = NULL;
		logs_finish(j);
	} else if (j->draining) {
		/* A gone client never drains. */
		logs_finish(j);
	}
}

void
containers_h_logs(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct logs_job		*j;
	struct ctr		*c;
	const char		*s;
	json_object		*v;

	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if (containers_log_none(c)) {
		berth_err_set(&err, -ENOTSUP, "configured logging driver does "
		    "not support reading");
		h->resp_error(req, &err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	j->cs = cs;
	j->req = req;
	j->c = c;
	j->want_out = h->req_query_bool(req, "stdout");
	j->want_err = h->req_query_bool(req, "stderr");
	j->timestamps = h->req_query_bool(req, "timestamps");
	j->follow = h->req_query_bool(req, "follow");
	v = berth_json_get(c->config, "Tty");
	j->tty = v != NULL && json_object_get_boolean(v);
	j->tail = -1;
	j->first = 1;
	if (!j->want_out && !j->want_err) {
		free(j);
		berth_err_set(&err, -EINVAL, "Bad parameters: you must choose "
		    "at least one stream");
		h->resp_error(req, &err);
		return;
	}
	if ((s = h->req_query(req, "tail", 0)) != NULL && *s != '\0' &&
	    strcmp(s, "all") != 0) {
		char *end;

		j->tail = strtol(s, &end, 10);
		if (*end != '\0' || j->tail < 0)
			j->tail = -1;
	}
	if ((s = h->req_query(req, "since", 0)) != NULL && *s != '\0' &&
	    strcmp(s, "0") != 0 && containers_ts_parse(s, &j->since) < 0) {
		free(j);
		berth_err_set(&err, -EINVAL, "invalid value for \"since\": %s",
		    s);
		h->resp_error(req, &err);
		return;
	}
	if ((s = h->req_query(req, "until", 0)) != NULL && *s != '\0' &&
	    strcmp(s, "0") != 0 && containers_ts_parse(s, &j->until) < 0) {
		free(j);
		berth_err_set(&err, -EINVAL, "invalid value for \"until\": %s",
		    s);
		h->resp_error(req, &err);
		return;
	}
	containers_log_path(c, j->path, sizeof(j->path));
	ctr_ref(c);
	h->req_on_close(req, logs_closed, j);
	/* 20.10 sends no Content-Type here; the CLI frames by the Tty. */
	h->resp_start(req, 200, NULL);
	logs_read(j);
}

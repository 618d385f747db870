/*
 * containers_logs.c - GET /containers/{id}/logs from the json-file log
 * the runtime's monitor writes (one {"log","stream","time"} object per
 * line, Docker's format).
 *
 * The file is read in work jobs, a slice at a time, and only whole
 * lines are consumed.  With max-size the monitor rotates it (<log>.1 is
 * the newest rotated file): a read starts in the oldest that holds what
 * it wants and goes on file by file, and follows its file by inode
 * across a rotation.  With follow, an idle reader polls every
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
#define LOGS_MAX_GEN	1000	/* rotated files looked for, at most */

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
	int			 gen;		/* 0: the live file, n: path.n */
	dev_t			 dev;		/* the file read, which rotation */
	ino_t			 ino;		/* renames: found by inode */
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

/*
 * Go's units.FromHumanSize, as json-file reads max-size: "10m", "1.5g",
 * "100kb", "2 MiB"; decimal multiples whatever the "i".  -1 if bad.
 */
static int64_t
logs_human_size(const char *s)
{
	static const char	 units[] = "kmgtp";
	const char		*p = s, *u;
	double			 v;
	char			*end;
	int			 i;

	if (*p < '0' || *p > '9')
		return -1;
	v = strtod(p, &end);
	p = end;
	if (*p == ' ')
		p++;
	if (*p != '\0' && (u = strchr(units, *p | 0x20)) != NULL) {
		for (i = 0; i <= u - units; i++)
			v *= 1000;
		p++;
		if ((*p | 0x20) == 'i')
			p++;
	}
	if ((*p | 0x20) == 'b')
		p++;
	if (*p != '\0' || v > 9.2e18)
		return -1;
	return (int64_t)v;
}

/*
 * Docker's json-file options, checked with its words: the known keys
 * only, max-size, max-file and compress parsed.  *max_size 0 when not
 * set (no rotation).  labels, env and tag are accepted and, as berth's
 * log lines carry no attributes, not used; compress is accepted and the
 * rotated files are kept as they are.
 */
int
containers_log_opts(json_object *hostconfig, int64_t *max_size,
    int *max_files, struct berth_err *err)
{
	static const char *const known[] = { "max-file", "max-size",
	    "compress", "labels", "labels-regex", "env", "env-regex", "tag",
	    NULL };
	json_object	*lc = berth_json_get(hostconfig, "LogConfig");
	json_object	*cfg = berth_json_get(lc, "Config");
	const char	*t = berth_json_str(lc, "Type"), *v;
	char		*end;
	long		 n;
	size_t		 i;

	*max_size = 0;
	*max_files = 1;
	if ((t != NULL && strcmp(t, "json-file") != 0) || cfg == NULL ||
	    !json_object_is_type(cfg, json_type_object))
		return 0;
	json_object_object_foreach(cfg, key, val) {
		(void)val;
		for (i = 0; known[i] != NULL && strcmp(known[i], key) != 0; i++)
			;
		if (known[i] == NULL)
			return berth_err_set(err, -EINVAL, "unknown log opt "
			    "'%s' for json-file log driver", key);
	}
	if ((v = berth_json_str(cfg, "max-size")) != NULL) {
		if ((*max_size = logs_human_size(v)) < 0)
			return berth_err_set(err, -EINVAL,
			    "invalid size: '%s'", v);
		if (*max_size == 0)
			return berth_err_set(err, -EINVAL,
			    "max-size must be a positive number");
	}
	if ((v = berth_json_str(cfg, "max-file")) != NULL) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || n > INT_MAX)
			return berth_err_set(err, -EINVAL, "strconv.Atoi: "
			    "parsing \"%s\": invalid syntax", v);
		if (n < 1)
			return berth_err_set(err, -EINVAL,
			    "max-file cannot be less than 1");
		*max_files = (int)n;
	}
	if ((v = berth_json_str(cfg, "compress")) != NULL) {
		static const char *const yes[] = { "1", "t", "T", "TRUE",
		    "true", "True", NULL };
		static const char *const no[] = { "0", "f", "F", "FALSE",
		    "false", "False", NULL };
		int	on = -1;

		for (i = 0; yes[i] != NULL; i++)
			if (strcmp(v, yes[i]) == 0)
				on = 1;
		for (i = 0; no[i] != NULL; i++)
			if (strcmp(v, no[i]) == 0)
				on = 0;
		if (on < 0)
			return berth_err_set(err, -EINVAL, "strconv.ParseBool: "
			    "parsing \"%s\": invalid syntax", v);
		if (on && (*max_files == 1 || *max_size == 0))
			return berth_err_set(err, -EINVAL, "compress cannot be "
			    "true when max-file is less than 2 or max-size is "
			    "not set");
	}
	return 0;
}

/*
 * dockerd's log-driver and log-opts, from the module's config: a
 * {"Type","Config"} object (new), checked as a container's would be.
 * NULL with err if they are wrong.
 */
json_object *
containers_log_default(json_object *conf, struct berth_err *err)
{
	const char	*t = berth_json_str(conf, "log-driver");
	json_object	*opts = berth_json_get(conf, "log-opts");
	json_object	*lc, *hc;
	int64_t		 size;
	int		 files;

	if (t == NULL || *t == '\0')
		t = "json-file";
	if (strcmp(t, "json-file") != 0 && strcmp(t, "none") != 0) {
		berth_err_set(err, -EINVAL, "log-driver: no log driver named "
		    "'%s' is registered", t);
		return NULL;
	}
	lc = json_object_new_object();
	json_object_object_add(lc, "Type", json_object_new_string(t));
	json_object_object_add(lc, "Config", opts != NULL &&
	    json_object_is_type(opts, json_type_object) ?
	    json_object_get(opts) : json_object_new_object());
	hc = json_object_new_object();
	json_object_object_add(hc, "LogConfig", json_object_get(lc));
	if (containers_log_opts(hc, &size, &files, err) < 0) {
		char	msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		berth_err_set(err, err->code, "log-opts: %s", msg);
		json_object_put(lc);
		lc = NULL;
	}
	json_object_put(hc);
	return lc;
}

/*
 * A new container's LogConfig, as dockerd's mergeAndVerifyLogConfig:
 * no Type takes the default's; with the default's Type, each of the
 * default's options the container does not set is added.  Then checked.
 */
int
containers_log_config(struct containers *cs, json_object *hc,
    struct berth_err *err)
{
	json_object	*lc = berth_json_get(hc, "LogConfig"), *cfg, *dflt;
	const char	*t, *dt = berth_json_str(cs->log_default, "Type");
	int64_t		 size;
	int		 files;

	if (dt == NULL)
		dt = "json-file";

	if (lc == NULL || !json_object_is_type(lc, json_type_object)) {
		lc = json_object_new_object();
		json_object_object_add(hc, "LogConfig", lc);
	}
	t = berth_json_str(lc, "Type");
	if (t == NULL || *t == '\0')
		json_object_object_add(lc, "Type", json_object_new_string(dt));
	else if (strcmp(t, "json-file") != 0 && strcmp(t, "none") != 0)
		return berth_err_set(err, -EINVAL,
		    "logger: no log driver named '%s' is registered", t);
	t = berth_json_str(lc, "Type");
	if ((cfg = berth_json_get(lc, "Config")) == NULL ||
	    !json_object_is_type(cfg, json_type_object)) {
		cfg = json_object_new_object();
		json_object_object_add(lc, "Config", cfg);
	}
	dflt = berth_json_get(cs->log_default, "Config");
	if (strcmp(t, dt) == 0 && dflt != NULL) {
		json_object_object_foreach(dflt, key, val)
			if (berth_json_get(cfg, key) == NULL)
				json_object_object_add(cfg, key,
				    json_object_get(val));
	}
	return containers_log_opts(hc, &size, &files, err);
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

/*
 * The offset where the last n lines of fd begin; 0 if it has fewer,
 * with *lines the number it has.
 */
static off_t
logs_tail_offset(int fd, long n, long *lines)
{
	char	 buf[8192];
	off_t	 end, pos;
	ssize_t	 r, i;
	long	 seen = 0;
	struct stat sb;

	*lines = 0;
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
			if (++seen == n) {
				*lines = n;
				return pos + i + 1;
			}
		}
	}
	*lines = seen + 1;
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

/* Generation gen of j's log: 0 the live file, n path.n (rotated). */
static int
logs_open_gen(const struct logs_job *j, int gen)
{
	char	p[PATH_MAX + 16];

	if (gen == 0)
		return open(j->path, O_RDONLY | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s.%d", j->path, gen);
	return open(p, O_RDONLY | O_CLOEXEC);
}

/* The oldest generation there is (0 if none was rotated). */
static int
logs_oldest(const struct logs_job *j)
{
	int	gen, fd;

	for (gen = 1; gen <= LOGS_MAX_GEN; gen++) {
		if ((fd = logs_open_gen(j, gen)) == -1)
			break;
		close(fd);
	}
	return gen - 1;
}

/* Read from gen, at off, from now on. */
static int
logs_switch(struct logs_job *j, int gen, off_t off)
{
	struct stat	st;
	int		fd;

	if ((fd = logs_open_gen(j, gen)) == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	j->gen = gen;
	j->dev = st.st_dev;
	j->ino = st.st_ino;
	j->off = off;
	return fd;
}

/*
 * The file j reads, found again.  Rotation only renames a file one
 * generation up, so it is at j->gen or above; the live file may be
 * missing for a moment, between its rename and the new one.  If it was
 * the oldest and is gone, the oldest left is read from its start.
 */
static int
logs_open(struct logs_job *j)
{
	struct stat	st;
	int		gen, fd;

	for (gen = j->gen; gen <= LOGS_MAX_GEN; gen++) {
		if ((fd = logs_open_gen(j, gen)) == -1) {
			if (gen == 0)
				continue;
			break;
		}
		if (fstat(fd, &st) == 0 && st.st_dev == j->dev &&
		    st.st_ino == j->ino) {
			j->gen = gen;
			/* max-file 1: emptied in place. */
			if (st.st_size < j->off)
				j->off = 0;
			return fd;
		}
		close(fd);
	}
	return logs_switch(j, logs_oldest(j), 0);
}

/* Where a read starts: the oldest file, the end, or `tail` lines back. */
static int
logs_first(struct logs_job *j)
{
	long	left = j->tail, lines;
	off_t	off;
	int	gen, oldest = logs_oldest(j), fd;

	if (j->tail < 0)
		return logs_switch(j, oldest, 0);
	if (j->tail == 0) {
		if ((fd = logs_switch(j, 0, 0)) >= 0 &&
		    (j->off = lseek(fd, 0, SEEK_END)) < 0)
			j->off = 0;
		return fd;
	}
	for (gen = 0; gen <= oldest; gen++) {
		if ((fd = logs_switch(j, gen, 0)) < 0)
			continue;
		off = logs_tail_offset(fd, left, &lines);
		if (lines >= left || gen == oldest) {
			j->off = off;
			return fd;
		}
		left -= lines;
		close(fd);
	}
	return logs_switch(j, 0, 0);
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
	if (j->first) {
		j->first = 0;
		fd = logs_first(j);
	} else
		fd = logs_open(j);
	if (fd == -1)
		return;
	if ((buf = malloc(LOGS_SLICE + 1)) == NULL) {
		close(fd);
		return;
	}
	r = pread(fd, buf, LOGS_SLICE, j->off);
	close(fd);
	if (r < 0)
		r = 0;
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
	/* A rotated file read to its end: on to the next newer one. */
	if (!j->more && !j->done && j->gen > 0 &&
	    (fd = logs_switch(j, j->gen - 1, 0)) >= 0) {
		close(fd);
		j->more = 1;
	}
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

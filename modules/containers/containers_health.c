/*
 * containers_health.c - Docker's HEALTHCHECK (daemon/health.go).
 *
 * While a container whose Config.Healthcheck has a Test runs, a probe
 * runs every Interval: an exec of the Test (["CMD", args...] as it is,
 * ["CMD-SHELL", cmd] through /bin/sh -c; ["NONE"] or none: no checks),
 * with the exec events dockerd sends for its probes too.  A probe that
 * exits 0 makes the container healthy and clears the failing streak;
 * any other end (a code, a start that failed, Timeout reached) adds to
 * the streak, except while StartPeriod lasts, and Retries in a row make
 * it unhealthy.  Each change of status is a `health_status: <status>`
 * event.  The last five results are kept, with the first 4096 bytes of
 * what the probe wrote to stdout and stderr.  A probe past its Timeout
 * is recorded as failed (exit -1) and its process left to end, as
 * dockerd does.  Every start begins again at "starting"; a restart of
 * berthd goes on from the status it saved.
 *
 * Ownership: c->health (struct ctr_health) is the container's; a probe
 * (struct hprobe) is its exec's until the exec has told its end, and
 * holds a reference on the container.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/json.h>

#include "containers.h"

#define HEALTH_INTERVAL_NS	(30LL * 1000000000LL)
#define HEALTH_TIMEOUT_NS	(30LL * 1000000000LL)
#define HEALTH_RETRIES		3
#define HEALTH_LOG_MAX		5
#define HEALTH_OUTPUT_MAX	4096

enum health_status {
	HEALTH_STARTING = 1,
	HEALTH_HEALTHY,
	HEALTH_UNHEALTHY,
};

struct hprobe;

struct ctr_health {
	enum health_status	 status;
	int			 failing;	/* FailingStreak */
	json_object		*log;		/* Log: an array, owned */
	struct berth_timer	*timer;		/* the next probe */
	struct hprobe		*probe;		/* the one running, or NULL */
	int64_t			 since_ns;	/* monitoring began */
	int			 active;
};

struct hprobe {
	struct ctr		*c;		/* referenced */
	int			 fd;		/* our end of the output */
	struct berth_watch	*w;
	struct berth_timer	*timeout;
	int64_t			 start_ns;
	int64_t			 timeout_ns;
	char			 out[HEALTH_OUTPUT_MAX];
	size_t			 outlen;
	unsigned char		 hdr[8];	/* the frame header being read */
	size_t			 hdrlen;
	uint32_t		 left;		/* of the frame's payload */
	int			 code;
	int			 exited;	/* the exec told its end */
	int			 eof;
	int			 done;		/* recorded (or given up) */
};

static const char *const health_names[] = {
	"none", "starting", "healthy", "unhealthy"
};

/* --- the configuration ------------------------------------------------- */

static int64_t
health_ns(json_object *hc, const char *k, int64_t dflt)
{
	json_object	*v = berth_json_get(hc, k);
	int64_t		 n = v != NULL ? json_object_get_int64(v) : 0;

	return n > 0 ? n : dflt;
}

/* The probe's command, or NULL if the container has no checks. */
static json_object *
health_cmd(const struct ctr *c)
{
	json_object	*hc = berth_json_get(c->config, "Healthcheck");
	json_object	*test = berth_json_get(hc, "Test"), *cmd;
	const char	*kind;
	size_t		 i, n;

	if (test == NULL || !json_object_is_type(test, json_type_array) ||
	    (n = json_object_array_length(test)) == 0 ||
	    (kind = json_object_get_string(json_object_array_get_idx(test,
	    0))) == NULL || strcmp(kind, "NONE") == 0)
		return NULL;
	cmd = json_object_new_array();
	if (strcmp(kind, "CMD-SHELL") == 0) {
		json_object_array_add(cmd, json_object_new_string("/bin/sh"));
		json_object_array_add(cmd, json_object_new_string("-c"));
	} else if (strcmp(kind, "CMD") != 0) {
		json_object_put(cmd);
		return NULL;
	}
	for (i = 1; i < n; i++)
		json_object_array_add(cmd, json_object_get(
		    json_object_array_get_idx(test, i)));
	if (json_object_array_length(cmd) == 0 ||
	    (strcmp(kind, "CMD-SHELL") == 0 && n < 2)) {
		json_object_put(cmd);
		return NULL;
	}
	return cmd;
}

/* Go's time.Duration.String() for the timeout message ("30s", "500ms"). */
static void
go_duration(int64_t ns, char *buf, size_t len)
{
	int64_t	s = ns / 1000000000LL, frac = ns % 1000000000LL;
	char	f[16] = "";
	int	i;

	if (ns < 1000000000LL) {
		if (ns % 1000000 == 0)
			snprintf(buf, len, "%lldms", (long long)(ns / 1000000));
		else if (ns % 1000 == 0)
			snprintf(buf, len, "%lld\xc2\xb5s", (long long)(ns / 1000));
		else
			snprintf(buf, len, "%lldns", (long long)ns);
		return;
	}
	if (frac != 0) {
		snprintf(f, sizeof(f), ".%09lld", (long long)frac);
		for (i = (int)strlen(f) - 1; i > 0 && f[i] == '0'; i--)
			f[i] = '\0';
	}
	if (s >= 3600)
		snprintf(buf, len, "%lldh%lldm%lld%ss", (long long)(s / 3600),
		    (long long)(s % 3600 / 60), (long long)(s % 60), f);
	else if (s >= 60)
		snprintf(buf, len, "%lldm%lld%ss", (long long)(s / 60),
		    (long long)(s % 60), f);
	else
		snprintf(buf, len, "%lld%ss", (long long)s, f);
}

/* --- results ------------------------------------------------------------ */

static void	health_schedule(struct ctr *);

static void
health_set(struct ctr *c, enum health_status st)
{
	char	action[64];

	if (c->health->status == st)
		return;
	c->health->status = st;
	snprintf(action, sizeof(action), "health_status: %s",
	    health_names[st]);
	containers_emit(c, action, NULL);
}

static void
health_record(struct ctr *c, int64_t start_ns, int code, const char *out,
    size_t outlen)
{
	struct ctr_health	*h = c->health;
	json_object		*r, *grown;
	json_object		*hc = berth_json_get(c->config, "Healthcheck");
	char			 t[64];
	size_t			 i, n;

	r = json_object_new_object();
	containers_time_fmt(start_ns, t, sizeof(t));
	json_object_object_add(r, "Start", json_object_new_string(t));
	containers_time_fmt(containers_now_ns(), t, sizeof(t));
	json_object_object_add(r, "End", json_object_new_string(t));
	json_object_object_add(r, "ExitCode", json_object_new_int(code));
	json_object_object_add(r, "Output",
	    json_object_new_string_len(out, (int)outlen));
	/* The newest five: a new array, as the log is shared with saves. */
	grown = json_object_new_array();
	n = h->log != NULL ? json_object_array_length(h->log) : 0;
	for (i = n >= HEALTH_LOG_MAX ? n - HEALTH_LOG_MAX + 1 : 0; i < n; i++)
		json_object_array_add(grown, json_object_get(
		    json_object_array_get_idx(h->log, i)));
	json_object_array_add(grown, r);
	json_object_put(h->log);
	h->log = grown;
	if (code == 0) {
		h->failing = 0;
		health_set(c, HEALTH_HEALTHY);
	} else if (h->status != HEALTH_STARTING ||
	    containers_now_ns() - h->since_ns >=
	    health_ns(hc, "StartPeriod", 0)) {
		h->failing++;
		if (h->failing >= health_ns(hc, "Retries", HEALTH_RETRIES))
			health_set(c, HEALTH_UNHEALTHY);
	}
	containers_save(c);
}

/* --- one probe ----------------------------------------------------------- */

/* The output's end: the watch and our fd (the timeout stays). */
static void
probe_unwatch(struct hprobe *p)
{
	const struct berth_host	*h = p->c->cs->h;

	if (p->w != NULL)
		h->fd_unwatch(h, p->w);
	p->w = NULL;
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
}

static void
probe_close(struct hprobe *p)
{
	const struct berth_host	*h = p->c->cs->h;

	probe_unwatch(p);
	if (p->timeout != NULL)
		h->timer_del(h, p->timeout);
	p->timeout = NULL;
}

/*
 * Freed once both are over: the probe is recorded (or given up), and
 * its exec has told its end (or was never made).  Every path that may
 * end either calls this.
 */
static void
probe_release(struct hprobe *p)
{
	if (!p->done || !p->exited)
		return;
	probe_close(p);
	ctr_unref(p->c);
	free(p);
}

/* The probe is over: record it (code) unless monitoring stopped. */
static void
probe_done(struct hprobe *p, int code, const char *msg)
{
	struct ctr	*c = p->c;

	if (p->done)
		return;
	p->done = 1;
	probe_close(p);
	if (c->health == NULL || c->health->probe != p)
		return;
	c->health->probe = NULL;
	if (msg != NULL)
		health_record(c, p->start_ns, code, msg, strlen(msg));
	else
		health_record(c, p->start_ns, code, p->out, p->outlen);
	health_schedule(c);
}

/* The exec's end (its code, a failed start, or its record gone). */
static void
probe_exited(void *arg, int code)
{
	struct hprobe	*p = arg;

	p->exited = 1;
	p->code = code == CTR_EXEC_FORGOTTEN ? -1 : code;
	if (p->eof || code == CTR_EXEC_FORGOTTEN)
		probe_done(p, p->code, NULL);
	probe_release(p);
}

/* Keep the payload of the frames (stdout and stderr alike). */
static void
probe_take(struct hprobe *p, const unsigned char *b, size_t n)
{
	size_t	k;

	while (n > 0) {
		if (p->left == 0) {
			k = sizeof(p->hdr) - p->hdrlen;
			k = k < n ? k : n;
			memcpy(p->hdr + p->hdrlen, b, k);
			p->hdrlen += k;
			b += k;
			n -= k;
			if (p->hdrlen == sizeof(p->hdr)) {
				p->left = (uint32_t)p->hdr[4] << 24 |
				    (uint32_t)p->hdr[5] << 16 |
				    (uint32_t)p->hdr[6] << 8 | p->hdr[7];
				p->hdrlen = 0;
			}
			continue;
		}
		k = p->left < n ? p->left : n;
		if (p->outlen < sizeof(p->out)) {
			size_t	room = sizeof(p->out) - p->outlen;

			memcpy(p->out + p->outlen, b, k < room ? k : room);
			p->outlen += k < room ? k : room;
		}
		p->left -= (uint32_t)k;
		b += k;
		n -= k;
	}
}

static void
probe_readable(int fd, int events, void *arg)
{
	struct hprobe	*p = arg;
	unsigned char	 buf[4096];
	ssize_t		 n;

	(void)events;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		probe_take(p, buf, (size_t)n);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* The monitor closed it: all the output is here. */
	p->eof = 1;
	probe_unwatch(p);
	if (p->exited)
		probe_done(p, p->code, NULL);
	probe_release(p);
}

static void
probe_timeout(void *arg)
{
	struct hprobe	*p = arg;
	char		 d[32], msg[96];

	p->timeout = NULL;
	go_duration(p->timeout_ns, d, sizeof(d));
	snprintf(msg, sizeof(msg), "Health check exceeded timeout (%s)", d);
	probe_done(p, -1, msg);
	probe_release(p);
}

static void
probe_run(struct ctr *c)
{
	const struct berth_host	*h = c->cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*cmd;
	struct hprobe		*p;
	int			 sv[2];

	if ((cmd = health_cmd(c)) == NULL)
		return;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		json_object_put(cmd);
		health_schedule(c);
		return;
	}
	p->c = c;
	ctr_ref(c);
	p->fd = -1;
	p->exited = 1;		/* no exec yet: nothing will tell */
	p->start_ns = containers_now_ns();
	p->timeout_ns = health_ns(berth_json_get(c->config, "Healthcheck"),
	    "Timeout", HEALTH_TIMEOUT_NS);
	c->health->probe = p;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		berth_err_errno(&err, "socketpair");
		goto fail;
	}
	p->fd = sv[1];
	if ((p->w = h->fd_watch(h, p->fd, BERTH_FD_READ, probe_readable,
	    p)) == NULL || (p->timeout = h->timer_add(h,
	    (uint64_t)(p->timeout_ns / 1000000), probe_timeout, p)) == NULL) {
		close(sv[0]);
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	/* Takes sv[0] whatever happens; from now on the exec tells. */
	p->exited = 0;
	if (containers_exec_internal(c, cmd, sv[0], probe_exited, p,
	    &err) < 0) {
		p->exited = 1;
		goto fail;
	}
	json_object_put(cmd);
	return;
fail:
	json_object_put(cmd);
	probe_done(p, -1, err.msg);
	probe_release(p);
}

/* --- the monitor --------------------------------------------------------- */

static void
health_tick(void *arg)
{
	struct ctr	*c = arg;

	c->health->timer = NULL;
	/* A paused container is not probed; its status waits. */
	if (c->st.status == CTR_PAUSED) {
		health_schedule(c);
		return;
	}
	probe_run(c);
}

static void
health_schedule(struct ctr *c)
{
	const struct berth_host	*h = c->cs->h;
	int64_t			 ns;

	if (c->health == NULL || !c->health->active ||
	    c->health->timer != NULL || c->health->probe != NULL)
		return;
	ns = health_ns(berth_json_get(c->config, "Healthcheck"), "Interval",
	    HEALTH_INTERVAL_NS);
	c->health->timer = h->timer_add(h, (uint64_t)(ns / 1000000),
	    health_tick, c);
}

/*
 * The container runs: probe it from one Interval on.  fresh (a start)
 * begins again at "starting"; a restore goes on from the saved status.
 */
void
containers_health_start(struct ctr *c, int fresh)
{
	json_object	*cmd = health_cmd(c);

	if (cmd == NULL)
		return;
	json_object_put(cmd);
	if (c->health == NULL &&
	    (c->health = calloc(1, sizeof(*c->health))) == NULL)
		return;
	if (fresh || c->health->status == 0) {
		c->health->status = HEALTH_STARTING;
		c->health->failing = 0;
	}
	c->health->since_ns = containers_now_ns();
	c->health->active = 1;
	health_schedule(c);
}

/* It stopped: no more probes; the last status and log stay. */
void
containers_health_stop(struct ctr *c)
{
	struct ctr_health	*h = c->health;
	struct hprobe		*p;

	if (h == NULL)
		return;
	h->active = 0;
	if (h->timer != NULL)
		c->cs->h->timer_del(c->cs->h, h->timer);
	h->timer = NULL;
	if ((p = h->probe) != NULL) {
		h->probe = NULL;
		p->done = 1;
		probe_close(p);
		probe_release(p);	/* now, or when its exec tells */
	}
}

void
containers_health_free(struct ctr *c)
{
	if (c->health == NULL)
		return;
	containers_health_stop(c);
	json_object_put(c->health->log);
	free(c->health);
	c->health = NULL;
}

/* "starting", "healthy", "unhealthy", or NULL without checks. */
const char *
containers_health_status(const struct ctr *c)
{
	return c->health != NULL && c->health->status != 0 ?
	    health_names[c->health->status] : NULL;
}

/* State.Health, as inspect shows and config.v2.json keeps it. */
void
containers_health_json(const struct ctr *c, json_object *state)
{
	json_object	*o;

	if (containers_health_status(c) == NULL)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "Status", json_object_new_string(
	    containers_health_status(c)));
	json_object_object_add(o, "FailingStreak",
	    json_object_new_int(c->health->failing));
	json_object_object_add(o, "Log", c->health->log != NULL ?
	    json_object_get(c->health->log) : json_object_new_array());
	json_object_object_add(state, "Health", o);
}

/* From the saved State. */
void
containers_health_load(struct ctr *c, json_object *state)
{
	json_object	*o = berth_json_get(state, "Health"), *log;
	const char	*s = berth_json_str(o, "Status");
	int		 i;

	if (s == NULL || (c->health = calloc(1, sizeof(*c->health))) == NULL)
		return;
	for (i = HEALTH_STARTING; i <= HEALTH_UNHEALTHY; i++)
		if (strcmp(s, health_names[i]) == 0)
			c->health->status = (enum health_status)i;
	c->health->failing = json_object_get_int(berth_json_get(o,
	    "FailingStreak"));
	if ((log = berth_json_get(o, "Log")) != NULL &&
	    json_object_is_type(log, json_type_array))
		c->health->log = json_object_get(log);
}

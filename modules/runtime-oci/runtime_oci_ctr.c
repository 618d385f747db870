/*
 * runtime_oci_ctr.c - the runtime/1 ops: each container is a monitor
 * process and one control connection to it.
 *
 * create spawns berth-monitor (setsid; it daemonizes, so the spawn's
 * exit callback means "ready" or carries the error), then connects to
 * its monitor.sock and completes on the monitor's hello.  Every other op
 * is one request on that connection, answered by seq; the monitor also
 * sends exit and detach notices.  All socket I/O is non-blocking under
 * fd watches.  restore reads two small files of the monitor's state dir
 * (tmpfs) to answer at once, then reconnects.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/fs.h>

#include "runtime_oci.h"

enum call_kind {
	CALL_PLAIN,
	CALL_START,
	CALL_PAUSE,
	CALL_RESUME,
	CALL_DELETE,
	CALL_EXEC,
};

struct ctr_call {
	struct ctr_call		*next;
	uint64_t		 seq;
	enum call_kind		 kind;
	char			*exec_id;	/* CALL_EXEC's, owned */
	berth_runtime_done_cb	 done;
	void			*arg;
};

/* An exec the runtime runs: its pid until the monitor tells its exit. */
struct ctr_exec_rec {
	struct ctr_exec_rec	*next;
	char			*exec_id;
	pid_t			 pid;
};

struct ctr_out {
	struct ctr_out	*next;
	int		 fd;		/* passed with the packet, or -1 */
	size_t		 len;
	char		 data[];
};

struct runtime_oci_ctr {
	struct runtime_oci_ctr	*next;
	struct runtime_oci	*ro;
	struct runtime_oci_drv	*drv;
	char			*id;
	char			 dir[PATH_MAX];
	int			 fd;		/* monitor.sock, or -1 */
	struct berth_watch	*rw;
	struct berth_watch	*ww;
	struct ctr_out		*oh, *ot;
	struct ctr_call		*calls;
	struct ctr_exec_rec	*execs;
	uint64_t		 seq;
	struct berth_runtime_state st;
	struct berth_runtime_events ev;
	void			*ev_arg;
	int			 exit_told;	/* exited reported, or known */
	int			 creating;
	int			 errfd;
	berth_runtime_done_cb	 create_done;
	void			*create_arg;
	int			 deleting;	/* runtime delete, no monitor */
	int			 forgotten;	/* out of the table */
	int			 refs;
};

/* --- the table ---------------------------------------------------------- */

static struct runtime_oci_ctr *
ctr_find(struct runtime_oci *ro, const char *id)
{
	struct runtime_oci_ctr	*c;

	for (c = ro->ctrs; c != NULL; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

static int
id_valid(const char *s)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= '0' && s[n] <= '9') ||
		    (n > 0 && (s[n] == '-' || s[n] == '_' || s[n] == '.'))))
			return 0;
	return n > 0 && n <= 128;
}

static struct runtime_oci_ctr *
ctr_new(struct runtime_oci_drv *drv, const char *id)
{
	struct runtime_oci	*ro = drv->ro;
	struct runtime_oci_ctr	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->id = strdup(id)) == NULL) {
		free(c);
		return NULL;
	}
	snprintf(c->dir, sizeof(c->dir), "%s/runtime-oci/%s",
	    ro->h->exec_root(ro->h), id);
	c->ro = ro;
	c->drv = drv;
	c->fd = c->errfd = -1;
	c->refs = 1;		/* the table's */
	c->next = ro->ctrs;
	ro->ctrs = c;
	return c;
}

static void
call_free(struct ctr_call *k)
{
	free(k->exec_id);
	free(k);
}

static void
exec_rec_drop(struct runtime_oci_ctr *c, const char *exec_id)
{
	struct ctr_exec_rec	**xp, *x;

	for (xp = &c->execs; (x = *xp) != NULL; xp = &x->next)
		if (exec_id == NULL || strcmp(x->exec_id, exec_id) == 0) {
			*xp = x->next;
			free(x->exec_id);
			free(x);
			return;
		}
}

static void
ctr_free(struct runtime_oci_ctr *c)
{
	struct ctr_call	*k;
	struct ctr_out	*o;

	while ((k = c->calls) != NULL) {
		c->calls = k->next;
		call_free(k);
	}
	while (c->execs != NULL)
		exec_rec_drop(c, NULL);
	while ((o = c->oh) != NULL) {
		c->oh = o->next;
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	if (c->errfd != -1)
		close(c->errfd);
	free(c->id);
	free(c);
}

static void
conn_close(struct runtime_oci_ctr *c)
{
	const struct berth_host	*h = c->ro->h;
	struct ctr_out		*o;

	if (c->rw != NULL)
		h->fd_unwatch(h, c->rw);
	if (c->ww != NULL)
		h->fd_unwatch(h, c->ww);
	c->rw = c->ww = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	while ((o = c->oh) != NULL) {
		c->oh = o->next;
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	c->ot = NULL;
}

static void
ctr_release(struct runtime_oci_ctr *c)
{
	if (--c->refs == 0)
		ctr_free(c);
}

/* Fail every pending request: the monitor is gone or forgotten. */
static void
calls_fail(struct runtime_oci_ctr *c, int rc, const char *why)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ctr_call		*k;

	while ((k = c->calls) != NULL) {
		c->calls = k->next;
		berth_err_set(&err, rc, "container %s: %s", c->id, why);
		k->done(k->arg, rc, &err);
		call_free(k);
	}
}

static void
ctr_forget(struct runtime_oci_ctr *c)
{
	struct runtime_oci_ctr	**pp;

	if (c->forgotten)
		return;
	c->forgotten = 1;
	for (pp = &c->ro->ctrs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	conn_close(c);
	c->refs++;
	calls_fail(c, -ECANCELED, "deleted");
	ctr_release(c);
	ctr_release(c);		/* the table's */
}

void
runtime_oci_ctrs_free(struct runtime_oci *ro)
{
	struct runtime_oci_ctr	*c;

	/* Shutdown: callers are stopped already; the monitors run on. */
	while ((c = ro->ctrs) != NULL) {
		ro->ctrs = c->next;
		conn_close(c);
		ctr_free(c);
	}
}

/* --- answers that cannot wait for the monitor ------------------------------ */

struct deferred {
	berth_runtime_done_cb	 done;
	void			*arg;
	int			 rc;
	struct berth_err	 err;
};

static void
deferred_fire(void *arg)
{
	struct deferred	*d = arg;

	d->done(d->arg, d->rc, d->rc < 0 ? &d->err : NULL);
	free(d);
}

/* done runs later, as the header promises, even for an early error. */
__attribute__((format(printf, 5, 6)))
static void
answer_later(struct runtime_oci *ro, berth_runtime_done_cb done, void *arg,
    int rc, const char *fmt, ...)
{
	struct deferred	*d;
	va_list		 ap;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto now;
	d->done = done;
	d->arg = arg;
	d->rc = rc;
	if (fmt != NULL) {
		va_start(ap, fmt);
		berth_err_vset(&d->err, rc, fmt, ap);
		va_end(ap);
	}
	if (ro->h->timer_add(ro->h, 0, deferred_fire, d) != NULL)
		return;
	free(d);
now:
	{
		struct berth_err	err = BERTH_ERR_INIT;

		berth_err_set(&err, rc, "out of memory");
		done(arg, rc < 0 ? rc : -ENOMEM, &err);
	}
}

/* --- the control connection ------------------------------------------------ */

static int
pkt_send(int sock, const char *data, size_t len, int fd)
{
	char		 cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	return n == (ssize_t)len ? 0 : -EMSGSIZE;
}

static void conn_write(int fd, int events, void *arg);
static void conn_read(int fd, int events, void *arg);

/* Send or queue one packet; takes fd (closed once it has gone). */
static int
ctr_send(struct runtime_oci_ctr *c, const char *data, size_t len, int fd)
{
	const struct berth_host	*h = c->ro->h;
	struct ctr_out		*o;
	int			 rc;

	if (c->fd == -1) {
		rc = -ENOTCONN;
		goto fail;
	}
	if (c->oh == NULL) {
		if ((rc = pkt_send(c->fd, data, len, fd)) == 0) {
			if (fd != -1)
				close(fd);
			return 0;
		}
		if (rc != -EAGAIN)
			goto fail;
	}
	if ((o = malloc(sizeof(*o) + len)) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	o->next = NULL;
	o->fd = fd;
	o->len = len;
	memcpy(o->data, data, len);
	if (c->ot != NULL)
		c->ot->next = o;
	else
		c->oh = o;
	c->ot = o;
	if (c->ww == NULL)
		c->ww = h->fd_watch(h, c->fd, BERTH_FD_WRITE, conn_write, c);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	return rc;
}

static void
conn_write(int fd, int events, void *arg)
{
	struct runtime_oci_ctr	*c = arg;
	const struct berth_host	*h = c->ro->h;
	struct ctr_out		*o;
	int			 rc;

	while ((o = c->oh) != NULL) {
		if ((rc = pkt_send(c->fd, o->data, o->len, o->fd)) == -EAGAIN)
			return;
		if (rc < 0)
			break;	/* the read side will see it go */
		c->oh = o->next;
		if (c->oh == NULL)
			c->ot = NULL;
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	h->fd_unwatch(h, c->ww);
	c->ww = NULL;
}

static int
ctr_connect(struct runtime_oci_ctr *c)
{
	const struct berth_host	*h = c->ro->h;
	struct sockaddr_un	 sun;
	int			 fd, dfd = -1, rc = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/monitor.sock", c->dir) >= sizeof(sun.sun_path)) {
		/* A long exec-root: reach the socket through a dir fd. */
		if ((dfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) ==
		    -1)
			return -errno;
		snprintf(sun.sun_path, sizeof(sun.sun_path),
		    "/proc/self/fd/%d/monitor.sock", dfd);
	}
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		rc = -errno;
	else if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = -errno;
		close(fd);
	}
	if (dfd != -1)
		close(dfd);
	if (rc < 0)
		return rc;
	c->fd = fd;
	if ((c->rw = h->fd_watch(h, fd, BERTH_FD_READ, conn_read, c)) ==
	    NULL) {
		close(fd);
		c->fd = -1;
		return -ENOMEM;
	}
	return 0;
}

/* Begin a request: the verb and its seq. */
static uint64_t
req_begin(struct runtime_oci_ctr *c, struct monitor_pkt *p, char *buf,
    size_t cap, const char *verb)
{
	uint64_t	seq = ++c->seq;

	monitor_pkt_init(p, buf, cap, verb);
	monitor_pkt_addf(p, "seq", "%llu", (unsigned long long)seq);
	return seq;
}

/*
 * Send the request p, and call done with its answer.  Takes fd.  An
 * exec's call carries its id (copied), for the pid in the answer.
 */
static void
req_send_exec(struct runtime_oci_ctr *c, struct monitor_pkt *p, uint64_t seq,
    enum call_kind kind, const char *exec_id, int fd,
    berth_runtime_done_cb done, void *arg)
{
	struct ctr_call	*k, **kp;
	size_t		 len = monitor_pkt_len(p);
	int		 rc;

	if (len == 0) {
		if (fd != -1)
			close(fd);
		answer_later(c->ro, done, arg, -E2BIG, "container %s: "
		    "request too large", c->id);
		return;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (exec_id != NULL && (k->exec_id = strdup(exec_id)) == NULL)) {
		free(k);
		if (fd != -1)
			close(fd);
		answer_later(c->ro, done, arg, -ENOMEM, "out of memory");
		return;
	}
	k->seq = seq;
	k->kind = kind;
	k->done = done;
	k->arg = arg;
	for (kp = &c->calls; *kp != NULL; kp = &(*kp)->next)
		;
	*kp = k;
	if ((rc = ctr_send(c, p->buf, len, fd)) < 0) {
		*kp = NULL;
		call_free(k);
		answer_later(c->ro, done, arg, rc, "container %s: monitor: %s",
		    c->id, strerror(-rc));
	}
}

static void
req_send(struct runtime_oci_ctr *c, struct monitor_pkt *p, uint64_t seq,
    enum call_kind kind, int fd, berth_runtime_done_cb done, void *arg)
{
	req_send_exec(c, p, seq, kind, NULL, fd, done, arg);
}

static enum berth_runtime_status
status_parse(const char *s)
{
	if (s == NULL)
		return BERTH_RT_UNKNOWN;
	if (strcmp(s, "created") == 0)
		return BERTH_RT_CREATED;
	if (strcmp(s, "running") == 0)
		return BERTH_RT_RUNNING;
	if (strcmp(s, "paused") == 0)
		return BERTH_RT_PAUSED;
	if (strcmp(s, "stopped") == 0)
		return BERTH_RT_STOPPED;
	return BERTH_RT_UNKNOWN;
}

static void
tell_exit(struct runtime_oci_ctr *c)
{
	if (c->exit_told)
		return;
	c->exit_told = 1;
	if (c->ev.exited != NULL)
		c->ev.exited(c->ev_arg, c->id, NULL, c->st.exit_code,
		    c->st.oom_killed, c->st.finished_ns);
}

static void
on_hello(struct runtime_oci_ctr *c, const struct monitor_msg *m)
{
	berth_runtime_done_cb	done;

	c->st.status = status_parse(monitor_msg_get(m, "status"));
	c->st.pid = (pid_t)monitor_msg_int(m, "pid", 0);
	c->st.started_ns = monitor_msg_int(m, "started", 0);
	if (monitor_msg_get(m, "code") != NULL) {
		c->st.exit_code = (int)monitor_msg_int(m, "code", 255);
		c->st.oom_killed = monitor_msg_int(m, "oom", 0) != 0;
		c->st.finished_ns = monitor_msg_int(m, "finished", 0);
	}
	if (c->creating) {
		c->creating = 0;
		done = c->create_done;
		c->create_done = NULL;
		done(c->create_arg, 0, NULL);
		return;
	}
	if (c->st.status == BERTH_RT_STOPPED)
		tell_exit(c);
}

/* Remember the pid of an exec the monitor ran (exec_state). */
static void
exec_rec_add(struct runtime_oci_ctr *c, const char *exec_id, pid_t pid)
{
	struct ctr_exec_rec	*x;

	if (exec_id == NULL || pid <= 0)
		return;
	exec_rec_drop(c, exec_id);
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return;
	if ((x->exec_id = strdup(exec_id)) == NULL) {
		free(x);
		return;
	}
	x->pid = pid;
	x->next = c->execs;
	c->execs = x;
}

static void
on_answer(struct runtime_oci_ctr *c, const struct monitor_msg *m, int ok)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ctr_call		**kp, *k;
	uint64_t		 seq = (uint64_t)monitor_msg_int(m, "seq", 0);
	int			 rc;

	for (kp = &c->calls; (k = *kp) != NULL; kp = &k->next)
		if (k->seq == seq)
			break;
	if (k == NULL)
		return;
	*kp = k->next;
	if (!ok) {
		rc = -(int)monitor_msg_int(m, "errno", EIO);
		if (rc >= 0)
			rc = -EIO;
		berth_err_set(&err, rc, "%s", monitor_msg_get(m, "msg") ?
		    monitor_msg_get(m, "msg") : "monitor error");
		k->done(k->arg, rc, &err);
		call_free(k);
		return;
	}
	switch (k->kind) {
	case CALL_START:
		c->st.started_ns = monitor_msg_int(m, "started", 0);
		if (c->st.status == BERTH_RT_CREATED)
			c->st.status = BERTH_RT_RUNNING;
		break;
	case CALL_PAUSE:
		c->st.status = BERTH_RT_PAUSED;
		break;
	case CALL_RESUME:
		if (c->st.status == BERTH_RT_PAUSED)
			c->st.status = BERTH_RT_RUNNING;
		break;
	case CALL_DELETE:
		/* The monitor is on its way out; so is the record. */
		ctr_forget(c);
		break;
	case CALL_EXEC:
		exec_rec_add(c, k->exec_id, (pid_t)monitor_msg_int(m, "pid",
		    0));
		break;
	default:
		break;
	}
	k->done(k->arg, 0, NULL);
	call_free(k);
}

static void
on_exited(struct runtime_oci_ctr *c, const struct monitor_msg *m)
{
	const char	*eid = monitor_msg_get(m, "exec");
	int		 code = (int)monitor_msg_int(m, "code", 255);
	int		 oom = monitor_msg_int(m, "oom", 0) != 0;
	int64_t		 fin = monitor_msg_int(m, "finished", 0);

	if (eid != NULL) {
		exec_rec_drop(c, eid);
		if (c->ev.exited != NULL)
			c->ev.exited(c->ev_arg, c->id, eid, code, oom, fin);
		return;
	}
	c->st.status = BERTH_RT_STOPPED;
	c->st.exit_code = code;
	c->st.oom_killed = oom;
	c->st.finished_ns = fin;
	tell_exit(c);
}

static int
read_small(const char *dir, const char *name, char *buf, size_t len)
{
	char	path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return berth_read_small(path, buf, len);
}

/* exit.json, if the monitor recorded one: 1, else 0. */
static int
read_exit(struct runtime_oci_ctr *c)
{
	json_object	*o, *v;
	char		 buf[512];

	if (read_small(c->dir, "exit.json", buf, sizeof(buf)) < 0 ||
	    (o = json_tokener_parse(buf)) == NULL)
		return 0;
	c->st.status = BERTH_RT_STOPPED;
	c->st.exit_code = json_object_object_get_ex(o, "exit_code", &v) ?
	    json_object_get_int(v) : 255;
	c->st.oom_killed = json_object_object_get_ex(o, "oom_killed", &v) &&
	    json_object_get_boolean(v);
	c->st.finished_ns = json_object_object_get_ex(o, "finished_ns", &v) ?
	    json_object_get_int64(v) : 0;
	json_object_put(o);
	return 1;
}

static void
read_state(struct runtime_oci_ctr *c)
{
	json_object	*o, *v;
	char		 buf[512];

	if (read_small(c->dir, "state.json", buf, sizeof(buf)) < 0 ||
	    (o = json_tokener_parse(buf)) == NULL)
		return;
	if (json_object_object_get_ex(o, "status", &v))
		c->st.status = status_parse(json_object_get_string(v));
	if (json_object_object_get_ex(o, "pid", &v))
		c->st.pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "started_ns", &v))
		c->st.started_ns = json_object_get_int64(v);
	json_object_put(o);
}

static void
create_fail(struct runtime_oci_ctr *c, int rc, const char *msg)
{
	struct berth_err	err = BERTH_ERR_INIT;
	berth_runtime_done_cb	done = c->create_done;
	void			*arg = c->create_arg;

	c->creating = 0;
	c->create_done = NULL;
	berth_err_set(&err, rc, "%s", msg);
	ctr_forget(c);
	done(arg, rc, &err);
}

/* The connection ended without a delete: the monitor died. */
static void
conn_lost(struct runtime_oci_ctr *c)
{
	const struct berth_host	*h = c->ro->h;
	char			 msg[256];

	conn_close(c);
	if (c->creating) {
		snprintf(msg, sizeof(msg), "the monitor of container %s "
		    "exited before it was ready", c->id);
		create_fail(c, -EIO, msg);
		return;
	}
	calls_fail(c, -EPIPE, "its monitor exited");
	if (c->exit_told || c->forgotten)
		return;
	if (!read_exit(c)) {
		h->log(h, BERTH_LOG_WARN, "the monitor of container %s died "
		    "without recording an exit; reporting 255", c->id);
		c->st.status = BERTH_RT_STOPPED;
		c->st.exit_code = 255;
	}
	tell_exit(c);
}

static void
conn_read(int fd, int events, void *arg)
{
	struct runtime_oci_ctr	*c = arg;
	struct monitor_msg	 m;
	ssize_t			 n;

	c->refs++;
	while (c->fd != -1) {
		n = recv(c->fd, c->ro->pkt, MONITOR_PKT_MAX, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_lost(c);
			break;
		}
		if (monitor_msg_parse(c->ro->pkt, (size_t)n, &m) < 0)
			continue;
		if (strcmp(m.verb, "hello") == 0)
			on_hello(c, &m);
		else if (strcmp(m.verb, "ok") == 0)
			on_answer(c, &m, 1);
		else if (strcmp(m.verb, "err") == 0)
			on_answer(c, &m, 0);
		else if (strcmp(m.verb, "exit") == 0)
			on_exited(c, &m);
		else if (strcmp(m.verb, "detach") == 0 &&
		    c->ev.detached != NULL)
			c->ev.detached(c->ev_arg, c->id,
			    monitor_msg_get(&m, "exec"));
	}
	ctr_release(c);
}

/* --- create --------------------------------------------------------------- */

static void
events_copy(struct runtime_oci_ctr *c, const struct berth_runtime_events *ev,
    void *arg)
{
	memset(&c->ev, 0, sizeof(c->ev));
	if (ev != NULL)
		memcpy(&c->ev, ev, ev->size < sizeof(c->ev) ? ev->size :
		    sizeof(c->ev));
	c->ev.size = sizeof(c->ev);
	/* A table cut short mid-pointer has none of that pointer. */
	if (ev == NULL || ev->size < offsetof(struct berth_runtime_events,
	    exited) + sizeof(ev->exited))
		c->ev.exited = NULL;
	if (ev == NULL || ev->size < offsetof(struct berth_runtime_events,
	    detached) + sizeof(ev->detached))
		c->ev.detached = NULL;
	c->ev_arg = arg;
}

static void
monitor_ready(pid_t pid, int wstatus, void *arg)
{
	struct runtime_oci_ctr	*c = arg;
	char			 msg[1024];
	ssize_t			 n = 0;
	int			 rc;

	msg[0] = '\0';
	if (c->errfd != -1) {
		n = read(c->errfd, msg, sizeof(msg) - 1);
		close(c->errfd);
		c->errfd = -1;
	}
	msg[n > 0 ? n : 0] = '\0';
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (c->forgotten || !c->creating) {
		ctr_release(c);
		return;
	}
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
		if ((rc = ctr_connect(c)) < 0) {
			snprintf(msg, sizeof(msg), "container %s: cannot reach "
			    "its monitor: %s", c->id, strerror(-rc));
			create_fail(c, rc, msg);
		}
		/* Else the monitor's hello completes the create. */
		ctr_release(c);
		return;
	}
	rc = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) < 126 ?
	    -WEXITSTATUS(wstatus) : -EIO;
	if (msg[0] == '\0')
		snprintf(msg, sizeof(msg), "berth-monitor %s %d",
		    WIFEXITED(wstatus) ? "exited with status" :
		    "killed by signal", WIFEXITED(wstatus) ?
		    WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
	create_fail(c, rc, msg);
	ctr_release(c);
}

static void
rt_create(void *st, const struct berth_runtime_create *cr,
    berth_runtime_done_cb done, void *arg)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci	*ro = d->ro;
	const struct berth_host	*h = ro->h;
	struct berth_spawn_opts	 opts;
	struct runtime_oci_ctr	*c;
	const char		**argv;
	char			 root[PATH_MAX], maxsize[24], maxfiles[16];
	int			 p[2];
	size_t			 n = 0, i;
	pid_t			 pid;

	if (cr == NULL || cr->size < offsetof(struct berth_runtime_create,
	    events_arg) + sizeof(cr->events_arg) || cr->id == NULL ||
	    cr->bundle == NULL || cr->bundle[0] != '/' || !id_valid(cr->id)) {
		answer_later(ro, done, arg, -EINVAL, "invalid create request");
		return;
	}
	if (ctr_find(ro, cr->id) != NULL) {
		answer_later(ro, done, arg, -EEXIST, "container %s is already "
		    "known to the runtime", cr->id);
		return;
	}
	if (access(d->rt.path, X_OK) == -1) {
		answer_later(ro, done, arg, -ENOENT, "OCI runtime %s (%s): %s",
		    d->rt.name, d->rt.path, strerror(errno));
		return;
	}
	if ((argv = calloc(28 + 2 * d->rt.nargs, sizeof(*argv))) == NULL ||
	    (c = ctr_new(d, cr->id)) == NULL) {
		free(argv);
		answer_later(ro, done, arg, -ENOMEM, "out of memory");
		return;
	}
	events_copy(c, cr->events, cr->events_arg);
	snprintf(root, sizeof(root), "%s/runtime/%s", h->exec_root(h),
	    d->rt.name);
	argv[n++] = ro->monitor;
	argv[n++] = "--id";
	argv[n++] = cr->id;
	argv[n++] = "--bundle";
	argv[n++] = cr->bundle;
	argv[n++] = "--state-dir";
	argv[n++] = c->dir;
	argv[n++] = "--runtime";
	argv[n++] = d->rt.path;
	for (i = 0; i < d->rt.nargs; i++) {
		argv[n++] = "--runtime-arg";
		argv[n++] = d->rt.args[i];
	}
	argv[n++] = "--runtime-root";
	argv[n++] = root;
	if (cr->log_path != NULL && cr->log_path[0] != '\0') {
		argv[n++] = "--log-path";
		argv[n++] = cr->log_path;
	}
	if (cr->size >= offsetof(struct berth_runtime_create,
	    log_max_files) + sizeof(cr->log_max_files) &&
	    cr->log_max_size > 0) {
		snprintf(maxsize, sizeof(maxsize), "%lld",
		    (long long)cr->log_max_size);
		snprintf(maxfiles, sizeof(maxfiles), "%d",
		    cr->log_max_files > 0 ? cr->log_max_files : 1);
		argv[n++] = "--log-max-size";
		argv[n++] = maxsize;
		argv[n++] = "--log-max-files";
		argv[n++] = maxfiles;
	}
	if (cr->terminal)
		argv[n++] = "--terminal";
	if (cr->open_stdin)
		argv[n++] = "--open-stdin";
	if (cr->stdin_once)
		argv[n++] = "--stdin-once";
	if (d->has_run)
		argv[n++] = "--run";
	argv[n] = NULL;

	if (pipe2(p, O_CLOEXEC) == -1) {
		answer_later(ro, done, arg, -errno, "pipe: %s",
		    strerror(errno));
		free(argv);
		ctr_forget(c);
		return;
	}
	memset(&opts, 0, sizeof(opts));
	opts.size = sizeof(opts);
	opts.stdin_fd = -1;
	opts.stdout_fd = p[1];
	opts.stderr_fd = p[1];
	opts.setsid = 1;
	pid = h->spawn(h, argv, &opts, monitor_ready, c);
	free(argv);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		answer_later(ro, done, arg, (int)pid, "cannot start %s: %s",
		    ro->monitor, strerror((int)-pid));
		ctr_forget(c);
		return;
	}
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	c->errfd = p[0];
	c->creating = 1;
	c->create_done = done;
	c->create_arg = arg;
	c->refs++;		/* monitor_ready's */
}

/* --- the rest of the ops ----------------------------------------------- */

/* The container, connected; else done is answered and NULL returned. */
static struct runtime_oci_ctr *
live(struct runtime_oci *ro, const char *id, berth_runtime_done_cb done,
    void *arg)
{
	struct runtime_oci_ctr	*c = ctr_find(ro, id);

	if (c == NULL) {
		answer_later(ro, done, arg, -ENOENT, "no such container in "
		    "the runtime: %s", id);
		return NULL;
	}
	if (c->creating || c->deleting) {
		answer_later(ro, done, arg, -EBUSY, "container %s is %s", id,
		    c->creating ? "being created" : "being deleted");
		return NULL;
	}
	if (c->fd == -1) {
		answer_later(ro, done, arg, -ESRCH, "container %s is not "
		    "running (no monitor)", id);
		return NULL;
	}
	return c;
}

static void
simple(void *st, const char *id, const char *verb, enum call_kind kind,
    berth_runtime_done_cb done, void *arg)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci_ctr	*c;
	struct monitor_pkt	 p;
	char			 buf[256];
	uint64_t		 seq;

	if ((c = live(d->ro, id, done, arg)) == NULL)
		return;
	seq = req_begin(c, &p, buf, sizeof(buf), verb);
	req_send(c, &p, seq, kind, -1, done, arg);
}

static void
rt_start(void *st, const char *id, berth_runtime_done_cb done, void *arg)
{
	simple(st, id, "start", CALL_START, done, arg);
}

static void
rt_pause(void *st, const char *id, berth_runtime_done_cb done, void *arg)
{
	simple(st, id, "pause", CALL_PAUSE, done, arg);
}

static void
rt_resume(void *st, const char *id, berth_runtime_done_cb done, void *arg)
{
	simple(st, id, "resume", CALL_RESUME, done, arg);
}

static void
rt_kill(void *st, const char *id, int signo, int all,
    berth_runtime_done_cb done, void *arg)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci_ctr	*c;
	struct monitor_pkt	 p;
	char			 buf[256];
	uint64_t		 seq;

	if ((c = live(d->ro, id, done, arg)) == NULL)
		return;
	seq = req_begin(c, &p, buf, sizeof(buf), "kill");
	monitor_pkt_addf(&p, "signal", "%d", signo);
	monitor_pkt_addf(&p, "all", "%d", all ? 1 : 0);
	req_send(c, &p, seq, CALL_PLAIN, -1, done, arg);
}

static void
rt_resize(void *st, const char *id, const char *exec_id, unsigned rows,
    unsigned cols, berth_runtime_done_cb done, void *arg)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci_ctr	*c;
	struct monitor_pkt	 p;
	char			 buf[512];
	uint64_t		 seq;

	if ((c = live(d->ro, id, done, arg)) == NULL)
		return;
	seq = req_begin(c, &p, buf, sizeof(buf), "resize");
	if (exec_id != NULL)
		monitor_pkt_add(&p, "exec", exec_id);
	monitor_pkt_addf(&p, "rows", "%u", rows);
	monitor_pkt_addf(&p, "cols", "%u", cols);
	req_send(c, &p, seq, CALL_PLAIN, -1, done, arg);
}

static void
rt_attach(void *st, const char *id, const char *exec_id, int fd,
    uint32_t flags, const char *detach_keys, berth_runtime_done_cb done,
    void *arg)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci_ctr	*c;
	struct monitor_pkt	 p;
	unsigned char		 keys[MONITOR_DETACH_MAX];
	char			 buf[512], list[MONITOR_DETACH_MAX * 4 + 1];
	uint64_t		 seq;
	size_t			 o = 0;
	int			 n, i;

	if ((n = monitor_detach_parse(detach_keys, keys, sizeof(keys))) < 0) {
		close(fd);
		answer_later(d->ro, done, arg, -EINVAL, "Invalid detach keys "
		    "(%s) provided", detach_keys);
		return;
	}
	if ((c = live(d->ro, id, done, arg)) == NULL) {
		close(fd);
		return;
	}
	list[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u",
		    i ? "," : "", keys[i]);
	seq = req_begin(c, &p, buf, sizeof(buf), "attach");
	if (exec_id != NULL)
		monitor_pkt_add(&p, "exec", exec_id);
	monitor_pkt_addf(&p, "flags", "%u", (unsigned)flags);
	monitor_pkt_add(&p, "keys", list);
	req_send(c, &p, seq, CALL_PLAIN, fd, done, arg);
}

static void
rt_exec(void *st, const struct berth_runtime_exec *e,
    berth_runtime_done_cb done, void *arg)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci_ctr	*c;
	struct monitor_pkt	 p;
	const char		*json;
	char			*buf;
	uint64_t		 seq;

	if (e == NULL || e->size < offsetof(struct berth_runtime_exec,
	    detach) + sizeof(e->detach) || e->exec_id == NULL ||
	    e->process == NULL) {
		answer_later(d->ro, done, arg, -EINVAL,
		    "invalid exec request");
		return;
	}
	if ((c = live(d->ro, e->id, done, arg)) == NULL)
		return;
	json = json_object_to_json_string_ext(e->process,
	    JSON_C_TO_STRING_PLAIN);
	if ((buf = malloc(MONITOR_PKT_MAX)) == NULL) {
		answer_later(d->ro, done, arg, -ENOMEM, "out of memory");
		return;
	}
	seq = req_begin(c, &p, buf, MONITOR_PKT_MAX, "exec");
	monitor_pkt_add(&p, "exec", e->exec_id);
	monitor_pkt_addf(&p, "terminal", "%d", e->terminal ? 1 : 0);
	monitor_pkt_addf(&p, "stdin", "%d", e->open_stdin ? 1 : 0);
	monitor_pkt_addf(&p, "detach", "%d", e->detach ? 1 : 0);
	monitor_pkt_body(&p, json, strlen(json));
	req_send_exec(c, &p, seq, CALL_EXEC, e->exec_id, -1, done, arg);
	free(buf);
}

/*
 * The monitor writes the resources to its state dir and runs `RUNTIME
 * update --resources FILE ID`, as it runs every other runtime command.
 */
static void
rt_update(void *st, const char *id, json_object *resources,
    berth_runtime_done_cb done, void *arg)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci_ctr	*c;
	struct monitor_pkt	 p;
	const char		*json;
	char			*buf;
	uint64_t		 seq;

	if (resources == NULL ||
	    !json_object_is_type(resources, json_type_object)) {
		answer_later(d->ro, done, arg, -EINVAL,
		    "invalid update request");
		return;
	}
	if ((c = live(d->ro, id, done, arg)) == NULL)
		return;
	json = json_object_to_json_string_ext(resources,
	    JSON_C_TO_STRING_PLAIN);
	if ((buf = malloc(MONITOR_PKT_MAX)) == NULL) {
		answer_later(d->ro, done, arg, -ENOMEM, "out of memory");
		return;
	}
	seq = req_begin(c, &p, buf, MONITOR_PKT_MAX, "update");
	monitor_pkt_body(&p, json, strlen(json));
	req_send(c, &p, seq, CALL_PLAIN, -1, done, arg);
	free(buf);
}

/* --- delete, also without a monitor ------------------------------------- */

struct orphan_delete {
	struct runtime_oci_ctr	*c;
	berth_runtime_done_cb	 done;
	void			*arg;
};

static void
orphan_deleted(pid_t pid, int wstatus, void *arg)
{
	struct orphan_delete	*od = arg;
	struct runtime_oci_ctr	*c = od->c;

	/*
	 * Whatever the runtime says, nothing of it is left to us: the whole
	 * state dir goes, the execs' files with it (a few small files).
	 */
	(void)berth_rmtree_at(AT_FDCWD, c->dir);
	c->deleting = 0;
	ctr_forget(c);
	ctr_release(c);
	od->done(od->arg, 0, NULL);
	free(od);
}

static void
rt_delete(void *st, const char *id, berth_runtime_done_cb done, void *arg)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci	*ro = d->ro;
	const struct berth_host	*h = ro->h;
	struct runtime_oci_ctr	*c = ctr_find(ro, id);
	struct runtime_oci_drv	*rd;
	struct orphan_delete	*od;
	struct monitor_pkt	 p;
	const char		**argv;
	char			 buf[256], root[PATH_MAX];
	uint64_t		 seq;
	size_t			 n = 0, i;
	pid_t			 pid;

	if (c == NULL || c->fd != -1 || c->creating || c->deleting) {
		if ((c = live(ro, id, done, arg)) == NULL)
			return;
		seq = req_begin(c, &p, buf, sizeof(buf), "delete");
		req_send(c, &p, seq, CALL_DELETE, -1, done, arg);
		return;
	}
	/* The monitor is gone: run the runtime's delete ourselves. */
	rd = c->drv;
	if ((argv = calloc(10 + rd->rt.nargs, sizeof(*argv))) == NULL ||
	    (od = calloc(1, sizeof(*od))) == NULL) {
		free(argv);
		answer_later(ro, done, arg, -ENOMEM, "out of memory");
		return;
	}
	snprintf(root, sizeof(root), "%s/runtime/%s", h->exec_root(h),
	    rd->rt.name);
	argv[n++] = rd->rt.path;
	for (i = 0; i < rd->rt.nargs; i++)
		argv[n++] = rd->rt.args[i];
	argv[n++] = "--root";
	argv[n++] = root;
	argv[n++] = "delete";
	argv[n++] = "--force";
	argv[n++] = id;
	argv[n] = NULL;
	od->c = c;
	od->done = done;
	od->arg = arg;
	pid = h->spawn(h, argv, NULL, orphan_deleted, od);
	free(argv);
	if (pid < 0) {
		free(od);
		(void)berth_rmtree_at(AT_FDCWD, c->dir);
		ctr_forget(c);
		answer_later(ro, done, arg, 0, NULL);
		return;
	}
	c->deleting = 1;
	c->refs++;
}

/* --- state and restore ---------------------------------------------------- */

static int
rt_state(void *st, const char *id, struct berth_runtime_state *out)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci_ctr	*c = ctr_find(d->ro, id);

	if (c == NULL)
		return -ENOENT;
	*out = c->st;
	return 0;
}

static int
rt_exec_state(void *st, const char *id, const char *exec_id,
    struct berth_runtime_state *out)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci_ctr	*c = ctr_find(d->ro, id);
	struct ctr_exec_rec	*x;

	if (c == NULL || exec_id == NULL)
		return -ENOENT;
	for (x = c->execs; x != NULL; x = x->next)
		if (strcmp(x->exec_id, exec_id) == 0) {
			memset(out, 0, sizeof(*out));
			out->status = BERTH_RT_RUNNING;
			out->pid = x->pid;
			return 0;
		}
	return -ENOENT;
}

static int
rt_restore(void *st, const char *id, const struct berth_runtime_events *ev,
    void *ev_arg, struct berth_runtime_state *out, struct berth_err *err)
{
	struct runtime_oci_drv	*d = st;
	struct runtime_oci	*ro = d->ro;
	struct runtime_oci_ctr	*c;
	struct stat		 sb;
	int			 rc;

	if (!id_valid(id))
		return berth_err_set(err, -EINVAL, "invalid container id %s",
		    id);
	if ((c = ctr_find(ro, id)) != NULL) {
		events_copy(c, ev, ev_arg);
		*out = c->st;
		return 0;
	}
	if ((c = ctr_new(d, id)) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	if (stat(c->dir, &sb) == -1) {
		ctr_forget(c);
		return berth_err_set(err, -ENOENT, "no trace of container %s "
		    "in the runtime", id);
	}
	events_copy(c, ev, ev_arg);
	rc = ctr_connect(c);
	if (read_exit(c))
		c->exit_told = 1;	/* restore says it; no event follows */
	else if (rc == 0)
		read_state(c);
	else {
		ro->h->log(ro->h, BERTH_LOG_WARN, "container %s: its monitor "
		    "is gone (%s) and recorded no exit; reporting 255", id,
		    strerror(-rc));
		c->st.status = BERTH_RT_STOPPED;
		c->st.exit_code = 255;
		c->exit_told = 1;
	}
	*out = c->st;
	return 0;
}

static const char *
rt_default_name(void *st)
{
	struct runtime_oci_drv	*d = st;

	return d->ro->def != NULL ? d->ro->def->rt.name : NULL;
}

static const char *
rt_path(void *st)
{
	struct runtime_oci_drv	*d = st;

	return d->rt.path;
}

const struct berth_runtime_ops runtime_oci_ops = {
	.size = sizeof(struct berth_runtime_ops),
	.default_name = rt_default_name,
	.path = rt_path,
	.create = rt_create,
	.start = rt_start,
	.kill = rt_kill,
	.pause = rt_pause,
	.resume = rt_resume,
	.delete = rt_delete,
	.state = rt_state,
	.restore = rt_restore,
	.attach = rt_attach,
	.resize = rt_resize,
	.exec = rt_exec,
	.update = rt_update,
	.exec_state = rt_exec_state,
};

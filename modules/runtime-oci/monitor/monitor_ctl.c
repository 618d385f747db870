/*
 * monitor_ctl.c - monitor.sock: accept berthd (again after a restart),
 * decode its requests, send replies and notices.  The protocol is in
 * monitor_codec.h.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "monitor.h"

/* A peer that lets this much pile up is not reading: cut it. */
#define CONN_QUEUE_MAX	(4 * 1024 * 1024)

int
mon_ctl_listen(char *err, size_t errlen)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "monitor.sock");
	(void)unlink(sun.sun_path);
	if ((M.lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    bind(M.lsock, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(sun.sun_path, 0600) == -1 || listen(M.lsock, 16) == -1) {
		int	e = errno;

		snprintf(err, errlen, "%s/monitor.sock: %s", M.state_dir,
		    strerror(e));
		return -e;
	}
	return 0;
}

void
mon_ctl_accept(void)
{
	struct ucred	 cr;
	socklen_t	 len = sizeof(cr);
	struct mon_conn	*c;
	int		 fd;

	while ((fd = accept4(M.lsock, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		/* The socket is 0600 already; this guards a chmod gone wrong. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
		    (cr.uid != 0 && cr.uid != geteuid()) ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->next = M.conns;
		M.conns = c;
		mon_hello(c, "hello", NULL);
	}
}

void
mon_send(struct mon_conn *c, const struct monitor_pkt *p)
{
	struct mon_pkt	*q;
	size_t		 len = monitor_pkt_len(p);
	ssize_t		 n;

	if (c == NULL || c->dead)
		return;
	if (len == 0) {
		mlog("control: a reply did not fit; dropped");
		return;
	}
	if (c->head == NULL) {
		n = send(c->fd, p->buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == (ssize_t)len)
			return;
		if (n == -1 && errno != EAGAIN) {
			c->dead = 1;
			return;
		}
	}
	if (c->queued + len > CONN_QUEUE_MAX ||
	    (q = malloc(sizeof(*q) + len)) == NULL) {
		mlog("control: peer not reading; closing its connection");
		c->dead = 1;
		return;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->data, p->buf, len);
	if (c->tail != NULL)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	c->queued += len;
}

void
mon_conn_write(struct mon_conn *c)
{
	struct mon_pkt	*q;
	ssize_t		 n;

	while ((q = c->head) != NULL) {
		n = send(c->fd, q->data, q->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n != (ssize_t)q->len) {
			c->dead = 1;
			return;
		}
		c->head = q->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->queued -= q->len;
		free(q);
	}
}

void
mon_broadcast(const struct monitor_pkt *p)
{
	struct mon_conn	*c;

	for (c = M.conns; c != NULL; c = c->next)
		mon_send(c, p);
}

void
mon_reply_ok(struct mon_conn *c, const char *seq)
{
	struct monitor_pkt	pkt;
	char			buf[128];

	monitor_pkt_init(&pkt, buf, sizeof(buf), "ok");
	monitor_pkt_add(&pkt, "seq", seq ? seq : "0");
	mon_send(c, &pkt);
}

void
mon_reply_err(struct mon_conn *c, const char *seq, int errnum,
    const char *fmt, ...)
{
	struct monitor_pkt	pkt;
	char			buf[2048], msg[1024];
	va_list			ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	monitor_pkt_init(&pkt, buf, sizeof(buf), "err");
	monitor_pkt_add(&pkt, "seq", seq ? seq : "0");
	monitor_pkt_addf(&pkt, "errno", "%d", errnum);
	monitor_pkt_add(&pkt, "msg", msg);
	mon_send(c, &pkt);
}

void
mon_hello(struct mon_conn *c, const char *verb, const char *seq)
{
	struct monitor_pkt	 pkt;
	struct mon_proc		*p = M.init;
	char			 buf[512];

	monitor_pkt_init(&pkt, buf, sizeof(buf), verb);
	if (seq != NULL)
		monitor_pkt_add(&pkt, "seq", seq);
	/*
	 * Until start has answered, an exit is not news yet; a held process
	 * has not been started as far as berthd knows.
	 */
	monitor_pkt_add(&pkt, "status", mon_status_name(M.held ? MON_CREATED :
	    M.status == MON_STOPPED && M.start_pending ? MON_RUNNING :
	    M.status));
	monitor_pkt_addf(&pkt, "pid", "%ld", p ? (long)p->pid : 0L);
	monitor_pkt_addf(&pkt, "started", "%lld", (long long)M.started_ns);
	if (p != NULL && p->finished && !M.start_pending && !M.held) {
		monitor_pkt_addf(&pkt, "code", "%d", p->exit_code);
		monitor_pkt_addf(&pkt, "oom", "%d", p->oom);
		monitor_pkt_addf(&pkt, "finished", "%lld",
		    (long long)p->finished_ns);
	}
	monitor_pkt_addf(&pkt, "monitor", "%ld", (long)getpid());
	mon_send(c, &pkt);
}

void
mon_notify_exit(struct mon_proc *p)
{
	struct monitor_pkt	pkt;
	char			buf[512];

	monitor_pkt_init(&pkt, buf, sizeof(buf), "exit");
	if (p->exec_id != NULL)
		monitor_pkt_add(&pkt, "exec", p->exec_id);
	monitor_pkt_addf(&pkt, "code", "%d", p->exit_code);
	monitor_pkt_addf(&pkt, "oom", "%d", p->oom);
	monitor_pkt_addf(&pkt, "finished", "%lld", (long long)p->finished_ns);
	mon_broadcast(&pkt);
}

/* "16,17" -> bytes; -1 if malformed. */
static int
parse_keys(const char *s, unsigned char *keys, size_t cap)
{
	char	*end;
	long	 v;
	size_t	 n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (;;) {
		v = strtol(s, &end, 10);
		if (end == s || v < 0 || v > 255 || n == cap)
			return -1;
		keys[n++] = (unsigned char)v;
		if (*end == '\0')
			return (int)n;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

static void
cmd_attach(struct mon_conn *c, const struct monitor_msg *m, int fd)
{
	const char	*seq = monitor_msg_get(m, "seq");
	const char	*eid = monitor_msg_get(m, "exec");
	struct mon_proc	*p;
	unsigned char	 keys[MONITOR_DETACH_MAX];
	int		 nkeys;

	if (fd == -1) {
		mon_reply_err(c, seq, EINVAL, "attach without a connection");
		return;
	}
	if ((p = mon_proc_find(eid)) == NULL) {
		close(fd);
		mon_reply_err(c, seq, ENOENT, "no such exec: %s", eid);
		return;
	}
	if ((nkeys = parse_keys(monitor_msg_get(m, "keys"), keys,
	    sizeof(keys))) < 0) {
		close(fd);
		mon_reply_err(c, seq, EINVAL, "bad detach keys");
		return;
	}
	mon_client_add(fd, p, (unsigned)monitor_msg_int(m, "flags", 0), keys,
	    (size_t)nkeys);
	mon_reply_ok(c, seq);
}

static void
cmd_resize(struct mon_conn *c, const struct monitor_msg *m)
{
	const char	*seq = monitor_msg_get(m, "seq");
	struct mon_proc	*p = mon_proc_find(monitor_msg_get(m, "exec"));
	struct winsize	 ws;

	if (p == NULL) {
		mon_reply_err(c, seq, ENOENT, "no such exec: %s",
		    monitor_msg_get(m, "exec"));
		return;
	}
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)monitor_msg_int(m, "rows", 0);
	ws.ws_col = (unsigned short)monitor_msg_int(m, "cols", 0);
	/* No terminal, or already gone: nothing to resize, as Docker. */
	if (p->pty_fd != -1 && ioctl(p->pty_fd, TIOCSWINSZ, &ws) == -1) {
		mon_reply_err(c, seq, errno, "resize: %s", strerror(errno));
		return;
	}
	mon_reply_ok(c, seq);
}

static void
dispatch(struct mon_conn *c, const struct monitor_msg *m, int fd)
{
	const char	*v = m->verb, *seq = monitor_msg_get(m, "seq");

	if (strcmp(v, "attach") == 0) {
		cmd_attach(c, m, fd);
		return;
	}
	if (fd != -1)
		close(fd);
	if (M.deleting && strcmp(v, "state") != 0) {
		mon_reply_err(c, seq, ENOENT, "container %s is being deleted",
		    M.id);
		return;
	}
	if (strcmp(v, "start") == 0)
		mon_cmd_start(c, m);
	else if (strcmp(v, "kill") == 0)
		mon_cmd_kill(c, m);
	else if (strcmp(v, "pause") == 0)
		mon_cmd_pause(c, m, 1);
	else if (strcmp(v, "resume") == 0)
		mon_cmd_pause(c, m, 0);
	else if (strcmp(v, "resize") == 0)
		cmd_resize(c, m);
	else if (strcmp(v, "exec") == 0)
		mon_cmd_exec(c, m);
	else if (strcmp(v, "update") == 0)
		mon_cmd_update(c, m);
	else if (strcmp(v, "delete") == 0)
		mon_cmd_delete(c, m);
	else if (strcmp(v, "state") == 0)
		mon_hello(c, "ok", seq);
	else
		mon_reply_err(c, seq, EINVAL, "unknown request %s", v);
}

void
mon_conn_read(struct mon_conn *c)
{
	static char	 buf[MONITOR_PKT_MAX + 1];
	char		 cbuf[CMSG_SPACE(sizeof(int))];
	struct monitor_msg m;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	ssize_t		 n;
	int		 fd;

	while (!c->dead) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf;
		iov.iov_len = MONITOR_PKT_MAX;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		fd = -1;
		if (n > 0)
			for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
			    cm = CMSG_NXTHDR(&mh, cm))
				if (cm->cmsg_level == SOL_SOCKET &&
				    cm->cmsg_type == SCM_RIGHTS &&
				    cm->cmsg_len == CMSG_LEN(sizeof(int)))
					memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (n <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
			if (fd != -1)
				close(fd);
			c->dead = 1;
			return;
		}
		if (monitor_msg_parse(buf, (size_t)n, &m) < 0) {
			if (fd != -1)
				close(fd);
			mon_reply_err(c, "0", EINVAL, "malformed request");
			continue;
		}
		dispatch(c, &m, fd);
	}
}

/*
 * monitor_io.c - the container's output (to the json-file log and to
 * every attach), its input (from the attaches to stdin), and the
 * attaches themselves.
 *
 * Output is read only while every attach keeps up: a client whose queue
 * passes MON_QUEUE_HIGH stops the reading, so the pipe fills and the
 * process blocks on write, as with Docker.  Nothing is dropped.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

static char	rbuf[32 * 1024];

/* --- byte queues ------------------------------------------------------- */

int
mbuf_put(struct mbuf *b, const void *data, size_t n)
{
	size_t	 need, cap;
	char	*np;

	if (n == 0)
		return 0;
	if (b->off > 0 && b->len + n > b->cap) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	need = b->len + n;
	if (need > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < need)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

void
mbuf_drop(struct mbuf *b, size_t n)
{
	b->off += n;
	if (b->off < b->len)
		return;
	b->off = b->len = 0;
	/* Give a burst's memory back: a monitor should stay small. */
	if (b->cap > 64 * 1024) {
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	}
}

size_t
mbuf_used(const struct mbuf *b)
{
	return b->len - b->off;
}

void
mbuf_free(struct mbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* --- the json-file log ------------------------------------------------- */

static void
log_name(char *buf, size_t len, int gen)
{
	if (gen == 0)
		snprintf(buf, len, "%s", M.log_path);
	else
		snprintf(buf, len, "%s.%d", M.log_path, gen);
}

/*
 * Docker's json-file rotation: <log>.N-2 becomes .N-1, ..., <log>
 * becomes .1, and a new <log> starts; with one file the log is emptied.
 * A reader with the old file open reads it to its end and finds the
 * next by inode (containers_logs.c).  The fd number stays: an attach's
 * log replay may hold it.
 */
static void
log_rotate(void)
{
	char	from[PATH_MAX], to[PATH_MAX];
	int	i, fd;

	M.logsize = 0;
	if (M.log_max_files < 2) {
		if (ftruncate(M.logfd, 0) == -1)
			mlog("log %s: truncate: %s", M.log_path,
			    strerror(errno));
		return;
	}
	for (i = M.log_max_files - 1; i >= 1; i--) {
		log_name(from, sizeof(from), i - 1);
		log_name(to, sizeof(to), i);
		if (rename(from, to) == -1 && errno != ENOENT)
			mlog("log %s: rotate: %s", from, strerror(errno));
	}
	if ((fd = open(M.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0640)) == -1 || dup3(fd, M.logfd, O_CLOEXEC) == -1)
		mlog("log %s: reopen: %s", M.log_path, strerror(errno));
	if (fd != -1)
		close(fd);
}

static void
log_emit(const char *data, size_t len, int stream)
{
	char	 small[4096], *buf = small;
	size_t	 need, off = 0;
	ssize_t	 n;

	need = monitor_log_line(small, sizeof(small), data, len,
	    stream == 2 ? "stderr" : "stdout", mon_now_ns());
	if (need > sizeof(small)) {
		if ((buf = malloc(need)) == NULL) {
			mlog("log: out of memory, %zu bytes lost", len);
			return;
		}
		monitor_log_line(buf, need, data, len,
		    stream == 2 ? "stderr" : "stdout", mon_now_ns());
	}
	/* As Docker: full before this line, so a file ends on a line. */
	if (M.log_max_size > 0 && M.logsize >= M.log_max_size)
		log_rotate();
	while (off < need) {
		n = write(M.logfd, buf + off, need - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			mlog("log %s: %s", M.log_path, strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	M.logsize += (int64_t)off;
	if (buf != small)
		free(buf);
}

static void
log_append(struct mon_proc *p, int stream, const char *data, size_t len)
{
	size_t	take, off, k;

	while (len > 0) {
		if (p->line[stream] == NULL &&
		    (p->line[stream] = malloc(MONITOR_LOG_LINE_MAX)) == NULL) {
			mlog("log: out of memory");
			return;
		}
		take = MONITOR_LOG_LINE_MAX - p->linelen[stream];
		if (take > len)
			take = len;
		memcpy(p->line[stream] + p->linelen[stream], data, take);
		p->linelen[stream] += take;
		data += take;
		len -= take;
		off = 0;
		while ((k = monitor_log_split(p->line[stream] + off,
		    p->linelen[stream] - off)) > 0) {
			log_emit(p->line[stream] + off, k, stream);
			off += k;
		}
		memmove(p->line[stream], p->line[stream] + off,
		    p->linelen[stream] - off);
		p->linelen[stream] -= off;
	}
}

void
mon_log_flush(struct mon_proc *p)
{
	int	s;

	for (s = 1; s <= 2; s++) {
		if (p->log && p->linelen[s] > 0)
			log_emit(p->line[s], p->linelen[s], s);
		p->linelen[s] = 0;
		free(p->line[s]);
		p->line[s] = NULL;
	}
}

/* --- output -------------------------------------------------------- */

static int
wants(const struct mon_client *cl, int stream)
{
	return (stream == 1 && (cl->flags & MON_ATTACH_STDOUT)) ||
	    (stream == 2 && (cl->flags & MON_ATTACH_STDERR));
}

/*
 * One piece of output for cl: framed unless the process has a pty, or
 * as the client asked (MUX, RAW).
 */
static void
client_queue(struct mon_client *cl, int stream, const char *data, size_t len)
{
	struct mbuf	*q = cl->replay != NULL ? &cl->backlog : &cl->outq;
	unsigned char	 hdr[8];
	int		 framed = (cl->flags & MON_ATTACH_MUX) ? 1 :
			    (cl->flags & MON_ATTACH_RAW) ? 0 : !cl->proc->terminal;

	if (framed) {
		monitor_frame_header(hdr, stream, (uint32_t)len);
		if (mbuf_put(q, hdr, sizeof(hdr)) < 0)
			goto oom;
	}
	if (mbuf_put(q, data, len) < 0)
		goto oom;
	return;
oom:
	mlog("attach: out of memory, dropping a client");
	mon_client_drop(cl);
}

static void
deliver(struct mon_proc *p, int stream, const char *data, size_t len)
{
	struct mon_client	*cl;
	unsigned char		 hdr[8];

	if (p->log)
		log_append(p, stream, data, len);
	for (cl = M.clients; cl != NULL; cl = cl->next)
		if (!cl->dead && cl->proc == p && wants(cl, stream))
			client_queue(cl, stream, data, len);
	/*
	 * An exec keeps its first output for the attach that follows; a
	 * held init, for the attaches berthd hands over before its start.
	 */
	if ((p->exec_id != NULL && !p->attached && !p->detach) ||
	    (p == M.init && M.held)) {
		monitor_frame_header(hdr, stream, (uint32_t)len);
		if (mbuf_put(&p->pre, hdr, sizeof(hdr)) < 0 ||
		    mbuf_put(&p->pre, data, len) < 0)
			mlog("exec %s: out of memory", p->exec_id);
	}
}

int
mon_output_paused(const struct mon_proc *p)
{
	const struct mon_client	*cl;

	if (mbuf_used(&p->pre) >= MON_PRE_MAX)
		return 1;
	for (cl = M.clients; cl != NULL; cl = cl->next)
		if (!cl->dead && cl->proc == p && mbuf_used(&cl->outq) +
		    mbuf_used(&cl->backlog) >= MON_QUEUE_HIGH)
			return 1;
	return 0;
}

void
mon_output_eof(struct mon_proc *p, int stream)
{
	int	*fd = stream == 1 ? &p->out_fd : &p->err_fd;

	if (*fd == -1)
		return;
	/* Whatever is still in the pipe is output too. */
	while (p->reaped && *fd != p->pty_fd) {
		ssize_t	n = read(*fd, rbuf, sizeof(rbuf));

		if (n <= 0)
			break;
		deliver(p, stream, rbuf, (size_t)n);
	}
	if (*fd != p->pty_fd)
		close(*fd);
	*fd = -1;
}

void
mon_output(struct mon_proc *p, int stream)
{
	int	fd = stream == 1 ? p->out_fd : p->err_fd;
	ssize_t	n;

	if (fd == -1)
		return;
	n = read(fd, rbuf, sizeof(rbuf));
	if (n > 0) {
		deliver(p, stream, rbuf, (size_t)n);
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	/* 0 from a pipe, EIO from a pty whose last slave closed. */
	mon_output_eof(p, stream);
}

/* --- input --------------------------------------------------------- */

static void
stdin_close(struct mon_proc *p)
{
	if (p->in_fd != -1 && p->in_fd != p->pty_fd)
		close(p->in_fd);
	if (p->in_fd != p->pty_fd)
		p->in_fd = -1;
	mbuf_free(&p->inq);
}

void
mon_stdin_write(struct mon_proc *p)
{
	ssize_t	n;

	while (p->in_fd != -1 && mbuf_used(&p->inq) > 0) {
		n = write(p->in_fd, p->inq.p + p->inq.off, mbuf_used(&p->inq));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* The process closed its stdin: drop what is left. */
			stdin_close(p);
			return;
		}
		mbuf_drop(&p->inq, (size_t)n);
	}
	if (p->in_eof && mbuf_used(&p->inq) == 0 && p->pty_fd == -1)
		stdin_close(p);
}

/* --- attach clients ----------------------------------------------------- */

void
mon_client_drop(struct mon_client *cl)
{
	if (cl->dead)
		return;
	cl->dead = 1;
	if (cl->fd != -1) {
		char	sink[4096];
		int	i;

		/*
		 * Input the process will never read (a terminal's EOF
		 * typed after it exited) would make close send a reset,
		 * and the CLI report "connection reset by peer" instead
		 * of the exit code: read it away first.
		 */
		for (i = 0; i < 16 && recv(cl->fd, sink, sizeof(sink),
		    MSG_DONTWAIT) > 0; i++)
			;
		close(cl->fd);
	}
	cl->fd = -1;
	if (cl->replay != NULL)
		fclose(cl->replay);
	cl->replay = NULL;
}

static void
client_closing(struct mon_client *cl)
{
	if (cl->closing)
		return;
	cl->closing = 1;
	cl->close_by_ms = mon_mono_ms() + MON_CLOSE_GRACE_MS;
}

void
mon_proc_clients_close(struct mon_proc *p)
{
	struct mon_client	*cl;

	for (cl = M.clients; cl != NULL; cl = cl->next)
		if (cl->proc == p)
			client_closing(cl);
}

void
mon_client_add(int fd, struct mon_proc *p, unsigned flags,
    const unsigned char *keys, size_t nkeys)
{
	struct mon_client	*cl;
	const char		*q;
	size_t			 n, len;
	struct stat		 st;
	int			 rfd;

	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	cl->fd = fd;
	cl->proc = p;
	cl->flags = flags;
	/* Docker's rule: detach keys act only on a terminal. */
	if (p->terminal && nkeys <= MONITOR_DETACH_MAX) {
		memcpy(cl->det.keys, keys, nkeys);
		cl->det.nkeys = nkeys;
	}
	if (!p->open_stdin)
		cl->flags &= ~MON_ATTACH_STDIN;
	/* A log replay has that output already. */
	if (mbuf_used(&p->pre) > 0 && !(p == M.init &&
	    (flags & MON_ATTACH_LOGS))) {
		/* Hand over what the process said so far. */
		q = p->pre.p + p->pre.off;
		len = mbuf_used(&p->pre);
		while (len >= 8) {
			n = (size_t)(unsigned char)q[4] << 24 |
			    (size_t)(unsigned char)q[5] << 16 |
			    (size_t)(unsigned char)q[6] << 8 |
			    (unsigned char)q[7];
			if (wants(cl, q[0]))
				client_queue(cl, q[0], q + 8, n);
			q += 8 + n;
			len -= 8 + n;
		}
	}
	/* A held init's output goes to every attach until its start. */
	if (!(p == M.init && M.held))
		mbuf_free(&p->pre);
	p->attached = 1;
	if ((flags & MON_ATTACH_LOGS) && p == M.init && M.log_path != NULL &&
	    M.logfd != -1 && fstat(M.logfd, &st) == 0 && st.st_size > 0 &&
	    (rfd = open(M.log_path, O_RDONLY | O_CLOEXEC)) != -1) {
		if ((cl->replay = fdopen(rfd, "re")) == NULL)
			close(rfd);
		cl->replay_end = st.st_size;
	}
	if (p->finished)
		client_closing(cl);
	cl->next = M.clients;
	M.clients = cl;
}

/* Feed replaying clients from the log while they keep up. */
void
mon_clients_pump(void)
{
	struct mon_client	*cl;
	char			*line = NULL, *dec = NULL;
	size_t			 cap = 0, deccap = 0;
	ssize_t			 n, d;
	int			 stream;

	for (cl = M.clients; cl != NULL; cl = cl->next) {
		if (cl->dead || cl->replay == NULL)
			continue;
		while (mbuf_used(&cl->outq) < MON_QUEUE_HIGH &&
		    ftello(cl->replay) < cl->replay_end &&
		    (n = getline(&line, &cap, cl->replay)) > 0) {
			if ((size_t)n > deccap) {
				free(dec);
				deccap = (size_t)n;
				if ((dec = malloc(deccap)) == NULL) {
					deccap = 0;
					break;
				}
			}
			d = monitor_log_parse(line, (size_t)n, dec, deccap,
			    &stream);
			if (d > 0 && wants(cl, stream)) {
				/* Straight to outq: the backlog waits. */
				FILE	*r = cl->replay;

				cl->replay = NULL;
				client_queue(cl, stream, dec, (size_t)d);
				cl->replay = r;
				if (cl->dead)
					break;
			}
		}
		if (cl->dead || cl->replay == NULL)
			continue;
		if (ftello(cl->replay) >= cl->replay_end || feof(cl->replay) ||
		    ferror(cl->replay)) {
			fclose(cl->replay);
			cl->replay = NULL;
			if (mbuf_put(&cl->outq, cl->backlog.p + cl->backlog.off,
			    mbuf_used(&cl->backlog)) < 0)
				mon_client_drop(cl);
			mbuf_free(&cl->backlog);
		}
	}
	free(line);
	free(dec);
}

static void
notify_detach(struct mon_proc *p)
{
	struct monitor_pkt	pkt;
	char			buf[256];

	monitor_pkt_init(&pkt, buf, sizeof(buf), "detach");
	if (p->exec_id != NULL)
		monitor_pkt_add(&pkt, "exec", p->exec_id);
	mon_broadcast(&pkt);
}

void
mon_client_read(struct mon_client *cl)
{
	struct mon_proc	*p = cl->proc;
	unsigned char	 out[sizeof(rbuf) + MONITOR_DETACH_MAX];
	size_t		 o;
	ssize_t		 n;
	int		 detached = 0;

	n = read(cl->fd, rbuf, sizeof(rbuf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		mon_client_drop(cl);
		return;
	}
	if (n == 0) {
		/*
		 * The CLI half-closes as soon as its input ends: that is
		 * "stdin closed", never "client gone".
		 */
		cl->rd_done = 1;
		if (!(cl->flags & MON_ATTACH_STDIN))
			return;
		if (p->stdin_once && !p->terminal) {
			p->in_eof = 1;
			mon_stdin_write(p);
		} else
			client_closing(cl);
		return;
	}
	if (!(cl->flags & MON_ATTACH_STDIN) || p->in_fd == -1 || p->finished)
		return;
	o = monitor_detach_feed(&cl->det, (unsigned char *)rbuf, (size_t)n,
	    out, &detached);
	if (o > 0 && mbuf_put(&p->inq, out, o) < 0)
		mlog("stdin: out of memory, %zu bytes lost", o);
	mon_stdin_write(p);
	if (detached) {
		notify_detach(p);
		mon_client_drop(cl);
	}
}

void
mon_client_write(struct mon_client *cl)
{
	ssize_t	n;

	while (mbuf_used(&cl->outq) > 0) {
		n = send(cl->fd, cl->outq.p + cl->outq.off,
		    mbuf_used(&cl->outq), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1 && errno == ENOTSOCK)
			n = write(cl->fd, cl->outq.p + cl->outq.off,
			    mbuf_used(&cl->outq));
		if (n <= 0) {
			mon_client_drop(cl);
			return;
		}
		mbuf_drop(&cl->outq, (size_t)n);
	}
}

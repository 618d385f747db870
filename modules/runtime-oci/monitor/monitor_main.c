/*
 * monitor_main.c - berth-monitor's command line, daemonizing and poll
 * loop.
 *
 *	berth-monitor --id ID --bundle DIR --state-dir DIR --runtime PATH
 *	    --runtime-root DIR [--runtime-arg ARG]... [--log-path FILE]
 *	    [--terminal] [--open-stdin] [--stdin-once] [--run]
 *
 * berthd spawns it; it forks once more so that the monitor proper is
 * nobody's child but init's (and never a session leader, so it can never
 * acquire a controlling terminal).  The first process exits when the
 * monitor is ready: 0 once the runtime has created the container and
 * monitor.sock listens, else an errno value, with the reason on stderr.
 */
#include <sys/poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

struct mon	M;

void
mlog(const char *fmt, ...)
{
	char	 t[40];
	va_list	 ap;

	fprintf(stderr, "%s berth-monitor[%ld] %s: ",
	    monitor_time_rfc3339(mon_now_ns(), t, sizeof(t)), (long)getpid(),
	    M.id ? M.id : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

int64_t
mon_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
mon_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: berth-monitor --id ID --bundle DIR "
	    "--state-dir DIR --runtime PATH --runtime-root DIR\n"
	    "    [--runtime-arg ARG]... [--log-path FILE] [--log-max-size N "
	    "--log-max-files N]\n    [--terminal] [--open-stdin] "
	    "[--stdin-once] [--run]\n");
	exit(EINVAL);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id",			required_argument, NULL, 'i' },
		{ "bundle",		required_argument, NULL, 'b' },
		{ "state-dir",		required_argument, NULL, 's' },
		{ "runtime",		required_argument, NULL, 'r' },
		{ "runtime-arg",	required_argument, NULL, 'a' },
		{ "runtime-root",	required_argument, NULL, 'R' },
		{ "log-path",		required_argument, NULL, 'l' },
		{ "log-max-size",	required_argument, NULL, 'S' },
		{ "log-max-files",	required_argument, NULL, 'F' },
		{ "terminal",		no_argument,	   NULL, 't' },
		{ "open-stdin",		no_argument,	   NULL, 'o' },
		{ "stdin-once",		no_argument,	   NULL, 'O' },
		{ "run",		no_argument,	   NULL, 'n' },
		{ NULL,			0,		   NULL, 0 }
	};
	int	ch;

	/* Never more runtime args than argv holds: size the list so. */
	if ((M.runtime_args = calloc((size_t)argc + 1,
	    sizeof(*M.runtime_args))) == NULL)
		exit(ENOMEM);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':	M.id = optarg; break;
		case 'b':	M.bundle = optarg; break;
		case 's':	M.state_dir = optarg; break;
		case 'r':	M.runtime = optarg; break;
		case 'a':	M.runtime_args[M.nruntime_args++] = optarg; break;
		case 'R':	M.runtime_root = optarg; break;
		case 'l':	M.log_path = optarg; break;
		case 'S':	M.log_max_size = strtoll(optarg, NULL, 10);
				break;
		case 'F':	M.log_max_files = atoi(optarg); break;
		case 't':	M.terminal = 1; break;
		case 'o':	M.open_stdin = 1; break;
		case 'O':	M.stdin_once = 1; break;
		case 'n':	M.run = 1; break;
		default:	usage();
		}
	}
	if (optind != argc || M.id == NULL || M.bundle == NULL ||
	    M.state_dir == NULL || M.runtime == NULL ||
	    M.runtime_root == NULL || M.bundle[0] != '/' ||
	    M.state_dir[0] != '/')
		usage();
}

/* mkdir -p, 0700 for what it creates. */
static int
mkdir_p(const char *path)
{
	char	buf[PATH_MAX], *s;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (s = buf + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0711) == -1 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(buf, 0700) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The intermediate process: wait for the monitor's verdict, pass it on. */
static void __attribute__((noreturn))
await_ready(int rfd)
{
	unsigned char	 b;
	ssize_t		 n;

	do
		n = read(rfd, &b, 1);
	while (n == -1 && errno == EINTR);
	_exit(n == 1 ? b : EIO);
}

static int
setup_signals(void)
{
	sigset_t	set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -errno;
	if ((M.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		return -errno;
	return 0;
}

static void
reap(void)
{
	struct signalfd_siginfo	 si;
	pid_t			 pid;
	int			 st;

	while (read(M.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM) {
			mlog("SIGTERM: exiting, the container is left running");
			M.quit = 1;
		}
	}
	for (;;) {
		pid = waitpid(-1, &st, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		mon_reaped(pid, st);
	}
}

/* What one pollfd stands for. */
enum pk {
	PK_SIG, PK_LISTEN, PK_CONN, PK_OUT, PK_ERR, PK_IN, PK_CLIENT,
};

struct pent {
	enum pk	 kind;
	void	*ptr;
};

struct pset {
	struct pollfd	*pfd;
	struct pent	*ent;
	size_t		 n;
	size_t		 cap;
};

static int
padd(struct pset *s, int fd, short events, enum pk kind, void *ptr)
{
	void	*np;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		if ((np = reallocarray(s->pfd, s->cap, sizeof(*s->pfd))) ==
		    NULL)
			return -ENOMEM;
		s->pfd = np;
		if ((np = reallocarray(s->ent, s->cap, sizeof(*s->ent))) ==
		    NULL)
			return -ENOMEM;
		s->ent = np;
	}
	s->pfd[s->n].fd = fd;
	s->pfd[s->n].events = events;
	s->pfd[s->n].revents = 0;
	s->ent[s->n].kind = kind;
	s->ent[s->n].ptr = ptr;
	s->n++;
	return 0;
}

/* Drop what died during dispatch; finish processes whose output ended. */
static void
sweep(void)
{
	struct mon_client	**cp, *cl;
	struct mon_conn		**np, *c;
	struct mon_pkt		 *pk;
	struct mon_proc		 *p;
	struct mon_cmd		 *cmd;
	int64_t			  now = mon_mono_ms();

	for (p = M.procs; p != NULL; p = p->next) {
		if (!p->reaped || p->finished || p->dead)
			continue;
		if (now - p->reaped_ms >= MON_EOF_GRACE_MS) {
			/* Something outside kept the pipes open: stop here. */
			if (p->out_fd != -1)
				mon_output_eof(p, 1);
			if (p->err_fd != -1)
				mon_output_eof(p, 2);
		}
		if (p->out_fd == -1 && p->err_fd == -1)
			mon_proc_finish(p);
	}
	mon_clients_pump();
	for (cp = &M.clients; (cl = *cp) != NULL;) {
		if (!cl->dead && cl->closing && mbuf_used(&cl->outq) == 0 &&
		    cl->replay == NULL)
			mon_client_drop(cl);
		if (!cl->dead && cl->closing && now >= cl->close_by_ms)
			mon_client_drop(cl);
		if (!cl->dead) {
			cp = &cl->next;
			continue;
		}
		*cp = cl->next;
		mbuf_free(&cl->outq);
		mbuf_free(&cl->backlog);
		free(cl);
	}
	mon_procs_sweep();
	for (np = &M.conns; (c = *np) != NULL;) {
		if (!c->dead) {
			np = &c->next;
			continue;
		}
		*np = c->next;
		for (cmd = M.cmds; cmd != NULL; cmd = cmd->next)
			if (cmd->conn == c)
				cmd->conn = NULL;
		if (M.del_conn == c)
			M.del_conn = NULL;
		if (c->fd != -1)
			close(c->fd);
		while ((pk = c->head) != NULL) {
			c->head = pk->next;
			free(pk);
		}
		free(c);
	}
}

static int
next_timeout(void)
{
	struct mon_client	*cl;
	struct mon_proc		*p;
	int64_t			 now = mon_mono_ms(), t = -1, d;

	for (p = M.procs; p != NULL; p = p->next)
		if (p->reaped && !p->finished) {
			d = p->reaped_ms + MON_EOF_GRACE_MS - now;
			if (t < 0 || d < t)
				t = d;
		}
	for (cl = M.clients; cl != NULL; cl = cl->next)
		if (cl->closing) {
			d = cl->close_by_ms - now;
			if (t < 0 || d < t)
				t = d;
		}
	if (t < 0)
		return -1;
	return t < 1 ? 1 : (int)(t > 60000 ? 60000 : t);
}

static void
loop(void)
{
	struct pset		 s = { NULL, NULL, 0, 0 };
	struct mon_conn		*c;
	struct mon_proc		*p;
	struct mon_client	*cl;
	size_t			 i;
	short			 re;
	int			 paused;

	while (!M.quit) {
		s.n = 0;
		if (padd(&s, M.sigfd, POLLIN, PK_SIG, NULL) < 0 ||
		    padd(&s, M.lsock, POLLIN, PK_LISTEN, NULL) < 0)
			goto oom;
		for (c = M.conns; c != NULL; c = c->next)
			if (padd(&s, c->fd, POLLIN | (c->head ? POLLOUT : 0),
			    PK_CONN, c) < 0)
				goto oom;
		for (p = M.procs; p != NULL; p = p->next) {
			paused = mon_output_paused(p);
			if (p->out_fd != -1 && !paused &&
			    padd(&s, p->out_fd, POLLIN, PK_OUT, p) < 0)
				goto oom;
			if (p->err_fd != -1 && !paused &&
			    padd(&s, p->err_fd, POLLIN, PK_ERR, p) < 0)
				goto oom;
			if (p->in_fd != -1 && mbuf_used(&p->inq) > 0 &&
			    padd(&s, p->in_fd, POLLOUT, PK_IN, p) < 0)
				goto oom;
		}
		for (cl = M.clients; cl != NULL; cl = cl->next) {
			re = 0;
			if (!cl->rd_done && !cl->closing &&
			    (cl->proc == NULL ||
			    mbuf_used(&cl->proc->inq) < MON_QUEUE_HIGH))
				re |= POLLIN;
			if (mbuf_used(&cl->outq) > 0)
				re |= POLLOUT;
			if (padd(&s, cl->fd, re, PK_CLIENT, cl) < 0)
				goto oom;
		}
		if (poll(s.pfd, s.n, next_timeout()) == -1) {
			if (errno == EINTR)
				continue;
			mlog("poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < s.n; i++) {
			re = s.pfd[i].revents;
			if (re == 0)
				continue;
			switch (s.ent[i].kind) {
			case PK_SIG:
				reap();
				break;
			case PK_LISTEN:
				mon_ctl_accept();
				break;
			case PK_CONN:
				c = s.ent[i].ptr;
				if (!c->dead && (re & POLLOUT))
					mon_conn_write(c);
				if (!c->dead && (re & (POLLIN | POLLHUP |
				    POLLERR)))
					mon_conn_read(c);
				break;
			case PK_OUT:
			case PK_ERR:
				p = s.ent[i].ptr;
				mon_output(p, s.ent[i].kind == PK_OUT ? 1 : 2);
				break;
			case PK_IN:
				mon_stdin_write(s.ent[i].ptr);
				break;
			case PK_CLIENT:
				cl = s.ent[i].ptr;
				if (!cl->dead && (re & POLLOUT))
					mon_client_write(cl);
				if (!cl->dead && (re & (POLLIN | POLLHUP |
				    POLLERR)))
					mon_client_read(cl);
				break;
			}
		}
		sweep();
	}
	free(s.pfd);
	free(s.ent);
	return;
oom:
	mlog("out of memory in the poll loop");
	free(s.pfd);
	free(s.ent);
}

/* Last words (a delete's reply) reach berthd before we go. */
static void
flush_conns(void)
{
	struct timeval	 tv = { 1, 0 };
	struct mon_conn	*c;
	int		 fl;

	for (c = M.conns; c != NULL; c = c->next) {
		if (c->dead || c->head == NULL)
			continue;
		fl = fcntl(c->fd, F_GETFL);
		(void)fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
		(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv));
		mon_conn_write(c);
	}
}

int
main(int argc, char **argv)
{
	char	 err[1024];
	int	 ready[2], rc, fd;
	pid_t	 pid;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	M.lsock = M.sigfd = M.logfd = M.dirfd = -1;
	if ((rc = mkdir_p(M.state_dir)) < 0) {
		fprintf(stderr, "berth-monitor: state dir %s: %s\n",
		    M.state_dir, strerror(-rc));
		return -rc;
	}
	if (pipe2(ready, O_CLOEXEC) == -1)
		return errno;
	if ((pid = fork()) == -1)
		return errno;
	if (pid > 0) {
		close(ready[1]);
		await_ready(ready[0]);
	}
	close(ready[0]);

	rc = 0;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		rc = errno;
		snprintf(err, sizeof(err), "cannot become a subreaper: %s",
		    strerror(rc));
	} else if ((M.dirfd = open(M.state_dir, O_PATH | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || chdir(M.state_dir) == -1) {
		rc = errno;
		snprintf(err, sizeof(err), "state dir %s: %s", M.state_dir,
		    strerror(rc));
	} else if ((rc = -setup_signals()) != 0)
		snprintf(err, sizeof(err), "signals: %s", strerror(rc));
	else if ((rc = -mon_ctl_listen(err, sizeof(err))) == 0)
		rc = -mon_create(err, sizeof(err));
	if (rc != 0) {
		unsigned char	b = (unsigned char)(rc > 0 && rc < 256 ? rc :
				    EIO);

		fprintf(stderr, "%s\n", err);
		/* A failed create leaves no trace for restore to find. */
		(void)unlink("monitor.sock");
		if (chdir("/") == 0)
			(void)rmdir(M.state_dir);
		(void)write(ready[1], &b, 1);
		return 1;
	}
	/* From now on nobody reads our stderr but the state dir. */
	if ((fd = open("monitor.log", O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0600)) != -1) {
		(void)dup2(fd, 2);
		close(fd);
	}
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		close(fd);
	}
	{
		unsigned char	ok = 0;

		(void)write(ready[1], &ok, 1);
		close(ready[1]);
	}
	loop();
	flush_conns();
	return 0;
}

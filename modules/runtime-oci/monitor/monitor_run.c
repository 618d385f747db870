/*
 * monitor_run.c - the OCI runtime's command line, and the container's
 * life as the monitor sees it: create, start, kill, pause, delete, exec,
 * reaping and the exit record.
 *
 * Every runtime command gets the same global options
 * (--root R --log BUNDLE/runtime.log --log-format json); when one fails,
 * its message is the last error it appended to that log.
 */
#include <sys/ioctl.h>
#include <sys/poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/fs.h>

#include "monitor.h"

const char *
mon_status_name(enum mon_status s)
{
	switch (s) {
	case MON_CREATED:	return "created";
	case MON_RUNNING:	return "running";
	case MON_PAUSED:	return "paused";
	default:		return "stopped";
	}
}

struct mon_proc *
mon_proc_find(const char *exec_id)
{
	struct mon_proc	*p;

	for (p = M.procs; p != NULL; p = p->next)
		if (p->dead)
			continue;
		else if ((exec_id == NULL && p->exec_id == NULL) ||
		    (exec_id != NULL && p->exec_id != NULL &&
		    strcmp(exec_id, p->exec_id) == 0))
			return p;
	return NULL;
}

/* The state directory's files (cwd), atomically; durable: the rename too. */
static int
write_file(const char *name, const char *data, size_t len, int durable)
{
	return berth_write_file(name, data, len, 0600, durable ?
	    BERTH_WRITE_DIRSYNC : 0);
}

void
mon_write_state(void)
{
	char	buf[256];
	int	n, rc;

	n = snprintf(buf, sizeof(buf), "{\"status\":\"%s\",\"pid\":%ld,"
	    "\"started_ns\":%lld,\"monitor_pid\":%ld}\n",
	    mon_status_name(M.status), M.init ? (long)M.init->pid : 0L,
	    (long long)M.started_ns, (long)getpid());
	if ((rc = write_file("state.json", buf, (size_t)n, 0)) < 0)
		mlog("state.json: %s", strerror(-rc));
}

static int
console_path(const char *name, char *buf, size_t len)
{
	struct sockaddr_un	sun;

	int			n;

	if (strlen(M.state_dir) + 1 + strlen(name) < sizeof(sun.sun_path))
		n = snprintf(buf, len, "%s/%s", M.state_dir, name);
	else	/* Too long for sun_path: reach the dir through our fd. */
		n = snprintf(buf, len, "/proc/%ld/fd/%d/%s", (long)getpid(),
		    M.dirfd, name);
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	return 0;
}

/* A listening socket at name in the state dir (our cwd). */
static int
console_listen(const char *name)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", name);
	(void)unlink(name);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 1) == -1) {
		close(fd);
		return -errno;
	}
	return fd;
}

int
mon_recv_console(int lsock, char *err, size_t errlen)
{
	char		 cbuf[CMSG_SPACE(sizeof(int))], name[256];
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	int		 c, fd = -1;

	/* The runtime has exited: its connection waits in the backlog. */
	if ((c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		snprintf(err, errlen, "the runtime sent no terminal on the "
		    "console socket: %s", strerror(errno));
		return -EIO;
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = name;
	iov.iov_len = sizeof(name);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if (recvmsg(c, &mh, MSG_CMSG_CLOEXEC) >= 0)
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_RIGHTS &&
			    cm->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	close(c);
	if (fd == -1) {
		snprintf(err, errlen, "the runtime's console message held "
		    "no terminal");
		return -EIO;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static off_t
file_size(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* The runtime's last error message since off, into buf. */
static void
runtime_error(off_t off, char *buf, size_t len)
{
	char	*text;
	off_t	 size = file_size(M.runtime_log);
	ssize_t	 n;
	int	 fd;

	buf[0] = '\0';
	if (size <= off)
		return;
	/* The last 256 KiB are plenty for the last message. */
	if (size - off > 256 * 1024)
		off = size - 256 * 1024;
	if ((fd = open(M.runtime_log, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if ((text = malloc((size_t)(size - off))) != NULL &&
	    (n = pread(fd, text, (size_t)(size - off), off)) > 0)
		monitor_runtime_error(text, (size_t)n, buf, len);
	free(text);
	close(fd);
}

struct mon_cmd *
mon_runtime(const char *const *sub, const int fds[3], mon_cmd_cb cb,
    char *err, size_t errlen)
{
	const char	**argv;
	struct mon_cmd	 *c;
	sigset_t	  none;
	size_t		  n = 0, i;
	int		  nul, src[3];

	/*
	 * A bundle removed under us (the service cleaning up early) must
	 * not make the runtime fail for want of its log: log beside us.
	 */
	if (access(M.bundle, F_OK) == -1 && errno == ENOENT)
		snprintf(M.runtime_log, sizeof(M.runtime_log),
		    "%s/runtime.log", M.state_dir);
	for (i = 0; sub[i] != NULL; i++)
		;
	if ((argv = calloc(M.nruntime_args + i + 9, sizeof(*argv))) == NULL ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		free(argv);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	argv[n++] = M.runtime;
	for (i = 0; i < M.nruntime_args; i++)
		argv[n++] = M.runtime_args[i];
	argv[n++] = "--root";
	argv[n++] = M.runtime_root;
	argv[n++] = "--log";
	argv[n++] = M.runtime_log;
	argv[n++] = "--log-format";
	argv[n++] = "json";
	for (i = 0; sub[i] != NULL; i++)
		argv[n++] = sub[i];
	argv[n] = NULL;
	c->console = -1;
	c->cb = cb;
	c->log_off = file_size(M.runtime_log);
	if ((c->pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		free(argv);
		free(c);
		return NULL;
	}
	if (c->pid == 0) {
		/* The child: what the runtime (and the container) inherit. */
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (i = 0; i < 3; i++) {
			src[i] = fds != NULL && fds[i] != -1 ? fds[i] : nul;
			if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) == -1)
				_exit(127);
		}
		for (i = 0; i < 3; i++)
			if (dup2(src[i], (int)i) == -1)
				_exit(127);
		if (syscall(SYS_close_range, 3U, ~0U, 0U) == -1)
			for (i = 3; i < 1024; i++)
				(void)close((int)i);
		execv(M.runtime, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", M.runtime, strerror(errno));
		_exit(127);
	}
	free(argv);
	c->next = M.cmds;
	M.cmds = c;
	return c;
}

static void
cmd_free(struct mon_cmd *c)
{
	if (c->console != -1)
		close(c->console);
	if (c->console_path != NULL)
		(void)unlink(c->console_path);
	free(c->console_path);
	free(c->seq);
	free(c);
}

static void
oom_setup(struct mon_proc *p)
{
	char	 path[64], line[1024], file[PATH_MAX], *s, *ctl, *cg;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)p->pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	file[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((s = strchr(line, ':')) == NULL ||
		    (cg = strchr(s + 1, ':')) == NULL)
			continue;
		ctl = s + 1;
		*cg++ = '\0';
		if (strcmp(ctl, "memory") == 0 || strstr(ctl, "memory,") ||
		    strstr(ctl, ",memory")) {
			snprintf(file, sizeof(file),
			    "/sys/fs/cgroup/memory%s/memory.oom_control", cg);
			break;
		}
		if (*ctl == '\0' && file[0] == '\0')
			snprintf(file, sizeof(file),
			    "/sys/fs/cgroup%s/memory.events", cg);
	}
	fclose(f);
	if (file[0] == '\0' || access(file, R_OK) == -1)
		return;
	p->oom_file = strdup(file);
	p->oom_base = -1;
	if ((f = fopen(file, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "oom_kill ", 9) == 0)
			p->oom_base = strtol(line + 9, NULL, 10);
	fclose(f);
}

static int
oom_check(struct mon_proc *p)
{
	char	 line[256];
	long	 n = -1;
	FILE	*f;

	if (p->oom_file == NULL || (f = fopen(p->oom_file, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "oom_kill ", 9) == 0)
			n = strtol(line + 9, NULL, 10);
	fclose(f);
	return p->oom_base >= 0 && n > p->oom_base;
}

static pid_t
read_pid(const char *path)
{
	char	buf[32];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

/* The status of pid if it was reaped before it was known. */
static int
orphan_claim(pid_t pid, int *st)
{
	unsigned	i;

	for (i = 0; i < M.norphans && i < 32; i++)
		if (M.orphan_pid[i] == pid) {
			*st = M.orphan_status[i];
			M.orphan_pid[i] = 0;
			return 1;
		}
	return 0;
}

static void
proc_set_reaped(struct mon_proc *p, int st)
{
	p->reaped = 1;
	p->wstatus = st;
	p->reaped_ms = mon_mono_ms();
	p->finished_ns = mon_now_ns();
}

void
mon_reaped(pid_t pid, int st)
{
	struct mon_cmd	**cp, *c;
	struct mon_proc	 *p;
	char		  err[1024];

	for (cp = &M.cmds; (c = *cp) != NULL; cp = &c->next)
		if (c->pid == pid)
			break;
	if (c != NULL) {
		*cp = c->next;
		err[0] = '\0';
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			runtime_error(c->log_off, err, sizeof(err));
			if (err[0] == '\0' && WIFEXITED(st))
				snprintf(err, sizeof(err), "%s exited with "
				    "status %d", M.runtime, WEXITSTATUS(st));
			else if (err[0] == '\0')
				snprintf(err, sizeof(err), "%s killed by "
				    "signal %d", M.runtime, WTERMSIG(st));
		}
		c->cb(c, st, err);
		cmd_free(c);
		return;
	}
	for (p = M.procs; p != NULL; p = p->next)
		if (p->pid == pid && !p->reaped) {
			proc_set_reaped(p, st);
			return;
		}
	/* Unknown yet (an exec faster than its pid file), or a stray. */
	M.orphan_pid[M.norphans % 32] = pid;
	M.orphan_status[M.norphans % 32] = st;
	M.norphans++;
}

static struct mon_proc *
proc_new(const char *exec_id, int terminal, int open_stdin, int stdin_once)
{
	struct mon_proc	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (exec_id != NULL && (p->exec_id = strdup(exec_id)) == NULL) {
		free(p);
		return NULL;
	}
	p->terminal = terminal;
	p->open_stdin = open_stdin;
	p->stdin_once = stdin_once;
	p->pty_fd = p->in_fd = p->out_fd = p->err_fd = -1;
	return p;
}

static void
proc_free(struct mon_proc *p)
{
	int	i;

	if (p->pty_fd != -1)
		close(p->pty_fd);
	if (p->in_fd != -1 && p->in_fd != p->pty_fd)
		close(p->in_fd);
	if (p->out_fd != -1 && p->out_fd != p->pty_fd)
		close(p->out_fd);
	if (p->err_fd != -1)
		close(p->err_fd);
	for (i = 0; i < 3; i++)
		free(p->line[i]);
	mbuf_free(&p->inq);
	mbuf_free(&p->pre);
	free(p->oom_file);
	free(p->exec_id);
	free(p);
}

/*
 * Free the execs that are done with: dead (a failed exec), or finished
 * with nobody attached and nobody still to come.  Only from the sweep:
 * during dispatch the poll set still points at them.
 */
void
mon_procs_sweep(void)
{
	struct mon_proc		**pp, *p;
	struct mon_client	 *cl;
	int64_t			  now = mon_mono_ms();

	for (pp = &M.procs; (p = *pp) != NULL;) {
		if (p->exec_id != NULL && !p->dead && p->finished &&
		    (p->attached || p->detach ||
		    now - p->finished_ms >= MON_EXEC_KEEP_MS))
			p->dead = 1;
		for (cl = M.clients; cl != NULL && p->dead; cl = cl->next)
			if (cl->proc == p && !cl->dead)
				break;
		if (!p->dead || cl != NULL) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		proc_free(p);
	}
}

/*
 * Pipes (or a console socket) for a process about to be created:
 * fds[] is what the runtime gets, the rest stays in p.  Returns 0 or
 * -errno.
 */
static int
stdio_setup(struct mon_proc *p, int fds[3], int diag[2])
{
	int	in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };

	fds[0] = fds[1] = fds[2] = -1;
	diag[0] = diag[1] = -1;
	if (p->terminal) {
		/* The runtime's own words only: the process gets the pty. */
		if (pipe2(diag, O_CLOEXEC | O_NONBLOCK) == -1)
			return -errno;
		fds[1] = fds[2] = diag[1];
		return 0;
	}
	if ((p->open_stdin && pipe2(in, O_CLOEXEC) == -1) ||
	    pipe2(out, O_CLOEXEC) == -1 || pipe2(er, O_CLOEXEC) == -1) {
		int	e = errno, i;
		int	*all[] = { in, out, er };

		for (i = 0; i < 3; i++) {
			if (all[i][0] != -1)
				close(all[i][0]);
			if (all[i][1] != -1)
				close(all[i][1]);
		}
		return -e;
	}
	if (in[1] != -1) {
		(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
		p->in_fd = in[1];
	}
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(er[0], F_SETFL, O_NONBLOCK);
	p->out_fd = out[0];
	p->err_fd = er[0];
	fds[0] = in[0];
	fds[1] = out[1];
	fds[2] = er[1];
	return 0;
}

static void
pair_close(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	p[0] = p[1] = -1;
}

static void
fds_close(int fds[3])
{
	int	i;

	for (i = 0; i < 3; i++)
		if (fds[i] != -1 && (i == 0 || fds[i] != fds[i - 1]))
			close(fds[i]);
	fds[0] = fds[1] = fds[2] = -1;
}

/* --- create ------------------------------------------------------------ */

struct create_wait {
	int	done;
	int	wstatus;
	char	err[1024];
};

static void
create_done(struct mon_cmd *c, int st, const char *err)
{
	struct create_wait	*w = c->arg;

	w->done = 1;
	w->wstatus = st;
	snprintf(w->err, sizeof(w->err), "%s", err);
}

/* Run one runtime command to its end (only before the loop starts). */
static int
run_sync(struct mon_cmd *c, struct create_wait *w)
{
	struct pollfd	pfd = { M.sigfd, POLLIN, 0 };
	char		buf[256];
	pid_t		pid;
	int		st;

	c->arg = w;
	while (!w->done) {
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -errno;
		while (read(M.sigfd, buf, sizeof(buf)) > 0)
			;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			mon_reaped(pid, st);
	}
	return 0;
}

int
mon_create(char *err, size_t errlen)
{
	struct create_wait	 w;
	struct mon_proc		*p;
	struct mon_cmd		*c;
	struct stat		 st;
	char			 pidfile[PATH_MAX], csock[128], diagbuf[512];
	const char		*sub[12];
	int			 fds[3], diag[2], lsock = -1, rc, n = 0, wst;
	ssize_t			 dn;

	snprintf(M.runtime_log, sizeof(M.runtime_log), "%s/runtime.log",
	    M.bundle);
	snprintf(pidfile, sizeof(pidfile), "%s/init.pid", M.bundle);
	if (access(M.runtime, X_OK) == -1) {
		rc = -errno;
		snprintf(err, errlen, "OCI runtime %s: %s", M.runtime,
		    strerror(errno));
		return rc;
	}
	if (M.log_path != NULL && *M.log_path != '\0' &&
	    (M.logfd = open(M.log_path, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0640)) == -1) {
		rc = -errno;
		snprintf(err, errlen, "log %s: %s", M.log_path,
		    strerror(errno));
		return rc;
	}
	if (M.logfd != -1 && fstat(M.logfd, &st) == 0)
		M.logsize = st.st_size;
	if ((p = proc_new(NULL, M.terminal, M.open_stdin, M.stdin_once)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->log = M.logfd != -1;
	(void)unlink(pidfile);
	if ((rc = stdio_setup(p, fds, diag)) < 0) {
		snprintf(err, errlen, "pipes: %s", strerror(-rc));
		proc_free(p);
		return rc;
	}
	/*
	 * One runtime exec instead of two (create, then start) where the
	 * runtime has `run`: the process runs now, held (see M.held) until
	 * berthd's start, which then costs no exec.
	 */
	sub[n++] = M.run ? "run" : "create";
	if (M.run)
		sub[n++] = "--detach";
	sub[n++] = "--bundle";
	sub[n++] = M.bundle;
	sub[n++] = "--pid-file";
	sub[n++] = pidfile;
	if (p->terminal) {
		if ((rc = console_path("console.sock", csock,
		    sizeof(csock))) < 0 ||
		    (lsock = console_listen("console.sock")) < 0) {
			rc = rc < 0 ? rc : lsock;
			snprintf(err, errlen, "console socket: %s",
			    strerror(-rc));
			fds_close(fds);
			pair_close(diag);
			proc_free(p);
			return rc;
		}
		sub[n++] = "--console-socket";
		sub[n++] = csock;
	}
	sub[n++] = M.id;
	sub[n] = NULL;
	memset(&w, 0, sizeof(w));
	c = mon_runtime(sub, fds, create_done, err, errlen);
	/* Ours no longer: the runtime (then the container) holds them. */
	fds_close(fds);
	if (diag[1] != -1)
		close(diag[1]);
	if (c == NULL || run_sync(c, &w) < 0) {
		if (lsock != -1)
			close(lsock);
		if (diag[0] != -1)
			close(diag[0]);
		(void)unlink("console.sock");
		proc_free(p);
		return -EIO;
	}
	rc = 0;
	if (!WIFEXITED(w.wstatus) || WEXITSTATUS(w.wstatus) != 0) {
		/* Nothing in the log: what the runtime printed instead. */
		diagbuf[0] = '\0';
		if (w.err[0] == '\0' || strstr(w.err, "exited with status")) {
			dn = read(diag[0] != -1 ? diag[0] : p->err_fd, diagbuf,
			    sizeof(diagbuf) - 1);
			if (dn > 0) {
				diagbuf[dn] = '\0';
				diagbuf[strcspn(diagbuf, "\n")] = '\0';
			}
		}
		snprintf(err, errlen, "OCI runtime create failed: %s",
		    diagbuf[0] != '\0' ? diagbuf : w.err);
		rc = -EIO;
	} else if ((p->pid = read_pid(pidfile)) <= 0) {
		snprintf(err, errlen, "OCI runtime create: no pid in %s",
		    pidfile);
		rc = -EIO;
	} else if (p->terminal) {
		if ((p->pty_fd = mon_recv_console(lsock, err, errlen)) < 0)
			rc = p->pty_fd;
		else
			p->out_fd = p->in_fd = p->pty_fd;
		if (rc < 0)
			p->pty_fd = -1;
	}
	if (lsock != -1)
		close(lsock);
	if (diag[0] != -1)
		close(diag[0]);
	(void)unlink("console.sock");
	if (rc < 0) {
		/* Leave the runtime nothing half made. */
		const char	*del[] = { "delete", "--force", M.id, NULL };

		memset(&w, 0, sizeof(w));
		if ((c = mon_runtime(del, NULL, create_done, w.err,
		    sizeof(w.err))) != NULL)
			(void)run_sync(c, &w);
		proc_free(p);
		return rc;
	}
	/* Run, it may have ended already: reaped then as a stranger. */
	if (orphan_claim(p->pid, &wst))
		proc_set_reaped(p, wst);
	oom_setup(p);
	M.init = p;
	p->next = M.procs;
	M.procs = p;
	M.status = MON_CREATED;
	if (M.run) {
		M.held = 1;
		M.held_ns = mon_now_ns();
	}
	mon_write_state();
	return 0;
}

/* --- exit ---------------------------------------------------------- */

static void	auto_delete(void);
static void	delete_done(struct mon_cmd *c, int st, const char *err);
static void	state_dir_clean(void);

/* The init's exit, told; then the runtime's delete, started early. */
static void
init_exit_announce(void)
{
	mon_notify_exit(M.init);
	auto_delete();
}

void
mon_proc_finish(struct mon_proc *p)
{
	char	buf[256];
	int	n, rc;

	if (p->finished)
		return;
	p->finished = 1;
	p->finished_ms = mon_mono_ms();
	mon_log_flush(p);
	if (WIFEXITED(p->wstatus))
		p->exit_code = WEXITSTATUS(p->wstatus);
	else if (WIFSIGNALED(p->wstatus))
		p->exit_code = 128 + WTERMSIG(p->wstatus);
	else
		p->exit_code = 255;
	p->oom = oom_check(p);
	if (p->in_fd != -1 && p->in_fd != p->pty_fd)
		close(p->in_fd);
	p->in_fd = -1;
	if (p->pty_fd != -1)
		close(p->pty_fd);
	p->pty_fd = -1;
	mon_proc_clients_close(p);
	if (p == M.init) {
		M.status = MON_STOPPED;
		mon_write_state();
		/*
		 * Told first, recorded durably after: the fsyncs cost more
		 * than the rest of an exit on a disk, and exit.json is read
		 * only when this monitor is gone, which it is not yet.
		 */
		if (!M.start_pending && !M.held && !M.deleting)
			init_exit_announce();
		n = snprintf(buf, sizeof(buf), "{\"exit_code\":%d,"
		    "\"oom_killed\":%s,\"finished_ns\":%lld}\n", p->exit_code,
		    p->oom ? "true" : "false", (long long)p->finished_ns);
		if ((rc = write_file("exit.json", buf, (size_t)n, 1)) < 0)
			mlog("exit.json: %s", strerror(-rc));
		return;
	} else {
		snprintf(buf, sizeof(buf), "exec-%s.json", p->exec_id);
		(void)unlink(buf);
		snprintf(buf, sizeof(buf), "exec-%s.pid", p->exec_id);
		(void)unlink(buf);
	}
	if (!M.deleting)
		mon_notify_exit(p);
}

/* --- commands ------------------------------------------------------ */

static int
cmd_attach_conn(struct mon_cmd *c, struct mon_conn *conn,
    const struct monitor_msg *m)
{
	const char	*seq = monitor_msg_get(m, "seq");

	c->conn = conn;
	if ((c->seq = strdup(seq ? seq : "0")) == NULL)
		return -ENOMEM;
	return 0;
}

/* The process runs (since started_ns): tell who asked. */
static void
started(struct mon_conn *conn, const char *seq, int64_t started_ns)
{
	struct monitor_pkt	pkt;
	char			buf[256];

	M.started_ns = started_ns;
	if (M.status == MON_CREATED)
		M.status = MON_RUNNING;
	mon_write_state();
	if (conn != NULL) {
		monitor_pkt_init(&pkt, buf, sizeof(buf), "ok");
		monitor_pkt_add(&pkt, "seq", seq);
		monitor_pkt_addf(&pkt, "started", "%lld",
		    (long long)M.started_ns);
		monitor_pkt_addf(&pkt, "pid", "%ld", (long)M.init->pid);
		mon_send(conn, &pkt);
	}
}

static void
start_done(struct mon_cmd *c, int st, const char *err)
{
	M.start_pending = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		started(c->conn, c->seq, mon_now_ns());
	else if (c->conn != NULL)
		mon_reply_err(c->conn, c->seq, EIO,
		    "OCI runtime start failed: %s", err);
	/* An exit that came first was held back for this reply. */
	if (M.init->finished && !M.deleting)
		init_exit_announce();
}

void
mon_cmd_start(struct mon_conn *conn, const struct monitor_msg *m)
{
	const char	*sub[] = { "start", M.id, NULL };
	const char	*seq = monitor_msg_get(m, "seq");
	struct mon_cmd	*c;
	char		 err[256];

	if (M.held) {
		/* It runs already: let its output and its exit be seen. */
		M.held = 0;
		mbuf_free(&M.init->pre);
		started(conn, seq != NULL ? seq : "0", M.held_ns);
		if (M.init->finished && !M.deleting)
			init_exit_announce();
		return;
	}
	if (M.status != MON_CREATED || M.start_pending) {
		mon_reply_err(conn, seq, EALREADY, "container %s is %s", M.id,
		    M.start_pending ? "starting" : mon_status_name(M.status));
		return;
	}
	if ((c = mon_runtime(sub, NULL, start_done, err, sizeof(err))) ==
	    NULL) {
		mon_reply_err(conn, seq, EIO, "%s", err);
		return;
	}
	M.start_pending = 1;
	if (cmd_attach_conn(c, conn, m) < 0)
		c->conn = NULL;
}

static void
simple_done(struct mon_cmd *c, int st, const char *err)
{
	int	ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

	if (ok && c->arg == (void *)1) {
		M.status = MON_PAUSED;
		mon_write_state();
	} else if (ok && c->arg == (void *)2 && M.status == MON_PAUSED) {
		M.status = MON_RUNNING;
		mon_write_state();
	}
	if (c->conn == NULL)
		return;
	if (ok)
		mon_reply_ok(c->conn, c->seq);
	else
		mon_reply_err(c->conn, c->seq, EIO, "%s", err);
}

static void
run_simple(struct mon_conn *conn, const struct monitor_msg *m,
    const char *const *sub, void *arg)
{
	const char	*seq = monitor_msg_get(m, "seq");
	struct mon_cmd	*c;
	char		 err[256];

	if ((c = mon_runtime(sub, NULL, simple_done, err, sizeof(err))) ==
	    NULL) {
		mon_reply_err(conn, seq, EIO, "%s", err);
		return;
	}
	c->arg = arg;
	if (cmd_attach_conn(c, conn, m) < 0)
		c->conn = NULL;
}

void
mon_cmd_kill(struct mon_conn *conn, const struct monitor_msg *m)
{
	const char	*sub[6];
	char		 sig[16];
	int64_t		 signo = monitor_msg_int(m, "signal", SIGTERM);
	int		 n = 0;

	if (signo <= 0 || signo >= 65) {
		mon_reply_err(conn, monitor_msg_get(m, "seq"), EINVAL,
		    "invalid signal %lld", (long long)signo);
		return;
	}
	if (M.init->finished || M.init->reaped) {
		mon_reply_err(conn, monitor_msg_get(m, "seq"), ESRCH,
		    "container %s is not running", M.id);
		return;
	}
	snprintf(sig, sizeof(sig), "%lld", (long long)signo);
	sub[n++] = "kill";
	if (monitor_msg_int(m, "all", 0))
		sub[n++] = "--all";
	sub[n++] = M.id;
	sub[n++] = sig;
	sub[n] = NULL;
	run_simple(conn, m, sub, NULL);
}

void
mon_cmd_pause(struct mon_conn *conn, const struct monitor_msg *m, int pause)
{
	const char	*sub[] = { pause ? "pause" : "resume", M.id, NULL };

	if (M.status != (pause ? MON_RUNNING : MON_PAUSED)) {
		mon_reply_err(conn, monitor_msg_get(m, "seq"), EINVAL,
		    "container %s is %s", M.id, mon_status_name(M.status));
		return;
	}
	run_simple(conn, m, sub, (void *)(intptr_t)(pause ? 1 : 2));
}

/*
 * update: the new linux.resources (the body) go to update.json, which
 * `RUNTIME update --resources` reads; the runtime writes the cgroup.
 */
void
mon_cmd_update(struct mon_conn *conn, const struct monitor_msg *m)
{
	const char	*seq = monitor_msg_get(m, "seq");
	const char	*sub[6];
	char		 path[PATH_MAX];
	int		 rc;

	if (m->body == NULL || m->bodylen == 0) {
		mon_reply_err(conn, seq, EINVAL, "update needs resources");
		return;
	}
	if ((M.status != MON_RUNNING && M.status != MON_PAUSED) ||
	    M.init->finished || M.init->reaped) {
		mon_reply_err(conn, seq, EBUSY, "container %s is not running",
		    M.id);
		return;
	}
	if ((rc = write_file("update.json", m->body, m->bodylen, 0)) < 0) {
		mon_reply_err(conn, seq, -rc, "update.json: %s", strerror(-rc));
		return;
	}
	/* Absolute: the runtime resolves it from a cwd of its own. */
	snprintf(path, sizeof(path), "%s/update.json", M.state_dir);
	sub[0] = "update";
	sub[1] = "--resources";
	sub[2] = path;
	sub[3] = M.id;
	sub[4] = NULL;
	run_simple(conn, m, sub, NULL);
}

static void
state_dir_clean(void)
{
	struct mon_proc	*p;
	char		 name[NAME_MAX];
	static const char *const files[] = { "monitor.sock", "state.json",
	    "exit.json", "monitor.log", "console.sock", "runtime.log",
	    "update.json", NULL };
	int		 i;

	for (i = 0; files[i] != NULL; i++)
		(void)unlink(files[i]);
	for (p = M.procs; p != NULL; p = p->next)
		if (p->exec_id != NULL) {
			snprintf(name, sizeof(name), "exec-%s.json",
			    p->exec_id);
			(void)unlink(name);
			snprintf(name, sizeof(name), "exec-%s.pid", p->exec_id);
			(void)unlink(name);
		}
	if (chdir("/") == 0)
		(void)rmdir(M.state_dir);
}

static void
delete_done(struct mon_cmd *c, int st, const char *err)
{
	const char	*force[] = { "delete", "--force", M.id, NULL };
	struct mon_cmd	*c2;
	char		 e2[256];

	if ((!WIFEXITED(st) || WEXITSTATUS(st) != 0) && c->arg == NULL) {
		/* As containerd does: once more, with --force. */
		if ((c2 = mon_runtime(force, NULL, delete_done, e2,
		    sizeof(e2))) != NULL) {
			c2->arg = (void *)1;
			c2->conn = c->conn;
			c2->seq = c->seq;
			c->seq = NULL;
			return;
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		if (c->conn != NULL)
			mon_reply_ok(c->conn, c->seq);
		state_dir_clean();
		M.quit = 1;
		return;
	}
	M.deleting = 0;
	if (c->conn != NULL)
		mon_reply_err(c->conn, c->seq, EIO, "OCI runtime delete "
		    "failed: %s", err);
}

/*
 * A stopped container's runtime state serves nothing: the runtime's
 * delete starts as soon as the exit is told, so the service's delete
 * (docker run --rm waits for it) usually finds it done.
 */
static void
auto_delete_done(struct mon_cmd *c, int st, const char *err)
{
	const char	*force[] = { "delete", "--force", M.id, NULL };
	struct mon_cmd	*c2;
	char		 e2[256];

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		M.auto_del = AUTO_DEL_DONE;
	else {
		M.auto_del = AUTO_DEL_FAILED;
		mlog("runtime delete after the exit: %s", err);
	}
	if (!M.del_waiting)
		return;
	M.del_waiting = 0;
	if (M.auto_del == AUTO_DEL_DONE) {
		mon_reply_ok(M.del_conn, M.del_seq);
		free(M.del_seq);
		M.del_seq = NULL;
		state_dir_clean();
		M.quit = 1;
		return;
	}
	/* The delete asked for: --force this time. */
	if ((c2 = mon_runtime(force, NULL, delete_done, e2, sizeof(e2))) ==
	    NULL) {
		M.deleting = 0;
		mon_reply_err(M.del_conn, M.del_seq, EIO, "%s", e2);
		free(M.del_seq);
		M.del_seq = NULL;
		return;
	}
	c2->arg = (void *)1;
	c2->conn = M.del_conn;
	c2->seq = M.del_seq;
	M.del_seq = NULL;
}

static void
auto_delete(void)
{
	const char	*sub[] = { "delete", M.id, NULL };
	char		 err[256];

	if (M.auto_del != AUTO_DEL_NONE || M.deleting)
		return;
	if (mon_runtime(sub, NULL, auto_delete_done, err, sizeof(err)) ==
	    NULL) {
		mlog("runtime delete after the exit: %s", err);
		return;
	}
	M.auto_del = AUTO_DEL_RUNNING;
}

void
mon_cmd_delete(struct mon_conn *conn, const struct monitor_msg *m)
{
	const char	*sub[] = { "delete", M.id, NULL };
	const char	*seq = monitor_msg_get(m, "seq");

	if ((M.status == MON_RUNNING || M.status == MON_PAUSED) &&
	    !M.init->finished) {
		mon_reply_err(conn, monitor_msg_get(m, "seq"), EBUSY,
		    "cannot delete container %s: it is %s", M.id,
		    mon_status_name(M.status));
		return;
	}
	if (M.deleting || M.start_pending) {
		mon_reply_err(conn, monitor_msg_get(m, "seq"), EBUSY,
		    "container %s is busy", M.id);
		return;
	}
	M.deleting = 1;
	if (M.auto_del == AUTO_DEL_RUNNING) {
		M.del_waiting = 1;
		M.del_conn = conn;
		if ((M.del_seq = strdup(seq ? seq : "0")) == NULL)
			M.del_conn = NULL;
		return;
	}
	if (M.auto_del == AUTO_DEL_DONE) {
		mon_reply_ok(conn, seq);
		state_dir_clean();
		M.quit = 1;
		return;
	}
	run_simple(conn, m, sub, NULL);
	if (M.cmds != NULL && M.cmds->cb == simple_done)
		M.cmds->cb = delete_done;
}

/* --- exec ----------------------------------------------------------- */

struct exec_ctx {
	struct mon_proc	*p;
	char		 pidfile[PATH_MAX];
	int		 diag;
};

static void
exec_done(struct mon_cmd *c, int st, const char *err)
{
	struct exec_ctx		*x = c->arg;
	struct mon_proc		*p = x->p;
	struct monitor_pkt	 pkt;
	char			 buf[256], e[PATH_MAX + 64], name[NAME_MAX];
	int			 rst;

	e[0] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		snprintf(e, sizeof(e), "OCI runtime exec failed: %s", err);
	else if ((p->pid = read_pid(x->pidfile)) <= 0)
		snprintf(e, sizeof(e), "OCI runtime exec: no pid in %s",
		    x->pidfile);
	else if (p->terminal && c->console != -1) {
		if ((p->pty_fd = mon_recv_console(c->console, e,
		    sizeof(e))) < 0)
			p->pty_fd = -1;
		else
			p->out_fd = p->in_fd = p->pty_fd;
	}
	if (x->diag != -1)
		close(x->diag);
	if (e[0] != '\0') {
		if (c->conn != NULL)
			mon_reply_err(c->conn, c->seq, EIO, "%s", e);
		snprintf(name, sizeof(name), "exec-%s.json", p->exec_id);
		(void)unlink(name);
		/* Its fds go now; the struct when the sweep comes. */
		mon_output_eof(p, 1);
		mon_output_eof(p, 2);
		p->dead = 1;
		free(x);
		return;
	}
	if (orphan_claim(p->pid, &rst))
		proc_set_reaped(p, rst);
	if (c->conn != NULL) {
		monitor_pkt_init(&pkt, buf, sizeof(buf), "ok");
		monitor_pkt_add(&pkt, "seq", c->seq);
		monitor_pkt_addf(&pkt, "pid", "%ld", (long)p->pid);
		mon_send(c->conn, &pkt);
	}
	free(x);
}

static int
exec_id_valid(const char *s)
{
	size_t	n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '-' ||
		    s[n] == '_'))
			return 0;
	return n > 0 && n <= 128;
}

void
mon_cmd_exec(struct mon_conn *conn, const struct monitor_msg *m)
{
	static unsigned	 nconsole;
	const char	*seq = monitor_msg_get(m, "seq");
	const char	*eid = monitor_msg_get(m, "exec");
	const char	*sub[12];
	struct exec_ctx	*x = NULL;
	struct mon_proc	*p = NULL;
	struct mon_cmd	*c;
	char		 file[NAME_MAX], path[PATH_MAX], csock[128], cname[32];
	char		 err[256];
	int		 fds[3] = { -1, -1, -1 }, diag[2] = { -1, -1 };
	int		 rc, n = 0, lsock = -1;

	if (eid == NULL || !exec_id_valid(eid) || m->body == NULL) {
		mon_reply_err(conn, seq, EINVAL, "exec needs an id and a "
		    "process");
		return;
	}
	if (mon_proc_find(eid) != NULL) {
		mon_reply_err(conn, seq, EEXIST, "exec %s exists", eid);
		return;
	}
	if (M.status != MON_RUNNING || M.init->reaped) {
		mon_reply_err(conn, seq, EBUSY, "container %s is not running",
		    M.id);
		return;
	}
	snprintf(file, sizeof(file), "exec-%s.json", eid);
	if ((rc = write_file(file, m->body, m->bodylen, 0)) < 0) {
		mon_reply_err(conn, seq, -rc, "%s: %s", file, strerror(-rc));
		return;
	}
	if ((p = proc_new(eid, monitor_msg_int(m, "terminal", 0) != 0,
	    monitor_msg_int(m, "stdin", 0) != 0, 1)) == NULL ||
	    (x = calloc(1, sizeof(*x))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	p->detach = monitor_msg_int(m, "detach", 0) != 0;
	x->p = p;
	x->diag = -1;
	/* Absolute: the runtime resolves them from a cwd of its own. */
	snprintf(x->pidfile, sizeof(x->pidfile), "%s/exec-%s.pid",
	    M.state_dir, eid);
	snprintf(path, sizeof(path), "%s/%s", M.state_dir, file);
	(void)unlink(x->pidfile);
	if ((rc = stdio_setup(p, fds, diag)) < 0)
		goto fail;
	sub[n++] = "exec";
	sub[n++] = "--process";
	sub[n++] = path;
	sub[n++] = "--detach";
	sub[n++] = "--pid-file";
	sub[n++] = x->pidfile;
	if (p->terminal) {
		snprintf(cname, sizeof(cname), "c%u.sock", nconsole++);
		if ((rc = console_path(cname, csock, sizeof(csock))) < 0 ||
		    (lsock = console_listen(cname)) < 0) {
			rc = rc < 0 ? rc : lsock;
			goto fail;
		}
		sub[n++] = "--console-socket";
		sub[n++] = csock;
	}
	sub[n++] = M.id;
	sub[n] = NULL;
	if ((c = mon_runtime(sub, fds, exec_done, err, sizeof(err))) == NULL) {
		rc = -EIO;
		goto fail;
	}
	fds_close(fds);
	if (diag[1] != -1)
		close(diag[1]);
	x->diag = diag[0];
	c->arg = x;
	c->console = lsock;
	if (lsock != -1)
		c->console_path = strdup(cname);
	if (cmd_attach_conn(c, conn, m) < 0)
		c->conn = NULL;
	/* Output from the first byte: poll it while the runtime works. */
	p->next = M.init->next;
	M.init->next = p;
	return;
fail:
	fds_close(fds);
	pair_close(diag);
	if (lsock != -1)
		close(lsock);
	if (p != NULL)
		proc_free(p);
	free(x);
	(void)unlink(file);
	mon_reply_err(conn, seq, rc < 0 ? -rc : EIO, "exec %s: %s", eid,
	    strerror(rc < 0 ? -rc : EIO));
}

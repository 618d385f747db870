/* check_loop.c - timers, fd watches, spawn/reap and the work pool. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "loop.h"
#include "unit.h"

#define NSPAWN	100

static struct event_base	*base;

static void
setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(loop_init(base, 2), 0);
}

static void
teardown(void)
{
	loop_fini();
	event_base_free(base);
	base = NULL;
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

/* Run the loop until *flag is set or ms have passed; returns *flag. */
static int
run_until(const int *flag, int ms)
{
	struct event	*ev;
	struct timeval	 tv;
	int		 expired = 0;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = ms % 1000 * 1000;
	ev = evtimer_new(base, deadline_cb, &expired);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(evtimer_add(ev, &tv), 0);
	while (!*flag && !expired)
		ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
	event_free(ev);
	return *flag;
}

static void
run_for(int ms)
{
	static const int	never;

	run_until(&never, ms);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Read fd to EOF into buf (NUL-terminated). */
static void
read_all(int fd, char *buf, size_t size)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < size - 1) {
		n = read(fd, buf + off, size - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
}

/* --- timers ---------------------------------------------------------- */

struct tctx {
	int		n;
	long		after;
	struct timespec	t0;
};

static void
timer_cb(void *arg)
{
	struct tctx	*c = arg;

	c->n++;
	c->after = ms_since(&c->t0);
}

START_TEST(test_timer_once)
{
	struct tctx	c = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	ck_assert_ptr_nonnull(loop_timer_add(NULL, 50, timer_cb, &c));
	ck_assert(run_until(&c.n, 2000));
	/* libevent may use a coarse clock: allow a few ms either way. */
	ck_assert_int_ge(c.after, 40);
	ck_assert_int_lt(c.after, 1000);
	run_for(100);
	ck_assert_int_eq(c.n, 1);
}
END_TEST

START_TEST(test_timer_zero)
{
	struct tctx	c = { 0 };

	ck_assert_ptr_nonnull(loop_timer_add(NULL, 0, timer_cb, &c));
	ck_assert(run_until(&c.n, 1000));
}
END_TEST

START_TEST(test_timer_del)
{
	struct tctx		 a = { 0 }, b = { 0 };
	struct berth_timer	*t;

	t = loop_timer_add(NULL, 20, timer_cb, &a);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(loop_timer_add(NULL, 40, timer_cb, &b));
	loop_timer_del(t);
	loop_timer_del(NULL);
	ck_assert(run_until(&b.n, 2000));
	run_for(50);
	ck_assert_int_eq(a.n, 0);
	ck_assert_int_eq(b.n, 1);
}
END_TEST

/* --- fd watches ------------------------------------------------------ */

struct wctx {
	int			 n;
	int			 events;
	int			 self_unwatch;
	struct berth_watch	*w;
};

static void
watch_cb(int fd, int events, void *arg)
{
	struct wctx	*c = arg;
	char		 ch;

	c->n++;
	c->events = events;
	if (events & BERTH_FD_READ)
		ck_assert_int_eq(read(fd, &ch, 1), 1);
	if (c->self_unwatch) {
		loop_fd_unwatch(c->w);
		c->w = NULL;
	}
}

START_TEST(test_watch_read)
{
	struct wctx	c = { 0 };
	int		p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	c.w = loop_fd_watch(NULL, p[0], BERTH_FD_READ, watch_cb, &c);
	ck_assert_ptr_nonnull(c.w);
	run_for(30);
	ck_assert_int_eq(c.n, 0);

	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert(run_until(&c.n, 1000));
	ck_assert_int_eq(c.events, BERTH_FD_READ);
	/* Persistent: a second byte fires it again. */
	ck_assert_int_eq(write(p[1], "y", 1), 1);
	c.n = 0;
	ck_assert(run_until(&c.n, 1000));

	loop_fd_unwatch(c.w);
	ck_assert_int_eq(write(p[1], "z", 1), 1);
	c.n = 0;
	run_for(50);
	ck_assert_int_eq(c.n, 0);

	/* Unwatching from inside the callback. */
	c.w = loop_fd_watch(NULL, p[0], BERTH_FD_READ, watch_cb, &c);
	ck_assert_ptr_nonnull(c.w);
	c.self_unwatch = 1;
	ck_assert_int_eq(write(p[1], "w", 1), 1);	/* "z" is still there */
	run_for(50);
	ck_assert_int_eq(c.n, 1);
	ck_assert_ptr_null(c.w);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_watch_write)
{
	struct wctx	c = { 0 };
	int		p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	c.self_unwatch = 1;
	c.w = loop_fd_watch(NULL, p[1], BERTH_FD_WRITE, watch_cb, &c);
	ck_assert_ptr_nonnull(c.w);
	ck_assert(run_until(&c.n, 1000));
	ck_assert_int_eq(c.events, BERTH_FD_WRITE);

	ck_assert_ptr_null(loop_fd_watch(NULL, p[0], 0, watch_cb, &c));
	ck_assert_ptr_null(loop_fd_watch(NULL, p[0], 0x80, watch_cb, &c));
	ck_assert_ptr_null(loop_fd_watch(NULL, -1, BERTH_FD_READ, watch_cb,
	    &c));
	close(p[0]);
	close(p[1]);
}
END_TEST

/* --- spawn ----------------------------------------------------------- */

struct sctx {
	pid_t	pid;
	int	st;
	int	done;
	int	want;		/* exit status, for test_spawn_many */
};

static void
exit_cb(pid_t pid, int st, void *arg)
{
	struct sctx	*c = arg;

	ck_assert_int_eq(c->done, 0);
	c->pid = pid;
	c->st = st;
	c->done = 1;
}

static struct berth_spawn_opts
opts_default(void)
{
	struct berth_spawn_opts	o;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.stdin_fd = o.stdout_fd = o.stderr_fd = -1;
	return o;
}

/* Spawn argv with opts, wait for it and return its wait status. */
static int
spawn_wait(const char *const *argv, const struct berth_spawn_opts *o,
    pid_t *pidp)
{
	struct sctx	c = { 0 };
	pid_t		pid;

	pid = loop_spawn(NULL, argv, o, exit_cb, &c);
	ck_assert_int_gt(pid, 0);
	ck_assert(run_until(&c.done, 5000));
	ck_assert_int_eq(c.pid, pid);
	if (pidp != NULL)
		*pidp = pid;
	return c.st;
}

/* Spawn argv with stdout (and stderr) to a pipe; its output in buf. */
static int
spawn_output(const char *const *argv, struct berth_spawn_opts *o,
    int with_stderr, char *buf, size_t size, pid_t *pidp)
{
	int	p[2], st;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	o->stdout_fd = p[1];
	if (with_stderr)
		o->stderr_fd = p[1];
	st = spawn_wait(argv, o, pidp);
	close(p[1]);
	read_all(p[0], buf, size);
	close(p[0]);
	return st;
}

START_TEST(test_spawn_status)
{
	const char	*argv[] = { "/bin/sh", "-c", "exit 3", NULL };
	int		 st;

	st = spawn_wait(argv, NULL, NULL);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 3);
}
END_TEST

START_TEST(test_spawn_stdio)
{
	const char		*argv[] = { "sh", "-c",
				    "echo hello; echo oops >&2", NULL };
	const char		*cat[] = { "sh", "-c",
				    "read x; echo \"got $x\"; cat; echo end",
				    NULL };
	struct berth_spawn_opts	 o = opts_default();
	char			 out[256], err[256];
	int			 p[2], e[2], st;

	/* Separate stdout and stderr; argv[0] is looked up in PATH. */
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(e, O_CLOEXEC), 0);
	o.stdout_fd = p[1];
	o.stderr_fd = e[1];
	st = spawn_wait(argv, &o, NULL);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[1]);
	close(e[1]);
	read_all(p[0], out, sizeof(out));
	read_all(e[0], err, sizeof(err));
	ck_assert_str_eq(out, "hello\n");
	ck_assert_str_eq(err, "oops\n");
	close(p[0]);
	close(e[0]);

	/* Both to one fd, 2>&1 style. */
	o = opts_default();
	st = spawn_output(argv, &o, 1, out, sizeof(out), NULL);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out, "hello\noops\n");

	/* stdin from a pipe. */
	o = opts_default();
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(write(p[1], "data\n", 5), 5);
	close(p[1]);
	o.stdin_fd = p[0];
	st = spawn_output(cat, &o, 0, out, sizeof(out), NULL);
	close(p[0]);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out, "got data\nend\n");

	/* Default stdin is /dev/null: read fails, cat ends at once. */
	o = opts_default();
	st = spawn_output(cat, &o, 0, out, sizeof(out), NULL);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_str_eq(out, "got \nend\n");
}
END_TEST

START_TEST(test_spawn_env_cwd)
{
	const char		*argv[] = { "/bin/sh", "-c",
				    "echo \"$FOO $BERTH_T $(pwd)\"", NULL };
	const char		*envp[] = { "FOO=bar", NULL };
	struct berth_spawn_opts	 o;
	char			 out[256];
	int			 st;

	o = opts_default();
	o.envp = envp;
	o.cwd = "/tmp";
	ck_assert_int_eq(spawn_output(argv, &o, 0, out, sizeof(out), NULL), 0);
	ck_assert_str_eq(out, "bar  /tmp\n");

	/* No envp: berthd's environment; no cwd: "/". */
	ck_assert_int_eq(setenv("BERTH_T", "inherited", 1), 0);
	o = opts_default();
	ck_assert_int_eq(spawn_output(argv, &o, 0, out, sizeof(out), NULL), 0);
	ck_assert_str_eq(out, " inherited /\n");

	/* A cwd that does not exist fails in the child. */
	o = opts_default();
	o.cwd = "/nonexistent/berth-test";
	st = spawn_wait(argv, &o, NULL);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 127);
}
END_TEST

START_TEST(test_spawn_setsid)
{
	const char		*argv[] = { "/bin/sh", "-c",
				    "read -r a b c d e sid x < /proc/$$/stat;"
				    " echo $sid", NULL };
	struct berth_spawn_opts	 o;
	char			 out[64];
	pid_t			 pid;

	o = opts_default();
	o.setsid = 1;
	ck_assert_int_eq(spawn_output(argv, &o, 0, out, sizeof(out), &pid),
	    0);
	ck_assert_int_eq(atoi(out), pid);

	o = opts_default();
	ck_assert_int_eq(spawn_output(argv, &o, 0, out, sizeof(out), &pid),
	    0);
	ck_assert_int_eq(atoi(out), getsid(0));
}
END_TEST

START_TEST(test_spawn_signals)
{
	const char		*argv[] = { "cat", "/proc/self/status", NULL };
	struct berth_spawn_opts	 o = opts_default();
	struct sigaction	 ign, oldsa;
	sigset_t		 usr1, oldmask;
	char			 out[4096];

	/* What a daemon typically has: SIGPIPE ignored, a signal blocked. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	ck_assert_int_eq(sigaction(SIGPIPE, &ign, &oldsa), 0);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &usr1, &oldmask), 0);

	ck_assert_int_eq(spawn_output(argv, &o, 0, out, sizeof(out), NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\nSigBlk:\t0000000000000000\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nSigIgn:\t0000000000000000\n"));

	ck_assert_int_eq(sigprocmask(SIG_SETMASK, &oldmask, NULL), 0);
	ck_assert_int_eq(sigaction(SIGPIPE, &oldsa, NULL), 0);
}
END_TEST

START_TEST(test_spawn_enoent)
{
	const char	*abs[] = { "/nonexistent/berth-test", NULL };
	const char	*rel[] = { "berth-no-such-binary", NULL };
	int		 st;

	st = spawn_wait(abs, NULL, NULL);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 127);
	st = spawn_wait(rel, NULL, NULL);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 127);
}
END_TEST

START_TEST(test_spawn_closes_fds)
{
	const char		*argv[] = { "/bin/sh", "-c", "ls /proc/self/fd",
				    NULL };
	struct berth_spawn_opts	 o = opts_default();
	char			 out[1024], *line, *save;
	int			 fd, hi, n;

	/* Neither is close-on-exec: only loop_spawn can keep them out. */
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	hi = fcntl(fd, F_DUPFD, 100);
	ck_assert_int_ge(hi, 100);

	ck_assert_int_eq(spawn_output(argv, &o, 0, out, sizeof(out), NULL), 0);
	/* 0-2, and 3 for the directory ls itself is reading. */
	n = 0;
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ck_assert_int_le(atoi(line), 3);
		n++;
	}
	ck_assert_int_ge(n, 3);
	close(fd);
	close(hi);
}
END_TEST

START_TEST(test_spawn_einval)
{
	const char		*argv[] = { "/bin/true", NULL };
	const char		*empty[] = { NULL };
	struct berth_spawn_opts	 o = opts_default();

	ck_assert_int_eq(loop_spawn(NULL, NULL, NULL, exit_cb, NULL), -EINVAL);
	ck_assert_int_eq(loop_spawn(NULL, empty, NULL, exit_cb, NULL),
	    -EINVAL);
	o.size = 0;
	ck_assert_int_eq(loop_spawn(NULL, argv, &o, exit_cb, NULL), -EINVAL);
}
END_TEST

static int	many_count, many_all;

static void
many_cb(pid_t pid, int st, void *arg)
{
	struct sctx	*c = arg;

	ck_assert_int_eq(c->done, 0);
	ck_assert_int_eq(pid, c->pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), c->want);
	c->done = 1;
	if (++many_count == NSPAWN)
		many_all = 1;
}

START_TEST(test_spawn_many)
{
	static struct sctx	 c[NSPAWN];
	char			 cmd[NSPAWN][16];
	const char		*argv[] = { "/bin/sh", "-c", NULL, NULL };
	int			 i, st;

	for (i = 0; i < NSPAWN; i++) {
		c[i].want = i % 64;
		snprintf(cmd[i], sizeof(cmd[i]), "exit %d", c[i].want);
		argv[2] = cmd[i];
		c[i].pid = loop_spawn(NULL, argv, NULL, many_cb, &c[i]);
		ck_assert_int_gt(c[i].pid, 0);
	}
	/* They exit in any order, and their SIGCHLDs coalesce. */
	ck_assert(run_until(&many_all, 20000));
	/* Every one reaped: no zombie left. */
	ck_assert_int_eq(waitpid(-1, &st, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

/* --- the work pool --------------------------------------------------- */

static pthread_t	loop_thread;

struct jctx {
	pthread_t	fn_thread;
	pthread_t	done_thread;
	atomic_int	ran;
	int		done;
	int		*count;
	int		*all;
	int		total;
	int		sleep_ms;
	atomic_int	*wait_for;	/* spin until it is set */
};

static void
job_fn(void *arg)
{
	struct jctx	*j = arg;

	while (j->wait_for != NULL && !atomic_load(j->wait_for))
		usleep(1000);
	if (j->sleep_ms)
		usleep(j->sleep_ms * 1000);
	j->fn_thread = pthread_self();
	atomic_store(&j->ran, 1);
}

static void
job_done(void *arg)
{
	struct jctx	*j = arg;

	ck_assert(atomic_load(&j->ran));
	j->done_thread = pthread_self();
	j->done++;
	if (j->count != NULL && ++*j->count == j->total)
		*j->all = 1;
}

START_TEST(test_work)
{
	struct jctx	j[20];
	int		i, count = 0, all = 0;

	loop_thread = pthread_self();
	memset(j, 0, sizeof(j));
	ck_assert(!loop_busy());
	for (i = 0; i < 20; i++) {
		j[i].count = &count;
		j[i].all = &all;
		j[i].total = 20;
		j[i].sleep_ms = 1;
		ck_assert_int_eq(loop_work(NULL, job_fn, job_done, &j[i]), 0);
	}
	/* Busy until the last done has run: what a shutdown waits for. */
	ck_assert(loop_busy());
	ck_assert(run_until(&all, 5000));
	ck_assert(!loop_busy());
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(j[i].done, 1);
		ck_assert(!pthread_equal(j[i].fn_thread, loop_thread));
		ck_assert(pthread_equal(j[i].done_thread, loop_thread));
	}
	ck_assert_int_eq(loop_work(NULL, NULL, job_done, &j[0]), -EINVAL);
}
END_TEST

START_TEST(test_work_fini)
{
	struct jctx	j[5];
	int		i, count = 0, all = 0;

	/* loop_fini finishes queued work and delivers it. */
	memset(j, 0, sizeof(j));
	for (i = 0; i < 5; i++) {
		j[i].count = &count;
		j[i].all = &all;
		j[i].total = 5;
		j[i].sleep_ms = 10;
		ck_assert_int_eq(loop_work(NULL, job_fn, job_done, &j[i]), 0);
	}
	loop_fini();
	ck_assert_int_eq(count, 5);
	ck_assert_int_eq(loop_work(NULL, job_fn, job_done, &j[0]), -EINVAL);
}
END_TEST

/* --- release and lifecycle ------------------------------------------- */

static void
never_cb(void *arg)
{
	ck_abort_msg("released timer fired");
}

static void
never_watch(int fd, int events, void *arg)
{
	ck_abort_msg("released watch fired");
}

static void
never_exit(pid_t pid, int st, void *arg)
{
	ck_abort_msg("released child's callback ran");
}

static void
never_done(void *arg)
{
	ck_abort_msg("released job's done ran");
}

/* Has pid been reaped (by the loop)?  Peeks without reaping. */
static int
reaped(pid_t pid)
{
	siginfo_t	si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno == ECHILD;
	return 0;
}

static void
wait_reaped(pid_t pid)
{
	int	i;

	for (i = 0; i < 500 && !reaped(pid); i++)
		run_for(10);
	ck_assert(reaped(pid));
}

START_TEST(test_release_owner)
{
	const char	*argv[] = { "/bin/sh", "-c", "exit 0", NULL };
	struct tctx	 b = { 0 };
	struct jctx	 ja, jb;
	int		 owner_a, owner_b, p[2], nb = 0, all = 0;
	pid_t		 pid;

	memset(&ja, 0, sizeof(ja));
	memset(&jb, 0, sizeof(jb));
	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);

	ck_assert_ptr_nonnull(loop_timer_add(&owner_a, 10, never_cb, NULL));
	ck_assert_ptr_nonnull(loop_fd_watch(&owner_a, p[0], BERTH_FD_READ,
	    never_watch, NULL));
	ja.sleep_ms = 50;
	ck_assert_int_eq(loop_work(&owner_a, job_fn, never_done, &ja), 0);
	pid = loop_spawn(&owner_a, argv, NULL, never_exit, NULL);
	ck_assert_int_gt(pid, 0);
	ck_assert_ptr_nonnull(loop_timer_add(&owner_b, 30, timer_cb, &b));

	ck_assert_int_eq(loop_release_owner(&owner_a), 4);
	ck_assert_int_eq(loop_release_owner(&owner_a), 0);

	/* owner_b's things go on; its job completes after owner_a's. */
	jb.wait_for = &ja.ran;
	jb.count = &nb;
	jb.all = &all;
	jb.total = 1;
	ck_assert_int_eq(loop_work(&owner_b, job_fn, job_done, &jb), 0);
	ck_assert(run_until(&b.n, 2000));
	ck_assert(run_until(&all, 2000));
	run_for(100);
	ck_assert(atomic_load(&ja.ran));
	/* The released child is still reaped. */
	wait_reaped(pid);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_reap_unknown)
{
	pid_t	pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	wait_reaped(pid);
}
END_TEST

START_TEST(test_lifecycle)
{
	struct event_base	*b;
	const char		*argv[] = { "/bin/true", NULL };
	int			 x, p[2];

	/* Nothing set up: everything fails cleanly, fini is a no-op. */
	loop_fini();
	ck_assert_ptr_null(loop_base());
	ck_assert_int_eq(loop_release_owner(NULL), 0);
	ck_assert_ptr_null(loop_timer_add(NULL, 1, never_cb, NULL));
	ck_assert_ptr_null(loop_fd_watch(NULL, 1, BERTH_FD_READ, never_watch,
	    NULL));
	ck_assert_int_eq(loop_spawn(NULL, argv, NULL, NULL, NULL), -EINVAL);
	ck_assert_int_eq(loop_work(NULL, job_fn, NULL, &x), -EINVAL);

	b = event_base_new();
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(loop_init(NULL, 1), -EINVAL);
	ck_assert_int_eq(loop_init(b, 0), -EINVAL);
	ck_assert_int_eq(loop_init(b, 1), 0);
	ck_assert_ptr_eq(loop_base(), b);
	ck_assert_int_eq(loop_init(b, 1), -EBUSY);
	/* Left behind at fini: freed there, never run. */
	ck_assert_ptr_nonnull(loop_timer_add(NULL, 1000, never_cb, NULL));
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_ptr_nonnull(loop_fd_watch(NULL, p[0], BERTH_FD_READ,
	    never_watch, NULL));
	loop_fini();
	close(p[0]);
	close(p[1]);
	ck_assert_ptr_null(loop_base());
	/* And again, as a restart would. */
	ck_assert_int_eq(loop_init(b, 3), 0);
	loop_fini();
	event_base_free(b);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("loop");

	tc = tcase_create("timer");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_timer_once);
	tcase_add_test(tc, test_timer_zero);
	tcase_add_test(tc, test_timer_del);
	suite_add_tcase(s, tc);

	tc = tcase_create("watch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_watch_read);
	tcase_add_test(tc, test_watch_write);
	suite_add_tcase(s, tc);

	tc = tcase_create("spawn");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_spawn_status);
	tcase_add_test(tc, test_spawn_stdio);
	tcase_add_test(tc, test_spawn_env_cwd);
	tcase_add_test(tc, test_spawn_setsid);
	tcase_add_test(tc, test_spawn_signals);
	tcase_add_test(tc, test_spawn_enoent);
	tcase_add_test(tc, test_spawn_closes_fds);
	tcase_add_test(tc, test_spawn_einval);
	tcase_add_test(tc, test_spawn_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("work");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_work);
	tcase_add_test(tc, test_work_fini);
	suite_add_tcase(s, tc);

	tc = tcase_create("release");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_release_owner);
	tcase_add_test(tc, test_reap_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_test(tc, test_lifecycle);
	suite_add_tcase(s, tc);

	return s;
}

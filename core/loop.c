/*
 * loop.c - timers, fd watches, child reaping and the work pool on one
 * libevent base.
 *
 * Everything here runs on the loop thread except the workers, which share
 * only the pending and finished job queues (under qlock) with it.  Every
 * resource sits on a list so that loop_release_owner and loop_fini can
 * find what an owner left behind.
 */
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "loop.h"

/* The SDK's event bits are libevent's, so they pass straight through. */
_Static_assert(BERTH_FD_READ == EV_READ, "BERTH_FD_READ is not EV_READ");
_Static_assert(BERTH_FD_WRITE == EV_WRITE, "BERTH_FD_WRITE is not EV_WRITE");

/* Bound the close loop on kernels without close_range (before 5.9). */
#define CLOSE_MAX	65536

struct berth_timer {
	TAILQ_ENTRY(berth_timer) entry;
	void			*owner;
	struct event		*ev;
	berth_timer_cb		 cb;
	void			*arg;
};

struct berth_watch {
	TAILQ_ENTRY(berth_watch) entry;
	void			*owner;
	struct event		*ev;
	berth_watch_cb		 cb;
	void			*arg;
};

struct child {
	LIST_ENTRY(child)	 entry;
	void			*owner;
	pid_t			 pid;
	berth_exit_cb		 cb;
	void			*arg;
};

struct job {
	TAILQ_ENTRY(job)	 qentry;	/* pending or finished; qlock */
	TAILQ_ENTRY(job)	 entry;		/* all jobs; loop thread only */
	void			*owner;
	berth_work_fn		 fn;
	berth_done_fn		 done;
	void			*job;
	int			 released;	/* loop thread only */
};

TAILQ_HEAD(job_list, job);

static struct event_base	*base;
static struct event		*sigchld_ev;
static struct event		*wake_ev;
static int			 wake_fd = -1;
static pthread_t		*workers;
static int			 nstarted;

static TAILQ_HEAD(, berth_timer) timers = TAILQ_HEAD_INITIALIZER(timers);
static TAILQ_HEAD(, berth_watch) watches = TAILQ_HEAD_INITIALIZER(watches);
static LIST_HEAD(, child)	 children = LIST_HEAD_INITIALIZER(children);
static struct job_list		 jobs = TAILQ_HEAD_INITIALIZER(jobs);

static pthread_mutex_t		 qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 qcond = PTHREAD_COND_INITIALIZER;
static struct job_list		 pending = TAILQ_HEAD_INITIALIZER(pending);
static struct job_list		 finished = TAILQ_HEAD_INITIALIZER(finished);
static int			 stopping;

static void	reap_cb(evutil_socket_t, short, void *);
static void	wake_cb(evutil_socket_t, short, void *);
static void	*worker_main(void *);

static int
workers_start(int n)
{
	sigset_t	 all, old;
	int		 error = 0;

	/* Workers inherit a full mask, so signals land on the loop thread. */
	sigfillset(&all);
	if ((error = pthread_sigmask(SIG_SETMASK, &all, &old)) != 0)
		return -error;
	for (; nstarted < n; nstarted++) {
		error = pthread_create(&workers[nstarted], NULL, worker_main,
		    NULL);
		if (error != 0)
			break;
	}
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -error;
}

int
loop_init(struct event_base *b, int nworkers)
{
	int	rc = 0;

	if (base != NULL)
		return -EBUSY;
	if (b == NULL || nworkers < 1)
		return -EINVAL;
	base = b;

	if ((wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		rc = -errno;
		goto fail;
	}
	wake_ev = event_new(base, wake_fd, EV_READ | EV_PERSIST, wake_cb, NULL);
	sigchld_ev = evsignal_new(base, SIGCHLD, reap_cb, NULL);
	if (wake_ev == NULL || sigchld_ev == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (event_add(wake_ev, NULL) == -1 ||
	    event_add(sigchld_ev, NULL) == -1) {
		rc = -EIO;
		goto fail;
	}
	if ((workers = calloc(nworkers, sizeof(*workers))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = workers_start(nworkers)) != 0)
		goto fail;
	return 0;

fail:
	log_err("loop: init: %s", strerror(-rc));
	loop_fini();
	return rc;
}

struct event_base *
loop_base(void)
{
	return base;
}

/* --- timers ----------------------------------------------------------- */

static void
timer_free(struct berth_timer *t)
{
	TAILQ_REMOVE(&timers, t, entry);
	event_free(t->ev);
	free(t);
}

static void
timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct berth_timer	*t = arg;
	berth_timer_cb		 cb = t->cb;
	void			*cbarg = t->arg;

	/* Gone before the call: the callback may not timer_del it. */
	timer_free(t);
	cb(cbarg);
}

struct berth_timer *
loop_timer_add(void *owner, uint64_t ms, berth_timer_cb cb, void *arg)
{
	struct berth_timer	*t;
	struct timeval		 tv;

	if (base == NULL || cb == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->ev = evtimer_new(base, timer_fire, t)) == NULL)
		goto fail;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = ms % 1000 * 1000;
	if (evtimer_add(t->ev, &tv) == -1)
		goto fail;
	t->owner = owner;
	t->cb = cb;
	t->arg = arg;
	TAILQ_INSERT_TAIL(&timers, t, entry);
	return t;

fail:
	if (t->ev != NULL)
		event_free(t->ev);
	free(t);
	errno = ENOMEM;
	return NULL;
}

void
loop_timer_del(struct berth_timer *t)
{
	if (t != NULL)
		timer_free(t);
}

/* --- fd watches ------------------------------------------------------- */

static void
watch_free(struct berth_watch *w)
{
	TAILQ_REMOVE(&watches, w, entry);
	event_free(w->ev);
	free(w);
}

static void
watch_fire(evutil_socket_t fd, short what, void *arg)
{
	struct berth_watch	*w = arg;

	/* w may be unwatched (freed) by the callback; libevent allows it. */
	w->cb(fd, what & (EV_READ | EV_WRITE), w->arg);
}

struct berth_watch *
loop_fd_watch(void *owner, int fd, int events, berth_watch_cb cb, void *arg)
{
	struct berth_watch	*w;

	if (base == NULL || fd < 0 || cb == NULL || events == 0 ||
	    (events & ~(BERTH_FD_READ | BERTH_FD_WRITE)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->ev = event_new(base, fd, (short)events | EV_PERSIST, watch_fire, w);
	if (w->ev == NULL)
		goto fail;
	if (event_add(w->ev, NULL) == -1)
		goto fail;
	w->owner = owner;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&watches, w, entry);
	return w;

fail:
	if (w->ev != NULL)
		event_free(w->ev);
	free(w);
	errno = ENOMEM;
	return NULL;
}

void
loop_fd_unwatch(struct berth_watch *w)
{
	if (w != NULL)
		watch_free(w);
}

/* --- children ---------------------------------------------------------- */

static void
child_close_from(int lowfd)
{
	struct rlimit	rl;
	int		fd, max;

	if (close_range(lowfd, ~0U, 0) == 0)
		return;
	max = CLOSE_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < CLOSE_MAX)
		max = (int)rl.rlim_cur;
	/* Most of these are not open: EBADF is the expected answer. */
	for (fd = lowfd; fd < max; fd++)
		(void)close(fd);
}

/*
 * glibc refuses to touch the two signals it reserves for itself (32 and
 * 33), yet they can arrive ignored (GNU make leaves them so) and would
 * stay ignored across exec.  The kernel lets us reset them.
 */
static void
reset_reserved_signal(int signo)
{
	struct {
		void		(*handler)(int);
		unsigned long	flags;
		void		(*restorer)(void);
		uint64_t	mask;
	} ksa = { SIG_DFL, 0, NULL, 0 };

	if (signo < SIGRTMIN)
		(void)syscall(SYS_rt_sigaction, signo, &ksa, NULL,
		    sizeof(ksa.mask));
}

/*
 * The forked child: async-signal-safe calls only, as another thread may
 * have held a lock (malloc's, say) at the fork.
 */
static void __attribute__((noreturn))
child_exec(const char *const *argv, const struct berth_spawn_opts *o)
{
	struct sigaction	 sa;
	sigset_t		 none;
	char *const		*envp;
	int			 src[3], devnull = -1, i;

	/* Handlers are gone with exec; ignored signals would stay ignored. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 1; i < NSIG; i++)
		if (sigaction(i, &sa, NULL) == -1 && errno == EINVAL)
			reset_reserved_signal(i);

	src[0] = o != NULL ? o->stdin_fd : -1;
	src[1] = o != NULL ? o->stdout_fd : -1;
	src[2] = o != NULL ? o->stderr_fd : -1;
	for (i = 0; i < 3; i++) {
		if (src[i] == -1 && i == 2)
			continue;	/* berthd's stderr, as it is */
		if (src[i] == -1) {
			if (devnull == -1 && (devnull = open("/dev/null",
			    O_RDWR | O_CLOEXEC)) == -1)
				_exit(127);
			src[i] = devnull;
		}
		/*
		 * Lift every source above 2 before any dup2, so that one
		 * (say stdout_fd == 0) is not overwritten before it is used.
		 */
		if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) == -1)
			_exit(127);
	}
	for (i = 0; i < 3; i++)
		if (src[i] != -1 && dup2(src[i], i) == -1)
			_exit(127);

	if (o != NULL && o->setsid && setsid() == -1)
		_exit(127);
	if (chdir(o != NULL && o->cwd != NULL ? o->cwd : "/") == -1)
		_exit(127);
	child_close_from(3);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		_exit(127);

	envp = o != NULL && o->envp != NULL ? (char *const *)o->envp : environ;
	execvpe(argv[0], (char *const *)argv, envp);
	_exit(127);
}

pid_t
loop_spawn(void *owner, const char *const *argv,
    const struct berth_spawn_opts *opts, berth_exit_cb cb, void *arg)
{
	struct child	*c;
	sigset_t	 all, old;
	pid_t		 pid;
	int		 error;

	if (base == NULL || argv == NULL || argv[0] == NULL)
		return -EINVAL;
	/* Fields only ever get added, so anything shorter is garbage. */
	if (opts != NULL && opts->size < sizeof(*opts))
		return -EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;

	/*
	 * Until the child has reset its handlers, a signal would run one
	 * of berthd's (libevent's writes to a socket the parent shares).
	 */
	sigfillset(&all);
	if ((error = pthread_sigmask(SIG_SETMASK, &all, &old)) != 0) {
		free(c);
		return -error;
	}
	pid = fork();
	if (pid == 0)
		child_exec(argv, opts);
	error = errno;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		free(c);
		return -error;
	}

	/* No race with its exit: reaping happens on this thread, later. */
	c->owner = owner;
	c->pid = pid;
	c->cb = cb;
	c->arg = arg;
	LIST_INSERT_HEAD(&children, c, entry);
	return pid;
}

static void
reap_cb(evutil_socket_t sig, short what, void *arg)
{
	struct child	*c;
	berth_exit_cb	 cb;
	void		*cbarg;
	pid_t		 pid;
	int		 st;

	/* Signals coalesce: one SIGCHLD may stand for many exits. */
	for (;;) {
		pid = waitpid(-1, &st, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;		/* 0: the rest still run; ECHILD */
		LIST_FOREACH(c, &children, entry)
			if (c->pid == pid)
				break;
		if (c == NULL)
			continue;	/* released, or never ours */
		LIST_REMOVE(c, entry);
		cb = c->cb;
		cbarg = c->arg;
		free(c);
		if (cb != NULL)
			cb(pid, st, cbarg);
	}
}

/* --- the work pool ----------------------------------------------------- */

static void
wake_loop(void)
{
	uint64_t	one = 1;

	/* EAGAIN means the counter is already nonzero: the loop will wake. */
	if (write(wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_err("loop: wake: %s", strerror(errno));
}

static void *
worker_main(void *unused)
{
	struct job	*j;

	pthread_mutex_lock(&qlock);
	for (;;) {
		while ((j = TAILQ_FIRST(&pending)) == NULL && !stopping)
			pthread_cond_wait(&qcond, &qlock);
		if (j == NULL)
			break;
		TAILQ_REMOVE(&pending, j, qentry);
		pthread_mutex_unlock(&qlock);

		j->fn(j->job);

		pthread_mutex_lock(&qlock);
		/* A non-empty queue has a wakeup on its way already. */
		if (TAILQ_EMPTY(&finished))
			wake_loop();
		TAILQ_INSERT_TAIL(&finished, j, qentry);
	}
	pthread_mutex_unlock(&qlock);
	return NULL;
}

static void
jobs_deliver(void)
{
	struct job_list	 done;
	struct job	*j;
	berth_done_fn	 fn;
	void		*job;
	int		 released;

	TAILQ_INIT(&done);
	pthread_mutex_lock(&qlock);
	TAILQ_CONCAT(&done, &finished, qentry);
	pthread_mutex_unlock(&qlock);

	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, qentry);
		TAILQ_REMOVE(&jobs, j, entry);
		fn = j->done;
		job = j->job;
		released = j->released;
		free(j);
		if (!released && fn != NULL)
			fn(job);
	}
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	n;

	/* EAGAIN: an earlier pass already took the jobs this was for. */
	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_err("loop: wake read: %s", strerror(errno));
	jobs_deliver();
}

int
loop_work(void *owner, berth_work_fn fn, berth_done_fn done, void *job)
{
	struct job	*j;

	if (base == NULL || fn == NULL)
		return -EINVAL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	j->owner = owner;
	j->fn = fn;
	j->done = done;
	j->job = job;

	pthread_mutex_lock(&qlock);
	if (stopping) {
		/* A done callback run by loop_fini asked for more work. */
		pthread_mutex_unlock(&qlock);
		free(j);
		return -ESHUTDOWN;
	}
	TAILQ_INSERT_TAIL(&pending, j, qentry);
	pthread_cond_signal(&qcond);
	pthread_mutex_unlock(&qlock);
	TAILQ_INSERT_TAIL(&jobs, j, entry);
	return 0;
}

/* --- release and teardown ---------------------------------------------- */

int
loop_busy(void)
{
	return !TAILQ_EMPTY(&jobs) || !LIST_EMPTY(&children);
}

int
loop_release_owner(void *owner)
{
	struct berth_timer	*t, *tnext;
	struct berth_watch	*w, *wnext;
	struct child		*c, *cnext;
	struct job		*j;
	int			 n = 0;

	for (t = TAILQ_FIRST(&timers); t != NULL; t = tnext) {
		tnext = TAILQ_NEXT(t, entry);
		if (t->owner == owner) {
			timer_free(t);
			n++;
		}
	}
	for (w = TAILQ_FIRST(&watches); w != NULL; w = wnext) {
		wnext = TAILQ_NEXT(w, entry);
		if (w->owner == owner) {
			watch_free(w);
			n++;
		}
	}
	/* Unknown pids are reaped all the same. */
	for (c = LIST_FIRST(&children); c != NULL; c = cnext) {
		cnext = LIST_NEXT(c, entry);
		if (c->owner == owner) {
			LIST_REMOVE(c, entry);
			free(c);
			n++;
		}
	}
	/* The job memory is the owner's; a worker may be using it now. */
	TAILQ_FOREACH(j, &jobs, entry) {
		if (j->owner == owner && !j->released) {
			j->released = 1;
			n++;
		}
	}
	return n;
}

void
loop_fini(void)
{
	struct berth_timer	*t;
	struct berth_watch	*w;
	struct child		*c;
	int			 i;

	if (base == NULL)
		return;

	pthread_mutex_lock(&qlock);
	stopping = 1;
	pthread_cond_broadcast(&qcond);
	pthread_mutex_unlock(&qlock);
	for (i = 0; i < nstarted; i++)
		pthread_join(workers[i], NULL);
	free(workers);
	workers = NULL;
	nstarted = 0;

	/* The workers drained the queue: deliver it, as the loop would. */
	jobs_deliver();

	while ((t = TAILQ_FIRST(&timers)) != NULL)
		timer_free(t);
	while ((w = TAILQ_FIRST(&watches)) != NULL)
		watch_free(w);
	while ((c = LIST_FIRST(&children)) != NULL) {
		LIST_REMOVE(c, entry);
		free(c);
	}

	if (sigchld_ev != NULL)
		event_free(sigchld_ev);
	if (wake_ev != NULL)
		event_free(wake_ev);
	if (wake_fd != -1 && close(wake_fd) == -1)
		log_warn("loop: close wake fd: %s", strerror(errno));
	sigchld_ev = wake_ev = NULL;
	wake_fd = -1;
	stopping = 0;
	base = NULL;
}

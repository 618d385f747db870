/*
 * loop.h - the event loop services behind berth_host's timer_add,
 * fd_watch, spawn and work ops.
 *
 * One libevent event_base runs everything on the loop thread.  Each
 * resource is tagged with an owner (the module's core record, or NULL for
 * the core) so that loop_release_owner can cancel whatever a module left
 * behind when its init fails or at shutdown.
 */
#ifndef BERTH_CORE_LOOP_H
#define BERTH_CORE_LOOP_H

#include <sys/types.h>

#include <event2/event.h>

#include <berth/host.h>

/*
 * loop_init - set up on base: SIGCHLD reaping and a pool of nworkers
 * worker threads whose completions come back on the loop.  0 or -errno.
 */
int	loop_init(struct event_base *base, int nworkers);
/* loop_fini - stop the workers (after finishing queued jobs) and free. */
void	loop_fini(void);
struct event_base *loop_base(void);

struct berth_timer *loop_timer_add(void *owner, uint64_t ms,
	    berth_timer_cb cb, void *arg);
void	loop_timer_del(struct berth_timer *t);

struct berth_watch *loop_fd_watch(void *owner, int fd, int events,
	    berth_watch_cb cb, void *arg);
void	loop_fd_unwatch(struct berth_watch *w);

/*
 * loop_spawn - fork+exec argv[0] (an absolute path, or a name looked up
 * in PATH); child: fds 0-2 from opts (or /dev/null, stderr inherited),
 * every other fd closed, signals and mask reset, setsid if asked.
 * cb(pid, wstatus, arg) runs on the loop when it exits.  pid or -errno
 * (exec failure in the child is reported as exit status 127).
 */
pid_t	loop_spawn(void *owner, const char *const *argv,
	    const struct berth_spawn_opts *opts, berth_exit_cb cb, void *arg);

/* loop_work - fn(job) on a worker thread, then done(job) on the loop. */
int	loop_work(void *owner, berth_work_fn fn, berth_done_fn done, void *job);

/*
 * loop_release_owner - cancel owner's timers and fd watches and forget
 * its children's callbacks (the children are still reaped).  Queued or
 * running work still completes, but its done callback is not called.
 * Returns how many resources were released (for the shutdown log).
 */
int	loop_release_owner(void *owner);
/*
 * loop_busy - work queued, running or not yet delivered, or a spawned
 * child not yet reaped: what a shutdown lets finish before it stops the
 * modules (their callbacks could not run after).
 */
int	loop_busy(void);

#endif

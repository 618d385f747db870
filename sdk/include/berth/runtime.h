/*
 * berth/runtime.h - an OCI runtime driver, "runtime/1".
 *
 * One driver is registered per configured runtime name ("runc", "crun",
 * "custom" from --add-runtime), so a service finds the runtime for
 * `docker run --runtime NAME` with lookup(BERTH_RUNTIME_IFACE, NAME).
 * The name BERTH_RUNTIME_DEFAULT is an alias registered for the default
 * runtime; default_name tells which one it is.
 *
 * The driver runs each container under a small monitor process that is
 * the parent of the container's process, holds its stdio, writes its
 * log, records its exit status, and outlives a restart of berthd.  The
 * service never sees the runtime binary or the monitor: it writes an OCI
 * bundle (config.json + rootfs) and calls these ops.
 *
 * Every op runs on the loop thread; the asynchronous ones call done
 * exactly once, later, on the loop thread.  Strings passed in are
 * borrowed for the call.
 */
#ifndef BERTH_RUNTIME_H
#define BERTH_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include <berth/err.h>

#define BERTH_RUNTIME_IFACE	"runtime/1"
#define BERTH_RUNTIME_DEFAULT	"default"

typedef void	(*berth_runtime_done_cb)(void *arg, int rc,
		    const struct berth_err *err);

/*
 * What the driver reports about a container (or an exec) it runs.  These
 * are called for as long as the container is known to the driver: after
 * create or restore, until delete.
 */
struct berth_runtime_events {
	uint32_t	 size;
	/* The init process (exec_id NULL) or an exec exited. */
	void	(*exited)(void *arg, const char *id, const char *exec_id,
		    int exit_code, int oom_killed, int64_t finished_ns);
	/*
	 * Added in ABI 1.4 (a driver copies only the `size` it is given,
	 * so an older caller's table simply has none): a client attached
	 * to the init process (exec_id NULL) or an exec typed the detach
	 * keys, and its connection was let go.  May be NULL.
	 */
	void	(*detached)(void *arg, const char *id, const char *exec_id);
};

enum berth_runtime_status {
	BERTH_RT_UNKNOWN = 0,	/* no monitor, no record */
	BERTH_RT_CREATED,	/* runtime create done, process not started */
	BERTH_RT_RUNNING,
	BERTH_RT_PAUSED,
	BERTH_RT_STOPPED,	/* exited; exit_code valid */
};

struct berth_runtime_state {
	enum berth_runtime_status	 status;
	pid_t				 pid;		/* init, in berthd's pidns */
	int				 exit_code;
	int				 oom_killed;
	int64_t				 started_ns;
	int64_t				 finished_ns;
};

struct berth_runtime_create {
	uint32_t			 size;
	const char			*id;		/* container ID */
	const char			*bundle;	/* dir with config.json */
	const char			*log_path;	/* json-file log to write */
	int				 terminal;	/* process.terminal */
	int				 open_stdin;	/* keep stdin open */
	int				 stdin_once;	/* close on first detach */
	const struct berth_runtime_events *events;
	void				*events_arg;
	/*
	 * Added in ABI 1.4 (read only if `size` covers them): json-file
	 * rotation, Docker's max-size and max-file.  Once the log reaches
	 * log_max_size bytes (0: never) it becomes log_path.1, .1 becomes
	 * .2 and so on, keeping log_max_files files in all; with one file
	 * the log is emptied instead.
	 */
	int64_t				 log_max_size;
	int				 log_max_files;
};

/* Attach flags. */
#define BERTH_ATTACH_STDIN	0x1u
#define BERTH_ATTACH_STDOUT	0x2u
#define BERTH_ATTACH_STDERR	0x4u
#define BERTH_ATTACH_LOGS	0x8u	/* replay past output first */
/*
 * Since ABI 1.7: the framing the client asked for, whatever the process
 * has (dockerd frames an exec's stream by the start request's Tty, not
 * the exec's): MUX always 8-byte headers, RAW never.
 */
#define BERTH_ATTACH_MUX	0x10u
#define BERTH_ATTACH_RAW	0x20u

struct berth_runtime_exec {
	uint32_t			 size;
	const char			*id;		/* container */
	const char			*exec_id;
	json_object			*process;	/* OCI process, borrowed */
	int				 terminal;
	int				 open_stdin;
	int				 detach;	/* no attach will follow */
};

struct berth_runtime_ops {
	uint32_t	 size;		/* sizeof(struct berth_runtime_ops) */
	/* default_name - the runtime the alias "default" stands for. */
	const char *(*default_name)(void *st);
	/* path - the runtime binary (for /info and inspect). */
	const char *(*path)(void *st);
	/*
	 * create - start a monitor that runs `RUNTIME create` on the bundle.
	 * The process is created, not started; or, where the driver can do
	 * both in one step, it runs already but is held: it reports itself
	 * created, and its output and its exit show only from start on.
	 * Either way, output produced from the first byte is kept for an
	 * attach made before start.
	 */
	void	(*create)(void *st, const struct berth_runtime_create *c,
		    berth_runtime_done_cb done, void *arg);
	void	(*start)(void *st, const char *id, berth_runtime_done_cb done,
		    void *arg);
	/* kill - signal the init process (all = every process). */
	void	(*kill)(void *st, const char *id, int signo, int all,
		    berth_runtime_done_cb done, void *arg);
	void	(*pause)(void *st, const char *id, berth_runtime_done_cb done,
		    void *arg);
	void	(*resume)(void *st, const char *id, berth_runtime_done_cb done,
		    void *arg);
	/* delete - forget a stopped container: runtime delete, monitor ends. */
	void	(*delete)(void *st, const char *id, berth_runtime_done_cb done,
		    void *arg);
	/* state - what the driver knows now (no I/O). -ENOENT if nothing. */
	int	(*state)(void *st, const char *id,
		    struct berth_runtime_state *out);
	/*
	 * restore - after a berthd restart, find the monitor of id again
	 * and report to events from now on.  If the container exited while
	 * berthd was away, out says so (status STOPPED with its exit code)
	 * and no exited event follows.  -ENOENT if there is no trace of it.
	 */
	int	(*restore)(void *st, const char *id,
		    const struct berth_runtime_events *events, void *events_arg,
		    struct berth_runtime_state *out, struct berth_err *err);
	/*
	 * attach - hand a client connection to the monitor, which from then
	 * on streams the container's (or exec's, exec_id non-NULL) output
	 * to it in Docker's framing (8-byte headers without a terminal, raw
	 * with one) and its input to the process's stdin, until the process
	 * exits (then the connection is closed) or the detach keys are
	 * typed.  Takes fd.  done runs when the monitor has taken it.
	 */
	void	(*attach)(void *st, const char *id, const char *exec_id, int fd,
		    uint32_t flags, const char *detach_keys,
		    berth_runtime_done_cb done, void *arg);
	/* resize - the terminal of the container or of exec_id. */
	void	(*resize)(void *st, const char *id, const char *exec_id,
		    unsigned rows, unsigned cols, berth_runtime_done_cb done,
		    void *arg);
	/* exec - run a process in the container (issue: exec). */
	void	(*exec)(void *st, const struct berth_runtime_exec *e,
		    berth_runtime_done_cb done, void *arg);

	/*
	 * Added in ABI 1.x; a caller checks `size` before calling these
	 * (BERTH_RUNTIME_HAS).
	 */

	/*
	 * update - change the cgroup limits of a running or paused
	 * container: `resources` is an OCI linux.resources object
	 * (borrowed), handed to `RUNTIME update --resources`.  What it
	 * leaves out is left as it is.
	 */
	void	(*update)(void *st, const char *id, json_object *resources,
		    berth_runtime_done_cb done, void *arg);
	/*
	 * exec_state - what the driver knows of exec_id now (no I/O): its
	 * pid, in berthd's pid namespace, once the runtime has run it, and
	 * BERTH_RT_RUNNING until it exits.  -ENOENT if nothing.
	 */
	int	(*exec_state)(void *st, const char *id, const char *exec_id,
		    struct berth_runtime_state *out);
};

/* True if ops (of size ops->size) has op. */
#define BERTH_RUNTIME_HAS(ops, op)					\
	((ops)->size >= offsetof(struct berth_runtime_ops, op) +		\
	    sizeof((ops)->op) && (ops)->op != NULL)

#endif

/*
 * berth/host.h - everything the core offers a module.
 *
 * A module links nothing from berthd: every service arrives through this
 * table, which init receives.  Each module gets its own copy, so the core
 * knows which module made each call and can account for (and on a failed
 * init, unwind) every route, driver, timer, watch, child and hook.
 *
 * Rules for every op unless it says otherwise:
 *  - call it on the loop thread (the thread that runs init and handlers);
 *    only functions passed to `work` run elsewhere, and they may call
 *    nothing in this table;
 *  - the caller owns what it passes in; a callee that keeps something
 *    copies it;
 *  - 0 or -errno is returned, with err (when taken) filled on failure.
 *
 * The table starts with its own size and version and only ever grows at
 * the end.  A module built against an older minor may test for a newer op
 * with BERTH_HOST_HAS.  A unit test asserts that no slot is NULL and that
 * man/berth-module.3 documents every op.
 */
#ifndef BERTH_HOST_H
#define BERTH_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include <berth/abi.h>
#include <berth/conf.h>
#include <berth/err.h>
#include <berth/route.h>

/* Log priorities, as syslog's. */
#define BERTH_LOG_ERR		3
#define BERTH_LOG_WARN		4
#define BERTH_LOG_INFO		6
#define BERTH_LOG_DEBUG		7

/* fd_watch events. */
#define BERTH_FD_READ		0x02
#define BERTH_FD_WRITE		0x04

/* resp_hijack flags: also send Api-Version, Server, ... (exec start). */
#define BERTH_HIJACK_COMMON_HEADERS	0x1u

/* Hooks a module may contribute to. */
#define BERTH_HOOK_INFO		"info"	/* fn adds fields to GET /info */

struct berth_timer;
struct berth_watch;
struct berth_req;

typedef void	(*berth_timer_cb)(void *arg);
typedef void	(*berth_watch_cb)(int fd, int events, void *arg);
/* A spawned child exited; wstatus as from waitpid(2). */
typedef void	(*berth_exit_cb)(pid_t pid, int wstatus, void *arg);
/* Runs on a worker thread: touch only job. */
typedef void	(*berth_work_fn)(void *job);
/* Runs on the loop thread once work_fn has returned. */
typedef void	(*berth_done_fn)(void *job);
/* A registered driver, for `drivers` iteration. */
typedef void	(*berth_driver_cb)(const char *name, const void *ops,
		    void *state, void *arg);
/* A hook contribution: add to `out` (borrowed). */
typedef void	(*berth_hook_fn)(void *state, json_object *out);
/* Streamed request body pieces; data borrowed for the call. */
typedef void	(*berth_body_cb)(void *arg, const void *data, size_t len);
/* End of a streamed body: rc 0 at its end, -errno if the client failed. */
typedef void	(*berth_body_end_cb)(void *arg, int rc);
/* The client closed the connection of a pending request. */
typedef void	(*berth_close_cb)(void *arg);
/* The response's output buffer has drained to the socket. */
typedef void	(*berth_drain_cb)(void *arg);
/*
 * A hijacked connection: fd is now the callee's (it must close it);
 * `pending` holds bytes the client sent after the request (borrowed for
 * the call).  fd is -1 if the client went away before the upgrade.
 */
typedef void	(*berth_hijack_cb)(void *arg, int fd, const void *pending,
		    size_t npending);

struct berth_spawn_opts {
	uint32_t		 size;		/* sizeof(struct berth_spawn_opts) */
	const char *const	*envp;		/* NULL: berthd's environment */
	const char		*cwd;		/* NULL: "/" */
	int			 stdin_fd;	/* -1: /dev/null */
	int			 stdout_fd;	/* -1: /dev/null */
	int			 stderr_fd;	/* -1: berthd's stderr */
	int			 setsid;	/* new session for the child */
};

struct berth_host {
	uint32_t	 size;		/* sizeof(struct berth_host) here */
	uint32_t	 version;	/* BERTH_ABI_MINOR of this berthd */

	/* --- logging and configuration ------------------------------ */

	/* log - one line to berthd's log, prefixed with the module name. */
	void	(*log)(const struct berth_host *h, int prio,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	/*
	 * conf_json - the module's validated `config:` subtree as a json-c
	 * object (scalars as strings, ints or booleans per the declared key
	 * types).  Borrowed: valid while conf is.  Never NULL.
	 */
	json_object *(*conf_json)(const struct berth_conf *conf);
	/* data_root, exec_root - berthd's --data-root and --exec-root. */
	const char *(*data_root)(const struct berth_host *h);
	const char *(*exec_root)(const struct berth_host *h);

	/* --- routes, drivers, events, hooks ------------------------- */

	/*
	 * route - serve a table of routes.  `routes` must stay valid for
	 * the module's life (a static table); state is passed to every
	 * handler.  A (method, pattern) already served is -EEXIST.
	 */
	int	(*route)(const struct berth_host *h,
		    const struct berth_route *routes, size_t n, void *state,
		    struct berth_err *err);
	/*
	 * provide - offer driver `name` of interface `iface` ("authz/1").
	 * ops and state are borrowed for the module's life.  A duplicate
	 * (iface, name) is -EEXIST.
	 */
	int	(*provide)(const struct berth_host *h, const char *iface,
		    const char *name, const void *ops, void *state,
		    struct berth_err *err);
	/*
	 * lookup - a driver's ops (and its state in *statep), or NULL.  A
	 * driver not registered may come from a resolver (berth/resolver.h):
	 * its ops then wait until it is found, or fail saying why.
	 */
	const void *(*lookup)(const struct berth_host *h, const char *iface,
		    const char *name, void **statep);
	/* drivers - call cb for every driver of iface, in name order. */
	void	(*drivers)(const struct berth_host *h, const char *iface,
		    berth_driver_cb cb, void *arg);
	/*
	 * emit - publish an event.  type: "container", "image", "volume",
	 * "network", "plugin", "daemon"; attrs: a json-c object of string
	 * values, borrowed (may be NULL).  The core stamps time, timeNano,
	 * scope and Docker's legacy status/id/from fields.
	 */
	void	(*emit)(const struct berth_host *h, const char *type,
		    const char *action, const char *actor_id,
		    json_object *attrs);
	/* hook - contribute to a core document (BERTH_HOOK_INFO). */
	int	(*hook)(const struct berth_host *h, const char *name,
		    berth_hook_fn fn, void *state, struct berth_err *err);

	/* --- the loop ------------------------------------------------- */

	/*
	 * timer_add - call cb once after ms milliseconds.  The timer is
	 * freed after it fires or by timer_del, whichever comes first.
	 */
	struct berth_timer *(*timer_add)(const struct berth_host *h,
		    uint64_t ms, berth_timer_cb cb, void *arg);
	void	(*timer_del)(const struct berth_host *h, struct berth_timer *t);
	/*
	 * fd_watch - call cb whenever fd is readable/writable (persistent)
	 * until fd_unwatch.  The fd stays the caller's; unwatch before
	 * closing it.
	 */
	struct berth_watch *(*fd_watch)(const struct berth_host *h, int fd,
		    int events, berth_watch_cb cb, void *arg);
	void	(*fd_unwatch)(const struct berth_host *h, struct berth_watch *w);
	/*
	 * spawn - fork and exec argv[0] (a path) with opts (may be NULL).
	 * Returns the pid or -errno.  cb runs on the loop when the child
	 * exits; berthd reaps it.  All other fds are closed in the child.
	 */
	pid_t	(*spawn)(const struct berth_host *h, const char *const *argv,
		    const struct berth_spawn_opts *opts, berth_exit_cb cb,
		    void *arg);
	/*
	 * work - run fn(job) on a worker thread, then done(job) on the loop.
	 * This is how a module does anything that can block (disk, mounts,
	 * fsync, archives).  Returns 0 or -errno (then neither runs).
	 */
	int	(*work)(const struct berth_host *h, berth_work_fn fn,
		    berth_done_fn done, void *job);

	/* --- the request -------------------------------------------- */

	/*
	 * req_method, req_path (decoded, version prefix stripped), req_uri
	 * (the canonical target authorization saw; berth/authz.h).
	 */
	enum berth_method (*req_method)(const struct berth_req *r);
	const char *(*req_path)(const struct berth_req *r);
	const char *(*req_uri)(const struct berth_req *r);
	/* req_version - the API version asked for, as 100*major+minor. */
	int	(*req_version)(const struct berth_req *r);
	/* req_param - a `{name}` path parameter, decoded; NULL if absent. */
	const char *(*req_param)(const struct berth_req *r, const char *name);
	/*
	 * req_query - the idx-th value (0 first) of query parameter name,
	 * decoded; NULL past the last.  Borrowed for the request's life.
	 */
	const char *(*req_query)(const struct berth_req *r, const char *name,
		    size_t idx);
	/* req_query_bool - Docker's rule: false iff absent, "", 0, no,
	 * false or none (any case); everything else is true. */
	int	(*req_query_bool)(const struct berth_req *r, const char *name);
	/* req_header - a request header's value (last wins), or NULL. */
	const char *(*req_header)(const struct berth_req *r, const char *name);
	/* req_body - the buffered body (NULL, *len = 0 if none). */
	const void *(*req_body)(const struct berth_req *r, size_t *len);
	/*
	 * req_json - the body parsed as JSON into *out (borrowed; NULL for
	 * an empty body).  A non-empty body whose Content-Type is not JSON
	 * or that does not parse is -EINVAL with Docker's message.
	 */
	int	(*req_json)(struct berth_req *r, json_object **out,
		    struct berth_err *err);
	/*
	 * req_body_stream - for BERTH_ROUTE_STREAM_BODY routes: receive the
	 * body in pieces.  Call once, from the handler.  on_end always runs
	 * once, after the last piece or when the client fails.
	 */
	void	(*req_body_stream)(struct berth_req *r, berth_body_cb on_data,
		    berth_body_end_cb on_end, void *arg);
	/* req_body_pause - stop (1) or resume (0) delivering pieces. */
	void	(*req_body_pause)(struct berth_req *r, int paused);
	/* req_on_close - cb once if the client goes away before the end. */
	void	(*req_on_close)(struct berth_req *r, berth_close_cb cb,
		    void *arg);
	/* req_peer - SO_PEERCRED of a unix client; -ENOTCONN on tcp. */
	int	(*req_peer)(const struct berth_req *r, pid_t *pid, uid_t *uid,
		    gid_t *gid);

	/* --- the response: exactly one final call per request ------- */

	/* resp_header - add a header; before any final call or resp_start. */
	void	(*resp_header)(struct berth_req *r, const char *name,
		    const char *value);
	/* resp_json - final: status and a JSON body (borrowed). */
	void	(*resp_json)(struct berth_req *r, int status, json_object *body);
	/* resp_raw - final: status with a body of the given type. */
	void	(*resp_raw)(struct berth_req *r, int status,
		    const char *content_type, const void *data, size_t len);
	/* resp_status - final: status with an empty body (204, 304, 200). */
	void	(*resp_status)(struct berth_req *r, int status);
	/* resp_error - final: {"message": err->msg}, status from err->code. */
	void	(*resp_error)(struct berth_req *r, const struct berth_err *err);
	/*
	 * resp_start - begin a chunked stream (content_type may be NULL);
	 * the status line and headers are flushed at once.  Then resp_write
	 * any number of times and resp_end (final).
	 */
	void	(*resp_start)(struct berth_req *r, int status,
		    const char *content_type);
	/* resp_write - queue stream bytes; -EPIPE once the client is gone. */
	int	(*resp_write)(struct berth_req *r, const void *data, size_t len);
	/* resp_buffered - stream bytes queued but not yet on the socket. */
	size_t	(*resp_buffered)(const struct berth_req *r);
	/* resp_on_drain - cb once when the queued bytes reach the socket. */
	void	(*resp_on_drain)(struct berth_req *r, berth_drain_cb cb,
		    void *arg);
	/* resp_end - final: end the stream. */
	void	(*resp_end)(struct berth_req *r);
	/*
	 * resp_hijack - final: answer "101 UPGRADED" (Upgrade: tcp) and hand
	 * the connection over; cb receives the fd once the headers are
	 * written.
	 */
	void	(*resp_hijack)(struct berth_req *r, uint32_t flags,
		    berth_hijack_cb cb, void *arg);

	/* --- 1.1: plumbing between requests and worker threads ----- */

	/*
	 * req_body_to_fd - for BERTH_ROUTE_STREAM_BODY routes: copy the
	 * request body into fd (typically a pipe whose other end a `work`
	 * function reads), with backpressure: the body is paused while fd
	 * is full.  Takes fd (closed when the body ends or fails).  If the
	 * reader closes its end, the rest of the body is read and dropped.
	 * done(arg, rc) runs once, after fd is closed: 0 when the whole body
	 * was written, -EPIPE if the reader stopped early, -ECONNRESET if
	 * the client went away.  Call instead of req_body_stream.
	 */
	void	(*req_body_to_fd)(struct berth_req *r, int fd,
		    berth_body_end_cb done, void *arg);
	/*
	 * resp_from_fd - start a chunked response (status, content_type)
	 * and copy fd into it until EOF, reading only while the client
	 * keeps up.  Takes fd.  When fd reaches EOF the response ends
	 * (this is the request's final call); done(arg, rc) then runs with
	 * 0, or with -EPIPE if the client went away first (fd is closed
	 * early, so a writer sees EPIPE).
	 */
	void	(*resp_from_fd)(struct berth_req *r, int status,
		    const char *content_type, int fd, berth_body_end_cb done,
		    void *arg);
	/*
	 * withdraw - stop offering a driver this module provided (a runtime
	 * removed on reload).  -ENOENT if it provides no such driver.
	 */
	int	(*withdraw)(const struct berth_host *h, const char *iface,
		    const char *name);
};

/* True if this berthd's table has op (for modules built for a newer minor). */
#define BERTH_HOST_HAS(h, op)						\
	((h)->size >= offsetof(struct berth_host, op) + sizeof((h)->op) &&	\
	    (h)->op != NULL)

#endif

/*
 * mock_host.h - a struct berth_host for unit tests.
 *
 * Every op of the table is present.  Request and response ops work on a
 * fake struct berth_req that a test builds, fills (query, params,
 * headers, body) and inspects afterwards (status, content type, body
 * written, final calls).  The loop ops are stubs a test drives by hand:
 * timers fire when the test says so, fd watches when it fires an fd,
 * work runs synchronously, spawn fails with -ENOSYS.
 *
 * Strings passed in are copied.  Everything returned is borrowed from
 * the mock and valid until the next call that changes it, or until
 * mock_req_free / mock_reset.  Not thread-safe: tests are single-threaded.
 */
#ifndef BERTH_TESTS_MOCK_HOST_H
#define BERTH_TESTS_MOCK_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/host.h>

extern const struct berth_host mock_host;

/* --- requests -------------------------------------------------------- */

/* A GET of "/" at API 1.41 with no query, headers or body. */
struct berth_req *mock_req_new(void);
void	mock_req_free(struct berth_req *r);

void	mock_req_set_method(struct berth_req *r, enum berth_method m);
/* The path as routed (version prefix stripped); also sets the raw URI. */
void	mock_req_set_path(struct berth_req *r, const char *path);
void	mock_req_set_version(struct berth_req *r, int version);
void	mock_req_set_param(struct berth_req *r, const char *name,
	    const char *value);
/* Appends: a name set twice has values at idx 0 and 1. */
void	mock_req_set_query(struct berth_req *r, const char *name,
	    const char *value);
void	mock_req_set_header(struct berth_req *r, const char *name,
	    const char *value);
void	mock_req_set_body(struct berth_req *r, const void *data, size_t len);
void	mock_req_set_peer(struct berth_req *r, pid_t pid, uid_t uid,
	    gid_t gid);

/* What the handler answered; status is 0 until one is given. */
int	mock_req_status(const struct berth_req *r);
const char *mock_req_content_type(const struct berth_req *r);
/* A response header the handler added (last wins), or NULL. */
const char *mock_req_resp_header(const struct berth_req *r,
	    const char *name);
/* The body: resp_json/raw/error output or the stream's bytes; NUL-ended. */
const char *mock_req_output(const struct berth_req *r);
size_t	mock_req_output_len(const struct berth_req *r);
/* The final call's err->code for resp_error, else 0. */
int	mock_req_err_code(const struct berth_req *r);
/* resp_start was called. */
int	mock_req_started(const struct berth_req *r);
/* How many final calls were made: 1 is right, more is a bug. */
int	mock_req_ended(const struct berth_req *r);

/*
 * The client goes away: run the req_on_close callback (once, and only if
 * the request has not ended); later resp_writes return -EPIPE.
 */
void	mock_req_close(struct berth_req *r);
/* What resp_buffered reports (0 by default). */
void	mock_req_set_buffered(struct berth_req *r, size_t n);
/* The output drained: buffered becomes 0 and resp_on_drain's cb runs. */
void	mock_req_drain(struct berth_req *r);

/* --- the loop ---------------------------------------------------------- */

/* Timers armed and not yet fired or deleted. */
size_t	mock_timers_pending(void);
/* The delay of the most recently armed timer. */
uint64_t mock_timer_last_ms(void);
/* Fire every pending timer (in arming order); returns how many fired. */
int	mock_timers_fire(void);
/* Run the callbacks of the watches on fd whose events intersect. */
int	mock_fd_fire(int fd, int events);

/* --- registries, events, configuration -------------------------------- */

/* The handler (and its state) registered for method and pattern. */
berth_handler mock_route_find(enum berth_method m, const char *pattern,
	    void **statep);
/* Call every BERTH_HOOK_* contribution of name; returns how many. */
int	mock_hook_run(const char *name, json_object *out);

struct mock_event {
	int		 count;		/* events emitted so far */
	char		*type;		/* of the last one */
	char		*action;
	char		*actor_id;
	json_object	*attrs;		/* a copy; NULL if none given */
};
const struct mock_event *mock_last_event(void);

/* conf_json of the returned conf gives obj (borrowed); NULL gives {}. */
const struct berth_conf *mock_conf(json_object *obj);
void	mock_set_roots(const char *data_root, const char *exec_root);

/* Forget timers, watches, routes, drivers, hooks and events. */
void	mock_reset(void);

#endif

/*
 * mock_host.c - a struct berth_host for unit tests; see mock_host.h.
 *
 * It includes only SDK headers: module tests compile it without the
 * core's include path.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include <berth/host.h>

#include "mock_host.h"

struct mock_kv {
	char	*k;
	char	*v;
};

struct mock_kvlist {
	struct mock_kv	*a;
	size_t		 n;
};

struct berth_req {
	enum berth_method	 method;
	char			*path;
	char			*uri;
	int			 version;
	struct mock_kvlist	 params;
	struct mock_kvlist	 query;
	struct mock_kvlist	 headers;
	struct mock_kvlist	 resp_headers;
	char			*body;
	size_t			 body_len;
	json_object		*json;		/* req_json's, owned */
	int			 has_peer;
	pid_t			 pid;
	uid_t			 uid;
	gid_t			 gid;

	int			 status;
	char			*ctype;
	char			*out;		/* always NUL-ended */
	size_t			 out_len;
	size_t			 out_cap;
	int			 err_code;
	int			 started;
	int			 ended;
	int			 closed;
	size_t			 buffered;
	int			 paused;
	berth_close_cb		 close_cb;
	void			*close_arg;
	berth_drain_cb		 drain_cb;
	void			*drain_arg;
};

struct berth_timer {
	TAILQ_ENTRY(berth_timer) entry;
	uint64_t		 seq;
	uint64_t		 ms;
	berth_timer_cb		 cb;
	void			*arg;
};

struct berth_watch {
	TAILQ_ENTRY(berth_watch) entry;
	int			 fd;
	int			 events;
	berth_watch_cb		 cb;
	void			*arg;
};

struct mock_route {
	const struct berth_route	*routes;
	size_t				 n;
	void				*state;
};

struct mock_driver {
	char		*iface;
	char		*name;
	const void	*ops;
	void		*state;
};

struct mock_hook {
	char		*name;
	berth_hook_fn	 fn;
	void		*state;
};

#define MOCK_MAX	64

static TAILQ_HEAD(, berth_timer) mock_timers =
    TAILQ_HEAD_INITIALIZER(mock_timers);
static TAILQ_HEAD(, berth_watch) mock_watches =
    TAILQ_HEAD_INITIALIZER(mock_watches);
static uint64_t			 mock_timer_seq;
static uint64_t			 mock_last_ms;
static struct mock_route	 mock_routes[MOCK_MAX];
static size_t			 mock_nroutes;
static struct mock_driver	 mock_drivers[MOCK_MAX];
static size_t			 mock_ndrivers;
static struct mock_hook		 mock_hooks[MOCK_MAX];
static size_t			 mock_nhooks;
static struct mock_event	 mock_event;
static json_object		*mock_empty_conf;
static char			 mock_data_root[512] = "/tmp/berth-mock/data";
static char			 mock_exec_root[512] = "/tmp/berth-mock/exec";

static char *
mock_strdup(const char *s)
{
	char	*d;

	if ((d = strdup(s != NULL ? s : "")) == NULL) {
		perror("mock_host");
		abort();
	}
	return d;
}

static void
mock_kv_set(struct mock_kvlist *l, const char *k, const char *v)
{
	struct mock_kv	*a;

	if ((a = reallocarray(l->a, l->n + 1, sizeof(*a))) == NULL) {
		perror("mock_host");
		abort();
	}
	a[l->n].k = mock_strdup(k);
	a[l->n].v = mock_strdup(v);
	l->a = a;
	l->n++;
}

/* The idx-th value of k (names compared with cmp), or NULL. */
static const char *
mock_kv_get(const struct mock_kvlist *l, const char *k, size_t idx,
    int (*cmp)(const char *, const char *))
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (cmp(l->a[i].k, k) == 0 && idx-- == 0)
			return l->a[i].v;
	return NULL;
}

/* The last value of k, as headers are looked up. */
static const char *
mock_kv_last(const struct mock_kvlist *l, const char *k)
{
	const char	*v = NULL;
	size_t		 i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->a[i].k, k) == 0)
			v = l->a[i].v;
	return v;
}

static void
mock_kv_free(struct mock_kvlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->a[i].k);
		free(l->a[i].v);
	}
	free(l->a);
	l->a = NULL;
	l->n = 0;
}

/* err.h's table, the core's own. */
static int
mock_status_for(int code)
{
	return berth_err_status(code);
}

static int
mock_out(struct berth_req *r, const void *data, size_t len)
{
	char	*n;
	size_t	 cap;

	if (r->out_len + len + 1 > r->out_cap) {
		cap = r->out_cap != 0 ? r->out_cap : 256;
		while (cap < r->out_len + len + 1)
			cap *= 2;
		if ((n = realloc(r->out, cap)) == NULL)
			return -ENOMEM;
		r->out = n;
		r->out_cap = cap;
	}
	if (len > 0)
		memcpy(r->out + r->out_len, data, len);
	r->out_len += len;
	r->out[r->out_len] = '\0';
	return 0;
}

/* Every request gets exactly one final call; say so when it does not. */
static void
mock_final(struct berth_req *r, const char *op)
{
	if (r->ended++ > 0)
		fprintf(stderr, "mock_host: %s: request already finished\n",
		    op);
}

static void
mock_set_ctype(struct berth_req *r, const char *ctype)
{
	free(r->ctype);
	r->ctype = ctype != NULL ? mock_strdup(ctype) : NULL;
}

/* --- logging and configuration ----------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void
mock_log(const struct berth_host *h, int prio, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "mock_host[%d]: ", prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static json_object *
mock_conf_json(const struct berth_conf *conf)
{
	if (conf != NULL)
		return (json_object *)conf;
	if (mock_empty_conf == NULL &&
	    (mock_empty_conf = json_object_new_object()) == NULL)
		abort();
	return mock_empty_conf;
}

static const char *
mock_data_root_op(const struct berth_host *h)
{
	return mock_data_root;
}

static const char *
mock_exec_root_op(const struct berth_host *h)
{
	return mock_exec_root;
}

/* --- routes, drivers, events, hooks --------------------------------- */

static int
mock_route_op(const struct berth_host *h, const struct berth_route *routes,
    size_t n, void *state, struct berth_err *err)
{
	size_t	i, j, k;

	for (i = 0; i < n; i++)
		for (j = 0; j < mock_nroutes; j++)
			for (k = 0; k < mock_routes[j].n; k++)
				if (mock_routes[j].routes[k].method ==
				    routes[i].method &&
				    strcmp(mock_routes[j].routes[k].pattern,
				    routes[i].pattern) == 0)
					return berth_err_set(err, -EEXIST,
					    "route %s already served",
					    routes[i].pattern);
	if (mock_nroutes == MOCK_MAX)
		return berth_err_set(err, -ENOMEM, "mock: too many routes");
	mock_routes[mock_nroutes].routes = routes;
	mock_routes[mock_nroutes].n = n;
	mock_routes[mock_nroutes].state = state;
	mock_nroutes++;
	return 0;
}

static int
mock_provide(const struct berth_host *h, const char *iface, const char *name,
    const void *ops, void *state, struct berth_err *err)
{
	size_t	i;

	for (i = 0; i < mock_ndrivers; i++)
		if (strcmp(mock_drivers[i].iface, iface) == 0 &&
		    strcmp(mock_drivers[i].name, name) == 0)
			return berth_err_set(err, -EEXIST,
			    "driver %s of %s already provided", name, iface);
	if (mock_ndrivers == MOCK_MAX)
		return berth_err_set(err, -ENOMEM, "mock: too many drivers");
	mock_drivers[mock_ndrivers].iface = mock_strdup(iface);
	mock_drivers[mock_ndrivers].name = mock_strdup(name);
	mock_drivers[mock_ndrivers].ops = ops;
	mock_drivers[mock_ndrivers].state = state;
	mock_ndrivers++;
	return 0;
}

static const void *
mock_lookup(const struct berth_host *h, const char *iface, const char *name,
    void **statep)
{
	size_t	i;

	for (i = 0; i < mock_ndrivers; i++) {
		if (strcmp(mock_drivers[i].iface, iface) != 0 ||
		    strcmp(mock_drivers[i].name, name) != 0)
			continue;
		if (statep != NULL)
			*statep = mock_drivers[i].state;
		return mock_drivers[i].ops;
	}
	return NULL;
}

static void
mock_drivers_op(const struct berth_host *h, const char *iface,
    berth_driver_cb cb, void *arg)
{
	const struct mock_driver	*sel[MOCK_MAX], *t;
	size_t				 n = 0, i, j;

	for (i = 0; i < mock_ndrivers; i++)
		if (strcmp(mock_drivers[i].iface, iface) == 0)
			sel[n++] = &mock_drivers[i];
	/* Name order, as the host promises. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(sel[j - 1]->name,
		    sel[j]->name) > 0; j--) {
			t = sel[j];
			sel[j] = sel[j - 1];
			sel[j - 1] = t;
		}
	for (i = 0; i < n; i++)
		cb(sel[i]->name, sel[i]->ops, sel[i]->state, arg);
}

static void
mock_event_clear(void)
{
	free(mock_event.type);
	free(mock_event.action);
	free(mock_event.actor_id);
	json_object_put(mock_event.attrs);
	mock_event.type = mock_event.action = mock_event.actor_id = NULL;
	mock_event.attrs = NULL;
}

static void
mock_emit(const struct berth_host *h, const char *type, const char *action,
    const char *actor_id, json_object *attrs)
{
	mock_event_clear();
	mock_event.count++;
	mock_event.type = mock_strdup(type);
	mock_event.action = mock_strdup(action);
	mock_event.actor_id = mock_strdup(actor_id);
	if (attrs != NULL &&
	    json_object_deep_copy(attrs, &mock_event.attrs, NULL) != 0)
		abort();
}

static int
mock_hook(const struct berth_host *h, const char *name, berth_hook_fn fn,
    void *state, struct berth_err *err)
{
	if (mock_nhooks == MOCK_MAX)
		return berth_err_set(err, -ENOMEM, "mock: too many hooks");
	mock_hooks[mock_nhooks].name = mock_strdup(name);
	mock_hooks[mock_nhooks].fn = fn;
	mock_hooks[mock_nhooks].state = state;
	mock_nhooks++;
	return 0;
}

/* --- the loop ---------------------------------------------------------- */

static struct berth_timer *
mock_timer_add(const struct berth_host *h, uint64_t ms, berth_timer_cb cb,
    void *arg)
{
	struct berth_timer	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->seq = ++mock_timer_seq;
	t->ms = ms;
	t->cb = cb;
	t->arg = arg;
	mock_last_ms = ms;
	TAILQ_INSERT_TAIL(&mock_timers, t, entry);
	return t;
}

static void
mock_timer_del(const struct berth_host *h, struct berth_timer *t)
{
	if (t == NULL)
		return;
	TAILQ_REMOVE(&mock_timers, t, entry);
	free(t);
}

static struct berth_watch *
mock_fd_watch(const struct berth_host *h, int fd, int events,
    berth_watch_cb cb, void *arg)
{
	struct berth_watch	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&mock_watches, w, entry);
	return w;
}

static void
mock_fd_unwatch(const struct berth_host *h, struct berth_watch *w)
{
	if (w == NULL)
		return;
	TAILQ_REMOVE(&mock_watches, w, entry);
	free(w);
}

static pid_t
mock_spawn(const struct berth_host *h, const char *const *argv,
    const struct berth_spawn_opts *opts, berth_exit_cb cb, void *arg)
{
	return -ENOSYS;
}

/* No threads in unit tests: the job runs now, then its completion. */
static int
mock_work(const struct berth_host *h, berth_work_fn fn, berth_done_fn done,
    void *job)
{
	fn(job);
	done(job);
	return 0;
}

/* --- the request -------------------------------------------------------- */

static enum berth_method
mock_req_method(const struct berth_req *r)
{
	return r->method;
}

static const char *
mock_req_path(const struct berth_req *r)
{
	return r->path;
}

static const char *
mock_req_uri(const struct berth_req *r)
{
	return r->uri;
}

static int
mock_req_version(const struct berth_req *r)
{
	return r->version;
}

static const char *
mock_req_param(const struct berth_req *r, const char *name)
{
	return mock_kv_get(&r->params, name, 0, strcmp);
}

static const char *
mock_req_query(const struct berth_req *r, const char *name, size_t idx)
{
	return mock_kv_get(&r->query, name, idx, strcmp);
}

static int
mock_req_query_bool(const struct berth_req *r, const char *name)
{
	const char	*v = mock_kv_get(&r->query, name, 0, strcmp);

	return !(v == NULL || v[0] == '\0' || strcmp(v, "0") == 0 ||
	    strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcasecmp(v, "none") == 0);
}

static const char *
mock_req_header(const struct berth_req *r, const char *name)
{
	return mock_kv_last(&r->headers, name);
}

static const void *
mock_req_body(const struct berth_req *r, size_t *len)
{
	*len = r->body_len;
	return r->body;
}

static int
mock_req_json(struct berth_req *r, json_object **out, struct berth_err *err)
{
	enum json_tokener_error	 jerr;
	const char		*ct;

	*out = NULL;
	if (r->body_len == 0)
		return 0;
	ct = mock_kv_last(&r->headers, "Content-Type");
	if (ct != NULL && ct[0] != '\0' &&
	    strncasecmp(ct, "application/json", 16) != 0)
		return berth_err_set(err, -EINVAL,
		    "Content-Type specified (%s) must be 'application/json'",
		    ct);
	json_object_put(r->json);
	if ((r->json = json_tokener_parse_verbose(r->body, &jerr)) == NULL &&
	    jerr != json_tokener_success)
		return berth_err_set(err, -EINVAL, "invalid JSON: %s",
		    json_tokener_error_desc(jerr));
	*out = r->json;
	return 0;
}

static void
mock_req_body_stream(struct berth_req *r, berth_body_cb on_data,
    berth_body_end_cb on_end, void *arg)
{
	if (r->body_len > 0)
		on_data(arg, r->body, r->body_len);
	on_end(arg, 0);
}

static void
mock_req_body_pause(struct berth_req *r, int paused)
{
	r->paused = paused;
}

static void
mock_req_on_close(struct berth_req *r, berth_close_cb cb, void *arg)
{
	r->close_cb = cb;
	r->close_arg = arg;
}

static int
mock_req_peer(const struct berth_req *r, pid_t *pid, uid_t *uid, gid_t *gid)
{
	if (!r->has_peer)
		return -ENOTCONN;
	*pid = r->pid;
	*uid = r->uid;
	*gid = r->gid;
	return 0;
}

/* --- the response ------------------------------------------------------- */

static void
mock_resp_header(struct berth_req *r, const char *name, const char *value)
{
	if (r->ended || r->started)
		fprintf(stderr, "mock_host: resp_header %s after the "
		    "headers went out\n", name);
	mock_kv_set(&r->resp_headers, name, value);
}

/* Bodies end with a newline, as Docker's JSON encoder writes them. */
static void
mock_resp_json(struct berth_req *r, int status, json_object *body)
{
	const char	*s;

	mock_final(r, "resp_json");
	r->status = status;
	mock_set_ctype(r, "application/json");
	s = json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (mock_out(r, s, strlen(s)) < 0 || mock_out(r, "\n", 1) < 0)
		abort();
}

static void
mock_resp_raw(struct berth_req *r, int status, const char *content_type,
    const void *data, size_t len)
{
	mock_final(r, "resp_raw");
	r->status = status;
	mock_set_ctype(r, content_type);
	if (mock_out(r, data, len) < 0)
		abort();
}

static void
mock_resp_status(struct berth_req *r, int status)
{
	mock_final(r, "resp_status");
	r->status = status;
}

static void
mock_resp_error(struct berth_req *r, const struct berth_err *err)
{
	json_object	*o;

	if ((o = json_object_new_object()) == NULL ||
	    json_object_object_add(o, "message",
	    json_object_new_string(err->msg)) != 0)
		abort();
	mock_resp_json(r, mock_status_for(err->code), o);
	r->err_code = err->code;
	json_object_put(o);
}

static void
mock_resp_start(struct berth_req *r, int status, const char *content_type)
{
	if (r->started || r->ended)
		fprintf(stderr, "mock_host: resp_start twice\n");
	r->started = 1;
	r->status = status;
	mock_set_ctype(r, content_type);
}

static int
mock_resp_write(struct berth_req *r, const void *data, size_t len)
{
	if (r->ended || r->closed)
		return -EPIPE;
	if (!r->started)
		fprintf(stderr, "mock_host: resp_write before resp_start\n");
	return mock_out(r, data, len);
}

static size_t
mock_resp_buffered(const struct berth_req *r)
{
	return r->buffered;
}

static void
mock_resp_on_drain(struct berth_req *r, berth_drain_cb cb, void *arg)
{
	r->drain_cb = cb;
	r->drain_arg = arg;
}

static void
mock_resp_end(struct berth_req *r)
{
	mock_final(r, "resp_end");
}

/* The client is never there: cb learns so with fd -1. */
static void
mock_resp_hijack(struct berth_req *r, uint32_t flags, berth_hijack_cb cb,
    void *arg)
{
	mock_final(r, "resp_hijack");
	r->status = 101;
	cb(arg, -1, NULL, 0);
}

/* Synchronous stand-ins: tests use small bodies and pipes. */
static void
mock_req_body_to_fd(struct berth_req *r, int fd, berth_body_end_cb done,
    void *arg)
{
	const char	*p = r->body;
	size_t		 left = r->body_len;
	ssize_t		 n;
	int		 rc = 0;

	while (left > 0) {
		if ((n = write(fd, p, left)) <= 0) {
			rc = -EPIPE;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	close(fd);
	done(arg, rc);
}

static void
mock_resp_from_fd(struct berth_req *r, int status, const char *content_type,
    int fd, berth_body_end_cb done, void *arg)
{
	char	buf[4096];
	ssize_t	n;

	mock_resp_start(r, status, content_type);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		mock_out(r, buf, (size_t)n);
	close(fd);
	mock_final(r, "resp_from_fd");
	done(arg, 0);
}

static int
mock_withdraw(const struct berth_host *h, const char *iface, const char *name)
{
	size_t	i;

	for (i = 0; i < mock_ndrivers; i++) {
		if (strcmp(mock_drivers[i].iface, iface) != 0 ||
		    strcmp(mock_drivers[i].name, name) != 0)
			continue;
		free(mock_drivers[i].iface);
		free(mock_drivers[i].name);
		memmove(&mock_drivers[i], &mock_drivers[i + 1],
		    (mock_ndrivers - i - 1) * sizeof(mock_drivers[0]));
		mock_ndrivers--;
		return 0;
	}
	return -ENOENT;
}

const struct berth_host mock_host = {
	.size = sizeof(struct berth_host),
	.version = BERTH_ABI_MINOR,
	.log = mock_log,
	.conf_json = mock_conf_json,
	.data_root = mock_data_root_op,
	.exec_root = mock_exec_root_op,
	.route = mock_route_op,
	.provide = mock_provide,
	.lookup = mock_lookup,
	.drivers = mock_drivers_op,
	.emit = mock_emit,
	.hook = mock_hook,
	.timer_add = mock_timer_add,
	.timer_del = mock_timer_del,
	.fd_watch = mock_fd_watch,
	.fd_unwatch = mock_fd_unwatch,
	.spawn = mock_spawn,
	.work = mock_work,
	.req_method = mock_req_method,
	.req_path = mock_req_path,
	.req_uri = mock_req_uri,
	.req_version = mock_req_version,
	.req_param = mock_req_param,
	.req_query = mock_req_query,
	.req_query_bool = mock_req_query_bool,
	.req_header = mock_req_header,
	.req_body = mock_req_body,
	.req_json = mock_req_json,
	.req_body_stream = mock_req_body_stream,
	.req_body_pause = mock_req_body_pause,
	.req_on_close = mock_req_on_close,
	.req_peer = mock_req_peer,
	.resp_header = mock_resp_header,
	.resp_json = mock_resp_json,
	.resp_raw = mock_resp_raw,
	.resp_status = mock_resp_status,
	.resp_error = mock_resp_error,
	.resp_start = mock_resp_start,
	.resp_write = mock_resp_write,
	.resp_buffered = mock_resp_buffered,
	.resp_on_drain = mock_resp_on_drain,
	.resp_end = mock_resp_end,
	.resp_hijack = mock_resp_hijack,
	.req_body_to_fd = mock_req_body_to_fd,
	.resp_from_fd = mock_resp_from_fd,
	.withdraw = mock_withdraw,
};

/* --- the test's side: requests ------------------------------------------ */

struct berth_req *
mock_req_new(void)
{
	struct berth_req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		perror("mock_host");
		abort();
	}
	r->method = BERTH_GET;
	r->path = mock_strdup("/");
	r->uri = mock_strdup("/");
	r->version = 141;
	return r;
}

void
mock_req_free(struct berth_req *r)
{
	if (r == NULL)
		return;
	free(r->path);
	free(r->uri);
	mock_kv_free(&r->params);
	mock_kv_free(&r->query);
	mock_kv_free(&r->headers);
	mock_kv_free(&r->resp_headers);
	free(r->body);
	json_object_put(r->json);
	free(r->ctype);
	free(r->out);
	free(r);
}

void
mock_req_set_method(struct berth_req *r, enum berth_method m)
{
	r->method = m;
}

void
mock_req_set_path(struct berth_req *r, const char *path)
{
	free(r->path);
	free(r->uri);
	r->path = mock_strdup(path);
	r->uri = mock_strdup(path);
}

void
mock_req_set_version(struct berth_req *r, int version)
{
	r->version = version;
}

void
mock_req_set_param(struct berth_req *r, const char *name, const char *value)
{
	mock_kv_set(&r->params, name, value);
}

void
mock_req_set_query(struct berth_req *r, const char *name, const char *value)
{
	mock_kv_set(&r->query, name, value);
}

void
mock_req_set_header(struct berth_req *r, const char *name, const char *value)
{
	mock_kv_set(&r->headers, name, value);
}

void
mock_req_set_body(struct berth_req *r, const void *data, size_t len)
{
	free(r->body);
	/* NUL-ended too, so req_json can parse it in place. */
	if ((r->body = malloc(len + 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(r->body, data, len);
	r->body[len] = '\0';
	r->body_len = len;
}

void
mock_req_set_peer(struct berth_req *r, pid_t pid, uid_t uid, gid_t gid)
{
	r->has_peer = 1;
	r->pid = pid;
	r->uid = uid;
	r->gid = gid;
}

int
mock_req_status(const struct berth_req *r)
{
	return r->status;
}

const char *
mock_req_content_type(const struct berth_req *r)
{
	return r->ctype;
}

const char *
mock_req_resp_header(const struct berth_req *r, const char *name)
{
	return mock_kv_last(&r->resp_headers, name);
}

const char *
mock_req_output(const struct berth_req *r)
{
	return r->out != NULL ? r->out : "";
}

size_t
mock_req_output_len(const struct berth_req *r)
{
	return r->out_len;
}

int
mock_req_err_code(const struct berth_req *r)
{
	return r->err_code;
}

int
mock_req_started(const struct berth_req *r)
{
	return r->started;
}

int
mock_req_ended(const struct berth_req *r)
{
	return r->ended;
}

void
mock_req_close(struct berth_req *r)
{
	berth_close_cb	cb = r->close_cb;

	r->closed = 1;
	r->close_cb = NULL;
	if (cb != NULL && !r->ended)
		cb(r->close_arg);
}

void
mock_req_set_buffered(struct berth_req *r, size_t n)
{
	r->buffered = n;
}

void
mock_req_drain(struct berth_req *r)
{
	berth_drain_cb	cb = r->drain_cb;

	r->buffered = 0;
	r->drain_cb = NULL;
	if (cb != NULL)
		cb(r->drain_arg);
}

/* --- the test's side: loop, registries, events ------------------------- */

size_t
mock_timers_pending(void)
{
	struct berth_timer	*t;
	size_t			 n = 0;

	TAILQ_FOREACH(t, &mock_timers, entry)
		n++;
	return n;
}

uint64_t
mock_timer_last_ms(void)
{
	return mock_last_ms;
}

int
mock_timers_fire(void)
{
	struct berth_timer	*t;
	berth_timer_cb		 cb;
	void			*arg;
	uint64_t		 upto = mock_timer_seq;
	int			 n = 0;

	/* Timers armed by the callbacks wait for the next call. */
	while ((t = TAILQ_FIRST(&mock_timers)) != NULL && t->seq <= upto) {
		TAILQ_REMOVE(&mock_timers, t, entry);
		cb = t->cb;
		arg = t->arg;
		free(t);
		cb(arg);
		n++;
	}
	return n;
}

int
mock_fd_fire(int fd, int events)
{
	struct berth_watch	*w, *sel[MOCK_MAX];
	size_t			 n = 0, i;
	int			 fired = 0, live;

	TAILQ_FOREACH(w, &mock_watches, entry)
		if (w->fd == fd && (w->events & events) != 0 && n < MOCK_MAX)
			sel[n++] = w;
	for (i = 0; i < n; i++) {
		/* An earlier callback may have unwatched this one. */
		live = 0;
		TAILQ_FOREACH(w, &mock_watches, entry)
			if (w == sel[i])
				live = 1;
		if (!live)
			continue;
		sel[i]->cb(fd, sel[i]->events & events, sel[i]->arg);
		fired++;
	}
	return fired;
}

berth_handler
mock_route_find(enum berth_method m, const char *pattern, void **statep)
{
	size_t	i, k;

	for (i = 0; i < mock_nroutes; i++)
		for (k = 0; k < mock_routes[i].n; k++) {
			if (mock_routes[i].routes[k].method != m ||
			    strcmp(mock_routes[i].routes[k].pattern,
			    pattern) != 0)
				continue;
			if (statep != NULL)
				*statep = mock_routes[i].state;
			return mock_routes[i].routes[k].handler;
		}
	return NULL;
}

int
mock_hook_run(const char *name, json_object *out)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < mock_nhooks; i++)
		if (strcmp(mock_hooks[i].name, name) == 0) {
			mock_hooks[i].fn(mock_hooks[i].state, out);
			n++;
		}
	return n;
}

const struct mock_event *
mock_last_event(void)
{
	return &mock_event;
}

const struct berth_conf *
mock_conf(json_object *obj)
{
	return (const struct berth_conf *)obj;
}

void
mock_set_roots(const char *data_root, const char *exec_root)
{
	if (data_root != NULL)
		snprintf(mock_data_root, sizeof(mock_data_root), "%s",
		    data_root);
	if (exec_root != NULL)
		snprintf(mock_exec_root, sizeof(mock_exec_root), "%s",
		    exec_root);
}

void
mock_reset(void)
{
	struct berth_timer	*t;
	struct berth_watch	*w;
	size_t			 i;

	while ((t = TAILQ_FIRST(&mock_timers)) != NULL) {
		TAILQ_REMOVE(&mock_timers, t, entry);
		free(t);
	}
	while ((w = TAILQ_FIRST(&mock_watches)) != NULL) {
		TAILQ_REMOVE(&mock_watches, w, entry);
		free(w);
	}
	mock_nroutes = 0;
	for (i = 0; i < mock_ndrivers; i++) {
		free(mock_drivers[i].iface);
		free(mock_drivers[i].name);
	}
	mock_ndrivers = 0;
	for (i = 0; i < mock_nhooks; i++)
		free(mock_hooks[i].name);
	mock_nhooks = 0;
	mock_event_clear();
	mock_event.count = 0;
	json_object_put(mock_empty_conf);
	mock_empty_conf = NULL;
	mock_last_ms = 0;
}

/*
 * host.c - the berth_host table: every op a module can call.
 *
 * The table is built from one list (HOST_OPS) so that adding an op is
 * one line here plus the function, and tests/unit/core/check_host.c
 * asserts that no slot is left NULL.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "core.h"
#include "dispatch.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "modules.h"
#include "registry.h"
#include "router.h"
#include "stream.h"

#define HOST_OPS							\
	X(log) X(conf_json) X(data_root) X(exec_root)			\
	X(route) X(provide) X(lookup) X(drivers) X(emit) X(hook)	\
	X(timer_add) X(timer_del) X(fd_watch) X(fd_unwatch) X(spawn)	\
	X(work)								\
	X(req_method) X(req_path) X(req_uri) X(req_version)		\
	X(req_param) X(req_query) X(req_query_bool) X(req_header)	\
	X(req_body) X(req_json) X(req_body_stream) X(req_body_pause)	\
	X(req_on_close) X(req_peer)					\
	X(resp_header) X(resp_json) X(resp_raw) X(resp_status)		\
	X(resp_error) X(resp_start) X(resp_write) X(resp_buffered)	\
	X(resp_on_drain) X(resp_end) X(resp_hijack)			\
	X(req_body_to_fd) X(resp_from_fd) X(withdraw)

#define MOD(h)	CORE_MOD_OF(h)

static void
host_log(const struct berth_host *h, int prio, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(prio, MOD(h)->name, fmt, ap);
	va_end(ap);
}

static json_object *
host_conf_json(const struct berth_conf *conf)
{
	static json_object	*empty;

	if (conf != NULL && conf->obj != NULL)
		return conf->obj;
	if (empty == NULL)
		empty = json_object_new_object();
	return empty;
}

static const char *
host_data_root(const struct berth_host *h)
{
	return core.data_root;
}

static const char *
host_exec_root(const struct berth_host *h)
{
	return core.exec_root;
}

static int
host_route(const struct berth_host *h, const struct berth_route *routes,
    size_t n, void *state, struct berth_err *err)
{
	return router_add(MOD(h), routes, n, state, err);
}

static int
host_provide(const struct berth_host *h, const char *iface, const char *name,
    const void *ops, void *state, struct berth_err *err)
{
	return registry_provide(MOD(h), iface, name, ops, state, err);
}

static const void *
host_lookup(const struct berth_host *h, const char *iface, const char *name,
    void **statep)
{
	return registry_lookup(iface, name, statep);
}

static void
host_drivers(const struct berth_host *h, const char *iface,
    berth_driver_cb cb, void *arg)
{
	registry_each(iface, cb, arg);
}

static void
host_emit(const struct berth_host *h, const char *type, const char *action,
    const char *actor_id, json_object *attrs)
{
	events_publish(type, action, actor_id, attrs);
}

static int
host_hook(const struct berth_host *h, const char *name, berth_hook_fn fn,
    void *state, struct berth_err *err)
{
	return registry_hook_add(MOD(h), name, fn, state, err);
}

static struct berth_timer *
host_timer_add(const struct berth_host *h, uint64_t ms, berth_timer_cb cb,
    void *arg)
{
	return loop_timer_add(MOD(h), ms, cb, arg);
}

static void
host_timer_del(const struct berth_host *h, struct berth_timer *t)
{
	loop_timer_del(t);
}

static struct berth_watch *
host_fd_watch(const struct berth_host *h, int fd, int events,
    berth_watch_cb cb, void *arg)
{
	return loop_fd_watch(MOD(h), fd, events, cb, arg);
}

static void
host_fd_unwatch(const struct berth_host *h, struct berth_watch *w)
{
	loop_fd_unwatch(w);
}

static pid_t
host_spawn(const struct berth_host *h, const char *const *argv,
    const struct berth_spawn_opts *opts, berth_exit_cb cb, void *arg)
{
	return loop_spawn(MOD(h), argv, opts, cb, arg);
}

static int
host_work(const struct berth_host *h, berth_work_fn fn, berth_done_fn done,
    void *job)
{
	return loop_work(MOD(h), fn, done, job);
}

/* --- request ---------------------------------------------------------- */

static enum berth_method
host_req_method(const struct berth_req *r)
{
	return r->method;
}

static const char *
host_req_path(const struct berth_req *r)
{
	return r->path;
}

static const char *
host_req_uri(const struct berth_req *r)
{
	return r->uri;
}

static int
host_req_version(const struct berth_req *r)
{
	return r->version;
}

static const char *
host_req_param(const struct berth_req *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].value;
	return NULL;
}

static const char *
host_req_query(const struct berth_req *r, const char *name, size_t idx)
{
	size_t	i;

	for (i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].name, name) == 0 && idx-- == 0)
			return r->query[i].value;
	return NULL;
}

static int
host_req_query_bool(const struct berth_req *r, const char *name)
{
	static const char *const falsy[] = { "", "0", "no", "false", "none",
	    NULL };
	const char	*v = host_req_query(r, name, 0);
	char		 buf[8];
	size_t		 len;
	int		 i;

	if (v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len >= sizeof(buf))
		return 1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	for (i = 0; falsy[i] != NULL; i++)
		if (strcasecmp(buf, falsy[i]) == 0)
			return 0;
	return 1;
}

static const char *
host_req_header(const struct berth_req *r, const char *name)
{
	return http_req_header(r, name);
}

static const void *
host_req_body(const struct berth_req *r, size_t *len)
{
	size_t	n = r->body ? evbuffer_get_length(r->body) : 0;

	*len = n;
	if (n == 0)
		return NULL;
	return evbuffer_pullup(r->body, -1);
}

static int
host_req_json(struct berth_req *r, json_object **out, struct berth_err *err)
{
	struct json_tokener	*tok;
	const char		*ct;
	size_t			 len;
	const void		*body;

	*out = NULL;
	if (r->json != NULL) {
		*out = r->json;
		return 0;
	}
	if ((body = host_req_body(r, &len)) == NULL)
		return 0;
	if (!r->is_json) {
		ct = http_req_header(r, "Content-Type");
		return berth_err_set(err, -EINVAL, "Content-Type specified "
		    "(%s) must be 'application/json'", ct ? ct : "");
	}
	if ((tok = json_tokener_new()) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	r->json = json_tokener_parse_ex(tok, body, (int)len);
	if (r->json == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset < (int)len) {
		enum json_tokener_error	e = json_tokener_get_error(tok);

		/* Trailing whitespace after the document is fine. */
		if (r->json != NULL && e == json_tokener_success &&
		    strspn((const char *)body + tok->char_offset, " \t\r\n") ==
		    len - (size_t)tok->char_offset) {
			json_tokener_free(tok);
			*out = r->json;
			return 0;
		}
		if (r->json != NULL) {
			json_object_put(r->json);
			r->json = NULL;
		}
		json_tokener_free(tok);
		return berth_err_set(err, -EINVAL, "invalid JSON: %s",
		    e == json_tokener_success ? "trailing data" :
		    json_tokener_error_desc(e));
	}
	json_tokener_free(tok);
	*out = r->json;
	return 0;
}

static void
host_req_body_stream(struct berth_req *r, berth_body_cb on_data,
    berth_body_end_cb on_end, void *arg)
{
	r->body_stream = 1;
	http_req_body_stream(r, on_data, on_end, arg);
}

static void
host_req_body_pause(struct berth_req *r, int paused)
{
	http_req_body_pause(r, paused);
}

static void
host_req_on_close(struct berth_req *r, berth_close_cb cb, void *arg)
{
	r->on_close = cb;
	r->close_arg = arg;
}

static int
host_req_peer(const struct berth_req *r, pid_t *pid, uid_t *uid, gid_t *gid)
{
	return http_req_peer(r, pid, uid, gid);
}

/* --- response --------------------------------------------------------- */

static void
host_resp_header(struct berth_req *r, const char *name, const char *value)
{
	struct http_kv	*nv;

	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return;		/* no header injection */
	nv = reallocarray(r->resp_headers, r->nresp_headers + 1, sizeof(*nv));
	if (nv == NULL)
		return;
	r->resp_headers = nv;
	nv[r->nresp_headers].name = strdup(name);
	nv[r->nresp_headers].value = strdup(value);
	if (nv[r->nresp_headers].name == NULL ||
	    nv[r->nresp_headers].value == NULL) {
		free(nv[r->nresp_headers].name);
		free(nv[r->nresp_headers].value);
		return;
	}
	r->nresp_headers++;
}

static void
host_resp_json(struct berth_req *r, int status, json_object *body)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	/* Docker's encoder ends every JSON document with a newline. */
	{
		char	*buf = malloc(len + 1);

		if (buf == NULL) {
			dispatch_respond(r, 500, "application/json",
			    "{\"message\":\"out of memory\"}", 27);
			return;
		}
		memcpy(buf, s, len);
		buf[len] = '\n';
		dispatch_respond(r, status, "application/json", buf, len + 1);
		free(buf);
	}
}

static void
host_resp_raw(struct berth_req *r, int status, const char *content_type,
    const void *data, size_t len)
{
	dispatch_respond(r, status, content_type, data, len);
}

static void
host_resp_status(struct berth_req *r, int status)
{
	dispatch_respond(r, status, NULL, NULL, 0);
}

static void
host_resp_error(struct berth_req *r, const struct berth_err *err)
{
	json_object	*o;
	int		 status = http_status_from_errno(err->code);

	if (status < 400) {
		host_resp_status(r, status == 200 ? 500 : status);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "message",
	    json_object_new_string(err->msg[0] ? err->msg : http_reason(status)));
	host_resp_json(r, status, o);
	json_object_put(o);
}

static void
host_resp_start(struct berth_req *r, int status, const char *content_type)
{
	http_resp_start(r, status, content_type);
}

static int
host_resp_write(struct berth_req *r, const void *data, size_t len)
{
	return http_resp_chunk(r, data, len);
}

static size_t
host_resp_buffered(const struct berth_req *r)
{
	return http_resp_buffered(r);
}

static void
host_resp_on_drain(struct berth_req *r, berth_drain_cb cb, void *arg)
{
	http_resp_on_drain(r, cb, arg);
}

static void
host_resp_end(struct berth_req *r)
{
	http_resp_finish(r);
}

static void
host_resp_hijack(struct berth_req *r, uint32_t flags, berth_hijack_cb cb,
    void *arg)
{
	http_resp_hijack(r, flags, cb, arg);
}

static void
host_req_body_to_fd(struct berth_req *r, int fd, berth_body_end_cb done,
    void *arg)
{
	stream_body_to_fd(r, fd, done, arg);
}

static void
host_resp_from_fd(struct berth_req *r, int status, const char *content_type,
    int fd, berth_body_end_cb done, void *arg)
{
	stream_resp_from_fd(r, status, content_type, fd, done, arg);
}

static int
host_withdraw(const struct berth_host *h, const char *iface, const char *name)
{
	return registry_withdraw(MOD(h), iface, name);
}

static const struct berth_host host_template = {
	.size = sizeof(struct berth_host),
	.version = BERTH_ABI_MINOR,
#define X(op)	.op = host_##op,
	HOST_OPS
#undef X
};

void
host_init(struct core_mod *m)
{
	m->host = host_template;
}

size_t
host_nslots(void)
{
	size_t	n = 0;

#define X(op)	n++;
	HOST_OPS
#undef X
	return n;
}

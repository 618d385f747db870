/*
 * runtime-probe - a test-only service that drives runtime/1 drivers
 * straight from HTTP, so shell tests can exercise runtime-oci (runc, crun,
 * an added runtime) before any containers service uses it.  Query
 * parameters carry everything; errors come back as Docker's JSON.
 *
 *   POST /probe/rt/create   ?id&bundle[&runtime][&log][&tty][&stdin][&once]
 *   POST /probe/rt/start    ?id            and kill (&signal&all), pause,
 *   POST /probe/rt/delete   ?id            resume, resize (&h&w[&exec])
 *   GET  /probe/rt/state    ?id            {"Status","Pid","ExitCode",...}
 *   POST /probe/rt/restore  ?id[&runtime]  the state restore reports
 *   GET  /probe/rt/wait     ?id[&exec]     until the exited event:
 *                                          {"ExitCode","OOMKilled"}
 *   POST /probe/rt/attach   ?id[&exec]&stdin&stdout&stderr&logs
 *                           [&detachKeys]  101, then the monitor's stream
 *   POST /probe/rt/exec     ?id&exec[&tty][&stdin][&detach], body: the
 *                           OCI process JSON
 *   GET  /probe/rt/default  {"Name": default_name, "Path": path}
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/host.h>
#include <berth/module.h>
#include <berth/runtime.h>

#define PROBE_MAX_EXITS	256

struct exit_rec {
	char	*id;
	char	*exec_id;
	int	 code;
	int	 oom;
};

struct waiter {
	struct waiter		*next;
	struct berth_req	*req;
	char			*id;
	char			*exec_id;
	int			 gone;
};

static struct probe {
	const struct berth_host	*h;
	struct exit_rec		 exits[PROBE_MAX_EXITS];
	size_t			 nexits;
	struct waiter		*waiters;
} P;

static const char *
q(struct berth_req *r, const char *name)
{
	return P.h->req_query(r, name, 0);
}

static const struct berth_runtime_ops *
runtime(struct berth_req *r, void **st)
{
	const struct berth_runtime_ops	*ops;
	const char			*name = q(r, "runtime");
	struct berth_err		 err = BERTH_ERR_INIT;

	if (name == NULL || *name == '\0')
		name = BERTH_RUNTIME_DEFAULT;
	if ((ops = P.h->lookup(P.h, BERTH_RUNTIME_IFACE, name, st)) == NULL) {
		berth_err_set(&err, -EINVAL, "Unknown runtime specified %s",
		    name);
		P.h->resp_error(r, &err);
	}
	return ops;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
answer_wait(struct berth_req *r, const struct exit_rec *e)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "ExitCode", json_object_new_int(e->code));
	json_object_object_add(o, "OOMKilled",
	    json_object_new_boolean(e->oom));
	P.h->resp_json(r, 200, o);
	json_object_put(o);
}

static void
probe_exited(void *arg, const char *id, const char *exec_id, int code,
    int oom, int64_t finished_ns)
{
	struct waiter	**wp, *w;
	struct exit_rec	*e;

	P.h->log(P.h, BERTH_LOG_INFO, "exited: %s%s%s code %d", id,
	    exec_id ? " exec " : "", exec_id ? exec_id : "", code);
	if (P.nexits == PROBE_MAX_EXITS)
		return;
	e = &P.exits[P.nexits++];
	e->id = strdup(id);
	e->exec_id = exec_id ? strdup(exec_id) : NULL;
	e->code = code;
	e->oom = oom;
	for (wp = &P.waiters; (w = *wp) != NULL;) {
		if (strcmp(w->id, id) != 0 || !same(w->exec_id, exec_id)) {
			wp = &w->next;
			continue;
		}
		*wp = w->next;
		if (!w->gone)
			answer_wait(w->req, e);
		free(w->id);
		free(w->exec_id);
		free(w);
	}
}

static const struct berth_runtime_events probe_events = {
	.size = sizeof(struct berth_runtime_events),
	.exited = probe_exited,
};

/* Answer a finished op: 204, or the error. */
static void
op_done(void *arg, int rc, const struct berth_err *err)
{
	struct berth_req	*r = arg;
	struct berth_err	 e = BERTH_ERR_INIT;

	if (rc == 0) {
		P.h->resp_status(r, 204);
		return;
	}
	if (err == NULL) {
		berth_err_set(&e, rc, "error %d", rc);
		err = &e;
	}
	P.h->resp_error(r, err);
}

static void
create_done(void *arg, int rc, const struct berth_err *err)
{
	struct berth_req	*r = arg;

	if (rc == 0)
		P.h->resp_status(r, 201);
	else
		op_done(r, rc, err);
}

static int
qbool(struct berth_req *r, const char *name)
{
	return P.h->req_query_bool(r, name);
}

static void
h_create(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	struct berth_runtime_create	 c;
	void				*rst;

	if ((ops = runtime(r, &rst)) == NULL)
		return;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.id = q(r, "id");
	c.bundle = q(r, "bundle");
	c.log_path = q(r, "log");
	c.terminal = qbool(r, "tty");
	c.open_stdin = qbool(r, "stdin");
	c.stdin_once = qbool(r, "once");
	c.events = &probe_events;
	ops->create(rst, &c, create_done, r);
}

static void
h_start(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	void				*rst;

	if ((ops = runtime(r, &rst)) != NULL)
		ops->start(rst, q(r, "id"), op_done, r);
}

static void
h_kill(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	const char			*s = q(r, "signal");
	void				*rst;

	if ((ops = runtime(r, &rst)) != NULL)
		ops->kill(rst, q(r, "id"), s ? atoi(s) : SIGKILL,
		    qbool(r, "all"), op_done, r);
}

static void
h_pause(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	void				*rst;

	if ((ops = runtime(r, &rst)) != NULL)
		ops->pause(rst, q(r, "id"), op_done, r);
}

static void
h_resume(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	void				*rst;

	if ((ops = runtime(r, &rst)) != NULL)
		ops->resume(rst, q(r, "id"), op_done, r);
}

static void
h_delete(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	void				*rst;

	if ((ops = runtime(r, &rst)) != NULL)
		ops->delete(rst, q(r, "id"), op_done, r);
}

static void
h_resize(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	const char			*hh = q(r, "h"), *w = q(r, "w");
	void				*rst;

	if ((ops = runtime(r, &rst)) != NULL)
		ops->resize(rst, q(r, "id"), q(r, "exec"),
		    hh ? (unsigned)atoi(hh) : 0, w ? (unsigned)atoi(w) : 0,
		    op_done, r);
}

static const char *
status_name(enum berth_runtime_status s)
{
	static const char *const names[] = { "unknown", "created", "running",
	    "paused", "stopped" };

	return (unsigned)s < 5 ? names[s] : "?";
}

static void
state_json(struct berth_req *r, const struct berth_runtime_state *s)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "Status",
	    json_object_new_string(status_name(s->status)));
	json_object_object_add(o, "Pid", json_object_new_int(s->pid));
	json_object_object_add(o, "ExitCode",
	    json_object_new_int(s->exit_code));
	json_object_object_add(o, "OOMKilled",
	    json_object_new_boolean(s->oom_killed));
	json_object_object_add(o, "StartedNs",
	    json_object_new_int64(s->started_ns));
	json_object_object_add(o, "FinishedNs",
	    json_object_new_int64(s->finished_ns));
	P.h->resp_json(r, 200, o);
	json_object_put(o);
}

static void
h_state(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	struct berth_runtime_state	 s;
	struct berth_err		 err = BERTH_ERR_INIT;
	void				*rst;
	int				 rc;

	if ((ops = runtime(r, &rst)) == NULL)
		return;
	memset(&s, 0, sizeof(s));
	if ((rc = ops->state(rst, q(r, "id"), &s)) < 0) {
		berth_err_set(&err, rc, "no such container: %s", q(r, "id"));
		P.h->resp_error(r, &err);
		return;
	}
	state_json(r, &s);
}

static void
h_restore(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	struct berth_runtime_state	 s;
	struct berth_err		 err = BERTH_ERR_INIT;
	void				*rst;

	if ((ops = runtime(r, &rst)) == NULL)
		return;
	memset(&s, 0, sizeof(s));
	if (ops->restore(rst, q(r, "id"), &probe_events, NULL, &s, &err) < 0) {
		P.h->resp_error(r, &err);
		return;
	}
	state_json(r, &s);
}

static void
wait_closed(void *arg)
{
	struct waiter	*w = arg;

	w->gone = 1;
}

static void
h_wait(struct berth_req *r, void *st)
{
	const char	*id = q(r, "id"), *eid = q(r, "exec");
	struct waiter	*w;
	size_t		 i;

	for (i = 0; i < P.nexits; i++)
		if (strcmp(P.exits[i].id, id ? id : "") == 0 &&
		    same(P.exits[i].exec_id, eid)) {
			answer_wait(r, &P.exits[i]);
			return;
		}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		P.h->resp_status(r, 500);
		return;
	}
	w->req = r;
	w->id = strdup(id ? id : "");
	w->exec_id = eid ? strdup(eid) : NULL;
	w->next = P.waiters;
	P.waiters = w;
	P.h->req_on_close(r, wait_closed, w);
}

struct attach {
	const struct berth_runtime_ops	*ops;
	void				*rst;
	char				*id;
	char				*exec_id;
	char				*keys;
	uint32_t			 flags;
};

static void
attach_done(void *arg, int rc, const struct berth_err *err)
{
	if (rc < 0)
		P.h->log(P.h, BERTH_LOG_WARN, "attach: %s",
		    err ? err->msg : "failed");
}

static void
attach_hijacked(void *arg, int fd, const void *pending, size_t npending)
{
	struct attach	*a = arg;

	if (fd >= 0)
		a->ops->attach(a->rst, a->id, a->exec_id, fd, a->flags, a->keys,
		    attach_done, NULL);
	free(a->id);
	free(a->exec_id);
	free(a->keys);
	free(a);
}

static void
h_attach(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	struct attach			*a;
	const char			*k = q(r, "detachKeys");
	void				*rst;

	if ((ops = runtime(r, &rst)) == NULL)
		return;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		P.h->resp_status(r, 500);
		return;
	}
	a->ops = ops;
	a->rst = rst;
	a->id = strdup(q(r, "id") ? q(r, "id") : "");
	a->exec_id = q(r, "exec") ? strdup(q(r, "exec")) : NULL;
	a->keys = k ? strdup(k) : NULL;
	if (qbool(r, "stdin"))
		a->flags |= BERTH_ATTACH_STDIN;
	if (qbool(r, "stdout"))
		a->flags |= BERTH_ATTACH_STDOUT;
	if (qbool(r, "stderr"))
		a->flags |= BERTH_ATTACH_STDERR;
	if (qbool(r, "logs"))
		a->flags |= BERTH_ATTACH_LOGS;
	P.h->resp_hijack(r, 0, attach_hijacked, a);
}

static void
h_exec(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	struct berth_runtime_exec	 e;
	struct berth_err		 err = BERTH_ERR_INIT;
	json_object			*proc;
	void				*rst;

	if ((ops = runtime(r, &rst)) == NULL)
		return;
	if (P.h->req_json(r, &proc, &err) < 0 || proc == NULL) {
		if (err.code == 0)
			berth_err_set(&err, -EINVAL, "a process is needed");
		P.h->resp_error(r, &err);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.id = q(r, "id");
	e.exec_id = q(r, "exec");
	e.process = proc;
	e.terminal = qbool(r, "tty");
	e.open_stdin = qbool(r, "stdin");
	e.detach = qbool(r, "detach");
	ops->exec(rst, &e, create_done, r);
}

static void
h_default(struct berth_req *r, void *st)
{
	const struct berth_runtime_ops	*ops;
	json_object			*o;
	void				*rst;

	if ((ops = runtime(r, &rst)) == NULL)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "Name",
	    json_object_new_string(ops->default_name(rst)));
	json_object_object_add(o, "Path",
	    json_object_new_string(ops->path(rst)));
	P.h->resp_json(r, 200, o);
	json_object_put(o);
}

static const struct berth_route probe_routes[] = {
	{ BERTH_POST,	"/probe/rt/create",	NULL, h_create, 0, 0 },
	{ BERTH_POST,	"/probe/rt/start",	NULL, h_start, 0, 0 },
	{ BERTH_POST,	"/probe/rt/kill",	NULL, h_kill, 0, 0 },
	{ BERTH_POST,	"/probe/rt/pause",	NULL, h_pause, 0, 0 },
	{ BERTH_POST,	"/probe/rt/resume",	NULL, h_resume, 0, 0 },
	{ BERTH_POST,	"/probe/rt/delete",	NULL, h_delete, 0, 0 },
	{ BERTH_POST,	"/probe/rt/resize",	NULL, h_resize, 0, 0 },
	{ BERTH_GET,	"/probe/rt/state",	NULL, h_state, 0, 0 },
	{ BERTH_POST,	"/probe/rt/restore",	NULL, h_restore, 0, 0 },
	{ BERTH_GET,	"/probe/rt/wait",	NULL, h_wait, 0, 0 },
	{ BERTH_POST,	"/probe/rt/attach",	NULL, h_attach, 0, 0 },
	{ BERTH_POST,	"/probe/rt/exec",	NULL, h_exec, 0, 0 },
	{ BERTH_GET,	"/probe/rt/default",	NULL, h_default, 0, 0 },
};

static int
probe_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	P.h = h;
	*statep = &P;
	return h->route(h, probe_routes,
	    sizeof(probe_routes) / sizeof(probe_routes[0]), &P, err);
}

static void
probe_fini(void *state)
{
	struct waiter	*w;
	size_t		 i;

	while ((w = P.waiters) != NULL) {
		P.waiters = w->next;
		free(w->id);
		free(w->exec_id);
		free(w);
	}
	for (i = 0; i < P.nexits; i++) {
		free(P.exits[i].id);
		free(P.exits[i].exec_id);
	}
	P.nexits = 0;
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "runtime-probe",
	.version = "0.1.0",
	.requires = (const char *const[]){ BERTH_RUNTIME_IFACE, NULL },
	.init = probe_init,
	.fini = probe_fini,
};

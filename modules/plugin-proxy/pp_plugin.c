/*
 * pp_plugin.c - one plugin's life as dockerd leads it: found by name
 * (retried with back-off while nothing is there), activated, its
 * drivers provided, then calls.  A call whose transport fails (nobody
 * listening) is retried with the same back-off until the lookup budget
 * is spent; HTTP answers are never retried.  A plugin that made a call
 * give up is "broken": later calls try once and fail fast, so a dead
 * plugin cannot stall requests, until one answers again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <berth/authz.h>
#include <berth/ipam.h>
#include <berth/json.h>
#include <berth/network.h>
#include <berth/volume.h>

#include "plugin_proxy.h"

struct pp_call {
	TAILQ_ENTRY(pp_call)	 entry;
	struct pp_plugin	*p;
	unsigned		 iface;		/* 0: Plugin.Activate */
	char			 method[64];
	char			*body;		/* NULL: empty */
	uint64_t		 start;		/* ms, for the retry budget */
	unsigned		 tries;
	struct berth_timer	*retry;
	int			 queued;	/* on p->waiting */
	pp_call_cb		 cb;
	void			*arg;
};

static void	call_send(struct pp_call *);
static void	call_retry(void *);
static void	plugin_find(struct pp_plugin *);

static const struct {
	unsigned	 bit;
	const char	*implements;	/* in Plugin.Activate */
	const char	*iface;		/* berth's */
	const void	*ops;
} kinds[] = {
	{ PP_VOLUME, "VolumeDriver", BERTH_VOLUME_IFACE, &pp_volume_ops },
	{ PP_NETWORK, "NetworkDriver", BERTH_NETWORK_IFACE, &pp_network_ops },
	{ PP_IPAM, "IpamDriver", BERTH_IPAM_IFACE, &pp_ipam_ops },
	{ PP_AUTHZ, "authz", BERTH_AUTHZ_IFACE, &pp_authz_ops },
};

uint64_t
pp_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * How long to wait before try number `tries` (0 first) of something
 * begun at start: 1 s, 2 s, 4 s, ... as dockerd's plugin client backs
 * off, cut to the lookup budget; 0 once the budget is spent.
 */
static uint64_t
retry_wait(const struct pp *pp, uint64_t start, unsigned tries)
{
	uint64_t	wait = tries >= 4 ? 16000 : 1000ull << tries;
	uint64_t	used = pp_now_ms() - start;

	if (used >= (uint64_t)pp->lookup_ms)
		return 0;
	return wait < (uint64_t)pp->lookup_ms - used ? wait :
	    (uint64_t)pp->lookup_ms - used;
}

/* How dockerd words a plugin it could not find, per interface. */
static void
lookup_err(struct berth_err *err, unsigned iface, const char *name,
    const char *why)
{
	char	msg[BERTH_ERR_MSGLEN];

	snprintf(msg, sizeof(msg), "%s", why);
	if (iface == PP_VOLUME)
		berth_err_set(err, err->code, "error looking up volume plugin "
		    "%s: %s", name, msg);
	else
		berth_err_set(err, err->code, "%s", msg);
}

static void
call_free(struct pp_call *c)
{
	if (c->retry != NULL)
		c->p->pp->h->timer_del(c->p->pp->h, c->retry);
	if (c->queued)
		TAILQ_REMOVE(&c->p->waiting, c, entry);
	free(c->body);
	free(c);
}

static void
call_fail(struct pp_call *c, const struct berth_err *err)
{
	pp_call_cb	 cb = c->cb;
	void		*arg = c->arg;

	call_free(c);
	cb(arg, err->code, NULL, err);
}

/* Everyone waiting on p gets err (lookup wording per interface). */
static void
fail_waiting(struct pp_plugin *p, const struct berth_err *why)
{
	struct berth_err	 err;
	struct pp_call		*c;

	while ((c = TAILQ_FIRST(&p->waiting)) != NULL) {
		err = *why;
		lookup_err(&err, c->iface, p->name, why->msg);
		call_fail(c, &err);
	}
}

static void
provide_drivers(struct pp_plugin *p)
{
	const struct berth_host	*h = p->pp->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	size_t			 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!(p->implements & kinds[i].bit) ||
		    (p->provided & kinds[i].bit))
			continue;
		/* EEXIST: a built-in driver of that name stays first. */
		if (h->provide(h, kinds[i].iface, p->name, kinds[i].ops, p,
		    &err) == 0)
			p->provided |= kinds[i].bit;
	}
}

/*
 * p answers: its drivers are provided (so /info lists them) and every
 * call that waited goes out, or fails if p does not serve its interface.
 */
void
pp_plugin_ready(struct pp_plugin *p)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_call		*c;

	p->state = PP_READY;
	p->broken = 0;
	provide_drivers(p);
	while ((c = TAILQ_FIRST(&p->waiting)) != NULL) {
		TAILQ_REMOVE(&p->waiting, c, entry);
		c->queued = 0;
		if (!(p->implements & c->iface)) {
			berth_err_set(&err, -EPROTONOSUPPORT, "Plugin does not "
			    "implement the requested driver");
			lookup_err(&err, c->iface, p->name, err.msg);
			call_fail(c, &err);
			continue;
		}
		call_send(c);
	}
}

/* p stops answering (a managed plugin disabled, dead, or failed). */
void
pp_plugin_down(struct pp_plugin *p, const struct berth_err *why)
{
	p->state = PP_IDLE;
	fail_waiting(p, why);
}

/* Its drivers leave the registry: calls still come through the resolver. */
void
pp_plugin_withdraw(struct pp_plugin *p)
{
	const struct berth_host	*h = p->pp->h;
	size_t			 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (p->provided & kinds[i].bit) {
			(void)h->withdraw(h, kinds[i].iface, p->name);
			p->provided &= ~kinds[i].bit;
		}
}

/* Plugin.Activate answered: {"Implements": [...]}. */
static void
activated(void *arg, int rc, json_object *resp, const struct berth_err *e)
{
	struct pp_plugin	*p = arg;
	json_object		*impl;
	size_t			 i, k;

	if (rc < 0) {
		p->state = PP_IDLE;
		fail_waiting(p, e);
		return;
	}
	p->implements = 0;
	impl = berth_json_get(resp, "Implements");
	for (i = 0; json_object_is_type(impl, json_type_array) &&
	    i < json_object_array_length(impl); i++) {
		const char *s = json_object_get_string(
		    json_object_array_get_idx(impl, i));

		for (k = 0; s != NULL && k < sizeof(kinds) / sizeof(kinds[0]);
		    k++)
			if (strcmp(s, kinds[k].implements) == 0)
				p->implements |= kinds[k].bit;
	}
	p->pp->h->log(p->pp->h, BERTH_LOG_INFO, "plugin %s activated at %s",
	    p->name, p->addr.unix_path[0] ? p->addr.unix_path : p->addr.url);
	pp_plugin_ready(p);
}

static void
activate(struct pp_plugin *p)
{
	struct pp_call	*c;

	p->state = PP_ACTIVATING;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		struct berth_err err = BERTH_ERR_INIT;

		p->state = PP_IDLE;
		berth_err_set(&err, -ENOMEM, "out of memory");
		fail_waiting(p, &err);
		return;
	}
	c->p = p;
	snprintf(c->method, sizeof(c->method), "Plugin.Activate");
	c->start = pp_now_ms();
	c->cb = activated;
	c->arg = p;
	call_send(c);
}

static void
find_retry(void *arg)
{
	struct pp_plugin	*p = arg;

	p->find_timer = NULL;
	plugin_find(p);
}

static void
found(struct pp_plugin *p, int rc, const struct berth_err *err)
{
	uint64_t	wait;

	if (p->pp->stopping)
		return;
	if (rc == 0) {
		activate(p);
		return;
	}
	/*
	 * Not there yet: dockerd waits up to 30 s for a plugin to appear.
	 * One that never did is looked for once per call after that, so a
	 * missing plugin costs a stat, not 30 s, per request.
	 */
	if (rc == -ENOENT && !p->broken &&
	    (wait = retry_wait(p->pp, p->find_start, p->find_tries++)) > 0 &&
	    (p->find_timer = p->pp->h->timer_add(p->pp->h, wait, find_retry,
	    p)) != NULL)
		return;
	if (rc == -ENOENT)
		p->broken = 1;
	p->state = PP_IDLE;
	fail_waiting(p, err);
}

static void
plugin_find(struct pp_plugin *p)
{
	struct berth_err	err = BERTH_ERR_INIT;
	int			rc;

	p->state = PP_FINDING;
	if ((rc = pp_find(p, found)) < 0) {
		p->state = PP_IDLE;
		berth_err_set(&err, rc, "plugin %s: cannot look for it: %s",
		    p->name, strerror(-rc));
		fail_waiting(p, &err);
	}
}

/*
 * What holds a managed plugin in use, as dockerd counts it: mounted
 * volumes, networks and endpoints made through it.
 */
static void
track_use(struct pp_plugin *p, const char *method)
{
	static const char *const up[] = { "VolumeDriver.Mount",
	    "NetworkDriver.CreateNetwork", "NetworkDriver.Join" };
	static const char *const down[] = { "VolumeDriver.Unmount",
	    "NetworkDriver.DeleteNetwork", "NetworkDriver.Leave" };
	size_t	i;

	if (p->m == NULL)
		return;
	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		if (strcmp(method, up[i]) == 0)
			p->m->uses++;
		else if (strcmp(method, down[i]) == 0 && p->m->uses > 0)
			p->m->uses--;
	}
}

/*
 * The HTTP answer: non-200 is a failure whose message is the body's
 * "Err", or the body itself; dockerd prefixes the method.
 */
static void
answered(void *arg, int rc, long status, const char *body, size_t len,
    const char *errmsg)
{
	struct pp_call		*c = arg;
	struct pp_plugin	*p = c->p;
	struct pp		*pp = p->pp;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*resp = NULL;
	const char		*m;
	uint64_t		 wait;
	pp_call_cb		 cb;
	void			*cbarg;

	if (rc == -ECANCELED) {
		berth_err_set(&err, rc, "%s: %s", c->method, errmsg);
		call_fail(c, &err);
		return;
	}
	/* A managed plugin's death is its supervisor's to see: no retry. */
	if (rc == -ECONNREFUSED && !p->broken && !pp->stopping &&
	    p->m == NULL) {
		/* Nobody listening (yet, or again): retry in a while. */
		if ((wait = retry_wait(pp, c->start, c->tries++)) > 0 &&
		    (c->retry = pp->h->timer_add(pp->h, wait,
		    call_retry, c)) != NULL)
			return;
	}
	if (rc < 0) {
		if (rc == -ECONNREFUSED && !p->broken) {
			p->broken = 1;
			pp->h->log(pp->h, BERTH_LOG_WARN, "plugin %s does not "
			    "answer: calls fail fast until it does", p->name);
		}
		berth_err_set(&err, rc, "%s: plugin %s is not available: %s",
		    c->method, p->name, errmsg);
		call_fail(c, &err);
		return;
	}
	if (p->broken) {
		p->broken = 0;
		pp->h->log(pp->h, BERTH_LOG_INFO, "plugin %s answers again",
		    p->name);
	}
	if (len > 0)
		resp = json_tokener_parse(body);
	if (status != 200) {
		/* 404: the plugin has no such method (dockerd's reading). */
		m = berth_json_str(resp, "Err");
		berth_err_set(&err, status == 404 ? -EOPNOTSUPP : -EIO,
		    "%s: %s", c->method, m != NULL && *m != '\0' ? m : body);
		json_object_put(resp);
		call_fail(c, &err);
		return;
	}
	if (len > 0 && resp == NULL) {
		berth_err_set(&err, -EPROTO, "%s: the plugin's answer is not "
		    "JSON", c->method);
		call_fail(c, &err);
		return;
	}
	track_use(p, c->method);
	cb = c->cb;
	cbarg = c->arg;
	call_free(c);
	cb(cbarg, 0, resp, NULL);
	json_object_put(resp);
}

static void
call_send(struct pp_call *c)
{
	struct pp_plugin	*p = c->p;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 path[80];
	long			 timeout;
	int			 rc;

	c->retry = NULL;
	snprintf(path, sizeof(path), "/%s", c->method);
	/* A managed plugin's own: the timeout its enable was given. */
	timeout = p->m != NULL && p->m->timeout_ms > 0 ? p->m->timeout_ms :
	    pp_timeout_ms(p->pp, p->name, c->method);
	if ((rc = pp_http_post(p->pp->http, &p->addr, path, c->body, timeout,
	    answered, c)) < 0) {
		berth_err_set(&err, rc, "%s: %s", c->method, rc == -ENOSYS ?
		    "libcurl (libcurl4) is not installed" : strerror(-rc));
		call_fail(c, &err);
	}
}

static void
call_retry(void *arg)
{
	call_send(arg);
}

void
pp_call(struct pp_plugin *p, unsigned iface, const char *method,
    json_object *req, pp_call_cb cb, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_call		*c;
	const char		*text;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cb(arg, -ENOMEM, NULL, &err);
		return;
	}
	c->p = p;
	c->iface = iface;
	c->cb = cb;
	c->arg = arg;
	c->start = pp_now_ms();
	snprintf(c->method, sizeof(c->method), "%s", method);
	if (req != NULL) {
		/* dockerd's encoder ends every document with a newline. */
		text = json_object_to_json_string_ext(req,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (asprintf(&c->body, "%s\n", text) < 0) {
			c->body = NULL;
			berth_err_set(&err, -ENOMEM, "out of memory");
			call_fail(c, &err);
			return;
		}
	}
	if (p->pp->stopping) {
		berth_err_set(&err, -ECANCELED, "%s: berthd is stopping",
		    method);
		call_fail(c, &err);
		return;
	}
	if (p->m != NULL && p->state != PP_READY &&
	    (p->state != PP_STARTING || p->m->crashed)) {
		/* Not running: fail fast, unless it is starting for the
		 * first time (then calls wait, so containers restored at
		 * start find their plugins up). */
		if (!p->m->enabled)
			berth_err_set(&err, -EHOSTDOWN, "%s: plugin %s found "
			    "but disabled", method, p->name);
		else
			berth_err_set(&err, -EHOSTDOWN, "%s: plugin %s is not "
			    "running (restarting: %s)", method, p->name,
			    p->m->lasterr[0] ? p->m->lasterr : "starting");
		call_fail(c, &err);
		return;
	}
	if (p->state == PP_READY) {
		if (!(p->implements & iface)) {
			berth_err_set(&err, -EPROTONOSUPPORT, "Plugin does "
			    "not implement the requested driver");
			lookup_err(&err, iface, p->name, err.msg);
			call_fail(c, &err);
			return;
		}
		call_send(c);
		return;
	}
	TAILQ_INSERT_TAIL(&p->waiting, c, entry);
	c->queued = 1;
	if (p->state == PP_IDLE && p->m == NULL) {
		p->find_start = pp_now_ms();
		p->find_tries = 0;
		plugin_find(p);
	}
}

struct ask {
	struct pp_ask		 a;
	char			 method[64];
	unsigned		 iface;
	const struct pp_shape	*shape;
};

static void
ask_answered(void *arg, int rc, json_object *resp, const struct berth_err *err)
{
	struct ask		*k = arg;
	struct berth_err	 e = BERTH_ERR_INIT;
	const char		*m;

	m = berth_json_str(resp, k->iface == PP_IPAM ? "Error" : "Err");
	if (rc == -EOPNOTSUPP && k->shape->optional)
		k->shape->answer(&k->a, NULL);
	else if (rc < 0)
		k->shape->fail(&k->a, rc, err);
	else if (m != NULL && *m != '\0') {
		if (k->iface == PP_VOLUME)
			berth_err_set(&e, k->shape->err_rc ? k->shape->err_rc :
			    -EIO, "%s: %s", k->method, m);
		else
			berth_err_set(&e, k->shape->err_rc ? k->shape->err_rc :
			    -EIO, "remote: %s", m);
		k->shape->fail(&k->a, e.code, &e);
	} else
		k->shape->answer(&k->a, resp);
	free(k);
}

void
pp_ask(struct pp_plugin *p, unsigned iface, const char *method,
    json_object *req, const struct pp_shape *shape, void (*cb)(void),
    void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ask		*k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		struct pp_ask a = { cb, arg, method, p };

		berth_err_set(&err, -ENOMEM, "out of memory");
		shape->fail(&a, -ENOMEM, &err);
		json_object_put(req);
		return;
	}
	snprintf(k->method, sizeof(k->method), "%s", method);
	k->a.cb = cb;
	k->a.arg = arg;
	k->a.method = k->method;
	k->a.p = p;
	k->iface = iface;
	k->shape = shape;
	pp_call(p, iface, method, req, ask_answered, k);
	json_object_put(req);
}

/*
 * Find and activate p now, with no call waiting (a plugin seen by the
 * /info scan): dockerd activates every plugin it finds there.
 */
void
pp_plugin_activate(struct pp_plugin *p)
{
	if (p->m != NULL || p->state != PP_IDLE || p->broken)
		return;
	p->find_start = pp_now_ms();
	p->find_tries = 0;
	plugin_find(p);
}

/* The plugin called name, made (IDLE) on first request; NULL if refused. */
struct pp_plugin *
pp_plugin_get(struct pp *pp, const char *name)
{
	struct pp_plugin	*p;

	TAILQ_FOREACH(p, &pp->plugins, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	if (!pp_name_ok(name) || pp->nplugins >= PP_PLUGINS_MAX)
		return NULL;
	return pp_plugin_new(pp, name);
}

/* A new plugin called name in pp's table (IDLE), or NULL. */
struct pp_plugin *
pp_plugin_new(struct pp *pp, const char *name)
{
	struct pp_plugin	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->name = strdup(name)) == NULL) {
		free(p);
		return NULL;
	}
	p->pp = pp;
	TAILQ_INIT(&p->waiting);
	TAILQ_INSERT_TAIL(&pp->plugins, p, entry);
	pp->nplugins++;
	return p;
}

void
pp_plugin_free_all(struct pp *pp)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct pp_plugin	*p;

	berth_err_set(&err, -ECANCELED, "berthd is stopping");
	while ((p = TAILQ_FIRST(&pp->plugins)) != NULL) {
		fail_waiting(p, &err);
		pp_plugin_free(p);
	}
}

/* p leaves the table and is freed (callers failed its waiting calls). */
void
pp_plugin_free(struct pp_plugin *p)
{
	TAILQ_REMOVE(&p->pp->plugins, p, entry);
	p->pp->nplugins--;
	if (p->find_timer != NULL)
		p->pp->h->timer_del(p->pp->h, p->find_timer);
	if (p->m != NULL) {
		pp_run_fini(p);
		json_object_put(p->m->config);
		json_object_put(p->m->settings);
		free(p->m->ref);
		free(p->m);
	}
	free(p->scope);
	free(p->name);
	free(p);
}

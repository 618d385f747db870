/*
 * dispatch.c - what happens to a request between the parser and a
 * handler: version prefix, route, body policy, authorization, and the
 * response phase of authorization.
 *
 * Order, as in Docker: authorization sees every request, even one for an
 * unknown path or an unsupported version, before anything answers it.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <berth/authz.h>

#include "authz.h"
#include "dispatch.h"
#include "http.h"
#include "log.h"
#include "router.h"
#include "version.h"

struct pending_resp {
	int	 status;
	char	*ctype;
	void	*body;
	size_t	 len;
};

static void
set_early(struct berth_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_early(struct berth_req *r, int status, const char *fmt, ...)
{
	va_list	ap;

	if (r->early_status != 0)
		return;
	r->early_status = status;
	va_start(ap, fmt);
	if (vasprintf(&r->early_msg, fmt, ap) == -1)
		r->early_msg = NULL;
	va_end(ap);
}

static void
version_text(int v, char *buf, size_t len)
{
	snprintf(buf, len, "%d.%d", v / 100, v % 100);
}

void
dispatch_headers(struct berth_req *r)
{
	struct router_match	 m;
	const char		*rest;
	char			*np, vbuf[16];
	int			 v, rc;
	size_t			 i;

	r->body_max = BERTH_BODY_MAX_DEFAULT;
	if (r->early_status != 0)
		return;
	rc = router_version(r->path, &v, &rest);
	if (rc < 0) {
		set_early(r, 404, "page not found");
		return;
	}
	if (rc == 1) {
		r->version = v;
		r->version_given = 1;
		if ((np = strdup(rest)) != NULL) {
			free(r->path);
			r->path = np;
		}
	}
	if (r->version > BERTH_API_VERSION_NUM) {
		version_text(r->version, vbuf, sizeof(vbuf));
		set_early(r, 400, "client version %s is too new. Maximum "
		    "supported API version is %s", vbuf, BERTH_API_VERSION);
		return;
	}
	if (r->version < BERTH_API_MIN_NUM) {
		version_text(r->version, vbuf, sizeof(vbuf));
		set_early(r, 400, "client version %s is too old. Minimum "
		    "supported API version is %s, please upgrade your client "
		    "to a newer version", vbuf, BERTH_API_MIN_VERSION);
		return;
	}
	if (r->method_str != NULL && strcmp(r->method_str, "OPTIONS") == 0) {
		r->early_status = 200;	/* CORS preflight: empty 200 */
		return;
	}
	rc = r->method == 0 ? -EOPNOTSUPP :
	    router_match(r->method, r->path, &m);
	if (rc == -ENOENT || (rc == -EOPNOTSUPP && r->method == 0 &&
	    router_match(BERTH_GET, r->path, &m) == -ENOENT)) {
		set_early(r, 404, "page not found");
		return;
	}
	if (rc < 0) {
		set_early(r, 405, "method %s not allowed for %s",
		    r->method_str ? r->method_str : "?", r->path);
		return;
	}
	if (m.route->min_version != NULL &&
	    r->version < router_version_num(m.route->min_version)) {
		version_text(r->version, vbuf, sizeof(vbuf));
		set_early(r, 400, "%s %s requires API version %s, the client "
		    "asked for %s", r->method_str, r->path,
		    m.route->min_version, vbuf);
		router_match_clear(&m);
		return;
	}
	r->route = m.route;
	r->route_state = m.state;
	r->owner = m.owner;
	for (i = 0; i < m.nparams; i++)
		r->params[i] = m.params[i];
	r->nparams = m.nparams;
	if (m.route->body_max != 0)
		r->body_max = m.route->body_max;
	/*
	 * A streamed body is never shown to authorization, so it may only
	 * be one authorization would not see anyway: a JSON body is always
	 * buffered (within the authz bound) so the drivers see it whole.
	 */
	if ((m.route->flags & BERTH_ROUTE_STREAM_BODY) && !r->is_json) {
		r->body_stream = 1;
		r->state = REQ_HANDLING;
		authz_request(r, dispatch_authorized, NULL);
	} else if (r->is_json && r->body_max > BERTH_AUTHZ_BODY_MAX &&
	    authz_enabled())
		r->body_max = BERTH_AUTHZ_BODY_MAX;
}

void
dispatch_authorized(struct berth_req *r, int status, const char *msg,
    void *arg)
{
	if (status != 0) {
		if (status == 403 || status == 500)
			log_info("authz: %s %s: %s", r->method_str, r->uri, msg);
		http_resp_error(r, status, msg);
		return;
	}
	if (r->conn == NULL) {
		/* The client left while we were deciding. */
		http_resp_send(r, 499, NULL, NULL, 0);
		return;
	}
	if (r->early_status == 200) {
		http_resp_send(r, 200, NULL, NULL, 0);
		return;
	}
	if (r->early_status != 0) {
		http_resp_error(r, r->early_status,
		    r->early_msg ? r->early_msg : http_reason(r->early_status));
		return;
	}
	if (!http_req_owner_alive(r)) {
		http_resp_error(r, 503, "the module serving this request has "
		    "stopped");
		return;
	}
	r->state = REQ_HANDLING;
	r->route->handler(r, r->route_state);
}

void
dispatch_body_done(struct berth_req *r)
{
	r->state = REQ_HANDLING;
	/* A target with no canonical form reaches nothing to authorize. */
	if (r->target_refused)
		dispatch_authorized(r, 0, NULL, NULL);
	else
		authz_request(r, dispatch_authorized, NULL);
}

static void
respond_authorized(struct berth_req *r, int status, const char *msg,
    void *arg)
{
	struct pending_resp	*p = arg;

	if (status != 0)
		http_resp_error(r, status, msg);
	else
		http_resp_send(r, p->status, p->ctype, p->body, p->len);
	free(p->ctype);
	free(p->body);
	free(p);
}

void
dispatch_respond(struct berth_req *r, int status, const char *ctype,
    const void *body, size_t len)
{
	struct pending_resp	*p;

	if (!authz_enabled()) {
		http_resp_send(r, status, ctype, body, len);
		return;
	}
	/* The drivers answer later; keep a copy of what we would send. */
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (ctype != NULL && (p->ctype = strdup(ctype)) == NULL) ||
	    (len > 0 && (p->body = malloc(len)) == NULL)) {
		if (p)
			free(p->ctype);
		free(p);
		http_resp_error(r, 500, "out of memory");
		return;
	}
	p->status = status;
	p->len = len;
	if (len > 0)
		memcpy(p->body, body, len);
	r->state = REQ_FINISHING;
	authz_response(r, status, p->ctype, p->body, p->len,
	    respond_authorized, p);
}

void
dispatch_req_free(struct berth_req *r)
{
	authz_forget(r);
}

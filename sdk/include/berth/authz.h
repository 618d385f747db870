/*
 * berth/authz.h - the authorization driver interface, "authz/1".
 *
 * It mirrors Docker's AuthZPlugin protocol (AuthZReq / AuthZRes), so
 * plugin-proxy can forward it mechanically and an author who knows the
 * plugin docs knows this header.
 *
 * The core runs every driver named in engine.yaml's
 * `authorization-plugins:` list, in that order, before every handler and
 * again on every complete response.  The first deny or error stops the
 * chain.  A driver that errs, or does not answer within the configured
 * timeout, denies: the chain fails closed.
 */
#ifndef BERTH_AUTHZ_H
#define BERTH_AUTHZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <berth/err.h>

#define BERTH_AUTHZ_IFACE	"authz/1"

/* Largest JSON request body shown to drivers; a larger one is denied. */
#define BERTH_AUTHZ_BODY_MAX	(4u << 20)

struct berth_header {
	const char	*name;
	const char	*value;
};

/*
 * What a driver sees.  Everything is borrowed for the duration of the
 * call only: a driver that answers later must copy what it keeps.
 *
 * body is the whole de-chunked request body when the request's
 * Content-Type is application/json (parameters such as charset allowed)
 * and the body is non-empty, NULL otherwise; the handler never sees a
 * byte the drivers did not.  The one exception, as in Docker: POST /auth
 * (docker login), whose bodies carry a password and a token, is shown
 * without them.  Headers exclude Authorization,
 * X-Registry-Auth and X-Registry-Config.  The peer credentials come
 * from SO_PEERCRED on unix sockets (has_peer = 0 on tcp).
 *
 * uri is the canonical form of the request target, never the raw one:
 * the path the router matched (version prefix as the client gave it),
 * decoded once and re-escaped in one spelling, with empty segments
 * dropped, then the query re-escaped from the decoded parameters the
 * handler gets.  "/%76olumes//x/" is shown as "/volumes/x", an
 * absolute-form "http://h/volumes/x" as "/volumes/x".  A target with no
 * single reading (an escaped '/', NUL, "." or "..") is refused with 400
 * before any driver is asked.  So a driver that matches on this string
 * matches on exactly what is routed.
 */
struct berth_authz_req {
	uint32_t			 size;	/* sizeof at core build */
	const char			*method;
	const char			*uri;	/* canonical; see below */
	const struct berth_header	*headers;
	size_t				 nheaders;
	const void			*body;
	size_t				 body_len;
	int				 has_peer;
	pid_t				 peer_pid;
	uid_t				 peer_uid;
	gid_t				 peer_gid;
	/* Response phase only (authz_res); zero/NULL in authz_req. */
	int				 status;
	const struct berth_header	*resp_headers;
	size_t				 nresp_headers;
	const void			*resp_body;	/* JSON only */
	size_t				 resp_body_len;
};

/*
 * The verdict.  Call exactly once, on the loop thread, now or later.
 * allow = 1 lets the request through.  allow = 0 with err == NULL is a
 * denial: the client gets 403 "authorization denied by plugin NAME: msg".
 * err != NULL means the driver failed: the client gets 500
 * "plugin NAME failed with error: <err->msg>".  msg and err are
 * borrowed for the call.
 */
typedef void	(*berth_authz_cb)(void *arg, int allow, const char *msg,
		    const struct berth_err *err);

struct berth_authz_ops {
	uint32_t	 size;		/* sizeof(struct berth_authz_ops) */
	void	(*authz_req)(void *state, const struct berth_authz_req *r,
		    berth_authz_cb done, void *arg);
	void	(*authz_res)(void *state, const struct berth_authz_req *r,
		    berth_authz_cb done, void *arg);
};

#endif

/*
 * http.h - HTTP/1.1 connections: parsing (libhttp-parser), keep-alive,
 * complete and chunked responses, body streaming with backpressure,
 * limits, and the hijack after "101 UPGRADED".
 *
 * http.c knows nothing of routes or authorization: when a request's
 * headers are complete it calls dispatch_headers(), when its body is
 * complete dispatch_body_done(); dispatch.c decides the rest.
 */
#ifndef BERTH_CORE_HTTP_H
#define BERTH_CORE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include <berth/authz.h>
#include <berth/err.h>
#include <berth/host.h>

#define HTTP_HEADER_MAX		(64u << 10)	/* request line + headers */
#define HTTP_HEADERS_NMAX	100		/* header fields */
#define HTTP_CONN_MAX		4096		/* open connections */
#define HTTP_READ_TIMEOUT	60		/* s, for a request's bytes */
#define HTTP_IDLE_TIMEOUT	300		/* s, keep-alive between requests */
#define HTTP_INPUT_HIGHWAT	(256u << 10)	/* bytes read ahead, at most */

#define REQ_MAGIC		0x52455121u	/* "REQ!" */

struct http_conn;
struct core_mod;

struct http_kv {
	char	*name;
	char	*value;
};

enum req_state {
	REQ_READING = 0,	/* headers done, body arriving or not yet used */
	REQ_HANDLING,		/* in the handler (or authz); no response yet */
	REQ_STREAMING,		/* resp_start sent headers */
	REQ_FINISHING,		/* final call made; response phase running */
	REQ_DONE,		/* response fully queued */
};

struct berth_req {
	uint32_t		 magic;
	struct http_conn	*conn;		/* NULL once the client left */
	enum berth_method	 method;	/* 0 if not one of ours */
	const char		*method_str;
	char			*uri;		/* canonical target (uri.h) */
	char			*path;		/* decoded, prefix stripped */
	int			 target_refused; /* no canonical form: 400 */
	int			 version;	/* 141 */
	int			 version_given;	/* /vX.Y prefix present */
	struct http_kv		*headers;
	size_t			 nheaders;
	struct http_kv		*query;
	size_t			 nquery;
	struct http_kv		 params[8];
	size_t			 nparams;
	int			 is_json;	/* Content-Type is JSON */
	int			 keep_alive;
	int			 upgrade;	/* Upgrade header seen */

	/* Body. */
	struct evbuffer		*body;		/* buffered body */
	uint64_t		 body_max;
	int			 body_stream;	/* pieces to the handler */
	int			 body_complete;
	int			 body_paused;
	berth_body_cb		 on_data;
	berth_body_end_cb	 on_end;
	void			*body_arg;
	json_object		*json;		/* req_json cache, owned */

	/* Routing, set by dispatch. */
	const struct berth_route *route;
	void			*route_state;
	struct core_mod		*owner;
	int			 early_status;	/* error known at headers */
	char			*early_msg;

	/* Response. */
	enum req_state		 state;
	struct http_kv		*resp_headers;
	size_t			 nresp_headers;
	berth_close_cb		 on_close;
	void			*close_arg;
	berth_drain_cb		 on_drain;
	void			*drain_arg;
	berth_hijack_cb		 hijack_cb;
	void			*hijack_arg;
	uint32_t		 hijack_flags;
	int			 holds;		/* see req_hold in http.c */
	int			 free_pending;
};

/* Listeners: "unix:///path" or "tcp://127.0.0.1:PORT". */
int	http_listen(const char *spec, struct berth_err *err);
/* Serve an inherited listening socket (socket activation). */
int	http_listen_fd(int fd, struct berth_err *err);
/* Stop accepting and remove unix socket files. */
void	http_close_listeners(void);
/* Close idle connections now; busy ones after their response. */
void	http_shutdown(void);
/* Connections still open (for the shutdown wait). */
int	http_nconns(void);

/* Request accessors used by host.c and dispatch.c. */
const char *http_req_header(const struct berth_req *r, const char *name);
int	http_req_peer(const struct berth_req *r, pid_t *pid, uid_t *uid,
	    gid_t *gid);
int	http_req_is_unix(const struct berth_req *r);
/* False once the module that serves r has stopped: no more callbacks. */
int	http_req_owner_alive(const struct berth_req *r);

/* Feed the current body to the handler / pause / resume. */
void	http_req_body_stream(struct berth_req *r, berth_body_cb on_data,
	    berth_body_end_cb on_end, void *arg);
void	http_req_body_pause(struct berth_req *r, int paused);

/*
 * Writing.  http_resp_send queues a complete response (body may be
 * NULL); ctype NULL means no Content-Type.  http_resp_start sends the
 * head of a chunked stream; http_resp_chunk and http_resp_finish follow.
 * All of them are no-ops once the client has gone.  After the last
 * bytes of a response are queued the request is freed by http.c
 * (http_req_done) and the connection reads the next request.
 */
void	http_resp_send(struct berth_req *r, int status, const char *ctype,
	    const void *body, size_t len);
void	http_resp_start(struct berth_req *r, int status, const char *ctype);
int	http_resp_chunk(struct berth_req *r, const void *data, size_t len);
void	http_resp_finish(struct berth_req *r);
size_t	http_resp_buffered(const struct berth_req *r);
void	http_resp_on_drain(struct berth_req *r, berth_drain_cb cb, void *arg);
void	http_resp_hijack(struct berth_req *r, uint32_t flags,
	    berth_hijack_cb cb, void *arg);
/* Error body: JSON {"message":…} (plain text for API < 1.24). */
void	http_resp_error(struct berth_req *r, int status, const char *msg);
/* The status for a -errno, by the one table of berth/err.h. */
int	http_status_from_errno(int code);
const char *http_reason(int status);

/* Request header list helpers (authz). */
size_t	http_req_headers(const struct berth_req *r,
	    struct berth_header *out, size_t max);

/* Provided by dispatch.c. */
void	dispatch_headers(struct berth_req *r);
void	dispatch_body_done(struct berth_req *r);
/* The request is being freed: drop any pending authz state. */
void	dispatch_req_free(struct berth_req *r);

#endif

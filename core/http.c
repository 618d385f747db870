/*
 * http.c - HTTP/1.1 connections over libevent bufferevents, parsed with
 * libhttp-parser.
 *
 * Why not libevent's evhttp: it buffers every request body whole before
 * calling a handler and has no clean hijack, and berthd must stream 1 GB
 * uploads and hand attach connections to a module.  http-parser is a
 * callback parser with pause/resume, de-chunks request bodies, bounds
 * header size, and reports where an upgraded stream begins.
 *
 * One request is served at a time per connection: the parser is paused
 * at the end of each message until its response is queued, so pipelined
 * requests are answered in order and a slow handler applies
 * backpressure (the input stops being read at HTTP_INPUT_HIGHWAT).
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <http_parser.h>

#include "http.h"
#include "log.h"
#include "loop.h"
#include "modules.h"
#include "uri.h"
#include "version.h"

#define LINGER_SECS	2	/* discard input after an error, then close */

struct http_listener {
	TAILQ_ENTRY(http_listener)	 entry;
	struct evconnlistener		*lev;
	char				*unix_path;	/* owned; NULL on tcp */
	int				 is_unix;
	struct event			*retry_ev;	/* after EMFILE */
};

struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	struct bufferevent	*bev;
	http_parser		 parser;
	struct berth_req	*req;		/* being read or served */
	int			 is_unix;
	int			 has_peer;
	struct ucred		 peer;
	/* Header accumulation for the request being read. */
	struct evbuffer		*url;
	struct evbuffer		*hfield;
	struct evbuffer		*hvalue;
	int			 in_value;
	size_t			 nheaders;
	uint64_t		 body_seen;
	int			 chunked_ok;	/* HTTP/1.1 client */
	int			 paused;	/* parser paused */
	int			 in_parse;	/* re-entrancy guard */
	int			 closing;	/* close once output drains */
	int			 lingering;	/* discarding input */
	int			 gone;		/* peer closed */
	struct event		*resume_ev;
	struct event		*linger_ev;
};

static TAILQ_HEAD(, http_listener)	listeners =
    TAILQ_HEAD_INITIALIZER(listeners);
static TAILQ_HEAD(, http_conn)		conns = TAILQ_HEAD_INITIALIZER(conns);
static int				nconns;
static int				shutting_down;
static http_parser_settings		parser_settings;

static void	conn_parse(struct http_conn *);
static void	conn_free(struct http_conn *);
static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	req_free(struct berth_req *);
static void	req_done(struct berth_req *);
static void	conn_fail(struct http_conn *, int, const char *);

const char *
http_reason(int status)
{
	switch (status) {
	case 101: return "UPGRADED";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

int
http_status_from_errno(int code)
{
	return berth_err_status(code);
}

/* --- small string helpers ---------------------------------------- */

static char *
buf_take(struct evbuffer *b)
{
	size_t	 len = evbuffer_get_length(b);
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	return s;
}

static int
kv_add(struct http_kv **v, size_t *n, char *name, char *value)
{
	struct http_kv	*nv;

	if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL) {
		free(name);
		free(value);
		return -ENOMEM;
	}
	*v = nv;
	nv[*n].name = name;
	nv[*n].value = value;
	(*n)++;
	return 0;
}

static void
kv_free(struct http_kv *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* Split "a=1&b=2" into decoded pairs. */
static int
parse_query(struct berth_req *r, const char *q, size_t len)
{
	const char	*p = q, *end = q + len, *amp, *eq;
	char		*name, *value;

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p) {
			eq = memchr(p, '=', (size_t)(amp - p));
			name = uri_pct_decode(p, (size_t)((eq ? eq : amp) - p), 1);
			value = eq ? uri_pct_decode(eq + 1, (size_t)(amp - eq - 1), 1) :
			    strdup("");
			if (name == NULL || value == NULL) {
				free(name);
				free(value);
				return -ENOMEM;
			}
			if (kv_add(&r->query, &r->nquery, name, value) < 0)
				return -ENOMEM;
		}
		p = amp + 1;
	}
	return 0;
}

/* --- request ------------------------------------------------------- */

const char *
http_req_header(const struct berth_req *r, const char *name)
{
	size_t	i;

	/* Last one wins, as Go's Header.Get after a map overwrite would. */
	for (i = r->nheaders; i > 0; i--)
		if (strcasecmp(r->headers[i - 1].name, name) == 0)
			return r->headers[i - 1].value;
	return NULL;
}

size_t
http_req_headers(const struct berth_req *r, struct berth_header *out,
    size_t max)
{
	static const char *const hidden[] = { "Authorization",
	    "X-Registry-Auth", "X-Registry-Config", "Host", NULL };
	size_t	 i, n = 0;
	int	 k, skip;

	for (i = 0; i < r->nheaders && n < max; i++) {
		skip = 0;
		for (k = 0; hidden[k] != NULL; k++)
			if (strcasecmp(r->headers[i].name, hidden[k]) == 0)
				skip = 1;
		if (skip)
			continue;
		out[n].name = r->headers[i].name;
		out[n].value = r->headers[i].value;
		n++;
	}
	return n;
}

int
http_req_is_unix(const struct berth_req *r)
{
	return r->conn != NULL && r->conn->is_unix;
}

int
http_req_peer(const struct berth_req *r, pid_t *pid, uid_t *uid, gid_t *gid)
{
	if (r->conn == NULL || !r->conn->has_peer)
		return -ENOTCONN;
	if (pid)
		*pid = r->conn->peer.pid;
	if (uid)
		*uid = r->conn->peer.uid;
	if (gid)
		*gid = r->conn->peer.gid;
	return 0;
}

static int
media_is_json(const char *ct)
{
	size_t	n;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	return n == strlen("application/json") &&
	    strncasecmp(ct, "application/json", n) == 0;
}

int
http_req_owner_alive(const struct berth_req *r)
{
	/* A stopped module's state is gone: never call back into it. */
	return r->owner == NULL || r->owner->running;
}

/*
 * A request may be finished (and so freed) from inside a callback that
 * http.c itself called; holds keep it alive until that callback returns.
 */
static void
req_hold(struct berth_req *r)
{
	r->holds++;
}

/* Returns 1 if the request was freed. */
static int
req_release(struct berth_req *r)
{
	if (--r->holds == 0 && r->free_pending) {
		r->free_pending = 0;
		req_free(r);
		return 1;
	}
	return 0;
}

static void
req_free(struct berth_req *r)
{
	if (r == NULL)
		return;
	if (r->holds > 0) {
		r->free_pending = 1;
		return;
	}
	dispatch_req_free(r);
	r->magic = 0;
	free(r->uri);
	free(r->path);
	kv_free(r->headers, r->nheaders);
	kv_free(r->query, r->nquery);
	while (r->nparams > 0) {
		r->nparams--;
		free(r->params[r->nparams].name);
		free(r->params[r->nparams].value);
	}
	if (r->body)
		evbuffer_free(r->body);
	if (r->json)
		json_object_put(r->json);
	free(r->early_msg);
	kv_free(r->resp_headers, r->nresp_headers);
	free(r);
}

/* --- parser callbacks ------------------------------------------------ */

static int
on_message_begin(http_parser *p)
{
	struct http_conn	*c = p->data;
	struct berth_req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	if ((r->body = evbuffer_new()) == NULL) {
		free(r);
		return -1;
	}
	r->magic = REQ_MAGIC;
	r->conn = c;
	r->version = BERTH_API_VERSION_NUM;
	c->req = r;
	c->nheaders = 0;
	c->body_seen = 0;
	c->in_value = 0;
	evbuffer_drain(c->url, evbuffer_get_length(c->url));
	evbuffer_drain(c->hfield, evbuffer_get_length(c->hfield));
	evbuffer_drain(c->hvalue, evbuffer_get_length(c->hvalue));
	/* A request is arriving: give its bytes a deadline. */
	bufferevent_set_timeouts(c->bev,
	    &(struct timeval){ HTTP_READ_TIMEOUT, 0 }, NULL);
	return 0;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = p->data;

	return evbuffer_add(c->url, at, len);
}

static int
header_flush(struct http_conn *c)
{
	struct berth_req	*r = c->req;
	char			*name, *value;

	if (evbuffer_get_length(c->hfield) == 0)
		return 0;
	if (++c->nheaders > HTTP_HEADERS_NMAX) {
		c->parser.http_errno = HPE_HEADER_OVERFLOW;
		return -1;
	}
	name = buf_take(c->hfield);
	value = buf_take(c->hvalue);
	if (name == NULL || value == NULL) {
		free(name);
		free(value);
		return -1;
	}
	return kv_add(&r->headers, &r->nheaders, name, value) < 0 ? -1 : 0;
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = p->data;

	if (c->in_value) {
		if (header_flush(c) < 0)
			return -1;
		c->in_value = 0;
	}
	return evbuffer_add(c->hfield, at, len);
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = p->data;

	c->in_value = 1;
	return evbuffer_add(c->hvalue, at, len);
}

static enum berth_method
method_from_parser(unsigned m)
{
	switch (m) {
	case HTTP_GET:
		return BERTH_GET;
	case HTTP_HEAD:
		return BERTH_HEAD;
	case HTTP_POST:
		return BERTH_POST;
	case HTTP_PUT:
		return BERTH_PUT;
	case HTTP_DELETE:
		return BERTH_DELETE;
	default:
		return 0;
	}
}

static int
on_headers_complete(http_parser *p)
{
	struct http_conn	*c = p->data;
	struct berth_req	*r = c->req;
	struct http_parser_url	 u;
	size_t			 len;
	const char		*uri, *why = NULL;
	char			*enc = NULL, *canon;

	if (c->in_value && header_flush(c) < 0)
		return -1;
	if ((r->uri = buf_take(c->url)) == NULL)
		return -1;
	r->method = method_from_parser(p->method);
	r->method_str = http_method_str(p->method);
	r->keep_alive = http_should_keep_alive(p);
	r->upgrade = p->upgrade;
	c->chunked_ok = p->http_major > 1 ||
	    (p->http_major == 1 && p->http_minor >= 1);
	r->is_json = media_is_json(http_req_header(r, "Content-Type"));
	if (p->http_major < 1) {
		/* HTTP/0.9 has no headers to answer with. */
		r->keep_alive = 0;
		r->early_status = 400;
		r->early_msg = strdup("unsupported HTTP version");
	}

	uri = r->uri;
	len = strlen(uri);
	http_parser_url_init(&u);
	if (http_parser_parse_url(uri, len, 0, &u) != 0 ||
	    !(u.field_set & (1 << UF_PATH)))
		why = "malformed request target";
	else if (uri_canon_path(uri + u.field_data[UF_PATH].off,
	    u.field_data[UF_PATH].len, &r->path, &enc, &why) == -ENOMEM)
		return -1;
	if (r->path == NULL) {
		/* Nothing is routed, so there is no path to authorize. */
		if (r->early_status == 0) {
			r->early_status = 400;
			r->early_msg = strdup(why);
		}
		r->target_refused = 1;
		r->path = strdup("/");
	} else {
		if (u.field_set & (1 << UF_QUERY) &&
		    parse_query(r, uri + u.field_data[UF_QUERY].off,
		    u.field_data[UF_QUERY].len) < 0) {
			free(enc);
			return -1;
		}
		/* Drivers see the target the router and handler see. */
		canon = uri_target(enc, r->query, r->nquery);
		free(enc);
		if (canon == NULL)
			return -1;
		free(r->uri);
		r->uri = canon;
	}
	if (r->path == NULL)
		return -1;
	/* Routing, version and limits are dispatch's business. */
	dispatch_headers(r);
	if (r->early_status == 413 ||
	    (p->content_length != ULLONG_MAX && p->content_length > 0 &&
	    p->content_length > r->body_max && !r->body_stream)) {
		conn_fail(c, 413, "request body too large");
		return -1;
	}
	return 0;
}

/* Returns 1 if the request went away meanwhile. */
static int
body_deliver_pending(struct berth_req *r)
{
	struct evbuffer_iovec	 v;

	while (r->on_data != NULL && !r->body_paused &&
	    evbuffer_get_length(r->body) > 0) {
		if (evbuffer_peek(r->body, -1, NULL, &v, 1) < 1)
			break;
		if (!http_req_owner_alive(r)) {
			evbuffer_drain(r->body, evbuffer_get_length(r->body));
			return 0;
		}
		req_hold(r);
		r->on_data(r->body_arg, v.iov_base, v.iov_len);
		if (r->state == REQ_DONE || r->free_pending) {
			req_release(r);
			return 1;
		}
		req_release(r);
		evbuffer_drain(r->body, v.iov_len);
	}
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = p->data;
	struct berth_req	*r = c->req;

	if (r == NULL || c->closing)
		return -1;	/* answered early; the rest is not read */
	c->body_seen += len;
	if (r->body_stream) {
		if (!http_req_owner_alive(r))
			return 0;
		if (r->on_data != NULL && !r->body_paused &&
		    evbuffer_get_length(r->body) == 0) {
			req_hold(r);
			r->on_data(r->body_arg, at, len);
			if (req_release(r) || c->req != r)
				return -1;
			return 0;
		}
		/* Not ready: hold this piece and stop parsing until it is. */
		if (evbuffer_add(r->body, at, len) < 0)
			return -1;
		c->paused = 1;
		http_parser_pause(p, 1);
		return 0;
	}
	if (c->body_seen > r->body_max) {
		conn_fail(c, 413, "request body too large");
		return -1;
	}
	return evbuffer_add(r->body, at, len);
}

static int
on_message_complete(http_parser *p)
{
	struct http_conn	*c = p->data;
	struct berth_req	*r = c->req;

	if (r == NULL || c->closing)
		return -1;
	r->body_complete = 1;
	/* Hold the next request until this one is answered. */
	c->paused = 1;
	http_parser_pause(p, 1);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	if (!r->body_stream) {
		dispatch_body_done(r);
		return 0;
	}
	if (r->on_data != NULL && evbuffer_get_length(r->body) == 0 &&
	    r->on_end != NULL && http_req_owner_alive(r)) {
		berth_body_end_cb end = r->on_end;

		r->on_end = NULL;
		end(r->body_arg, 0);
	}
	return 0;
}

/* --- writing ---------------------------------------------------------- */

static void
put_common_headers(struct evbuffer *out)
{
	char		 date[64];
	time_t		 now = time(NULL);
	struct tm	 tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	evbuffer_add_printf(out,
	    "Api-Version: %s\r\nDocker-Experimental: false\r\n"
	    "Ostype: linux\r\nServer: %s\r\nDate: %s\r\n",
	    BERTH_API_VERSION, BERTH_SERVER_HEADER, date);
}

static void
put_head(struct berth_req *r, int status, const char *ctype)
{
	struct evbuffer	*out = bufferevent_get_output(r->conn->bev);
	size_t		 i;

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status,
	    http_reason(status));
	put_common_headers(out);
	if (ctype != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
	for (i = 0; i < r->nresp_headers; i++)
		evbuffer_add_printf(out, "%s: %s\r\n", r->resp_headers[i].name,
		    r->resp_headers[i].value);
	if (!r->keep_alive || shutting_down)
		evbuffer_add_printf(out, "Connection: close\r\n");
}

void
http_resp_send(struct berth_req *r, int status, const char *ctype,
    const void *body, size_t len)
{
	struct evbuffer	*out;

	if (r->conn == NULL || r->conn->gone) {
		req_done(r);
		return;
	}
	out = bufferevent_get_output(r->conn->bev);
	put_head(r, status, ctype);
	if (status != 204 && status != 304)
		evbuffer_add_printf(out, "Content-Length: %zu\r\n",
		    r->method == BERTH_HEAD && body == NULL ? (size_t)0 : len);
	evbuffer_add(out, "\r\n", 2);
	if (body != NULL && len > 0 && r->method != BERTH_HEAD &&
	    status != 204 && status != 304)
		evbuffer_add(out, body, len);
	req_done(r);
}

void
http_resp_start(struct berth_req *r, int status, const char *ctype)
{
	struct evbuffer	*out;

	r->state = REQ_STREAMING;
	if (r->conn == NULL || r->conn->gone)
		return;
	out = bufferevent_get_output(r->conn->bev);
	if (!r->conn->chunked_ok)
		r->keep_alive = 0;	/* HTTP/1.0: the close ends the body */
	put_head(r, status, ctype);
	if (r->conn->chunked_ok)
		evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n");
	evbuffer_add(out, "\r\n", 2);
	/* Clients wait for these headers before doing anything else. */
	bufferevent_flush(r->conn->bev, EV_WRITE, BEV_FLUSH);
}

int
http_resp_chunk(struct berth_req *r, const void *data, size_t len)
{
	struct evbuffer	*out;

	if (r->conn == NULL || r->conn->gone)
		return -EPIPE;
	if (len == 0)
		return 0;
	out = bufferevent_get_output(r->conn->bev);
	if (r->conn->chunked_ok)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, data, len);
	if (r->conn->chunked_ok)
		evbuffer_add(out, "\r\n", 2);
	return 0;
}

void
http_resp_finish(struct berth_req *r)
{
	if (r->conn != NULL && !r->conn->gone && r->conn->chunked_ok)
		evbuffer_add(bufferevent_get_output(r->conn->bev),
		    "0\r\n\r\n", 5);
	req_done(r);
}

size_t
http_resp_buffered(const struct berth_req *r)
{
	if (r->conn == NULL || r->conn->gone)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(r->conn->bev));
}

void
http_resp_on_drain(struct berth_req *r, berth_drain_cb cb, void *arg)
{
	r->on_drain = cb;
	r->drain_arg = arg;
	if (r->conn == NULL || r->conn->gone ||
	    http_resp_buffered(r) == 0) {
		r->on_drain = NULL;
		cb(arg);
	}
}

void
http_resp_error(struct berth_req *r, int status, const char *msg)
{
	json_object	*o;
	const char	*s;

	if (r->version_given && r->version < 124) {
		/* API < 1.24 had plain-text errors; we only reach it here
		 * for the "too old" refusal itself. */
		http_resp_send(r, status, "text/plain; charset=utf-8", msg,
		    strlen(msg));
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(msg));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	http_resp_send(r, status, "application/json", s, strlen(s));
	json_object_put(o);
}

void
http_resp_hijack(struct berth_req *r, uint32_t flags, berth_hijack_cb cb,
    void *arg)
{
	struct evbuffer	*out;
	const char	*upgrade;

	if (r->conn == NULL || r->conn->gone) {
		req_free(r);
		cb(arg, -1, NULL, 0);
		return;
	}
	r->hijack_cb = cb;
	r->hijack_arg = arg;
	r->state = REQ_DONE;
	out = bufferevent_get_output(r->conn->bev);
	/*
	 * Only a client that asked to upgrade gets the 101.  Others get
	 * what dockerd gives them: 200 and the raw stream as the body,
	 * which ends when the connection closes.
	 */
	upgrade = http_req_header(r, "Upgrade");
	if (upgrade != NULL && *upgrade != '\0')
		evbuffer_add_printf(out, "HTTP/1.1 101 UPGRADED\r\n"
		    "Content-Type: application/vnd.docker.raw-stream\r\n"
		    "Connection: Upgrade\r\nUpgrade: tcp\r\n");
	else
		evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/vnd.docker.raw-stream\r\n");
	if (flags & BERTH_HIJACK_COMMON_HEADERS)
		put_common_headers(out);
	evbuffer_add(out, "\r\n", 2);
	/* The handover happens in conn_write_cb once this is written. */
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(r->conn->bev, EV_WRITE);
	conn_write_cb(r->conn->bev, r->conn);
}

/* Hand the socket to the hijacker: it gets a dup and the unread bytes. */
static void
conn_handover(struct http_conn *c)
{
	struct berth_req	*r = c->req;
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	berth_hijack_cb		 cb = r->hijack_cb;
	void			*arg = r->hijack_arg;
	size_t			 n = evbuffer_get_length(in);
	unsigned char		*pending = NULL;
	int			 fd;

	fd = dup(bufferevent_getfd(c->bev));
	if (n > 0 && (pending = malloc(n)) != NULL)
		evbuffer_remove(in, pending, n);
	c->req = NULL;
	if (!http_req_owner_alive(r)) {
		if (fd != -1)
			close(fd);
		req_free(r);
		conn_free(c);
		free(pending);
		return;
	}
	req_free(r);
	conn_free(c);
	cb(arg, fd, pending, pending ? n : 0);
	free(pending);
}

/* --- connection -------------------------------------------------------- */

static void
conn_free(struct http_conn *c)
{
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	if (c->resume_ev)
		event_free(c->resume_ev);
	if (c->linger_ev)
		event_free(c->linger_ev);
	bufferevent_free(c->bev);
	evbuffer_free(c->url);
	evbuffer_free(c->hfield);
	evbuffer_free(c->hvalue);
	free(c);
}

/*
 * The peer is gone, or we give up on it.  A request a handler holds
 * stays alive until its final call; one nobody holds is freed here.
 */
static void
conn_close(struct http_conn *c)
{
	struct berth_req	*r = c->req;

	c->req = NULL;
	if (r != NULL) {
		r->conn = NULL;
		if (r->state == REQ_READING) {
			req_free(r);
		} else if (r->state < REQ_DONE && !http_req_owner_alive(r)) {
			/* Its module has stopped: nobody will finish it. */
			r->on_end = NULL;
			r->on_close = NULL;
		} else if (r->state < REQ_DONE) {
			req_hold(r);
			if (r->on_end != NULL && !r->body_complete) {
				berth_body_end_cb end = r->on_end;

				r->on_end = NULL;
				end(r->body_arg, -ECONNRESET);
			}
			if (!r->free_pending && r->state < REQ_DONE &&
			    r->on_close != NULL) {
				berth_close_cb cb = r->on_close;

				r->on_close = NULL;
				cb(r->close_arg);
			}
			req_release(r);
		} else
			req_free(r);
	}
	conn_free(c);
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_close(arg);
}

/*
 * An error found while reading a request (bad syntax, too large): answer
 * it, then discard what the client still sends for a moment before
 * closing, so that it reads our answer instead of a reset.
 */
static void
conn_fail(struct http_conn *c, int status, const char *msg)
{
	struct berth_req	*r = c->req;

	if (c->lingering || c->gone)
		return;
	log_debug("http: %d %s", status, msg);
	if (r == NULL || r->state != REQ_READING) {
		c->closing = 1;
		conn_write_cb(c->bev, c);
		return;
	}
	r->keep_alive = 0;
	http_resp_error(r, status, msg);
	c->lingering = 1;
	c->paused = 1;
}

static void
conn_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_parse(arg);
}

static void
conn_schedule_parse(struct http_conn *c)
{
	event_active(c->resume_ev, EV_TIMEOUT, 0);
}

/* The response to the current request is fully queued. */
static void
req_done(struct berth_req *r)
{
	struct http_conn	*c = r->conn;

	r->state = REQ_DONE;
	if (c == NULL) {
		req_free(r);
		return;
	}
	if (!r->keep_alive || !r->body_complete || shutting_down ||
	    r->upgrade)
		c->closing = 1;
	c->req = NULL;
	req_free(r);
	if (c->lingering)
		return;
	if (c->closing) {
		conn_write_cb(c->bev, c);
		return;
	}
	c->paused = 0;
	http_parser_pause(&c->parser, 0);
	bufferevent_set_timeouts(c->bev,
	    &(struct timeval){ HTTP_IDLE_TIMEOUT, 0 }, NULL);
	conn_schedule_parse(c);
}

void
http_req_body_stream(struct berth_req *r, berth_body_cb on_data,
    berth_body_end_cb on_end, void *arg)
{
	r->on_data = on_data;
	r->on_end = on_end;
	r->body_arg = arg;
	if (r->conn == NULL) {
		r->on_end = NULL;
		on_end(arg, -ECONNRESET);
		return;
	}
	if (r->conn->paused || evbuffer_get_length(r->body) > 0 ||
	    r->body_complete)
		conn_schedule_parse(r->conn);
}

void
http_req_body_pause(struct berth_req *r, int paused)
{
	r->body_paused = paused;
	if (r->conn == NULL)
		return;
	if (paused) {
		r->conn->paused = 1;
		if (r->conn->in_parse)
			http_parser_pause(&r->conn->parser, 1);
	} else
		conn_schedule_parse(r->conn);
}

/* Run the parser over what has arrived, unless a request holds it. */
static void
conn_parse(struct http_conn *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct berth_req	*r = c->req;
	enum http_errno		 e;
	size_t			 len, n;
	unsigned char		*data;

	if (c->in_parse || c->gone)
		return;
	if (c->lingering) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	/* A streamed body waiting for its consumer. */
	if (r != NULL && r->body_stream && r->on_data != NULL) {
		if (body_deliver_pending(r) || c->req != r)
			return;
		if (r->body_paused || evbuffer_get_length(r->body) > 0)
			return;
		if (r->body_complete) {
			if (r->on_end != NULL && http_req_owner_alive(r)) {
				berth_body_end_cb end = r->on_end;

				r->on_end = NULL;
				end(r->body_arg, 0);
			}
			return;
		}
		c->paused = 0;
		http_parser_pause(&c->parser, 0);
	} else if (r != NULL && (r->body_complete || r->state != REQ_READING ||
	    r->body_stream))
		return;
	else if (c->paused && r == NULL && !c->closing) {
		c->paused = 0;
		http_parser_pause(&c->parser, 0);
	}
	if (c->paused || c->closing)
		return;

	c->in_parse = 1;
	while ((len = evbuffer_get_contiguous_space(in)) > 0 && !c->gone) {
		data = evbuffer_pullup(in, (ssize_t)len);
		n = http_parser_execute(&c->parser, &parser_settings,
		    (const char *)data, len);
		e = HTTP_PARSER_ERRNO(&c->parser);
		if (c->lingering) {
			evbuffer_drain(in, evbuffer_get_length(in));
			break;
		}
		evbuffer_drain(in, n);
		if (e == HPE_PAUSED || c->paused || c->closing)
			break;
		if (e != HPE_OK) {
			c->in_parse = 0;
			if (e == HPE_HEADER_OVERFLOW)
				conn_fail(c, 431, "request header fields too large");
			else
				conn_fail(c, 400, http_errno_description(e));
			return;
		}
		if (c->parser.upgrade)
			break;
	}
	c->in_parse = 0;
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn_parse(arg);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn	*c = arg;
	struct berth_req	*r = c->req;
	berth_drain_cb		 cb;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	if (r != NULL && r->hijack_cb != NULL) {
		conn_handover(c);
		return;
	}
	if (r != NULL && r->on_drain != NULL && http_req_owner_alive(r)) {
		cb = r->on_drain;
		r->on_drain = NULL;
		cb(r->drain_arg);
		return;
	}
	if (c->lingering && c->linger_ev == NULL) {
		shutdown(bufferevent_getfd(bev), SHUT_WR);
		c->linger_ev = evtimer_new(bufferevent_get_base(bev),
		    linger_cb, c);
		if (c->linger_ev == NULL) {
			conn_close(c);
			return;
		}
		{
			struct timeval	tv = { LINGER_SECS, 0 };

			evtimer_add(c->linger_ev, &tv);
		}
		return;
	}
	if (c->closing && c->req == NULL && !c->lingering)
		conn_close(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn	*c = arg;

	if (what & BEV_EVENT_TIMEOUT) {
		/* Only requests in progress or idle keep-alives time out. */
		log_debug("http: connection timed out");
		conn_close(c);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		c->gone = 1;
		conn_close(c);
	}
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct http_listener	*l = arg;
	struct http_conn	*c;
	socklen_t		 len = sizeof(c->peer);

	if (nconns >= HTTP_CONN_MAX || shutting_down) {
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->bev = bufferevent_socket_new(evconnlistener_get_base(lev), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	c->url = evbuffer_new();
	c->hfield = evbuffer_new();
	c->hvalue = evbuffer_new();
	c->resume_ev = event_new(evconnlistener_get_base(lev), -1, 0,
	    conn_resume_cb, c);
	if (c->bev == NULL || c->url == NULL || c->hfield == NULL ||
	    c->hvalue == NULL || c->resume_ev == NULL) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->url)
			evbuffer_free(c->url);
		if (c->hfield)
			evbuffer_free(c->hfield);
		if (c->hvalue)
			evbuffer_free(c->hvalue);
		if (c->resume_ev)
			event_free(c->resume_ev);
		free(c);
		return;
	}
	c->is_unix = l->is_unix;
	if (l->is_unix && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->peer,
	    &len) == 0)
		c->has_peer = 1;
	else if (!l->is_unix)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
		    sizeof(int));
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HTTP_INPUT_HIGHWAT);
	bufferevent_set_timeouts(c->bev,
	    &(struct timeval){ HTTP_IDLE_TIMEOUT, 0 }, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_listener	*l = arg;

	evconnlistener_enable(l->lev);
}

static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct http_listener	*l = arg;
	struct timeval		 tv = { 0, 100000 };
	int			 e = EVUTIL_SOCKET_ERROR();

	/* Out of descriptors: back off instead of spinning on accept. */
	log_warn("http: accept: %s", strerror(e));
	evconnlistener_disable(lev);
	evtimer_add(l->retry_ev, &tv);
}

static int
listen_unix(const char *path, int *fdp, struct berth_err *err)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	struct group		*gr;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return berth_err_set(err, -ENAMETOOLONG,
		    "socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return berth_err_errno(err, "socket");
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			return berth_err_set(err, -EEXIST,
			    "%s exists and is not a socket", path);
		}
		/* A live daemon answers; a stale socket file does not. */
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
		    errno == EAGAIN) {
			close(fd);
			return berth_err_set(err, -EADDRINUSE,
			    "%s: another daemon is listening there", path);
		}
		close(fd);
		if (unlink(path) == -1)
			return berth_err_errno(err, "unlink %s", path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0)) == -1)
			return berth_err_errno(err, "socket");
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		berth_err_errno(err, "bind %s", path);
		close(fd);
		return err ? err->code : -errno;
	}
	/* 0660: root and the docker (or berth) group, as dockerd does. */
	if ((gr = getgrnam("docker")) != NULL || (gr = getgrnam("berth")) != NULL)
		(void)chown(path, 0, gr->gr_gid);
	if (chmod(path, 0660) == -1) {
		berth_err_errno(err, "chmod %s", path);
		close(fd);
		unlink(path);
		return err ? err->code : -errno;
	}
	*fdp = fd;
	return 0;
}

static int
listen_tcp(const char *hostport, int *fdp, struct berth_err *err)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256];
	const char	*colon;
	int		 fd, rc;

	if ((colon = strrchr(hostport, ':')) == NULL ||
	    (size_t)(colon - hostport) >= sizeof(host) || colon[1] == '\0')
		return berth_err_set(err, -EINVAL,
		    "tcp listener needs host:port: %s", hostport);
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints,
	    &res)) != 0)
		return berth_err_set(err, -EINVAL, "tcp listener %s: %s",
		    hostport, gai_strerror(rc));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd == -1) {
		freeaddrinfo(res);
		return berth_err_errno(err, "socket");
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1) {
		berth_err_errno(err, "bind %s", hostport);
		freeaddrinfo(res);
		close(fd);
		return err ? err->code : -EADDRINUSE;
	}
	freeaddrinfo(res);
	*fdp = fd;
	return 0;
}

static void
parser_settings_set(void)
{
	if (parser_settings.on_message_begin != NULL)
		return;
	parser_settings.on_message_begin = on_message_begin;
	parser_settings.on_url = on_url;
	parser_settings.on_header_field = on_header_field;
	parser_settings.on_header_value = on_header_value;
	parser_settings.on_headers_complete = on_headers_complete;
	parser_settings.on_body = on_body;
	parser_settings.on_message_complete = on_message_complete;
	http_parser_set_max_header_size(HTTP_HEADER_MAX);
}

int
http_listen(const char *spec, struct berth_err *err)
{
	struct http_listener	*l;
	int			 fd = -1, rc, is_unix;

	if (strncmp(spec, "unix://", 7) == 0) {
		is_unix = 1;
		if (spec[7] != '/')
			return berth_err_set(err, -EINVAL,
			    "unix listener needs an absolute path: %s", spec);
		rc = listen_unix(spec + 7, &fd, err);
	} else if (strncmp(spec, "tcp://", 6) == 0) {
		is_unix = 0;
		rc = listen_tcp(spec + 6, &fd, err);
	} else
		return berth_err_set(err, -EINVAL,
		    "unsupported listener %s (want unix:///path or tcp://host:port)",
		    spec);
	if (rc < 0)
		return rc;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	l->is_unix = is_unix;
	if (is_unix && (l->unix_path = strdup(spec + 7)) == NULL)
		goto nomem;
	l->lev = evconnlistener_new(loop_base(), accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 1024, fd);
	if (l->lev == NULL)
		goto nomem;
	fd = -1;
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	if ((l->retry_ev = evtimer_new(loop_base(), accept_retry_cb, l)) == NULL)
		goto nomem;
	parser_settings_set();
	TAILQ_INSERT_TAIL(&listeners, l, entry);
	log_info("listening on %s", spec);
	return 0;
nomem:
	if (l->lev)
		evconnlistener_free(l->lev);
	else if (fd != -1)
		close(fd);
	if (l->unix_path) {
		unlink(l->unix_path);
		free(l->unix_path);
	}
	free(l);
	return berth_err_set(err, -ENOMEM, "out of memory");
}

/*
 * Serve fd, a listening stream socket a service manager opened (socket
 * activation).  It stays the manager's: never unlinked here.
 */
int
http_listen_fd(int fd, struct berth_err *err)
{
	struct http_listener	*l;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 type, accepting;
	socklen_t		 olen = sizeof(type);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) == -1)
		return berth_err_errno(err, "fd %d is not a socket", fd);
	olen = sizeof(accepting);
	if (type != SOCK_STREAM || getsockopt(fd, SOL_SOCKET,
	    SO_ACCEPTCONN, &accepting, &olen) == -1 || !accepting)
		return berth_err_set(err, -EINVAL, "fd %d is not a listening "
		    "stream socket", fd);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	l->is_unix = ss.ss_family == AF_UNIX;
	/* libevent's accept loop runs until EAGAIN: never block in it. */
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	l->lev = evconnlistener_new(loop_base(), accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l->lev == NULL ||
	    (l->retry_ev = evtimer_new(loop_base(), accept_retry_cb, l)) ==
	    NULL) {
		if (l->lev != NULL)
			evconnlistener_free(l->lev);
		free(l);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	parser_settings_set();
	TAILQ_INSERT_TAIL(&listeners, l, entry);
	log_info("listening on fd://%d", fd);
	return 0;
}

void
http_close_listeners(void)
{
	struct http_listener	*l;

	while ((l = TAILQ_FIRST(&listeners)) != NULL) {
		TAILQ_REMOVE(&listeners, l, entry);
		evconnlistener_free(l->lev);
		if (l->retry_ev)
			event_free(l->retry_ev);
		if (l->unix_path) {
			unlink(l->unix_path);
			free(l->unix_path);
		}
		free(l);
	}
}

void
http_shutdown(void)
{
	struct http_conn	*c, *next;

	shutting_down = 1;
	for (c = TAILQ_FIRST(&conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		/* Idle, or mid-request: close, unless a response (such as a
		 * stream's last chunk) is still on its way out. */
		if ((c->req == NULL || (c->req->state == REQ_READING &&
		    !c->req->body_complete)) &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_close(c);
		else
			c->closing = 1;
	}
}

int
http_nconns(void)
{
	return nconns;
}

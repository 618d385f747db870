/*
 * pp_http.c - HTTP calls to plugins: libcurl's multi interface driven by
 * berthd's loop (berth/curl.h), so no call ever blocks it.  Each call is
 * one easy handle with its body, its answer grown in memory (8 MiB at
 * most) and its callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <curl/curl.h>

#include <berth/curl.h>

#include "plugin_proxy.h"

/* Largest answer a plugin may give (a List of many volumes fits). */
#define PP_HTTP_BODY_MAX	(8u << 20)

struct pp_http {
	const struct berth_host	*h;
	int			 started;	/* libcurl loaded, bc made */
	struct berth_curl	 bc;
	struct curl_slist	*headers;
	TAILQ_HEAD(, pp_xfer)	 xfers;		/* running */
	int			 closing;
};

struct pp_xfer {
	TAILQ_ENTRY(pp_xfer)	 entry;
	struct pp_http		*hp;
	CURL			*easy;
	char			*req;		/* request body, owned */
	char			*resp;		/* response body, grown */
	size_t			 len, cap;
	int			 too_big;
	char			 where[PP_URL_MAX];	/* for messages */
	char			 errbuf[CURL_ERROR_SIZE + PP_URL_MAX];
	pp_http_cb		 cb;
	void			*arg;
};

static size_t
write_cb(char *data, size_t size, size_t n, void *userp)
{
	struct pp_xfer	*x = userp;
	size_t		 len = size * n, cap;
	char		*p;

	if (x->len + len > PP_HTTP_BODY_MAX) {
		x->too_big = 1;
		return 0;		/* ends the transfer */
	}
	if (x->len + len + 1 > x->cap) {
		cap = x->cap ? x->cap : 1024;
		while (cap < x->len + len + 1)
			cap *= 2;
		if ((p = realloc(x->resp, cap)) == NULL)
			return 0;
		x->resp = p;
		x->cap = cap;
	}
	memcpy(x->resp + x->len, data, len);
	x->len += len;
	x->resp[x->len] = '\0';
	return len;
}

static void
xfer_free(struct pp_xfer *x)
{
	TAILQ_REMOVE(&x->hp->xfers, x, entry);
	curl_easy_cleanup(x->easy);
	free(x->req);
	free(x->resp);
	free(x);
}

/* The transport failed: was the plugin simply not there to answer? */
static int
xfer_rc(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

/* A transfer ended (berth/curl.h): its owner hears how. */
static void
xfer_done(void *arg, CURL *easy, CURLcode cc)
{
	struct pp_xfer	*x;
	long		 status = 0;
	int		 rc;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (x->too_big)
		x->cb(x->arg, -EMSGSIZE, 0, NULL, 0,
		    "answer larger than 8 MiB");
	else if (cc != CURLE_OK) {
		rc = xfer_rc(cc);
		if (rc == -ECONNREFUSED)
			snprintf(x->errbuf, sizeof(x->errbuf), "cannot connect "
			    "to %s", x->where);
		x->cb(x->arg, rc, 0, NULL, 0, x->errbuf[0] ? x->errbuf :
		    curl_easy_strerror(cc));
	} else
		x->cb(x->arg, 0, status, x->resp ? x->resp : "", x->len, NULL);
	xfer_free(x);
}

/* libcurl is loaded at the first call (berth/curl.h says why). */
struct pp_http *
pp_http_new(const struct berth_host *h)
{
	struct pp_http	*hp;

	if ((hp = calloc(1, sizeof(*hp))) == NULL)
		return NULL;
	TAILQ_INIT(&hp->xfers);
	hp->h = h;
	return hp;
}

static int
pp_http_start(struct pp_http *hp)
{
	int	rc;

	if (hp->started)
		return 0;
	if ((rc = berth_curl_init(&hp->bc, hp->h, xfer_done, hp)) < 0)
		return rc;
	/*
	 * What dockerd sends: the plugin protocol's media type, and no
	 * Content-Type or Expect (libcurl would add both to a POST).
	 */
	hp->headers = curl_slist_append(NULL,
	    "Accept: application/vnd.docker.plugins.v1.2+json");
	hp->headers = curl_slist_append(hp->headers, "Content-Type:");
	hp->headers = curl_slist_append(hp->headers, "Expect:");
	hp->started = 1;
	return 0;
}

/*
 * Every transfer still running is told it failed (-ECANCELED), so its
 * owner frees what it holds; nothing is called after this returns.
 */
void
pp_http_free(struct pp_http *hp)
{
	struct pp_xfer	*x;

	if (hp == NULL)
		return;
	hp->closing = 1;
	while ((x = TAILQ_FIRST(&hp->xfers)) != NULL) {
		curl_multi_remove_handle(hp->bc.multi, x->easy);
		x->cb(x->arg, -ECANCELED, 0, NULL, 0, "berthd is stopping");
		xfer_free(x);
	}
	if (hp->started) {
		berth_curl_fini(&hp->bc);
		curl_slist_free_all(hp->headers);
	}
	free(hp);
}

/*
 * POST path to the plugin at addr with body (NULL: empty, as dockerd
 * sends calls without arguments).  cb runs once, later, on the loop:
 * rc 0 with the HTTP status and body (borrowed for the call), or -errno
 * with why the transport failed (-ECONNREFUSED: nobody listening).
 */
int
pp_http_post(struct pp_http *hp, const struct pp_addr *addr, const char *path,
    const char *body, long timeout_ms, pp_http_cb cb, void *arg)
{
	struct pp_xfer	*x;
	char		 url[PP_URL_MAX + 256];
	int		 rc;

	if (hp->closing)
		return -ECANCELED;
	if ((rc = pp_http_start(hp)) < 0)
		return rc;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -ENOMEM;
	x->hp = hp;
	x->cb = cb;
	x->arg = arg;
	if ((x->req = strdup(body != NULL ? body : "")) == NULL ||
	    (x->easy = curl_easy_init()) == NULL) {
		free(x->req);
		free(x);
		return -ENOMEM;
	}
	if (addr->unix_path[0] != '\0') {
		snprintf(x->where, sizeof(x->where), "unix://%s",
		    addr->unix_path);
		snprintf(url, sizeof(url), "http://plugin%s", path);
		curl_easy_setopt(x->easy, CURLOPT_UNIX_SOCKET_PATH,
		    addr->unix_path);
	} else {
		snprintf(x->where, sizeof(x->where), "%s", addr->url);
		snprintf(url, sizeof(url), "%s%s", addr->url, path);
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, hp->headers);
	curl_easy_setopt(x->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->req);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(x->req));
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "berthd");
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (timeout_ms > 0)
		curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (addr->tls) {
		if (addr->ca_file[0] != '\0')
			curl_easy_setopt(x->easy, CURLOPT_CAINFO,
			    addr->ca_file);
		else {
			/* Docker's rule: TLSConfig without a CA trusts all. */
			curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (addr->insecure) {
			curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (addr->cert_file[0] != '\0')
			curl_easy_setopt(x->easy, CURLOPT_SSLCERT,
			    addr->cert_file);
		if (addr->key_file[0] != '\0')
			curl_easy_setopt(x->easy, CURLOPT_SSLKEY,
			    addr->key_file);
	}
	TAILQ_INSERT_TAIL(&hp->xfers, x, entry);
	if (curl_multi_add_handle(hp->bc.multi, x->easy) != CURLM_OK) {
		xfer_free(x);
		return -ENOMEM;
	}
	return 0;
}

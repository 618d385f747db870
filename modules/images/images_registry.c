/*
 * images_registry.c - a client of the Registry HTTP API v2 (the OCI
 * distribution spec), for the workers that push and pull.
 *
 * A push or a pull is a chain of dependent requests moving whole blob
 * files, so it runs in one stream worker, as load and save do, with
 * libcurl's easy interface: the blobs are read and written off the loop
 * (libcurl's multi interface on the loop would read them on it).
 *
 * A session starts with GET /v2/, which picks the scheme and learns the
 * authentication challenge.  Registries are reached over HTTPS, with
 * the CA of <certs-dir>/<host[:port]>/ca.crt if there is one; an
 * insecure one (localhost, 127.0.0.0/8, ::1, or named in
 * insecure-registries) over HTTPS without verification, else plain
 * HTTP.  On a 401, the WWW-Authenticate challenge is answered: Basic
 * with the client's credentials, or Bearer with a token fetched from
 * the realm (with those credentials, if any), then the request is made
 * again.  Credentials come from the request's X-Registry-Auth and are
 * never written anywhere.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/base64.h>
#include <berth/curl.h>
#include <berth/json.h>

#include "images.h"

#define REG_BODY_MAX	(4u << 20)	/* a manifest, an error, a token */

/* X-Registry-Auth: base64url of {"username","password",...}. */
int
images_reg_auth(struct images_reg *r, const char *header)
{
	char		 buf[8192];
	size_t		 n;
	json_object	*o;
	const char	*u, *p, *t;

	r->user[0] = r->pass[0] = r->token[0] = '\0';
	if (header == NULL || *header == '\0')
		return 0;
	if (berth_b64_decode(header, buf, sizeof(buf) - 1, &n) < 0)
		return berth_err_set(&r->err, -EINVAL, "invalid "
		    "X-Registry-Auth header: not base64");
	buf[n] = '\0';
	if ((o = json_tokener_parse(buf)) == NULL) {
		/* Docker ignores an auth header it cannot read. */
		return 0;
	}
	u = berth_json_str(o, "username");
	p = berth_json_str(o, "password");
	t = berth_json_str(o, "registrytoken");
	snprintf(r->user, sizeof(r->user), "%s", u != NULL ? u : "");
	snprintf(r->pass, sizeof(r->pass), "%s", p != NULL ? p : "");
	if (t != NULL && *t != '\0')
		snprintf(r->token, sizeof(r->token), "Bearer %s", t);
	json_object_put(o);
	return 0;
}

/*
 * The credentials of X-Registry-Config (the build's: a base64 JSON map of
 * registry -> AuthConfig) for domain; none is no credentials.  Docker
 * Hub's key is its v1 index URL.
 */
int
images_reg_auth_config(struct images_reg *r, const char *config,
    const char *domain)
{
	char		 buf[16384];
	size_t		 n;
	json_object	*o, *a = NULL;
	const char	*hub = "https://index.docker.io/v1/";

	r->user[0] = r->pass[0] = r->token[0] = '\0';
	if (config == NULL || *config == '\0' ||
	    berth_b64_decode(config, buf, sizeof(buf) - 1, &n) < 0)
		return 0;
	buf[n] = '\0';
	if ((o = json_tokener_parse(buf)) == NULL)
		return 0;
	if (!json_object_object_get_ex(o, domain, &a) &&
	    strcmp(domain, "docker.io") == 0)
		json_object_object_get_ex(o, hub, &a);
	if (a != NULL && json_object_is_type(a, json_type_object)) {
		const char *u = berth_json_str(a, "username");
		const char *p = berth_json_str(a, "password");
		const char *t = berth_json_str(a, "registrytoken");

		snprintf(r->user, sizeof(r->user), "%s", u != NULL ? u : "");
		snprintf(r->pass, sizeof(r->pass), "%s", p != NULL ? p : "");
		if (t != NULL && *t != '\0')
			snprintf(r->token, sizeof(r->token), "Bearer %s", t);
	}
	explicit_bzero(buf, sizeof(buf));
	json_object_put(o);
	return 0;
}

/* localhost, 127.0.0.0/8, ::1, or listed: plain HTTP allowed. */
static int
insecure(const char *domain, char *const *listed)
{
	char	host[256], *colon;
	struct in_addr a;

	snprintf(host, sizeof(host), "%s", domain);
	if (host[0] == '[') {
		if (strncmp(host, "[::1]", 5) == 0)
			return 1;
	} else if ((colon = strrchr(host, ':')) != NULL)
		*colon = '\0';
	if (strcmp(host, "localhost") == 0 ||
	    (inet_pton(AF_INET, host, &a) == 1 &&
	    (ntohl(a.s_addr) >> 24) == 127))
		return 1;
	for (; listed != NULL && *listed != NULL; listed++)
		if (strcmp(*listed, domain) == 0 || strcmp(*listed, host) == 0)
			return 1;
	return 0;
}

struct reg_buf {
	char	*data;
	size_t	 len, cap, max;
	int	 fd;		/* write here instead, if >= 0 */
	int	 failed;
};

static size_t
body_cb(char *data, size_t size, size_t n, void *arg)
{
	struct reg_buf	*b = arg;
	size_t		 len = size * n, cap;
	char		*p;
	ssize_t		 w;

	if (b->fd >= 0) {
		for (size_t off = 0; off < len; off += (size_t)w)
			if ((w = write(b->fd, data + off, len - off)) <= 0) {
				b->failed = 1;
				return 0;
			}
		b->len += len;
		return len;
	}
	if (b->len + len > b->max)
		return 0;
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		if ((p = realloc(b->data, cap)) == NULL)
			return 0;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* The headers a caller may want: challenge, location, digest. */
static size_t
header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct images_reg_resp	*rs = arg;
	size_t			 len = size * n, k;
	static const struct {
		const char	*name;
		size_t		 off;
	} want[] = {
		{ "www-authenticate:", offsetof(struct images_reg_resp,
		    challenge) },
		{ "location:", offsetof(struct images_reg_resp, location) },
		{ "docker-content-digest:", offsetof(struct images_reg_resp,
		    digest) },
		{ "content-type:", offsetof(struct images_reg_resp, ctype) },
	};

	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		size_t	 nl = strlen(want[k].name), vl;
		char	*dst = (char *)rs + want[k].off;
		const char *v;

		if (len <= nl || strncasecmp(data, want[k].name, nl) != 0)
			continue;
		v = data + nl;
		vl = len - nl;
		while (vl > 0 && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		if (vl >= IMAGES_REG_HDR_MAX)
			vl = IMAGES_REG_HDR_MAX - 1;
		memcpy(dst, v, vl);
		dst[vl] = '\0';
	}
	return len;
}

static size_t
read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct images_reg_body	*b = arg;
	ssize_t			 r;

	if (b->fd < 0) {
		size_t len = size * n;

		if (len > b->len - b->off)
			len = b->len - b->off;
		memcpy(buf, b->data + b->off, len);
		b->off += len;
		return len;
	}
	if ((r = read(b->fd, buf, size * n)) < 0)
		return CURL_READFUNC_ABORT;
	b->off += (size_t)r;
	if (b->progress != NULL)
		b->progress(b->progress_arg, b->off, b->len);
	return (size_t)r;
}

/* A param of a challenge: realm="x", service="y" (quoted or not). */
static int
challenge_param(const char *ch, const char *key, char *out, size_t len)
{
	const char	*p = ch;
	size_t		 kl = strlen(key), n = 0;

	while ((p = strcasestr(p, key)) != NULL) {
		if ((p == ch || p[-1] == ' ' || p[-1] == ',') && p[kl] == '=')
			break;
		p += kl;
	}
	if (p == NULL)
		return -1;
	p += kl + 1;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"' && n + 1 < len; p++)
			out[n++] = *p;
	} else
		for (; *p != '\0' && *p != ',' && *p != ' ' && n + 1 < len; p++)
			out[n++] = *p;
	out[n] = '\0';
	return 0;
}

static char *
url_escape(CURL *c, const char *s)
{
	return curl_easy_escape(c, s, 0);
}

/* Answer a 401: a Basic header, or a Bearer token from the realm. */
static int
authenticate(struct images_reg *r, const char *challenge)
{
	char			 realm[1024], service[256], scope[512];
	char			 url[2048], up[1024], b64[BERTH_B64_LEN(1024)];
	char			*es, *esc;
	struct images_reg_resp	 rs;
	json_object		*o;
	const char		*t;
	int			 rc;

	if (strncasecmp(challenge, "Basic", 5) == 0) {
		if (r->user[0] == '\0')
			return berth_err_set(&r->err, -EACCES, "no basic auth "
			    "credentials");
		snprintf(up, sizeof(up), "%s:%s", r->user, r->pass);
		berth_b64(up, strlen(up), b64, sizeof(b64));
		snprintf(r->token, sizeof(r->token), "Basic %s", b64);
		return 0;
	}
	if (strncasecmp(challenge, "Bearer", 6) != 0 ||
	    challenge_param(challenge, "realm", realm, sizeof(realm)) < 0)
		return berth_err_set(&r->err, -EACCES, "unsupported "
		    "authentication challenge: %s", challenge);
	if (challenge_param(challenge, "service", service,
	    sizeof(service)) < 0)
		service[0] = '\0';
	snprintf(scope, sizeof(scope), "repository:%s:%s", r->repo, r->actions);
	es = url_escape(r->curl, service);
	esc = url_escape(r->curl, scope);
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=%s", realm,
	    strchr(realm, '?') != NULL ? "&" : "?", es ? es : "",
	    esc ? esc : "");
	curl_free(es);
	curl_free(esc);
	memset(&rs, 0, sizeof(rs));
	r->token[0] = '\0';
	if (r->user[0] != '\0') {
		snprintf(up, sizeof(up), "%s:%s", r->user, r->pass);
		berth_b64(up, strlen(up), b64, sizeof(b64));
		snprintf(r->token, sizeof(r->token), "Basic %s", b64);
	}
	rs.fd = -1;
	rc = images_reg_do(r, "GET", url, NULL, &rs, 1);
	r->token[0] = '\0';
	if (rc < 0)
		return rc;
	if (rs.status != 200) {
		rc = berth_err_set(&r->err, rs.status == 401 ? -EACCES : -EIO,
		    "getting a token from %s: %ld %s", realm, rs.status,
		    rs.body != NULL ? rs.body : "");
		free(rs.body);
		return rc;
	}
	o = json_tokener_parse(rs.body != NULL ? rs.body : "");
	free(rs.body);
	if ((t = berth_json_str(o, "token")) == NULL &&
	    (t = berth_json_str(o, "access_token")) == NULL) {
		json_object_put(o);
		return berth_err_set(&r->err, -EIO, "the token server %s gave "
		    "no token", realm);
	}
	snprintf(r->token, sizeof(r->token), "Bearer %s", t);
	json_object_put(o);
	return 0;
}

/*
 * One request: method on url (absolute, or a path after the registry's
 * base), the body from body (may be NULL), the answer in rs (its body
 * in memory, or into rs->fd when >= 0).  A 401 is answered once.
 * 0 with rs->status, or -errno with r->err (the transport failed).
 */
int
images_reg_do(struct images_reg *r, const char *method, const char *url,
    struct images_reg_body *body, struct images_reg_resp *rs, int retry)
{
	struct curl_slist	*hs = NULL;
	struct reg_buf		 b = { NULL, 0, 0, REG_BODY_MAX, -1, 0 };
	char			 full[4096], hdr[IMAGES_REG_TOKEN_MAX + 64];
	char			 errbuf[CURL_ERROR_SIZE] = "";
	CURLcode		 cc;
	CURL			*c = r->curl;
	int			 fd = rs->fd;

	if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
		snprintf(full, sizeof(full), "%s", url);
	else
		snprintf(full, sizeof(full), "%s%s", r->base, url);
	free(rs->body);
	memset(rs, 0, sizeof(*rs));
	rs->fd = fd;
	b.fd = fd;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "berthd");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A transfer that stalls a minute is dead (dockerd's own rule). */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rs);
	if (r->ca[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, r->ca);
	if (r->cert[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_SSLCERT, r->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, r->key);
	}
	if (r->no_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (r->token[0] != '\0') {
		snprintf(hdr, sizeof(hdr), "Authorization: %s", r->token);
		hs = curl_slist_append(hs, hdr);
	}
	if (r->accept != NULL)
		hs = curl_slist_append(hs, r->accept);
	hs = curl_slist_append(hs, "Expect:");
	if (body != NULL) {
		body->off = 0;
		if (body->ctype != NULL) {
			snprintf(hdr, sizeof(hdr), "Content-Type: %s",
			    body->ctype);
			hs = curl_slist_append(hs, hdr);
		}
		if (body->fd >= 0 && lseek(body->fd, 0, SEEK_SET) == -1)
			return berth_err_errno(&r->err, "rewind a blob");
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, body);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)body->len);
		/* CURLOPT_UPLOAD is a PUT: keep the method asked for. */
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
	cc = curl_easy_perform(c);
	curl_slist_free_all(hs);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
	rs->body = b.data;
	rs->len = b.len;
	if (cc != CURLE_OK) {
		if (b.failed)
			return berth_err_errno(&r->err, "write %s", full);
		return berth_err_set(&r->err, cc == CURLE_COULDNT_CONNECT ?
		    -ECONNREFUSED : -EIO, "%s %s: %s", method, full,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	if (rs->status == 401 && !retry && rs->challenge[0] != '\0') {
		int rc;
		char ch[IMAGES_REG_HDR_MAX];

		snprintf(ch, sizeof(ch), "%s", rs->challenge);
		if ((rc = authenticate(r, ch)) < 0)
			return rc;
		if (fd >= 0 && (ftruncate(fd, 0) == -1 ||
		    lseek(fd, 0, SEEK_SET) == -1))
			return berth_err_errno(&r->err, "rewind");
		return images_reg_do(r, method, url, body, rs, 1);
	}
	return 0;
}

/*
 * The registry's message for a failed request: its errors[0].message,
 * as dockerd quotes it ("manifest unknown: manifest unknown").
 */
void
images_reg_errmsg(const struct images_reg_resp *rs, char *out, size_t len)
{
	json_object	*o = rs->body != NULL ? json_tokener_parse(rs->body) :
			    NULL, *e;
	const char	*code, *msg;

	e = json_object_array_get_idx(berth_json_get(o, "errors"), 0);
	code = berth_json_str(e, "code");
	msg = berth_json_str(e, "message");
	if (msg != NULL) {
		/* Docker's errcode: MANIFEST_UNKNOWN is "manifest unknown". */
		snprintf(out, len, "%s: %s", code != NULL ? code : "error",
		    msg);
		for (char *p = out; *p != '\0' && *p != ':'; p++)
			*p = *p == '_' ? ' ' : (char)tolower((unsigned char)*p);
	}
	else
		snprintf(out, len, "%ld %s", rs->status,
		    rs->status == 404 ? "not found" : "error");
	for (char *p = out; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	json_object_put(o);
}

/*
 * Open a session with the registry of ref for actions ("pull",
 * "pull,push"): the scheme chosen, certificates found, the challenge
 * met on GET /v2/.  listed: engine.yaml's insecure-registries.
 */
int
images_reg_open(struct images_reg *r, const struct images_ref *ref,
    const char *actions, const char *certs_dir, char *const *listed)
{
	struct images_reg_resp	 rs;
	const char		*host = ref->domain;
	char			 dir[PATH_MAX];
	int			 rc, weak;

	memset(&rs, 0, sizeof(rs));
	rs.fd = -1;
	snprintf(r->repo, sizeof(r->repo), "%s", ref->path);
	snprintf(r->actions, sizeof(r->actions), "%s", actions);
	snprintf(r->domain, sizeof(r->domain), "%s", ref->domain);
	if (strcmp(host, "docker.io") == 0)
		host = "registry-1.docker.io";
	if (!berth_curl_available())
		return berth_err_set(&r->err, -ENOSYS, "registries need "
		    "libcurl (libcurl4), which is not installed");
	if ((r->curl = curl_easy_init()) == NULL)
		return berth_err_set(&r->err, -ENOMEM, "out of memory");
	snprintf(dir, sizeof(dir), "%s/%s/ca.crt", certs_dir, ref->domain);
	if (access(dir, R_OK) == 0)
		snprintf(r->ca, sizeof(r->ca), "%s", dir);
	snprintf(dir, sizeof(dir), "%s/%s/client.cert", certs_dir, ref->domain);
	if (access(dir, R_OK) == 0) {
		snprintf(r->cert, sizeof(r->cert), "%s", dir);
		snprintf(r->key, sizeof(r->key), "%s/%s/client.key", certs_dir,
		    ref->domain);
	}
	weak = insecure(ref->domain, listed);
	snprintf(r->base, sizeof(r->base), "https://%s", host);
	r->no_verify = weak && r->ca[0] == '\0';
	rc = images_reg_do(r, "GET", "/v2/", NULL, &rs, 0);
	if (rc < 0 && weak && rc != -EACCES) {
		/*
		 * An insecure registry may speak plain HTTP.  If that fails
		 * too, HTTPS's error is the one that explains.
		 */
		struct berth_err	tls_err = r->err;
		char			tls_base[sizeof(r->base)];

		memcpy(tls_base, r->base, sizeof(tls_base));
		snprintf(r->base, sizeof(r->base), "http://%s", host);
		r->err.code = 0;
		rc = images_reg_do(r, "GET", "/v2/", NULL, &rs, 0);
		if ((rc < 0 && rc != -EACCES) ||
		    (rc == 0 && rs.status != 200 && rs.status != 401)) {
			r->err = tls_err;
			memcpy(r->base, tls_base, sizeof(r->base));
			rc = tls_err.code;
		}
	}
	free(rs.body);
	if (rc < 0)
		return rc;
	if (rs.status == 401)
		return berth_err_set(&r->err, -EACCES, "unauthorized: "
		    "authentication required");
	if (rs.status != 200)
		return berth_err_set(&r->err, -EIO, "%s does not answer as a "
		    "registry (GET /v2/: %ld)", ref->domain, rs.status);
	return 0;
}

void
images_reg_close(struct images_reg *r)
{
	if (r->curl != NULL)
		curl_easy_cleanup(r->curl);
	r->curl = NULL;
	explicit_bzero(r->pass, sizeof(r->pass));
	explicit_bzero(r->token, sizeof(r->token));
}

/* A copy of engine.yaml's insecure-registries, for a worker; or NULL. */
char **
images_insecure_copy(const struct images *st)
{
	char	**v;
	size_t	  n = 0, i;

	while (st->insecure != NULL && st->insecure[n] != NULL)
		n++;
	if ((v = calloc(n + 1, sizeof(char *))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((v[i] = strdup(st->insecure[i])) == NULL) {
			images_strv_free(v);
			return NULL;
		}
	return v;
}

void
images_strv_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * GET a small document (a manifest, a config) into rs->body: 0, or -errno
 * with r->err worded as dockerd words it (-ENOENT for a 404, -EACCES for
 * 401/403).  With want_digest, the bytes must hash to it.
 */
int
images_reg_get_json(struct images_reg *r, const char *path,
    const char *want_digest, struct images_reg_resp *rs)
{
	char	hex[IMAGES_HEX + 1], msg[512];
	int	rc;

	rs->fd = -1;
	if ((rc = images_reg_do(r, "GET", path, NULL, rs, 0)) < 0)
		return rc;
	if (rs->status != 200) {
		images_reg_errmsg(rs, msg, sizeof(msg));
		return berth_err_set(&r->err, rs->status == 404 ? -ENOENT :
		    rs->status == 401 || rs->status == 403 ? -EACCES : -EIO,
		    "%s", msg);
	}
	if (rs->body == NULL || rs->len > IMAGES_JSON_MAX)
		return berth_err_set(&r->err, -EPROTO, "%s: no answer, or one "
		    "too large", path);
	if (want_digest != NULL) {
		images_sha256_hex(rs->body, rs->len, hex);
		if (strncmp(want_digest, "sha256:", 7) != 0 ||
		    strcmp(want_digest + 7, hex) != 0)
			return berth_err_set(&r->err, -EPROTO, "%s: digest "
			    "mismatch: got sha256:%s", want_digest, hex);
	}
	return 0;
}

/* One JSON progress message and Docker's "\r\n" into fd; o is taken. */
void
images_progress(int fd, json_object *o)
{
	const char	*s = json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN);
	char		*line;
	size_t		 n = strlen(s);

	/*
	 * One write, so a message and its "\r\n" reach the client in one
	 * chunk: docker-py's stream splitter chokes on a lone "\r\n".  A
	 * client gone is not the worker's error: the pipe just closes.
	 */
	if ((line = malloc(n + 2)) != NULL) {
		memcpy(line, s, n);
		memcpy(line + n, "\r\n", 2);
		(void)!write(fd, line, n + 2);
		free(line);
	}
	json_object_put(o);
}

/* {"status": ..., "progressDetail": {}, "id": id} (no id: status only). */
void
images_progress_status(int fd, const char *id, const char *fmt, ...)
{
	json_object	*o = json_object_new_object();
	char		 buf[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "status", json_object_new_string(buf));
	if (id != NULL) {
		json_object_object_add(o, "progressDetail",
		    json_object_new_object());
		json_object_object_add(o, "id", json_object_new_string(id));
	}
	images_progress(fd, o);
}

/* {"errorDetail": {"message": msg}, "error": msg}: the CLI prints it. */
void
images_progress_error(int fd, const char *msg)
{
	json_object	*o = json_object_new_object(), *d;

	d = json_object_new_object();
	json_object_object_add(d, "message", json_object_new_string(msg));
	json_object_object_add(o, "errorDetail", d);
	json_object_object_add(o, "error", json_object_new_string(msg));
	images_progress(fd, o);
}

void
images_seen_add(struct images *st, const char *hex, const char *domain,
    const char *repo)
{
	struct images_seen	*e;
	size_t			 i;

	for (i = 0; i < st->nseen; i++) {
		e = &st->seen[i];
		if (strcmp(e->hex, hex) == 0 && strcmp(e->domain, domain) ==
		    0 && strcmp(e->repo, repo) == 0)
			return;
	}
	if (st->seen == NULL && (st->seen = calloc(IMAGES_SEEN_MAX,
	    sizeof(*st->seen))) == NULL)
		return;		/* a mount is an optimisation only */
	e = &st->seen[st->seen_next];
	st->seen_next = (st->seen_next + 1) % IMAGES_SEEN_MAX;
	if (st->nseen < IMAGES_SEEN_MAX)
		st->nseen++;
	snprintf(e->hex, sizeof(e->hex), "%s", hex);
	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	snprintf(e->repo, sizeof(e->repo), "%s", repo);
}

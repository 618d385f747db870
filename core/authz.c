/*
 * authz.c - runs the authorization drivers, one after another.
 *
 * A driver answers through a callback, now or later.  Each call gets
 * its own token: when the timeout fires first the token is marked dead
 * and the chain fails closed; the late answer then only frees the token.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <berth/authz.h>

#include "authz.h"
#include "log.h"
#include "loop.h"
#include "registry.h"

#define AUTHZ_HEADERS_MAX	HTTP_HEADERS_NMAX

struct authz_run;

struct authz_token {
	struct authz_run	*run;		/* NULL once dead */
	struct berth_timer	*timer;
};

struct authz_run {
	struct berth_req	*req;		/* NULL if forgotten */
	size_t			 idx;		/* driver being asked */
	int			 response;	/* response phase */
	authz_done_fn		 done;
	void			*arg;
	struct authz_token	*token;		/* current call */
	struct berth_authz_req	 areq;
	struct berth_header	 headers[AUTHZ_HEADERS_MAX];
	struct berth_header	 rheaders[2];
	char			 clen[32];
	void			*body_copy;	/* flat request body, owned */
	struct authz_run	*next;
};

static char		**chain;
static size_t		  nchain;
static int		  timeout_ms = 30000;
static struct authz_run	 *runs;

static void	run_next(struct authz_run *);

int
authz_configure(char *const *names, int timeout_s, struct berth_err *err)
{
	char	**nc = NULL;
	size_t	  n = 0, i;

	for (i = 0; names != NULL && names[i] != NULL; i++) {
		if (registry_lookup(BERTH_AUTHZ_IFACE, names[i], NULL) == NULL) {
			berth_err_set(err, -ENOENT,
			    "failed to validate authorization plugin: "
			    "no authorization driver named %s", names[i]);
			goto fail;
		}
		if ((nc = reallocarray(nc, n + 2, sizeof(*nc))) == NULL ||
		    (nc[n] = strdup(names[i])) == NULL) {
			berth_err_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		nc[++n] = NULL;
	}
	for (i = 0; i < nchain; i++)
		free(chain[i]);
	free(chain);
	chain = nc;
	nchain = n;
	timeout_ms = timeout_s > 0 ? timeout_s * 1000 : 30000;
	return 0;
fail:
	for (i = 0; i < n; i++)
		free(nc[i]);
	free(nc);
	return err ? err->code : -EINVAL;
}

int
authz_enabled(void)
{
	return nchain > 0;
}

json_object *
authz_names_json(void)
{
	json_object	*a;
	size_t		 i;

	if (nchain == 0)
		return NULL;
	a = json_object_new_array();
	for (i = 0; i < nchain; i++)
		json_object_array_add(a, json_object_new_string(chain[i]));
	return a;
}

static void
run_unlink(struct authz_run *run)
{
	struct authz_run	**pp;

	for (pp = &runs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == run) {
			*pp = run->next;
			break;
		}
	free(run->body_copy);
	free(run);
}

static void
run_finish(struct authz_run *run, int status, const char *msg)
{
	struct berth_req	*r = run->req;
	authz_done_fn		 done = run->done;
	void			*arg = run->arg;

	run_unlink(run);
	if (r != NULL)
		done(r, status, msg, arg);
}

static void
token_verdict(void *argp, int allow, const char *msg,
    const struct berth_err *err)
{
	struct authz_token	*tok = argp;
	struct authz_run	*run = tok->run;
	char			 text[BERTH_ERR_MSGLEN + 256];
	const char		*name;

	if (tok->timer != NULL)
		loop_timer_del(tok->timer);
	free(tok);
	if (run == NULL)
		return;		/* answered after its timeout */
	run->token = NULL;
	name = run->idx < nchain ? chain[run->idx] : "?";
	if (run->req == NULL) {
		run_unlink(run);
		return;
	}
	if (err != NULL) {
		snprintf(text, sizeof(text), "plugin %s failed with error: %s",
		    name, err->msg);
		run_finish(run, 500, text);
		return;
	}
	if (!allow) {
		snprintf(text, sizeof(text),
		    "authorization denied by plugin %s: %s", name,
		    msg ? msg : "");
		run_finish(run, 403, text);
		return;
	}
	run->idx++;
	run_next(run);
}

static void
token_timeout(void *argp)
{
	struct authz_token	*tok = argp;
	struct authz_run	*run = tok->run;
	struct berth_err	 err = BERTH_ERR_INIT;

	/* The driver still owes us an answer; tok lives until it comes. */
	tok->timer = NULL;
	tok->run = NULL;
	if (run == NULL)
		return;
	run->token = NULL;
	berth_err_set(&err, -ETIMEDOUT, "%s: no answer within %d ms",
	    run->response ? "AuthZPlugin.AuthZRes" : "AuthZPlugin.AuthZReq",
	    timeout_ms);
	log_warn("authz: plugin %s timed out", chain[run->idx]);
	if (run->req == NULL) {
		run_unlink(run);
		return;
	}
	{
		char text[BERTH_ERR_MSGLEN + 128];

		snprintf(text, sizeof(text), "plugin %s failed with error: %s",
		    chain[run->idx], err.msg);
		run_finish(run, 500, text);
	}
}

static void
run_next(struct authz_run *run)
{
	const struct berth_authz_ops	*ops;
	struct authz_token		*tok;
	void				*state = NULL;
	char				 text[256];

	if (run->idx >= nchain) {
		run_finish(run, 0, NULL);
		return;
	}
	ops = registry_lookup(BERTH_AUTHZ_IFACE, chain[run->idx], &state);
	if (ops == NULL || ops->size < sizeof(*ops) ||
	    (run->response ? ops->authz_res : ops->authz_req) == NULL) {
		/* Unloaded since configuration: fail closed. */
		snprintf(text, sizeof(text), "plugin %s failed with error: "
		    "authorization driver not available", chain[run->idx]);
		run_finish(run, 500, text);
		return;
	}
	if ((tok = calloc(1, sizeof(*tok))) == NULL) {
		run_finish(run, 500, "authorization: out of memory");
		return;
	}
	tok->run = run;
	tok->timer = loop_timer_add(NULL, (uint64_t)timeout_ms, token_timeout,
	    tok);
	run->token = tok;
	if (run->response)
		ops->authz_res(state, &run->areq, token_verdict, tok);
	else
		ops->authz_req(state, &run->areq, token_verdict, tok);
}

/*
 * POST /auth carries a registry password and answers with an identity
 * token: as dockerd, neither body is shown to authorization drivers.
 */
static int
is_auth(const struct berth_req *r)
{
	return r->path != NULL && strcmp(r->path, "/auth") == 0;
}

static struct authz_run *
run_new(struct berth_req *r, authz_done_fn done, void *arg)
{
	struct authz_run	*run;
	size_t			 len;

	if ((run = calloc(1, sizeof(*run))) == NULL)
		return NULL;
	run->req = r;
	run->done = done;
	run->arg = arg;
	run->areq.size = sizeof(run->areq);
	run->areq.method = r->method_str;
	run->areq.uri = r->uri;
	run->areq.headers = run->headers;
	run->areq.nheaders = http_req_headers(r, run->headers,
	    AUTHZ_HEADERS_MAX);
	run->areq.has_peer = http_req_peer(r, &run->areq.peer_pid,
	    &run->areq.peer_uid, &run->areq.peer_gid) == 0;
	/*
	 * The whole de-chunked JSON body, whatever the framing: the
	 * handler will never read a byte the drivers did not see
	 * (CVE-2024-41110).  Non-JSON bodies are not shown, as in Docker.
	 */
	len = r->body ? evbuffer_get_length(r->body) : 0;
	if (r->is_json && len > 0 && !r->body_stream && !is_auth(r)) {
		if ((run->body_copy = malloc(len)) == NULL) {
			free(run);
			return NULL;
		}
		evbuffer_copyout(r->body, run->body_copy, len);
		run->areq.body = run->body_copy;
		run->areq.body_len = len;
	}
	run->next = runs;
	runs = run;
	return run;
}

void
authz_request(struct berth_req *r, authz_done_fn done, void *arg)
{
	struct authz_run	*run;

	if (nchain == 0) {
		done(r, 0, NULL, arg);
		return;
	}
	if (r->is_json && r->body_stream) {
		/* Cannot show the body, so it may not pass. */
		done(r, 403, "authorization denied: a JSON body on a "
		    "streaming endpoint cannot be authorized", arg);
		return;
	}
	if ((run = run_new(r, done, arg)) == NULL) {
		done(r, 500, "authorization: out of memory", arg);
		return;
	}
	run_next(run);
}

void
authz_response(struct berth_req *r, int status, const char *ctype,
    const void *body, size_t len, authz_done_fn done, void *arg)
{
	struct authz_run	*run;
	size_t			 n = 0;

	if (nchain == 0) {
		done(r, 0, NULL, arg);
		return;
	}
	if ((run = run_new(r, done, arg)) == NULL) {
		done(r, 500, "authorization: out of memory", arg);
		return;
	}
	run->response = 1;
	run->areq.status = status;
	if (ctype != NULL) {
		run->rheaders[n].name = "Content-Type";
		run->rheaders[n++].value = ctype;
	}
	snprintf(run->clen, sizeof(run->clen), "%zu", len);
	run->rheaders[n].name = "Content-Length";
	run->rheaders[n++].value = run->clen;
	run->areq.resp_headers = run->rheaders;
	run->areq.nresp_headers = n;
	if (ctype != NULL && strncmp(ctype, "application/json", 16) == 0 &&
	    !is_auth(r)) {
		run->areq.resp_body = body;
		run->areq.resp_body_len = len;
	}
	run_next(run);
}

void
authz_forget(struct berth_req *r)
{
	struct authz_run	*run;

	for (run = runs; run != NULL; run = run->next)
		if (run->req == r)
			run->req = NULL;
}

void
authz_fini(void)
{
	size_t	i;

	while (runs != NULL) {
		if (runs->token != NULL)
			runs->token->run = NULL;
		run_unlink(runs);
	}
	for (i = 0; i < nchain; i++)
		free(chain[i]);
	free(chain);
	chain = NULL;
	nchain = 0;
}

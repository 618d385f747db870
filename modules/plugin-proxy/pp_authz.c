/*
 * pp_authz.c - an AuthZPlugin as an authz/1 driver: AuthZReq and
 * AuthZRes with dockerd's wire names (protocols.md C.7), and three
 * fields dockerd never sends: the peer's uid, gid and pid from
 * SO_PEERCRED (RequestPeerUid, RequestPeerGid, RequestPeerPid), so a
 * plugin can tell local users apart without TLS.
 *
 * Fails closed: a plugin that errs, answers non-200 or cannot be
 * reached denies with 500 (the core's wording); "Err" in a 200 answer
 * is ignored, as dockerd does, and Allow decides.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/authz.h>
#include <berth/base64.h>
#include <berth/json.h>

#include "plugin_proxy.h"

struct acall {
	berth_authz_cb	 done;
	void		*arg;
};

static json_object *
headers_json(const struct berth_header *hs, size_t n)
{
	json_object	*o = json_object_new_object();
	size_t		 i;

	/* A map: the last of repeated headers wins, as in dockerd. */
	for (i = 0; i < n; i++)
		json_object_object_add(o, hs[i].name,
		    json_object_new_string(hs[i].value));
	return o;
}

static int
add_b64(json_object *o, const char *key, const void *data, size_t len)
{
	char	*b;

	if (data == NULL || len == 0)
		return 0;
	if ((b = malloc(BERTH_B64_LEN(len))) == NULL)
		return -ENOMEM;
	berth_b64(data, len, b, BERTH_B64_LEN(len));
	json_object_object_add(o, key, json_object_new_string(b));
	free(b);
	return 0;
}

/* AuthZReq's body, and AuthZRes's when res is set. */
static json_object *
authz_body(const struct berth_authz_req *r, int res)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "RequestMethod",
	    json_object_new_string(r->method));
	json_object_object_add(o, "RequestUri",
	    json_object_new_string(r->uri));
	if (add_b64(o, "RequestBody", r->body, r->body_len) < 0)
		goto fail;
	json_object_object_add(o, "RequestHeaders",
	    headers_json(r->headers, r->nheaders));
	if (r->has_peer) {
		json_object_object_add(o, "RequestPeerUid",
		    json_object_new_int64(r->peer_uid));
		json_object_object_add(o, "RequestPeerGid",
		    json_object_new_int64(r->peer_gid));
		json_object_object_add(o, "RequestPeerPid",
		    json_object_new_int64(r->peer_pid));
	}
	if (!res)
		return o;
	if (r->status != 0)
		json_object_object_add(o, "ResponseStatusCode",
		    json_object_new_int(r->status));
	if (r->nresp_headers > 0)
		json_object_object_add(o, "ResponseHeaders",
		    headers_json(r->resp_headers, r->nresp_headers));
	if (add_b64(o, "ResponseBody", r->resp_body, r->resp_body_len) < 0)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static void
answered(void *arg, int rc, json_object *resp, const struct berth_err *err)
{
	struct acall	*a = arg;
	json_object	*allow;

	if (rc < 0)
		a->done(a->arg, 0, NULL, err);
	else {
		allow = berth_json_get(resp, "Allow");
		a->done(a->arg, json_object_is_type(allow, json_type_boolean) &&
		    json_object_get_boolean(allow), berth_json_str(resp, "Msg"),
		    NULL);
	}
	free(a);
}

static void
authz_call(void *st, const struct berth_authz_req *r, int res,
    berth_authz_cb done, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct acall		*a;
	json_object		*body;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (body = authz_body(r, res)) == NULL) {
		free(a);
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, 0, NULL, &err);
		return;
	}
	a->done = done;
	a->arg = arg;
	pp_call(st, PP_AUTHZ, res ? "AuthZPlugin.AuthZRes" :
	    "AuthZPlugin.AuthZReq", body, answered, a);
	json_object_put(body);
}

static void
pa_req(void *st, const struct berth_authz_req *r, berth_authz_cb done,
    void *arg)
{
	authz_call(st, r, 0, done, arg);
}

static void
pa_res(void *st, const struct berth_authz_req *r, berth_authz_cb done,
    void *arg)
{
	authz_call(st, r, 1, done, arg);
}

const struct berth_authz_ops pp_authz_ops = {
	.size = sizeof(struct berth_authz_ops),
	.authz_req = pa_req,
	.authz_res = pa_res,
};

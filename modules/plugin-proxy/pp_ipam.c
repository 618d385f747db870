/*
 * pp_ipam.c - an IpamDriver plugin as an ipam/1 driver, with dockerd's
 * request bodies (protocols.md C.6).  IPAM answers carry failures in
 * "Error", not "Err" (pp_ask knows).  A failed GetCapabilities only
 * means "no capabilities", as in dockerd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <berth/ipam.h>
#include <berth/json.h>

#include "plugin_proxy.h"

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

static json_object *
pool_id(const char *id)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "PoolID", jstr(id));
	return o;
}

/* --- done-shaped calls ---------------------------------------------------- */

static void
done_answer(const struct pp_ask *a, json_object *resp)
{
	((berth_ipam_done_cb)a->cb)(a->arg, 0, NULL);
}

static void
done_fail(const struct pp_ask *a, int rc, const struct berth_err *err)
{
	((berth_ipam_done_cb)a->cb)(a->arg, rc, err);
}

static const struct pp_shape done_shape = { done_answer, done_fail, 0, 0 };

/* --- capabilities and address spaces -------------------------------------- */

static void
caps_answer(const struct pp_ask *a, json_object *resp)
{
	((berth_ipam_caps_cb)a->cb)(a->arg, 0,
	    json_object_get_boolean(berth_json_get(resp, "RequiresMACAddress")),
	    json_object_get_boolean(berth_json_get(resp,
	    "RequiresRequestReplay")), NULL);
}

static void
caps_fail(const struct pp_ask *a, int rc, const struct berth_err *err)
{
	((berth_ipam_caps_cb)a->cb)(a->arg, 0, 0, 0, NULL);
}

static const struct pp_shape caps_shape = { caps_answer, caps_fail, 0, 0 };

static void
pi_capabilities(void *st, berth_ipam_caps_cb done, void *arg)
{
	pp_ask(st, PP_IPAM, "IpamDriver.GetCapabilities", NULL, &caps_shape,
	    (void (*)(void))done, arg);
}

static void
spaces_answer(const struct pp_ask *a, json_object *resp)
{
	const char	*l = berth_json_str(resp, "LocalDefaultAddressSpace");
	const char	*g = berth_json_str(resp, "GlobalDefaultAddressSpace");

	((berth_ipam_spaces_cb)a->cb)(a->arg, 0, l ? l : "", g ? g : "",
	    NULL);
}

static void
spaces_fail(const struct pp_ask *a, int rc, const struct berth_err *err)
{
	((berth_ipam_spaces_cb)a->cb)(a->arg, rc, NULL, NULL, err);
}

static const struct pp_shape spaces_shape = { spaces_answer, spaces_fail, 0,
    0 };

static void
pi_default_address_spaces(void *st, berth_ipam_spaces_cb done, void *arg)
{
	pp_ask(st, PP_IPAM, "IpamDriver.GetDefaultAddressSpaces", NULL,
	    &spaces_shape, (void (*)(void))done, arg);
}

/* --- pools ---------------------------------------------------------------- */

static void
pool_answer(const struct pp_ask *a, json_object *resp)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*id = berth_json_str(resp, "PoolID");
	const char		*pool = berth_json_str(resp, "Pool");
	json_object		*data = berth_json_get(resp, "Data");

	if (id == NULL || pool == NULL || *pool == '\0') {
		berth_err_set(&err, -EPROTO, "remote: RequestPool gave no "
		    "PoolID and Pool");
		((berth_ipam_pool_cb)a->cb)(a->arg, err.code, NULL, NULL, NULL,
		    &err);
		return;
	}
	((berth_ipam_pool_cb)a->cb)(a->arg, 0, id, pool,
	    json_object_is_type(data, json_type_object) ? data : NULL, NULL);
}

static void
pool_fail(const struct pp_ask *a, int rc, const struct berth_err *err)
{
	((berth_ipam_pool_cb)a->cb)(a->arg, rc, NULL, NULL, NULL, err);
}

static const struct pp_shape pool_shape = { pool_answer, pool_fail, 0, 0 };

static void
pi_request_pool(void *st, const struct berth_ipam_pool_req *req,
    berth_ipam_pool_cb done, void *arg)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "AddressSpace", jstr(req->address_space));
	json_object_object_add(o, "Pool", jstr(req->pool));
	json_object_object_add(o, "SubPool", jstr(req->sub_pool));
	json_object_object_add(o, "Options", req->options != NULL ?
	    json_object_get(req->options) : json_object_new_object());
	json_object_object_add(o, "V6", json_object_new_boolean(req->v6));
	pp_ask(st, PP_IPAM, "IpamDriver.RequestPool", o, &pool_shape,
	    (void (*)(void))done, arg);
}

static void
pi_release_pool(void *st, const char *id, berth_ipam_done_cb done, void *arg)
{
	pp_ask(st, PP_IPAM, "IpamDriver.ReleasePool", pool_id(id), &done_shape,
	    (void (*)(void))done, arg);
}

/* --- addresses ------------------------------------------------------------ */

static void
addr_answer(const struct pp_ask *a, json_object *resp)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*addr = berth_json_str(resp, "Address");
	json_object		*data = berth_json_get(resp, "Data");

	if (addr == NULL || *addr == '\0') {
		berth_err_set(&err, -EPROTO, "no IP returned");
		((berth_ipam_addr_cb)a->cb)(a->arg, err.code, NULL, NULL, &err);
		return;
	}
	((berth_ipam_addr_cb)a->cb)(a->arg, 0, addr,
	    json_object_is_type(data, json_type_object) ? data : NULL, NULL);
}

static void
addr_fail(const struct pp_ask *a, int rc, const struct berth_err *err)
{
	((berth_ipam_addr_cb)a->cb)(a->arg, rc, NULL, NULL, err);
}

static const struct pp_shape addr_shape = { addr_answer, addr_fail, 0, 0 };

static void
pi_request_address(void *st, const char *id, const char *address,
    json_object *options, berth_ipam_addr_cb done, void *arg)
{
	json_object	*o = pool_id(id);

	json_object_object_add(o, "Address", jstr(address));
	json_object_object_add(o, "Options", options != NULL ?
	    json_object_get(options) : NULL);
	pp_ask(st, PP_IPAM, "IpamDriver.RequestAddress", o, &addr_shape,
	    (void (*)(void))done, arg);
}

static void
pi_release_address(void *st, const char *id, const char *address,
    berth_ipam_done_cb done, void *arg)
{
	json_object	*o = pool_id(id);

	json_object_object_add(o, "Address", jstr(address));
	pp_ask(st, PP_IPAM, "IpamDriver.ReleaseAddress", o, &done_shape,
	    (void (*)(void))done, arg);
}

const struct berth_ipam_ops pp_ipam_ops = {
	.size = sizeof(struct berth_ipam_ops),
	.capabilities = pi_capabilities,
	.default_address_spaces = pi_default_address_spaces,
	.request_pool = pi_request_pool,
	.release_pool = pi_release_pool,
	.request_address = pi_request_address,
	.release_address = pi_release_address,
};

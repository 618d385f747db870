/*
 * pp_privs.c - what a managed plugin may touch, as Docker words it
 * (protocols.md D.2), and the operator's cap on it.
 *
 * The privileges are computed in Docker's order, with Docker's names,
 * descriptions and values, so a CLI shows them as it would for dockerd.
 * engine.yaml may hold a policy (plugin-proxy's `privileges:` map of
 * privilege name to the values allowed, "*" for any): then no plugin is
 * enabled if it would get anything beyond, and the refusal names it.
 * Mounts and devices are taken from the plugin's Settings, not only its
 * manifest: `docker plugin set` cannot move a mount past the policy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <berth/json.h>

#include "plugin_proxy.h"

static void
priv_add(json_object *out, const char *name, const char *desc,
    json_object *values)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "Description", json_object_new_string(desc));
	json_object_object_add(o, "Value", values);
	json_object_array_add(out, o);
}

static json_object *
one(const char *v)
{
	json_object	*a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(v));
	return a;
}

/* The privileges of a plugin with config c and settings s (may be NULL). */
json_object *
pp_privileges(json_object *c, json_object *s)
{
	json_object	*out = json_object_new_array(), *list, *e, *caps;
	json_object	*linux_ = berth_json_get(c, "Linux");
	const char	*net = berth_json_str(berth_json_get(c, "Network"),
			    "Type"), *v;
	size_t		 i;

	if (net != NULL && *net != '\0' && strcmp(net, "bridge") != 0)
		priv_add(out, "network", "permissions to access a network",
		    one(net));
	if (json_object_get_boolean(berth_json_get(c, "IpcHost")))
		priv_add(out, "host ipc namespace", "allow access to host ipc "
		    "namespace", one("true"));
	if (json_object_get_boolean(berth_json_get(c, "PidHost")))
		priv_add(out, "host pid namespace", "allow access to host pid "
		    "namespace", one("true"));
	list = berth_json_get(s != NULL ? s : c, "Mounts");
	for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		if ((v = berth_json_str(e, "Source")) != NULL)
			priv_add(out, "mount", "host path to mount", one(v));
	}
	list = s != NULL ? berth_json_get(s, "Devices") :
	    berth_json_get(linux_, "Devices");
	for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		if ((v = berth_json_str(e, "Path")) != NULL)
			priv_add(out, "device", "host device to access",
			    one(v));
	}
	if (json_object_get_boolean(berth_json_get(linux_, "AllowAllDevices")))
		priv_add(out, "allow-all-devices", "allow 'rwm' access to all "
		    "devices", one("true"));
	caps = berth_json_get(linux_, "Capabilities");
	if (caps != NULL && json_object_is_type(caps, json_type_array) &&
	    json_object_array_length(caps) > 0)
		priv_add(out, "capabilities", "list of additional capabilities "
		    "required", json_object_get(caps));
	return out;
}

static int
allowed(json_object *policy, const char *name, const char *value)
{
	json_object	*list = berth_json_get(policy, name);
	const char	*v;
	size_t		 i;

	for (i = 0; list != NULL && json_object_is_type(list, json_type_array)
	    && i < json_object_array_length(list); i++) {
		v = json_object_get_string(json_object_array_get_idx(list, i));
		if (v != NULL && (strcmp(v, "*") == 0 || strcmp(v, value) == 0))
			return 1;
	}
	return 0;
}

/* 0 if policy (NULL: none) grants every privilege, else -EPERM naming it. */
int
pp_privileges_check(json_object *policy, json_object *privs, const char *ref,
    struct berth_err *err)
{
	json_object	*p, *vals;
	const char	*name, *v;
	size_t		 i, k;

	if (policy == NULL)
		return 0;
	for (i = 0; i < json_object_array_length(privs); i++) {
		p = json_object_array_get_idx(privs, i);
		name = berth_json_str(p, "Name");
		vals = berth_json_get(p, "Value");
		for (k = 0; k < json_object_array_length(vals); k++) {
			v = json_object_get_string(
			    json_object_array_get_idx(vals, k));
			if (!allowed(policy, name, v))
				return berth_err_set(err, -EPERM, "plugin %s "
				    "asks for privilege %s: %s, which the "
				    "plugin policy of engine.yaml does not "
				    "allow", ref, name, v);
		}
	}
	return 0;
}

/*
 * berth/info.h - what a service adds to GET /info through its
 * BERTH_HOOK_INFO hook.  Static inline, so a module links nothing from
 * the core.
 */
#ifndef BERTH_INFO_H
#define BERTH_INFO_H

#include <json-c/json.h>

#include <berth/host.h>

static inline void
berth_info_name_(const char *name, const void *ops, void *state, void *arg)
{
	json_object_array_add(arg, json_object_new_string(name));
}

/*
 * Plugins.<key> of out: every driver of iface in the registry, in name
 * order, as Docker lists its volume, network and log drivers.
 */
static inline void
berth_info_plugins(const struct berth_host *h, json_object *out,
    const char *iface, const char *key)
{
	json_object	*plugins, *list = json_object_new_array();

	h->drivers(h, iface, berth_info_name_, list);
	if (!json_object_object_get_ex(out, "Plugins", &plugins) ||
	    !json_object_is_type(plugins, json_type_object)) {
		plugins = json_object_new_object();
		json_object_object_add(out, "Plugins", plugins);
	}
	json_object_object_add(plugins, key, list);
}

#endif

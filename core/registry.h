/*
 * registry.h - drivers by (interface, name), and hooks by name.
 *
 * A service finds a driver here whether it is built in or forwarded by
 * plugin-proxy; it never knows which.  Every entry has an owner so a
 * module's entries can be removed if its init fails.
 */
#ifndef BERTH_CORE_REGISTRY_H
#define BERTH_CORE_REGISTRY_H

#include <json-c/json.h>

#include <berth/err.h>
#include <berth/host.h>

struct core_mod;

int	registry_provide(struct core_mod *owner, const char *iface,
	    const char *name, const void *ops, void *state,
	    struct berth_err *err);
const void *registry_lookup(const char *iface, const char *name,
	    void **statep);
/* Name of the module that provides (iface, name), or NULL. */
struct core_mod *registry_owner(const char *iface, const char *name);
void	registry_each(const char *iface, berth_driver_cb cb, void *arg);
int	registry_hook_add(struct core_mod *owner, const char *name,
	    berth_hook_fn fn, void *state, struct berth_err *err);
/* Run every contribution to hook name, in registration order. */
void	registry_hook_run(const char *name, json_object *out);
/* registry_withdraw - remove (iface, name) if owner provides it. */
int	registry_withdraw(struct core_mod *owner, const char *iface,
	    const char *name);
void	registry_remove_owner(struct core_mod *owner);
void	registry_clear(void);

#endif

/*
 * berth/resolver.h - drivers found on demand, "resolver/1".
 *
 * Most drivers register at start.  Some exist only outside berthd: a
 * plugin serving /run/docker/plugins/NAME.sock may appear after berthd
 * started, and is found by name the first time a service asks for it.
 * A resolver is how the core asks for such a driver: when `lookup`
 * finds no driver (iface, name) in the registry, the core asks every
 * resolver/1 driver, in name order, and returns the first answer.
 *
 * A resolver answers at once and never blocks: it hands back a driver
 * whose ops wait, inside the resolver's module, until the driver really
 * exists (a plugin found and activated), then run, or answer with the
 * error that finding it gave ("plugin \"NAME\" not found").  Since every
 * driver interface answers through callbacks, a service cannot tell a
 * resolved driver from a registered one; asking for a driver by name and
 * waiting for it is simply calling its first op.
 *
 * A resolved driver is not in the registry until it is real: the
 * resolver provides it (host->provide) once found, so `drivers` lists
 * only drivers that exist, as /info's Plugins must.
 */
#ifndef BERTH_RESOLVER_H
#define BERTH_RESOLVER_H

#include <stdint.h>

#define BERTH_RESOLVER_IFACE	"resolver/1"

struct berth_resolver_ops {
	uint32_t	 size;		/* sizeof(struct berth_resolver_ops) */
	/*
	 * resolve - the ops of driver `name` of interface `iface` (state in
	 * *statep, which must stay valid for the module's life), or NULL
	 * if this resolver cannot serve iface or refuses the name.  Must
	 * not call lookup.
	 */
	const void *(*resolve)(void *st, const char *iface, const char *name,
		    void **statep);
};

#endif

/* api.h - the core's own routes (api_system.c, api_swarm.c). */
#ifndef BERTH_CORE_API_H
#define BERTH_CORE_API_H

#include <berth/err.h>
#include <berth/host.h>

/* Register /_ping, /version, /info and /events through the core's host. */
int	api_system_init(const struct berth_host *h, struct berth_err *err);
/* Register the swarm-mode routes, answered as a node not in a swarm. */
int	api_swarm_init(const struct berth_host *h, struct berth_err *err);

#endif

/*
 * berth/ipam.h - the address management driver interface, "ipam/1".
 *
 * It mirrors Docker's IpamDriver plugin protocol operation for operation
 * (GetCapabilities, GetDefaultAddressSpaces, RequestPool, ReleasePool,
 * RequestAddress, ReleaseAddress), so plugin-proxy can serve it
 * mechanically and an author who knows the plugin docs knows this
 * header.  A driver registers under its Docker name: the networks
 * service provides "default" (Docker's built-in pools).
 *
 * Addresses travel as Docker sends them: pools and the addresses a
 * driver hands out in CIDR form ("10.99.0.2/24"), the address given back
 * to ReleaseAddress and a preferred address plain ("10.99.0.2").
 *
 * All ops run on the loop thread and answer through their callback
 * exactly once, now or later, on the loop thread.  What is passed in is
 * borrowed for the call; what a callback is given is borrowed for the
 * callback.
 */
#ifndef BERTH_IPAM_H
#define BERTH_IPAM_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>

#define BERTH_IPAM_IFACE	"ipam/1"

/* RequestAddress option naming what the address is for, as Docker's. */
#define BERTH_IPAM_REQUEST_TYPE	"RequestAddressType"
#define BERTH_IPAM_GATEWAY	"com.docker.network.gateway"

/* RequestPool. */
struct berth_ipam_pool_req {
	uint32_t	 size;		/* sizeof at the caller's build */
	const char	*address_space;	/* from GetDefaultAddressSpaces */
	const char	*pool;		/* CIDR, or "" for any free pool */
	const char	*sub_pool;	/* CIDR within pool (--ip-range), or "" */
	json_object	*options;	/* --ipam-opt map, or NULL */
	int		 v6;
	/*
	 * A pool this caller held before a restart, asked for again so the
	 * driver can rebuild its state (RequiresRequestReplay).  The pool
	 * was checked when it was first granted: a driver must not refuse
	 * it for overlapping the routes of its own network's bridge.
	 */
	int		 replay;
};

typedef void	(*berth_ipam_done_cb)(void *arg, int rc,
		    const struct berth_err *err);
typedef void	(*berth_ipam_caps_cb)(void *arg, int rc,
		    int requires_mac_address, int requires_request_replay,
		    const struct berth_err *err);
typedef void	(*berth_ipam_spaces_cb)(void *arg, int rc,
		    const char *local_space, const char *global_space,
		    const struct berth_err *err);
/* data: the driver's Data map (may hold BERTH_IPAM_GATEWAY), or NULL. */
typedef void	(*berth_ipam_pool_cb)(void *arg, int rc, const char *pool_id,
		    const char *pool, json_object *data,
		    const struct berth_err *err);
typedef void	(*berth_ipam_addr_cb)(void *arg, int rc, const char *address,
		    json_object *data, const struct berth_err *err);

struct berth_ipam_ops {
	uint32_t	 size;		/* sizeof(struct berth_ipam_ops) */
	void	(*capabilities)(void *st, berth_ipam_caps_cb done, void *arg);
	void	(*default_address_spaces)(void *st, berth_ipam_spaces_cb done,
		    void *arg);
	/*
	 * request_pool - -EPERM (Docker's 403) when the pool overlaps one
	 * already granted, -ENOSPC when no default pool is free.
	 */
	void	(*request_pool)(void *st, const struct berth_ipam_pool_req *req,
		    berth_ipam_pool_cb done, void *arg);
	void	(*release_pool)(void *st, const char *pool_id,
		    berth_ipam_done_cb done, void *arg);
	/*
	 * request_address - address is "" for any free one, or the plain
	 * address wanted (-EPERM if taken, -ERANGE outside the pool);
	 * options may carry BERTH_IPAM_REQUEST_TYPE.  -ENOSPC when the pool
	 * is full.  The answer is CIDR.
	 */
	void	(*request_address)(void *st, const char *pool_id,
		    const char *address, json_object *options,
		    berth_ipam_addr_cb done, void *arg);
	void	(*release_address)(void *st, const char *pool_id,
		    const char *address, berth_ipam_done_cb done, void *arg);
};

#endif

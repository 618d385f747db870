/*
 * berth/abi.h - the module ABI version.
 *
 * The ABI moves only when sdk/ changes, never with the release version.
 * Adding something (an op at the end of struct berth_host, a new header,
 * a flag): MINOR++.  Removing, reordering, retyping or changing what
 * anything means: MAJOR++ and MINOR = 0.  Every bump gets a line here,
 * and tests/unit/abi/check_abi.c pins every offset so that a layout move
 * cannot pass unnoticed.
 *
 * 1.7  container.h (container/1): the containers service's create,
 *      attach, start, wait and remove for other services (the
 *      builder); image.h: berth_image_ops tag, commit_step and pull
 *      appended, BERTH_IMAGE_SCRATCH; runtime.h: BERTH_ATTACH_MUX and
 *      BERTH_ATTACH_RAW (framing as the client asked); err.h gains
 *      berth_err_status, the core's errno -> HTTP status table; fs.h
 *      gains BERTH_WRITE_DIRSYNC and berth_sweep_tmp
 * 1.6  resolver.h (resolver/1): drivers found on demand by name, as
 *      plugin-proxy finds Docker plugins; lookup consults resolvers;
 *      base64.h (inline helper, both ways), curl.h (libcurl loaded on
 *      first use, and its multi interface on the loop) and oci.h
 *      (Docker's spec defaults) added; rtnl.h gains
 *      berth_rtnl_route_add; fs.h gains berth_read_small
 * 1.5  network.h (network/1, and networks/1 for the containers
 *      service) and ipam.h (ipam/1) added, mirroring Docker's
 *      NetworkDriver and IpamDriver; cidr.h, filters.h,
 *      id.h, info.h, rtnl.h (libmnl) and timefmt.h (inline helpers) added, json.h gains
 *      berth_json_string_map
 * 1.4  runtime.h: berth_runtime_events detached appended (the detach
 *      and exec_detach events), berth_runtime_create log_max_size and
 *      log_max_files appended (json-file rotation); volume.h:
 *      berth_volumes_mount restore appended; image/1 rootfs gains
 *      Docker's init layer (no layout change); inroot.h and untar.h (inline helpers)
 *      added, fs.h gains berth_rmtree_at
 * 1.3  image.h: berth_image_ops changes and commit appended (docker
 *      diff and docker commit), BERTH_IMAGE_HAS
 * 1.2  runtime.h: berth_runtime_ops update and exec_state appended,
 *      BERTH_RUNTIME_HAS
 * 1.1  berth_host: req_body_to_fd, resp_from_fd, withdraw appended;
 *      image.h (image/1), runtime.h (runtime/1), volume.h (volume/1,
 *      volumes/1) and fs.h (inline file helpers) added
 * 1.0  first release: module descriptor, host table, routes, events,
 *      registry, timers, fd watches, spawn, work pool, authz/1
 */
#ifndef BERTH_ABI_H
#define BERTH_ABI_H

#include <stdint.h>

#define BERTH_MODULE_MAGIC	0x42525448u	/* "BRTH" */
#define BERTH_ABI_MAJOR		1
#define BERTH_ABI_MINOR		7

/*
 * BERTH_BUILD_ID identifies one build of berthd.  Only modules that set
 * BERTH_ABI_STRICT (they include core-private headers) are compared
 * against it; SDK-only modules never are.
 */
#ifndef BERTH_BUILD_ID
#define BERTH_BUILD_ID		"unknown"
#endif

#define BERTH_ABI_STRICT	0x1u

/* Read before anything else is trusted.  Never reorder, never resize. */
struct berth_abi {
	uint32_t	 magic;		/* BERTH_MODULE_MAGIC */
	uint16_t	 major;		/* BERTH_ABI_MAJOR at build time */
	uint16_t	 minor;		/* BERTH_ABI_MINOR at build time */
	uint32_t	 size;		/* sizeof(struct berth_module) at build */
	uint32_t	 flags;		/* BERTH_ABI_STRICT or 0 */
	const char	*build_id;	/* BERTH_BUILD_ID; compared if STRICT */
};

#if defined(__GNUC__)
#define BERTH_EXPORT	__attribute__((visibility("default")))
#else
#define BERTH_EXPORT
#endif

#endif

/*
 * check_abi.c - the module ABI, pinned.
 *
 * A failure here means someone changed the ABI.  If that was deliberate,
 * follow sdk/include/berth/abi.h: adding at the end is MINOR++, anything
 * else is MAJOR++ with MINOR = 0; add a line to the changelog there, and
 * only then update the numbers below.  Never "fix" this test by moving
 * a number to wherever the header now puts a field.
 *
 * Offsets are those of x86_64 LP64, the one ABI berth ships for; on
 * another ABI only the architecture-independent tests run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <berth/abi.h>
#include <berth/authz.h>
#include <berth/conf.h>
#include <berth/container.h>
#include <berth/df.h>
#include <berth/err.h>
#include <berth/host.h>
#include <berth/image.h>
#include <berth/ipam.h>
#include <berth/module.h>
#include <berth/network.h>
#include <berth/resolver.h>
#include <berth/route.h>
#include <berth/runtime.h>
#include <berth/volume.h>

#include "unit.h"

#define OFF(type, field, want)						\
	ck_assert_msg(offsetof(type, field) == (want),			\
	    "offsetof(" #type ", " #field ") is %zu, ABI says %zu",	\
	    offsetof(type, field), (size_t)(want))
#define SIZE(type, want)						\
	ck_assert_msg(sizeof(type) == (want),				\
	    "sizeof(" #type ") is %zu, ABI says %zu", sizeof(type),	\
	    (size_t)(want))

/* --- numbers that are ABI without being layout ----------------------- */

START_TEST(abi_version)
{
	ck_assert_int_eq(BERTH_ABI_MAJOR, 1);
	/* Bumped with every addition; the changelog in abi.h says what. */
	ck_assert_int_eq(BERTH_ABI_MINOR, 7);
	ck_assert_uint_eq(BERTH_MODULE_MAGIC, 0x42525448u);	/* "BRTH" */
	ck_assert_uint_eq(BERTH_ABI_STRICT, 0x1u);
}
END_TEST

START_TEST(abi_constants)
{
	/* Enums and flags cross the boundary as integers. */
	ck_assert_int_eq(BERTH_GET, 1);
	ck_assert_int_eq(BERTH_HEAD, 2);
	ck_assert_int_eq(BERTH_POST, 3);
	ck_assert_int_eq(BERTH_PUT, 4);
	ck_assert_int_eq(BERTH_DELETE, 5);
	ck_assert_int_eq(BERTH_CONF_STRING, 1);
	ck_assert_int_eq(BERTH_CONF_PATH, 2);
	ck_assert_int_eq(BERTH_CONF_INT, 3);
	ck_assert_int_eq(BERTH_CONF_BOOL, 4);
	ck_assert_int_eq(BERTH_CONF_LIST, 5);
	ck_assert_int_eq(BERTH_CONF_MAP, 6);
	ck_assert_int_eq(BERTH_LOG_ERR, 3);
	ck_assert_int_eq(BERTH_LOG_WARN, 4);
	ck_assert_int_eq(BERTH_LOG_INFO, 6);
	ck_assert_int_eq(BERTH_LOG_DEBUG, 7);
	ck_assert_int_eq(BERTH_FD_READ, 0x02);
	ck_assert_int_eq(BERTH_FD_WRITE, 0x04);
	ck_assert_uint_eq(BERTH_HIJACK_COMMON_HEADERS, 0x1u);
	ck_assert_uint_eq(BERTH_ROUTE_STREAM_BODY, 0x1u);
	ck_assert_uint_eq(BERTH_BODY_MAX_DEFAULT, 4u << 20);
	ck_assert_uint_eq(BERTH_AUTHZ_BODY_MAX, 4u << 20);
	ck_assert_str_eq(BERTH_AUTHZ_IFACE, "authz/1");
	ck_assert_str_eq(BERTH_HOOK_INFO, "info");
	ck_assert_int_eq(BERTH_ERR_MSGLEN, 512);
}
END_TEST

START_TEST(abi_iface_constants)
{
	/* 1.1: image/1 and runtime/1. */
	ck_assert_str_eq(BERTH_IMAGE_IFACE, "image/1");
	ck_assert_str_eq(BERTH_IMAGE_DRIVER, "images");
	ck_assert_int_eq(BERTH_IMAGE_ID_LEN, 71);
	ck_assert_str_eq(BERTH_RUNTIME_IFACE, "runtime/1");
	ck_assert_str_eq(BERTH_RUNTIME_DEFAULT, "default");
	ck_assert_int_eq(BERTH_RT_UNKNOWN, 0);
	ck_assert_int_eq(BERTH_RT_CREATED, 1);
	ck_assert_int_eq(BERTH_RT_RUNNING, 2);
	ck_assert_int_eq(BERTH_RT_PAUSED, 3);
	ck_assert_int_eq(BERTH_RT_STOPPED, 4);
	ck_assert_uint_eq(BERTH_ATTACH_STDIN, 0x1u);
	ck_assert_uint_eq(BERTH_ATTACH_STDOUT, 0x2u);
	ck_assert_uint_eq(BERTH_ATTACH_STDERR, 0x4u);
	ck_assert_uint_eq(BERTH_ATTACH_LOGS, 0x8u);
	ck_assert_uint_eq(BERTH_ATTACH_MUX, 0x10u);	/* 1.7 */
	ck_assert_uint_eq(BERTH_ATTACH_RAW, 0x20u);
	ck_assert_uint_eq(BERTH_CONTAINER_STDOUT, BERTH_ATTACH_STDOUT);
	ck_assert_uint_eq(BERTH_CONTAINER_STDERR, BERTH_ATTACH_STDERR);
	ck_assert_str_eq(BERTH_IMAGE_SCRATCH, "scratch");
	/* 1.5: network/1 and ipam/1, with Docker's option keys. */
	ck_assert_str_eq(BERTH_NETWORK_IFACE, "network/1");
	ck_assert_str_eq(BERTH_IPAM_IFACE, "ipam/1");
	ck_assert_str_eq(BERTH_NET_OPT_GENERIC, "com.docker.network.generic");
	ck_assert_str_eq(BERTH_NET_OPT_IPV6, "com.docker.network.enable_ipv6");
	ck_assert_str_eq(BERTH_NET_OPT_INTERNAL, "com.docker.network.internal");
	ck_assert_str_eq(BERTH_NET_OPT_EXPOSED,
	    "com.docker.network.endpoint.exposedports");
	ck_assert_str_eq(BERTH_NET_OPT_PORTMAP, "com.docker.network.portmap");
	ck_assert_str_eq(BERTH_IPAM_REQUEST_TYPE, "RequestAddressType");
	ck_assert_str_eq(BERTH_IPAM_GATEWAY, "com.docker.network.gateway");
	ck_assert_str_eq(BERTH_NETWORKS_IFACE, "networks/1");
	ck_assert_str_eq(BERTH_NETWORKS_SERVICE, "networks");
}
END_TEST

START_TEST(abi_init_macro)
{
	static const struct berth_module	m = { .abi = BERTH_ABI_INIT };

	ck_assert_uint_eq(m.abi.magic, BERTH_MODULE_MAGIC);
	ck_assert_uint_eq(m.abi.major, BERTH_ABI_MAJOR);
	ck_assert_uint_eq(m.abi.minor, BERTH_ABI_MINOR);
	ck_assert_uint_eq(m.abi.size, sizeof(struct berth_module));
	ck_assert_uint_eq(m.abi.flags, 0);
	ck_assert_str_eq(m.abi.build_id, BERTH_BUILD_ID);
	/* ABI 1.0's descriptor ends with fini: nothing may follow yet. */
	ck_assert_uint_eq(BERTH_MODULE_MIN_SIZE, sizeof(struct berth_module));
}
END_TEST

static void
noop_resp_hijack(struct berth_req *r, uint32_t flags, berth_hijack_cb cb,
    void *arg)
{
}

START_TEST(abi_host_has)
{
	struct berth_host	h;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	ck_assert(!BERTH_HOST_HAS(&h, resp_hijack));	/* NULL slot */
	h.resp_hijack = noop_resp_hijack;
	ck_assert(BERTH_HOST_HAS(&h, resp_hijack));
	/* A berthd whose table ends just before the op. */
	h.size = offsetof(struct berth_host, resp_hijack);
	ck_assert(!BERTH_HOST_HAS(&h, resp_hijack));
	h.size = offsetof(struct berth_host, resp_hijack) +
	    sizeof(h.resp_hijack);
	ck_assert(BERTH_HOST_HAS(&h, resp_hijack));
}
END_TEST

#if defined(__x86_64__) && defined(__LP64__)

/* --- layout ---------------------------------------------------------- */

START_TEST(abi_header_frozen)
{
	OFF(struct berth_abi, magic, 0);
	OFF(struct berth_abi, major, 4);
	OFF(struct berth_abi, minor, 6);
	OFF(struct berth_abi, size, 8);
	OFF(struct berth_abi, flags, 12);
	OFF(struct berth_abi, build_id, 16);
	SIZE(struct berth_abi, 24);
}
END_TEST

START_TEST(abi_module)
{
	OFF(struct berth_module, abi, 0);
	OFF(struct berth_module, name, 24);
	OFF(struct berth_module, version, 32);
	OFF(struct berth_module, provides, 40);
	OFF(struct berth_module, requires, 48);
	OFF(struct berth_module, conf, 56);
	OFF(struct berth_module, init, 64);
	OFF(struct berth_module, reload, 72);
	OFF(struct berth_module, fini, 80);
	SIZE(struct berth_module, 88);
	ck_assert_uint_eq(BERTH_MODULE_MIN_SIZE, 88);
}
END_TEST

/*
 * Every op of struct berth_host, in declaration order: op i sits at
 * 8 + 8 * i.  This is a copy on purpose: a reorder in host.h must fail
 * here.  New ops go at the end, with the minor that added them.
 */
static const struct {
	const char	*name;
	size_t		 off;
} host_ops[] = {
#define OP(name)	{ #name, offsetof(struct berth_host, name) }
	/* 1.0 */
	OP(log), OP(conf_json), OP(data_root), OP(exec_root),
	OP(route), OP(provide), OP(lookup), OP(drivers), OP(emit), OP(hook),
	OP(timer_add), OP(timer_del), OP(fd_watch), OP(fd_unwatch), OP(spawn),
	OP(work),
	OP(req_method), OP(req_path), OP(req_uri), OP(req_version),
	OP(req_param), OP(req_query), OP(req_query_bool), OP(req_header),
	OP(req_body), OP(req_json), OP(req_body_stream), OP(req_body_pause),
	OP(req_on_close), OP(req_peer),
	OP(resp_header), OP(resp_json), OP(resp_raw), OP(resp_status),
	OP(resp_error), OP(resp_start), OP(resp_write), OP(resp_buffered),
	OP(resp_on_drain), OP(resp_end), OP(resp_hijack),
	/* 1.1 */
	OP(req_body_to_fd), OP(resp_from_fd), OP(withdraw),
#undef OP
};
#define NHOST_OPS	(sizeof(host_ops) / sizeof(host_ops[0]))

START_TEST(abi_host)
{
	size_t	i;

	OFF(struct berth_host, size, 0);
	OFF(struct berth_host, version, 4);
	OFF(struct berth_host, log, 8);
	for (i = 0; i < NHOST_OPS; i++)
		ck_assert_msg(host_ops[i].off == 8 + 8 * i,
		    "berth_host.%s is at %zu, ABI says %zu", host_ops[i].name,
		    host_ops[i].off, 8 + 8 * i);
	/* Spelled out for the ends of each minor, to grep for. */
	OFF(struct berth_host, route, 40);
	OFF(struct berth_host, work, 128);
	OFF(struct berth_host, req_method, 136);
	OFF(struct berth_host, resp_header, 248);
	OFF(struct berth_host, resp_hijack, 328);
	OFF(struct berth_host, req_body_to_fd, 336);
	OFF(struct berth_host, resp_from_fd, 344);
	OFF(struct berth_host, withdraw, 352);
	SIZE(struct berth_host, 360);
	/* No op past the last one listed here. */
	ck_assert_uint_eq(sizeof(struct berth_host), 8 + 8 * NHOST_OPS);
}
END_TEST

START_TEST(abi_route)
{
	OFF(struct berth_route, method, 0);
	OFF(struct berth_route, pattern, 8);
	OFF(struct berth_route, min_version, 16);
	OFF(struct berth_route, handler, 24);
	OFF(struct berth_route, flags, 32);
	OFF(struct berth_route, body_max, 40);
	SIZE(struct berth_route, 48);
	SIZE(enum berth_method, 4);
}
END_TEST

START_TEST(abi_spawn_opts)
{
	OFF(struct berth_spawn_opts, size, 0);
	OFF(struct berth_spawn_opts, envp, 8);
	OFF(struct berth_spawn_opts, cwd, 16);
	OFF(struct berth_spawn_opts, stdin_fd, 24);
	OFF(struct berth_spawn_opts, stdout_fd, 28);
	OFF(struct berth_spawn_opts, stderr_fd, 32);
	OFF(struct berth_spawn_opts, setsid, 36);
	SIZE(struct berth_spawn_opts, 40);
}
END_TEST

START_TEST(abi_authz)
{
	OFF(struct berth_authz_ops, size, 0);
	OFF(struct berth_authz_ops, authz_req, 8);
	OFF(struct berth_authz_ops, authz_res, 16);
	SIZE(struct berth_authz_ops, 24);

	OFF(struct berth_header, name, 0);
	OFF(struct berth_header, value, 8);
	SIZE(struct berth_header, 16);

	OFF(struct berth_authz_req, size, 0);
	OFF(struct berth_authz_req, method, 8);
	OFF(struct berth_authz_req, uri, 16);
	OFF(struct berth_authz_req, headers, 24);
	OFF(struct berth_authz_req, nheaders, 32);
	OFF(struct berth_authz_req, body, 40);
	OFF(struct berth_authz_req, body_len, 48);
	OFF(struct berth_authz_req, has_peer, 56);
	OFF(struct berth_authz_req, peer_pid, 60);
	OFF(struct berth_authz_req, peer_uid, 64);
	OFF(struct berth_authz_req, peer_gid, 68);
	OFF(struct berth_authz_req, status, 72);
	OFF(struct berth_authz_req, resp_headers, 80);
	OFF(struct berth_authz_req, nresp_headers, 88);
	OFF(struct berth_authz_req, resp_body, 96);
	OFF(struct berth_authz_req, resp_body_len, 104);
	SIZE(struct berth_authz_req, 112);
}
END_TEST

START_TEST(abi_err_conf)
{
	/* Modules declare a berth_err on their stack and pass it in. */
	OFF(struct berth_err, code, 0);
	OFF(struct berth_err, msg, 4);
	SIZE(struct berth_err, 516);

	OFF(struct berth_conf_key, name, 0);
	OFF(struct berth_conf_key, type, 8);
	OFF(struct berth_conf_key, help, 16);
	SIZE(struct berth_conf_key, 24);
}
END_TEST

START_TEST(abi_image)
{
	/* 1.1 */
	OFF(struct berth_image_ops, size, 0);
	OFF(struct berth_image_ops, resolve, 8);
	OFF(struct berth_image_ops, use, 16);
	OFF(struct berth_image_ops, unuse, 24);
	OFF(struct berth_image_ops, rootfs_mount, 32);
	OFF(struct berth_image_ops, rootfs_unmount, 40);
	OFF(struct berth_image_ops, rootfs_remove, 48);
	OFF(struct berth_image_ops, rootfs_paths, 56);
	/* 1.3 */
	OFF(struct berth_image_ops, changes, 64);
	OFF(struct berth_image_ops, commit, 72);
	/* 1.7 */
	OFF(struct berth_image_ops, tag, 80);
	OFF(struct berth_image_ops, commit_step, 88);
	OFF(struct berth_image_ops, pull, 96);
	SIZE(struct berth_image_ops, 104);
	OFF(struct berth_image_commit, owner, 0);
	OFF(struct berth_image_commit, image, 8);
	OFF(struct berth_image_commit, container_config, 16);
	OFF(struct berth_image_commit, config, 24);
	OFF(struct berth_image_commit, changes, 32);
	OFF(struct berth_image_commit, nchanges, 40);
	OFF(struct berth_image_commit, repo, 48);
	OFF(struct berth_image_commit, tag, 56);
	OFF(struct berth_image_commit, comment, 64);
	OFF(struct berth_image_commit, author, 72);
	SIZE(struct berth_image_commit, 80);
}
END_TEST

START_TEST(abi_volume)
{
	/* 1.1 */
	OFF(struct berth_volumes_mount, size, 0);
	OFF(struct berth_volumes_mount, name, 8);
	OFF(struct berth_volumes_mount, container, 16);
	OFF(struct berth_volumes_mount, destination, 24);
	OFF(struct berth_volumes_mount, rw, 32);
	OFF(struct berth_volumes_mount, propagation, 40);
	OFF(struct berth_volumes_mount, copy_from, 48);
	/* 1.4 */
	OFF(struct berth_volumes_mount, restore, 56);
	SIZE(struct berth_volumes_mount, 64);
	/* volume/1, volumes/1 and df/1, as they have been since 1.1 */
	OFF(struct berth_volume_info, name, 0);
	OFF(struct berth_volume_info, mountpoint, 8);
	OFF(struct berth_volume_info, created_at, 16);
	OFF(struct berth_volume_info, status, 24);
	SIZE(struct berth_volume_info, 32);
	OFF(struct berth_volume_ops, size, 0);
	OFF(struct berth_volume_ops, create, 8);
	OFF(struct berth_volume_ops, remove, 16);
	OFF(struct berth_volume_ops, mount, 24);
	OFF(struct berth_volume_ops, unmount, 32);
	OFF(struct berth_volume_ops, path, 40);
	OFF(struct berth_volume_ops, get, 48);
	OFF(struct berth_volume_ops, list, 56);
	OFF(struct berth_volume_ops, capabilities, 64);
	SIZE(struct berth_volume_ops, 72);
	OFF(struct berth_volumes_ops, size, 0);
	OFF(struct berth_volumes_ops, ensure, 8);
	OFF(struct berth_volumes_ops, use, 16);
	OFF(struct berth_volumes_ops, unuse, 24);
	OFF(struct berth_volumes_ops, mount, 32);
	OFF(struct berth_volumes_ops, unmount, 40);
	OFF(struct berth_volumes_ops, remove, 48);
	SIZE(struct berth_volumes_ops, 56);
	OFF(struct berth_df_ops, size, 0);
	OFF(struct berth_df_ops, df, 8);
	SIZE(struct berth_df_ops, 16);
}
END_TEST

START_TEST(abi_runtime)
{
	/* 1.1 */
	OFF(struct berth_runtime_events, size, 0);
	OFF(struct berth_runtime_events, exited, 8);
	/* 1.4 */
	OFF(struct berth_runtime_events, detached, 16);
	SIZE(struct berth_runtime_events, 24);

	OFF(struct berth_runtime_state, status, 0);
	OFF(struct berth_runtime_state, pid, 4);
	OFF(struct berth_runtime_state, exit_code, 8);
	OFF(struct berth_runtime_state, oom_killed, 12);
	OFF(struct berth_runtime_state, started_ns, 16);
	OFF(struct berth_runtime_state, finished_ns, 24);
	SIZE(struct berth_runtime_state, 32);

	OFF(struct berth_runtime_create, size, 0);
	OFF(struct berth_runtime_create, id, 8);
	OFF(struct berth_runtime_create, bundle, 16);
	OFF(struct berth_runtime_create, log_path, 24);
	OFF(struct berth_runtime_create, terminal, 32);
	OFF(struct berth_runtime_create, open_stdin, 36);
	OFF(struct berth_runtime_create, stdin_once, 40);
	OFF(struct berth_runtime_create, events, 48);
	OFF(struct berth_runtime_create, events_arg, 56);
	/* 1.4 */
	OFF(struct berth_runtime_create, log_max_size, 64);
	OFF(struct berth_runtime_create, log_max_files, 72);
	SIZE(struct berth_runtime_create, 80);

	OFF(struct berth_runtime_exec, size, 0);
	OFF(struct berth_runtime_exec, id, 8);
	OFF(struct berth_runtime_exec, exec_id, 16);
	OFF(struct berth_runtime_exec, process, 24);
	OFF(struct berth_runtime_exec, terminal, 32);
	OFF(struct berth_runtime_exec, open_stdin, 36);
	OFF(struct berth_runtime_exec, detach, 40);
	SIZE(struct berth_runtime_exec, 48);

	OFF(struct berth_runtime_ops, size, 0);
	OFF(struct berth_runtime_ops, default_name, 8);
	OFF(struct berth_runtime_ops, path, 16);
	OFF(struct berth_runtime_ops, create, 24);
	OFF(struct berth_runtime_ops, start, 32);
	OFF(struct berth_runtime_ops, kill, 40);
	OFF(struct berth_runtime_ops, pause, 48);
	OFF(struct berth_runtime_ops, resume, 56);
	OFF(struct berth_runtime_ops, delete, 64);
	OFF(struct berth_runtime_ops, state, 72);
	OFF(struct berth_runtime_ops, restore, 80);
	OFF(struct berth_runtime_ops, attach, 88);
	OFF(struct berth_runtime_ops, resize, 96);
	OFF(struct berth_runtime_ops, exec, 104);
	/* 1.2 */
	OFF(struct berth_runtime_ops, update, 112);
	OFF(struct berth_runtime_ops, exec_state, 120);
	SIZE(struct berth_runtime_ops, 128);
}
END_TEST

START_TEST(abi_resolver)
{
	/* 1.6 */
	ck_assert_str_eq(BERTH_RESOLVER_IFACE, "resolver/1");
	OFF(struct berth_resolver_ops, size, 0);
	OFF(struct berth_resolver_ops, resolve, 8);
	SIZE(struct berth_resolver_ops, 16);
}
END_TEST

START_TEST(abi_container)
{
	/* 1.7 */
	ck_assert_str_eq(BERTH_CONTAINER_IFACE, "container/1");
	ck_assert_str_eq(BERTH_CONTAINER_DRIVER, "containers");
	OFF(struct berth_container_ops, size, 0);
	OFF(struct berth_container_ops, create, 8);
	OFF(struct berth_container_ops, attach, 16);
	OFF(struct berth_container_ops, start, 24);
	OFF(struct berth_container_ops, wait, 32);
	OFF(struct berth_container_ops, remove, 40);
	SIZE(struct berth_container_ops, 48);
}
END_TEST

START_TEST(abi_err_status)
{
	/* 1.7: the one errno -> status table, core and modules alike. */
	ck_assert_int_eq(berth_err_status(0), 200);
	ck_assert_int_eq(berth_err_status(-ENOENT), 404);
	ck_assert_int_eq(berth_err_status(-EEXIST), 409);
	ck_assert_int_eq(berth_err_status(-EBUSY), 409);
	ck_assert_int_eq(berth_err_status(-ENOTEMPTY), 409);
	ck_assert_int_eq(berth_err_status(-EINVAL), 400);
	ck_assert_int_eq(berth_err_status(-ERANGE), 400);
	ck_assert_int_eq(berth_err_status(-ENAMETOOLONG), 400);
	ck_assert_int_eq(berth_err_status(-EACCES), 403);
	ck_assert_int_eq(berth_err_status(-EPERM), 403);
	ck_assert_int_eq(berth_err_status(-ENOTSUP), 501);
	ck_assert_int_eq(berth_err_status(-EOPNOTSUPP), 501);
	ck_assert_int_eq(berth_err_status(-ENOSYS), 501);
	ck_assert_int_eq(berth_err_status(-EAGAIN), 503);
	ck_assert_int_eq(berth_err_status(-EALREADY), 304);
	ck_assert_int_eq(berth_err_status(-EMSGSIZE), 413);
	ck_assert_int_eq(berth_err_status(-EIO), 500);
}
END_TEST

START_TEST(abi_network)
{
	/* 1.5 */
	OFF(struct berth_ipam_pool_req, size, 0);
	OFF(struct berth_ipam_pool_req, address_space, 8);
	OFF(struct berth_ipam_pool_req, pool, 16);
	OFF(struct berth_ipam_pool_req, sub_pool, 24);
	OFF(struct berth_ipam_pool_req, options, 32);
	OFF(struct berth_ipam_pool_req, v6, 40);
	OFF(struct berth_ipam_pool_req, replay, 44);
	SIZE(struct berth_ipam_pool_req, 48);

	OFF(struct berth_ipam_ops, size, 0);
	OFF(struct berth_ipam_ops, capabilities, 8);
	OFF(struct berth_ipam_ops, default_address_spaces, 16);
	OFF(struct berth_ipam_ops, request_pool, 24);
	OFF(struct berth_ipam_ops, release_pool, 32);
	OFF(struct berth_ipam_ops, request_address, 40);
	OFF(struct berth_ipam_ops, release_address, 48);
	SIZE(struct berth_ipam_ops, 56);

	OFF(struct berth_net_ipam_data, size, 0);
	OFF(struct berth_net_ipam_data, address_space, 8);
	OFF(struct berth_net_ipam_data, pool, 16);
	OFF(struct berth_net_ipam_data, gateway, 24);
	OFF(struct berth_net_ipam_data, aux_addresses, 32);
	SIZE(struct berth_net_ipam_data, 40);

	OFF(struct berth_net_create, size, 0);
	OFF(struct berth_net_create, network_id, 8);
	OFF(struct berth_net_create, options, 16);
	OFF(struct berth_net_create, ipv4, 24);
	OFF(struct berth_net_create, nipv4, 32);
	OFF(struct berth_net_create, ipv6, 40);
	OFF(struct berth_net_create, nipv6, 48);
	SIZE(struct berth_net_create, 56);

	OFF(struct berth_net_iface, size, 0);
	OFF(struct berth_net_iface, address, 8);
	OFF(struct berth_net_iface, address_ipv6, 16);
	OFF(struct berth_net_iface, mac_address, 24);
	SIZE(struct berth_net_iface, 32);

	OFF(struct berth_net_endpoint, size, 0);
	OFF(struct berth_net_endpoint, network_id, 8);
	OFF(struct berth_net_endpoint, endpoint_id, 16);
	OFF(struct berth_net_endpoint, iface, 24);
	OFF(struct berth_net_endpoint, options, 56);
	SIZE(struct berth_net_endpoint, 64);

	OFF(struct berth_net_join, size, 0);
	OFF(struct berth_net_join, network_id, 8);
	OFF(struct berth_net_join, endpoint_id, 16);
	OFF(struct berth_net_join, sandbox_key, 24);
	OFF(struct berth_net_join, options, 32);
	SIZE(struct berth_net_join, 40);

	OFF(struct berth_net_route, size, 0);
	OFF(struct berth_net_route, destination, 8);
	OFF(struct berth_net_route, route_type, 16);
	OFF(struct berth_net_route, next_hop, 24);
	SIZE(struct berth_net_route, 32);

	OFF(struct berth_net_join_info, size, 0);
	OFF(struct berth_net_join_info, src_name, 8);
	OFF(struct berth_net_join_info, dst_prefix, 16);
	OFF(struct berth_net_join_info, gateway, 24);
	OFF(struct berth_net_join_info, gateway_ipv6, 32);
	OFF(struct berth_net_join_info, routes, 40);
	OFF(struct berth_net_join_info, nroutes, 48);
	OFF(struct berth_net_join_info, disable_gateway_service, 56);
	SIZE(struct berth_net_join_info, 64);

	OFF(struct berth_network_ops, size, 0);
	OFF(struct berth_network_ops, capabilities, 8);
	OFF(struct berth_network_ops, create_network, 16);
	OFF(struct berth_network_ops, delete_network, 24);
	OFF(struct berth_network_ops, create_endpoint, 32);
	OFF(struct berth_network_ops, endpoint_oper_info, 40);
	OFF(struct berth_network_ops, delete_endpoint, 48);
	OFF(struct berth_network_ops, join, 56);
	OFF(struct berth_network_ops, leave, 64);
	OFF(struct berth_network_ops, discover_new, 72);
	OFF(struct berth_network_ops, discover_delete, 80);
	OFF(struct berth_network_ops, program_external_connectivity, 88);
	OFF(struct berth_network_ops, revoke_external_connectivity, 96);
	SIZE(struct berth_network_ops, 104);

	/* networks/1, the service */
	OFF(struct berth_networks_join, size, 0);
	OFF(struct berth_networks_join, network, 8);
	OFF(struct berth_networks_join, container, 16);
	OFF(struct berth_networks_join, name, 24);
	OFF(struct berth_networks_join, sandbox_key, 32);
	OFF(struct berth_networks_join, endpoint, 40);
	OFF(struct berth_networks_join, port_bindings, 48);
	OFF(struct berth_networks_join, exposed_ports, 56);
	OFF(struct berth_networks_join, publish_all, 64);
	OFF(struct berth_networks_join, dns, 72);
	SIZE(struct berth_networks_join, 80);
	OFF(struct berth_networks_ops, size, 0);
	OFF(struct berth_networks_ops, resolve, 8);
	OFF(struct berth_networks_ops, sandbox, 16);
	OFF(struct berth_networks_ops, sandbox_free, 24);
	OFF(struct berth_networks_ops, join, 32);
	OFF(struct berth_networks_ops, leave, 40);
	SIZE(struct berth_networks_ops, 48);
}
END_TEST

#endif /* x86_64 LP64 */

Suite *
suite(void)
{
	Suite	*s = suite_create("abi");
	TCase	*tc;

	tc = tcase_create("numbers");
	tcase_add_test(tc, abi_version);
	tcase_add_test(tc, abi_constants);
	tcase_add_test(tc, abi_iface_constants);
	tcase_add_test(tc, abi_init_macro);
	tcase_add_test(tc, abi_host_has);
	suite_add_tcase(s, tc);

#if defined(__x86_64__) && defined(__LP64__)
	tc = tcase_create("layout");
	tcase_add_test(tc, abi_header_frozen);
	tcase_add_test(tc, abi_module);
	tcase_add_test(tc, abi_host);
	tcase_add_test(tc, abi_route);
	tcase_add_test(tc, abi_spawn_opts);
	tcase_add_test(tc, abi_authz);
	tcase_add_test(tc, abi_err_conf);
	tcase_add_test(tc, abi_image);
	tcase_add_test(tc, abi_runtime);
	tcase_add_test(tc, abi_volume);
	tcase_add_test(tc, abi_network);
	tcase_add_test(tc, abi_container);
	tcase_add_test(tc, abi_err_status);
	tcase_add_test(tc, abi_resolver);
	suite_add_tcase(s, tc);
#endif
	return s;
}

/*
 * berth/module.h - the one symbol a module exports.
 *
 * A module is a shared object that exports exactly one symbol,
 * `berth_module`, a const descriptor.  The descriptor is data: the loader
 * validates it (magic, ABI major/minor, size) before running any module
 * code, and `berthd --validate` lists modules without initialising them.
 * Modules must not use __attribute__((constructor)).
 *
 *	BERTH_MODULE = {
 *		.abi = BERTH_ABI_INIT,
 *		.name = "authz-noop",
 *		.version = "0.1.0",
 *		.provides = (const char *const[]){ "authz/1", NULL },
 *		.init = authz_noop_init,
 *		.fini = authz_noop_fini,
 *	};
 *
 * Lifecycle (all on the loop thread):
 *	dlopen -> check -> init(host, conf, &state) -> [reload(state, conf)]*
 *	-> fini(state) at shutdown, in reverse start order.
 * A module is never dlclose'd while berthd runs.
 */
#ifndef BERTH_MODULE_H
#define BERTH_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include <berth/abi.h>
#include <berth/conf.h>
#include <berth/err.h>

struct berth_host;

struct berth_module {
	struct berth_abi		 abi;		/* first, always */
	const char			*name;		/* == file stem */
	const char			*version;	/* module's own */
	/*
	 * Interfaces this module provides ("authz/1") and what it needs
	 * before it can start: interface names or module names.  Both are
	 * NULL-terminated arrays or NULL.  The core starts modules so that
	 * every provider of a required name has started first.
	 */
	const char *const		*provides;
	const char *const		*requires;
	/* Accepted keys of the `config:` subtree; NULL means none. */
	const struct berth_conf_key	*conf;
	/*
	 * init - start the module.  `host` is this module's own host table,
	 * valid until fini returns; keep the pointer.  `conf` is borrowed
	 * for the duration of the call.  Store the module's state in
	 * *statep; the core only carries it.  Return 0 or -errno with err
	 * filled; on failure the core unwinds every route, driver, timer,
	 * watch and hook the module registered, then calls nothing else.
	 */
	int	(*init)(const struct berth_host *host,
		    const struct berth_conf *conf, void **statep,
		    struct berth_err *err);
	/* reload - optional: apply a new config (SIGHUP).  Same rules. */
	int	(*reload)(void *state, const struct berth_conf *conf,
		    struct berth_err *err);
	/* fini - stop and free the state.  Never fails. */
	void	(*fini)(void *state);
};

/* The smallest descriptor the loader accepts (ABI 1.0). */
#define BERTH_MODULE_MIN_SIZE	\
	(offsetof(struct berth_module, fini) + sizeof(void (*)(void *)))

#define BERTH_ABI_INIT	{ BERTH_MODULE_MAGIC, BERTH_ABI_MAJOR,		\
			  BERTH_ABI_MINOR, sizeof(struct berth_module),	\
			  0, BERTH_BUILD_ID }

#define BERTH_MODULE	\
	BERTH_EXPORT extern const struct berth_module berth_module;	\
	const struct berth_module berth_module

#endif

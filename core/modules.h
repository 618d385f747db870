/*
 * modules.h - loading, checking, starting and stopping modules.
 *
 * found -dlopen-> loaded -check-> checked -init-> running -fini-> stopped
 * A module is never dlclose'd before exit: code of a module may still
 * be on a stack or referenced by a callback (timers, plugins).
 */
#ifndef BERTH_CORE_MODULES_H
#define BERTH_CORE_MODULES_H

#include <berth/err.h>
#include <berth/host.h>
#include <berth/module.h>

#include "conf.h"

struct core_mod {
	struct berth_host		 host;	/* this module's own table */
	char				*name;
	char				*file;
	void				*dl;
	const struct berth_module	*desc;
	struct conf_module		*conf;	/* borrowed from the live conf */
	void				*state;
	int				 required;
	int				 running;
	int				 order;	/* start position */
	struct core_mod			*next;
};

#define CORE_MOD_OF(h) \
	((struct core_mod *)((char *)(h) - offsetof(struct core_mod, host)))

/* The pseudo-module that owns the core's own routes. */
extern struct core_mod	core_self;

/*
 * modules_check - validate a descriptor before running any of its code:
 * magic, ABI major equal and minor not newer, size, strict build id.
 */
int	modules_check(const struct berth_module *m, const char *file,
	    struct berth_err *err);
/*
 * modules_open - dlopen(RTLD_NOW|RTLD_LOCAL) file, find berth_module,
 * check it, and check the name matches `name` (the file stem) when
 * given.  Refuses group/world-writable files.  *out owned by caller
 * (modules_close).
 */
int	modules_open(const char *file, const char *name,
	    struct core_mod **out, struct berth_err *err);
void	modules_close(struct core_mod *m);
/* Resolve a config entry to a file path: name only inside moduledir. */
int	modules_path(const char *moduledir, const struct conf_module *cm,
	    char *buf, size_t len, struct berth_err *err);

/*
 * modules_start - open every module of c, check its config keys, order
 * by requires/provides and init each.  A required module's failure is
 * fatal (-errno returned); an optional one logs one warning and is
 * skipped.  validate_only stops before init (berthd --validate).
 */
int	modules_start(struct engine_conf *c, const char *moduledir,
	    int validate_only, struct berth_err *err);
/*
 * modules_reload - SIGHUP: reload running modules with their new
 * subtree, start modules new to c, stop modules no longer listed.
 */
int	modules_reload(struct engine_conf *c, const char *moduledir,
	    struct berth_err *err);
/* fini every running module, in reverse start order. */
void	modules_stop(void);
/* Free the records (at exit). */
void	modules_free(void);
/* Iterate running modules in start order. */
struct core_mod *modules_first(void);

/* host.c: fill m->host. */
void	host_init(struct core_mod *m);
/* How many slots the table has (tests). */
size_t	host_nslots(void);

#endif

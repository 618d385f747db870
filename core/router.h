/*
 * router.h - method + path pattern -> handler, and the /vX.Y prefix.
 *
 * Routes are data: tables registered by modules (and the core) with an
 * owner, so a module whose init fails can be unwound.
 */
#ifndef BERTH_CORE_ROUTER_H
#define BERTH_CORE_ROUTER_H

#include <stddef.h>

#include <berth/err.h>
#include <berth/route.h>

#include "http.h"

struct core_mod;

struct router_match {
	const struct berth_route	*route;
	void				*state;
	struct core_mod			*owner;
	struct http_kv			 params[8];	/* owned after match */
	size_t				 nparams;
};

/* router_add - register n routes for owner; -EEXIST on a duplicate. */
int	router_add(struct core_mod *owner, const struct berth_route *routes,
	    size_t n, void *state, struct berth_err *err);
/* router_remove_owner - forget every route of owner. */
void	router_remove_owner(struct core_mod *owner);
void	router_clear(void);

/*
 * router_version - strip a leading "/v<digits>.<digits>" from path.
 * Returns 1 and sets *version (100*major+minor) and *rest if there was
 * one, 0 if there was none, -1 if the segment starts like a version
 * but does not parse (such paths are simply not found, as in Docker).
 */
int	router_version(const char *path, int *version, const char **rest);

/*
 * router_match - find the route for method and path (prefix stripped).
 * 0 on a match (m filled, params owned by m: free with
 * router_match_clear), -ENOENT if no pattern matches the path,
 * -EOPNOTSUPP if one does but not for this method.
 */
int	router_match(enum berth_method method, const char *path,
	    struct router_match *m);
void	router_match_clear(struct router_match *m);

/* "1.25" -> 125; -1 if malformed. */
int	router_version_num(const char *s);

#endif

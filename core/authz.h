/*
 * authz.h - the authorization chain.
 *
 * Runs every driver named in `authorization-plugins:` (registry
 * interface authz/1), in order, on each request before its handler and
 * on each complete response before it is sent.  It fails closed: a
 * missing driver, a driver error and a timeout all deny.
 */
#ifndef BERTH_CORE_AUTHZ_H
#define BERTH_CORE_AUTHZ_H

#include <stddef.h>

#include <berth/err.h>

#include "http.h"

/*
 * The verdict: status 0 allows; otherwise the HTTP status (403 denied,
 * 500 driver failure) and the message for the client.
 */
typedef void	(*authz_done_fn)(struct berth_req *r, int status,
		    const char *msg, void *arg);

/*
 * authz_configure - set the chain (names copied) and the per-driver
 * timeout.  Every name must be provided by a loaded module: -ENOENT
 * otherwise, so berthd refuses to start, as dockerd does.
 */
int	authz_configure(char *const *names, int timeout_s,
	    struct berth_err *err);
int	authz_enabled(void);
/* Names of the chain as a JSON array (for /info), new reference. */
json_object *authz_names_json(void);

void	authz_request(struct berth_req *r, authz_done_fn done, void *arg);
void	authz_response(struct berth_req *r, int status, const char *ctype,
	    const void *body, size_t len, authz_done_fn done, void *arg);
/* r is going away: a pending chain must not call back for it. */
void	authz_forget(struct berth_req *r);
void	authz_fini(void);

#endif

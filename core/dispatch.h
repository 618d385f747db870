/* dispatch.h - request routing and authorization, see dispatch.c. */
#ifndef BERTH_CORE_DISPATCH_H
#define BERTH_CORE_DISPATCH_H

#include <stddef.h>

#include "http.h"

/* authz verdict for a request: run the handler or answer the error. */
void	dispatch_authorized(struct berth_req *r, int status, const char *msg,
	    void *arg);
/* A complete response, through the response phase of authorization. */
void	dispatch_respond(struct berth_req *r, int status, const char *ctype,
	    const void *body, size_t len);

#endif

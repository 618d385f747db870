/*
 * berth/route.h - HTTP routes a module serves.
 *
 * A service module registers a table of routes with berth_host.route.
 * The core strips the optional /vX.Y prefix, checks the API version,
 * runs the authorization chain, and only then calls the handler.
 *
 * Patterns are literal segments and `{name}` parameters matching one
 * path segment; a final `{name*}` matches the rest of the path, slashes
 * included (image names: /images/{name*}/json is written as a pattern
 * whose greedy parameter is followed by literal tail segments, and the
 * router tries the tail first).  Parameters are percent-decoded.
 */
#ifndef BERTH_ROUTE_H
#define BERTH_ROUTE_H

#include <stddef.h>
#include <stdint.h>

enum berth_method {
	BERTH_GET = 1,
	BERTH_HEAD,
	BERTH_POST,
	BERTH_PUT,
	BERTH_DELETE,
};

/* Route flags. */
#define BERTH_ROUTE_STREAM_BODY	0x1u	/* body pieces via req_body_stream */

/* Default limit on a buffered request body. */
#define BERTH_BODY_MAX_DEFAULT	(4u << 20)

/* Opaque: one request, owned by the core. */
struct berth_req;

/*
 * A handler runs on the loop thread after authorization allowed the
 * request.  It must finish the request exactly once, now or later, with
 * one of the final calls of berth_host (resp_json, resp_raw, resp_status,
 * resp_error, resp_end after resp_start, resp_hijack).  The request stays
 * valid until then, even if the client goes away meanwhile.
 */
typedef void	(*berth_handler)(struct berth_req *req, void *state);

struct berth_route {
	enum berth_method	 method;
	const char		*pattern;	/* "/volumes/{name}" */
	const char		*min_version;	/* "1.25"; NULL = any */
	berth_handler		 handler;
	uint32_t		 flags;		/* BERTH_ROUTE_* */
	uint64_t		 body_max;	/* 0 = BERTH_BODY_MAX_DEFAULT */
};

#endif

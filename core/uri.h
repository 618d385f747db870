/*
 * uri.h - the one canonical form of a request target, shared by the
 * router and the authorization drivers.
 */
#ifndef BERTH_CORE_URI_H
#define BERTH_CORE_URI_H

#include <stddef.h>

struct http_kv;

/* Percent-decode s[0..len) into a new string; plus_space for queries. */
char	*uri_pct_decode(const char *s, size_t len, int plus_space);

/*
 * Decode a raw path once and give it back in two spellings of the same
 * string of segments: *decoded ("/a/b", what the router matches) and
 * *encoded (each segment re-escaped, what a driver is shown).  Empty
 * segments ("//", a trailing "/") are dropped.  A path that cannot be
 * one unambiguous string of segments - a bad escape, an escaped "/", a
 * NUL, a "." or ".." segment - is refused: returns -EINVAL with *why
 * set to a static message, and nothing allocated.  -ENOMEM otherwise.
 * Both strings are the caller's.
 */
int	uri_canon_path(const char *raw, size_t len, char **decoded,
	    char **encoded, const char **why);

/*
 * The canonical request target: encoded path plus the query re-encoded
 * from its decoded pairs ("?a=1&b=x%20y"), so a driver that decodes it
 * gets exactly the parameters the handler gets.  NULL on ENOMEM.
 */
char	*uri_target(const char *encoded_path, const struct http_kv *query,
	    size_t nquery);

#endif

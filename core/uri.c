/*
 * uri.c - the one canonical form of a request target.
 *
 * The router matches a decoded path; an authorization driver matches a
 * string.  If the two could differ, a driver that denies
 * "DELETE /volumes/" would be walked around by "/%76olumes/x" or
 * "/volumes%2Fx".  So the path is decoded exactly once, here, and both
 * the router and the drivers get that one result: the router as
 * decoded segments, the drivers re-escaped in one spelling (decoding it
 * again gives the router's string back, never a second layer).
 *
 * What has no single reading is refused instead of guessed at: an
 * escaped "/" (is it a separator or part of a name?), NUL, and "." or
 * ".." segments (Docker's router would redirect to the cleaned path; no
 * Docker client sends them).  See docs/architecture.md, "Request
 * targets".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "uri.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
uri_pct_decode(const char *s, size_t len, int plus_space)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus_space && s[i] == '+')
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* RFC 3986 unreserved characters plus those in `extra`: kept as is. */
static int
keep(unsigned char c, const char *extra)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~' || (c != '\0' && strchr(extra, c) != NULL);
}

/* Append s[0..len) escaped to o; returns the new end. */
static char *
escape(char *o, const char *s, size_t len, const char *extra)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			i;
	unsigned char		c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (keep(c, extra))
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	return o;
}

/* Path segment characters (RFC 3986 pchar) that need no escape. */
#define SEG_KEEP	"!$&'()*+,;=:@"

/* Decode one raw segment into o; returns the new end or NULL (why set). */
static char *
seg_decode(char *o, const char *s, size_t len, const char **why)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= len ||
		    (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0) {
			*why = "malformed escape in request path";
			return NULL;
		}
		if (hi == 0 && lo == 0) {
			*why = "NUL in request path";
			return NULL;
		}
		if (hi == 2 && lo == 0xf) {
			*why = "escaped '/' in request path";
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	return o;
}

int
uri_canon_path(const char *raw, size_t len, char **decoded, char **encoded,
    const char **why)
{
	const char	*p = raw, *end = raw + len, *slash;
	char		*dec, *enc, *d, *e, *seg;

	*decoded = *encoded = NULL;
	if ((dec = malloc(len + 2)) == NULL ||
	    (enc = malloc(3 * len + 2)) == NULL) {
		free(dec);
		return -ENOMEM;
	}
	d = dec;
	e = enc;
	while (p < end) {
		if ((slash = memchr(p, '/', (size_t)(end - p))) == NULL)
			slash = end;
		if (slash > p) {
			*d++ = '/';
			seg = d;
			if ((d = seg_decode(d, p, (size_t)(slash - p), why)) ==
			    NULL)
				goto bad;
			if ((d - seg == 1 && seg[0] == '.') ||
			    (d - seg == 2 && seg[0] == '.' && seg[1] == '.')) {
				*why = "'.' or '..' segment in request path";
				goto bad;
			}
			*e++ = '/';
			e = escape(e, seg, (size_t)(d - seg), SEG_KEEP);
		}
		p = slash + 1;
	}
	if (d == dec) {
		*d++ = '/';
		*e++ = '/';
	}
	*d = '\0';
	*e = '\0';
	*decoded = dec;
	*encoded = enc;
	return 0;
bad:
	free(dec);
	free(enc);
	return -EINVAL;
}

/* Query component characters that need no escape ('&', '=', '+' do). */
#define QUERY_KEEP	"!$'()*,;:@/?"

char *
uri_target(const char *encoded_path, const struct http_kv *query,
    size_t nquery)
{
	size_t	 i, len = strlen(encoded_path) + 1;
	char	*out, *o;

	for (i = 0; i < nquery; i++)
		len += 3 * (strlen(query[i].name) + strlen(query[i].value)) + 2;
	if ((out = malloc(len)) == NULL)
		return NULL;
	o = stpcpy(out, encoded_path);
	for (i = 0; i < nquery; i++) {
		*o++ = i == 0 ? '?' : '&';
		o = escape(o, query[i].name, strlen(query[i].name), QUERY_KEEP);
		if (query[i].value[0] != '\0') {
			*o++ = '=';
			o = escape(o, query[i].value, strlen(query[i].value),
			    QUERY_KEEP);
		}
	}
	*o = '\0';
	return out;
}

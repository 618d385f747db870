/*
 * router.c - a flat list of patterns, matched segment by segment.
 *
 * A few dozen routes are matched per request; a list is faster than
 * anything cleverer at that size and trivially correct.  A greedy
 * `{name*}` parameter (image references contain slashes) matches one or
 * more segments, as few as possible while the literal tail still
 * matches: /images/{name*}/json takes "localhost:5000/a/b" for name.
 */
#include <stdlib.h>
#include <string.h>

#include "router.h"

#define SEG_MAX	32

struct route_entry {
	const struct berth_route	*route;
	void				*state;
	struct core_mod			*owner;
	struct route_entry		*next;
};

static struct route_entry	*routes_head;

int
router_version_num(const char *s)
{
	char	*end;
	long	 major, minor;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	major = strtol(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	minor = strtol(end + 1, &end, 10);
	if (*end != '\0' || major > 99 || minor > 99)
		return -1;
	return (int)(major * 100 + minor);
}

int
router_version(const char *path, int *version, const char **rest)
{
	char		 buf[16];
	const char	*p = path + 2, *slash;
	size_t		 len;
	int		 v;

	if (strncmp(path, "/v", 2) != 0 || p[0] < '0' || p[0] > '9')
		return 0;
	slash = strchr(p, '/');
	len = slash ? (size_t)(slash - p) : strlen(p);
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (strspn(buf, "0123456789.") != len ||
	    (v = router_version_num(buf)) < 0)
		return -1;
	*version = v;
	*rest = slash ? slash : "/";
	return 1;
}

/* Split "/a/b/c" into segments (pointers into buf). */
static size_t
split(char *buf, char **seg, size_t max)
{
	size_t	 n = 0;
	char	*p = buf, *s;

	while (*p == '/')
		p++;
	while (*p != '\0' && n < max) {
		s = p;
		while (*p != '\0' && *p != '/')
			p++;
		if (*p == '/')
			*p++ = '\0';
		seg[n++] = s;
	}
	/* A path with more segments than we handle matches nothing. */
	if (*p != '\0')
		return max + 1;
	return n;
}

static int
is_param(const char *s, size_t *namelen, int *greedy)
{
	size_t	len = strlen(s);

	if (len < 3 || s[0] != '{' || s[len - 1] != '}')
		return 0;
	*greedy = s[len - 2] == '*';
	*namelen = len - 2 - (*greedy ? 1 : 0);
	return 1;
}

static void
params_clear(struct http_kv *p, size_t *n)
{
	while (*n > 0) {
		(*n)--;
		free(p[*n].name);
		free(p[*n].value);
	}
}

static int
param_add(struct router_match *m, const char *name, size_t namelen,
    char **seg, size_t from, size_t to)
{
	size_t	 i, len = 0;
	char	*v;

	if (m->nparams >= sizeof(m->params) / sizeof(m->params[0]))
		return -1;
	for (i = from; i < to; i++)
		len += strlen(seg[i]) + 1;
	if ((v = malloc(len + 1)) == NULL)
		return -1;
	v[0] = '\0';
	for (i = from; i < to; i++) {
		if (i > from)
			strcat(v, "/");
		strcat(v, seg[i]);
	}
	m->params[m->nparams].name = strndup(name, namelen);
	m->params[m->nparams].value = v;
	if (m->params[m->nparams].name == NULL) {
		free(v);
		return -1;
	}
	m->nparams++;
	return 0;
}

/* Match pattern segments pat[pi..] against path segments seg[si..]. */
static int
match_from(char **pat, size_t np, size_t pi, char **seg, size_t ns,
    size_t si, struct router_match *m)
{
	size_t	namelen, end, saved;
	int	greedy;

	if (pi == np)
		return si == ns;
	if (!is_param(pat[pi], &namelen, &greedy)) {
		if (si == ns || strcmp(pat[pi], seg[si]) != 0)
			return 0;
		return match_from(pat, np, pi + 1, seg, ns, si + 1, m);
	}
	if (si == ns || seg[si][0] == '\0')
		return 0;
	if (!greedy) {
		saved = m->nparams;
		if (param_add(m, pat[pi] + 1, namelen, seg, si, si + 1) < 0)
			return 0;
		if (match_from(pat, np, pi + 1, seg, ns, si + 1, m))
			return 1;
		params_clear(m->params + saved, &(size_t){ m->nparams - saved });
		m->nparams = saved;
		return 0;
	}
	for (end = si + 1; end <= ns; end++) {
		saved = m->nparams;
		if (param_add(m, pat[pi] + 1, namelen, seg, si, end) < 0)
			return 0;
		if (match_from(pat, np, pi + 1, seg, ns, end, m))
			return 1;
		params_clear(m->params + saved, &(size_t){ m->nparams - saved });
		m->nparams = saved;
	}
	return 0;
}

static int
pattern_match(const char *pattern, const char *path, struct router_match *m)
{
	char	 pbuf[512], sbuf[4096], *pat[SEG_MAX], *seg[SEG_MAX];
	size_t	 np, ns;

	if (strlen(pattern) >= sizeof(pbuf) || strlen(path) >= sizeof(sbuf))
		return 0;
	strcpy(pbuf, pattern);
	strcpy(sbuf, path);
	if ((np = split(pbuf, pat, SEG_MAX)) > SEG_MAX ||
	    (ns = split(sbuf, seg, SEG_MAX)) > SEG_MAX)
		return 0;
	m->nparams = 0;
	return match_from(pat, np, 0, seg, ns, 0, m);
}

int
router_add(struct core_mod *owner, const struct berth_route *routes,
    size_t n, void *state, struct berth_err *err)
{
	struct route_entry	*e, *added = NULL, *tail;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (routes[i].pattern == NULL || routes[i].pattern[0] != '/' ||
		    routes[i].handler == NULL || routes[i].method == 0 ||
		    (routes[i].min_version != NULL &&
		    router_version_num(routes[i].min_version) < 0)) {
			berth_err_set(err, -EINVAL, "invalid route %zu (%s)", i,
			    routes[i].pattern ? routes[i].pattern : "null");
			goto fail;
		}
		for (e = routes_head; e != NULL; e = e->next)
			if (e->route->method == routes[i].method &&
			    strcmp(e->route->pattern, routes[i].pattern) == 0)
				break;
		for (tail = added; e == NULL && tail != NULL; tail = tail->next)
			if (tail->route->method == routes[i].method &&
			    strcmp(tail->route->pattern, routes[i].pattern) == 0)
				e = tail;
		if (e != NULL) {
			berth_err_set(err, -EEXIST,
			    "route %s is already served", routes[i].pattern);
			goto fail;
		}
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			berth_err_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
		e->route = &routes[i];
		e->state = state;
		e->owner = owner;
		e->next = added;
		added = e;
	}
	/* All or nothing: only now join the table. */
	while ((e = added) != NULL) {
		added = e->next;
		e->next = routes_head;
		routes_head = e;
	}
	return 0;
fail:
	while ((e = added) != NULL) {
		added = e->next;
		free(e);
	}
	return err ? err->code : -EINVAL;
}

void
router_remove_owner(struct core_mod *owner)
{
	struct route_entry	**pp = &routes_head, *e;

	while ((e = *pp) != NULL) {
		if (e->owner == owner) {
			*pp = e->next;
			free(e);
		} else
			pp = &e->next;
	}
}

void
router_clear(void)
{
	struct route_entry	*e;

	while ((e = routes_head) != NULL) {
		routes_head = e->next;
		free(e);
	}
}

int
router_match(enum berth_method method, const char *path,
    struct router_match *m)
{
	struct route_entry	*e, *best = NULL;
	int			 path_seen = 0, best_greedy = 0, greedy;

	memset(m, 0, sizeof(*m));
	/*
	 * Prefer a route without a greedy parameter, so that
	 * /images/json is the list and not the inspect of "json".
	 */
	for (e = routes_head; e != NULL; e = e->next) {
		struct router_match	 t;

		memset(&t, 0, sizeof(t));
		if (!pattern_match(e->route->pattern, path, &t))
			continue;
		path_seen = 1;
		greedy = strchr(e->route->pattern, '*') != NULL ||
		    strchr(e->route->pattern, '{') != NULL;
		if (e->route->method != method ||
		    (best != NULL && (greedy || !best_greedy))) {
			params_clear(t.params, &t.nparams);
			continue;
		}
		if (best != NULL)
			params_clear(m->params, &m->nparams);
		*m = t;
		best = e;
		best_greedy = greedy;
	}
	if (best == NULL)
		return path_seen ? -EOPNOTSUPP : -ENOENT;
	m->route = best->route;
	m->state = best->state;
	m->owner = best->owner;
	return 0;
}

void
router_match_clear(struct router_match *m)
{
	params_clear(m->params, &m->nparams);
}

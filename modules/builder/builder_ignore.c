/*
 * builder_ignore.c - .dockerignore, as Docker reads it: one pattern a
 * line, '#' comments, '!' exceptions, leading '/' and "./" dropped;
 * '*', '?' and '[...]' within a path segment and "**" for any number of
 * segments.  The last pattern that matches a path, or one of its parent
 * directories, decides.  The same glob serves COPY's wildcards.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"

/* Segments of pat against segments of path; "**" spans any number. */
static int
glob_seg(const char *pat, const char *path)
{
	const char	*pe, *se;
	char		 ps[256], ss[256];
	size_t		 pn, sn;

	for (;;) {
		if (*pat == '\0')
			return *path == '\0';
		pe = strchr(pat, '/');
		pn = pe != NULL ? (size_t)(pe - pat) : strlen(pat);
		if (pn == 2 && strncmp(pat, "**", 2) == 0) {
			const char *rest = pe != NULL ? pe + 1 : "";

			for (;;) {
				if (glob_seg(rest, path))
					return 1;
				if (*path == '\0')
					return 0;
				se = strchr(path, '/');
				path = se != NULL ? se + 1 : path + strlen(path);
			}
		}
		if (*path == '\0')
			return 0;
		se = strchr(path, '/');
		sn = se != NULL ? (size_t)(se - path) : strlen(path);
		if (pn >= sizeof(ps) || sn >= sizeof(ss))
			return 0;
		memcpy(ps, pat, pn);
		ps[pn] = '\0';
		memcpy(ss, path, sn);
		ss[sn] = '\0';
		if (fnmatch(ps, ss, 0) != 0)
			return 0;
		pat += pn + (pe != NULL);
		path += sn + (se != NULL);
		if (pe == NULL && *path != '\0')
			return 0;
	}
}

int
bld_glob(const char *pat, const char *path)
{
	while (*pat == '/')
		pat++;
	while (*path == '/')
		path++;
	return glob_seg(pat, path);
}

void
bld_ignore_free(struct bld_ignore *ig)
{
	size_t	i;

	for (i = 0; i < ig->n; i++)
		free(ig->pat[i]);
	free(ig->pat);
	free(ig->neg);
	memset(ig, 0, sizeof(*ig));
}

/* A pattern made clean: no leading '/' or "./", no trailing '/'. */
static char *
clean(const char *s, size_t n)
{
	char	*out, *p;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	for (;;) {
		if (n > 0 && *s == '/') {
			s++;
			n--;
		} else if (n > 1 && s[0] == '.' && s[1] == '/') {
			s += 2;
			n -= 2;
		} else
			break;
	}
	while (n > 1 && s[n - 1] == '/')
		n--;
	if ((out = strndup(s, n)) == NULL)
		return NULL;
	/* "a//b" is "a/b". */
	for (p = out; (p = strstr(p, "//")) != NULL; )
		memmove(p, p + 1, strlen(p));
	return out;
}

int
bld_ignore_load(struct bld_ignore *ig, const char *text)
{
	const char	*p = text, *nl;
	size_t		 n;
	int		 neg;
	char		*pat, **pv;
	int		*nv;

	memset(ig, 0, sizeof(*ig));
	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		if (n == 0 || *p == '#')
			goto next;
		neg = *p == '!';
		if ((pat = clean(p + neg, n - (size_t)neg)) == NULL)
			return -ENOMEM;
		if (*pat == '\0' || strcmp(pat, ".") == 0) {
			free(pat);
			goto next;
		}
		if ((pv = realloc(ig->pat, (ig->n + 1) * sizeof(*pv))) ==
		    NULL) {
			free(pat);
			return -ENOMEM;
		}
		ig->pat = pv;
		if ((nv = realloc(ig->neg, (ig->n + 1) * sizeof(*nv))) ==
		    NULL) {
			free(pat);
			return -ENOMEM;
		}
		ig->neg = nv;
		ig->pat[ig->n] = pat;
		ig->neg[ig->n++] = neg;
next:
		p = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

/* Does pat match path or one of its parent directories? */
static int
matches(const char *pat, const char *path)
{
	char	buf[4096];
	char	*s;

	if (bld_glob(pat, path))
		return 1;
	if (strlen(path) >= sizeof(buf))
		return 0;
	strcpy(buf, path);
	while ((s = strrchr(buf, '/')) != NULL) {
		*s = '\0';
		if (bld_glob(pat, buf))
			return 1;
	}
	return 0;
}

int
bld_ignore_match(const struct bld_ignore *ig, const char *path)
{
	size_t	i;
	int	excluded = 0;

	for (i = 0; ig != NULL && i < ig->n; i++)
		if (ig->neg[i] == excluded && matches(ig->pat[i], path))
			excluded = !ig->neg[i];
	return excluded;
}

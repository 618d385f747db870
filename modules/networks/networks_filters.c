/*
 * networks_filters.c - Docker's filters= for GET /networks (driver, id,
 * label, name, scope, type, dangling) and POST /networks/prune (until,
 * label, label!), on the SDK's one filter parser.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <berth/filters.h>
#include <berth/timefmt.h>

#include "networks.h"

static const char *const list_keys[] = { "driver", "id", "label", "name",
    "scope", "type", "dangling", NULL };
static const char *const prune_keys[] = { "until", "label", "label!",
    NULL };

struct nw_filters {
	json_object	*f;
	int		 dangling;	/* -1: not asked */
	int64_t		 until;		/* 0: not asked */
};

int
networks_filters_parse(const char *s, int prune, struct nw_filters **out,
    struct berth_err *err)
{
	struct nw_filters	*nf;
	const char		*t;
	int64_t			 sec, now;
	long			 ns;
	size_t			 i;
	int			 rc;

	*out = NULL;
	if ((nf = calloc(1, sizeof(*nf))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	if ((rc = berth_filters_parse(s, prune ? prune_keys : list_keys,
	    &nf->f, err)) < 0 ||
	    (rc = berth_filters_bool(nf->f, "dangling", &nf->dangling,
	    err)) < 0)
		goto fail;
	for (i = 0; i < berth_filters_len(nf->f, "type"); i++) {
		t = berth_filters_at(nf->f, "type", i);
		if (strcmp(t, "custom") != 0 && strcmp(t, "builtin") != 0) {
			rc = berth_err_set(err, -EINVAL, "Invalid filter: "
			    "'type'='%s'", t);
			goto fail;
		}
	}
	if (berth_filters_len(nf->f, "until") > 0) {
		berth_time_now(&now, &ns);
		t = berth_filters_at(nf->f, "until", 0);
		if (berth_timestamp_parse(t, now, &sec, &ns) < 0) {
			rc = berth_err_set(err, -EINVAL, "failed to parse "
			    "value '%s' of filter 'until'", t);
			goto fail;
		}
		nf->until = sec;
	}
	*out = nf;
	return 0;
fail:
	networks_filters_free(nf);
	return rc;
}

/* Docker matches names and IDs as regular expressions. */
static int
rx_match(const char *pattern, const char *s)
{
	regex_t	re;
	int	ok;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return strstr(s, pattern) != NULL;
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* Some value of key satisfies the test (or key is not asked for). */
static int
any(json_object *f, const char *key, const char *s, int exact)
{
	size_t		 i, n = berth_filters_len(f, key);
	const char	*v;

	for (i = 0; i < n; i++) {
		v = berth_filters_at(f, key, i);
		if (exact ? strcmp(v, s) == 0 : rx_match(v, s))
			return 1;
	}
	return n == 0;
}

int
networks_filters_match(struct networks *nw, const struct nw_filters *nf,
    const struct nw_net *n)
{
	int64_t	sec;
	long	ns;

	if (nf == NULL)
		return 1;
	if (!any(nf->f, "name", n->name, 0) || !any(nf->f, "id", n->id, 0) ||
	    !any(nf->f, "driver", n->driver, 1) ||
	    !any(nf->f, "scope", "local", 1) ||
	    !any(nf->f, "type", n->predefined ? "builtin" : "custom", 1) ||
	    !berth_filters_labels(nf->f, n->labels))
		return 0;
	/* Predefined networks are never dangling; used ones neither. */
	if (nf->dangling != -1 && nf->dangling ==
	    (n->predefined || networks_net_in_use(nw, n)))
		return 0;
	if (nf->until != 0 && (n->created == NULL ||
	    berth_time_parse(n->created, &sec, &ns) < 0 || sec >= nf->until))
		return 0;
	return 1;
}

void
networks_filters_free(struct nw_filters *nf)
{
	if (nf == NULL)
		return;
	json_object_put(nf->f);
	free(nf);
}

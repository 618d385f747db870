/*
 * images_filters.c - the `filters` query parameter: a JSON object of
 * key -> {"value": true} (what the CLI sends) or key -> ["value"] (the
 * legacy form), with Docker's Args semantics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/filters.h>

#include "images.h"

struct images_filters {
	json_object	*keys;	/* key -> array of strings */
};

/* Every key some images route takes; each route checks its own after. */
static const char *const all_keys[] = {
	"dangling", "label", "label!", "before", "since", "reference",
	"until", NULL
};

/*
 * Parsed by the SDK's one parser, as every route's filters are: a value
 * that is not such JSON is 400 naming the parameter (dockerd 20.10
 * answers 500 here; later Docker releases 400, as berth does).
 */
int
images_filters_parse(const char *json, struct images_filters **fp,
    struct berth_err *err)
{
	struct images_filters	*f;
	int			 rc;

	*fp = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	if ((rc = berth_filters_parse(json, all_keys, &f->keys, err)) < 0) {
		free(f);
		return rc;
	}
	if (f->keys == NULL)
		f->keys = json_object_new_object();
	*fp = f;
	return 0;
}

void
images_filters_free(struct images_filters *f)
{
	if (f == NULL)
		return;
	json_object_put(f->keys);
	free(f);
}

int
images_filters_validate(const struct images_filters *f,
    const char *const *accepted, struct berth_err *err)
{
	size_t	i;
	int	ok;

	json_object_object_foreach(f->keys, key, val) {
		(void)val;
		ok = 0;
		for (i = 0; accepted[i] != NULL; i++)
			if (strcmp(key, accepted[i]) == 0)
				ok = 1;
		if (!ok)
			return berth_err_set(err, -EINVAL,
			    "Invalid filter '%s'", key);
	}
	return 0;
}

static json_object *
values(const struct images_filters *f, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(f->keys, key, &v))
		return NULL;
	return v;
}

int
images_filters_has(const struct images_filters *f, const char *key)
{
	return values(f, key) != NULL;
}

size_t
images_filters_count(const struct images_filters *f, const char *key)
{
	json_object	*v = values(f, key);

	return v ? json_object_array_length(v) : 0;
}

const char *
images_filters_value(const struct images_filters *f, const char *key,
    size_t i)
{
	json_object	*v = values(f, key);

	if (v == NULL || i >= json_object_array_length(v))
		return NULL;
	return json_object_get_string(json_object_array_get_idx(v, i));
}

int
images_filters_exact(const struct images_filters *f, const char *key,
    const char *value)
{
	size_t		 i, n = images_filters_count(f, key);

	/* Docker: no values for the key matches everything. */
	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (strcmp(images_filters_value(f, key, i), value) == 0)
			return 1;
	return 0;
}

int
images_filters_match_kv(const struct images_filters *f, const char *key,
    json_object *labels)
{
	const char	*want, *eq, *have;
	json_object	*v;
	size_t		 i, n = images_filters_count(f, key), klen;
	char		 k[1024];

	if (n == 0)
		return 1;
	if (labels == NULL || !json_object_is_type(labels, json_type_object) ||
	    json_object_object_length(labels) == 0)
		return 0;
	for (i = 0; i < n; i++) {
		want = images_filters_value(f, key, i);
		eq = strchr(want, '=');
		klen = eq ? (size_t)(eq - want) : strlen(want);
		snprintf(k, sizeof(k), "%.*s", (int)klen, want);
		if (!json_object_object_get_ex(labels, k, &v))
			return 0;
		have = json_object_get_string(v);
		if (eq != NULL && strcmp(eq + 1, have ? have : "") != 0)
			return 0;
	}
	return 1;
}

int
images_filters_invalid(const struct images_filters *f, const char *key,
    struct berth_err *err)
{
	char	buf[BERTH_ERR_MSGLEN];
	size_t	i, n = images_filters_count(f, key), len;

	len = (size_t)snprintf(buf, sizeof(buf), "Invalid filter '%s", key);
	for (i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    i == 0 ? "=" : ",", images_filters_value(f, key, i));
	return berth_err_set(err, -EINVAL, "%s'", buf);
}

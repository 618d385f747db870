/*
 * berth/filters.h - Docker's `filters=` query parameter, parsed one way
 * for every list and prune route.  A value is a JSON object of keys to
 * value sets, {"label":{"a=b":true}}, or the old form {"label":["a=b"]};
 * values of one key are ORed by the caller, keys ANDed.  Static inline,
 * so a module links nothing from the core.
 */
#ifndef BERTH_FILTERS_H
#define BERTH_FILTERS_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include <berth/err.h>

/*
 * Parse s (NULL or "" is no filter: *out NULL) into an object of key ->
 * array of strings, owned by the caller.  A value that is not such JSON
 * is -EINVAL naming the parameter (400); a key not in keys (a
 * NULL-terminated list) is -EINVAL "Invalid filter 'k'", as Docker.
 */
static inline int
berth_filters_parse(const char *s, const char *const *keys, json_object **out,
    struct berth_err *err)
{
	json_object	*o, *f, *a;
	size_t		 i;

	*out = NULL;
	if (s == NULL || *s == '\0')
		return 0;
	if ((o = json_tokener_parse(s)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return berth_err_set(err, -EINVAL, "invalid filters parameter: "
		    "want a JSON object of filter names to values, got '%s'", s);
	}
	f = json_object_new_object();
	json_object_object_foreach(o, k, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL) {
			berth_err_set(err, -EINVAL, "Invalid filter '%s'", k);
			goto fail;
		}
		a = json_object_new_array();
		json_object_object_add(f, k, a);
		if (json_object_is_type(v, json_type_object)) {
			json_object_object_foreach(v, val, on) {
				(void)on;
				json_object_array_add(a,
				    json_object_new_string(val));
			}
		} else if (json_object_is_type(v, json_type_array)) {
			for (i = 0; i < json_object_array_length(v); i++) {
				if (!json_object_is_type(
				    json_object_array_get_idx(v, i),
				    json_type_string))
					break;
				json_object_array_add(a, json_object_get(
				    json_object_array_get_idx(v, i)));
			}
			if (i < json_object_array_length(v))
				goto bad;
		} else
			goto bad;
	}
	json_object_put(o);
	*out = f;
	return 0;
bad:
	berth_err_set(err, -EINVAL, "invalid filters parameter: want a JSON "
	    "object of filter names to values, got '%s'", s);
fail:
	json_object_put(o);
	json_object_put(f);
	return err != NULL ? err->code : -EINVAL;
}

/* How many values key has (0 when absent), and the i-th. */
static inline size_t
berth_filters_len(json_object *f, const char *key)
{
	json_object	*a;

	if (f == NULL || !json_object_object_get_ex(f, key, &a))
		return 0;
	return json_object_array_length(a);
}

static inline const char *
berth_filters_at(json_object *f, const char *key, size_t i)
{
	json_object	*a;

	if (f == NULL || !json_object_object_get_ex(f, key, &a))
		return NULL;
	return json_object_get_string(json_object_array_get_idx(a, i));
}

/* "k" is a label of labels, or "k=v" is one exactly. */
static inline int
berth_filters_label_is(json_object *labels, const char *want)
{
	const char	*eq = strchr(want, '=');
	json_object	*val;
	char		*key;
	int		 ok;

	if (labels == NULL || !json_object_is_type(labels, json_type_object))
		return 0;
	if ((key = strndup(want, eq != NULL ? (size_t)(eq - want) :
	    strlen(want))) == NULL)
		return 0;
	ok = json_object_object_get_ex(labels, key, &val) &&
	    (eq == NULL || strcmp(json_object_get_string(val), eq + 1) == 0);
	free(key);
	return ok;
}

/*
 * label (every value matches: ANDed, as Docker) and label! (none does):
 * 1 when labels pass both.
 */
static inline int
berth_filters_labels(json_object *f, json_object *labels)
{
	size_t	i;

	for (i = 0; i < berth_filters_len(f, "label"); i++)
		if (!berth_filters_label_is(labels,
		    berth_filters_at(f, "label", i)))
			return 0;
	for (i = 0; i < berth_filters_len(f, "label!"); i++)
		if (berth_filters_label_is(labels,
		    berth_filters_at(f, "label!", i)))
			return 0;
	return 1;
}

/*
 * A boolean filter (dangling): *out 1/0, or -1 when absent.  Docker
 * takes true, false, 1 and 0; anything else is -EINVAL.
 */
static inline int
berth_filters_bool(json_object *f, const char *key, int *out,
    struct berth_err *err)
{
	const char	*v;

	*out = -1;
	if (berth_filters_len(f, key) == 0)
		return 0;
	v = berth_filters_at(f, key, 0);
	if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return berth_err_set(err, -EINVAL, "Invalid filter '%s=%s'",
		    key, v);
	return 0;
}

#endif

/*
 * berth/json.h - JSON helpers that match how Docker decodes requests.
 *
 * Docker's daemon decodes JSON field names case-insensitively and lets
 * the last of duplicate keys win.  json-c keeps the last duplicate;
 * berth_json_get adds the case-insensitive match (an exact match wins).
 * Static inline: modules link nothing from the core.
 */
#ifndef BERTH_JSON_H
#define BERTH_JSON_H

#include <strings.h>

#include <json-c/json.h>

#include <berth/err.h>

/* The member named key (any case) of obj, borrowed; NULL if none. */
static inline json_object *
berth_json_get(json_object *obj, const char *key)
{
	json_object	*v = NULL;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (json_object_object_get_ex(obj, key, &v))
		return v;
	v = NULL;
	json_object_object_foreach(obj, k, val) {
		if (strcasecmp(k, key) == 0)
			v = val;
	}
	return v;
}

/* The string member key, or NULL if absent, null or not a string. */
static inline const char *
berth_json_str(json_object *obj, const char *key)
{
	json_object	*v = berth_json_get(obj, key);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * A map of strings (Labels, Options, DriverOpts), or null or absent:
 * 0; anything else -EINVAL naming what (400).
 */
static inline int
berth_json_string_map(json_object *o, const char *what, struct berth_err *err)
{
	if (o == NULL || json_object_is_type(o, json_type_null))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return berth_err_set(err, -EINVAL, "%s must be a map", what);
	json_object_object_foreach(o, k, val) {
		(void)k;
		if (!json_object_is_type(val, json_type_string))
			return berth_err_set(err, -EINVAL, "%s values must be "
			    "strings", what);
	}
	return 0;
}

#endif

/*
 * volumes_filters.c - Docker's filters= for GET /volumes (name, driver,
 * label, dangling) and POST /volumes/prune (label, label!).  Values of
 * one key are ORed, keys are ANDed; labels are ANDed, as Docker does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <berth/json.h>

#include "volumes.h"

struct vs_filters {
	json_object	*name, *driver, *label, *nlabel, *dangling;
};

static const char *const list_keys[] = { "name", "driver", "label",
    "dangling", NULL };
static const char *const prune_keys[] = { "label", "label!", NULL };

/* {"k":{"v":true}} or the old {"k":["v"]}: an array of strings. */
static json_object *
filters_values(json_object *v)
{
	json_object	*a;

	if (json_object_is_type(v, json_type_array))
		return json_object_get(v);
	if (!json_object_is_type(v, json_type_object))
		return NULL;
	a = json_object_new_array();
	json_object_object_foreach(v, k, val) {
		(void)val;
		json_object_array_add(a, json_object_new_string(k));
	}
	return a;
}

int
volumes_filters_parse(const char *s, int prune, struct vs_filters **out,
    struct berth_err *err)
{
	const char *const	*keys = prune ? prune_keys : list_keys;
	struct vs_filters	*f;
	json_object		*o, *vals, **slot;
	size_t			 i;
	const char		*d;

	*out = NULL;
	if (s == NULL || *s == '\0')
		return 0;
	if ((o = json_tokener_parse(s)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return berth_err_set(err, -EIO, "invalid filter: %s", s);
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		json_object_put(o);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	json_object_object_foreach(o, k, v) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], k) == 0)
				break;
		if (keys[i] == NULL) {
			berth_err_set(err, -EINVAL, "Invalid filter '%s'", k);
			goto fail;
		}
		if ((vals = filters_values(v)) == NULL) {
			berth_err_set(err, -EIO, "invalid filter: %s", s);
			goto fail;
		}
		slot = strcmp(k, "name") == 0 ? &f->name :
		    strcmp(k, "driver") == 0 ? &f->driver :
		    strcmp(k, "label") == 0 ? &f->label :
		    strcmp(k, "label!") == 0 ? &f->nlabel : &f->dangling;
		json_object_put(*slot);
		*slot = vals;
	}
	json_object_put(o);
	for (i = 0; f->dangling != NULL &&
	    i < json_object_array_length(f->dangling); i++) {
		d = json_object_get_string(json_object_array_get_idx(
		    f->dangling, i));
		if (strcasecmp(d, "true") != 0 && strcasecmp(d, "false") != 0 &&
		    strcmp(d, "1") != 0 && strcmp(d, "0") != 0) {
			berth_err_set(err, -EINVAL, "Invalid filter "
			    "'dangling=%s'", d);
			volumes_filters_free(f);
			return -EINVAL;
		}
	}
	*out = f;
	return 0;
fail:
	json_object_put(o);
	volumes_filters_free(f);
	return err->code;
}

/* "k" is present, or "k=v" matches exactly. */
static int
label_match(const struct vs_vol *v, const char *want)
{
	const char	*eq = strchr(want, '=');
	json_object	*val;
	char		 key[512];
	size_t		 n;

	if (v->labels == NULL)
		return 0;
	n = eq != NULL ? (size_t)(eq - want) : strlen(want);
	if (n >= sizeof(key))
		return 0;
	memcpy(key, want, n);
	key[n] = '\0';
	if (!json_object_object_get_ex(v->labels, key, &val))
		return 0;
	return eq == NULL || strcmp(json_object_get_string(val), eq + 1) == 0;
}

int
volumes_filters_match(const struct vs_filters *f, const struct vs_vol *v)
{
	size_t		 i, n;
	int		 ok;
	const char	*s;

	if (f == NULL)
		return 1;
	if (f->name != NULL) {
		n = json_object_array_length(f->name);
		for (i = 0, ok = 0; i < n && !ok; i++)
			ok = strstr(v->name, json_object_get_string(
			    json_object_array_get_idx(f->name, i))) != NULL;
		if (!ok)
			return 0;
	}
	if (f->driver != NULL) {
		n = json_object_array_length(f->driver);
		for (i = 0, ok = 0; i < n && !ok; i++)
			ok = strcmp(v->driver, json_object_get_string(
			    json_object_array_get_idx(f->driver, i))) == 0;
		if (!ok)
			return 0;
	}
	for (i = 0; f->label != NULL && i < json_object_array_length(f->label);
	    i++)
		if (!label_match(v, json_object_get_string(
		    json_object_array_get_idx(f->label, i))))
			return 0;
	for (i = 0; f->nlabel != NULL &&
	    i < json_object_array_length(f->nlabel); i++)
		if (label_match(v, json_object_get_string(
		    json_object_array_get_idx(f->nlabel, i))))
			return 0;
	if (f->dangling != NULL && json_object_array_length(f->dangling) > 0) {
		s = json_object_get_string(json_object_array_get_idx(
		    f->dangling, 0));
		ok = strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0;
		if (ok != (volumes_users(v) == 0))
			return 0;
	}
	return 1;
}

void
volumes_filters_free(struct vs_filters *f)
{
	if (f == NULL)
		return;
	json_object_put(f->name);
	json_object_put(f->driver);
	json_object_put(f->label);
	json_object_put(f->nlabel);
	json_object_put(f->dangling);
	free(f);
}

/*
 * builder_cache.c - the layer cache, keyed as Docker's local cache is: a
 * step is served by the image built before from the same parent with the
 * same container config (the step's command, or "#(nop) " and the
 * instruction, with a hash of what COPY/ADD copied).
 *
 * Docker finds such an image by walking the parent's children; berth
 * keeps the same relation as an index, sha256(parent, config) -> image,
 * in memory and in <data-root>/builder/cache.json (written whole,
 * atomically, in a worker).  An entry whose image is gone is a miss and
 * is dropped, so `docker rmi` invalidates the cache as in Docker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <berth/fs.h>
#include <berth/json.h>

#include "builder.h"

static void
gb_add(struct bld_buf *b, const char *s)
{
	bld_buf_add(b, s, strlen(s));
}

static int
cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
canon(struct bld_buf *b, json_object *o)
{
	const char	**keys;
	size_t		  i, n;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		if (json_object_is_type(o, json_type_array)) {
			gb_add(b, "[");
			for (i = 0; i < json_object_array_length(o); i++) {
				if (i > 0)
					gb_add(b, ",");
				canon(b, json_object_array_get_idx(o, i));
			}
			gb_add(b, "]");
		} else
			gb_add(b, json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN));
		return;
	}
	n = (size_t)json_object_object_length(o);
	if ((keys = calloc(n + 1, sizeof(*keys))) == NULL)
		return;
	i = 0;
	json_object_object_foreach(o, k, v) {
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(*keys), cmp_keys);
	gb_add(b, "{");
	for (i = 0; i < n; i++) {
		json_object *s = json_object_new_string(keys[i]);

		if (i > 0)
			gb_add(b, ",");
		gb_add(b, json_object_to_json_string_ext(s,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(s);
		gb_add(b, ":");
		canon(b, json_object_object_get(o, keys[i]));
	}
	gb_add(b, "}");
	free(keys);
}

/* o as JSON with every object's keys sorted; the caller frees it; NULL
 * when out of memory. */
char *
bld_json_canonical(json_object *o)
{
	struct bld_buf	b = { 0 };

	canon(&b, o);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

void
bld_cache_key(const char *parent, json_object *cfg, char *hex)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;
	char		*c = bld_json_canonical(cfg);
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();

	/* No config, no key: "" is never looked up nor stored. */
	hex[0] = '\0';
	if (c != NULL && ctx != NULL &&
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		(void)EVP_DigestUpdate(ctx, parent, strlen(parent) + 1);
		(void)EVP_DigestUpdate(ctx, c, strlen(c));
		(void)EVP_DigestFinal_ex(ctx, md, &n);
	}
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
	free(c);
}

/* At init, not on the loop: the index is read from disk once. */
void
bld_cache_load(struct builder *b)
{
	char	path[PATH_MAX];

	if (b->cache != NULL)
		return;
	snprintf(path, sizeof(path), "%s/cache.json", b->root);
	b->cache = json_object_from_file(path);
	if (b->cache == NULL || !json_object_is_type(b->cache, json_type_object)) {
		json_object_put(b->cache);
		b->cache = json_object_new_object();
	}
}

struct save_job {
	struct builder	*b;
	char		 path[PATH_MAX];
	char		*text;
};

static void	save(struct builder *);

static void
save_work(void *arg)
{
	struct save_job	*j = arg;

	(void)berth_write_file(j->path, j->text, strlen(j->text), 0600, 1);
}

/* One write at a time (they share the temporary name); the latest wins. */
static void
save_done(void *arg)
{
	struct save_job	*j = arg;
	struct builder	*b = j->b;

	free(j->text);
	free(j);
	b->cache_saving = 0;
	if (b->cache_dirty && !b->stopping) {
		b->cache_dirty = 0;
		save(b);
	}
}

static void
save(struct builder *b)
{
	struct save_job	*j;

	if (b->cache_saving) {
		b->cache_dirty = 1;
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->b = b;
	snprintf(j->path, sizeof(j->path), "%s/cache.json", b->root);
	if ((j->text = strdup(json_object_to_json_string_ext(b->cache,
	    JSON_C_TO_STRING_PLAIN))) == NULL) {
		free(j);
		return;
	}
	b->cache_saving = 1;
	if (b->h->work(b->h, save_work, save_done, j) < 0) {
		b->cache_saving = 0;
		free(j->text);
		free(j);
	}
}

/* 0 and id ("sha256:...") if the cache holds an image that exists. */
int
bld_cache_get(struct builder *b, const char *hex, char *id)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	const char		*v;

	if (*hex == '\0' || (v = berth_json_str(b->cache, hex)) == NULL)
		return -ENOENT;
	if (b->img->resolve(b->img_st, v, id, NULL, &err) < 0 ||
	    strcmp(id, v) != 0) {
		json_object_object_del(b->cache, hex);
		save(b);
		return -ENOENT;
	}
	return 0;
}

void
bld_cache_put(struct builder *b, const char *hex, const char *id)
{
	if (*hex == '\0')
		return;
	json_object_object_add(b->cache, hex, json_object_new_string(id));
	save(b);
}

/* docker builder prune: forget every entry (images stay images). */
int
bld_cache_prune(struct builder *b, int *n)
{
	*n = json_object_object_length(b->cache);
	json_object_put(b->cache);
	b->cache = json_object_new_object();
	save(b);
	return 0;
}

void
bld_cache_fini(struct builder *b)
{
	json_object_put(b->cache);
	b->cache = NULL;
}

/*
 * volumes_df.c - the volumes part of GET /system/df (df/1): every
 * volume with UsageData, its size measured in a work job (local volumes;
 * -1 for other drivers, as Docker does) and RefCount its users.
 */
#include <stdlib.h>
#include <string.h>

#include <berth/df.h>

#include "volumes.h"

struct df_job {
	struct volumes		*vs;
	struct vs_vol		**v;
	char			**path;
	int64_t			*size;
	size_t			 n;
	berth_df_done_cb	 done;
	void			*arg;
};

static void
df_work(void *arg)
{
	struct df_job	*j = arg;
	size_t		 i;

	for (i = 0; i < j->n; i++)
		j->size[i] = j->path[i] != NULL ? volumes_du(j->path[i]) : -1;
}

static void
df_free(struct df_job *j)
{
	size_t	i;

	for (i = 0; i < j->n; i++) {
		volumes_vol_unref(j->v[i]);
		free(j->path[i]);
	}
	free(j->v);
	free(j->path);
	free(j->size);
	free(j);
}

static void
df_done(void *arg)
{
	struct df_job	*j = arg;
	json_object	*part, *list, *u;
	size_t		 i;

	list = json_object_new_array();
	for (i = 0; i < j->n; i++) {
		if (j->v[i]->gone)
			continue;
		u = json_object_new_object();
		json_object_object_add(u, "Size",
		    json_object_new_int64(j->size[i]));
		json_object_object_add(u, "RefCount",
		    json_object_new_int64(volumes_users(j->v[i])));
		json_object_array_add(list, volumes_json(j->v[i], u));
	}
	part = json_object_new_object();
	json_object_object_add(part, "Volumes", list);
	j->done(j->arg, part);
	json_object_put(part);
	df_free(j);
}

static void
volumes_df(void *st, berth_df_done_cb done, void *arg)
{
	struct volumes	*vs = st;
	struct vs_vol	*v;
	struct df_job	*j;
	size_t		 n = 0;

	TAILQ_FOREACH(v, &vs->vols, entry)
		n++;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->v = calloc(n + 1, sizeof(*j->v))) == NULL ||
	    (j->path = calloc(n + 1, sizeof(*j->path))) == NULL ||
	    (j->size = calloc(n + 1, sizeof(*j->size))) == NULL) {
		if (j != NULL)
			df_free(j);
		done(arg, NULL);
		return;
	}
	j->vs = vs;
	j->done = done;
	j->arg = arg;
	TAILQ_FOREACH(v, &vs->vols, entry) {
		if (v->creating)
			continue;
		volumes_vol_ref(v);
		j->v[j->n] = v;
		if (strcmp(v->driver, "local") == 0 && v->mountpoint != NULL)
			j->path[j->n] = strdup(v->mountpoint);
		j->n++;
	}
	if (vs->h->work(vs->h, df_work, df_done, j) < 0) {
		df_work(j);
		df_done(j);
	}
}

const struct berth_df_ops volumes_df_ops = {
	.size = sizeof(struct berth_df_ops),
	.df = volumes_df,
};

/*
 * networks_store.c - what the service keeps on disk: one JSON record per
 * network, <data-root>/networks/<id>.json, written atomically in a work
 * job and read once at start.  The record holds what the API shows and
 * which gateway addresses were asked of IPAM, so a restart can ask for
 * exactly the same again; pool IDs are not kept (IPAM hands them out
 * again on replay).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/fs.h>
#include <berth/json.h>

#include "networks.h"

struct store_job {
	struct networks	*nw;
	char		*path;
	char		*text;		/* NULL: delete */
	int		 rc;
	nw_done_cb	 cb;
	void		*arg;
};

static void
add_str(json_object *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, k, json_object_new_string(v));
}

json_object *
networks_record(const struct nw_net *n)
{
	json_object	*o = json_object_new_object(), *pools, *p;
	size_t		 i;

	add_str(o, "Id", n->id);
	add_str(o, "Name", n->name);
	add_str(o, "Driver", n->driver);
	add_str(o, "Created", n->created);
	add_str(o, "IPAMDriver", n->ipam_driver);
	if (n->ipam_options != NULL)
		json_object_object_add(o, "IPAMOptions",
		    json_object_get(n->ipam_options));
	pools = json_object_new_array();
	for (i = 0; i < n->npools; i++) {
		p = json_object_new_object();
		add_str(p, "Subnet", n->pools[i].subnet);
		add_str(p, "IPRange", n->pools[i].ip_range);
		add_str(p, "Gateway", n->pools[i].gateway);
		if (n->pools[i].aux != NULL)
			json_object_object_add(p, "AuxiliaryAddresses",
			    json_object_get(n->pools[i].aux));
		json_object_object_add(p, "GatewayHeld",
		    json_object_new_boolean(n->pools[i].gw_held));
		json_object_array_add(pools, p);
	}
	json_object_object_add(o, "Pools", pools);
	json_object_object_add(o, "Options", json_object_get(n->options));
	json_object_object_add(o, "Labels", json_object_get(n->labels));
	json_object_object_add(o, "Internal",
	    json_object_new_boolean(n->internal));
	json_object_object_add(o, "Attachable",
	    json_object_new_boolean(n->attachable));
	json_object_object_add(o, "Predefined",
	    json_object_new_boolean(n->predefined));
	return o;
}

static int
dup_str(json_object *o, const char *k, char **out, int required)
{
	const char	*s = berth_json_str(o, k);

	if (s == NULL)
		return required ? -EINVAL : 0;
	return (*out = strdup(s)) == NULL ? -ENOMEM : 0;
}

static int
get_bool(json_object *o, const char *k)
{
	json_object	*x = berth_json_get(o, k);

	return x != NULL && json_object_get_boolean(x);
}

static json_object *
get_obj(json_object *o, const char *k)
{
	json_object	*x = berth_json_get(o, k);

	return x != NULL && json_object_is_type(x, json_type_object) ?
	    json_object_get(x) : NULL;
}

/* A record back into a network (not linked); NULL with err set. */
struct nw_net *
networks_from_record(json_object *o, struct berth_err *err)
{
	struct nw_net	*n;
	json_object	*pools, *p;
	const char	*id;
	size_t		 i, np;
	int		 rc = 0;

	id = berth_json_str(o, "Id");
	if (id == NULL || strlen(id) != NW_ID_LEN ||
	    strspn(id, "0123456789abcdef") != NW_ID_LEN) {
		berth_err_set(err, -EINVAL, "record without a valid Id");
		return NULL;
	}
	if ((n = networks_net_new()) == NULL) {
		berth_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(n->id, id, NW_ID_LEN + 1);
	if ((rc = dup_str(o, "Name", &n->name, 1)) < 0 ||
	    (rc = dup_str(o, "Driver", &n->driver, 1)) < 0 ||
	    (rc = dup_str(o, "Created", &n->created, 0)) < 0 ||
	    (rc = dup_str(o, "IPAMDriver", &n->ipam_driver, 1)) < 0)
		goto fail;
	n->ipam_options = get_obj(o, "IPAMOptions");
	json_object_put(n->options);
	json_object_put(n->labels);
	n->options = get_obj(o, "Options");
	n->labels = get_obj(o, "Labels");
	if (n->options == NULL)
		n->options = json_object_new_object();
	if (n->labels == NULL)
		n->labels = json_object_new_object();
	n->internal = get_bool(o, "Internal");
	n->attachable = get_bool(o, "Attachable");
	n->predefined = get_bool(o, "Predefined");
	pools = berth_json_get(o, "Pools");
	np = pools != NULL && json_object_is_type(pools, json_type_array) ?
	    json_object_array_length(pools) : 0;
	if (np > 0 && (n->pools = calloc(np, sizeof(*n->pools))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	n->npools = np;
	for (i = 0; i < np && rc == 0; i++) {
		p = json_object_array_get_idx(pools, i);
		if ((rc = dup_str(p, "Subnet", &n->pools[i].subnet, 1)) < 0 ||
		    (rc = dup_str(p, "IPRange", &n->pools[i].ip_range, 0)) < 0 ||
		    (rc = dup_str(p, "Gateway", &n->pools[i].gateway, 0)) < 0)
			break;
		n->pools[i].aux = get_obj(p, "AuxiliaryAddresses");
		n->pools[i].gw_held = get_bool(p, "GatewayHeld");
	}
	if (rc == 0)
		return n;
fail:
	berth_err_set(err, rc, rc == -ENOMEM ? "out of memory" :
	    "record lacks a field");
	networks_net_unref(n);
	return NULL;
}

static void
store_work(void *arg)
{
	struct store_job	*j = arg;

	if (j->text != NULL)
		j->rc = berth_write_file(j->path, j->text, strlen(j->text),
		    0600, 1);
	else if (unlink(j->path) == -1 && errno != ENOENT)
		j->rc = -errno;
}

static void
store_done(void *arg)
{
	struct store_job	*j = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (j->rc < 0)
		berth_err_set(&err, j->rc, "network record %s: %s", j->path,
		    strerror(-j->rc));
	j->cb(j->arg, j->rc, j->rc < 0 ? &err : NULL);
	free(j->path);
	free(j->text);
	free(j);
}

/* Write o (NULL: delete) at path, atomically, in a work job. */
void
networks_write(struct networks *nw, const char *path, json_object *o,
    nw_done_cb cb, void *arg)
{
	struct store_job	*j;
	struct berth_err	 err = BERTH_ERR_INIT;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto nomem;
	j->nw = nw;
	j->cb = cb;
	j->arg = arg;
	j->path = strdup(path);
	if (o != NULL)
		j->text = strdup(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
	if (j->path != NULL && (o == NULL || j->text != NULL) &&
	    nw->h->work(nw->h, store_work, store_done, j) == 0)
		return;
	free(j->path);
	free(j->text);
	free(j);
nomem:
	berth_err_set(&err, -ENOMEM, "out of memory");
	cb(arg, -ENOMEM, &err);
}

static void
store_go(struct networks *nw, struct nw_net *n, int del, nw_done_cb cb,
    void *arg)
{
	json_object	*o = del ? NULL : networks_record(n);
	char		 p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s.json", nw->dir, n->id);
	networks_write(nw, p, o, cb, arg);
	json_object_put(o);
}

void
networks_save(struct networks *nw, struct nw_net *n, nw_done_cb cb, void *arg)
{
	store_go(nw, n, 0, cb, arg);
}

void
networks_forget(struct networks *nw, struct nw_net *n, nw_done_cb cb,
    void *arg)
{
	store_go(nw, n, 1, cb, arg);
}

/* Read every record once, before berthd serves; leftovers of a crash go. */
int
networks_load(struct networks *nw, struct berth_err *err)
{
	struct berth_err	 e;
	struct nw_net		*n;
	struct dirent		*d;
	json_object		*o;
	DIR			*dir;
	char			 p[PATH_MAX];
	size_t			 len;
	int			 rc;

	if ((rc = berth_mkdirs(nw->dir, 0700)) < 0)
		return berth_err_set(err, rc, "%s: %s", nw->dir, strerror(-rc));
	/* A write a kill -9 cut short leaves its temporary. */
	(void)berth_sweep_tmp(nw->dir);
	snprintf(p, sizeof(p), "%s/endpoints", nw->dir);
	(void)berth_sweep_tmp(p);
	if ((dir = opendir(nw->dir)) == NULL)
		return berth_err_errno(err, "%s", nw->dir);
	while ((d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		snprintf(p, sizeof(p), "%s/%s", nw->dir, d->d_name);
		/* The temporary file of a write a crash cut short. */
		if (len > 9 && strcmp(d->d_name + len - 9, ".json.tmp") == 0) {
			(void)unlink(p);
			continue;
		}
		if (len < 6 || strcmp(d->d_name + len - 5, ".json") != 0)
			continue;
		berth_err_clear(&e);
		n = NULL;
		if ((o = json_object_from_file(p)) != NULL &&
		    (n = networks_from_record(o, &e)) != NULL &&
		    networks_by_name(nw, n->name) != NULL)
			berth_err_set(&e, -EEXIST, "a second network %s",
			    n->name);
		json_object_put(o);
		if (n == NULL || e.code != 0) {
			nw->h->log(nw->h, BERTH_LOG_WARN, "%s: unreadable "
			    "network record, skipped%s%s", p,
			    e.msg[0] ? ": " : "", e.msg);
			if (n != NULL)
				networks_net_unref(n);
			continue;
		}
		/* Listed at once; busy (no remove) while it is restored. */
		n->ready = 1;
		networks_link(nw, n);
		networks_net_unref(n);
	}
	closedir(dir);
	snprintf(p, sizeof(p), "%s/endpoints", nw->dir);
	return networks_ep_load(nw, p);
}

/*
 * containers_commit.c - GET /containers/{id}/changes (`docker diff`) and
 * POST /commit (`docker commit`).
 *
 * The images service owns the rootfs, so both are image/1 calls; this
 * file adds what only the container knows: its Config, its image and
 * the pause around a commit (pause=1, Docker's default since API 1.13): a running
 * container is paused through runtime/1 before, resumed after, with the
 * pause and unpause events, as daemon/commit.go does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>

#include "containers.h"

/* --- docker diff --------------------------------------------------------------- */

struct diff_req {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
};

static void
diff_done(void *arg, int rc, json_object *changes, const struct berth_err *err)
{
	struct diff_req	*d = arg;

	if (rc < 0)
		d->cs->h->resp_error(d->req, err);
	else
		d->cs->h->resp_json(d->req, 200, changes);
	ctr_unref(d->c);
	free(d);
}

void
containers_h_changes(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct diff_req		*d;
	struct ctr		*c;

	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if (!BERTH_IMAGE_HAS(cs->img, changes)) {
		berth_err_set(&err, -ENOTSUP, "the images service cannot "
		    "list a container's changes");
		h->resp_error(req, &err);
		return;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	d->cs = cs;
	d->req = req;
	d->c = c;
	ctr_ref(c);
	cs->img->changes(cs->img_st, c->id, diff_done, d);
}

/* --- docker commit ------------------------------------------------------------- */

struct commit_req {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
	json_object		*config;	/* the body's; the request's */
	int			 paused;	/* by us: resume after */
	int			 rc;
	struct berth_err	 err;
	char			 id[BERTH_IMAGE_ID_LEN + 1];
};

static void
commit_answer(struct commit_req *cr)
{
	json_object	*o;

	if (cr->rc < 0)
		cr->cs->h->resp_error(cr->req, &cr->err);
	else {
		o = json_object_new_object();
		json_object_object_add(o, "Id", json_object_new_string(cr->id));
		cr->cs->h->resp_json(cr->req, 201, o);
		json_object_put(o);
	}
	ctr_unref(cr->c);
	free(cr);
}

static void
commit_resumed(void *arg, int rc, const struct berth_err *err)
{
	struct commit_req	*cr = arg;
	struct ctr		*c = cr->c;

	(void)err;
	/* As Docker's deferred unpause: a failure is not the commit's. */
	if (rc == 0) {
		if (c->st.status == CTR_PAUSED)
			c->st.status = CTR_RUNNING;
		containers_save(c);
		containers_emit(c, "unpause", NULL);
	}
	commit_answer(cr);
}

static void
commit_done(void *arg, int rc, const char *id, const char *ref,
    const struct berth_err *err)
{
	struct commit_req		*cr = arg;
	struct ctr			*c = cr->c;
	const struct berth_runtime_ops	*rt;
	struct berth_err		 rerr = BERTH_ERR_INIT;
	const char			*comment;
	json_object			*a;
	void				*rst;

	cr->rc = rc;
	if (rc < 0)
		cr->err = *err;
	else {
		snprintf(cr->id, sizeof(cr->id), "%s", id);
		comment = cr->cs->h->req_query(cr->req, "comment", 0);
		a = json_object_new_object();
		json_object_object_add(a, "comment",
		    json_object_new_string(comment ? comment : ""));
		json_object_object_add(a, "imageID",
		    json_object_new_string(id));
		json_object_object_add(a, "imageRef",
		    json_object_new_string(ref ? ref : ""));
		containers_emit(c, "commit", a);
		json_object_put(a);
	}
	if (!cr->paused ||
	    (rt = containers_runtime_of(c, &rst, &rerr)) == NULL) {
		commit_answer(cr);
		return;
	}
	rt->resume(rst, c->id, commit_resumed, cr);
}

static void
commit_go(struct commit_req *cr)
{
	const struct berth_host		*h = cr->cs->h;
	struct berth_image_commit	 bc;
	struct berth_err		 err = BERTH_ERR_INIT;
	const char			**changes;
	size_t				 n;

	for (n = 0; h->req_query(cr->req, "changes", n) != NULL; n++)
		;
	if ((changes = calloc(n + 1, sizeof(*changes))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		commit_done(cr, err.code, NULL, NULL, &err);
		return;
	}
	for (n = 0; (changes[n] = h->req_query(cr->req, "changes", n)) !=
	    NULL; n++)
		;
	memset(&bc, 0, sizeof(bc));
	bc.owner = cr->c->id;
	bc.image = cr->c->image_id;
	bc.container_config = cr->c->config;
	bc.config = cr->config;
	bc.changes = changes;
	bc.nchanges = n;
	bc.repo = h->req_query(cr->req, "repo", 0);
	bc.tag = h->req_query(cr->req, "tag", 0);
	bc.comment = h->req_query(cr->req, "comment", 0);
	bc.author = h->req_query(cr->req, "author", 0);
	/* Everything is copied: bc and changes go when this returns. */
	cr->cs->img->commit(cr->cs->img_st, &bc, commit_done, cr);
	free(changes);
}

static void
commit_paused(void *arg, int rc, const struct berth_err *err)
{
	struct commit_req	*cr = arg;
	struct ctr		*c = cr->c;

	(void)err;
	/* As Docker, a pause that fails does not stop the commit. */
	if (rc == 0) {
		cr->paused = 1;
		if (c->st.status == CTR_RUNNING)
			c->st.status = CTR_PAUSED;
		containers_save(c);
		containers_emit(c, "pause", NULL);
	}
	commit_go(cr);
}

void
containers_h_commit(struct berth_req *req, void *state)
{
	struct containers		*cs = state;
	const struct berth_host		*h = cs->h;
	struct berth_err		 err = BERTH_ERR_INIT;
	const struct berth_runtime_ops	*rt;
	struct commit_req		*cr;
	struct ctr			*c;
	json_object			*body = NULL;
	const char			*p;
	void				*rst;
	int				 pause;

	p = h->req_query(req, "container", 0);
	if (p == NULL || *p == '\0') {
		berth_err_set(&err, -EINVAL, "invalid name or ID supplied: "
		    "\"\"");
		h->resp_error(req, &err);
		return;
	}
	if ((c = containers_find(cs, p, &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if (containers_admit(c, CTR_OP_COMMIT, &err) < 0)
		;
	else if (!BERTH_IMAGE_HAS(cs->img, commit))
		berth_err_set(&err, -ENOTSUP, "the images service cannot "
		    "commit a container");
	else if (h->req_json(req, &body, &err) == 0 && body != NULL &&
	    !json_object_is_type(body, json_type_object))
		berth_err_set(&err, -EINVAL, "json: cannot unmarshal %s into "
		    "Go value of type runconfig.ContainerConfigWrapper",
		    json_type_to_name(json_object_get_type(body)));
	if (err.code != 0) {
		h->resp_error(req, &err);
		return;
	}
	if ((cr = calloc(1, sizeof(*cr))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	cr->cs = cs;
	cr->req = req;
	cr->c = c;
	cr->config = body;
	ctr_ref(c);
	p = h->req_query(req, "pause", 0);
	pause = (p == NULL || *p == '\0') ? h->req_version(req) >= 113 :
	    h->req_query_bool(req, "pause");
	if (pause && c->st.status == CTR_RUNNING && !c->starting &&
	    (rt = containers_runtime_of(c, &rst, &err)) != NULL) {
		rt->pause(rst, c->id, commit_paused, cr);
		return;
	}
	commit_go(cr);
}

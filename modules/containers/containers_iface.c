/*
 * containers_iface.c - container/1: the containers service's own
 * operations offered to other services (the builder's steps).
 *
 * Each op is the API handler's work without the request: the same
 * create, attach, start, wait and remove, so a builder's container is one
 * a user could have made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/container.h>

#include "containers.h"

struct iface_job {
	struct ctr			*c;	/* a reference, or NULL */
	berth_container_id_cb		 id_cb;
	berth_container_done_cb		 done_cb;
	void				*arg;
};

static struct iface_job *
job_new(struct ctr *c, void *arg)
{
	struct iface_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->c = c;
	j->arg = arg;
	if (c != NULL)
		ctr_ref(c);
	return j;
}

static void
job_free(struct iface_job *j)
{
	if (j->c != NULL)
		ctr_unref(j->c);
	free(j);
}

static void
oom(berth_container_done_cb cb, void *arg)
{
	struct berth_err	err = BERTH_ERR_INIT;

	berth_err_set(&err, -ENOMEM, "out of memory");
	cb(arg, -ENOMEM, &err);
}

static void
created(void *arg, int rc, struct ctr *c, json_object *warnings,
    const struct berth_err *err)
{
	struct iface_job	*j = arg;

	(void)warnings;
	j->id_cb(j->arg, rc, rc < 0 ? NULL : c->id, err);
	job_free(j);
}

static void
iface_create(void *st, json_object *body, const char *name,
    berth_container_id_cb done, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct iface_job	*j;

	if ((j = job_new(NULL, arg)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, NULL, &err);
		return;
	}
	j->id_cb = done;
	containers_create(st, body, name, created, j);
}

static void
attach_handed(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	if (rc < 0)
		c->cs->h->log(c->cs->h, BERTH_LOG_WARN,
		    "container %.12s: attach: %s", c->id,
		    err != NULL ? err->msg : strerror(-rc));
	ctr_unref(c);
}

static int
iface_attach(void *st, const char *id, int fd, uint32_t flags,
    struct berth_err *err)
{
	const struct berth_runtime_ops	*rt;
	void				*rst;
	struct ctr			*c;
	struct ctr_attach		*a;

	if ((c = containers_find(st, id, err)) == NULL || c->removing) {
		close(fd);
		return c == NULL ? err->code : berth_err_set(err, -EBUSY,
		    "container %s is being removed", id);
	}
	flags &= BERTH_CONTAINER_STDOUT | BERTH_CONTAINER_STDERR;
	containers_emit(c, "attach", NULL);
	if (c->st.rt_created && (c->st.status == CTR_RUNNING ||
	    c->st.status == CTR_PAUSED) && !c->starting) {
		if ((rt = containers_runtime_of(c, &rst, err)) == NULL) {
			close(fd);
			return err->code;
		}
		ctr_ref(c);
		rt->attach(rst, c->id, NULL, fd, flags, NULL, attach_handed, c);
		return 0;
	}
	/* Held until start hands it to the runtime, as the API's. */
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		close(fd);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	a->fd = fd;
	a->flags = flags;
	TAILQ_INSERT_TAIL(&c->attaches, a, entry);
	return 0;
}

static void
done_then_free(void *arg, int rc, const struct berth_err *err)
{
	struct iface_job	*j = arg;

	j->done_cb(j->arg, rc == -EALREADY ? 0 : rc, err);
	job_free(j);
}

/* The container id names, with a job holding it; NULL: done was told. */
static struct iface_job *
job_for(void *st, const char *id, berth_container_done_cb done, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct iface_job	*j;
	struct ctr		*c;

	if ((c = containers_find(st, id, &err)) == NULL) {
		done(arg, err.code, &err);
		return NULL;
	}
	if ((j = job_new(c, arg)) == NULL) {
		oom(done, arg);
		return NULL;
	}
	j->done_cb = done;
	return j;
}

static void
iface_start(void *st, const char *id, berth_container_done_cb done,
    void *arg)
{
	struct iface_job	*j;

	if ((j = job_for(st, id, done, arg)) != NULL)
		containers_start_user(j->c, done_then_free, j);
}

static void
iface_wait(void *st, const char *id, berth_container_exit_cb done, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ctr		*c;

	if ((c = containers_find(st, id, &err)) == NULL) {
		done(arg, err.code, -1, &err);
		return;
	}
	if (containers_wait_cb(c, done, arg) < 0) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, -1, &err);
	}
}

static void
iface_remove(void *st, const char *id, berth_container_done_cb done,
    void *arg)
{
	struct iface_job	*j;

	if ((j = job_for(st, id, done, arg)) == NULL)
		return;
	j->c->remove_volumes = 1;
	containers_remove(j->c, 1, done_then_free, j);
}

static const struct berth_container_ops iface_ops = {
	.size = sizeof(struct berth_container_ops),
	.create = iface_create,
	.attach = iface_attach,
	.start = iface_start,
	.wait = iface_wait,
	.remove = iface_remove,
};

int
containers_iface_provide(struct containers *cs, struct berth_err *err)
{
	return cs->h->provide(cs->h, BERTH_CONTAINER_IFACE,
	    BERTH_CONTAINER_DRIVER, &iface_ops, cs, err);
}

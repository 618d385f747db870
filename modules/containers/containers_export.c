/*
 * containers_export.c - GET /containers/{id}/export (`docker export`):
 * a tar of the container's root filesystem, without its volumes or
 * binds (as Docker), running or not.
 *
 * The rootfs is held through containers_fs.c (mounted if it was not,
 * and left as found), cloned into a detached tree so nothing can
 * unmount it under the stream, and written by a stream worker into a
 * pipe that the core sends on as the client reads.  Entries are named
 * from the root without a leading "./" ("bin/", "etc/hostname"), the
 * root itself left out, as Docker's.  Event export.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containers.h"

struct export_job {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;		/* referenced */
	struct ctr_fs		*fs;
	int			 refs;		/* the job, the answer */
	int			 out;		/* the pipe's writer */
	int			 rc;
	struct berth_err	 err;
};

static void
export_unref(struct export_job *j)
{
	if (--j->refs > 0)
		return;
	if (j->fs != NULL)
		containers_fs_close(j->fs);
	if (j->out >= 0)
		close(j->out);
	ctr_unref(j->c);
	free(j);
}

static void
export_work(void *arg)
{
	struct export_job	*j = arg;

	if ((j->rc = containers_fs_enter(j->fs, &j->err)) == 0)
		j->rc = containers_tar_write(j->fs->rootfd, "", "", 0, j->out,
		    &j->err);
	if (j->rc < 0 && j->rc != -EPIPE)
		j->cs->h->log(j->cs->h, BERTH_LOG_WARN,
		    "container %.12s: export: %s", j->c->id, j->err.msg);
	close(j->out);
	j->out = -1;
}

static void
export_worked(void *arg)
{
	struct export_job	*j = arg;

	containers_stream_end(j->cs);
	export_unref(j);
}

static void
export_sent(void *arg, int rc)
{
	export_unref(arg);
}

static void
export_opened(void *arg, int rc, const struct berth_err *err)
{
	struct export_job	*j = arg;
	const struct berth_host	*h = j->cs->h;
	int			 p[2];

	if (rc < 0) {
		h->resp_error(j->req, err);
		export_unref(j);
		return;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		berth_err_errno(&j->err, "pipe");
		h->resp_error(j->req, &j->err);
		export_unref(j);
		return;
	}
	j->out = p[1];
	j->refs++;		/* for the answer, until export_sent */
	if ((rc = containers_stream_start(j->cs, export_work, export_worked,
	    j)) < 0) {
		j->refs--;
		close(p[0]);
		berth_err_set(&j->err, rc, "Error exporting container %s: %s",
		    j->c->id, strerror(-rc));
		h->resp_error(j->req, &j->err);
		export_unref(j);
		return;
	}
	containers_emit(j->c, "export", NULL);
	h->resp_from_fd(j->req, 200, "application/x-tar", p[0], export_sent,
	    j);
}

/* GET /containers/{id}/export */
void
containers_h_export(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct export_job	*j;
	struct ctr		*c;

	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	if (containers_admit(c, CTR_OP_EXPORT, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->fs = containers_fs_new(c, 1)) == NULL) {
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	j->cs = cs;
	j->req = req;
	j->c = c;
	ctr_ref(c);
	j->refs = 1;
	j->out = -1;
	containers_fs_open(j->fs, export_opened, j);
}

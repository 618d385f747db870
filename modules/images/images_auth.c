/*
 * images_auth.c - POST /auth (`docker login`): the credentials are
 * tried against the registry (GET /v2/ and its challenge, as a pull
 * would meet it) and the answer is Docker's.  berthd keeps nothing: the
 * CLI stores the credentials and sends them with each push or pull.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>

#include "images.h"

struct auth_job {
	struct images		*st;
	struct berth_req	*req;
	struct images_ref	 ref;
	struct images_reg	 reg;
	char			 certs_dir[PATH_MAX];
	char			**insecure;
	int			 rc;
};

static void
auth_work(void *arg)
{
	struct auth_job		*j = arg;
	/* A repository scope is needed for a token; any name will do. */
	snprintf(j->ref.path, sizeof(j->ref.path), "library/hello-world");
	j->rc = images_reg_open(&j->reg, &j->ref, "pull", j->certs_dir,
	    j->insecure);
	images_reg_close(&j->reg);
}

static void
auth_done(void *arg)
{
	struct auth_job		*j = arg;
	const struct berth_host	*h = j->st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*o;

	if (j->rc < 0) {
		/* Docker: 401 for bad credentials, 500 for the rest. */
		berth_err_set(&err, j->rc == -EACCES ? -EACCES : -EIO,
		    "Get \"%s/v2/\": %s", j->reg.base[0] ? j->reg.base :
		    j->ref.domain, j->reg.err.msg);
		if (j->rc == -EACCES)
			berth_err_set(&err, -EACCES, "login attempt to "
			    "%s/v2/ failed with status: 401 Unauthorized",
			    j->reg.base);
		h->resp_error(j->req, &err);
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "Status",
		    json_object_new_string("Login Succeeded"));
		json_object_object_add(o, "IdentityToken",
		    json_object_new_string(""));
		h->resp_json(j->req, 200, o);
		json_object_put(o);
	}
	images_strv_free(j->insecure);
	explicit_bzero(&j->reg, sizeof(j->reg));
	j->st->requests--;
	free(j);
}

void
images_auth(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct auth_job		*j;
	json_object		*body;
	const char		*server, *u, *p;
	char			 host[IMAGES_NAME_MAX + 1];

	if (h->req_json(req, &body, &err) < 0) {
		h->resp_error(req, &err);
		return;
	}
	server = berth_json_str(body, "serveraddress");
	u = berth_json_str(body, "username");
	p = berth_json_str(body, "password");
	/* "https://index.docker.io/v1/" and friends are Docker Hub. */
	if (server == NULL || *server == '\0' ||
	    strstr(server, "index.docker.io") != NULL)
		snprintf(host, sizeof(host), "docker.io");
	else {
		if (strncmp(server, "https://", 8) == 0)
			server += 8;
		else if (strncmp(server, "http://", 7) == 0)
			server += 7;
		snprintf(host, sizeof(host), "%.*s", (int)strcspn(server, "/"),
		    server);
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	j->st = st;
	j->req = req;
	snprintf(j->ref.domain, sizeof(j->ref.domain), "%s", host);
	snprintf(j->reg.user, sizeof(j->reg.user), "%s", u != NULL ? u : "");
	snprintf(j->reg.pass, sizeof(j->reg.pass), "%s", p != NULL ? p : "");
	snprintf(j->certs_dir, sizeof(j->certs_dir), "%s", st->certs_dir);
	if ((j->insecure = images_insecure_copy(st)) == NULL)
		goto nomem;
	st->requests++;
	if (h->work(h, auth_work, auth_done, j) < 0) {
		j->rc = berth_err_set(&j->reg.err, -ENOMEM, "out of memory");
		auth_done(j);
	}
	return;
nomem:
	free(j);
	berth_err_set(&err, -ENOMEM, "out of memory");
	h->resp_error(req, &err);
}

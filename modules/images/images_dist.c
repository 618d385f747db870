/*
 * images_dist.c - GET /distribution/{name}/json: what the registry has
 * under a reference, without pulling it: the manifest's descriptor and
 * the platforms it serves (a list's entries, or the config's os and
 * architecture).  One work job, as /auth.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>

#include "images.h"

#define ACCEPT	"Accept: " \
		"application/vnd.docker.distribution.manifest.v2+json, " \
		"application/vnd.oci.image.manifest.v1+json, " \
		"application/vnd.docker.distribution.manifest.list.v2+json, " \
		"application/vnd.oci.image.index.v1+json"

struct dist_job {
	struct images		*st;
	struct berth_req	*req;
	struct images_ref	 ref;
	struct images_reg	 reg;
	char			 certs_dir[PATH_MAX];
	char			**insecure;
	json_object		*out;
	int			 rc;
};

static json_object *
platform(json_object *p)
{
	json_object	*o = json_object_new_object();
	const char	*s;

	if ((s = berth_json_str(p, "architecture")) != NULL)
		json_object_object_add(o, "architecture",
		    json_object_new_string(s));
	if ((s = berth_json_str(p, "os")) != NULL)
		json_object_object_add(o, "os", json_object_new_string(s));
	if ((s = berth_json_str(p, "variant")) != NULL)
		json_object_object_add(o, "variant", json_object_new_string(s));
	return o;
}

static int
get(struct dist_job *j, const char *what, struct images_reg_resp *rs)
{
	char	path[IMAGES_NAME_MAX * 2 + 64];

	snprintf(path, sizeof(path), "/v2/%s/%s", j->ref.path, what);
	return images_reg_get_json(&j->reg, path, NULL, rs);
}

static void
dist_work(void *arg)
{
	struct dist_job		*j = arg;
	struct images_reg_resp	 rs;
	json_object		*m = NULL, *c = NULL, *d, *ps, *list;
	const char		*mt, *cd;
	char			 hex[IMAGES_HEX + 1], what[IMAGES_TAG_MAX + 96];
	size_t			 i;

	memset(&rs, 0, sizeof(rs));
	if ((j->rc = images_reg_open(&j->reg, &j->ref, "pull", j->certs_dir,
	    j->insecure)) < 0)
		goto out;
	j->reg.accept = ACCEPT;
	snprintf(what, sizeof(what), "manifests/%s", j->ref.digest[0] ?
	    j->ref.digest : j->ref.tag);
	if ((j->rc = get(j, what, &rs)) < 0)
		goto out;
	images_sha256_hex(rs.body, rs.len, hex);
	m = json_tokener_parse(rs.body);
	mt = berth_json_str(m, "mediaType");
	if (mt == NULL)
		mt = rs.ctype;
	j->out = json_object_new_object();
	d = json_object_new_object();
	json_object_object_add(d, "mediaType", json_object_new_string(mt));
	snprintf(what, sizeof(what), "sha256:%s", hex);
	json_object_object_add(d, "digest", json_object_new_string(what));
	json_object_object_add(d, "size",
	    json_object_new_int64((int64_t)rs.len));
	json_object_object_add(j->out, "Descriptor", d);
	ps = json_object_new_array();
	json_object_object_add(j->out, "Platforms", ps);
	if ((list = berth_json_get(m, "manifests")) != NULL) {
		for (i = 0; i < json_object_array_length(list); i++)
			json_object_array_add(ps, platform(berth_json_get(
			    json_object_array_get_idx(list, i), "platform")));
		goto out;
	}
	if ((cd = berth_json_str(berth_json_get(m, "config"), "digest")) ==
	    NULL)
		goto out;
	snprintf(what, sizeof(what), "blobs/%s", cd);
	if ((j->rc = get(j, what, &rs)) < 0)
		goto out;
	c = json_tokener_parse(rs.body);
	json_object_array_add(ps, platform(c));
out:
	json_object_put(m);
	json_object_put(c);
	free(rs.body);
	images_reg_close(&j->reg);
}

static void
dist_done(void *arg)
{
	struct dist_job		*j = arg;
	const struct berth_host	*h = j->st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	char			 name[1024];

	if (j->rc < 0) {
		images_ref_string(&j->ref, name, sizeof(name));
		if (j->rc == -ENOENT)
			berth_err_set(&err, -ENOENT, "manifest for %s not "
			    "found: %s", name, j->reg.err.msg);
		else if (j->rc == -EACCES)
			berth_err_set(&err, -EACCES, "%s", j->reg.err.msg);
		else
			err = j->reg.err;
		h->resp_error(j->req, &err);
	} else
		h->resp_json(j->req, 200, j->out);
	json_object_put(j->out);
	images_strv_free(j->insecure);
	explicit_bzero(&j->reg, sizeof(j->reg));
	j->st->requests--;
	free(j);
}

void
images_distribution(struct berth_req *req, void *state)
{
	struct images		*st = state;
	const struct berth_host	*h = st->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct dist_job		*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	j->st = st;
	j->req = req;
	st->requests++;
	if (images_ref_parse(h->req_param(req, "name"), &j->ref, &err) < 0 ||
	    images_reg_auth(&j->reg, h->req_header(req,
	    "X-Registry-Auth")) < 0) {
		if (err.code == 0)
			err = j->reg.err;
		goto fail;
	}
	images_ref_default_tag(&j->ref);
	snprintf(j->certs_dir, sizeof(j->certs_dir), "%s", st->certs_dir);
	if ((j->insecure = images_insecure_copy(st)) != NULL &&
	    h->work(h, dist_work, dist_done, j) == 0)
		return;
	berth_err_set(&err, -ENOMEM, "out of memory");
fail:
	images_strv_free(j->insecure);
	st->requests--;
	free(j);
	h->resp_error(req, &err);
}

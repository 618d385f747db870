/*
 * containers_create.c - POST /containers/create: validate the body as
 * Docker does, merge the image's config into the container's, and
 * record the container (on disk before the 201, so an ID handed out
 * always exists).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <berth/json.h>

#include "containers.h"

/* Docker's rule: /?[a-zA-Z0-9][a-zA-Z0-9_.-]+ */
int
containers_name_valid(const char *name)
{
	const char	*p = name;

	if (p == NULL)
		return 0;
	if (*p == '/')
		p++;
	if (!isalnum((unsigned char)*p))
		return 0;
	if (p[1] == '\0')
		return 0;
	for (p++; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' &&
		    *p != '-')
			return 0;
	return strlen(name) < CONTAINERS_NAME_MAX;
}

/* Our own word lists: moods and pioneers of computing and science. */
static const char *const create_left[] = {
	"agile", "amber", "ardent", "bold", "brave", "bright", "calm",
	"candid", "clever", "cosmic", "curious", "daring", "deft", "eager",
	"earnest", "fearless", "fervent", "gentle", "glad", "graceful",
	"hardy", "honest", "humble", "jolly", "keen", "kind", "lively",
	"lucid", "merry", "mellow", "nimble", "noble", "patient", "placid",
	"plucky", "proud", "quiet", "quirky", "radiant", "serene", "sharp",
	"shy", "steady", "sunny", "swift", "tender", "tidy", "upbeat",
	"vivid", "warm", "witty", "zealous",
};
static const char *const create_right[] = {
	"babbage", "backus", "bartik", "bose", "carver", "cerf", "curie",
	"dijkstra", "easley", "euler", "faraday", "fermi", "feynman",
	"franklin", "galois", "gauss", "goldberg", "hamilton", "hawking",
	"hopper", "hypatia", "johnson", "kahan", "karp", "kepler", "knuth",
	"lamarr", "lamport", "liskov", "lovelace", "maxwell", "mccarthy",
	"meitner", "mirzakhani", "morse", "neumann", "noether", "pascal",
	"perlman", "raman", "ritchie", "shannon", "sinoussi", "thompson",
	"torvalds", "turing", "wiles", "wing", "wozniak", "yonath",
};

/* adjective_name; a retry count > 0 appends it, as Docker does. */
void
containers_random_name(char *buf, size_t len, uint64_t retry)
{
	uint32_t	r[2];

	if (getentropy(r, sizeof(r)) != 0) {
		r[0] = (uint32_t)getpid() * 2654435761u + (uint32_t)retry;
		r[1] = r[0] >> 7;
	}
	if (retry == 0)
		snprintf(buf, len, "%s_%s",
		    create_left[r[0] % (sizeof(create_left) /
		    sizeof(create_left[0]))],
		    create_right[r[1] % (sizeof(create_right) /
		    sizeof(create_right[0]))]);
	else
		snprintf(buf, len, "%s_%s%llu",
		    create_left[r[0] % (sizeof(create_left) /
		    sizeof(create_left[0]))],
		    create_right[r[1] % (sizeof(create_right) /
		    sizeof(create_right[0]))], (unsigned long long)retry);
}

static size_t
jlen(json_object *a)
{
	return a != NULL && json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
}

static int
create_empty_str(json_object *o, const char *key)
{
	const char	*s = berth_json_str(o, key);

	return s == NULL || *s == '\0';
}

/* Set key in cfg under its canonical name, dropping other spellings. */
static void
create_set(json_object *cfg, const char *key, json_object *v)
{
	int	again = 1;

	while (again) {
		again = 0;
		json_object_object_foreach(cfg, k, val) {
			(void)val;
			if (strcasecmp(k, key) == 0 && strcmp(k, key) != 0) {
				json_object_object_del(cfg, k);
				again = 1;
				break;
			}
		}
	}
	json_object_object_add(cfg, key, v);
}

static void
create_union(json_object *cfg, json_object *img, const char *key)
{
	json_object	*u = berth_json_get(cfg, key), *i = berth_json_get(img,
	    key), *out;

	if (i == NULL || !json_object_is_type(i, json_type_object))
		return;
	out = json_object_new_object();
	json_object_object_foreach(i, k1, v1)
		json_object_object_add(out, k1, json_object_get(v1));
	if (u != NULL && json_object_is_type(u, json_type_object)) {
		json_object_object_foreach(u, k2, v2)
			json_object_object_add(out, k2, json_object_get(v2));
	}
	create_set(cfg, key, out);
}

/*
 * Fill the container's Config from the image's (Docker's merge): user
 * values win; Env keeps the user's entries and adds the image's other
 * names; Labels, ExposedPorts and Volumes are unions; Cmd comes from the
 * image only when the user gave neither Cmd nor Entrypoint, and
 * Entrypoint only when the user did not set one at all.
 */
int
containers_merge_image(json_object *cfg, json_object *imgcfg,
    struct berth_err *err)
{
	json_object	*uenv, *ienv, *env, *ep, *cmd;
	const char	*s, *u, *eq;
	size_t		 i, j, klen;
	int		 found;

	if (imgcfg == NULL)
		return 0;
	if (create_empty_str(cfg, "User") &&
	    (s = berth_json_str(imgcfg, "User")) != NULL)
		create_set(cfg, "User", json_object_new_string(s));
	if (create_empty_str(cfg, "WorkingDir") &&
	    (s = berth_json_str(imgcfg, "WorkingDir")) != NULL)
		create_set(cfg, "WorkingDir", json_object_new_string(s));
	if (create_empty_str(cfg, "StopSignal") &&
	    (s = berth_json_str(imgcfg, "StopSignal")) != NULL)
		create_set(cfg, "StopSignal", json_object_new_string(s));

	uenv = berth_json_get(cfg, "Env");
	ienv = berth_json_get(imgcfg, "Env");
	env = json_object_new_array();
	for (i = 0; i < jlen(uenv); i++)
		json_object_array_add(env, json_object_get(
		    json_object_array_get_idx(uenv, i)));
	for (i = 0; i < jlen(ienv); i++) {
		s = json_object_get_string(json_object_array_get_idx(ienv, i));
		klen = (eq = strchr(s, '=')) != NULL ? (size_t)(eq - s) :
		    strlen(s);
		found = 0;
		for (j = 0; j < jlen(uenv) && !found; j++) {
			u = json_object_get_string(
			    json_object_array_get_idx(uenv, j));
			if (strncmp(u, s, klen) == 0 && (u[klen] == '=' ||
			    u[klen] == '\0'))
				found = 1;
		}
		if (!found)
			json_object_array_add(env, json_object_new_string(s));
	}
	create_set(cfg, "Env", env);

	create_union(cfg, imgcfg, "Labels");
	create_union(cfg, imgcfg, "ExposedPorts");
	create_union(cfg, imgcfg, "Volumes");

	ep = berth_json_get(cfg, "Entrypoint");
	cmd = berth_json_get(cfg, "Cmd");
	/* Entrypoint [""] is how the CLI says --entrypoint "". */
	if (jlen(ep) == 0 || (jlen(ep) == 1 && *json_object_get_string(
	    json_object_array_get_idx(ep, 0)) == '\0')) {
		if (jlen(cmd) == 0 && (cmd = berth_json_get(imgcfg, "Cmd")) !=
		    NULL && jlen(cmd) > 0)
			create_set(cfg, "Cmd", json_object_get(cmd));
		if (ep == NULL || json_object_is_type(ep, json_type_null)) {
			if ((ep = berth_json_get(imgcfg, "Entrypoint")) != NULL &&
			    jlen(ep) > 0)
				create_set(cfg, "Entrypoint",
				    json_object_get(ep));
		}
	}
	if (berth_json_get(cfg, "Healthcheck") == NULL &&
	    berth_json_get(imgcfg, "Healthcheck") != NULL)
		create_set(cfg, "Healthcheck", json_object_get(
		    berth_json_get(imgcfg, "Healthcheck")));
	(void)err;
	return 0;
}

/* The parts of HostConfig Docker refuses at create. */
int
containers_validate_hostconfig(json_object *hc, struct berth_err *err)
{
	json_object	*caps = NULL, *v;
	const char	*s;
	char		*seccomp = NULL;
	int		 nnp, rc;
	int64_t		 mem;

	/*
	 * berth's overlay root filesystems have no quota to enforce a size
	 * with: refuse what cannot be kept, in dockerd's words for overlay2
	 * without project quotas, rather than echo it back.
	 */
	v = berth_json_get(hc, "StorageOpt");
	if (v != NULL && json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) > 0)
		return berth_err_set(err, -EINVAL, "--storage-opt is supported "
		    "only for overlay over xfs with 'pquota' mount option");
	if ((rc = containers_caps(berth_json_get(hc, "CapAdd"),
	    berth_json_get(hc, "CapDrop"), 0, &caps, err)) < 0)
		return rc;
	if ((rc = containers_security_opts(berth_json_get(hc, "SecurityOpt"),
	    &nnp, &seccomp, err)) < 0) {
		json_object_put(caps);
		return rc;
	}
	if (seccomp != NULL && strcmp(seccomp, "unconfined") != 0) {
		json_object *sc = NULL;

		rc = containers_seccomp_from_profile(seccomp, caps, &sc, err);
		json_object_put(sc);
	}
	free(seccomp);
	json_object_put(caps);
	if (rc < 0)
		return rc;
	v = berth_json_get(hc, "Memory");
	mem = v != NULL ? json_object_get_int64(v) : 0;
	if (mem > 0 && mem < 6 * 1024 * 1024)
		return berth_err_set(err, -EINVAL,
		    "Minimum memory limit allowed is 6MB");
	v = berth_json_get(hc, "MemorySwap");
	if (mem > 0 && v != NULL && json_object_get_int64(v) > 0 &&
	    json_object_get_int64(v) < mem)
		return berth_err_set(err, -EINVAL,
		    "Minimum memoryswap limit should be larger than memory "
		    "limit, see usage");
	v = berth_json_get(hc, "RestartPolicy");
	if (containers_restart_policy_check(v, err) < 0)
		return err->code;
	s = berth_json_str(v, "Name");
	if (s != NULL && *s != '\0' && strcmp(s, "no") != 0 &&
	    (v = berth_json_get(hc, "AutoRemove")) != NULL &&
	    json_object_get_boolean(v))
		return berth_err_set(err, -EINVAL,
		    "can't create 'AutoRemove' container with restart policy");
	if ((v = berth_json_get(hc, "Tmpfs")) != NULL &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, val) {
			(void)val;
			if (k[0] != '/')
				return berth_err_set(err, -EINVAL,
				    "invalid mount config for type \"tmpfs\": "
				    "invalid mount path: '%s' mount path must "
				    "be absolute", k);
		}
	}
	return 0;
}

/*
 * What Docker fills in at create, so inspect shows the same whatever
 * the client sent: NetworkMode "default", the log driver and options
 * (json-file or none, with the module's defaults), a 64 MiB /dev/shm.
 */
static int
create_hostconfig_defaults(struct containers *cs, json_object *hc,
    struct berth_err *err)
{
	json_object	*v;

	if (create_empty_str(hc, "NetworkMode"))
		create_set(hc, "NetworkMode", json_object_new_string("default"));
	if (containers_log_config(cs, hc, err) < 0)
		return err->code;
	if ((v = berth_json_get(hc, "ShmSize")) == NULL ||
	    json_object_get_int64(v) <= 0)
		create_set(hc, "ShmSize", json_object_new_int64(64LL << 20));
	return 0;
}

struct create_job {
	struct containers	*cs;
	struct ctr		*c;
	json_object		*warnings;	/* owned */
	ctr_create_cb		 cb;
	void			*arg;
};

static void
create_saved(void *arg, int rc, const struct berth_err *err)
{
	struct create_job	*j = arg;
	struct containers	*cs = j->cs;

	if (rc < 0) {
		/* Not on disk: the container does not exist. */
		containers_mounts_release(j->c, 1);
		if (!j->c->removed) {
			TAILQ_REMOVE(&cs->list, j->c, entry);
			j->c->removed = 1;
			cs->img->unuse(cs->img_st, j->c->image_id, j->c->id);
			j->c->image_used = 0;
			ctr_unref(j->c);
		}
		j->cb(j->arg, rc, NULL, NULL, err);
	} else {
		containers_emit(j->c, "create", NULL);
		j->cb(j->arg, 0, j->c, j->warnings, NULL);
	}
	json_object_put(j->warnings);
	ctr_unref(j->c);
	free(j);
}

/* The volumes exist and know their new user: now the container. */
static void
create_volumes_ready(void *arg, int rc, const struct berth_err *err)
{
	struct create_job	*j = arg;

	if (rc < 0) {
		create_saved(j, rc, err);
		return;
	}
	containers_save_sync_wait(j->c, create_saved, j);
}

/*
 * Create a container from body (borrowed; the container keeps
 * references to its values) named name (NULL or "" draws one).  cb runs
 * once, maybe before this returns: with the container (borrowed for the
 * call) once it is on disk, or with the error.
 */
void
containers_create(struct containers *cs, json_object *body, const char *name,
    ctr_create_cb cb, void *arg)
{
	struct berth_err		 err = BERTH_ERR_INIT;
	json_object			*cfg = NULL, *hc = NULL;
	json_object			*image = NULL, *imgcfg, *v;
	const struct berth_runtime_ops	*rt;
	void				*rst;
	const char			*ref, *rtname, *nm;
	char				 rname[CONTAINERS_NAME_MAX];
	char				 hostname[256];
	char				 imgid[BERTH_IMAGE_ID_LEN + 1];
	struct ctr			*c = NULL, *other;
	struct create_job		*j;
	uint64_t			 retry;
	int				 rc;

	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		berth_err_set(&err, -EINVAL,
		    "Config cannot be empty in order to create a container");
		goto fail;
	}
	if (name != NULL && *name != '\0') {
		if (!containers_name_valid(name)) {
			berth_err_set(&err, -EINVAL, "Invalid container name "
			    "(%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
			    name);
			goto fail;
		}
		if ((other = containers_find_name(cs, name)) != NULL) {
			berth_err_set(&err, -EEXIST, "Conflict. The container "
			    "name \"/%s\" is already in use by container "
			    "\"%s\". You have to remove (or rename) that "
			    "container to be able to reuse that name.",
			    name[0] == '/' ? name + 1 : name, other->id);
			goto fail;
		}
	}

	/* Config is the body without HostConfig and NetworkingConfig. */
	cfg = json_object_new_object();
	json_object_object_foreach(body, k, val) {
		if (strcasecmp(k, "HostConfig") == 0 ||
		    strcasecmp(k, "NetworkingConfig") == 0)
			continue;
		json_object_object_add(cfg, k, json_object_get(val));
	}
	v = berth_json_get(body, "HostConfig");
	if (v != NULL && json_object_is_type(v, json_type_object))
		json_object_deep_copy(v, &hc, NULL);
	else
		hc = json_object_new_object();

	/* Docker's StrSlice: a lone string is a one-element list. */
	{
		static const char *const strslices[] = { "Cmd", "Entrypoint",
		    NULL };
		const char *const *sk;

		for (sk = strslices; *sk != NULL; sk++) {
			v = berth_json_get(cfg, *sk);
			if (v != NULL && json_object_is_type(v,
			    json_type_string)) {
				json_object *a = json_object_new_array();

				json_object_array_add(a, json_object_get(v));
				create_set(cfg, *sk, a);
			} else if (v != NULL && !containers_json_str_array(v)) {
				berth_err_set(&err, -EINVAL, "json: cannot "
				    "unmarshal %s into Go struct field "
				    "Config.%s of type strslice.StrSlice",
				    json_type_to_name(json_object_get_type(v)),
				    *sk);
				goto fail;
			}
		}
	}
	ref = berth_json_str(cfg, "Image");
	if (ref == NULL || *ref == '\0') {
		berth_err_set(&err, -EINVAL,
		    "No command specified");
		goto fail;
	}
	if (cs->img->resolve(cs->img_st, ref, imgid, &image, &err) < 0)
		goto fail;

	rtname = berth_json_str(hc, "Runtime");
	if ((rt = containers_runtime(cs, rtname, &rst, &err)) == NULL)
		goto fail;
	if (rtname == NULL || *rtname == '\0') {
		rtname = rt->default_name(rst);
		create_set(hc, "Runtime", json_object_new_string(rtname));
	}
	if ((rc = containers_validate_hostconfig(hc, &err)) < 0)
		goto fail;
	if ((rc = create_hostconfig_defaults(cs, hc, &err)) < 0)
		goto fail;
	if ((v = berth_json_get(hc, "Init")) != NULL &&
	    json_object_get_boolean(v) && cs->init_path == NULL) {
		berth_err_set(&err, -EINVAL, "--init: no init binary "
		    "(docker-init or tini-static) is installed");
		goto fail;
	}
	nm = berth_json_str(hc, "NetworkMode");
	if (nm != NULL && strncmp(nm, "container:", 10) == 0 &&
	    containers_find(cs, nm + 10, &err) == NULL)
		goto fail;
	imgcfg = berth_json_get(image, "config");
	if ((rc = containers_merge_image(cfg, imgcfg, &err)) < 0)
		goto fail;

	if ((c = ctr_new(cs)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = containers_args(cfg, &c->path, &c->args, &err)) < 0)
		goto fail;
	if ((rc = containers_mounts_parse(cs, cfg, hc, &c->mounts, &err)) < 0)
		goto fail;
	if ((rc = berth_id_new(c->id)) < 0) {
		berth_err_set(&err, rc, "cannot draw an ID: %s", strerror(-rc));
		goto fail;
	}
	memcpy(c->image_id, imgid, sizeof(c->image_id));
	if (name != NULL && *name != '\0')
		snprintf(rname, sizeof(rname), "/%s",
		    name[0] == '/' ? name + 1 : name);
	else {
		for (retry = 0; ; retry++) {
			rname[0] = '/';
			containers_random_name(rname + 1, sizeof(rname) - 1,
			    retry > 5 ? retry : 0);
			if (containers_find_name(cs, rname) == NULL)
				break;
		}
	}
	if ((c->name = strdup(rname)) == NULL ||
	    (c->runtime = strdup(rtname)) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (create_empty_str(cfg, "Hostname")) {
		if (nm != NULL && strcmp(nm, "host") == 0) {
			if (gethostname(hostname, sizeof(hostname)) != 0)
				hostname[0] = '\0';
			hostname[sizeof(hostname) - 1] = '\0';
		} else
			snprintf(hostname, sizeof(hostname), "%.12s", c->id);
		create_set(cfg, "Hostname", json_object_new_string(hostname));
	}
	create_set(cfg, "Image", json_object_new_string(ref));
	c->config = cfg;
	c->hostconfig = hc;
	cfg = hc = NULL;
	if ((rc = containers_net_create(c, berth_json_get(body,
	    "NetworkingConfig"), &err)) < 0)
		goto fail;
	c->created_ns = containers_now_ns();
	c->st.status = CTR_CREATED;

	if ((rc = cs->img->use(cs->img_st, c->image_id, c->id, &err)) < 0)
		goto fail;
	c->image_used = 1;
	json_object_put(image);
	image = NULL;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		cs->img->unuse(cs->img_st, c->image_id, c->id);
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	TAILQ_INSERT_TAIL(&cs->list, c, entry);
	j->warnings = json_object_new_array();
	if (nm != NULL && strcmp(nm, "host") == 0 &&
	    ((v = berth_json_get(c->hostconfig, "PortBindings")) != NULL &&
	    json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) > 0))
		json_object_array_add(j->warnings, json_object_new_string(
		    "Published ports are discarded when using host network "
		    "mode"));
	j->cs = cs;
	j->cb = cb;
	j->arg = arg;
	j->c = c;
	ctr_ref(c);
	containers_mounts_create(c, create_volumes_ready, j);
	return;
fail:
	if (err.code == 0)
		berth_err_set(&err, -EINVAL, "invalid container config");
	json_object_put(cfg);
	json_object_put(hc);
	json_object_put(image);
	ctr_free(c);
	cb(arg, err.code, NULL, NULL, &err);
}

struct create_req {
	struct containers	*cs;
	struct berth_req	*req;
};

static void
create_answer(void *arg, int rc, struct ctr *c, json_object *warnings,
    const struct berth_err *err)
{
	struct create_req	*cr = arg;
	const struct berth_host	*h = cr->cs->h;
	json_object		*o;

	if (rc < 0)
		h->resp_error(cr->req, err);
	else {
		o = json_object_new_object();
		json_object_object_add(o, "Id", json_object_new_string(c->id));
		json_object_object_add(o, "Warnings",
		    json_object_get(warnings));
		h->resp_json(cr->req, 201, o);
		json_object_put(o);
	}
	free(cr);
}

void
containers_h_create(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct create_req	*cr;
	json_object		*body;

	if (cs->h->req_json(req, &body, &err) < 0) {
		cs->h->resp_error(req, &err);
		return;
	}
	if ((cr = calloc(1, sizeof(*cr))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		cs->h->resp_error(req, &err);
		return;
	}
	cr->cs = cs;
	cr->req = req;
	containers_create(cs, body, cs->h->req_query(req, "name", 0),
	    create_answer, cr);
}

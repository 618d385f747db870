/*
 * containers_list.c - GET /containers/json: all, limit, size and
 * Docker's filters (id, name, label, status, ancestor, exited, before,
 * since).  Newest first.  With size, the sizes are measured in a work
 * job before the answer.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/filters.h>
#include <berth/json.h>

#include "containers.h"

enum {
	F_ID, F_NAME, F_LABEL, F_STATUS, F_ANCESTOR, F_EXITED, F_BEFORE,
	F_SINCE, F_HEALTH, F_NETWORK, F_VOLUME, F_ISOLATION, F_PUBLISH,
	F_EXPOSE, F_IS_TASK, F_MAX
};

static const char *const list_keys[F_MAX + 1] = {
	"id", "name", "label", "status", "ancestor", "exited", "before",
	"since", "health", "network", "volume", "isolation", "publish",
	"expose", "is-task", NULL
};

struct ctr_filters {
	char	**v[F_MAX];
	size_t	  n[F_MAX];
};

void
containers_filters_free(struct ctr_filters *f)
{
	size_t	k, i;

	if (f == NULL)
		return;
	for (k = 0; k < F_MAX; k++) {
		for (i = 0; i < f->n[k]; i++)
			free(f->v[k][i]);
		free(f->v[k]);
	}
	free(f);
}

static int
filters_add(struct ctr_filters *f, int k, const char *s)
{
	char	**a;

	if ((a = reallocarray(f->v[k], f->n[k] + 1, sizeof(*a))) == NULL)
		return -ENOMEM;
	f->v[k] = a;
	if ((a[f->n[k]] = strdup(s)) == NULL)
		return -ENOMEM;
	f->n[k]++;
	return 0;
}

/*
 * filters= JSON, map-of-sets ({"status":{"running":true}}) or the
 * legacy map-of-lists.  Docker 20.10 answers 500 for malformed JSON
 * and 400 for an unknown key or status.
 */
int
containers_filters_parse(const char *text, struct ctr_filters **out,
    struct berth_err *err)
{
	struct ctr_filters	*f;
	json_object		*o;
	size_t			 i;
	int			 k, rc = 0;
	enum ctr_status		 st;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	*out = f;
	if (text == NULL || *text == '\0')
		return 0;
	/* The SDK's one parser: not JSON is 400 naming the parameter. */
	if ((rc = berth_filters_parse(text, list_keys, &o, err)) < 0)
		return rc;
	json_object_object_foreach(o, key, val) {
		for (k = 0; k < F_MAX; k++)
			if (strcmp(key, list_keys[k]) == 0)
				break;
		for (i = 0; rc == 0 && i < json_object_array_length(val); i++)
			rc = filters_add(f, k, json_object_get_string(
			    json_object_array_get_idx(val, i)));
		if (rc < 0)
			break;
	}
	json_object_put(o);
	if (rc < 0) {
		if (err->code == 0)
			berth_err_set(err, rc, "out of memory");
		return rc;
	}
	for (i = 0; i < f->n[F_STATUS]; i++)
		if (containers_status_from_str(f->v[F_STATUS][i], &st) < 0)
			return berth_err_set(err, -EINVAL,
			    "Invalid filter 'status=%s'", f->v[F_STATUS][i]);
	for (i = 0; i < f->n[F_EXITED]; i++) {
		char *end;

		(void)strtol(f->v[F_EXITED][i], &end, 10);
		if (*f->v[F_EXITED][i] == '\0' || *end != '\0')
			return berth_err_set(err, -EINVAL,
			    "Invalid filter 'exited=%s'", f->v[F_EXITED][i]);
	}
	return 0;
}

static int
filters_label(const struct ctr_filters *f, const struct ctr *c)
{
	json_object	*labels = berth_json_get(c->config, "Labels");
	const char	*want, *eq, *have;
	char		 key[512];
	size_t		 i;

	/* Every label filter must hold (AND), unlike other keys. */
	for (i = 0; i < f->n[F_LABEL]; i++) {
		want = f->v[F_LABEL][i];
		if ((eq = strchr(want, '=')) != NULL) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - want),
			    want);
			have = berth_json_str(labels, key);
			if (have == NULL || strcmp(have, eq + 1) != 0)
				return 0;
		} else {
			json_object *v;

			if (labels == NULL || !json_object_object_get_ex(labels,
			    want, &v))
				return 0;
		}
	}
	return 1;
}

static int
filters_name(const struct ctr_filters *f, const struct ctr *c)
{
	regex_t	re;
	size_t	i;
	int	ok;

	for (i = 0; i < f->n[F_NAME]; i++) {
		if (regcomp(&re, f->v[F_NAME][i], REG_EXTENDED | REG_NOSUB) !=
		    0) {
			if (strstr(c->name, f->v[F_NAME][i]) != NULL)
				return 1;
			continue;
		}
		ok = regexec(&re, c->name, 0, NULL, 0) == 0;
		regfree(&re);
		if (ok)
			return 1;
	}
	return 0;
}

static int
filters_ancestor(const struct ctr_filters *f, struct containers *cs,
    const struct ctr *c)
{
	char		 id[BERTH_IMAGE_ID_LEN + 1];
	const char	*img = berth_json_str(c->config, "Image");
	size_t		 i;

	for (i = 0; i < f->n[F_ANCESTOR]; i++) {
		if (img != NULL && strcmp(img, f->v[F_ANCESTOR][i]) == 0)
			return 1;
		if (cs->img->resolve(cs->img_st, f->v[F_ANCESTOR][i], id, NULL,
		    NULL) == 0 && strcmp(id, c->image_id) == 0)
			return 1;
	}
	return 0;
}

/* created_ns of the container ref names, or -1 */
static int64_t
filters_ref_time(struct containers *cs, const char *ref)
{
	struct ctr	*c;

	if ((c = containers_find(cs, ref, NULL)) == NULL)
		return -1;
	return c->created_ns;
}

static int
filters_any(char **v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* c is on network want: its name, or a prefix of its ID. */
static int
list_on_network(const struct ctr *c, const char *want)
{
	const char	*id;

	if (c->networks == NULL)
		return 0;
	json_object_object_foreach(c->networks, k, v) {
		id = berth_json_str(v, "NetworkID");
		if (strcmp(k, want) == 0 || (id != NULL && *id != '\0' &&
		    strncmp(id, want, strlen(want)) == 0))
			return 1;
	}
	return 0;
}

/* ports (a port map keyed "80/tcp") has want ("80" is tcp). */
static int
list_has_port(json_object *ports, const char *want, int bound)
{
	char	key[32];

	if (ports == NULL || !json_object_is_type(ports, json_type_object))
		return 0;
	snprintf(key, sizeof(key), "%s%s", want, strchr(want, '/') ? "" :
	    "/tcp");
	json_object_object_foreach(ports, k, v) {
		if (strcmp(k, key) != 0)
			continue;
		return !bound || (v != NULL &&
		    json_object_is_type(v, json_type_array) &&
		    json_object_array_length(v) > 0);
	}
	return 0;
}

int
containers_filters_match(const struct ctr_filters *f, struct containers *cs,
    const struct ctr *c)
{
	size_t	i;
	int	ok;
	int64_t	t;
	char	buf[16];

	if (f->n[F_ID] > 0) {
		for (ok = 0, i = 0; i < f->n[F_ID] && !ok; i++)
			ok = strncmp(c->id, f->v[F_ID][i],
			    strlen(f->v[F_ID][i])) == 0;
		if (!ok)
			return 0;
	}
	if (f->n[F_NAME] > 0 && !filters_name(f, c))
		return 0;
	if (f->n[F_LABEL] > 0 && !filters_label(f, c))
		return 0;
	if (f->n[F_STATUS] > 0 && !filters_any(f->v[F_STATUS], f->n[F_STATUS],
	    containers_status_str(c->st.status)))
		return 0;
	if (f->n[F_ANCESTOR] > 0 && !filters_ancestor(f, cs, c))
		return 0;
	if (f->n[F_EXITED] > 0) {
		if (c->st.status != CTR_EXITED)
			return 0;
		snprintf(buf, sizeof(buf), "%d", c->st.exit_code);
		for (ok = 0, i = 0; i < f->n[F_EXITED] && !ok; i++)
			ok = atoi(f->v[F_EXITED][i]) == c->st.exit_code;
		if (!ok)
			return 0;
	}
	for (i = 0; i < f->n[F_BEFORE]; i++)
		if ((t = filters_ref_time(cs, f->v[F_BEFORE][i])) < 0 ||
		    c->created_ns >= t)
			return 0;
	for (i = 0; i < f->n[F_SINCE]; i++)
		if ((t = filters_ref_time(cs, f->v[F_SINCE][i])) < 0 ||
		    c->created_ns <= t)
			return 0;
	/* A volume's name, or a mount's source or destination. */
	for (i = 0, t = 0; i < f->n[F_VOLUME] && !t; i++)
		t = containers_mounts_match(c, f->v[F_VOLUME][i]);
	if (f->n[F_VOLUME] > 0 && !t)
		return 0;
	/* health=starting|healthy|unhealthy, or none without checks. */
	if (f->n[F_HEALTH] > 0 && !filters_any(f->v[F_HEALTH],
	    f->n[F_HEALTH], containers_health_status(c) != NULL ?
	    containers_health_status(c) : "none"))
		return 0;
	/* network=NAME or ID (a prefix), as Docker. */
	for (i = 0, t = 0; i < f->n[F_NETWORK] && !t; i++)
		t = list_on_network(c, f->v[F_NETWORK][i]);
	if (f->n[F_NETWORK] > 0 && !t)
		return 0;
	/* publish=80[/tcp] (a port published), expose=80[/tcp]. */
	for (i = 0, t = 0; i < f->n[F_PUBLISH] && !t; i++)
		t = list_has_port(c->ports, f->v[F_PUBLISH][i], 1);
	if (f->n[F_PUBLISH] > 0 && !t)
		return 0;
	for (i = 0, t = 0; i < f->n[F_EXPOSE] && !t; i++)
		t = list_has_port(berth_json_get(c->config, "ExposedPorts"),
		    f->v[F_EXPOSE][i], 0);
	if (f->n[F_EXPOSE] > 0 && !t)
		return 0;
	if (f->n[F_IS_TASK] > 0 && !filters_any(f->v[F_IS_TASK],
	    f->n[F_IS_TASK], "false"))
		return 0;
	return 1;
}

/* `docker ps` STATUS text. */
void
containers_status_text(const struct ctr *c, int64_t now, char *buf,
    size_t len)
{
	const char	*hs;
	char		 d[64];

	switch (c->st.status) {
	case CTR_RUNNING:
	case CTR_PAUSED:
		containers_human_duration(now - c->st.started_ns, d, sizeof(d));
		hs = containers_health_status(c);
		if (c->st.status == CTR_PAUSED)
			snprintf(buf, len, "Up %s (Paused)", d);
		else if (hs != NULL)
			snprintf(buf, len, "Up %s (%s%s)", d,
			    strcmp(hs, "starting") == 0 ? "health: " : "", hs);
		else
			snprintf(buf, len, "Up %s", d);
		break;
	case CTR_RESTARTING:
		containers_human_duration(now - c->st.finished_ns, d, sizeof(d));
		snprintf(buf, len, "Restarting (%d) %s ago", c->st.exit_code, d);
		break;
	case CTR_REMOVING:
		snprintf(buf, len, "Removal In Progress");
		break;
	case CTR_DEAD:
		snprintf(buf, len, "Dead");
		break;
	case CTR_EXITED:
		if (c->st.finished_ns != 0) {
			containers_human_duration(now - c->st.finished_ns, d,
			    sizeof(d));
			snprintf(buf, len, "Exited (%d) %s ago",
			    c->st.exit_code, d);
			break;
		}
		/* FALLTHROUGH */
	case CTR_CREATED:
	default:
		snprintf(buf, len, "Created");
		break;
	}
}

/* ps's Ports: one entry per binding, or the bare port when unbound. */
static json_object *
list_ports(const struct ctr *c)
{
	json_object	*a = json_object_new_array(), *p;
	size_t		 i;
	long		 port;
	char		*end;

	if (c->ports == NULL)
		return a;
	json_object_object_foreach(c->ports, k, v) {
		port = strtol(k, &end, 10);
		if (v == NULL || json_object_array_length(v) == 0) {
			p = json_object_new_object();
			json_object_object_add(p, "PrivatePort",
			    json_object_new_int((int)port));
			json_object_object_add(p, "Type", json_object_new_string(
			    *end == '/' ? end + 1 : "tcp"));
			json_object_array_add(a, p);
			continue;
		}
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object	*b = json_object_array_get_idx(v, i);

			p = json_object_new_object();
			json_object_object_add(p, "IP", json_object_new_string(
			    berth_json_str(b, "HostIp") != NULL ?
			    berth_json_str(b, "HostIp") : "0.0.0.0"));
			json_object_object_add(p, "PrivatePort",
			    json_object_new_int((int)port));
			json_object_object_add(p, "PublicPort",
			    json_object_new_int(atoi(berth_json_str(b,
			    "HostPort") != NULL ? berth_json_str(b,
			    "HostPort") : "0")));
			json_object_object_add(p, "Type", json_object_new_string(
			    *end == '/' ? end + 1 : "tcp"));
			json_object_array_add(a, p);
		}
	}
	return a;
}

static json_object *
list_summary(struct ctr *c, int64_t now)
{
	json_object	*o = json_object_new_object(), *a, *hc, *ns;
	const char	*img = berth_json_str(c->config, "Image");
	json_object	*labels = berth_json_get(c->config, "Labels");
	char		*cmd, buf[128];
	size_t		 len, i, n;

	json_object_object_add(o, "Id", json_object_new_string(c->id));
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(c->name));
	json_object_object_add(o, "Names", a);
	json_object_object_add(o, "Image", json_object_new_string(
	    img != NULL ? img : c->image_id));
	json_object_object_add(o, "ImageID", json_object_new_string(
	    c->image_id));
	len = strlen(c->path) + 1;
	n = json_object_array_length(c->args);
	for (i = 0; i < n; i++)
		len += strlen(json_object_get_string(
		    json_object_array_get_idx(c->args, i))) + 1;
	if ((cmd = malloc(len)) != NULL) {
		strcpy(cmd, c->path);
		for (i = 0; i < n; i++) {
			strcat(cmd, " ");
			strcat(cmd, json_object_get_string(
			    json_object_array_get_idx(c->args, i)));
		}
		json_object_object_add(o, "Command",
		    json_object_new_string(cmd));
		free(cmd);
	}
	json_object_object_add(o, "Created",
	    json_object_new_int64(c->created_ns / 1000000000LL));
	json_object_object_add(o, "Ports", list_ports(c));
	json_object_object_add(o, "Labels", labels != NULL ?
	    json_object_get(labels) : json_object_new_object());
	json_object_object_add(o, "State", json_object_new_string(
	    containers_status_str(c->st.status)));
	containers_status_text(c, now, buf, sizeof(buf));
	json_object_object_add(o, "Status", json_object_new_string(buf));
	hc = json_object_new_object();
	json_object_object_add(hc, "NetworkMode", json_object_new_string(
	    berth_json_str(c->hostconfig, "NetworkMode") != NULL ?
	    berth_json_str(c->hostconfig, "NetworkMode") : "default"));
	json_object_object_add(o, "HostConfig", hc);
	ns = json_object_new_object();
	json_object_object_add(ns, "Networks", c->networks != NULL ?
	    json_object_get(c->networks) : json_object_new_object());
	json_object_object_add(o, "NetworkSettings", ns);
	json_object_object_add(o, "Mounts", containers_mounts_inspect(c));
	return o;
}

/* --- sizes ------------------------------------------------------------ */

struct list_size {
	char		 upper[PATH_MAX];
	char		 merged[PATH_MAX];
	int64_t		 rw;
	int64_t		 rootfs;
	json_object	*summary;	/* loop-owned; untouched by work */
};

struct list_job {
	struct containers	*cs;
	struct berth_req	*req;
	struct list_size	*s;
	size_t			 n;
};

/* The apparent size of a tree (files and links), never crossing out. */
int64_t
containers_du(const char *path, int depth)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	char		 p[PATH_MAX];
	int64_t		 total = 0;

	if (depth > 64 || (d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (containers_path_join(p, sizeof(p), path, e->d_name) < 0 ||
		    lstat(p, &sb) == -1)
			continue;
		if (S_ISDIR(sb.st_mode))
			total += containers_du(p, depth + 1);
		else if (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode))
			total += sb.st_size;
	}
	closedir(d);
	return total;
}

static void
list_size_work(void *arg)
{
	struct list_job	*j = arg;
	size_t		 i;

	for (i = 0; i < j->n; i++) {
		if (j->s[i].upper[0] != '\0')
			j->s[i].rw = containers_du(j->s[i].upper, 0);
		if (j->s[i].merged[0] != '\0')
			j->s[i].rootfs = containers_du(j->s[i].merged, 0);
		if (j->s[i].rootfs < j->s[i].rw)
			j->s[i].rootfs = j->s[i].rw;
	}
}

static void
list_size_done(void *arg)
{
	struct list_job	*j = arg;
	json_object	*a = json_object_new_array();
	size_t		 i;

	for (i = 0; i < j->n; i++) {
		json_object_object_add(j->s[i].summary, "SizeRw",
		    json_object_new_int64(j->s[i].rw));
		json_object_object_add(j->s[i].summary, "SizeRootFs",
		    json_object_new_int64(j->s[i].rootfs));
		json_object_array_add(a, j->s[i].summary);
	}
	j->cs->h->resp_json(j->req, 200, a);
	json_object_put(a);
	free(j->s);
	free(j);
}

void
containers_h_list(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ctr_filters	*f = NULL;
	struct ctr		*c;
	json_object		*a, *o;
	const char		*lim = h->req_query(req, "limit", 0);
	int			 all = h->req_query_bool(req, "all");
	int			 size = h->req_query_bool(req, "size");
	long			 limit = lim != NULL ? atol(lim) : -1;
	int64_t			 now = containers_now_ns();
	long			 n = 0;
	struct list_job		*j = NULL;
	size_t			 cap = 0;

	if (containers_filters_parse(h->req_query(req, "filters", 0), &f,
	    &err) < 0) {
		containers_filters_free(f);
		h->resp_error(req, &err);
		return;
	}
	if (f->n[F_STATUS] > 0 || f->n[F_BEFORE] > 0 || f->n[F_SINCE] > 0 ||
	    f->n[F_EXITED] > 0 || limit > 0)
		all = 1;
	a = json_object_new_array();
	if (size && (j = calloc(1, sizeof(*j))) == NULL)
		size = 0;
	TAILQ_FOREACH_REVERSE(c, &cs->list, ctr_list, entry) {
		if (limit > 0 && n >= limit)
			break;
		if (!all && c->st.status != CTR_RUNNING &&
		    c->st.status != CTR_PAUSED &&
		    c->st.status != CTR_RESTARTING)
			continue;
		if (!containers_filters_match(f, cs, c))
			continue;
		o = list_summary(c, now);
		n++;
		if (size) {
			if (j->n == cap) {
				struct list_size *ns;

				cap = cap != 0 ? 2 * cap : 16;
				if ((ns = reallocarray(j->s, cap,
				    sizeof(*ns))) == NULL) {
					json_object_put(o);
					continue;
				}
				j->s = ns;
			}
			memset(&j->s[j->n], 0, sizeof(j->s[0]));
			(void)cs->img->rootfs_paths(cs->img_st, c->id,
			    j->s[j->n].merged, j->s[j->n].upper, PATH_MAX);
			j->s[j->n].summary = o;
			j->n++;
			continue;
		}
		json_object_array_add(a, o);
	}
	containers_filters_free(f);
	if (size) {
		json_object_put(a);
		j->cs = cs;
		j->req = req;
		if (h->work(h, list_size_work, list_size_done, j) < 0) {
			/* No worker: answer without sizes rather than not. */
			list_size_done(j);
		}
		return;
	}
	h->resp_json(req, 200, a);
	json_object_put(a);
}

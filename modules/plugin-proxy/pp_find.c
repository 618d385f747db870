/*
 * pp_find.c - where a legacy plugin listens, by name, as dockerd looks:
 * the socket <sock-dir>/NAME.sock or <sock-dir>/NAME/NAME.sock first,
 * then in each spec directory NAME.spec, NAME/NAME.spec, NAME.json,
 * NAME/NAME.json.  It stats and reads files, so it runs off the loop.
 * pp_scan lists them all, for GET /info.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/fs.h>
#include <berth/json.h>

#include "plugin_proxy.h"

#define PP_SPEC_MAX	8192	/* a spec file is one URL, a .json a few */

struct find_job {
	struct pp_plugin	*p;
	pp_find_cb		 cb;
	/* Copied for the worker, which may touch only the job. */
	char			 name[PP_NAME_MAX];
	char			*sock_dir;
	char			**spec_dirs;
	struct pp_addr		 addr;
	int			 rc;
	struct berth_err	 err;
};

/*
 * A legacy plugin's name is a file name: dockerd's name rule for
 * plugins, and never a path (no '/', no leading '.').
 */
int
pp_name_ok(const char *name)
{
	size_t	i, n = strlen(name);

	if (n == 0 || n >= PP_NAME_MAX || !isalnum((unsigned char)name[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '.' && name[i] != '-')
			return 0;
	return 1;
}

static int
is_socket(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* A URL from a spec file: unix:///path, tcp://host:port, http(s)://. */
static int
parse_url(const char *url, int tls, struct pp_addr *a, struct berth_err *err)
{
	if (strncmp(url, "unix://", 7) == 0) {
		if (url[7] != '/' || strlen(url + 7) >= sizeof(a->unix_path))
			return berth_err_set(err, -EINVAL, "invalid unix "
			    "socket address %s", url);
		memcpy(a->unix_path, url + 7, strlen(url + 7) + 1);
		return 0;
	}
	if (strncmp(url, "tcp://", 6) == 0) {
		if (snprintf(a->url, sizeof(a->url), "%s://%s",
		    tls ? "https" : "http", url + 6) >= (int)sizeof(a->url))
			return berth_err_set(err, -EINVAL, "address too long");
		a->tls = tls;
		return 0;
	}
	if (strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0) {
		if (snprintf(a->url, sizeof(a->url), "%s", url) >=
		    (int)sizeof(a->url))
			return berth_err_set(err, -EINVAL, "address too long");
		a->tls = url[4] == 's';
		return 0;
	}
	return berth_err_set(err, -EINVAL, "Unknown protocol");
}

static void
trim(char *s)
{
	char	*e = s + strlen(s), *b = s;

	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	while (isspace((unsigned char)*b))
		b++;
	memmove(s, b, strlen(b) + 1);
}

static int
copy_path(char *dst, size_t cap, json_object *o, const char *key)
{
	const char	*v = berth_json_str(o, key);

	if (v == NULL || *v == '\0')
		return 0;
	return snprintf(dst, cap, "%s", v) < (int)cap ? 0 : -ENAMETOOLONG;
}

/* {"Name":..,"Addr":..,"TLSConfig":{InsecureSkipVerify,CAFile,...}} */
static int
parse_json(char *text, struct pp_addr *a, struct berth_err *err)
{
	json_object	*o, *tls;
	const char	*addr;
	int		 rc;

	if ((o = json_tokener_parse(text)) == NULL ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return berth_err_set(err, -EINVAL, "invalid plugin spec: "
		    "not a JSON object");
	}
	tls = berth_json_get(o, "TLSConfig");
	if (tls != NULL && !json_object_is_type(tls, json_type_object))
		tls = NULL;
	if ((addr = berth_json_str(o, "Addr")) == NULL) {
		json_object_put(o);
		return berth_err_set(err, -EINVAL, "invalid plugin spec: "
		    "no Addr");
	}
	rc = parse_url(addr, tls != NULL, a, err);
	if (rc == 0 && tls != NULL) {
		a->tls = a->unix_path[0] == '\0';
		a->insecure = json_object_get_boolean(berth_json_get(tls,
		    "InsecureSkipVerify"));
		if (copy_path(a->ca_file, sizeof(a->ca_file), tls, "CAFile") ||
		    copy_path(a->cert_file, sizeof(a->cert_file), tls,
		    "CertFile") ||
		    copy_path(a->key_file, sizeof(a->key_file), tls, "KeyFile"))
			rc = berth_err_set(err, -ENAMETOOLONG, "invalid plugin "
			    "spec: path too long");
	}
	json_object_put(o);
	return rc;
}

static void
find_work(void *arg)
{
	static const char *const forms[] = { "%s/%s.spec", "%s/%s/%s.spec",
	    "%s/%s.json", "%s/%s/%s.json" };
	struct find_job	*j = arg;
	char		 path[PATH_MAX], text[PP_SPEC_MAX];
	size_t		 d, f;
	int		 rc;

	j->rc = -ENOENT;
	snprintf(path, sizeof(path), "%s/%s.sock", j->sock_dir, j->name);
	if (!is_socket(path))
		snprintf(path, sizeof(path), "%s/%s/%s.sock", j->sock_dir,
		    j->name, j->name);
	if (is_socket(path)) {
		if (strlen(path) >= sizeof(j->addr.unix_path)) {
			j->rc = berth_err_set(&j->err, -ENAMETOOLONG,
			    "socket path %s is too long", path);
			return;
		}
		memcpy(j->addr.unix_path, path, strlen(path) + 1);
		j->rc = 0;
		return;
	}
	for (d = 0; j->spec_dirs != NULL && j->spec_dirs[d] != NULL; d++)
		for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			/* The two-%s forms ignore the third argument. */
			snprintf(path, sizeof(path), forms[f], j->spec_dirs[d],
			    j->name, j->name);
			if ((rc = berth_read_small(path, text,
			    sizeof(text))) < 0)
				continue;
			if (strstr(forms[f], ".json") != NULL)
				j->rc = parse_json(text, &j->addr, &j->err);
			else {
				trim(text);
				j->rc = parse_url(text, 0, &j->addr, &j->err);
			}
			return;
		}
	berth_err_set(&j->err, -ENOENT, "plugin \"%s\" not found", j->name);
}

static void
find_free(struct find_job *j)
{
	size_t	i;

	for (i = 0; j->spec_dirs != NULL && j->spec_dirs[i] != NULL; i++)
		free(j->spec_dirs[i]);
	free(j->spec_dirs);
	free(j->sock_dir);
	free(j);
}

static void
find_done(void *arg)
{
	struct find_job	*j = arg;

	if (j->rc == 0)
		j->p->addr = j->addr;
	j->cb(j->p, j->rc, j->rc < 0 ? &j->err : NULL);
	find_free(j);
}

int
pp_find(struct pp_plugin *p, pp_find_cb cb)
{
	struct pp	*pp = p->pp;
	struct find_job	*j;
	size_t		 n = 0, i;
	int		 rc;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	j->p = p;
	j->cb = cb;
	snprintf(j->name, sizeof(j->name), "%s", p->name);
	while (pp->spec_dirs != NULL && pp->spec_dirs[n] != NULL)
		n++;
	if ((j->sock_dir = strdup(pp->sock_dir)) == NULL ||
	    (j->spec_dirs = calloc(n + 1, sizeof(char *))) == NULL) {
		find_free(j);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if ((j->spec_dirs[i] = strdup(pp->spec_dirs[i])) == NULL) {
			find_free(j);
			return -ENOMEM;
		}
	if ((rc = pp->h->work(pp->h, find_work, find_done, j)) < 0)
		find_free(j);
	return rc;
}

/* --- the scan: every plugin there is ------------------------------------ */

#define PP_SCAN_MAX	256	/* names taken from one scan */
#define PP_SCAN_EVERY	2000	/* ms between scans */

struct scan_job {
	struct pp	*pp;
	char		*sock_dir;
	char		**spec_dirs;
	char		 names[PP_SCAN_MAX][PP_NAME_MAX];
	size_t		 n;
};

static void
scan_add(struct scan_job *j, const char *name, size_t len)
{
	size_t	i;

	if (len == 0 || len >= PP_NAME_MAX || j->n >= PP_SCAN_MAX)
		return;
	memcpy(j->names[j->n], name, len);
	j->names[j->n][len] = '\0';
	if (!pp_name_ok(j->names[j->n]))
		return;
	for (i = 0; i < j->n; i++)
		if (strcmp(j->names[i], j->names[j->n]) == 0)
			return;
	j->n++;
}

/* NAME.ext and NAME/NAME.ext in dir, for ext in exts. */
static void
scan_dir(struct scan_job *j, const char *dir, const char *const *exts)
{
	struct dirent	*de;
	char		 path[PATH_MAX];
	size_t		 n, e, el;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = strlen(de->d_name);
		for (e = 0; exts[e] != NULL; e++) {
			el = strlen(exts[e]);
			if (n > el && strcmp(de->d_name + n - el, exts[e]) == 0)
				scan_add(j, de->d_name, n - el);
			snprintf(path, sizeof(path), "%s/%s/%s%s", dir,
			    de->d_name, de->d_name, exts[e]);
			if (access(path, F_OK) == 0)
				scan_add(j, de->d_name, n);
		}
	}
	closedir(d);
}

static void
scan_work(void *arg)
{
	static const char *const socks[] = { ".sock", NULL };
	static const char *const specs[] = { ".spec", ".json", NULL };
	struct scan_job	*j = arg;
	size_t		 i;

	scan_dir(j, j->sock_dir, socks);
	for (i = 0; j->spec_dirs != NULL && j->spec_dirs[i] != NULL; i++)
		scan_dir(j, j->spec_dirs[i], specs);
}

static void
scan_done(void *arg)
{
	struct scan_job		*j = arg;
	struct pp_plugin	*p;
	size_t			 i;

	j->pp->scanning = 0;
	for (i = 0; !j->pp->stopping && i < j->n; i++)
		if (pp_managed_find(j->pp, j->names[i]) == NULL &&
		    (p = pp_plugin_get(j->pp, j->names[i])) != NULL)
			pp_plugin_activate(p);
	free(j->sock_dir);
	for (i = 0; j->spec_dirs != NULL && j->spec_dirs[i] != NULL; i++)
		free(j->spec_dirs[i]);
	free(j->spec_dirs);
	free(j);
}

/*
 * As dockerd does for GET /info: look at every socket and spec file and
 * activate each plugin not yet known, so that the next /info lists them
 * (this one answers now; the scan runs off the loop, at most every 2 s).
 */
void
pp_scan(struct pp *pp)
{
	struct scan_job	*j;
	size_t		 n = 0, i;

	if (pp->scanning || pp->stopping ||
	    (pp->scanned != 0 && pp_now_ms() - pp->scanned < PP_SCAN_EVERY))
		return;
	while (pp->spec_dirs != NULL && pp->spec_dirs[n] != NULL)
		n++;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->pp = pp;
	if ((j->sock_dir = strdup(pp->sock_dir)) == NULL ||
	    (j->spec_dirs = calloc(n + 1, sizeof(char *))) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if ((j->spec_dirs[i] = strdup(pp->spec_dirs[i])) == NULL)
			goto fail;
	pp->scanning = 1;
	pp->scanned = pp_now_ms();
	if (pp->h->work(pp->h, scan_work, scan_done, j) == 0)
		return;
	pp->scanning = 0;
fail:
	for (i = 0; j->spec_dirs != NULL && j->spec_dirs[i] != NULL; i++)
		free(j->spec_dirs[i]);
	free(j->spec_dirs);
	free(j->sock_dir);
	free(j);
}

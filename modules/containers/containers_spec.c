/*
 * containers_spec.c - the OCI config.json of a container, from its
 * (merged) Config and HostConfig.
 *
 * Everything here may block (it reads the image's /etc/passwd and
 * /etc/group, and /dev for --privileged): it runs in a work job, never
 * on the loop.  It touches no module state, only what spec_in carries.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/capability.h>

#include <berth/json.h>
#include <berth/oci.h>

#include "containers.h"

#define SPEC_SHM_SIZE	(64LL << 20)

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

static json_object *
jstrs(const char *const *v)
{
	json_object	*a = json_object_new_array();

	for (; *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static int64_t
jint(json_object *o, const char *key)
{
	json_object	*v = berth_json_get(o, key);

	return v != NULL ? json_object_get_int64(v) : 0;
}

static int
jbool(json_object *o, const char *key)
{
	json_object	*v = berth_json_get(o, key);

	return v != NULL && json_object_get_boolean(v);
}

static size_t
jlen(json_object *a)
{
	return a != NULL && json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
}

/* An empty string array element list such as Entrypoint [""]. */
static int
spec_blank(json_object *a)
{
	size_t	i;

	for (i = 0; i < jlen(a); i++) {
		const char *s = json_object_get_string(
		    json_object_array_get_idx(a, i));
		if (s != NULL && *s != '\0')
			return 0;
	}
	return 1;
}

/*
 * Path and Args from the merged Config: Entrypoint then Cmd, as Docker
 * runs them.  An Entrypoint of [""] means "none".
 */
int
containers_args(json_object *config, char **pathp, json_object **argsp,
    struct berth_err *err)
{
	json_object	*ep = berth_json_get(config, "Entrypoint");
	json_object	*cmd = berth_json_get(config, "Cmd");
	json_object	*all, *args;
	size_t		 i;

	all = json_object_new_array();
	if (!spec_blank(ep))
		for (i = 0; i < jlen(ep); i++)
			json_object_array_add(all, json_object_get(
			    json_object_array_get_idx(ep, i)));
	for (i = 0; i < jlen(cmd); i++)
		json_object_array_add(all, json_object_get(
		    json_object_array_get_idx(cmd, i)));
	if (json_object_array_length(all) == 0) {
		json_object_put(all);
		return berth_err_set(err, -EINVAL, "No command specified");
	}
	if ((*pathp = strdup(json_object_get_string(
	    json_object_array_get_idx(all, 0)))) == NULL) {
		json_object_put(all);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	args = json_object_new_array();
	for (i = 1; i < json_object_array_length(all); i++)
		json_object_array_add(args, json_object_get(
		    json_object_array_get_idx(all, i)));
	json_object_put(all);
	*argsp = args;
	return 0;
}

/* Replace KEY=... in env (an array), or append. */
static void
spec_env_set(json_object *env, const char *kv)
{
	size_t		 i, klen;
	const char	*eq = strchr(kv, '='), *s;

	klen = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
	for (i = 0; i < json_object_array_length(env); i++) {
		s = json_object_get_string(json_object_array_get_idx(env, i));
		if (strncmp(s, kv, klen) == 0 && (s[klen] == '=' ||
		    s[klen] == '\0')) {
			json_object_array_put_idx(env, i,
			    json_object_new_string(kv));
			return;
		}
	}
	json_object_array_add(env, json_object_new_string(kv));
}

/*
 * The process environment: PATH, HOSTNAME (and TERM with a tty) first,
 * then Config.Env overriding by name.  Caller puts the result.
 */
json_object *
containers_env(json_object *cenv, const char *hostname, int tty)
{
	json_object	*env = json_object_new_array();
	char		 buf[512];
	size_t		 i;
	const char	*s;

	json_object_array_add(env, json_object_new_string(
	    CONTAINERS_DEFAULT_PATH));
	snprintf(buf, sizeof(buf), "HOSTNAME=%s", hostname != NULL ?
	    hostname : "");
	json_object_array_add(env, json_object_new_string(buf));
	if (tty)
		json_object_array_add(env, json_object_new_string(
		    "TERM=xterm"));
	for (i = 0; i < jlen(cenv); i++) {
		s = json_object_get_string(json_object_array_get_idx(cenv, i));
		if (s != NULL && *s != '\0' && *s != '=')
			spec_env_set(env, s);
	}
	return env;
}

/*
 * Open path inside root, resolving every symlink as if root were "/":
 * the image must never make us read a host file.
 */
static FILE *
spec_open_in_root(const char *root, const char *path)
{
	int	 rfd, fd;
	FILE	*f;

	if ((rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return NULL;
	fd = berth_open_in_root(rfd, path, O_RDONLY, 0);
	close(rfd);
	if (fd < 0)
		return NULL;
	if ((f = fdopen(fd, "r")) == NULL)
		close(fd);
	return f;
}

static int
spec_numeric(const char *s, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s == '\0' || !isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX)
		return 0;
	*out = v;
	return 1;
}

/* Split a passwd/group line into at most n fields (in place). */
static size_t
spec_fields(char *line, char **f, size_t n)
{
	size_t	i = 0;
	char	*p = line;

	line[strcspn(line, "\n")] = '\0';
	while (i < n) {
		f[i++] = p;
		if ((p = strchr(p, ':')) == NULL)
			break;
		*p++ = '\0';
	}
	return i;
}

/* A group name or number: the gid, from the image's /etc/group. */
static int
spec_group(const char *root, const char *etc_group, const char *g,
    gid_t *gid)
{
	FILE	*f;
	char	 line[4096], *fl[4];
	long	 n;
	int	 found = 0;

	if (spec_numeric(g, &n)) {
		*gid = (gid_t)n;
		return 0;
	}
	if ((f = root != NULL ? spec_open_in_root(root, "/etc/group") :
	    fopen(etc_group, "re")) == NULL)
		return -ENOENT;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || spec_fields(line, fl, 4) < 3)
			continue;
		if (strcmp(fl[0], g) == 0 && spec_numeric(fl[2], &n)) {
			*gid = (gid_t)n;
			found = 1;
		}
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

/*
 * Resolve Config.User ("name", "uid", "name:group", "uid:gid") and
 * HostConfig.GroupAdd in the image's files.  With root NULL, passwd and
 * group are read from the given paths (unit tests).  The rules are
 * runc's: a user given by name gets the groups that list it as a member
 * as supplementary groups, unless a group was named explicitly.
 */
int
containers_user_resolve(const char *root, const char *passwd_path,
    const char *group_path, json_object *cfg_user_and_groups,
    struct spec_user *u, struct berth_err *err)
{
	const char	*spec = berth_json_str(cfg_user_and_groups, "User");
	json_object	*adds = berth_json_get(cfg_user_and_groups, "GroupAdd");
	char		 user[256], *grp = NULL, line[4096], *fl[7], *m, *sv;
	FILE		*f;
	long		 n;
	int		 by_name = 0, found = 0, numeric;
	size_t		 i;
	gid_t		 g;

	memset(u, 0, sizeof(*u));
	snprintf(u->home, sizeof(u->home), "/");
	snprintf(user, sizeof(user), "%s", spec != NULL ? spec : "");
	if ((grp = strchr(user, ':')) != NULL)
		*grp++ = '\0';
	numeric = spec_numeric(user, &n);
	if (numeric)
		u->uid = (uid_t)n;

	f = root != NULL ? spec_open_in_root(root, "/etc/passwd") :
	    fopen(passwd_path, "re");
	if (user[0] != '\0' && f == NULL && !numeric)
		return berth_err_set(err, -EINVAL,
		    "unable to find user %s: no matching entries in passwd file",
		    user);
	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || spec_fields(line, fl, 7) < 4)
			continue;
		if (user[0] == '\0' ? strcmp(fl[2], "0") == 0 :
		    numeric ? (spec_numeric(fl[2], &n) && n == (long)u->uid) :
		    strcmp(fl[0], user) == 0) {
			if (!spec_numeric(fl[2], &n))
				continue;
			u->uid = (uid_t)n;
			if (spec_numeric(fl[3], &n))
				u->gid = (gid_t)n;
			if (fl[5] != NULL && fl[5][0] != '\0')
				snprintf(u->home, sizeof(u->home), "%s", fl[5]);
			by_name = 1;
			found = 1;
			snprintf(user, sizeof(user), "%s", fl[0]);
		}
	}
	if (f != NULL)
		fclose(f);
	if (!found && user[0] != '\0' && !numeric)
		return berth_err_set(err, -EINVAL,
		    "unable to find user %s: no matching entries in passwd file",
		    user);

	if (grp != NULL && *grp != '\0') {
		if (spec_group(root, group_path, grp, &g) < 0)
			return berth_err_set(err, -EINVAL,
			    "unable to find group %s: no matching entries in group file",
			    grp);
		u->gid = g;
	} else if (by_name && user[0] != '\0') {
		f = root != NULL ? spec_open_in_root(root, "/etc/group") :
		    fopen(group_path, "re");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			if (line[0] == '#' || spec_fields(line, fl, 4) < 4)
				continue;
			for (m = strtok_r(fl[3], ",", &sv); m != NULL;
			    m = strtok_r(NULL, ",", &sv))
				if (strcmp(m, user) == 0 &&
				    spec_numeric(fl[2], &n) &&
				    u->nsgids < sizeof(u->sgids) /
				    sizeof(u->sgids[0]))
					u->sgids[u->nsgids++] = (gid_t)n;
		}
		if (f != NULL)
			fclose(f);
	}
	for (i = 0; i < jlen(adds); i++) {
		const char *a = json_object_get_string(
		    json_object_array_get_idx(adds, i));
		if (spec_group(root, group_path, a, &g) < 0)
			return berth_err_set(err, -EINVAL,
			    "Unable to find group %s", a);
		if (u->nsgids < sizeof(u->sgids) / sizeof(u->sgids[0]))
			u->sgids[u->nsgids++] = g;
	}
	return 0;
}

/*
 * "chown", "CAP_CHOWN", "cap_chown" -> "CAP_CHOWN" in out, if libcap
 * knows it (and so does the kernel this was built for).
 */
int
containers_cap_valid(const char *name, char *out, size_t len)
{
	char		 buf[64];
	cap_value_t	 v;
	size_t		 i;

	if (name == NULL || strlen(name) + 5 > sizeof(buf))
		return -EINVAL;
	if (strncasecmp(name, "CAP_", 4) == 0)
		snprintf(buf, sizeof(buf), "%s", name);
	else
		snprintf(buf, sizeof(buf), "CAP_%s", name);
	for (i = 0; buf[i] != '\0'; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	if (cap_from_name(buf, &v) != 0 || v < 0 || v >= (int)cap_max_bits())
		return -EINVAL;
	for (i = 0; buf[i] != '\0'; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
	snprintf(out, len, "%s", buf);
	return 0;
}

int
containers_cap_has(json_object *caps, const char *cap)
{
	size_t	i;

	for (i = 0; i < jlen(caps); i++)
		if (strcasecmp(json_object_get_string(
		    json_object_array_get_idx(caps, i)), cap) == 0)
			return 1;
	return 0;
}

static void
spec_all_caps(json_object *out)
{
	cap_value_t	 v;
	char		*n, *p;

	for (v = 0; v < (cap_value_t)cap_max_bits(); v++) {
		if ((n = cap_to_name(v)) == NULL)
			continue;
		/* Unnamed bits come back as numbers: skip them. */
		if (strncasecmp(n, "cap_", 4) == 0) {
			for (p = n; *p != '\0'; p++)
				*p = (char)toupper((unsigned char)*p);
			json_object_array_add(out, json_object_new_string(n));
		}
		cap_free(n);
	}
}

/* Normalise a CapAdd/CapDrop list; "ALL" stays as is. */
static int
spec_cap_list(json_object *in, json_object *out, const char *what,
    struct berth_err *err)
{
	char		 name[64];
	const char	*s;
	size_t		 i;

	for (i = 0; i < jlen(in); i++) {
		s = json_object_get_string(json_object_array_get_idx(in, i));
		if (s != NULL && strcasecmp(s, "ALL") == 0) {
			json_object_array_add(out, json_object_new_string("ALL"));
			continue;
		}
		if (containers_cap_valid(s, name, sizeof(name)) < 0)
			return berth_err_set(err, -EINVAL,
			    "invalid %s: unknown capability: \"%s\"", what,
			    s != NULL ? s : "");
		if (!containers_cap_has(out, name))
			json_object_array_add(out,
			    json_object_new_string(name));
	}
	return 0;
}

/*
 * The capability set: all of them when privileged, else Docker's
 * defaults with CapDrop removed and CapAdd added ("ALL" in CapAdd means
 * every capability but those dropped; in CapDrop, only those added).
 */
int
containers_caps(json_object *cap_add, json_object *cap_drop, int privileged,
    json_object **out, struct berth_err *err)
{
	json_object	*add = json_object_new_array();
	json_object	*drop = json_object_new_array();
	json_object	*caps = json_object_new_array(), *base;
	size_t		 i;
	const char	*s;
	int		 rc;

	if ((rc = spec_cap_list(cap_add, add, "CapAdd", err)) < 0 ||
	    (rc = spec_cap_list(cap_drop, drop, "CapDrop", err)) < 0)
		goto fail;
	if (privileged) {
		spec_all_caps(caps);
		goto done;
	}
	if (containers_cap_has(add, "ALL")) {
		base = json_object_new_array();
		spec_all_caps(base);
		for (i = 0; i < jlen(base); i++) {
			s = json_object_get_string(
			    json_object_array_get_idx(base, i));
			if (!containers_cap_has(drop, s))
				json_object_array_add(caps,
				    json_object_new_string(s));
		}
		json_object_put(base);
		goto done;
	}
	if (!containers_cap_has(drop, "ALL"))
		for (i = 0; berth_oci_default_caps[i] != NULL; i++)
			if (!containers_cap_has(drop, berth_oci_default_caps[i]))
				json_object_array_add(caps,
				    json_object_new_string(berth_oci_default_caps[i]));
	for (i = 0; i < jlen(add); i++) {
		s = json_object_get_string(json_object_array_get_idx(add, i));
		if (!containers_cap_has(caps, s))
			json_object_array_add(caps, json_object_new_string(s));
	}
done:
	json_object_put(add);
	json_object_put(drop);
	*out = caps;
	return 0;
fail:
	json_object_put(add);
	json_object_put(drop);
	json_object_put(caps);
	return rc;
}

/*
 * HostConfig.SecurityOpt: seccomp=unconfined|<profile JSON>,
 * no-new-privileges[:bool], apparmor=..., label=... (no AppArmor or
 * SELinux here: accepted and ignored, as Docker does without them).
 * *seccomp gets "unconfined", a profile text, or NULL for the default.
 */
int
containers_security_opts(json_object *opts, int *nnp, char **seccomp,
    struct berth_err *err)
{
	const char	*s, *v;
	size_t		 i;

	*nnp = 0;
	*seccomp = NULL;
	for (i = 0; i < jlen(opts); i++) {
		s = json_object_get_string(json_object_array_get_idx(opts, i));
		if (s == NULL)
			continue;
		if (strcmp(s, "no-new-privileges") == 0) {
			*nnp = 1;
			continue;
		}
		if ((v = strchr(s, '=')) == NULL)
			v = strchr(s, ':');
		if (v == NULL)
			goto bad;
		if (strncmp(s, "no-new-privileges", (size_t)(v - s)) == 0 &&
		    v - s == 17) {
			if (strcmp(v + 1, "true") == 0)
				*nnp = 1;
			else if (strcmp(v + 1, "false") == 0)
				*nnp = 0;
			else
				goto bad;
		} else if (strncmp(s, "seccomp", 7) == 0 && v - s == 7) {
			free(*seccomp);
			if ((*seccomp = strdup(v + 1)) == NULL)
				return berth_err_set(err, -ENOMEM,
				    "out of memory");
		} else if ((strncmp(s, "apparmor", 8) == 0 && v - s == 8) ||
		    (strncmp(s, "label", 5) == 0 && v - s == 5)) {
			continue;
		} else
			goto bad;
	}
	return 0;
bad:
	free(*seccomp);
	*seccomp = NULL;
	return berth_err_set(err, -EINVAL, "Invalid --security-opt: \"%s\"",
	    s);
}

static json_object *
spec_mount(const char *dst, const char *type, const char *src,
    const char *const *opts)
{
	json_object	*m = json_object_new_object();

	json_object_object_add(m, "destination", jstr(dst));
	json_object_object_add(m, "type", jstr(type));
	json_object_object_add(m, "source", jstr(src));
	json_object_object_add(m, "options", jstrs(opts));
	return m;
}

static void
spec_mount_add(json_object *mounts, json_object *m)
{
	const char	*dst = json_object_get_string(
	    json_object_object_get(m, "destination"));
	size_t		 i;

	/* A user's mount replaces a default one at the same place. */
	for (i = 0; i < json_object_array_length(mounts); i++)
		if (strcmp(json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(mounts, i), "destination")),
		    dst) == 0) {
			json_object_array_put_idx(mounts, i, m);
			return;
		}
	json_object_array_add(mounts, m);
}

static void
spec_tmpfs(json_object *mounts, json_object *tmpfs)
{
	json_object	*m, *o;
	char		*opts, *tok, *sv;

	if (tmpfs == NULL || !json_object_is_type(tmpfs, json_type_object))
		return;
	json_object_object_foreach(tmpfs, dst, val) {
		m = json_object_new_object();
		json_object_object_add(m, "destination", jstr(dst));
		json_object_object_add(m, "type", jstr("tmpfs"));
		json_object_object_add(m, "source", jstr("tmpfs"));
		o = json_object_new_array();
		json_object_array_add(o, jstr("noexec"));
		json_object_array_add(o, jstr("nosuid"));
		json_object_array_add(o, jstr("nodev"));
		if ((opts = strdup(json_object_get_string(val))) != NULL) {
			for (tok = strtok_r(opts, ",", &sv); tok != NULL;
			    tok = strtok_r(NULL, ",", &sv))
				json_object_array_add(o, jstr(tok));
			free(opts);
		}
		json_object_object_add(m, "options", o);
		spec_mount_add(mounts, m);
	}
}

static json_object *
spec_dev_rule(int allow, const char *type, int64_t major, int64_t minor,
    const char *access)
{
	json_object	*d = json_object_new_object();

	json_object_object_add(d, "allow", json_object_new_boolean(allow));
	if (type != NULL)
		json_object_object_add(d, "type", jstr(type));
	if (major >= 0)
		json_object_object_add(d, "major", json_object_new_int64(major));
	if (minor >= 0)
		json_object_object_add(d, "minor", json_object_new_int64(minor));
	json_object_object_add(d, "access", jstr(access));
	return d;
}

/* The device cgroup: deny all, then Docker's default allow list. */
static json_object *
spec_dev_rules(int privileged)
{
	json_object	*a = json_object_new_array();

	if (privileged) {
		json_object_array_add(a, spec_dev_rule(1, NULL, -1, -1, "rwm"));
		return a;
	}
	json_object_array_add(a, spec_dev_rule(0, NULL, -1, -1, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", -1, -1, "m"));
	json_object_array_add(a, spec_dev_rule(1, "b", -1, -1, "m"));
	json_object_array_add(a, spec_dev_rule(1, "c", 1, 3, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", 1, 8, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", 1, 7, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", 5, 0, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", 1, 5, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", 1, 9, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", 5, 1, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", 136, -1, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", 5, 2, "rwm"));
	json_object_array_add(a, spec_dev_rule(1, "c", 10, 200, "rwm"));
	return a;
}

/* --privileged: every device node of the host's /dev. */
static void
spec_host_devices(json_object *devs, const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	char		 p[PATH_MAX];
	json_object	*o;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (containers_path_join(p, sizeof(p), dir, e->d_name) < 0 ||
		    lstat(p, &sb) == -1)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (strcmp(p, "/dev/pts") != 0 &&
			    strcmp(p, "/dev/shm") != 0 &&
			    strcmp(p, "/dev/mqueue") != 0)
				spec_host_devices(devs, p);
			continue;
		}
		if (!S_ISCHR(sb.st_mode) && !S_ISBLK(sb.st_mode))
			continue;
		if (strcmp(p, "/dev/console") == 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "path", jstr(p));
		json_object_object_add(o, "type",
		    jstr(S_ISCHR(sb.st_mode) ? "c" : "b"));
		json_object_object_add(o, "major",
		    json_object_new_int64(major(sb.st_rdev)));
		json_object_object_add(o, "minor",
		    json_object_new_int64(minor(sb.st_rdev)));
		json_object_object_add(o, "fileMode",
		    json_object_new_int((int)(sb.st_mode & 07777)));
		json_object_object_add(o, "uid", json_object_new_int(0));
		json_object_object_add(o, "gid", json_object_new_int(0));
		json_object_array_add(devs, o);
	}
	closedir(d);
}

/* One "c 1:3 rwm" device cgroup rule ('*' for any major or minor). */
static json_object *
spec_dev_rule_parse(const char *rule)
{
	char	type, maj[16], min[16], acc[8];
	char	*end;
	long	 ma = -1, mi = -1;

	if (sscanf(rule, "%c %15[0-9*]:%15[0-9*] %7[rwm]", &type, maj, min,
	    acc) != 4 || (type != 'a' && type != 'b' && type != 'c'))
		return NULL;
	if (strcmp(maj, "*") != 0 && ((ma = strtol(maj, &end, 10)) < 0 ||
	    *end != '\0'))
		return NULL;
	if (strcmp(min, "*") != 0 && ((mi = strtol(min, &end, 10)) < 0 ||
	    *end != '\0'))
		return NULL;
	return spec_dev_rule(1, type == 'a' ? NULL : (type == 'b' ? "b" : "c"),
	    ma, mi, acc);
}

/*
 * --device HOST[:CONTAINER[:PERMS]] (HostConfig.Devices) and
 * --device-cgroup-rule: a device node made in the container, and an
 * allow rule in its device cgroup.  Reads the host's /dev (work job).
 */
static int
spec_user_devices(json_object *linux_, json_object *hc,
    struct berth_err *err)
{
	json_object	*in = berth_json_get(hc, "Devices"), *d, *o, *rules;
	json_object	*devs = json_object_new_array(), *res;
	const char	*host, *ctr, *perm;
	struct stat	 sb;
	size_t		 i;

	res = json_object_object_get(linux_, "resources");
	rules = json_object_object_get(res, "devices");
	for (i = 0; i < jlen(in); i++) {
		d = json_object_array_get_idx(in, i);
		host = berth_json_str(d, "PathOnHost");
		ctr = berth_json_str(d, "PathInContainer");
		perm = berth_json_str(d, "CgroupPermissions");
		if (ctr == NULL || *ctr == '\0')
			ctr = host;
		if (perm == NULL || *perm == '\0')
			perm = "rwm";
		if (host == NULL || stat(host, &sb) == -1 ||
		    (!S_ISCHR(sb.st_mode) && !S_ISBLK(sb.st_mode))) {
			json_object_put(devs);
			return berth_err_set(err, -EINVAL,
			    "error gathering device information while adding "
			    "custom device \"%s\": not a device node",
			    host != NULL ? host : "");
		}
		o = json_object_new_object();
		json_object_object_add(o, "path", jstr(ctr));
		json_object_object_add(o, "type",
		    jstr(S_ISCHR(sb.st_mode) ? "c" : "b"));
		json_object_object_add(o, "major",
		    json_object_new_int64(major(sb.st_rdev)));
		json_object_object_add(o, "minor",
		    json_object_new_int64(minor(sb.st_rdev)));
		json_object_object_add(o, "fileMode",
		    json_object_new_int((int)(sb.st_mode & 0777)));
		json_object_object_add(o, "uid", json_object_new_int(0));
		json_object_object_add(o, "gid", json_object_new_int(0));
		json_object_array_add(devs, o);
		json_object_array_add(rules, spec_dev_rule(1,
		    S_ISCHR(sb.st_mode) ? "c" : "b", major(sb.st_rdev),
		    minor(sb.st_rdev), perm));
	}
	in = berth_json_get(hc, "DeviceCgroupRules");
	for (i = 0; i < jlen(in); i++) {
		o = spec_dev_rule_parse(json_object_get_string(
		    json_object_array_get_idx(in, i)));
		if (o == NULL) {
			json_object_put(devs);
			return berth_err_set(err, -EINVAL,
			    "invalid device cgroup rule: %s",
			    json_object_get_string(
			    json_object_array_get_idx(in, i)));
		}
		json_object_array_add(rules, o);
	}
	if (json_object_array_length(devs) > 0)
		json_object_object_add(linux_, "devices", devs);
	else
		json_object_put(devs);
	return 0;
}

static json_object *
spec_ns(const char *type, pid_t pid)
{
	json_object	*n = json_object_new_object();
	char		 p[64];

	json_object_object_add(n, "type", jstr(type));
	if (pid > 0) {
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid,
		    strcmp(type, "network") == 0 ? "net" :
		    strcmp(type, "mount") == 0 ? "mnt" : type);
		json_object_object_add(n, "path", jstr(p));
	}
	return n;
}

static const struct {
	const char	*name;
	const char	*oci;
} spec_rlimits[] = {
	{ "core", "RLIMIT_CORE" }, { "cpu", "RLIMIT_CPU" },
	{ "data", "RLIMIT_DATA" }, { "fsize", "RLIMIT_FSIZE" },
	{ "locks", "RLIMIT_LOCKS" }, { "memlock", "RLIMIT_MEMLOCK" },
	{ "msgqueue", "RLIMIT_MSGQUEUE" }, { "nice", "RLIMIT_NICE" },
	{ "nofile", "RLIMIT_NOFILE" }, { "nproc", "RLIMIT_NPROC" },
	{ "rss", "RLIMIT_RSS" }, { "rtprio", "RLIMIT_RTPRIO" },
	{ "rttime", "RLIMIT_RTTIME" }, { "sigpending", "RLIMIT_SIGPENDING" },
	{ "stack", "RLIMIT_STACK" },
};

static int
spec_rlimits_add(json_object *proc, json_object *ulimits,
    struct berth_err *err)
{
	json_object	*a = json_object_new_array(), *r, *u;
	const char	*name;
	size_t		 i, j;

	for (i = 0; i < jlen(ulimits); i++) {
		u = json_object_array_get_idx(ulimits, i);
		name = berth_json_str(u, "Name");
		for (j = 0; j < sizeof(spec_rlimits) / sizeof(spec_rlimits[0]);
		    j++)
			if (name != NULL && strcmp(name,
			    spec_rlimits[j].name) == 0)
				break;
		if (j == sizeof(spec_rlimits) / sizeof(spec_rlimits[0])) {
			json_object_put(a);
			return berth_err_set(err, -EINVAL,
			    "invalid ulimit type: %s", name ? name : "");
		}
		r = json_object_new_object();
		json_object_object_add(r, "type", jstr(spec_rlimits[j].oci));
		json_object_object_add(r, "hard",
		    json_object_new_int64(jint(u, "Hard")));
		json_object_object_add(r, "soft",
		    json_object_new_int64(jint(u, "Soft")));
		json_object_array_add(a, r);
	}
	if (json_object_array_length(a) > 0)
		json_object_object_add(proc, "rlimits", a);
	else
		json_object_put(a);
	return 0;
}

/* linux.resources from a HostConfig (also for update).  Caller puts. */
json_object *
containers_spec_resources(json_object *hc, int privileged)
{
	json_object	*r = json_object_new_object(), *m, *c, *p;
	int64_t		 mem, swap, v;
	const char	*s;

	json_object_object_add(r, "devices", spec_dev_rules(privileged));

	m = json_object_new_object();
	if ((mem = jint(hc, "Memory")) > 0) {
		json_object_object_add(m, "limit", json_object_new_int64(mem));
		swap = jint(hc, "MemorySwap");
		/* Docker: unset swap means as much swap as memory. */
		if (swap == 0)
			swap = 2 * mem;
		json_object_object_add(m, "swap", json_object_new_int64(swap));
	}
	if ((v = jint(hc, "MemoryReservation")) > 0)
		json_object_object_add(m, "reservation",
		    json_object_new_int64(v));
	if (berth_json_get(hc, "MemorySwappiness") != NULL &&
	    (v = jint(hc, "MemorySwappiness")) >= 0)
		json_object_object_add(m, "swappiness",
		    json_object_new_int64(v));
	if (jbool(hc, "OomKillDisable"))
		json_object_object_add(m, "disableOOMKiller",
		    json_object_new_boolean(1));
	if (json_object_object_length(m) > 0)
		json_object_object_add(r, "memory", m);
	else
		json_object_put(m);

	c = json_object_new_object();
	if ((v = jint(hc, "CpuShares")) > 0)
		json_object_object_add(c, "shares", json_object_new_int64(v));
	if ((v = jint(hc, "NanoCpus")) > 0) {
		json_object_object_add(c, "period",
		    json_object_new_int64(100000));
		json_object_object_add(c, "quota",
		    json_object_new_int64(v * 100000 / 1000000000LL));
	} else {
		if ((v = jint(hc, "CpuPeriod")) > 0)
			json_object_object_add(c, "period",
			    json_object_new_int64(v));
		if ((v = jint(hc, "CpuQuota")) > 0)
			json_object_object_add(c, "quota",
			    json_object_new_int64(v));
	}
	if ((s = berth_json_str(hc, "CpusetCpus")) != NULL && *s != '\0')
		json_object_object_add(c, "cpus", jstr(s));
	if ((s = berth_json_str(hc, "CpusetMems")) != NULL && *s != '\0')
		json_object_object_add(c, "mems", jstr(s));
	if (json_object_object_length(c) > 0)
		json_object_object_add(r, "cpu", c);
	else
		json_object_put(c);

	if ((v = jint(hc, "PidsLimit")) != 0) {
		p = json_object_new_object();
		json_object_object_add(p, "limit",
		    json_object_new_int64(v > 0 ? v : -1));
		json_object_object_add(r, "pids", p);
	}
	if ((v = jint(hc, "BlkioWeight")) > 0) {
		p = json_object_new_object();
		json_object_object_add(p, "weight", json_object_new_int64(v));
		json_object_object_add(r, "blockIO", p);
	}
	return r;
}

static const char *
spec_mode(json_object *hc, const char *key)
{
	const char	*s = berth_json_str(hc, key);

	return s != NULL ? s : "";
}

/*
 * The whole config.json.  Caller puts *out.  Fails with Docker's
 * messages for a user or group that cannot be found, an unknown
 * capability, a bad security option or a bad seccomp profile.
 */
int
containers_spec(const struct spec_in *in, json_object **out,
    struct berth_err *err)
{
	json_object	*cfg = in->config, *hc = in->hostconfig;
	json_object	*s, *proc, *user, *caps = NULL, *linux_, *mounts, *ns;
	json_object	*o, *a, *sc = NULL, *args = NULL, *root, *devs, *n1;
	struct spec_user u;
	const char	*hostname, *netmode, *cwd, *s1;
	static const char *const ro_opts[] = { "nosuid", "noexec",
	    "nodev", "ro", NULL };
	char		*path = NULL, *seccomp = NULL, p[PATH_MAX];
	char		 shm[64];
	int		 privileged, nnp, rc, tty, readonly;
	size_t		 i;
	int64_t		 shm_size;

	privileged = jbool(hc, "Privileged");
	tty = jbool(cfg, "Tty");
	readonly = jbool(hc, "ReadonlyRootfs");
	netmode = spec_mode(hc, "NetworkMode");
	hostname = berth_json_str(cfg, "Hostname");

	if ((rc = containers_args(cfg, &path, &args, err)) < 0)
		return rc;
	if ((rc = containers_security_opts(berth_json_get(hc, "SecurityOpt"),
	    &nnp, &seccomp, err)) < 0)
		goto fail;
	if ((rc = containers_caps(berth_json_get(hc, "CapAdd"),
	    berth_json_get(hc, "CapDrop"), privileged, &caps, err)) < 0)
		goto fail;
	o = json_object_new_object();
	json_object_object_add(o, "User", jstr(berth_json_str(cfg, "User")));
	json_object_object_add(o, "GroupAdd", json_object_get(
	    berth_json_get(hc, "GroupAdd")));
	rc = containers_user_resolve(in->rootfs, NULL, NULL, o, &u, err);
	json_object_put(o);
	if (rc < 0)
		goto fail;

	s = json_object_new_object();
	json_object_object_add(s, "ociVersion", jstr("1.0.2"));

	/* process */
	proc = json_object_new_object();
	json_object_object_add(proc, "terminal", json_object_new_boolean(tty));
	if (tty) {
		o = json_object_new_object();
		json_object_object_add(o, "height", json_object_new_int(24));
		json_object_object_add(o, "width", json_object_new_int(80));
		json_object_object_add(proc, "consoleSize", o);
	}
	user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int64(u.uid));
	json_object_object_add(user, "gid", json_object_new_int64(u.gid));
	if (u.nsgids > 0) {
		a = json_object_new_array();
		for (i = 0; i < u.nsgids; i++)
			json_object_array_add(a,
			    json_object_new_int64(u.sgids[i]));
		json_object_object_add(user, "additionalGids", a);
	}
	json_object_object_add(proc, "user", user);
	a = json_object_new_array();
	if (jbool(hc, "Init") && in->init_path != NULL) {
		json_object_array_add(a, jstr("/sbin/docker-init"));
		json_object_array_add(a, jstr("--"));
	}
	json_object_array_add(a, jstr(path));
	for (i = 0; i < jlen(args); i++)
		json_object_array_add(a, json_object_get(
		    json_object_array_get_idx(args, i)));
	json_object_object_add(proc, "args", a);
	json_object_object_add(proc, "env", containers_env(
	    berth_json_get(cfg, "Env"), hostname, tty));
	cwd = berth_json_str(cfg, "WorkingDir");
	json_object_object_add(proc, "cwd", jstr(cwd != NULL && *cwd != '\0' ?
	    cwd : "/"));
	o = json_object_new_object();
	json_object_object_add(o, "bounding", json_object_get(caps));
	json_object_object_add(o, "effective", json_object_get(caps));
	json_object_object_add(o, "permitted", json_object_get(caps));
	json_object_object_add(proc, "capabilities", o);
	if ((rc = spec_rlimits_add(proc, berth_json_get(hc, "Ulimits"),
	    err)) < 0) {
		json_object_put(proc);
		json_object_put(s);
		goto fail;
	}
	json_object_object_add(proc, "noNewPrivileges",
	    json_object_new_boolean(nnp));
	if (jint(hc, "OomScoreAdj") != 0)
		json_object_object_add(proc, "oomScoreAdj",
		    json_object_new_int64(jint(hc, "OomScoreAdj")));
	json_object_object_add(s, "process", proc);

	root = json_object_new_object();
	json_object_object_add(root, "path", jstr(in->rootfs));
	json_object_object_add(root, "readonly",
	    json_object_new_boolean(readonly));
	json_object_object_add(s, "root", root);
	/* Without a UTS namespace of its own the host's name stays. */
	if (strcmp(spec_mode(hc, "UTSMode"), "host") != 0 &&
	    strcmp(netmode, "host") != 0)
		json_object_object_add(s, "hostname", jstr(hostname));
	if ((s1 = berth_json_str(cfg, "Domainname")) != NULL && *s1 != '\0' &&
	    strcmp(spec_mode(hc, "UTSMode"), "host") != 0 &&
	    strcmp(netmode, "host") != 0)
		json_object_object_add(s, "domainname", jstr(s1));

	/* mounts: the defaults, then /etc files, tmpfs, --init */
	mounts = json_object_new_array();
	json_object_array_add(mounts, spec_mount("/proc", "proc", "proc",
	    (const char *const[]){ "nosuid", "noexec", "nodev", NULL }));
	json_object_array_add(mounts, spec_mount("/dev", "tmpfs", "tmpfs",
	    (const char *const[]){ "nosuid", "strictatime", "mode=755",
	    "size=65536k", NULL }));
	json_object_array_add(mounts, spec_mount("/dev/pts", "devpts",
	    "devpts", (const char *const[]){ "nosuid", "noexec",
	    "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL }));
	json_object_array_add(mounts, spec_mount("/sys", "sysfs", "sysfs",
	    privileged ? (const char *const[]){ "nosuid", "noexec", "nodev",
	    NULL } : ro_opts));
	json_object_array_add(mounts, spec_mount("/sys/fs/cgroup", "cgroup",
	    "cgroup", privileged ? (const char *const[]){ "nosuid", "noexec",
	    "nodev", "relatime", NULL } : (const char *const[]){ "nosuid",
	    "noexec", "nodev", "relatime", "ro", NULL }));
	json_object_array_add(mounts, spec_mount("/dev/mqueue", "mqueue",
	    "mqueue", (const char *const[]){ "nosuid", "noexec", "nodev",
	    NULL }));
	shm_size = jint(hc, "ShmSize") > 0 ? jint(hc, "ShmSize") :
	    SPEC_SHM_SIZE;
	snprintf(shm, sizeof(shm), "size=%lld", (long long)shm_size);
	json_object_array_add(mounts, spec_mount("/dev/shm", "tmpfs", "shm",
	    (const char *const[]){ "nosuid", "noexec", "nodev", "mode=1777",
	    shm, NULL }));
	if (in->ctr_dir != NULL) {
		const char *const etc[] = { "resolv.conf", "hostname",
		    "hosts" };
		for (i = 0; i < 3; i++) {
			char dst[32];

			snprintf(p, sizeof(p), "%s/%s", in->ctr_dir, etc[i]);
			snprintf(dst, sizeof(dst), "/etc/%s", etc[i]);
			json_object_array_add(mounts, spec_mount(dst, "bind",
			    p, readonly ? (const char *const[]){ "rbind",
			    "rprivate", "ro", NULL } :
			    (const char *const[]){ "rbind", "rprivate",
			    NULL }));
		}
	}
	spec_tmpfs(mounts, berth_json_get(hc, "Tmpfs"));
	for (i = 0; in->mounts != NULL &&
	    i < json_object_array_length(in->mounts); i++)
		spec_mount_add(mounts, json_object_get(
		    json_object_array_get_idx(in->mounts, i)));
	if (jbool(hc, "Init") && in->init_path != NULL)
		json_object_array_add(mounts, spec_mount("/sbin/docker-init",
		    "bind", in->init_path, (const char *const[]){ "bind", "ro",
		    NULL }));
	json_object_object_add(s, "mounts", mounts);

	/* linux */
	linux_ = json_object_new_object();
	ns = json_object_new_array();
	s1 = spec_mode(hc, "PidMode");
	if (strcmp(s1, "host") != 0)
		json_object_array_add(ns, spec_ns("pid", in->pid_pid));
	s1 = spec_mode(hc, "IpcMode");
	if (strcmp(s1, "host") != 0)
		json_object_array_add(ns, spec_ns("ipc", in->ipc_pid));
	if (strcmp(spec_mode(hc, "UTSMode"), "host") != 0 &&
	    strcmp(netmode, "host") != 0)
		json_object_array_add(ns, spec_ns("uts", 0));
	json_object_array_add(ns, spec_ns("mount", 0));
	if (strcmp(netmode, "host") != 0 && in->netns != NULL) {
		n1 = spec_ns("network", 0);
		json_object_object_add(n1, "path", jstr(in->netns));
		json_object_array_add(ns, n1);
	} else if (strcmp(netmode, "host") != 0)
		json_object_array_add(ns, spec_ns("network", in->net_pid));
	json_object_object_add(linux_, "namespaces", ns);
	s1 = spec_mode(hc, "CgroupParent");
	snprintf(p, sizeof(p), "%s%s/%s", *s1 != '\0' && *s1 != '/' ? "/" : "",
	    *s1 != '\0' ? s1 : "/berth", in->id);
	json_object_object_add(linux_, "cgroupsPath", jstr(p));
	json_object_object_add(linux_, "resources",
	    containers_spec_resources(hc, privileged));
	a = json_object_new_object();
	if ((o = berth_json_get(hc, "Sysctls")) != NULL &&
	    json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, sk, sv)
			json_object_object_add(a, sk, json_object_get(sv));
	}
	/* Not every runtime applies the spec's domainname; this it does. */
	if ((s1 = berth_json_str(cfg, "Domainname")) != NULL && *s1 != '\0' &&
	    json_object_object_get(s, "domainname") != NULL &&
	    berth_json_get(a, "kernel.domainname") == NULL)
		json_object_object_add(a, "kernel.domainname", jstr(s1));
	if (json_object_object_length(a) > 0)
		json_object_object_add(linux_, "sysctl", a);
	else
		json_object_put(a);
	if (privileged) {
		devs = json_object_new_array();
		if (in->host_devices)
			spec_host_devices(devs, "/dev");
		json_object_object_add(linux_, "devices", devs);
	} else if ((rc = spec_user_devices(linux_, hc, err)) < 0) {
		json_object_put(linux_);
		json_object_put(s);
		goto fail;
	} else {
		o = berth_json_get(hc, "MaskedPaths");
		json_object_object_add(linux_, "maskedPaths", o != NULL &&
		    json_object_is_type(o, json_type_array) ?
		    json_object_get(o) : jstrs(berth_oci_masked));
		o = berth_json_get(hc, "ReadonlyPaths");
		json_object_object_add(linux_, "readonlyPaths", o != NULL &&
		    json_object_is_type(o, json_type_array) ?
		    json_object_get(o) : jstrs(berth_oci_readonly));
		if (seccomp == NULL)
			sc = containers_seccomp_default(caps);
		else if (strcmp(seccomp, "unconfined") != 0 &&
		    (rc = containers_seccomp_from_profile(seccomp, caps, &sc,
		    err)) < 0) {
			json_object_put(linux_);
			json_object_put(s);
			goto fail;
		}
		if (sc != NULL)
			json_object_object_add(linux_, "seccomp", sc);
	}
	json_object_object_add(s, "linux", linux_);

	free(path);
	free(seccomp);
	json_object_put(args);
	json_object_put(caps);
	*out = s;
	return 0;
fail:
	free(path);
	free(seccomp);
	json_object_put(args);
	json_object_put(caps);
	return rc;
}

static int
spec_write(const char *dir, const char *name, const char *text)
{
	char	p[PATH_MAX];
	int	rc;

	if ((rc = containers_path_join(p, sizeof(p), dir, name)) < 0)
		return rc;
	/* Rebuilt at every start: atomic, but no need to be durable. */
	return berth_write_file(p, text, strlen(text), 0644, 0);
}

/*
 * Host nameservers, less the loopback ones a container cannot reach; on
 * a user-defined network (embedded) the embedded DNS server instead,
 * which forwards what it does not know to the host's.
 */
static void
spec_resolv(json_object *hc, int hostnet, int embedded, char *buf,
    size_t len)
{
	FILE		*f;
	char		 line[512];
	size_t		 n = 0, i;
	int		 ns = 0;
	json_object	*v;

	buf[0] = '\0';
#define APPEND(...)	do {						\
	int _w = snprintf(buf + n, len - n, __VA_ARGS__);		\
	if (_w > 0 && (size_t)_w < len - n)				\
		n += (size_t)_w;					\
} while (0)
	/* The embedded server forwards to --dns itself: it stays first. */
	if (embedded && (v = berth_json_get(hc, "Dns")) != NULL &&
	    jlen(v) > 0) {
		APPEND("nameserver 127.0.0.11\n");
		if ((v = berth_json_get(hc, "DnsOptions")) == NULL ||
		    jlen(v) == 0)
			APPEND("options ndots:0\n");
		ns = 1;
	} else if ((v = berth_json_get(hc, "Dns")) != NULL && jlen(v) > 0) {
		for (i = 0; i < jlen(v); i++)
			APPEND("nameserver %s\n", json_object_get_string(
			    json_object_array_get_idx(v, i)));
		ns = 1;
	}
	if ((v = berth_json_get(hc, "DnsSearch")) != NULL && jlen(v) > 0) {
		APPEND("search");
		for (i = 0; i < jlen(v); i++)
			APPEND(" %s", json_object_get_string(
			    json_object_array_get_idx(v, i)));
		APPEND("\n");
	}
	if ((v = berth_json_get(hc, "DnsOptions")) != NULL && jlen(v) > 0) {
		APPEND("options");
		for (i = 0; i < jlen(v); i++)
			APPEND(" %s", json_object_get_string(
			    json_object_array_get_idx(v, i)));
		APPEND("\n");
	}
	if (ns)
		return;
	if (embedded)
		APPEND("nameserver 127.0.0.11\noptions ndots:0\n");
	if ((f = fopen("/etc/resolv.conf", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (embedded && strncmp(line, "search", 6) != 0)
				continue;
			if (strncmp(line, "nameserver", 10) == 0 && !hostnet &&
			    (strstr(line, " 127.") != NULL ||
			    strstr(line, " ::1") != NULL))
				continue;
			if (strncmp(line, "nameserver", 10) == 0)
				ns = 1;
			APPEND("%s", line);
		}
		fclose(f);
	}
	if (!ns && !embedded)
		APPEND("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
#undef APPEND
}

/*
 * The files bind-mounted at /etc/hosts, /etc/hostname and
 * /etc/resolv.conf, in the container's directory (work job).
 */
int
containers_write_etc(const struct spec_in *in, struct berth_err *err)
{
	json_object	*hc = in->hostconfig, *v;
	const char	*hostname = berth_json_str(in->config, "Hostname");
	int		 hostnet = strcmp(spec_mode(hc, "NetworkMode"),
	    "host") == 0;
	char		 buf[8192], line[512], *colon;
	size_t		 n = 0, i;
	FILE		*f;
	int		 rc, embedded;

	snprintf(buf, sizeof(buf), "%s\n", hostname != NULL ? hostname : "");
	if ((rc = spec_write(in->ctr_dir, "hostname", buf)) < 0)
		return berth_err_set(err, rc, "write hostname: %s",
		    strerror(-rc));

	buf[0] = '\0';
	if (hostnet && (f = fopen("/etc/hosts", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL &&
		    n + strlen(line) < sizeof(buf) - 1) {
			memcpy(buf + n, line, strlen(line) + 1);
			n += strlen(line);
		}
		fclose(f);
	} else {
		n = (size_t)snprintf(buf, sizeof(buf),
		    "127.0.0.1\tlocalhost\n"
		    "::1\tlocalhost ip6-localhost ip6-loopback\n"
		    "fe00::0\tip6-localnet\n"
		    "ff00::0\tip6-mcastprefix\n"
		    "ff02::1\tip6-allnodes\n"
		    "ff02::2\tip6-allrouters\n");
	}
	/* The container's own address on each network, with its name. */
	if (!hostnet && in->networks != NULL) {
		json_object_object_foreach(in->networks, nk, nv) {
			const char *ip = berth_json_str(nv, "IPAddress");

			(void)nk;
			if (ip != NULL && *ip != '\0' && n < sizeof(buf) - 1)
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				    "%s\t%s\n", ip, hostname != NULL ?
				    hostname : "");
		}
	}
	if (in->links != NULL && n + strlen(in->links) < sizeof(buf) - 1) {
		memcpy(buf + n, in->links, strlen(in->links) + 1);
		n += strlen(in->links);
	}
	v = berth_json_get(hc, "ExtraHosts");
	for (i = 0; i < jlen(v) && n < sizeof(buf) - 1; i++) {
		snprintf(line, sizeof(line), "%s", json_object_get_string(
		    json_object_array_get_idx(v, i)));
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\t%s\n",
		    colon + 1, line);
	}
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if ((rc = spec_write(in->ctr_dir, "hosts", buf)) < 0)
		return berth_err_set(err, rc, "write hosts: %s",
		    strerror(-rc));
	embedded = 0;
	if (!hostnet && in->networks != NULL) {
		json_object_object_foreach(in->networks, rk, rv) {
			(void)rv;
			if (strcmp(rk, "bridge") != 0)
				embedded = 1;
		}
	}
	spec_resolv(hc, hostnet, embedded, buf, sizeof(buf));
	if ((rc = spec_write(in->ctr_dir, "resolv.conf", buf)) < 0)
		return berth_err_set(err, rc, "write resolv.conf: %s",
		    strerror(-rc));
	return 0;
}

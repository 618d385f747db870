/*
 * modules.c - engine.yaml's module list made real.
 *
 * Every check that can be made on data is made before any module code
 * runs: the file's mode, the descriptor's magic, ABI and size, its name,
 * its config keys.  Only then are modules initialised, in dependency
 * order.  A failed init is unwound through the owner tags of everything
 * the module registered.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "log.h"
#include "loop.h"
#include "modules.h"
#include "registry.h"
#include "router.h"

struct core_mod		 core_self = { .name = "berthd" };
static struct core_mod	*mods;		/* running, in start order */
static struct core_mod	*stopped;	/* fini'd, kept mapped until exit */

int
modules_check(const struct berth_module *m, const char *file,
    struct berth_err *err)
{
	const struct berth_abi	*a = &m->abi;

	if (a->magic != BERTH_MODULE_MAGIC)
		return berth_err_set(err, -ENOEXEC, "%s: not a berth module",
		    file);
	if (a->major != BERTH_ABI_MAJOR || a->minor > BERTH_ABI_MINOR)
		return berth_err_set(err, -EPROTO,
		    "%s: module %s needs ABI %u.%u, berthd provides %u.%u",
		    file, m->name ? m->name : "?", a->major, a->minor,
		    BERTH_ABI_MAJOR, BERTH_ABI_MINOR);
	if (a->size < BERTH_MODULE_MIN_SIZE)
		return berth_err_set(err, -EPROTO,
		    "%s: descriptor truncated (%u bytes, at least %zu needed)",
		    file, a->size, (size_t)BERTH_MODULE_MIN_SIZE);
	if ((a->flags & BERTH_ABI_STRICT) && (a->build_id == NULL ||
	    strcmp(a->build_id, BERTH_BUILD_ID) != 0))
		return berth_err_set(err, -EPROTO,
		    "%s: uses core-private headers; built by %s, berthd is %s",
		    file, a->build_id ? a->build_id : "?", BERTH_BUILD_ID);
	if (m->name == NULL || m->init == NULL || m->fini == NULL)
		return berth_err_set(err, -EPROTO,
		    "%s: descriptor lacks name, init or fini", file);
	return 0;
}

static const char *
file_stem(const char *file, char *buf, size_t len)
{
	const char	*base = strrchr(file, '/');
	size_t		 n;

	base = base ? base + 1 : file;
	n = strcspn(base, ".");
	if (n >= len)
		n = len - 1;
	memcpy(buf, base, n);
	buf[n] = '\0';
	return buf;
}

int
modules_open(const char *file, const char *name, struct core_mod **out,
    struct berth_err *err)
{
	const struct berth_module	*desc;
	struct core_mod			*m;
	struct stat			 st;
	char				 stem[NAME_MAX + 1];
	void				*dl;
	int				 rc;

	*out = NULL;
	if (stat(file, &st) == -1)
		return berth_err_errno(err, "module %s", file);
	if (!S_ISREG(st.st_mode))
		return berth_err_set(err, -EINVAL, "%s: not a regular file",
		    file);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return berth_err_set(err, -EPERM,
		    "%s: refusing a group- or world-writable module", file);
	if ((dl = dlopen(file, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return berth_err_set(err, -ENOEXEC, "%s: %s", file, dlerror());
	if ((desc = dlsym(dl, "berth_module")) == NULL) {
		berth_err_set(err, -ENOEXEC,
		    "%s: not a berth module (no berth_module symbol)", file);
		dlclose(dl);
		return -ENOEXEC;
	}
	if ((rc = modules_check(desc, file, err)) < 0) {
		dlclose(dl);
		return rc;
	}
	file_stem(file, stem, sizeof(stem));
	if (strcmp(desc->name, stem) != 0 ||
	    (name != NULL && strcmp(desc->name, name) != 0)) {
		berth_err_set(err, -EINVAL,
		    "%s: module calls itself %s, expected %s", file, desc->name,
		    name ? name : stem);
		dlclose(dl);
		return -EINVAL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->name = strdup(desc->name)) == NULL ||
	    (m->file = strdup(file)) == NULL) {
		if (m)
			free(m->name);
		free(m);
		dlclose(dl);
		return berth_err_set(err, -ENOMEM, "out of memory");
	}
	m->dl = dl;
	m->desc = desc;
	host_init(m);
	*out = m;
	return 0;
}

void
modules_close(struct core_mod *m)
{
	if (m == NULL)
		return;
	if (m->dl)
		dlclose(m->dl);
	free(m->name);
	free(m->file);
	free(m);
}

int
modules_path(const char *moduledir, const struct conf_module *cm, char *buf,
    size_t len, struct berth_err *err)
{
	const char	*p;

	if (cm->path != NULL) {
		if ((size_t)snprintf(buf, len, "%s", cm->path) >= len)
			return berth_err_set(err, -ENAMETOOLONG,
			    "module path too long");
		return 0;
	}
	/* conf.c already checked the name; check again, it is cheap. */
	if (cm->name == NULL || cm->name[0] == '\0')
		return berth_err_set(err, -EINVAL, "empty module name");
	for (p = cm->name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    (*p == '-' && p != cm->name)))
			return berth_err_set(err, -EINVAL,
			    "invalid module name %s", cm->name);
	if ((size_t)snprintf(buf, len, "%s/%s.so", moduledir, cm->name) >= len)
		return berth_err_set(err, -ENAMETOOLONG, "module path too long");
	return 0;
}

static int
provides(const struct core_mod *m, const char *what)
{
	const char *const	*p;

	if (strcmp(m->name, what) == 0)
		return 1;
	for (p = m->desc->provides; p != NULL && *p != NULL; p++)
		if (strcmp(*p, what) == 0)
			return 1;
	return 0;
}

/* Every requirement of m is met by some module in set (or running). */
static const char *
missing_requirement(const struct core_mod *m, struct core_mod **set,
    size_t n, const int *done)
{
	const char *const	*req;
	const struct core_mod	*r;
	size_t			 i;
	int			 ok;

	for (req = m->desc->requires; req != NULL && *req != NULL; req++) {
		ok = 0;
		for (r = mods; r != NULL && !ok; r = r->next)
			ok = provides(r, *req);
		for (i = 0; i < n && !ok; i++)
			ok = set[i] != m && set[i] != NULL &&
			    (done == NULL || done[i]) && provides(set[i], *req);
		if (!ok)
			return *req;
	}
	return NULL;
}

static void
mod_unwind(struct core_mod *m)
{
	router_remove_owner(m);
	registry_remove_owner(m);
	loop_release_owner(m);
}

/*
 * A module whose init failed: its code has run and may still be running
 * (a function it gave to `work`), so it stays mapped, on the stopped
 * list, until modules_free at exit.
 */
static void
mod_retire(struct core_mod *m)
{
	m->running = 0;
	m->conf = NULL;
	m->next = stopped;
	stopped = m;
}

static void
mods_append(struct core_mod *m)
{
	struct core_mod	**pp;

	for (pp = &mods; *pp != NULL; pp = &(*pp)->next)
		;
	m->next = NULL;
	*pp = m;
}

/*
 * A module that cannot be used: fatal if required, one warning line if
 * optional.  Returns the rc to propagate (0 for optional).
 */
static int
refuse(struct conf_module *cm, int rc, struct berth_err *err)
{
	if (cm->required) {
		log_err("%s", err->msg);
		return rc;
	}
	log_warn("optional module skipped: %s", err->msg);
	berth_err_clear(err);
	return 0;
}

/* Open and config-check the modules of c not already running. */
static int
open_new(struct engine_conf *c, const char *moduledir, struct core_mod **set,
    struct berth_err *err)
{
	struct core_mod	*m, *r;
	char		 path[PATH_MAX];
	size_t		 i;
	int		 rc;

	for (i = 0; i < c->nmodules; i++) {
		struct conf_module	*cm = &c->modules[i];

		set[i] = NULL;
		for (r = mods; r != NULL; r = r->next)
			if (cm->name && strcmp(r->name, cm->name) == 0)
				break;
		if (r != NULL)
			continue;
		if ((rc = modules_path(moduledir, cm, path, sizeof(path),
		    err)) < 0 ||
		    (rc = modules_open(path, cm->name, &m, err)) < 0) {
			if ((rc = refuse(cm, rc, err)) < 0)
				return rc;
			continue;
		}
		if (cm->path != NULL)
			for (r = mods; r != NULL; r = r->next)
				if (strcmp(r->name, m->name) == 0) {
					modules_close(m);
					m = NULL;
					break;
				}
		if (m == NULL)
			continue;
		if ((rc = conf_check_keys(c, cm, m->name, m->desc->conf,
		    err)) < 0) {
			modules_close(m);
			if ((rc = refuse(cm, rc, err)) < 0)
				return rc;
			continue;
		}
		m->conf = cm;
		m->required = cm->required;
		set[i] = m;
	}
	return 0;
}

static int
init_one(struct core_mod *m, struct berth_err *err)
{
	int	rc;

	berth_err_clear(err);
	rc = m->desc->init(&m->host, &m->conf->config, &m->state, err);
	if (rc < 0) {
		if (err->msg[0] == '\0')
			berth_err_set(err, rc, "init failed");
		{
			char	msg[BERTH_ERR_MSGLEN + PATH_MAX + 64];

			snprintf(msg, sizeof(msg), "module %s (%s): %s",
			    m->name, m->file, err->msg);
			berth_err_set(err, rc, "%s", msg);
		}
		mod_unwind(m);
		return rc;
	}
	m->running = 1;
	log_info("module %s %s started", m->name,
	    m->desc->version ? m->desc->version : "");
	return 0;
}

/* Start the opened modules in set, each after what it requires. */
static int
start_set(struct core_mod **set, size_t n, int validate_only,
    struct berth_err *err)
{
	int		*done;
	size_t		 i, left = 0, progress;
	const char	*need;
	int		 rc = 0;

	if ((done = calloc(n ? n : 1, sizeof(*done))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (set[i] != NULL)
			left++;
	/* Kahn's algorithm, keeping the file's order among equals. */
	while (left > 0) {
		progress = 0;
		for (i = 0; i < n; i++) {
			if (set[i] == NULL || done[i])
				continue;
			if (missing_requirement(set[i], set, n, done) != NULL)
				continue;
			done[i] = 1;
			left--;
			progress++;
			if (validate_only)
				continue;
			if ((rc = init_one(set[i], err)) < 0) {
				struct conf_module	*cm = set[i]->conf;

				/* Optional or not, it provides nothing. */
				mod_retire(set[i]);
				set[i] = NULL;
				if ((rc = refuse(cm, rc, err)) < 0)
					goto out;
				continue;
			}
			mods_append(set[i]);
			set[i] = NULL;
		}
		if (progress == 0)
			break;
	}
	for (i = 0; i < n; i++) {
		if (set[i] == NULL || done[i])
			continue;
		need = missing_requirement(set[i], set, n, NULL);
		berth_err_set(err, -ENOENT, "module %s requires %s, which "
		    "no module provides%s", set[i]->name, need ? need : "?",
		    need ? "" : " (circular requirement)");
		if ((rc = refuse(set[i]->conf, -ENOENT, err)) < 0)
			goto out;
		modules_close(set[i]);
		set[i] = NULL;
	}
out:
	for (i = 0; i < n; i++)
		if (set[i] != NULL && (rc < 0 || validate_only)) {
			if (set[i]->running) {
				set[i]->desc->fini(set[i]->state);
				mod_unwind(set[i]);
			}
			modules_close(set[i]);
			set[i] = NULL;
		}
	free(done);
	return rc;
}

int
modules_start(struct engine_conf *c, const char *moduledir,
    int validate_only, struct berth_err *err)
{
	struct core_mod	**set;
	size_t		  i;
	int		  rc;

	if ((set = calloc(c->nmodules ? c->nmodules : 1, sizeof(*set))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	if ((rc = open_new(c, moduledir, set, err)) < 0) {
		for (i = 0; i < c->nmodules; i++)
			modules_close(set[i]);
		free(set);
		return rc;
	}
	rc = start_set(set, c->nmodules, validate_only, err);
	free(set);
	return rc;
}

int
modules_reload(struct engine_conf *c, const char *moduledir,
    struct berth_err *err)
{
	struct core_mod	**pp, *m;
	size_t		  i;
	int		  rc, listed;

	/* Stop what is no longer listed; reload what stays. */
	for (pp = &mods; (m = *pp) != NULL;) {
		listed = 0;
		for (i = 0; i < c->nmodules && !listed; i++) {
			if ((c->modules[i].name &&
			    strcmp(c->modules[i].name, m->name) == 0) ||
			    (c->modules[i].path &&
			    strcmp(c->modules[i].path, m->file) == 0)) {
				listed = 1;
				if ((rc = conf_check_keys(c, &c->modules[i],
				    m->name, m->desc->conf, err)) < 0)
					return rc;
				m->conf = &c->modules[i];
				if (m->desc->reload != NULL &&
				    (rc = m->desc->reload(m->state,
				    &m->conf->config, err)) < 0)
					log_err("module %s: reload: %s",
					    m->name, err->msg);
			}
		}
		if (listed) {
			pp = &m->next;
			continue;
		}
		log_info("module %s stopped (no longer configured)", m->name);
		*pp = m->next;
		m->desc->fini(m->state);
		mod_unwind(m);
		m->running = 0;
		m->conf = NULL;
		m->next = stopped;
		stopped = m;
	}
	return modules_start(c, moduledir, 0, err);
}

void
modules_stop(void)
{
	struct core_mod	*m, *rev = NULL;

	/* Reverse start order: dependents stop before what they use. */
	while ((m = mods) != NULL) {
		mods = m->next;
		m->next = rev;
		rev = m;
	}
	while ((m = rev) != NULL) {
		rev = m->next;
		if (m->running) {
			m->desc->fini(m->state);
			m->running = 0;
			mod_unwind(m);
			log_info("module %s stopped", m->name);
		}
		m->next = stopped;
		stopped = m;
	}
}

void
modules_free(void)
{
	struct core_mod	*m;

	modules_stop();
	while ((m = stopped) != NULL) {
		stopped = m->next;
		modules_close(m);
	}
}

struct core_mod *
modules_first(void)
{
	return mods;
}

/*
 * conf.h - engine.yaml.
 *
 * The core parses the file with libyaml into json-c values (every
 * scalar a string at first), remembering the line and column of each
 * key so that every error can cite file:line:col.  Top-level keys:
 *
 *   hosts: [unix:///run/berth/berth.sock, tcp://127.0.0.1:2375]
 *   data-root: /var/lib/berth
 *   exec-root: /run/berth
 *   pidfile: /run/berth/berthd.pid
 *   log-level: info
 *   module-dir: /usr/local/lib/berth/modules
 *   authorization-plugins: [noop]
 *   authz-timeout: 30            # seconds; a driver slower than this denies
 *   modules:
 *     - name: authz-noop         # or `path: /abs/file.so`
 *       required: true           # default false
 *       config: { ... }          # the module's subtree, checked per its keys
 *
 * Anything else at top level, or in a module entry, is an error.
 */
#ifndef BERTH_CORE_CONF_H
#define BERTH_CORE_CONF_H

#include <stddef.h>

#include <json-c/json.h>

#include <berth/conf.h>
#include <berth/err.h>

struct conf_mark {
	int	 line;		/* 1-based */
	int	 col;		/* 1-based */
};

/* The opaque struct of the SDK: a validated config subtree. */
struct berth_conf {
	json_object	*obj;		/* owned; typed after conf_check_keys */
};

struct conf_module {
	char			*name;		/* NULL if given by path */
	char			*path;		/* NULL if given by name */
	int			 required;
	struct berth_conf	 config;	/* {} when absent */
	struct conf_mark	 mark;		/* of the list entry */
	/* Marks of the config subtree's top-level keys, parallel arrays. */
	char			**keys;
	struct conf_mark	*key_marks;
	size_t			 nkeys;
};

struct engine_conf {
	char			*file;		/* as given */
	char			**hosts;	/* NULL-terminated, may be NULL */
	char			*data_root;	/* NULL = not set */
	char			*exec_root;
	char			*pidfile;
	char			*log_level;
	char			*module_dir;
	char			**authz;	/* NULL-terminated, may be NULL */
	int			 authz_timeout;	/* seconds; default 30 */
	struct conf_module	*modules;
	size_t			 nmodules;
};

/*
 * conf_load - read and parse path.  On error -errno (-EINVAL for syntax
 * or schema) with "file:line:col: what" in err.  *out owned by caller,
 * freed with conf_free.
 */
int	conf_load(const char *path, struct engine_conf **out,
	    struct berth_err *err);
/* conf_parse_string - the same from memory (tests); name used in errors. */
int	conf_parse_string(const char *name, const char *text,
	    struct engine_conf **out, struct berth_err *err);
void	conf_free(struct engine_conf *c);

/*
 * conf_check_keys - check module m's config subtree against the module's
 * declared keys (NULL = accepts none): unknown key -> -EINVAL
 * "file:line:col: module NAME: unknown config key 'k'"; wrong type ->
 * -EINVAL likewise.  On success the scalars in m->config.obj are
 * converted in place to their declared type (int64, boolean, string).
 */
int	conf_check_keys(const struct engine_conf *c, struct conf_module *m,
	    const char *modname, const struct berth_conf_key *keys,
	    struct berth_err *err);

#endif

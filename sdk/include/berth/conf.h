/*
 * berth/conf.h - a module's configuration keys.
 *
 * The core parses engine.yaml; a module only declares which keys its
 * `config:` subtree accepts and of what type.  Before init, the core
 * rejects unknown keys and wrong types citing file:line:col, so a module
 * never sees a config it did not declare.  At init the module receives
 * its subtree as a json-c object (see berth_host.conf_json).
 */
#ifndef BERTH_CONF_H
#define BERTH_CONF_H

enum berth_conf_type {
	BERTH_CONF_STRING = 1,	/* a scalar, taken as text */
	BERTH_CONF_PATH,	/* a scalar that must be an absolute path */
	BERTH_CONF_INT,		/* a scalar that parses as a 64-bit integer */
	BERTH_CONF_BOOL,	/* true/false/yes/no/on/off */
	BERTH_CONF_LIST,	/* a sequence (of anything) */
	BERTH_CONF_MAP,		/* a mapping (of anything) */
};

struct berth_conf_key {
	const char		*name;		/* NULL ends the table */
	enum berth_conf_type	 type;
	const char		*help;		/* one line, for --validate -v */
};

/* Opaque: the validated config subtree of one module. */
struct berth_conf;

#endif

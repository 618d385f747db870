/*
 * main.c - berthd: command line, start-up order, signals, shutdown.
 *
 * Start-up order matters: everything that can refuse (config, modules,
 * authorization drivers) runs before the socket opens, so a broken
 * configuration never serves a single request.
 */
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <berth/fs.h>

#include "api.h"
#include "authz.h"
#include "conf.h"
#include "core.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "modules.h"
#include "notify.h"
#include "registry.h"
#include "router.h"
#include "version.h"

#define SHUTDOWN_GRACE_MS	5000
/* What modules started (disk work, runtime execs) may finish first. */
#define SHUTDOWN_SETTLE_MS	2000

struct core_settings	 core;

static struct engine_conf	*conf;
static char			**opt_hosts;
static char			**opt_authz;	/* --authorization-plugin */
static size_t			  opt_nauthz;
static size_t			  opt_nhosts;
static const char		 *opt_data_root, *opt_exec_root, *opt_pidfile;
static const char		 *opt_log_level, *opt_module_dir;
static int			  opt_config_given;
static struct event_base	 *base;
static struct event		 *shutdown_timer;
static int			  stopping;

/*
 * dockerd flags that set a module's config keys.  The core does not know
 * what they mean: it writes each into the named module's `config:`
 * subtree of the parsed engine.yaml (at start and at every SIGHUP), so
 * the module checks them exactly as if the file had said so.
 */
enum flag_kind {
	FLAG_VALUE = 1,		/* --flag V: KEY = V (the last one wins) */
	FLAG_NAMED_PATH,	/* --flag NAME=PATH: KEY.NAME.path = PATH */
};

static const struct flag_map {
	const char	*flag;
	const char	*module;
	const char	*key;
	enum flag_kind	 kind;
	const char	*what;		/* Docker's word in its messages */
} flag_maps[] = {
	{ "add-runtime",	"runtime-oci", "runtimes",	  FLAG_NAMED_PATH,
	    "runtime" },
	{ "default-runtime",	"runtime-oci", "default-runtime", FLAG_VALUE,
	    "runtime" },
};
#define FLAG_OPT_BASE	0x1000	/* getopt codes: FLAG_OPT_BASE + index */

struct flag_val {
	const struct flag_map	*map;
	char			*name;		/* FLAG_NAMED_PATH: lower-cased */
	const char		*value;
};
static struct flag_val		*opt_flags;
static size_t			 opt_nflags;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: berthd [options]\n"
	    "  -H, --host URI            listen on unix:///path or tcp://ip:port"
	    " (repeatable;\n"
	    "                            default %s)\n"
	    "      --config-file PATH    engine.yaml (default %s)\n"
	    "      --data-root DIR       persistent state (default %s)\n"
	    "      --exec-root DIR       runtime state (default %s)\n"
	    "  -p, --pidfile PATH        pid file (default EXEC-ROOT/berthd.pid)\n"
	    "  -l, --log-level LEVEL     debug, info, warn or error\n"
	    "  -D, --debug               same as --log-level debug\n"
	    "      --module-dir DIR      where module names resolve\n"
	    "      --add-runtime N=PATH  add an OCI runtime (repeatable)\n"
	    "      --default-runtime N   the runtime of containers naming "
	    "none\n"
	    "      --authorization-plugin N  an authorization driver or "
	    "plugin, in\n"
	    "                            order (repeatable; replaces "
	    "engine.yaml's list)\n"
	    "  -n, --validate            check the configuration and exit\n"
	    "  -v, --version             print version and ABI, then exit\n"
	    "  -h, --help                this text\n",
	    CORE_DEFAULT_SOCKET, CORE_DEFAULT_CONF, CORE_DEFAULT_DATA_ROOT,
	    CORE_DEFAULT_EXEC_ROOT);
}

static char *
xstrdup(const char *s)
{
	char	*d = strdup(s);

	if (d == NULL) {
		log_err("out of memory");
		exit(1);
	}
	return d;
}

/*
 * Modules resolve next to the binary when run from the build tree
 * (build/berthd finds build/modules), else in the installed directory.
 */
static char *
default_module_dir(void)
{
	char	 exe[PATH_MAX], dir[PATH_MAX + 16], *slash;
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			snprintf(dir, sizeof(dir), "%s/modules", exe);
			if (access(dir, X_OK) == 0)
				return xstrdup(dir);
		}
	}
	return xstrdup(BERTH_MODULEDIR);
}

static int
load_conf(const char *file, struct engine_conf **out, struct berth_err *err)
{
	int	rc;

	if (!opt_config_given && access(file, F_OK) == -1) {
		/* No file and none asked for: a core with no modules. */
		return conf_parse_string(file, "", out, err);
	}
	rc = conf_load(file, out, err);
	return rc;
}

/* Flags win over the file; the file wins over defaults. */
static void
apply_settings(void)
{
	char	buf[PATH_MAX];

	free(core.data_root);
	free(core.exec_root);
	free(core.pidfile);
	free(core.module_dir);
	core.data_root = xstrdup(opt_data_root ? opt_data_root :
	    conf->data_root ? conf->data_root : CORE_DEFAULT_DATA_ROOT);
	core.exec_root = xstrdup(opt_exec_root ? opt_exec_root :
	    conf->exec_root ? conf->exec_root : CORE_DEFAULT_EXEC_ROOT);
	snprintf(buf, sizeof(buf), "%s/berthd.pid", core.exec_root);
	core.pidfile = xstrdup(opt_pidfile ? opt_pidfile :
	    conf->pidfile ? conf->pidfile : buf);
	core.module_dir = opt_module_dir ? xstrdup(opt_module_dir) :
	    conf->module_dir ? xstrdup(conf->module_dir) : default_module_dir();
	if (opt_log_level)
		log_set_level(log_level_parse(opt_log_level));
	else if (conf->log_level)
		log_set_level(log_level_parse(conf->log_level));
}

/* Docker's daemon ID: 12 groups of 4 base32 characters, persisted. */
static void
load_daemon_id(void)
{
	static const char	 b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	char			 path[PATH_MAX], id[64];
	unsigned char		 rnd[48];
	FILE			*f;
	int			 i, o = 0;

	snprintf(path, sizeof(path), "%s/engine-id", core.data_root);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(id, sizeof(id), f) != NULL) {
			id[strcspn(id, "\n")] = '\0';
			if (strlen(id) == 59) {
				snprintf(core.daemon_id, sizeof(core.daemon_id),
				    "%s", id);
				fclose(f);
				return;
			}
		}
		fclose(f);
	}
	if (getentropy(rnd, sizeof(rnd)) == -1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < 48; i++) {
		if (i > 0 && i % 4 == 0)
			id[o++] = ':';
		id[o++] = b32[rnd[i] % 32];
	}
	id[o] = '\0';
	snprintf(core.daemon_id, sizeof(core.daemon_id), "%s", id);
	strncat(id, "\n", sizeof(id) - strlen(id) - 1);
	if (berth_write_file(path, id, strlen(id), 0644,
	    BERTH_WRITE_DIRSYNC) < 0)
		log_warn("cannot persist daemon id in %s", path);
}

static int
write_pidfile(struct berth_err *err)
{
	char	 buf[32];
	FILE	*f;
	long	 pid;
	int	 rc;

	if ((f = fopen(core.pidfile, "re")) != NULL) {
		if (fscanf(f, "%ld", &pid) == 1 && pid > 0 &&
		    pid != (long)getpid() && kill((pid_t)pid, 0) == 0) {
			fclose(f);
			return berth_err_set(err, -EEXIST, "pid file found, "
			    "ensure berthd is not running or delete %s "
			    "(process %ld)", core.pidfile, pid);
		}
		fclose(f);
	}
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if ((rc = berth_write_file(core.pidfile, buf, strlen(buf), 0644,
	    BERTH_WRITE_DIRSYNC)) < 0)
		return berth_err_set(err, rc, "write pid file %s: %s",
		    core.pidfile, strerror(-rc));
	return 0;
}

static void
raise_nofile(void)
{
	struct rlimit	rl;

	/* Up to the hard limit, never above: no CAP_SYS_RESOURCE here. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int	shutdown_ticks;

/* Exit once the last connection is gone, or when the grace runs out. */
static void
shutdown_check(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	tv = { 0, 50000 };

	if (http_nconns() == 0 ||
	    ++shutdown_ticks * 50 >= SHUTDOWN_GRACE_MS) {
		event_base_loopexit(base, NULL);
		return;
	}
	evtimer_add(shutdown_timer, &tv);
}

/*
 * Modules stop once the work they started has settled (or the time for
 * it is up): a `docker rm` answered while its state directory is still
 * being deleted finishes that, instead of leaving its completion (and
 * the memory it holds) to nobody.
 */
static void
shutdown_settle(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	tv = { 0, 10000 };

	if (loop_busy() && ++shutdown_ticks * 10 < SHUTDOWN_SETTLE_MS) {
		evtimer_add(shutdown_timer, &tv);
		return;
	}
	event_free(shutdown_timer);
	shutdown_ticks = 0;
	events_fini();
	modules_stop();
	http_shutdown();
	/* Give queued responses a moment to reach their clients. */
	tv.tv_usec = 0;
	shutdown_timer = evtimer_new(base, shutdown_check, NULL);
	if (shutdown_timer == NULL || evtimer_add(shutdown_timer, &tv) < 0)
		event_base_loopexit(base, NULL);
}

static void
begin_shutdown(const char *why)
{
	struct timeval	tv = { 0, 0 };

	if (stopping)
		return;
	stopping = 1;
	log_info("%s: shutting down", why);
	notify_send("STOPPING=1");
	http_close_listeners();
	shutdown_timer = evtimer_new(base, shutdown_settle, NULL);
	if (shutdown_timer == NULL || evtimer_add(shutdown_timer, &tv) < 0) {
		events_fini();
		modules_stop();
		http_shutdown();
		event_base_loopexit(base, NULL);
	}
}

/* Record one mapped flag; Docker's messages for a malformed one. */
static int
flag_record(const struct flag_map *fm, const char *arg)
{
	struct flag_val	*nv;
	const char	*eq;
	char		*name, *p;
	size_t		 i;

	name = NULL;
	if (fm->kind == FLAG_NAMED_PATH) {
		eq = strchr(arg, '=');
		if (eq == NULL || eq == arg || eq[1] == '\0') {
			fprintf(stderr, "berthd: invalid %s argument: %s\n",
			    fm->what, arg);
			return -1;
		}
		name = xstrdup(arg);
		name[eq - arg] = '\0';
		for (p = name; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
		for (i = 0; i < opt_nflags; i++)
			if (opt_flags[i].map == fm &&
			    strcmp(opt_flags[i].name, name) == 0) {
				fprintf(stderr, "berthd: %s '%s' was already "
				    "defined\n", fm->what, name);
				free(name);
				return -1;
			}
		arg = eq + 1;
	}
	if ((nv = reallocarray(opt_flags, opt_nflags + 1,
	    sizeof(*opt_flags))) == NULL) {
		free(name);
		return -1;
	}
	opt_flags = nv;
	opt_flags[opt_nflags].map = fm;
	opt_flags[opt_nflags].name = name;
	opt_flags[opt_nflags].value = arg;
	opt_nflags++;
	return 0;
}

static struct conf_module *
conf_module_named(struct engine_conf *c, const char *name)
{
	const char	*stem;
	size_t		 i, n = strlen(name);

	for (i = 0; i < c->nmodules; i++) {
		struct conf_module	*m = &c->modules[i];

		if (m->name != NULL && strcmp(m->name, name) == 0)
			return m;
		if (m->path != NULL) {
			stem = strrchr(m->path, '/');
			stem = stem ? stem + 1 : m->path;
			if (strncmp(stem, name, n) == 0 && stem[n] == '.')
				return m;
		}
	}
	return NULL;
}

/*
 * --authorization-plugin flags replace engine.yaml's list (flags win,
 * in the order given).  c owns its list; the flags' strings are argv's.
 */
static void
apply_authz_flags(struct engine_conf *c)
{
	char	**a;
	size_t	  i;

	if (opt_nauthz == 0)
		return;
	if ((a = calloc(opt_nauthz + 1, sizeof(*a))) == NULL) {
		log_err("out of memory");
		exit(1);
	}
	for (i = 0; i < opt_nauthz; i++)
		a[i] = xstrdup(opt_authz[i]);
	for (i = 0; c->authz != NULL && c->authz[i] != NULL; i++)
		free(c->authz[i]);
	free(c->authz);
	c->authz = a;
}

/* Write the mapped flags into c's module subtrees (flags win). */
static void
apply_flag_maps(struct engine_conf *c)
{
	struct conf_module	*m;
	json_object		*map, *entry;
	size_t			 i;

	for (i = 0; i < opt_nflags; i++) {
		const struct flag_val	*f = &opt_flags[i];

		if ((m = conf_module_named(c, f->map->module)) == NULL) {
			log_warn("--%s ignored: module %s is not configured",
			    f->map->flag, f->map->module);
			continue;
		}
		if (m->config.obj == NULL &&
		    (m->config.obj = json_object_new_object()) == NULL)
			continue;
		if (f->map->kind == FLAG_VALUE) {
			json_object_object_add(m->config.obj, f->map->key,
			    json_object_new_string(f->value));
			continue;
		}
		if (!json_object_object_get_ex(m->config.obj, f->map->key,
		    &map) || !json_object_is_type(map, json_type_object)) {
			map = json_object_new_object();
			json_object_object_add(m->config.obj, f->map->key, map);
		}
		entry = json_object_new_object();
		json_object_object_add(entry, "path",
		    json_object_new_string(f->value));
		json_object_object_add(map, f->name, entry);
	}
}

static void
flag_maps_free(void)
{
	size_t	i;

	for (i = 0; i < opt_nflags; i++)
		free(opt_flags[i].name);
	free(opt_flags);
}

static void
reload(void)
{
	struct engine_conf	*nc = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*attrs;
	char			*const *a;
	char			 list[1024] = "";
	struct core_mod		*m;

	log_info("SIGHUP: reloading %s", core.config_file);
	notify_send("RELOADING=1");
	if (load_conf(core.config_file, &nc, &err) < 0) {
		log_err("reload failed, keeping the running configuration: %s",
		    err.msg);
		notify_ready();
		return;
	}
	apply_flag_maps(nc);
	apply_authz_flags(nc);
	if (modules_reload(nc, core.module_dir, &err) < 0) {
		log_err("reload: %s", err.msg);
		/* Modules point into nc now; keep it. */
	}
	if (authz_configure(nc->authz, nc->authz_timeout, &err) < 0)
		log_err("reload: %s (authorization chain unchanged)", err.msg);
	conf_free(conf);
	conf = nc;
	if (opt_log_level == NULL && conf->log_level)
		log_set_level(log_level_parse(conf->log_level));
	attrs = json_object_new_object();
	json_object_object_add(attrs, "name",
	    json_object_new_string(core.hostname));
	for (a = conf->authz; a != NULL && *a != NULL; a++) {
		if (list[0])
			strncat(list, ",", sizeof(list) - strlen(list) - 1);
		strncat(list, *a, sizeof(list) - strlen(list) - 1);
	}
	json_object_object_add(attrs, "authorization-plugins",
	    json_object_new_string(list));
	list[0] = '\0';
	for (m = modules_first(); m != NULL; m = m->next) {
		if (list[0])
			strncat(list, ",", sizeof(list) - strlen(list) - 1);
		strncat(list, m->name, sizeof(list) - strlen(list) - 1);
	}
	json_object_object_add(attrs, "modules", json_object_new_string(list));
	json_object_object_add(attrs, "debug", json_object_new_string(
	    log_get_level() >= BERTH_LOG_DEBUG ? "true" : "false"));
	events_publish("daemon", "reload", core.daemon_id, attrs);
	json_object_put(attrs);
	log_info("configuration reloaded");
	notify_ready();
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	if (sig == SIGHUP)
		reload();
	else
		begin_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int
parse_args(int argc, char **argv, int *validate)
{
	static const struct option opts[] = {
		{ "host",		required_argument, NULL, 'H' },
		{ "config-file",	required_argument, NULL, 'c' },
		{ "data-root",		required_argument, NULL, 'd' },
		{ "exec-root",		required_argument, NULL, 'e' },
		{ "pidfile",		required_argument, NULL, 'p' },
		{ "log-level",		required_argument, NULL, 'l' },
		{ "debug",		no_argument,	   NULL, 'D' },
		{ "module-dir",		required_argument, NULL, 'm' },
		{ "add-runtime",	required_argument, NULL, FLAG_OPT_BASE },
		{ "default-runtime",	required_argument, NULL,
		    FLAG_OPT_BASE + 1 },
		{ "authorization-plugin", required_argument, NULL, 'a' },
		{ "validate",		no_argument,	   NULL, 'n' },
		{ "version",		no_argument,	   NULL, 'v' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL,			0,		   NULL, 0 }
	};
	int	ch;

	while ((ch = getopt_long(argc, argv, "H:p:l:Dnvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			opt_hosts = reallocarray(opt_hosts, opt_nhosts + 2,
			    sizeof(*opt_hosts));
			if (opt_hosts == NULL)
				return -1;
			opt_hosts[opt_nhosts++] = optarg;
			opt_hosts[opt_nhosts] = NULL;
			break;
		case 'a':
			opt_authz = reallocarray(opt_authz, opt_nauthz + 2,
			    sizeof(*opt_authz));
			if (opt_authz == NULL)
				return -1;
			opt_authz[opt_nauthz++] = optarg;
			opt_authz[opt_nauthz] = NULL;
			break;
		case 'c':
			core.config_file = xstrdup(optarg);
			opt_config_given = 1;
			break;
		case 'd':
			opt_data_root = optarg;
			break;
		case 'e':
			opt_exec_root = optarg;
			break;
		case 'p':
			opt_pidfile = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg) < 0) {
				fprintf(stderr, "berthd: unknown log level %s\n",
				    optarg);
				return -1;
			}
			opt_log_level = optarg;
			break;
		case 'D':
			opt_log_level = "debug";
			break;
		case 'm':
			opt_module_dir = optarg;
			break;
		case 'n':
			*validate = 1;
			break;
		case 'v':
			printf("berthd %s (commit %s), API %s, module ABI %d.%d\n",
			    BERTH_VERSION, BERTH_BUILD_ID, BERTH_API_VERSION,
			    BERTH_ABI_MAJOR, BERTH_ABI_MINOR);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			if (ch >= FLAG_OPT_BASE && ch < FLAG_OPT_BASE +
			    (int)(sizeof(flag_maps) / sizeof(flag_maps[0]))) {
				if (flag_record(&flag_maps[ch - FLAG_OPT_BASE],
				    optarg) < 0)
					return -1;
				break;
			}
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "berthd: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	if ((opt_data_root && opt_data_root[0] != '/') ||
	    (opt_exec_root && opt_exec_root[0] != '/')) {
		fprintf(stderr, "berthd: --data-root and --exec-root must be "
		    "absolute paths\n");
		return -1;
	}
	return 0;
}

/*
 * -H fd://, as dockerd's: the sockets a service manager opened for us
 * (LISTEN_PID is ours, LISTEN_FDS of them from fd 3 on, sd_listen_fds'
 * protocol).  They are the manager's to remove, not ours.
 */
static int
listen_activated(struct berth_err *err)
{
	const char	*pid = getenv("LISTEN_PID");
	const char	*fds = getenv("LISTEN_FDS");
	long		 n, i;
	int		 rc;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() ||
	    (n = atol(fds)) <= 0 || n > 64)
		return berth_err_set(err, -EINVAL, "-H fd://: no sockets were "
		    "passed (socket activation: LISTEN_PID, LISTEN_FDS)");
	for (i = 0; i < n; i++)
		if ((rc = http_listen_fd(3 + (int)i, err)) < 0)
			return rc;
	/* Not for the children (runtimes, monitors, plugins). */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 0;
}

static int
open_listeners(struct berth_err *err)
{
	char	*const *hosts = opt_hosts ? opt_hosts : conf->hosts;
	char	*def[] = { CORE_DEFAULT_SOCKET, NULL };
	char	 dir[PATH_MAX], *slash;
	int	 rc;

	if (hosts == NULL)
		hosts = def;
	for (; *hosts != NULL; hosts++) {
		if (strcmp(*hosts, "fd://") == 0) {
			if ((rc = listen_activated(err)) < 0)
				return rc;
			continue;
		}
		if (strncmp(*hosts, "unix:///", 8) == 0) {
			snprintf(dir, sizeof(dir), "%s", *hosts + 7);
			if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
				*slash = '\0';
				if ((rc = berth_mkdirs(dir, 0755)) < 0)
					return berth_err_set(err, rc, "mkdir "
					    "%s: %s", dir, strerror(-rc));
			}
		}
		if ((rc = http_listen(*hosts, err)) < 0)
			return rc;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct event		*sigs[4];
	int			 validate = 0, i, rc = 1;
	const int		 signals[] = { SIGTERM, SIGINT, SIGHUP };

	/*
	 * One malloc arena for the loop and the few workers: a thread's
	 * own arena keeps the pages its jobs freed (netlink and nftables
	 * work left about 0.6 MiB of RSS behind), and the jobs are short.
	 */
	(void)mallopt(M_ARENA_MAX, 1);
	if (parse_args(argc, argv, &validate) < 0)
		return 2;
	if (core.config_file == NULL)
		core.config_file = xstrdup(CORE_DEFAULT_CONF);
	if (load_conf(core.config_file, &conf, &err) < 0) {
		log_err("%s", err.msg);
		return 1;
	}
	apply_flag_maps(conf);
	apply_authz_flags(conf);
	apply_settings();
	core.started = time(NULL);
	if (gethostname(core.hostname, sizeof(core.hostname)) == -1)
		strcpy(core.hostname, "localhost");

	if (validate) {
		if (modules_start(conf, core.module_dir, 1, &err) < 0) {
			fprintf(stderr, "berthd: %s\n", err.msg);
			return 1;
		}
		printf("configuration OK\n");
		conf_free(conf);
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	umask(022);
	raise_nofile();
	if ((i = berth_mkdirs(core.data_root, 0711)) < 0 ||
	    (i = berth_mkdirs(core.exec_root, 0711)) < 0) {
		log_err("cannot create %s or %s: %s", core.data_root,
		    core.exec_root, strerror(-i));
		return 1;
	}
	/* engine-id's temporary, if a kill -9 cut its write short. */
	(void)berth_sweep_tmp(core.data_root);
	load_daemon_id();
	if ((base = event_base_new()) == NULL) {
		log_err("event_base_new failed");
		return 1;
	}
	if (loop_init(base, 4) < 0) {
		log_err("cannot start the loop's workers");
		goto out_base;
	}
	host_init(&core_self);
	core_self.running = 1;
	if (events_init(&core_self.host) < 0 ||
	    api_system_init(&core_self.host, &err) < 0 ||
	    api_swarm_init(&core_self.host, &err) < 0) {
		log_err("core routes: %s", err.msg);
		goto out_loop;
	}
	if (modules_start(conf, core.module_dir, 0, &err) < 0) {
		log_err("start-up failed: %s", err.msg);
		goto out_modules;
	}
	if (authz_configure(conf->authz, conf->authz_timeout, &err) < 0) {
		log_err("start-up failed: %s", err.msg);
		goto out_modules;
	}
	if (write_pidfile(&err) < 0) {
		log_err("%s", err.msg);
		goto out_modules;
	}
	if (open_listeners(&err) < 0) {
		log_err("%s", err.msg);
		goto out_pid;
	}
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(base, signals[i], signal_cb, NULL);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) < 0) {
			log_err("cannot watch signals");
			goto out_listen;
		}
	}
	log_info("berthd %s started: API %s, module ABI %d.%d, data-root %s",
	    BERTH_VERSION, BERTH_API_VERSION, BERTH_ABI_MAJOR, BERTH_ABI_MINOR,
	    core.data_root);
	/* Modules up, plugins enabled, containers found again: ready. */
	notify_ready();
	event_base_dispatch(base);
	rc = 0;
	for (i = 0; i < 3; i++)
		if (sigs[i])
			event_free(sigs[i]);
	if (shutdown_timer)
		event_free(shutdown_timer);
out_listen:
	http_close_listeners();
out_pid:
	unlink(core.pidfile);
out_modules:
	events_fini();
	modules_stop();
	authz_fini();
out_loop:
	/* Workers may still run module code: join them before unmapping. */
	loop_fini();
	modules_free();
	router_clear();
	registry_clear();
out_base:
	event_base_free(base);
	conf_free(conf);
	flag_maps_free();
	free(opt_hosts);
	free(opt_authz);
	free(core.config_file);
	free(core.data_root);
	free(core.exec_root);
	free(core.pidfile);
	free(core.module_dir);
	log_info("berthd stopped");
	return rc;
}

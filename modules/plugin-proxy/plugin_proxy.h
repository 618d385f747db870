/*
 * plugin_proxy.h - Docker's out-of-process plugins, private to
 * modules/plugin-proxy.
 *
 * A plugin is known by name.  The first time a service asks for a driver
 * of that name (through the resolver, berth/resolver.h), a pp_plugin is
 * made in state IDLE and handed back with the adapter's ops; its first
 * call finds the plugin (socket or spec file), activates it, provides a
 * driver for each interface it implements, then runs.  Calls that come
 * meanwhile wait on the plugin.
 *
 *	plugin_proxy.c	init/fini, config, the resolver, /info
 *	pp_http.c	libcurl's multi interface on berthd's loop
 *	pp_find.c	legacy discovery: sockets and spec files
 *	pp_plugin.c	plugins: find, activate, calls, retries, breaker
 *	pp_volume.c	VolumeDriver onto volume/1
 *	pp_network.c	NetworkDriver onto network/1
 *	pp_ipam.c	IpamDriver onto ipam/1
 *	pp_authz.c	AuthZPlugin onto authz/1
 *	pp_managed.c	managed plugins' records; pp_api.c their /plugins;
 *	pp_run.c	running them; pp_privs.c their privileges
 */
#ifndef PLUGIN_PROXY_H
#define PLUGIN_PROXY_H

#include <sys/queue.h>
#include <sys/un.h>

#include <limits.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>
#include <berth/host.h>

#define PP_URL_MAX	512
#define PP_NAME_MAX	128
#define PP_PLUGINS_MAX	1024	/* names ever asked for, found or not */

/* Interfaces a plugin implements (Plugin.Activate's Implements). */
#define PP_VOLUME	0x1u
#define PP_NETWORK	0x2u
#define PP_IPAM		0x4u
#define PP_AUTHZ	0x8u

/* Where a plugin listens: a unix socket, or a URL (tcp, http, https). */
struct pp_addr {
	char	unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char	url[PP_URL_MAX];
	int	tls;
	int	insecure;
	char	ca_file[PATH_MAX];
	char	cert_file[PATH_MAX];
	char	key_file[PATH_MAX];
};

/* --- pp_http.c ------------------------------------------------------------ */

struct pp_http;

typedef void	(*pp_http_cb)(void *arg, int rc, long status, const char *body,
		    size_t len, const char *errmsg);

struct pp_http	*pp_http_new(const struct berth_host *);
void		 pp_http_free(struct pp_http *);
int		 pp_http_post(struct pp_http *, const struct pp_addr *,
		    const char *, const char *, long, pp_http_cb, void *);

/* --- the module ----------------------------------------------------------- */

enum pp_state {
	PP_IDLE,		/* not found (yet); managed: not running */
	PP_STARTING,		/* managed: its container starting, not ready */
	PP_FINDING,		/* a discovery job or its retry timer */
	PP_ACTIVATING,		/* Plugin.Activate sent */
	PP_READY,		/* drivers provided; calls go out */
};

struct pp_call;
TAILQ_HEAD(pp_call_list, pp_call);

/* A managed (v2) plugin: installed, run as a container when enabled. */
struct pp_managed {
	char			 id[65];
	char			*ref;		/* "name:tag" */
	json_object		*config;	/* Config, keys as Docker's */
	json_object		*settings;	/* Settings */
	int			 enabled;	/* wanted: survives restarts */
	int			 busy;		/* a /plugins operation runs */
	long			 timeout_ms;	/* enable?timeout, 0: none */
	unsigned		 types;		/* PP_VOLUME, ... */
	/* Running it (pp_run.c). */
	int			 running;	/* the container exists */
	int			 stopping;	/* disable/remove under way */
	int			 crashed;	/* restarting after a death */
	unsigned		 restarts;	/* in a row, for the back-off */
	uint64_t		 started;	/* ms: the readiness clock */
	struct berth_timer	*timer;		/* readiness or restart */
	void			*run;		/* pp_run.c's: answers owed */
	int			 uses;		/* mounts, endpoints, nets */
	char			 lasterr[BERTH_ERR_MSGLEN];
};

struct pp_plugin {
	TAILQ_ENTRY(pp_plugin)	 entry;
	struct pp		*pp;
	char			*name;
	struct pp_addr		 addr;
	enum pp_state		 state;
	unsigned		 implements;	/* PP_VOLUME, ... */
	unsigned		 provided;	/* drivers in the registry */
	/*
	 * The breaker: set when a lookup or a call gave up after retrying
	 * a plugin that was not there or did not answer.  While set, calls
	 * look and try once, and fail fast.
	 */
	int			 broken;
	uint64_t		 find_start;	/* ms, monotonic */
	unsigned		 find_tries;
	struct berth_timer	*find_timer;
	struct pp_call_list	 waiting;	/* until READY */
	char			*scope;		/* VolumeDriver.Capabilities */
	struct pp_managed	*m;		/* NULL: a legacy plugin */
};
TAILQ_HEAD(pp_plugin_list, pp_plugin);

/* One per-operation timeout: "Method" or "plugin/Method" → ms. */
struct pp_timeout {
	char	*key;
	long	 ms;
};

struct pp {
	const struct berth_host	*h;
	struct pp_http		*http;
	char			*sock_dir;	/* /run/docker/plugins */
	char			*data_dir;	/* <data-root>/plugins */
	char			*run_dir;	/* <exec-root>/plugins */
	char			**spec_dirs;	/* NULL-terminated */
	long			 lookup_ms;	/* find and connect retries */
	struct pp_timeout	*timeouts;
	size_t			 ntimeouts;
	json_object		*policy;	/* privileges: or NULL */
	struct pp_plugin_list	 plugins;
	size_t			 nplugins;
	int			 stopping;
	int			 scanning;	/* pp_scan's job runs */
	uint64_t		 scanned;	/* ms, its last start */
};

uint64_t	 pp_now_ms(void);
long		 pp_timeout_ms(const struct pp *, const char *, const char *);

/* --- pp_find.c ------------------------------------------------------------ */

typedef void	(*pp_find_cb)(struct pp_plugin *, int,
		    const struct berth_err *);
int		 pp_name_ok(const char *);
/* Look for p by name off the loop; cb on the loop (rc -ENOENT: none). */
int		 pp_find(struct pp_plugin *, pp_find_cb);
/* Every legacy plugin there is, found and activated (GET /info's scan). */
void		 pp_scan(struct pp *);

/* --- pp_plugin.c ---------------------------------------------------------- */

/*
 * The answer to a call: rc 0 and the plugin's JSON answer (borrowed, may
 * be NULL for an empty body), or -errno and err, whose message already
 * reads as Docker's ("VolumeDriver.Mount: <Err>").
 */
typedef void	(*pp_call_cb)(void *arg, int rc, json_object *resp,
		    const struct berth_err *err);

struct pp_plugin *pp_plugin_get(struct pp *, const char *);
struct pp_plugin *pp_plugin_new(struct pp *, const char *);
void		 pp_plugin_free(struct pp_plugin *);
void		 pp_plugin_activate(struct pp_plugin *);
void		 pp_plugin_free_all(struct pp *);
/* A managed plugin's drivers come and go with its container. */
void		 pp_plugin_ready(struct pp_plugin *);
void		 pp_plugin_down(struct pp_plugin *, const struct berth_err *);
void		 pp_plugin_withdraw(struct pp_plugin *);

/* --- pp_managed.c, pp_api.c, pp_run.c ------------------------------------- */

int		 pp_managed_load(struct pp *, struct berth_err *);
/* By name (name -> name:latest), full ID or unique ID prefix. */
struct pp_plugin *pp_managed_find(struct pp *, const char *);
/* The plugin object of GET /plugins/{name}/json; new reference. */
json_object	*pp_managed_json(const struct pp_plugin *);
typedef void	(*pp_done_cb)(void *, int, const struct berth_err *);
void		 pp_managed_save(struct pp_plugin *, pp_done_cb, void *);
struct pp_plugin *pp_managed_add(struct pp *, const char *, const char *,
		    json_object *, struct berth_err *);
void		 pp_managed_forget(struct pp_plugin *);
int		 pp_api_init(struct pp *, struct berth_err *);
void		 pp_run_start(struct pp_plugin *, pp_done_cb, void *);
void		 pp_run_stop(struct pp_plugin *, pp_done_cb, void *);
void		 pp_run_restore(struct pp_plugin *);
void		 pp_run_fini(struct pp_plugin *);

/* --- pp_privs.c ----------------------------------------------------------- */

json_object	*pp_privileges(json_object *, json_object *);
int		 pp_privileges_check(json_object *, json_object *,
		    const char *, struct berth_err *);
/*
 * Call method ("VolumeDriver.Create") of p, found and activated first if
 * need be, for a driver of interface iface.  req is sent as dockerd
 * sends it (NULL: an empty body); borrowed.
 */
void		 pp_call(struct pp_plugin *, unsigned, const char *,
		    json_object *, pp_call_cb, void *);

/*
 * pp_ask - a call made for a driver op, whose callback has the op's own
 * type.  The answer's error conventions are applied first, per
 * interface: a 200 answer with a non-empty "Err" ("Error" for IPAM)
 * fails, worded "<Method>: <Err>" for volumes and "remote: <Err>" for
 * networks and IPAM, as dockerd words them; for `optional` methods a
 * 404 (the plugin does not implement it) is an empty success.  Then
 * shape->answer or shape->fail runs with the ask (borrowed).
 */
struct pp_ask {
	void			(*cb)(void);	/* cast back by the shape */
	void			*arg;
	const char		*method;
	struct pp_plugin	*p;
};

struct pp_shape {
	void	(*answer)(const struct pp_ask *, json_object *);
	void	(*fail)(const struct pp_ask *, int, const struct berth_err *);
	int	  err_rc;	/* rc of an error in a 200 answer; 0: -EIO */
	int	  optional;
};

void		 pp_ask(struct pp_plugin *, unsigned, const char *,
		    json_object *, const struct pp_shape *, void (*)(void),
		    void *);

/* --- adapters ------------------------------------------------------------- */

extern const struct berth_volume_ops	pp_volume_ops;
extern const struct berth_authz_ops	pp_authz_ops;
extern const struct berth_network_ops	pp_network_ops;
extern const struct berth_ipam_ops	pp_ipam_ops;

#endif

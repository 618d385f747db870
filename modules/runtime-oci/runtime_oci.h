/*
 * runtime_oci.h - the runtime-oci module's own parts.
 *
 * runtime_oci.c		descriptor, init/reload/fini, drivers, /info
 * runtime_oci_conf.c	the config subtree -> struct runtime_oci_conf
 * runtime_oci_ctr.c	containers: monitor spawn, control connection,
 *				the runtime/1 ops
 * monitor/			berth-monitor, and the codec both sides share
 *
 * State on disk: <exec-root>/runtime-oci/<id>/ is the monitor's (see
 * monitor/monitor.h); <exec-root>/runtime/<name>/ is the --root of
 * runtime <name>.
 */
#ifndef BERTH_RUNTIME_OCI_H
#define BERTH_RUNTIME_OCI_H

#include <sys/types.h>

#include <berth/host.h>
#include <berth/runtime.h>

#include "monitor/monitor_codec.h"

/* The receive buffer: one packet and the NUL the decoder adds. */
#define MONITOR_PKT_MAX_BUF	(MONITOR_PKT_MAX + 1)

struct runtime_oci_rt {
	char		*name;
	char		*path;
	char		**args;		/* NULL-terminated; NULL if none */
	size_t		 nargs;
};

struct runtime_oci_conf {
	struct runtime_oci_rt	*rts;		/* sorted by name */
	size_t			 nrts;
	char			*default_name;
	char			*monitor;	/* NULL: find it */
};

/* A test for "is this runtime binary installed"; access(X_OK) by default. */
typedef int	(*runtime_oci_exists_fn)(const char *path);

/*
 * runtime_oci_conf_parse - the module's config object into out (owned
 * by the caller; runtime_oci_conf_free).  runc and crun are there by
 * default when their binaries exist (exists may be NULL); the default
 * runtime is runc, or crun when runc is missing.  -EINVAL with Docker's
 * message for a bad entry or an unknown default.
 */
int	runtime_oci_conf_parse(json_object *cfg, runtime_oci_exists_fn exists,
	    struct runtime_oci_conf *out, struct berth_err *err);
void	runtime_oci_conf_free(struct runtime_oci_conf *c);
const struct runtime_oci_rt *runtime_oci_conf_find(
	    const struct runtime_oci_conf *c, const char *name);

/*
 * runtime_oci_cgroup_hybrid - the controllers that sit on the cgroup2
 * hierarchy of a hybrid cgroup layout under root ("/sys/fs/cgroup"),
 * space-separated into buf; 0 if none (or not hybrid), 1 if some.
 */
int	runtime_oci_cgroup_hybrid(const char *root, char *buf, size_t len);

struct runtime_oci;

/* One runtime, one runtime/1 driver; kept until fini once provided. */
struct runtime_oci_drv {
	struct runtime_oci_drv	*next;
	struct runtime_oci	*ro;
	struct runtime_oci_rt	 rt;
	int			 provided;
	/*
	 * `RUNTIME run --help` succeeded: the runtime has `run`, which is
	 * not in the OCI command line, so it is asked, never assumed.
	 * Until the answer comes (and without it) create + start are used.
	 */
	int			 has_run;
	pid_t			 probe_pid;	/* the asking, or 0 */
};

struct runtime_oci_ctr;

struct runtime_oci {
	const struct berth_host	*h;
	struct runtime_oci_drv	*drvs;
	struct runtime_oci_drv	*def;		/* behind the alias */
	char			*monitor;	/* berth-monitor */
	struct runtime_oci_ctr	*ctrs;
	char			*pkt;		/* receive buffer */
	int			 cgroup_warned;	/* the crun quirk, said once */
};

extern const struct berth_runtime_ops runtime_oci_ops;

/* runtime_oci_ctr.c */
void	runtime_oci_ctrs_free(struct runtime_oci *ro);

#endif

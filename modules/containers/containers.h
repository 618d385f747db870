/*
 * containers.h - the containers service, private to modules/containers.
 *
 * One struct containers per module instance holds the list of containers
 * (creation order).  A struct ctr is one container: its Docker-shaped
 * Config and HostConfig documents as stored on disk, its state, and the
 * requests waiting on it.  The module owns both; a ctr lives until it has
 * been removed and no asynchronous operation holds a reference (ctr_ref).
 *
 * Files and what they do:
 *	containers.c		init/fini, routes, lookups, events, /info
 *	containers_store.c	config.v2.json + hostconfig.json, load, restore
 *	containers_create.c	POST /containers/create: validation and merge
 *	containers_spec.c	the OCI config.json (pure: unit tested)
 *	containers_seccomp.c	Docker's default seccomp profile, as data
 *	containers_run.c	start, stop, kill, restart, wait, remove, exit
 *	containers_attach.c	POST /containers/{id}/attach and resize
 *	containers_exec.c	exec create, start, inspect, resize
 *	containers_ops.c	pause, unpause, rename, top, prune
 *	containers_commit.c	diff and commit, through image/1
 *	containers_policy.c	restart policies and their backoff
 *	containers_update.c	POST /containers/{id}/update, host limits
 *	containers_stats.c	GET /containers/{id}/stats: cgroup readers
 *	containers_logs.c	GET /containers/{id}/logs
 *	containers_list.c	GET /containers/json and its filters
 *	containers_inspect.c	GET /containers/{id}/json
 *	containers_mounts.c	-v, --mount, --volumes-from, via volumes/1
 *	containers_archive.c	HEAD/GET/PUT /containers/{id}/archive (cp)
 *	containers_export.c	GET /containers/{id}/export
 *	containers_fs.c		a container's filesystem as one root fd
 *	containers_tar.c	paths in a container, stat, tar out (worker)
 *	containers_untar.c	tar into a container's directory (worker)
 *	containers_util.c	ids, names, signals, times
 */
#ifndef CONTAINERS_H
#define CONTAINERS_H

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/container.h>
#include <berth/err.h>
#include <berth/fs.h>
#include <berth/host.h>
#include <berth/id.h>
#include <berth/image.h>
#include <berth/inroot.h>
#include <berth/runtime.h>

/* glibc's sys/queue.h lacks the _SAFE iterators. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define CONTAINERS_ID_LEN	64
#define CONTAINERS_NAME_MAX	256
#define CONTAINERS_STOP_TIMEOUT	10		/* seconds, Docker's default */
#define CONTAINERS_STREAMS_MAX	2		/* cp and export at once */
#define CONTAINERS_DEFAULT_PATH	\
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum ctr_status {
	CTR_CREATED = 0,
	CTR_RUNNING,
	CTR_PAUSED,
	CTR_RESTARTING,
	CTR_REMOVING,
	CTR_EXITED,
	CTR_DEAD,
};

/* Docker's State object, persisted in config.v2.json. */
struct ctr_state {
	enum ctr_status	 status;
	pid_t		 pid;
	int		 exit_code;
	int		 oom_killed;
	int		 rt_created;	/* the runtime knows it: restore it */
	char		*error;		/* State.Error, or NULL */
	int64_t		 started_ns;	/* 0: never */
	int64_t		 finished_ns;
};

struct ctr;
struct containers;
struct start_job;
struct ctr_stream;
struct remove_job;

/*
 * An exec (containers_exec.c): in memory only, as in Docker.  Holds a
 * reference on its container.
 */
struct ctr_exec {
	TAILQ_ENTRY(ctr_exec)	 entry;
	struct ctr		*c;
	char			 id[CONTAINERS_ID_LEN + 1];
	json_object		*cmd;		/* Cmd, an array, owned */
	json_object		*env;		/* Env or NULL, owned */
	char			*user, *workdir, *detach_keys;
	int			 tty, in, out, err, privileged;
	int			 start_tty;	/* the start's Tty: framing */
	int64_t			 run_ns;	/* the run it was given to */
	unsigned		 pauses;	/* c->pauses then */
	int			 started;	/* start was asked for */
	int			 running;
	int			 rt_started;	/* the runtime runs it */
	int			 exited;	/* exit_code is final */
	int			 exit_code;
	pid_t			 pid;
	int			 fd;		/* hijacked, not handed over */
	struct berth_req	*req;		/* a detached start */
	unsigned		 rows, cols;	/* the last resize */
	int			 busy;		/* callbacks in flight */
	/*
	 * An exec berthd runs for itself (a health probe): told once, at
	 * its exit, its failed start, or when its record goes (code
	 * CTR_EXEC_FORGOTTEN); dropped as soon as it is done.
	 */
	void			(*on_exit)(void *, int);
	void			*on_exit_arg;
	int			 internal;
};
TAILQ_HEAD(ctr_exec_list, ctr_exec);
#define CTR_EXEC_FORGOTTEN	(-1000)

/* A POST /containers/{id}/wait in progress. */
enum ctr_wait_cond {
	CTR_WAIT_NOT_RUNNING = 0,
	CTR_WAIT_NEXT_EXIT,
	CTR_WAIT_REMOVED,
};

struct ctr_wait {
	TAILQ_ENTRY(ctr_wait)	 entry;
	struct ctr		*c;
	struct berth_req	*req;
	enum ctr_wait_cond	 cond;
	int			 gone;		/* the client left */
	/* A service's wait (req NULL): told the exit code instead. */
	berth_container_exit_cb	 cb;
	void			*cb_arg;
};
TAILQ_HEAD(ctr_wait_list, ctr_wait);

/*
 * An attach hijacked before the process runs: the fd is held until the
 * runtime has created the container, then handed to the driver before
 * start so that no output is lost.
 */
struct ctr_attach {
	TAILQ_ENTRY(ctr_attach)	 entry;
	int			 fd;
	uint32_t		 flags;
	char			*detach_keys;
};
TAILQ_HEAD(ctr_attach_list, ctr_attach);

/* A completion for internal operations (start, stop, remove). */
typedef void	(*ctr_done_cb)(void *arg, int rc, const struct berth_err *err);

struct ctr_op_waiter {
	TAILQ_ENTRY(ctr_op_waiter) entry;
	ctr_done_cb		 cb;
	void			*arg;
};
TAILQ_HEAD(ctr_op_list, ctr_op_waiter);

struct ctr {
	TAILQ_ENTRY(ctr)	 entry;
	struct containers	*cs;
	int			 refs;
	int			 removed;	/* unlinked from the list */

	char			 id[CONTAINERS_ID_LEN + 1];
	char			*name;		/* with the leading '/' */
	char			 image_id[BERTH_IMAGE_ID_LEN + 1];
	json_object		*config;	/* Config, owned */
	json_object		*hostconfig;	/* HostConfig, owned */
	char			*hc_saved;	/* hostconfig.json as last
						   written, owned; NULL if
						   not yet this run */
	char			*path;		/* Path */
	json_object		*args;		/* Args (array), owned */
	int64_t			 created_ns;
	int			 restart_count;
	char			*runtime;	/* HostConfig.Runtime, resolved */
	struct ctr_state	 st;
	/* Issue 6 (exec, pause, rename, restart policies) adds here. */
	json_object		*exec_ids;	/* ExecIDs; NULL until exec lands */
	struct ctr_health	*health;	/* State.Health, or NULL */
	int			 has_been_started;
	int			 manually_stopped;
	struct berth_timer	*restart_timer;	/* a policy restart pending */
	uint64_t		 restart_backoff_ms; /* Docker's, in memory */

	/* Operations in flight; never persisted. */
	int			 starting;
	int			 stopping;
	int			 removing;
	int			 start_failed;	/* the last start failed */
	int			 cleaning;	/* runtime delete, unmount */
	int			 dead_at_load;	/* "removing" on disk at start */
	struct start_job	*start_job;	/* while starting */
	struct ctr_op_list	 after_cleanup;
	struct ctr_op_list	 start_waiters;
	struct ctr_op_list	 exit_waiters;	/* until the next exit */
	struct ctr_op_list	 save_waiters;	/* until on disk */
	int			 pausing;	/* 1: a pause runs, 2: unpause */
	unsigned		 pauses;	/* pauses asked, in memory */
	struct ctr_op_list	 pause_waiters;	/* ... and these wait */
	struct ctr_wait_list	 waits;
	struct ctr_attach_list	 attaches;
	struct berth_timer	*stop_timer;
	int			 mounted;	/* rootfs mounted by us */
	int			 image_used;
	json_object		*mounts;	/* MountPoints, owned */
	json_object		*networks;	/* NetworkSettings.Networks:
						   name -> EndpointSettings,
						   owned; NULL: none */
	char			*sandbox;	/* SandboxKey while joined */
	json_object		*ports;		/* NetworkSettings.Ports while
						   joined, owned; or NULL */
	int			 vols_mounted;	/* volumes/1 mounts held */
	int			 fs_users;	/* cp/export holding the rootfs */
	int			 fs_mounted;	/* ... which they mounted */
	int			 remove_volumes; /* rm -v: anonymous too */

	/* Persistence: one write at a time, the latest state wins. */
	int			 saving;
	int			 save_again;
	int			 state_gone;	/* being deleted: no more writes */
};
TAILQ_HEAD(ctr_list, ctr);

/* What the host supports, probed once at init (containers_update.c). */
struct ctr_sysinfo {
	int		 ncpu;		/* CPUs this process may use */
	int		 cgroup2;	/* /sys/fs/cgroup is the unified tree */
	int		 swap_limit;	/* memsw accounting */
	int		 blkio_weight;
	char		 cpus[256];	/* cpuset.cpus of the root, or "" */
	char		 mems[256];
	uint64_t	 mem_total;	/* bytes, /proc/meminfo MemTotal */
};

struct containers {
	const struct berth_host		*h;
	const struct berth_image_ops	*img;
	void				*img_st;
	struct ctr_list			 list;
	struct ctr_exec_list		 execs;		/* every exec */
	char				*root;		/* <data-root>/containers */
	char				*exec_root;	/* <exec-root>/containers */
	char				*init_path;	/* --init binary, or NULL */
	json_object			*log_default;	/* {"Type","Config"}:
							   dockerd's log-driver
							   and log-opts; owned */
	uint64_t			 seq;
	struct berth_timer		*boot_timer;	/* policies at start */
	int				 nstreams;	/* cp/export workers */
	TAILQ_HEAD(, ctr_stream)	 streams;	/* ... waiting for one */
	/* Removals answered, waiting for the runtime's delete. */
	TAILQ_HEAD(, remove_job)	 removals;
	struct ctr_sysinfo		 sys;
	int				 stopping;	/* fini started */
};

/* containers_health.c */
void		 containers_health_start(struct ctr *, int);
void		 containers_health_stop(struct ctr *);
void		 containers_health_free(struct ctr *);
const char	*containers_health_status(const struct ctr *);
void		 containers_health_json(const struct ctr *, json_object *);
void		 containers_health_load(struct ctr *, json_object *);

/* containers.c */
struct ctr	*containers_find(struct containers *, const char *,
		    struct berth_err *);
struct ctr	*containers_find_name(struct containers *, const char *);
void		 containers_rt_judge(struct ctr *, int,
		    const struct berth_err *, int64_t,
		    void (*)(void *, const struct berth_err *), void *);
int		 containers_init_alive(const struct ctr *);
const struct berth_err *containers_rt_err(const struct ctr *, int,
		    const struct berth_err *, struct berth_err *);
void		 containers_emit(struct ctr *, const char *, json_object *);
const struct berth_runtime_ops *containers_runtime(struct containers *,
		    const char *, void **, struct berth_err *);
const struct berth_runtime_ops *containers_runtime_of(struct ctr *, void **,
		    struct berth_err *);
void		 ctr_ref(struct ctr *);
void		 ctr_unref(struct ctr *);
struct ctr	*ctr_new(struct containers *);
void		 ctr_free(struct ctr *);
void		 containers_not_found(const struct berth_host *,
		    struct berth_req *, const char *);

/* containers_store.c */
int		 containers_save(struct ctr *);
void		 containers_save_sync_wait(struct ctr *, ctr_done_cb, void *);
int		 containers_load(struct containers *, struct berth_err *);
void		 containers_restore(struct containers *);
void		 containers_store_remove(struct ctr *, int, ctr_done_cb,
		    void *);
json_object	*containers_state_json(const struct ctr *);
json_object	*containers_v2_json(const struct ctr *);
int		 containers_from_v2(struct ctr *, json_object *, json_object *,
		    struct berth_err *);
int		 containers_write_atomic(const char *, const char *, size_t,
		    mode_t);

/* containers_create.c */
typedef void	(*ctr_create_cb)(void *arg, int rc, struct ctr *c,
		    json_object *warnings, const struct berth_err *err);
void		 containers_create(struct containers *, json_object *,
		    const char *, ctr_create_cb, void *);
void		 containers_h_create(struct berth_req *, void *);
int		 containers_iface_provide(struct containers *,
		    struct berth_err *);
int		 containers_name_valid(const char *);
void		 containers_random_name(char *, size_t, uint64_t);
int		 containers_merge_image(json_object *, json_object *,
		    struct berth_err *);
int		 containers_validate_hostconfig(json_object *,
		    struct berth_err *);

/* containers_run.c */
void		 containers_h_start(struct berth_req *, void *);
void		 containers_h_stop(struct berth_req *, void *);
void		 containers_h_kill(struct berth_req *, void *);
void		 containers_h_restart(struct berth_req *, void *);
void		 containers_h_wait(struct berth_req *, void *);
void		 containers_h_remove(struct berth_req *, void *);
/* What may run now, and Docker's 409 when not (containers_admit.c). */
enum ctr_op {
	CTR_OP_PAUSE,
	CTR_OP_UNPAUSE,
	CTR_OP_EXEC,
	CTR_OP_TOP,
	CTR_OP_RESIZE,
	CTR_OP_COMMIT,
	CTR_OP_EXPORT,
	CTR_OP_N
};
int		 containers_admit(const struct ctr *, enum ctr_op,
		    struct berth_err *);
int		 containers_ops_add(struct ctr_op_list *, ctr_done_cb, void *);
void		 containers_ops_fire(struct ctr_op_list *, int,
		    const struct berth_err *);
void		 containers_start(struct ctr *, ctr_done_cb, void *);
void		 containers_start_user(struct ctr *, ctr_done_cb, void *);
int		 containers_wait_cb(struct ctr *, berth_container_exit_cb,
		    void *);
void		 containers_stop(struct ctr *, int, ctr_done_cb, void *);
void		 containers_remove(struct ctr *, int, ctr_done_cb, void *);
void		 containers_remove_bg(struct ctr *, const char *);
void		 containers_run_fini(struct containers *);
void		 containers_exited(struct ctr *, int, int, int64_t, int);
extern const struct berth_runtime_events containers_rt_events;
void		 containers_waits_answer(struct ctr *, int);

/* containers_attach.c */
void		 containers_h_attach(struct berth_req *, void *);
void		 containers_h_resize(struct berth_req *, void *);
void		 containers_attach_flush(struct ctr *, ctr_done_cb, void *);
void		 containers_attach_drop(struct ctr *);

/* containers_exec.c */
void		 containers_h_exec_create(struct berth_req *, void *);
void		 containers_h_exec_start(struct berth_req *, void *);
void		 containers_h_exec_inspect(struct berth_req *, void *);
void		 containers_h_exec_resize(struct berth_req *, void *);
void		 containers_exec_exited(struct containers *, const char *,
		    const char *, int);
void		 containers_exec_detached(struct containers *, const char *,
		    const char *);
int		 containers_exec_internal(struct ctr *, json_object *, int,
		    void (*)(void *, int), void *, struct berth_err *);
void		 containers_exec_fini(struct containers *);

/* containers_ops.c */
void		 containers_h_pause(struct berth_req *, void *);
void		 containers_h_unpause(struct berth_req *, void *);
void		 containers_h_rename(struct berth_req *, void *);
void		 containers_h_top(struct berth_req *, void *);
void		 containers_h_prune(struct berth_req *, void *);
int		 containers_top_parse(const char *, const pid_t *, size_t,
		    json_object **, struct berth_err *);
int		 containers_until_parse(const char *, int64_t, int64_t *);

/* containers_commit.c */
void		 containers_h_changes(struct berth_req *, void *);
void		 containers_h_commit(struct berth_req *, void *);

/* containers_policy.c */
const char	*containers_policy_of(json_object *, int *);
int		 containers_policy_decide(const char *, int, int, int, int,
		    int64_t, uint64_t *);
int		 containers_policy_exited(struct ctr *);
void		 containers_policy_cancel(struct ctr *);
void		 containers_policy_restore(struct containers *);
void		 containers_policy_fini(struct containers *);

/* containers_update.c */
void		 containers_h_update(struct berth_req *, void *);
void		 containers_sysinfo_probe(struct ctr_sysinfo *);
int		 containers_cpuset_parse(const char *, uint64_t[16]);
int		 containers_update_check(json_object *,
		    const struct ctr_sysinfo *, json_object **,
		    struct berth_err *);
int		 containers_update_merge(json_object *, json_object *,
		    const char *, struct berth_err *);

/* containers_stats.c */
struct stats_dirs {			/* one container's cgroup directories */
	int	 v2;			/* all five are the unified one */
	char	 memory[PATH_MAX];
	char	 cpu[PATH_MAX];
	char	 cpuacct[PATH_MAX];
	char	 pids[PATH_MAX];
	char	 blkio[PATH_MAX];
};
void		 containers_h_stats(struct berth_req *, void *);
int		 containers_stats_dirs(const char *, const char *,
		    struct stats_dirs *);
void		 containers_stats_cgroup(const struct stats_dirs *, uint64_t,
		    uint64_t, int, json_object *);
json_object	*containers_stats_blkio(const char *);
json_object	*containers_stats_net(const char *);

/* containers_logs.c */
void		 containers_h_logs(struct berth_req *, void *);
int		 containers_log_path(const struct ctr *, char *, size_t);
int		 containers_log_none(const struct ctr *);
int		 containers_restart_policy_check(json_object *,
		    struct berth_err *);
int		 containers_log_opts(json_object *, int64_t *, int *,
		    struct berth_err *);
json_object	*containers_log_default(json_object *, struct berth_err *);
int		 containers_log_config(struct containers *, json_object *,
		    struct berth_err *);

/* containers_list.c */
void		 containers_h_list(struct berth_req *, void *);
struct ctr_filters;
int		 containers_filters_parse(const char *, struct ctr_filters **,
		    struct berth_err *);
int		 containers_filters_match(const struct ctr_filters *,
		    struct containers *, const struct ctr *);
void		 containers_filters_free(struct ctr_filters *);
void		 containers_status_text(const struct ctr *, int64_t, char *,
		    size_t);
int64_t		 containers_du(const char *, int);

/* containers_inspect.c */
void		 containers_h_inspect(struct berth_req *, void *);
json_object	*containers_inspect_json(struct ctr *);

/* containers_spec.c */
struct spec_in {
	const char	*id;
	json_object	*config;	/* merged Config */
	json_object	*hostconfig;
	const char	*rootfs;	/* the mounted root */
	const char	*ctr_dir;	/* <data-root>/containers/<id> */
	const char	*init_path;	/* --init binary or NULL */
	pid_t		 net_pid;	/* container:<x> network: its pid */
	const char	*netns;		/* the sandbox to join, or NULL */
	const char	*links;		/* /etc/hosts lines of --link */
	json_object	*networks;	/* NetworkSettings.Networks or NULL */
	pid_t		 ipc_pid;
	pid_t		 pid_pid;
	int		 host_devices;	/* privileged: enumerate /dev */
	json_object	*mounts;	/* OCI mounts of -v/--mount, or NULL */
};
int		 containers_spec(const struct spec_in *, json_object **,
		    struct berth_err *);
json_object	*containers_spec_resources(json_object *, int);
int		 containers_args(json_object *, char **, json_object **,
		    struct berth_err *);
json_object	*containers_env(json_object *, const char *, int);
struct spec_user {
	uid_t		 uid;
	gid_t		 gid;
	gid_t		 sgids[64];
	size_t		 nsgids;
	char		 home[256];
};
int		 containers_user_resolve(const char *, const char *,
		    const char *, json_object *, struct spec_user *,
		    struct berth_err *);
int		 containers_caps(json_object *, json_object *, int,
		    json_object **, struct berth_err *);
int		 containers_cap_valid(const char *, char *, size_t);
int		 containers_cap_has(json_object *, const char *);
int		 containers_security_opts(json_object *, int *, char **,
		    struct berth_err *);
int		 containers_write_etc(const struct spec_in *,
		    struct berth_err *);

/* containers_net.c */
int		 containers_net_create(struct ctr *, json_object *,
		    struct berth_err *);
void		 containers_net_join(struct ctr *, ctr_done_cb, void *);
void		 containers_net_leave(struct ctr *, ctr_done_cb, void *);
json_object	*containers_net_inspect(const struct ctr *);
char		*containers_net_links(struct ctr *);
void		 containers_h_net_connect(struct berth_req *, void *);
void		 containers_h_net_disconnect(struct berth_req *, void *);

/* containers_mounts.c */
int		 containers_mounts_parse(struct containers *, json_object *,
		    json_object *, json_object **, struct berth_err *);
void		 containers_mounts_create(struct ctr *, ctr_done_cb, void *);
void		 containers_mounts_release(struct ctr *, int);
void		 containers_mounts_restore(struct ctr *, int);
void		 containers_mounts_mount(struct ctr *, const char *,
		    void (*)(void *, int, json_object *,
		    const struct berth_err *), void *);
void		 containers_mounts_unmount(struct ctr *, ctr_done_cb, void *);
json_object	*containers_mounts_inspect(const struct ctr *);
int		 containers_mounts_match(const struct ctr *, const char *);

/* containers_fs.c */
struct ctr_fs {
	struct ctr	*c;		/* referenced until closed */
	pid_t		 pid;		/* running: its init; 0: a tree */
	int		 rootfd;	/* the container's "/" (worker-made) */
	char		*rootfs;	/* the mounted rootfs, for a tree */
	int		 rootfs_only;	/* no volumes, binds, /etc files */
	int		 held;		/* counted in c->fs_users */
	json_object	*attach;	/* [{Destination,Source,RW,File}] */
	json_object	*vols;		/* volume names mounted for us */
	size_t		 i;
	ctr_done_cb	 cb;
	void		*arg;
};
struct ctr_fs	*containers_fs_new(struct ctr *, int);
void		 containers_fs_open(struct ctr_fs *, ctr_done_cb, void *);
int		 containers_fs_enter(struct ctr_fs *, struct berth_err *);
void		 containers_fs_close(struct ctr_fs *);
int		 containers_stream_start(struct containers *, berth_work_fn,
		    berth_done_fn, void *);
void		 containers_stream_end(struct containers *);
void		 containers_stream_fini(struct containers *);

/* containers_tar.c */
struct ctr_apath {
	char	abs[PATH_MAX];		/* from "/", clean, "/." or "/" kept */
	char	dir[PATH_MAX];		/* abs up to its last '/': followed */
	char	base[NAME_MAX + 1];	/* after it ("" or "."): not followed */
	char	name[NAME_MAX + 1];	/* Go's Base(abs): stat name, tar top */
};
int		 containers_apath(const char *, struct ctr_apath *);
int		 containers_path_clean(const char *, char *, size_t);
uint32_t	 containers_go_filemode(mode_t);
int		 containers_root_path(int, int, char *, size_t);
int		 containers_tar_write(int, const char *, const char *, int, int,
		    struct berth_err *);

/* containers_untar.c */
struct ctr_untar {
	const char	*dest;		/* clean, absolute in the container */
	int		 no_overwrite;	/* noOverwriteDirNonDir */
	int		 chown;		/* copyUIDGID: uid, gid below */
	uid_t		 uid;
	gid_t		 gid;
};
int		 containers_untar(int, const struct ctr_untar *, int,
		    struct berth_err *);

/* containers_archive.c, containers_export.c */
void		 containers_h_archive(struct berth_req *, void *);
void		 containers_h_archive_put(struct berth_req *, void *);
void		 containers_h_export(struct berth_req *, void *);

/* containers_seccomp.c */
json_object	*containers_seccomp_default(json_object *);
int		 containers_seccomp_from_profile(const char *, json_object *,
		    json_object **, struct berth_err *);

/* containers_util.c */
int		 containers_signal_parse(const char *, int *);
const char	*containers_signal_name(int);
int64_t		 containers_now_ns(void);
int		 containers_req_size(const struct berth_host *, struct berth_req *,
		    unsigned *, unsigned *, struct berth_err *);
void		 containers_time_fmt(int64_t, char *, size_t);
int		 containers_time_parse(const char *, int64_t *);
int		 containers_ts_parse(const char *, int64_t *);
const char	*containers_status_str(enum ctr_status);
int		 containers_status_from_str(const char *, enum ctr_status *);
void		 containers_human_duration(int64_t, char *, size_t);
char		*containers_strdup(const char *);
int		 containers_json_str_array(json_object *);
int		 containers_path_join(char *, size_t, const char *,
		    const char *);

#endif

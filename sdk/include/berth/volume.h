/*
 * berth/volume.h - volumes: the driver interface "volume/1" and the
 * volumes service as other services see it, "volumes/1".
 *
 * volume/1 mirrors Docker's VolumeDriver plugin protocol operation for
 * operation (Create, Remove, Mount, Unmount, Path, Get, List,
 * Capabilities), so plugin-proxy can serve it mechanically and an author
 * who knows the plugin docs knows this header.  A driver registers under
 * its Docker name: volume-local provides "local".
 *
 * volumes/1 is what the containers service calls: it owns names,
 * labels, options, reference counts and events, and finds the driver.
 *
 * All ops run on the loop thread and answer through done, exactly once,
 * later or at once, on the loop thread.  Strings and JSON passed in are
 * borrowed for the call; results handed to done are borrowed for the
 * callback.
 */
#ifndef BERTH_VOLUME_H
#define BERTH_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>

#define BERTH_VOLUME_IFACE	"volume/1"
#define BERTH_VOLUMES_IFACE	"volumes/1"
#define BERTH_VOLUMES_SERVICE	"volumes"	/* the one provider's name */

/* One volume as a driver reports it (VolumeDriver.Get / List). */
struct berth_volume_info {
	const char	*name;
	const char	*mountpoint;	/* may be NULL until mounted */
	const char	*created_at;	/* RFC 3339, may be NULL */
	json_object	*status;	/* driver's Status map, may be NULL */
};

typedef void	(*berth_volume_done_cb)(void *arg, int rc,
		    const struct berth_err *err);
typedef void	(*berth_volume_path_cb)(void *arg, int rc,
		    const char *mountpoint, const struct berth_err *err);
typedef void	(*berth_volume_get_cb)(void *arg, int rc,
		    const struct berth_volume_info *v, const struct berth_err *err);
typedef void	(*berth_volume_list_cb)(void *arg, int rc,
		    const struct berth_volume_info *v, size_t n,
		    const struct berth_err *err);
/* scope: "local" or "global". */
typedef void	(*berth_volume_caps_cb)(void *arg, int rc, const char *scope,
		    const struct berth_err *err);

struct berth_volume_ops {
	uint32_t	 size;		/* sizeof(struct berth_volume_ops) */
	/* Create: opts is the DriverOpts map (NULL when none). */
	void	(*create)(void *st, const char *name, json_object *opts,
		    berth_volume_done_cb done, void *arg);
	void	(*remove)(void *st, const char *name,
		    berth_volume_done_cb done, void *arg);
	/* Mount: id is a per-mount-point ID, reused for Unmount. */
	void	(*mount)(void *st, const char *name, const char *id,
		    berth_volume_path_cb done, void *arg);
	void	(*unmount)(void *st, const char *name, const char *id,
		    berth_volume_done_cb done, void *arg);
	void	(*path)(void *st, const char *name, berth_volume_path_cb done,
		    void *arg);
	/* Get: -ENOENT when the driver has no such volume. */
	void	(*get)(void *st, const char *name, berth_volume_get_cb done,
		    void *arg);
	void	(*list)(void *st, berth_volume_list_cb done, void *arg);
	void	(*capabilities)(void *st, berth_volume_caps_cb done, void *arg);
};

/* --- volumes/1: the service ------------------------------------------ */

/* A volume name result (a generated one for anonymous volumes). */
typedef void	(*berth_volumes_name_cb)(void *arg, int rc, const char *name,
		    const struct berth_err *err);

struct berth_volumes_mount {
	uint32_t	 size;
	const char	*name;		/* the volume */
	const char	*container;	/* container ID */
	const char	*destination;	/* path inside the container */
	int		 rw;
	const char	*propagation;	/* "" or rprivate, rshared, ... */
	/*
	 * A directory whose content fills the volume the first time it is
	 * mounted, if the volume is empty (the image's content at the
	 * mount point, as Docker does); NULL for none.
	 */
	const char	*copy_from;
	/*
	 * Added in ABI 1.4 (read only if `size` covers it): the mount of a
	 * container that kept running while berthd restarted, held again.
	 * Nothing new is mounted for the user, so no `mount` event.
	 */
	int		 restore;
};

struct berth_volumes_ops {
	uint32_t	 size;		/* sizeof(struct berth_volumes_ops) */
	/*
	 * ensure - return volume `name` if it exists (its driver must match
	 * when driver is given), else create it with driver (NULL: "local"),
	 * opts and labels.  name NULL or "" creates an anonymous volume
	 * with a new 64-hex name.  Emits `create` as Docker does.
	 */
	void	(*ensure)(void *st, const char *name, const char *driver,
		    json_object *opts, json_object *labels,
		    berth_volumes_name_cb done, void *arg);
	/*
	 * use / unuse - container holds the volume (running or not): while
	 * it has users a volume cannot be removed (409 naming them).  Not
	 * persisted: declared again at every start by the containers
	 * service, so the count is always derived from real containers.
	 */
	int	(*use)(void *st, const char *name, const char *container,
		    struct berth_err *err);
	void	(*unuse)(void *st, const char *name, const char *container);
	/* mount - mount for a container start; done gets the host path. */
	void	(*mount)(void *st, const struct berth_volumes_mount *m,
		    berth_volume_path_cb done, void *arg);
	/* unmount - at the container's stop. */
	void	(*unmount)(void *st, const char *name, const char *container,
		    berth_volume_done_cb done, void *arg);
	/* remove - `docker rm -v` of an anonymous volume; -EBUSY if used. */
	void	(*remove)(void *st, const char *name, int force,
		    berth_volume_done_cb done, void *arg);
};

#endif

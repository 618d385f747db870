/*
 * volume_local.h - the "local" volume driver, private to
 * modules/volume-local.
 *
 * Each volume is <data-root>/volumes/<name>/ with its data in _data and,
 * when created with options (type, device, o), those options in
 * opts.json, read again at every start.  A volume with a device is
 * mounted on _data at its first mount ID and unmounted at its last.
 *
 *	volume_local.c		init/fini, the volume/1 ops, load at start
 *	volume_local_fs.c	names, options, mount(2), removal, files
 */
#ifndef VOLUME_LOCAL_H
#define VOLUME_LOCAL_H

#include <sys/queue.h>

#include <json-c/json.h>

#include <berth/err.h>
#include <berth/fs.h>
#include <berth/host.h>

#define VOLUME_LOCAL_NAME_MAX	255

/* A mount ID (VolumeDriver's per-mount-point ID) holding the volume. */
struct vl_ref {
	TAILQ_ENTRY(vl_ref)	 entry;
	char			*id;
};
TAILQ_HEAD(vl_ref_list, vl_ref);

struct vl_vol {
	TAILQ_ENTRY(vl_vol)	 entry;
	char			*name;
	char			*dir;		/* <root>/<name> */
	char			*data;		/* <root>/<name>/_data */
	char			 created[40];	/* RFC 3339 */
	json_object		*opts;		/* type/device/o, or NULL */
	struct vl_ref_list	 refs;
	int			 mounted;	/* we mounted a device on data */
	int			 busy;		/* a job runs on it */
	int			 removed;
};
TAILQ_HEAD(vl_vol_list, vl_vol);

struct volume_local {
	const struct berth_host	*h;
	char			*root;		/* <data-root>/volumes */
	struct vl_vol_list	 vols;
};

/* volume_local_fs.c */
int	volume_local_name_valid(const char *, struct berth_err *);
int	volume_local_opts_valid(json_object *, struct berth_err *);
int	volume_local_mount(const char *, json_object *, struct berth_err *);
int	volume_local_unmount(const char *, struct berth_err *);
int	volume_local_is_mountpoint(const char *);
int	volume_local_rm_tree(const char *);
void	volume_local_time(time_t, char *, size_t);

#endif

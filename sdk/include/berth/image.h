/*
 * berth/image.h - the images service as other services see it, "image/1".
 *
 * The images module owns the image store and the root filesystems made
 * from it.  The containers service resolves the image a container is
 * created from, records that it uses it (so `docker rmi` refuses while a
 * container exists), and asks for an overlay root filesystem at start.
 *
 * All ops run on the loop thread.  Ops that touch the disk (mounts,
 * removals, commits) are asynchronous: they return at once and call done
 * later on the loop thread, exactly once.
 */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>

#define BERTH_IMAGE_IFACE	"image/1"
#define BERTH_IMAGE_DRIVER	"images"	/* the one provider's name */

/*
 * Since ABI 1.7: the empty image of `FROM scratch`, which rootfs_mount,
 * commit and commit_step take as an image ID (a root filesystem with no
 * layer but the init layer; an image with no parent).
 */
#define BERTH_IMAGE_SCRATCH	"scratch"

/* "sha256:" + 64 hex digits + NUL. */
#define BERTH_IMAGE_ID_LEN	71

/* A path result (mountpoint), borrowed for the call; NULL when rc < 0. */
typedef void	(*berth_image_path_cb)(void *arg, int rc, const char *path,
		    const struct berth_err *err);
typedef void	(*berth_image_done_cb)(void *arg, int rc,
		    const struct berth_err *err);
/*
 * Docker's changes (GET /containers/{id}/changes): an array of
 * {"Path": "/etc", "Kind": 0} (0 modified, 1 added, 2 deleted), or NULL
 * for none, as Docker answers null.  Borrowed for the call.
 */
typedef void	(*berth_image_changes_cb)(void *arg, int rc,
		    json_object *changes, const struct berth_err *err);
/*
 * A commit's result: the new image's "sha256:<hex>" and, if it was
 * tagged, the reference as Docker's commit event names it ("x:1"), else
 * "".  Borrowed for the call; NULL when rc < 0.
 */
typedef void	(*berth_image_id_cb)(void *arg, int rc, const char *id,
		    const char *ref, const struct berth_err *err);

/* What a commit is made of; borrowed for the call only. */
struct berth_image_commit {
	const char		*owner;		/* whose rootfs (container ID) */
	const char		*image;		/* the image it was made from */
	json_object		*container_config; /* the container's Config */
	json_object		*config;	/* the request's Config or NULL */
	const char *const	*changes;	/* Dockerfile instructions */
	size_t			 nchanges;
	const char		*repo;		/* each may be NULL or "" */
	const char		*tag;
	const char		*comment;
	const char		*author;
};

struct berth_image_ops {
	uint32_t	 size;		/* sizeof(struct berth_image_ops) */
	/*
	 * resolve - find the image that ref names, as Docker does: a name
	 * with or without tag and registry (busybox = docker.io/library/
	 * busybox:latest), name@sha256:digest, a full ID with or without
	 * "sha256:", or an unambiguous ID prefix.  Fills id (at least
	 * BERTH_IMAGE_ID_LEN + 1 bytes) with "sha256:<hex>".  If image is
	 * non-NULL it receives a new reference to the image's whole config
	 * document (architecture, os, config{Env,Cmd,Entrypoint,WorkingDir,
	 * User,Volumes,ExposedPorts,Labels,StopSignal,...}, rootfs,
	 * history, created); the caller puts it.  -ENOENT with "No such
	 * image: REF" when there is none; -EINVAL for a malformed ref.
	 */
	int	(*resolve)(void *st, const char *ref, char *id,
		    json_object **image, struct berth_err *err);
	/*
	 * use / unuse - user (a container ID) holds image id.  While an
	 * image has users, deleting it is refused with 409.  Users are not
	 * persisted: the containers service declares them again at every
	 * start, so the count is always derived from real containers.
	 * Idempotent.
	 */
	int	(*use)(void *st, const char *id, const char *user,
		    struct berth_err *err);
	void	(*unuse)(void *st, const char *id, const char *user);
	/*
	 * rootfs_mount - make (the first time) and mount the root
	 * filesystem of owner (a container ID) from image id: an overlay of
	 * Docker's init layer (/.dockerenv, /etc/mtab and the mount points
	 * every container needs) and the image's layers under the owner's
	 * own upper and work directories.  done gets the mountpoint.  Mounting a mounted
	 * rootfs succeeds with the same path.
	 */
	void	(*rootfs_mount)(void *st, const char *id, const char *owner,
		    berth_image_path_cb done, void *arg);
	/* rootfs_unmount - unmount owner's rootfs; keeps its changes. */
	void	(*rootfs_unmount)(void *st, const char *owner,
		    berth_image_done_cb done, void *arg);
	/* rootfs_remove - unmount if needed and delete owner's changes. */
	void	(*rootfs_remove)(void *st, const char *owner,
		    berth_image_done_cb done, void *arg);
	/*
	 * rootfs_paths - where owner's rootfs lives, whether mounted or
	 * not: the mountpoint and the upper (changes) directory.  Written
	 * into caller buffers of len bytes.  -ENOENT if owner has none.
	 */
	int	(*rootfs_paths)(void *st, const char *owner, char *merged,
		    char *upper, size_t len);

	/* --- since ABI 1.3: check size before calling these --------- */

	/*
	 * changes - what owner's rootfs changed against its image and
	 * init layer, as Docker's `docker diff` lists it, read from the
	 * rootfs's upper directory whether it is mounted or not (an owner
	 * that has none yet changed nothing).  Runs in a work job; done
	 * is called on the loop thread, once.
	 */
	void	(*changes)(void *st, const char *owner,
		    berth_image_changes_cb done, void *arg);
	/*
	 * commit - a new image from owner's changes (`docker commit`): the
	 * image c->image plus one layer of the upper directory (none if
	 * nothing changed, as Docker), with a config built as Docker
	 * builds it: c->config (else c->container_config), then
	 * c->changes, then what it lacks from c->container_config; a
	 * history entry, and the container and container_config fields.
	 * Then repo:tag is tagged if repo is given.  A bad reference or
	 * change is -EINVAL before anything is written.  done gets the
	 * new ID, on the loop thread, once (maybe before commit returns).
	 */
	void	(*commit)(void *st, const struct berth_image_commit *c,
		    berth_image_id_cb done, void *arg);

	/* --- since ABI 1.7 ------------------------------------------ */

	/*
	 * tag - POST /images/{id}/tag?repo=REF: ref is "name[:tag]" (no
	 * tag: latest); the tag event is emitted.  done runs once the tag
	 * is on disk.  A malformed ref or an unknown image fails at once.
	 */
	void	(*tag)(void *st, const char *id, const char *ref,
		    berth_image_done_cb done, void *arg);
	/*
	 * commit_step - a builder's step (Docker's CommitBuildStep): as
	 * commit, but c->config is the new image's Config exactly as
	 * given (no changes, nothing merged from container_config) and
	 * nothing is tagged.
	 */
	void	(*commit_step)(void *st, const struct berth_image_commit *c,
		    berth_image_id_cb done, void *arg);
	/*
	 * pull - POST /images/create?fromImage=REF (a builder's FROM of an
	 * image that is not here): registry_config is the build's
	 * X-Registry-Config (base64 JSON, registry -> credentials) or NULL.
	 * Docker's progress messages (JSON and "\r\n" each) are written
	 * to progress_fd, which is taken and closed before done runs, on
	 * the loop thread, once the image is stored and tagged or the pull
	 * failed.
	 */
	void	(*pull)(void *st, const char *ref, const char *registry_config,
		    int progress_fd, berth_image_done_cb done, void *arg);
};

/* Is op present in a provider's table of the given size? */
#define BERTH_IMAGE_HAS(ops, op)					\
	((ops)->size >= offsetof(struct berth_image_ops, op) +		\
	    sizeof((ops)->op) && (ops)->op != NULL)

#endif

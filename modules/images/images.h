/*
 * images.h - the images service's own declarations (not part of the SDK).
 *
 * The store lives in memory on the loop thread and on disk under
 * <data-root>/images:
 *
 *	blobs/sha256/<hex>	image configs and uncompressed layer tars
 *	layers/<hex>/diff	a layer unpacked once, keyed by its diff ID
 *	layers/<hex>/size	"<unpacked bytes> <tar bytes>"
 *	imagedb/<hex>		an image exists; its local metadata (JSON)
 *	repositories.json	name:tag -> image ID
 *	mounts/<owner>/		upper, work, merged and `lower` of a rootfs
 *	tmp/, trash/		work in progress; removed at start
 *
 * Rules: worker functions touch only their job; the in-memory store is
 * read and changed only on the loop thread.  Every change to the store's
 * files goes through one serial queue (images_q), so that what a job
 * finds on disk is what the loop believed when the job started.
 */
#ifndef IMAGES_H
#define IMAGES_H

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>
#include <berth/fs.h>
#include <berth/host.h>
#include <berth/image.h>
#include <berth/json.h>
#include <berth/timefmt.h>

#define IMAGES_HEX		64
#define IMAGES_ID_LEN		(7 + IMAGES_HEX)	/* "sha256:" + hex */
#define IMAGES_NAME_MAX		255		/* Docker's NameTotalLengthMax */
#define IMAGES_TAG_MAX		128
#define IMAGES_STREAMS_MAX	2	/* concurrent imports/loads/saves */
#define IMAGES_JSON_MAX		(16u << 20)	/* a config or manifest */
#define IMAGES_TMP_MAX		64	/* "tmp/<kind>-<n>" */

/* --- images_util.c: digests, times, sizes ------------------------------ */

struct images_sha;

struct images_sha *images_sha_new(void);
void	images_sha_update(struct images_sha *s, const void *data, size_t len);
/* Writes 64 hex digits and a NUL; frees s. */
void	images_sha_final(struct images_sha *s, char hex[IMAGES_HEX + 1]);
void	images_sha_free(struct images_sha *s);
void	images_sha256_hex(const void *data, size_t len,
	    char hex[IMAGES_HEX + 1]);
int	images_is_hex(const char *s, size_t n);

/* go-units HumanSize: "10.24kB". */
void	images_human_size(double size, char *buf, size_t len);

/* --- images_fs.c: files, written atomically --------------------------- */

/* A pipe for a stream, widened so a worker wakes less often. */
int	images_pipe(int p[2]);

/* Write name in dirfd: a temp file, fsync, rename, fsync the dir. */
int	images_fs_write_atomic(int dirfd, const char *name, const void *data,
	    size_t len, struct berth_err *err);
/* The same without the fsyncs: for what is rebuilt if a power cut eats it. */
int	images_fs_write_nosync(int dirfd, const char *name, const void *data,
	    size_t len, struct berth_err *err);
/* Read a whole (small) file; *buf is malloc'd and NUL-terminated. */
int	images_fs_read(int dirfd, const char *name, size_t max, char **buf,
	    size_t *len);
/* fsync the directory name in dirfd (rm -rf: berth_rmtree_at). */
int	images_fs_fsync_dir(int dirfd, const char *name);

/* --- images_ref.c: references as Docker parses them -------------------- */

struct images_ref {
	char	domain[IMAGES_NAME_MAX + 1];	/* docker.io, localhost:5000 */
	char	path[IMAGES_NAME_MAX + 1];	/* library/busybox */
	char	tag[IMAGES_TAG_MAX + 1];	/* "" if none */
	char	digest[IMAGES_ID_LEN + 1];	/* "sha256:<hex>" or "" */
};

/* ParseNormalizedNamed: "busybox" -> docker.io/library/busybox. */
int	images_ref_parse(const char *s, struct images_ref *ref,
	    struct berth_err *err);
/* ParseAnyReference: 1 with id filled for an ID, 0 for a name. */
int	images_ref_parse_any(const char *s, struct images_ref *ref,
	    char id[IMAGES_HEX + 1], struct berth_err *err);
/* WithTag: -EINVAL "invalid tag format". */
int	images_ref_set_tag(struct images_ref *ref, const char *tag,
	    struct berth_err *err);
/* TagNameOnly: add ":latest" to a reference with neither tag nor digest. */
void	images_ref_default_tag(struct images_ref *ref);
/* docker.io/library/busybox:latest */
void	images_ref_string(const struct images_ref *ref, char *buf,
	    size_t len);
/* docker.io/library/busybox */
void	images_ref_name(const struct images_ref *ref, char *buf, size_t len);
/* busybox:latest */
void	images_ref_familiar(const struct images_ref *ref, char *buf,
	    size_t len);
/* busybox */
void	images_ref_familiar_name(const struct images_ref *ref, char *buf,
	    size_t len);
/* FamiliarMatch: glob on the familiar string, then the familiar name. */
int	images_ref_match(const char *pattern, const struct images_ref *ref);
/* Is prefix a prefix of "sha256:<hex>" or of <hex> (isImageIDPrefix)? */
int	images_ref_is_id_prefix(const char *hex, const char *prefix);

/* --- images_changes.c: `docker import --change` ----------------------- */

/*
 * Apply Dockerfile instructions to config (a container Config object,
 * changed in place) as the builder does for commit and import.
 */
int	images_changes_apply(json_object *config, const char *const *changes,
	    size_t n, struct berth_err *err);
/* A container Config with every field Docker marshals, empty. */
json_object *images_config_new(void);
/* A new object: in's fields in Go's order, empty "omitempty" ones out. */
json_object *images_config_canonical(json_object *in);

/* --- images_filters.c: the filters= query parameter -------------------- */

struct images_filters;

int	images_filters_parse(const char *json, struct images_filters **fp,
	    struct berth_err *err);
void	images_filters_free(struct images_filters *f);
/* -EINVAL "Invalid filter 'x'" for a key outside accepted. */
int	images_filters_validate(const struct images_filters *f,
	    const char *const *accepted, struct berth_err *err);
int	images_filters_has(const struct images_filters *f, const char *key);
size_t	images_filters_count(const struct images_filters *f, const char *key);
const char *images_filters_value(const struct images_filters *f,
	    const char *key, size_t i);
int	images_filters_exact(const struct images_filters *f, const char *key,
	    const char *value);
/* MatchKVList against a JSON object of string labels (may be NULL). */
int	images_filters_match_kv(const struct images_filters *f,
	    const char *key, json_object *labels);
/* "Invalid filter 'key=v1,v2'" */
int	images_filters_invalid(const struct images_filters *f, const char *key,
	    struct berth_err *err);

/* --- images_layer.c: safe extraction of a layer ----------------------- */

/* Supplies the raw (maybe compressed) bytes; 0 at the end, <0 on error. */
typedef ssize_t	(*images_read_fn)(void *arg, const void **buf);
typedef void	(*images_progress_fn)(void *arg, uint64_t raw_bytes);

struct images_unpack {
	/* in */
	int			 dirfd;		/* empty dir to unpack into */
	int			 blobfd;	/* the uncompressed tar, or -1 */
	images_read_fn		 read;
	void			*read_arg;
	images_progress_fn	 progress;	/* may be NULL */
	void			*progress_arg;
	/* out */
	char			 diff_hex[IMAGES_HEX + 1];
	char			 raw_hex[IMAGES_HEX + 1];
	uint64_t		 size;		/* as Docker's DiffSize */
	uint64_t		 tar_size;
	uint64_t		 raw_size;
	struct berth_err	 err;
};

int	images_layer_unpack(struct images_unpack *u);
/* The layer's `size` file in dirfd: "<unpacked bytes> <tar bytes>". */
int	images_layer_write_size(int dirfd, const struct images_unpack *u,
	    struct berth_err *err);
/*
 * Lexically clean a path into a relative one ("" for the root).  Strict
 * (clamp 0): -EINVAL if absolute or climbing out.  Clamped: as
 * filepath.Join("/", in), ".." stops at the root.
 */
int	images_path_clean(const char *in, char *out, size_t len, int clamp);
/* Does symlink `name` -> target stay inside the root (Docker's rule)? */
int	images_symlink_inside(const char *name, const char *target);
/* The content sniffed from a file's first bytes. */
#define IMAGES_SNIFF_OTHER	0
#define IMAGES_SNIFF_TAR	1	/* tar or a compressed stream */
#define IMAGES_SNIFF_JSON	2
int	images_sniff(const void *buf, size_t len);

/* --- images_store.c: the store in memory and its files ---------------- */

struct images_layer {
	TAILQ_ENTRY(images_layer) entry;
	char			 hex[IMAGES_HEX + 1];	/* diff ID */
	int64_t			 size;
	int64_t			 tar_size;
	int			 refs;		/* images */
	int			 pins;		/* rootfs owners, saves */
	int			 removing;	/* a removal is queued */
};

struct images_image {
	TAILQ_ENTRY(images_image) entry;
	char			 hex[IMAGES_HEX + 1];
	json_object		*config;	/* the parsed config blob */
	char			*raw;		/* the blob, byte for byte */
	size_t			 raw_len;
	struct images_layer	**layers;	/* diff_ids order, counted */
	size_t			 nlayers;
	int64_t			 created;	/* seconds */
	long			 created_ns;
	char			*last_tag;	/* RFC 3339 or NULL */
	int64_t			 size;
	char			 parent[IMAGES_HEX + 1]; /* committed from; "" */
};

struct images_tag {
	TAILQ_ENTRY(images_tag)	 entry;
	struct images_ref	 ref;
	char			*full;		/* sort key, as refstore's */
	char			 hex[IMAGES_HEX + 1];
};

struct images_user {
	TAILQ_ENTRY(images_user) entry;
	char			*user;
	char			 hex[IMAGES_HEX + 1];
};

struct images_rootfs_op;

struct images_owner {
	TAILQ_ENTRY(images_owner) entry;
	char			*owner;
	char			 hex[IMAGES_HEX + 1];	/* made from */
	struct images_layer	**lowers;	/* pinned, bottom first */
	size_t			 nlowers;
	int			 broken;	/* a lower is missing */
	int			 mounted;
	int			 busy;		/* an op is running */
	struct images_rootfs_op	*current;	/* that op */
	TAILQ_HEAD(, images_rootfs_op) ops;	/* waiting their turn */
};

struct images_qjob;
struct images_stream;

TAILQ_HEAD(images_image_list, images_image);
TAILQ_HEAD(images_layer_list, images_layer);
TAILQ_HEAD(images_tag_list, images_tag);
TAILQ_HEAD(images_user_list, images_user);
TAILQ_HEAD(images_owner_list, images_owner);
TAILQ_HEAD(images_qjob_list, images_qjob);
TAILQ_HEAD(images_stream_list, images_stream);

struct images {
	const struct berth_host	*h;
	char			*root;		/* <data-root>/images */
	int			 rootfd;	/* shared with workers, read-only */
	struct images_image_list images;
	struct images_image_list ghosts;	/* deleted, still in use */
	struct images_layer_list layers;
	struct images_tag_list	 tags;
	struct images_user_list	 users;
	struct images_owner_list owners;
	struct images_qjob_list	 q;		/* serial store jobs */
	int			 q_running;
	struct images_qjob	*q_current;	/* the one running */
	struct images_stream_list waiting;	/* streams over the limit */
	int			 nstreams;
	void			*tags_pending;	/* a tags save not started */
	uint64_t		 seq;		/* tmp names */
	char			 arch[16];	/* GOARCH of this machine */
	char			*certs_dir;	/* /etc/docker/certs.d */
	struct images_seen	*seen;		/* a ring, or NULL */
	size_t			 nseen, seen_next;
	char			**insecure;	/* insecure-registries */
	char			 backing_fs[32];
	int			 stopping;
	int			 requests;	/* request jobs alive */
};

int	images_store_open(struct images *st, struct berth_err *err);
void	images_store_close(struct images *st);

/*
 * images_q - run fn(arg) on a worker, one store job at a time and in
 * order; start(arg) runs on the loop just before (may be NULL) and
 * done(arg) on the loop after.  At shutdown a job that never started
 * gets done(arg) with st->stopping set.
 */
void	images_q(struct images *st, berth_done_fn start, berth_work_fn fn,
	    berth_done_fn done, void *arg);

/*
 * images_stream_start - run a long streaming job (import, load, save)
 * once fewer than IMAGES_STREAMS_MAX run; images_stream_end when its
 * done callback has run.  Returns 0 or -errno (then nothing runs).
 */
int	images_stream_start(struct images *st, berth_work_fn fn,
	    berth_done_fn done, void *arg);
void	images_stream_end(struct images *st);

/* A done for work whose worker frees its own job. */
void	images_nothing(void *arg);

/* A fresh, unique directory name under tmp/ ("tmp/<kind>-<n>"). */
void	images_tmp_name(struct images *st, const char *kind, char *buf,
	    size_t len);

struct images_image *images_find_id(struct images *st, const char *hex);
struct images_layer *images_find_layer(struct images *st, const char *hex);
/*
 * GetImage: a name[:tag], name@digest, full ID or unique ID prefix.
 * -ENOENT "No such image: busybox:latest", -EINVAL for a bad reference.
 */
int	images_lookup(struct images *st, const char *ref,
	    struct images_image **imgp, struct berth_err *err);
/* References to an image, in refstore order (may be none). */
size_t	images_refs_of(struct images *st, const char *hex,
	    struct images_tag **out, size_t max);
struct images_tag *images_tag_find(struct images *st,
	    const struct images_ref *ref);

/*
 * Registering: an image whose files the queue has committed.  config is
 * taken.  Layers must be known (images_layer_add) first.
 */
struct images_layer *images_layer_add(struct images *st, const char *hex,
	    int64_t size, int64_t tar_size);
int	images_image_add(struct images *st, const char *hex,
	    json_object *config, const char *raw, size_t raw_len,
	    const char *last_tag, struct images_image **out,
	    struct berth_err *err);
/* Chain IDs of an image's layers (hex), as the layer store names them. */
void	images_chain_ids(const struct images_image *img,
	    char (*out)[IMAGES_HEX + 1]);
/* Tag ref (with its tag or digest) to image hex; the previous image of
 * the tag, if another, is written to prev. */
int	images_tag_set(struct images *st, const struct images_ref *ref,
	    const char *hex, char prev[IMAGES_HEX + 1], struct berth_err *err);
void	images_tag_remove(struct images *st, struct images_tag *t);
/*
 * Forget an image (its tags must be gone) and queue its files' removal.
 * If containers use it, it stays a ghost: invisible, its layers held,
 * until images_ghost_release after the last unuse.
 */
void	images_image_remove(struct images *st, struct images_image *img);
struct images_image *images_find_ghost(struct images *st, const char *hex);
void	images_ghost_release(struct images *st, const char *hex);
void	images_layer_unref(struct images *st, struct images_layer *l);
void	images_layer_pin(struct images_layer *l);
void	images_layer_unpin(struct images *st, struct images_layer *l);

/* Persist repositories.json (queued); done(arg, rc) after it is on disk. */
void	images_save_tags(struct images *st, void (*done)(void *, int),
	    void *arg);
/* Persist an image's imagedb metadata (LastTagTime). */
void	images_save_meta(struct images *st, struct images_image *img);

/* Events as Docker sends them: labels, then name. */
void	images_event(struct images *st, const char *action, const char *hex,
	    const char *name, int with_labels);

/* --- images_commit.c: new layers and images into the store ------------ */

struct images_commit_layer {
	char		 hex[IMAGES_HEX + 1];	/* diff ID */
	char		*dir;		/* tmp dir holding diff/ and size */
	char		*blob;		/* tmp uncompressed tar */
	int64_t		 size;
	int64_t		 tar_size;
};

struct images_commit_image {
	char		 hex[IMAGES_HEX + 1];
	char		*config;	/* the config blob, byte for byte */
	size_t		 config_len;
	char		*last_tag;	/* RFC 3339 or NULL */
	char		 parent[IMAGES_HEX + 1];	/* or "" */
};

/* Owned by whoever made it; images_commit_free frees all it points to. */
struct images_commit {
	struct images			*st;
	int				 rootfd;
	struct images_commit_layer	*layers;
	size_t				 nlayers;
	struct images_commit_image	*images;
	size_t				 nimages;
	char				*tmpdir;	/* trashed afterwards */
	int				 rc;
	struct berth_err		 err;
	void				(*cb)(struct images_commit *, void *);
	void				*arg;
};

/*
 * Queue the commit: layers renamed into layers/ (or dropped if there
 * already), blobs and configs written, then, on the loop, everything
 * registered in memory.  cb(c, arg) runs after, with c->rc.
 */
void	images_commit_run(struct images *st, struct images_commit *c);
void	images_commit_free(struct images_commit *c);
/* Remove a tmp dir in the background (trash first, then delete). */
void	images_discard(struct images *st, const char *tmpdir);

/* --- images_registry.c: a registry client, for stream workers --------- */

#define IMAGES_REG_HDR_MAX	1024
#define IMAGES_REG_TOKEN_MAX	4096

/* One session with one repository of one registry; lives in a worker. */
struct images_reg {
	void			*curl;		/* CURL *, reused */
	char			 base[512];	/* https://host:port */
	char			 domain[IMAGES_NAME_MAX + 1];
	char			 repo[IMAGES_NAME_MAX + 1];
	char			 actions[32];	/* "pull" or "pull,push" */
	char			 user[256], pass[256];
	char			 token[IMAGES_REG_TOKEN_MAX];	/* a header value */
	char			 ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	int			 no_verify;
	const char		*accept;	/* "Accept: ..." or NULL */
	struct berth_err	 err;
};

/* A request body: data in memory (fd -1) or a file's len bytes. */
struct images_reg_body {
	const char	*data;
	int		 fd;
	size_t		 len, off;
	const char	*ctype;
	void		(*progress)(void *, size_t, size_t);
	void		*progress_arg;
};

/* An answer: the body in memory (body, len; freed by the caller) or into
 * fd when fd >= 0, and the headers a client of the API needs. */
struct images_reg_resp {
	long	 status;
	char	 challenge[IMAGES_REG_HDR_MAX];
	char	 location[IMAGES_REG_HDR_MAX];
	char	 digest[IMAGES_REG_HDR_MAX];
	char	 ctype[IMAGES_REG_HDR_MAX];
	char	*body;
	size_t	 len;
	int	 fd;
};

int	images_reg_auth(struct images_reg *r, const char *x_registry_auth);
int	images_reg_auth_config(struct images_reg *r, const char *config,
	    const char *domain);
int	images_reg_open(struct images_reg *r, const struct images_ref *ref,
	    const char *actions, const char *certs_dir, char *const *insecure);
int	images_reg_do(struct images_reg *r, const char *method,
	    const char *url, struct images_reg_body *body,
	    struct images_reg_resp *rs, int retry);
void	images_reg_errmsg(const struct images_reg_resp *rs, char *out,
	    size_t len);
void	images_reg_close(struct images_reg *r);
int	images_reg_get_json(struct images_reg *r, const char *path,
	    const char *want_digest, struct images_reg_resp *rs);
void	images_progress(int fd, json_object *o);
void	images_progress_status(int fd, const char *id, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	images_progress_error(int fd, const char *msg);
char	**images_insecure_copy(const struct images *st);

/*
 * Where a blob was last seen in a registry (pushed there, or pulled as
 * the uncompressed layer berth keeps), for cross-repository mounts on a
 * later push.  In memory only: the last IMAGES_SEEN_MAX, made at first
 * use.
 */
#define IMAGES_SEEN_MAX		512
struct images_seen {
	char	hex[IMAGES_HEX + 1];
	char	domain[IMAGES_NAME_MAX + 1];
	char	repo[IMAGES_NAME_MAX + 1];
};
void	images_seen_add(struct images *st, const char *hex,
	    const char *domain, const char *repo);
void	images_strv_free(char **v);

/* --- the routes (images_import.c, images_load.c, ...) ------------------ */

void	images_import(struct berth_req *req, void *state);
void	images_push(struct berth_req *req, void *state);
void	images_auth(struct berth_req *req, void *state);
void	images_distribution(struct berth_req *req, void *state);
void	images_pull(struct images *st, struct berth_req *req,
	    const char *image, const char *tag);
void	images_load(struct berth_req *req, void *state);
void	images_save(struct berth_req *req, void *state);
void	images_list(struct berth_req *req, void *state);
void	images_inspect(struct berth_req *req, void *state);
void	images_history(struct berth_req *req, void *state);
void	images_tag(struct berth_req *req, void *state);
void	images_delete(struct berth_req *req, void *state);
void	images_prune(struct berth_req *req, void *state);
void	images_df(struct berth_req *req, void *state);
void	images_info(void *state, json_object *out);

/* images_api.c helpers shared with delete/prune. */
json_object *images_summary(struct images *st, struct images_image *img,
	    int extra);

/* images_delete.c: ImageDelete, for rmi and prune. */
int	images_delete_ref(struct images *st, const char *ref, int force,
	    int prune, json_object *records, int64_t *reclaimed,
	    struct berth_err *err);

/* --- images_rootfs.c: the image/1 provider ---------------------------- */

extern const struct berth_image_ops images_rootfs_ops;
/* Mounts found at start; owners read from mounts/. */
int	images_rootfs_open(struct images *st);
void	images_rootfs_close(struct images *st);
/* Does the image have users (containers)?  The first one, if so. */
const char *images_user_of(struct images *st, const char *hex);
const char *images_mounted_user_of(struct images *st, const char *hex);
int	images_users_count(struct images *st, const char *hex);
struct images_owner *images_owner_find(struct images *st, const char *owner);
/*
 * images_owner_call - run fn(arg) on a worker in owner's turn, after the
 * mounts and removals asked for before it, then done(arg) on the loop
 * (also, without fn, when the daemon stops first: fn must leave a mark
 * in arg).  -ENOENT if owner has no rootfs.
 */
int	images_owner_call(struct images *st, const char *owner,
	    berth_work_fn fn, berth_done_fn done, void *arg);
/* Does another image name hex as its parent (a commit's child)? */
int	images_has_child(struct images *st, const char *hex);

/* --- images_rw.c: a container's changes (docker diff, docker commit) -- */

#define IMAGES_CHANGE_MODIFY	0	/* Docker's archive.ChangeType */
#define IMAGES_CHANGE_ADD	1
#define IMAGES_CHANGE_DELETE	2

/* The sha256 of an empty tar (1024 zero bytes): layer.DigestSHA256EmptyTar */
#define IMAGES_EMPTY_TAR \
	"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

struct images_change {
	char	*path;		/* "/etc/passwd" */
	int	 kind;
};

struct images_changes {
	struct images_change	*v;
	size_t			 n, cap;
};

/* A rootfs as the worker sees it: descriptors it does not own. */
struct images_rw_tree {
	int			 upper;		/* directory fd, -1: none */
	const int		*lowers;	/* layers' diff dirs, top first */
	size_t			 nlowers;
};

/*
 * The changes of t's upper dir against its lowers, as Docker's naive
 * differ finds them between the container's and the image's trees.
 */
int	images_rw_changes(const struct images_rw_tree *t,
	    struct images_changes *out, struct berth_err *err);
void	images_changes_free(struct images_changes *c);
/* [{"Path":..., "Kind":...}], or NULL (JSON null) when there are none. */
json_object *images_changes_json(const struct images_changes *c);
/*
 * The AUFS name of an overlay whiteout (a 0:0 character device NAME):
 * 1 with ".wh.NAME" in out; 0 if st is not one.
 */
int	images_rw_whiteout_name(const char *name, const struct stat *st,
	    char *out, size_t len);
/* Docker's statDifferent: mode, owner, rdev; size and mtime if no dir. */
int	images_rw_stat_differ(const struct stat *a, const struct stat *b);
/* t's upper dir as a tar into fd, whiteouts in AUFS form (Docker's). */
int	images_rw_tar(const struct images_rw_tree *t, int fd,
	    struct berth_err *err);

/* The image/1 ops. */
void	images_rw_changes_op(void *state, const char *owner,
	    berth_image_changes_cb done, void *arg);
void	images_tag_op(void *, const char *, const char *,
	    berth_image_done_cb, void *);
void	images_pull_op(void *, const char *, const char *, int,
	    berth_image_done_cb, void *);
void	images_rw_commit_step_op(void *, const struct berth_image_commit *,
	    berth_image_id_cb, void *);
void	images_rw_commit_op(void *state, const struct berth_image_commit *c,
	    berth_image_id_cb done, void *arg);

#endif

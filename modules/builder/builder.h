/*
 * builder.h - the classic builder (POST /build), shared between its files.
 *
 * A build is one job (struct bld): the context arrives as a tar and is
 * unpacked under <data-root>/builder/tmp/<job>/context; the Dockerfile is
 * parsed into instructions (builder_parse.c); then the steps run one at a
 * time on the loop (builder_step.c), each either served from the cache
 * (builder_cache.c) or made as Docker's classic builder makes it: RUN in
 * a container of the containers service (container/1), COPY/ADD and
 * WORKDIR into a root filesystem of the images service (image/1,
 * builder_copy.c), the rest as a commit of the config alone.
 */
#ifndef BUILDER_H
#define BUILDER_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/container.h>
#include <berth/err.h>
#include <berth/host.h>
#include <berth/image.h>

#define BLD_ID_LEN	64

struct builder {
	const struct berth_host			*h;
	const struct berth_image_ops		*img;
	void					*img_st;
	const struct berth_container_ops	*ctr;
	void					*ctr_st;
	char					*root;	/* <data-root>/builder */
	int					 rootfd;
	json_object				*cache;	/* builder_cache.c */
	int					 cache_saving;
	int					 cache_dirty;
	int					 nbuilds;
	int					 stopping;
};

/* --- the Dockerfile (builder_parse.c) --------------------------------- */

struct bld_flag {
	char	*name;		/* "from" of --from=x */
	char	*value;
};

struct bld_instr {
	char		*cmd;		/* lower case: "run" */
	char		*rest;		/* after the keyword and flags */
	char		*original;	/* as written, continuations joined */
	char		**json;		/* exec (JSON) form, or NULL */
	size_t		 njson;
	struct bld_flag	*flags;
	size_t		 nflags;
	int		 line;
};

struct bld_file {
	struct bld_instr	*v;
	size_t			 n;
	char			 escape;
};

int	 bld_parse(const char *text, size_t len, struct bld_file *f,
	    struct berth_err *err);
void	 bld_file_free(struct bld_file *f);
int	 bld_parse_line(const char *line, int lineno, char escape,
	    struct bld_instr *in, struct berth_err *err);
void	 bld_instr_free(struct bld_instr *in);
const char *bld_flag(const struct bld_instr *in, const char *name);

/* --- words and variables (builder_words.c) ---------------------------- */

/* A growing NUL-terminated string; oom set (and s kept) if it could not. */
struct bld_buf {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

void	 bld_buf_add(struct bld_buf *b, const char *s, size_t n);

/*
 * Expand s as Docker's shell lexer does ($V, ${V}, ${V:-w}, ${V:+w},
 * quotes and the escape character), looking names up in env (an array
 * of "K=V", later entries win).  Split into words at unquoted blanks
 * when words is non-NULL (a NULL-terminated array the caller frees with
 * bld_words_free), else the whole is one word in *one.
 */
int	 bld_expand(const char *s, char escape, json_object *env,
	    char ***words, char **one, struct berth_err *err);
void	 bld_words_free(char **w);
const char *bld_env_get(json_object *env, const char *name, size_t len);
void	 bld_env_set(json_object *env, const char *key, const char *value);

/* --- .dockerignore (builder_ignore.c) --------------------------------- */

struct bld_ignore {
	char	**pat;
	int	 *neg;
	size_t	  n;
};

int	 bld_ignore_load(struct bld_ignore *ig, const char *text);
int	 bld_ignore_match(const struct bld_ignore *ig, const char *path);
void	 bld_ignore_free(struct bld_ignore *ig);
int	 bld_glob(const char *pat, const char *path);

/* --- the context (builder_context.c) ---------------------------------- */

/* Unpack the tar on fd into dir (created), skipping what ig excludes
 * (ig may be NULL).  Blocking: a worker's. */
int	 bld_context_unpack(int fd, const char *dir, struct berth_err *err);
int	 bld_context_filter(const char *dir, const struct bld_ignore *ig);

/* --- copies (builder_copy.c) ------------------------------------------ */

struct bld_copy {
	/* in */
	char		*src_root;	/* where sources are */
	char		*dst_root;	/* the step's rootfs, or NULL: hash only */
	char		**srcs;		/* relative to src_root */
	size_t		 nsrcs;
	char		*dest;		/* absolute, in dst_root */
	int		 dest_is_dir;	/* ends in '/' or several sources */
	int		 add;		/* ADD: local archives unpacked */
	char		*chown;		/* "user:group" or NULL */
	const struct bld_ignore *ignore; /* for context sources */
	/* out */
	char		 hash[80];	/* "file:<hex>", "dir:<hex>" ... */
	int		 rc;
	struct berth_err err;
};

void	 bld_copy_hash(struct bld_copy *c);
void	 bld_copy_run(struct bld_copy *c);
int	 bld_mkdir_workdir(const char *root, const char *dir,
	    struct berth_err *err);

/* --- the cache (builder_cache.c) -------------------------------------- */

void	 bld_cache_load(struct builder *b);
void	 bld_cache_key(const char *parent, json_object *cfg, char *hex);
int	 bld_cache_get(struct builder *b, const char *hex, char *id);
void	 bld_cache_put(struct builder *b, const char *hex, const char *id);
int	 bld_cache_prune(struct builder *b, int *n);
void	 bld_cache_fini(struct builder *b);

/* --- a build (builder_step.c) ----------------------------------------- */

void	 bld_h_build(struct berth_req *req, void *state);
void	 bld_h_prune(struct berth_req *req, void *state);
json_object *bld_config_new(json_object *image);
char	*bld_json_canonical(json_object *o);

#endif

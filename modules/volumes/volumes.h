/*
 * volumes.h - the volumes service, private to modules/volumes.
 *
 * The service owns what Docker's volume store owns: names, the driver of
 * each volume, labels, options, creation times (persisted, one small
 * JSON file per volume under <data-root>/volumes/_meta), who uses each
 * volume and which mount IDs each container holds (memory only:
 * containers declare their use again at every start).  Drivers
 * (volume/1) own the data.
 *
 *	volumes.c		init/fini, routes, /info, df, events, lookups
 *	volumes_api.c		the /volumes endpoints
 *	volumes_svc.c		volumes/1 for the containers service
 *	volumes_store.c		metadata files, load at start, sizes, copy
 *	volumes_filters.c	list and prune filters
 *	volumes_df.c		the Volumes part of GET /system/df (df/1)
 */
#ifndef VOLUMES_H
#define VOLUMES_H

#include <sys/queue.h>

#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>
#include <berth/host.h>
#include <berth/id.h>
#include <berth/volume.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define VOLUMES_ID_LEN	64

/* A container using a volume, and its mount ID while mounted. */
struct vs_user {
	TAILQ_ENTRY(vs_user)	 entry;
	char			*container;
	char			**mount_ids;	/* one per mount point */
	size_t			 nmounts;
	int			 used;		/* declared by use() */
};
TAILQ_HEAD(vs_user_list, vs_user);

struct vs_vol;

/* A second create of a volume being created: answered with the first. */
struct vs_waiter {
	TAILQ_ENTRY(vs_waiter)	 entry;
	void			(*cb)(void *, int, struct vs_vol *,
				    const struct berth_err *);
	void			*arg;
	int			 emit;		/* `create` again, as 20.10 */
};
TAILQ_HEAD(vs_waiter_list, vs_waiter);

struct vs_vol {
	TAILQ_ENTRY(vs_vol)	 entry;
	char			*name;
	char			*driver;
	char			*mountpoint;	/* from the driver, or NULL */
	char			*created_at;
	json_object		*labels;	/* object or NULL */
	json_object		*options;	/* object or NULL */
	int			 anonymous;
	int			 global;	/* driver's scope */
	int			 creating;	/* not yet on disk */
	int			 removing;
	struct vs_user_list	 users;
	struct vs_waiter_list	 waiters;	/* until created */
	int			 refs;
	int			 gone;		/* unlinked */
};
TAILQ_HEAD(vs_vol_list, vs_vol);

struct volumes {
	const struct berth_host	*h;
	char			*meta;		/* <data-root>/volumes/_meta */
	struct vs_vol_list	 vols;
	int			 stopping;
};

typedef void	(*vs_done_cb)(void *, int, const struct berth_err *);

/* volumes.c */
struct vs_vol	*volumes_find(struct volumes *, const char *);
const struct berth_volume_ops *volumes_driver(struct volumes *, const char *,
		    void **, struct berth_err *);
void		 volumes_emit(struct volumes *, const char *, const char *,
		    json_object *);
void		 volumes_vol_ref(struct vs_vol *);
void		 volumes_vol_unref(struct vs_vol *);
void		 volumes_unlink(struct volumes *, struct vs_vol *);
int		 volumes_users(const struct vs_vol *);
void		 volumes_adopt(struct volumes *, const char *,
		    const struct berth_volume_info *, size_t);
json_object	*volumes_json(const struct vs_vol *, json_object *);
extern const struct berth_volumes_ops volumes_svc_ops;

/* volumes_df.c */
struct berth_df_ops;
extern const struct berth_df_ops volumes_df_ops;

/* volumes_api.c */
void		 volumes_h_create(struct berth_req *, void *);
void		 volumes_h_list(struct berth_req *, void *);
void		 volumes_h_inspect(struct berth_req *, void *);
void		 volumes_h_remove(struct berth_req *, void *);
void		 volumes_h_prune(struct berth_req *, void *);
typedef void	(*vs_vol_cb)(void *, int, struct vs_vol *,
		    const struct berth_err *);
void		 volumes_create(struct volumes *, const char *, const char *,
		    json_object *, json_object *, int, vs_vol_cb, void *);
void		 volumes_remove(struct volumes *, struct vs_vol *, vs_done_cb,
		    void *);
int		 volumes_in_use_err(const struct vs_vol *, struct berth_err *);

/* volumes_store.c */
int		 volumes_load(struct volumes *, struct berth_err *);
int		 volumes_meta_save(struct volumes *, struct vs_vol *,
		    vs_done_cb, void *);
int		 volumes_meta_delete(struct volumes *, struct vs_vol *,
		    vs_done_cb, void *);
int64_t		 volumes_du(const char *);
int		 volumes_copy_if_empty(const char *, const char *,
		    struct berth_err *);
void		 volumes_time_now(char *, size_t);

/* volumes_filters.c */
struct vs_filters;
int		 volumes_filters_parse(const char *, int, struct vs_filters **,
		    struct berth_err *);
int		 volumes_filters_match(const struct vs_filters *,
		    const struct vs_vol *);
void		 volumes_filters_free(struct vs_filters *);

#endif

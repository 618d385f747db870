/*
 * berth/df.h - parts of GET /system/df, interface "df/1".
 *
 * /system/df is one document that several services fill: the images
 * service has LayersSize and Images, the volumes service Volumes, and
 * so on.  Whichever module serves the route builds its own part, asks
 * every df/1 provider (h->drivers) for theirs, and merges their
 * top-level keys into the answer.  So no module reaches into another,
 * and a service that is not loaded simply leaves its key at [].
 *
 * df runs on the loop thread and answers through done exactly once,
 * later (sizes are measured in work jobs) or at once.  part is a JSON
 * object whose members are top-level keys of the answer ("Volumes"),
 * borrowed for the call; NULL when the provider has nothing to add.
 */
#ifndef BERTH_DF_H
#define BERTH_DF_H

#include <stdint.h>

#include <json-c/json.h>

#define BERTH_DF_IFACE	"df/1"

typedef void	(*berth_df_done_cb)(void *arg, json_object *part);

struct berth_df_ops {
	uint32_t	 size;		/* sizeof(struct berth_df_ops) */
	void		(*df)(void *st, berth_df_done_cb done, void *arg);
};

#endif

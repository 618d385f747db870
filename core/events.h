/*
 * events.h - the event bus and GET /events.
 *
 * Modules publish through berth_host.emit; the core keeps the last
 * EVENTS_RING events in memory for `since` replay and fans every event
 * out to the /events subscribers.  Each subscriber has a bounded queue
 * (its connection's unsent output): one that falls EVENTS_QUEUE_MAX
 * events behind is sent a final error line and dropped, so a slow reader
 * never stalls the publisher or the other readers.
 */
#ifndef BERTH_CORE_EVENTS_H
#define BERTH_CORE_EVENTS_H

#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>
#include <berth/host.h>

#define EVENTS_RING		256	/* past events kept, as Docker */
#define EVENTS_QUEUE_MAX	1024	/* events one subscriber may lag */

struct events_filter;

/*
 * events_init - h is the core's own host table: events.c serves /events
 * through its req/resp ops exactly as a module would.
 */
int	events_init(const struct berth_host *h);
/* events_fini - end every subscriber's stream cleanly and free. */
void	events_fini(void);

/*
 * events_publish - stamp (time, timeNano, scope) and add Docker's legacy
 * status/id/from fields (container and image events only), append to the
 * ring and deliver.  attrs is borrowed (may be NULL).
 */
void	events_publish(const char *type, const char *action,
	    const char *actor_id, json_object *attrs);
/* The GET /events handler (route registered by the core). */
void	events_handle(struct berth_req *req, void *state);
/* Number of live subscribers (NEventsListener in /info). */
int	events_listeners(void);

/*
 * Filters, exactly as Docker parses `filters=`: the map-of-sets form
 * {"type":{"container":true}} and the legacy {"type":["container"]}.
 * Unknown keys are -EINVAL ("invalid filter 'x'"); malformed JSON is
 * -EINVAL too.  NULL or "" is the empty filter (matches everything).
 */
int	events_filter_parse(const char *json, struct events_filter **out,
	    struct berth_err *err);
int	events_filter_match(const struct events_filter *f, json_object *ev);
void	events_filter_free(struct events_filter *f);

/*
 * events_time_parse - `since`/`until`: "<sec>" or "<sec>.<frac>" (the
 * fraction scaled by its digit count), into nanoseconds since the epoch.
 * -EINVAL with a message otherwise.
 */
int	events_time_parse(const char *s, int64_t *ns, struct berth_err *err);

#endif

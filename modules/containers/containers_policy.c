/*
 * containers_policy.c - restart policies: no, always, on-failure[:N],
 * unless-stopped, with Docker's backoff.
 *
 * containers_exited asks containers_policy_exited whether an exit is the
 * end; if not, the container is RESTARTING until a timer starts it
 * again.  The delay is Docker's: 100 ms, doubled at every restart up to
 * a minute, back to 100 ms once a run lasted 10 s.  A stop, kill or
 * removal cancels a pending restart (and marks the container manually
 * stopped, which unless-stopped and on-failure honour).  At berthd's
 * start, `always` containers come back even if they were stopped by
 * hand, as dockerd's do; unless-stopped ones unless they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>

#include "containers.h"

#define POLICY_BACKOFF_MIN_MS	100
#define POLICY_BACKOFF_MAX_MS	60000
#define POLICY_RESET_NS		(10LL * 1000000000LL)

/* HostConfig.RestartPolicy: name (never NULL) and MaximumRetryCount. */
const char *
containers_policy_of(json_object *hc, int *max)
{
	json_object	*rp = berth_json_get(hc, "RestartPolicy"), *v;
	const char	*name = berth_json_str(rp, "Name");

	*max = 0;
	if ((v = berth_json_get(rp, "MaximumRetryCount")) != NULL &&
	    json_object_is_type(v, json_type_int))
		*max = json_object_get_int(v);
	return name != NULL && *name != '\0' ? name : "no";
}

/*
 * Docker's restart manager, as a pure function: whether an exit after a
 * run of ran_ns restarts, and the delay (*backoff_ms, carried from one
 * exit to the next).  count is RestartCount so far.
 */
int
containers_policy_decide(const char *name, int max, int exit_code,
    int manually_stopped, int count, int64_t ran_ns, uint64_t *backoff_ms)
{
	if (strcmp(name, "no") == 0 || manually_stopped)
		return 0;
	if (ran_ns >= POLICY_RESET_NS)
		*backoff_ms = 0;
	if (*backoff_ms == 0)
		*backoff_ms = POLICY_BACKOFF_MIN_MS;
	else if (*backoff_ms < POLICY_BACKOFF_MAX_MS)
		*backoff_ms *= 2;
	if (*backoff_ms > POLICY_BACKOFF_MAX_MS)
		*backoff_ms = POLICY_BACKOFF_MAX_MS;
	if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
		return 1;
	if (strcmp(name, "on-failure") == 0)
		return exit_code != 0 && (max <= 0 || count < max);
	return 0;
}

static void
policy_started(void *arg, int rc, const struct berth_err *err)
{
	struct ctr	*c = arg;

	if (rc < 0 && rc != -EALREADY)
		c->cs->h->log(c->cs->h, BERTH_LOG_WARN, "container %.12s: "
		    "restart: %s", c->id, err != NULL ? err->msg :
		    strerror(-rc));
	ctr_unref(c);
}

static void
policy_fire(void *arg)
{
	struct ctr	*c = arg;

	c->restart_timer = NULL;
	if (c->removed || c->removing || c->cs->stopping ||
	    c->st.status != CTR_RESTARTING) {
		ctr_unref(c);
		return;
	}
	/* The last run's runtime delete and unmounts come first. */
	if (c->cleaning) {
		c->restart_timer = c->cs->h->timer_add(c->cs->h, 50,
		    policy_fire, c);
		if (c->restart_timer != NULL)
			return;
	}
	c->st.status = CTR_EXITED;
	/* The timer's reference goes with the start. */
	containers_start(c, policy_started, c);
}

/*
 * c has just exited (its die event is out).  1 if the policy restarts
 * it: the container is then RESTARTING with RestartCount counted.
 */
int
containers_policy_exited(struct ctr *c)
{
	const char	*name;
	int		 max;
	int64_t		 ran;

	name = containers_policy_of(c->hostconfig, &max);
	ran = c->st.started_ns != 0 && c->st.finished_ns > c->st.started_ns ?
	    c->st.finished_ns - c->st.started_ns : 0;
	/* A restart already pending stays so (an exit told twice). */
	if (c->restart_timer != NULL) {
		c->st.status = CTR_RESTARTING;
		return 1;
	}
	if (!containers_policy_decide(name, max,
	    c->st.exit_code, c->manually_stopped, c->restart_count, ran,
	    &c->restart_backoff_ms))
		return 0;
	c->restart_timer = c->cs->h->timer_add(c->cs->h, c->restart_backoff_ms,
	    policy_fire, c);
	if (c->restart_timer == NULL)
		return 0;
	ctr_ref(c);
	c->restart_count++;
	c->st.status = CTR_RESTARTING;
	return 1;
}

/* A stop, kill, start or removal while a restart is pending: none. */
void
containers_policy_cancel(struct ctr *c)
{
	if (c->restart_timer != NULL) {
		c->cs->h->timer_del(c->cs->h, c->restart_timer);
		c->restart_timer = NULL;
		ctr_unref(c);
	}
	if (c->st.status == CTR_RESTARTING) {
		c->st.status = CTR_EXITED;
		containers_save(c);
	}
}

/* After a berthd start: what the policies bring back. */
static void
policy_boot(void *arg)
{
	struct containers	*cs = arg;
	struct ctr		*c;
	const char		*name;
	int			 max, go;

	cs->boot_timer = NULL;
	TAILQ_FOREACH(c, &cs->list, entry) {
		if (c->removing || c->starting || c->restart_timer != NULL)
			continue;
		if (c->st.status == CTR_RESTARTING)
			c->st.status = CTR_EXITED;
		if (c->st.status != CTR_EXITED || !c->has_been_started)
			continue;
		name = containers_policy_of(c->hostconfig, &max);
		if (strcmp(name, "always") == 0)
			go = 1;
		else if (strcmp(name, "unless-stopped") == 0)
			go = !c->manually_stopped;
		else if (strcmp(name, "on-failure") == 0)
			go = !c->manually_stopped && c->st.exit_code != 0 &&
			    (max <= 0 || c->restart_count < max);
		else
			go = 0;
		if (!go)
			continue;
		ctr_ref(c);
		containers_start(c, policy_started, c);
	}
}

/* Once the loop runs, so that every module's drivers are there. */
void
containers_policy_restore(struct containers *cs)
{
	cs->boot_timer = cs->h->timer_add(cs->h, 0, policy_boot, cs);
}

void
containers_policy_fini(struct containers *cs)
{
	struct ctr	*c;

	if (cs->boot_timer != NULL) {
		cs->h->timer_del(cs->h, cs->boot_timer);
		cs->boot_timer = NULL;
	}
	TAILQ_FOREACH(c, &cs->list, entry)
		if (c->restart_timer != NULL) {
			cs->h->timer_del(cs->h, c->restart_timer);
			c->restart_timer = NULL;
			ctr_unref(c);
		}
}

/*
 * containers_admit.c - whether an operation may run on a container now,
 * and Docker's words when it may not: one table instead of a check in
 * each handler.
 *
 * A container's phase is derived from its State and the operations in
 * flight (a start, a removal); each operation has one row saying, per
 * phase, whether it runs or which 409 it gets.  The handlers ask
 * containers_admit first and do their own work only after.
 */
#include <errno.h>
#include <stdio.h>

#include "containers.h"

enum ctr_phase {
	PH_CREATED,
	PH_STARTING,
	PH_RUNNING,
	PH_PAUSED,
	PH_RESTARTING,
	PH_REMOVING,
	PH_EXITED,
	PH_DEAD,
	PH_N
};

/* The refusals, in Docker's words (%s: the container's ID). */
enum ctr_no {
	OK = 0,
	NO_RUNNING,		/* not running */
	NO_RESTARTING,
	NO_PAUSED_EXEC,
	NO_ALREADY_PAUSED,
	NO_NOT_PAUSED,
	NO_COMMIT_DEAD,
	NO_COMMIT_REMOVING,
	NO_EXPORT_DEAD,
	NO_EXPORT_REMOVING,
};

static const char *const no_words[] = {
	[NO_RUNNING] = "Container %s is not running",
	[NO_RESTARTING] = "Container %s is restarting, wait until the "
	    "container is running",
	[NO_PAUSED_EXEC] = "Container %s is paused, unpause the container "
	    "before exec",
	[NO_ALREADY_PAUSED] = "Container %s is already paused",
	[NO_NOT_PAUSED] = "Container %s is not paused",
	[NO_COMMIT_DEAD] = "You cannot commit container %s which is Dead",
	[NO_COMMIT_REMOVING] = "You cannot commit container %s which is "
	    "being removed",
	[NO_EXPORT_DEAD] = "You cannot export container %s which is Dead",
	[NO_EXPORT_REMOVING] = "You cannot export container %s which is "
	    "being removed",
};

#define R	NO_RUNNING
#define RS	NO_RESTARTING

/*
 * Rows: operations; columns: CREATED STARTING RUNNING PAUSED RESTARTING
 * REMOVING EXITED DEAD.
 */
static const unsigned char admit[CTR_OP_N][PH_N] = {
	[CTR_OP_PAUSE] =	{ R, R, OK, NO_ALREADY_PAUSED, RS, R, R, R },
	[CTR_OP_UNPAUSE] =	{ R, R, NO_NOT_PAUSED, OK, RS, R, R, R },
	[CTR_OP_EXEC] =		{ R, R, OK, NO_PAUSED_EXEC, RS, R, R, R },
	[CTR_OP_TOP] =		{ R, R, OK, OK, RS, R, R, R },
	[CTR_OP_RESIZE] =	{ R, R, OK, OK, R, R, R, R },
	[CTR_OP_COMMIT] =	{ OK, OK, OK, OK, OK, NO_COMMIT_REMOVING, OK,
				  NO_COMMIT_DEAD },
	[CTR_OP_EXPORT] =	{ OK, OK, OK, OK, OK, NO_EXPORT_REMOVING, OK,
				  NO_EXPORT_DEAD },
};

#undef R
#undef RS

static enum ctr_phase
phase(const struct ctr *c)
{
	if (c->removing || c->removed || c->st.status == CTR_REMOVING)
		return PH_REMOVING;
	if (c->starting)
		return PH_STARTING;
	switch (c->st.status) {
	case CTR_CREATED:
		return PH_CREATED;
	case CTR_RUNNING:
		/* A pause in flight: what runs next would be frozen. */
		return c->pausing == 1 ? PH_PAUSED : PH_RUNNING;
	case CTR_PAUSED:
		return PH_PAUSED;
	case CTR_RESTARTING:
		return PH_RESTARTING;
	case CTR_DEAD:
		return PH_DEAD;
	default:
		return PH_EXITED;
	}
}

/* 0 if op may run on c now; else -EBUSY (409) in Docker's words. */
int
containers_admit(const struct ctr *c, enum ctr_op op, struct berth_err *err)
{
	enum ctr_no	no = admit[op][phase(c)];

	/* Running, but with no process to act on yet: not running. */
	if (no == OK && op == CTR_OP_TOP && c->st.pid <= 0)
		no = NO_RUNNING;
	if (no == OK)
		return 0;
	return berth_err_set(err, -EBUSY, no_words[no], c->id);
}

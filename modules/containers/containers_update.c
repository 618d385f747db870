/*
 * containers_update.c - POST /containers/{id}/update (docker update).
 *
 * The body is Docker's UpdateConfig: the Resources members of a
 * HostConfig plus RestartPolicy.  It is checked as dockerd checks it
 * (the resource rules of create, with update's leniencies, against what
 * this host supports), merged into a copy of the container's HostConfig
 * (a member the body leaves at zero is kept), then, for a running or
 * paused container, handed to runtime/1 `update` as OCI linux.resources.
 * Only once the runtime has taken them does the new HostConfig replace
 * the old, and the answer waits until it is on disk: a failed update
 * changes nothing.  A stopped container gets the new HostConfig at its
 * next start (the spec is built from it); one being started gets the
 * limits once the start is through, since its spec was built from the
 * old HostConfig.  RestartPolicy is read by the policy engine at the
 * next exit, so storing it is enough.
 *
 * What the host supports (CPUs, cpuset, swap and blkio weight
 * accounting, memory) is probed once at init: sysfs files that never
 * block, read before the loop serves.
 */
#include <sys/vfs.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/json.h>

#include "containers.h"

#define MIN_MEMORY	(6LL * 1024 * 1024)	/* dockerd's linuxMinMemory */
#define CGROUP2_MAGIC	0x63677270

/* --- what this host supports --------------------------------------------- */

static int
read_line(const char *path, char *buf, size_t len)
{
	FILE	*f;

	buf[0] = '\0';
	if ((f = fopen(path, "re")) == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

void
containers_sysinfo_probe(struct ctr_sysinfo *si)
{
	struct statfs	 sf;
	cpu_set_t	 set;
	char		 line[256];
	FILE		*f;
	unsigned long long kb;

	memset(si, 0, sizeof(*si));
	si->ncpu = 1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		si->ncpu = CPU_COUNT(&set);
	si->cgroup2 = statfs("/sys/fs/cgroup", &sf) == 0 &&
	    sf.f_type == CGROUP2_MAGIC;
	if (si->cgroup2) {
		(void)read_line("/sys/fs/cgroup/cpuset.cpus.effective",
		    si->cpus, sizeof(si->cpus));
		(void)read_line("/sys/fs/cgroup/cpuset.mems.effective",
		    si->mems, sizeof(si->mems));
		(void)read_line("/sys/fs/cgroup/cgroup.controllers", line,
		    sizeof(line));
		si->swap_limit = strstr(line, "memory") != NULL;
		si->blkio_weight = strstr(line, "io") != NULL &&
		    access("/sys/fs/cgroup/io.bfq.weight", F_OK) == 0;
	} else {
		(void)read_line("/sys/fs/cgroup/cpuset/cpuset.cpus", si->cpus,
		    sizeof(si->cpus));
		(void)read_line("/sys/fs/cgroup/cpuset/cpuset.mems", si->mems,
		    sizeof(si->mems));
		si->swap_limit = access("/sys/fs/cgroup/memory/"
		    "memory.memsw.limit_in_bytes", F_OK) == 0;
		si->blkio_weight = access("/sys/fs/cgroup/blkio/blkio.weight",
		    F_OK) == 0 || access("/sys/fs/cgroup/blkio/"
		    "blkio.bfq.weight", F_OK) == 0;
	}
	if ((f = fopen("/proc/meminfo", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) {
				si->mem_total = (uint64_t)kb * 1024;
				break;
			}
		fclose(f);
	}
}

/* --- checks (pure) ------------------------------------------------------ */

/*
 * A cpuset list ("0-2,4") into set (bit i: CPU or node i, below 1024).
 * -EINVAL for what Docker's parser refuses.
 */
int
containers_cpuset_parse(const char *s, uint64_t set[16])
{
	const char	*p = s;
	char		*end;
	unsigned long	 a, b, i;

	memset(set, 0, 16 * sizeof(uint64_t));
	if (*s == '\0')
		return 0;
	for (;;) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			b = strtoul(p, &end, 10);
			if (b < a)
				return -EINVAL;
		}
		if (b >= 1024)
			return -EINVAL;
		for (i = a; i <= b; i++)
			set[i / 64] |= 1ULL << (i % 64);
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
}

static int
cpuset_check(const char *want, const char *avail, const char *what,
    const char *what2, struct berth_err *err)
{
	uint64_t	w[16], a[16];
	int		i;

	if (want == NULL || *want == '\0')
		return 0;
	if (containers_cpuset_parse(want, w) < 0)
		return berth_err_set(err, -EINVAL, "Invalid value %s for "
		    "cpuset %s: invalid format: %s", want, what, want);
	if (avail == NULL || *avail == '\0' ||
	    containers_cpuset_parse(avail, a) < 0)
		return 0;	/* unknown: the runtime will say */
	for (i = 0; i < 16; i++)
		if (w[i] & ~a[i])
			return berth_err_set(err, -EINVAL, "Requested %s are "
			    "not available - requested %s, available: %s",
			    what2, want, avail);
	return 0;
}

static int64_t
jint(json_object *o, const char *key)
{
	json_object	*v = berth_json_get(o, key);

	return v != NULL ? json_object_get_int64(v) : 0;
}

static void
warn(json_object **w, const char *msg)
{
	if (*w == NULL)
		*w = json_object_new_array();
	json_object_array_add(*w, json_object_new_string(msg));
}

/*
 * dockerd's checks of an update's resources and restart policy, in its
 * order and words (400s).  May change upd as dockerd does (a limit the
 * host cannot apply is dropped with a warning); warnings go to *w (an
 * array, created on the first).
 */
int
containers_update_check(json_object *upd, const struct ctr_sysinfo *si,
    json_object **w, struct berth_err *err)
{
	json_object	*v;
	int64_t		 mem = jint(upd, "Memory"), swap = jint(upd, "MemorySwap");
	int64_t		 res = jint(upd, "MemoryReservation");
	int64_t		 kmem = jint(upd, "KernelMemory");
	int64_t		 nano = jint(upd, "NanoCpus");
	int64_t		 period = jint(upd, "CpuPeriod");
	int64_t		 quota = jint(upd, "CpuQuota");
	int64_t		 blkio = jint(upd, "BlkioWeight"), n;
	int		 rc;

	if ((rc = containers_restart_policy_check(berth_json_get(upd,
	    "RestartPolicy"), err)) < 0)
		return rc;

	if (mem != 0 && mem < MIN_MEMORY)
		return berth_err_set(err, -EINVAL,
		    "Minimum memory limit allowed is 6MB");
	if (mem > 0 && swap != -1 && !si->swap_limit) {
		warn(w, "Your kernel does not support swap limit capabilities "
		    "or the cgroup is not mounted. Memory limited without "
		    "swap.");
		json_object_object_add(upd, "MemorySwap",
		    json_object_new_int64(-1));
		swap = -1;
	}
	if (mem > 0 && swap > 0 && swap < mem)
		return berth_err_set(err, -EINVAL, "Minimum memoryswap limit "
		    "should be larger than memory limit, see usage");
	if ((v = berth_json_get(upd, "MemorySwappiness")) != NULL &&
	    (n = json_object_get_int64(v)) != -1 && (n < 0 || n > 100))
		return berth_err_set(err, -EINVAL, "Invalid value: %lld, "
		    "valid memory swappiness range is 0-100", (long long)n);
	if (res > 0 && res < MIN_MEMORY)
		return berth_err_set(err, -EINVAL,
		    "Minimum memory reservation allowed is 6MB");
	if (mem > 0 && res > 0 && mem < res)
		return berth_err_set(err, -EINVAL, "Minimum memory limit can "
		    "not be less than memory reservation limit, see usage");
	if (kmem > 0) {
		warn(w, "Specifying a kernel memory limit is deprecated and "
		    "will be removed in a future release.");
		if (kmem < MIN_MEMORY)
			return berth_err_set(err, -EINVAL,
			    "Minimum kernel memory limit allowed is 6MB");
	}

	if (nano > 0 && period > 0)
		return berth_err_set(err, -EINVAL, "Conflicting options: Nano "
		    "CPUs and CPU Period cannot both be set");
	if (nano > 0 && quota > 0)
		return berth_err_set(err, -EINVAL, "Conflicting options: Nano "
		    "CPUs and CPU Quota cannot both be set");
	if (nano < 0 || nano > (int64_t)si->ncpu * 1000000000LL)
		return berth_err_set(err, -EINVAL, "Range of CPUs is from 0.01 "
		    "to %d.00, as there are only %d CPUs available", si->ncpu,
		    si->ncpu);
	if (period != 0 && (period < 1000 || period > 1000000))
		return berth_err_set(err, -EINVAL, "CPU cfs period can not be "
		    "less than 1ms (i.e. 1000) or larger than 1s (i.e. "
		    "1000000)");
	if (quota > 0 && quota < 1000)
		return berth_err_set(err, -EINVAL, "CPU cfs quota can not be "
		    "less than 1ms (i.e. 1000)");
	if ((rc = cpuset_check(berth_json_str(upd, "CpusetCpus"), si->cpus,
	    "cpus", "CPUs", err)) < 0 ||
	    (rc = cpuset_check(berth_json_str(upd, "CpusetMems"), si->mems,
	    "mems", "memory nodes", err)) < 0)
		return rc;

	if (blkio > 0 && !si->blkio_weight) {
		warn(w, "Your kernel does not support Block I/O weight or the "
		    "cgroup is not mounted. Weight discarded.");
		json_object_object_add(upd, "BlkioWeight",
		    json_object_new_int64(0));
		blkio = 0;
	}
	if (blkio > 0 && (blkio < 10 || blkio > 1000))
		return berth_err_set(err, -EINVAL,
		    "Range of blkio weight is from 10 to 1000");
	return 0;
}

static void
set_int(json_object *hc, const char *key, int64_t v)
{
	json_object_object_add(hc, key, json_object_new_int64(v));
}

/*
 * Merge upd into hc (the container's HostConfig, a copy) as dockerd's
 * UpdateContainer does: zero keeps, CPU period/quota and NanoCpus
 * exclude each other across updates, memory may not pass the swap
 * limit already set.  Conflicts are 409s naming the container.
 */
int
containers_update_merge(json_object *hc, json_object *upd, const char *id,
    struct berth_err *err)
{
	static const char *const ints[] = { "BlkioWeight", "CpuShares",
	    "NanoCpus", "CpuPeriod", "CpuQuota", NULL };
	static const char *const ints2[] = { "MemorySwap",
	    "MemoryReservation", "KernelMemory", "CpuRealtimePeriod",
	    "CpuRealtimeRuntime", NULL };
	json_object	*rp, *v;
	const char	*s, *name;
	int64_t		 mem, cur_swap;
	int		 i, autorm;

#define CONFLICT(msg)							\
	berth_err_set(err, -EBUSY, "Cannot update container %s: %s", id, msg)

	if (jint(upd, "NanoCpus") > 0 && jint(hc, "CpuPeriod") > 0)
		return CONFLICT("Conflicting options: Nano CPUs cannot be "
		    "updated as CPU Period has already been set");
	if (jint(upd, "NanoCpus") > 0 && jint(hc, "CpuQuota") > 0)
		return CONFLICT("Conflicting options: Nano CPUs cannot be "
		    "updated as CPU Quota has already been set");
	if (jint(upd, "CpuPeriod") > 0 && jint(hc, "NanoCpus") > 0)
		return CONFLICT("Conflicting options: CPU Period cannot be "
		    "updated as NanoCPUs has already been set");
	if (jint(upd, "CpuQuota") > 0 && jint(hc, "NanoCpus") > 0)
		return CONFLICT("Conflicting options: CPU Quota cannot be "
		    "updated as NanoCPUs has already been set");

	for (i = 0; ints[i] != NULL; i++)
		if (jint(upd, ints[i]) != 0)
			set_int(hc, ints[i], jint(upd, ints[i]));
	if ((s = berth_json_str(upd, "CpusetCpus")) != NULL && *s != '\0')
		json_object_object_add(hc, "CpusetCpus",
		    json_object_new_string(s));
	if ((s = berth_json_str(upd, "CpusetMems")) != NULL && *s != '\0')
		json_object_object_add(hc, "CpusetMems",
		    json_object_new_string(s));
	/*
	 * dockerd stores twice the memory as MemorySwap at create when
	 * none is given; a HostConfig written without it means the same.
	 */
	cur_swap = jint(hc, "MemorySwap");
	if (cur_swap == 0 && jint(hc, "Memory") > 0)
		cur_swap = 2 * jint(hc, "Memory");
	if ((mem = jint(upd, "Memory")) != 0) {
		if (mem > cur_swap && jint(upd, "MemorySwap") == 0)
			return CONFLICT("Memory limit should be smaller than "
			    "already set memoryswap limit, update the "
			    "memoryswap at the same time");
		set_int(hc, "Memory", mem);
		if (jint(hc, "MemorySwap") == 0)
			set_int(hc, "MemorySwap", cur_swap);
	}
	for (i = 0; ints2[i] != NULL; i++)
		if (jint(upd, ints2[i]) != 0)
			set_int(hc, ints2[i], jint(upd, ints2[i]));
	if ((v = berth_json_get(upd, "PidsLimit")) != NULL)
		set_int(hc, "PidsLimit", json_object_get_int64(v));

	rp = berth_json_get(upd, "RestartPolicy");
	name = berth_json_str(rp, "Name");
	if (name != NULL && *name != '\0') {
		v = berth_json_get(hc, "AutoRemove");
		autorm = v != NULL && json_object_get_boolean(v);
		if (autorm && strcmp(name, "no") != 0)
			return CONFLICT("Restart policy cannot be updated "
			    "because AutoRemove is enabled for the container");
		v = json_object_new_object();
		json_object_object_add(v, "Name", json_object_new_string(name));
		json_object_object_add(v, "MaximumRetryCount",
		    json_object_new_int64(jint(rp, "MaximumRetryCount")));
		json_object_object_add(hc, "RestartPolicy", v);
	}
	return 0;
#undef CONFLICT
}

/* --- the request ---------------------------------------------------------- */

struct update_req {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
	json_object		*hc;		/* the new HostConfig, owned */
	json_object		*upd;		/* the checked body, owned */
	json_object		*warnings;	/* or NULL, owned */
};

static void
update_free(struct update_req *u)
{
	ctr_unref(u->c);
	json_object_put(u->hc);
	json_object_put(u->upd);
	json_object_put(u->warnings);
	free(u);
}

static void
update_saved(void *arg, int rc, const struct berth_err *err)
{
	struct update_req	*u = arg;
	const struct berth_host	*h = u->cs->h;
	json_object		*o;

	if (rc < 0) {
		h->resp_error(u->req, err);
		update_free(u);
		return;
	}
	containers_emit(u->c, "update", NULL);
	o = json_object_new_object();
	json_object_object_add(o, "Warnings", json_object_get(u->warnings));
	h->resp_json(u->req, 200, o);
	json_object_put(o);
	update_free(u);
}

/* The runtime has the new limits (or there was no process): keep them. */
static void
update_commit(struct update_req *u)
{
	struct ctr		*c = u->c;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*hc = NULL;

	if (c->removed || c->state_gone) {
		berth_err_set(&err, -EBUSY, "Cannot update container %s: "
		    "container is marked for removal and cannot be "
		    "\"update\"", c->id);
		update_saved(u, err.code, &err);
		berth_err_clear(&err);
		return;
	}
	/*
	 * Merged again onto the HostConfig as it is now, so that updates
	 * that overlapped (each waited for the runtime) all stay.
	 */
	if (json_object_deep_copy(c->hostconfig, &hc, NULL) == 0 &&
	    containers_update_merge(hc, u->upd, c->id, &err) == 0) {
		json_object_put(u->hc);
		u->hc = hc;
	} else
		json_object_put(hc);
	berth_err_clear(&err);
	json_object_put(c->hostconfig);
	c->hostconfig = u->hc;
	u->hc = NULL;
	containers_save_sync_wait(c, update_saved, u);
}

static void
update_applied(void *arg, int rc, const struct berth_err *err)
{
	struct update_req	*u = arg;
	struct berth_err	 e2 = BERTH_ERR_INIT;

	if (rc < 0) {
		/* dockerd: errdefs.System, so a 500 whatever the cause. */
		berth_err_set(&e2, -EIO, "Cannot update container %s: %s",
		    u->c->id, err != NULL ? err->msg : strerror(-rc));
		u->cs->h->resp_error(u->req, &e2);
		berth_err_clear(&e2);
		update_free(u);
		return;
	}
	update_commit(u);
}

/*
 * linux.resources for `runtime update`: the merged HostConfig's, as the
 * spec has them at create, without the device rules (not a resource an
 * update changes) and with an unlimited pids limit said out loud (-1),
 * since leaving it out would keep the old one.
 */
static json_object *
update_resources(json_object *hc, json_object *upd)
{
	json_object	*r, *p, *v;
	int		 privileged;

	v = berth_json_get(hc, "Privileged");
	privileged = v != NULL && json_object_get_boolean(v);
	r = containers_spec_resources(hc, privileged);
	json_object_object_del(r, "devices");
	if ((v = berth_json_get(upd, "PidsLimit")) != NULL &&
	    json_object_get_int64(v) <= 0) {
		p = json_object_new_object();
		json_object_object_add(p, "limit", json_object_new_int64(-1));
		json_object_object_add(r, "pids", p);
	}
	return r;
}

/* Hand the merged limits to the runtime of the running container. */
static void
update_apply(struct update_req *u)
{
	const struct berth_runtime_ops	*rt;
	struct berth_err		 err = BERTH_ERR_INIT;
	struct ctr			*c = u->c;
	json_object			*res;
	void				*rst;

	if ((rt = containers_runtime_of(c, &rst, &err)) == NULL) {
		update_applied(u, err.code, &err);
		return;
	}
	if (!BERTH_RUNTIME_HAS(rt, update)) {
		berth_err_set(&err, -ENOTSUP, "the runtime driver cannot "
		    "update a running container");
		update_applied(u, err.code, &err);
		return;
	}
	res = update_resources(u->hc, u->upd);
	rt->update(rst, c->id, res, update_applied, u);
	json_object_put(res);
}

/* The start that was in flight is done: apply if it runs, else store. */
static void
update_after_start(void *arg, int rc, const struct berth_err *err)
{
	struct update_req	*u = arg;

	(void)err;
	if (rc < 0 || (u->c->st.status != CTR_RUNNING &&
	    u->c->st.status != CTR_PAUSED)) {
		update_commit(u);
		return;
	}
	update_apply(u);
}

void
containers_h_update(struct berth_req *req, void *state)
{
	struct containers		*cs = state;
	const struct berth_host		*h = cs->h;
	struct berth_err		 err = BERTH_ERR_INIT;
	struct update_req		*u = NULL;
	json_object			*body, *upd = NULL, *v;
	struct ctr			*c;

	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) == NULL)
		goto fail;
	if (h->req_json(req, &body, &err) < 0)
		goto fail;
	/* A copy: the checks may drop what the host cannot apply. */
	upd = json_object_new_object();
	if (body != NULL && json_object_is_type(body, json_type_object)) {
		json_object_object_foreach(body, k, val)
			json_object_object_add(upd, k, json_object_get(val));
	}
	/* API < 1.40 had no PidsLimit here; 0 and below mean unlimited. */
	if ((v = berth_json_get(upd, "PidsLimit")) != NULL &&
	    h->req_version(req) < 140)
		json_object_object_del(upd, "PidsLimit");
	else if (v != NULL && json_object_get_int64(v) < 0)
		json_object_object_add(upd, "PidsLimit",
		    json_object_new_int64(0));
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	u->cs = cs;
	u->req = req;
	u->c = c;
	ctr_ref(c);
	if (containers_update_check(upd, &cs->sys, &u->warnings, &err) < 0)
		goto fail;
	if (c->removing || c->removed || c->st.status == CTR_REMOVING ||
	    c->st.status == CTR_DEAD) {
		berth_err_set(&err, -EBUSY, "Cannot update container %s: "
		    "container is marked for removal and cannot be "
		    "\"update\"", c->id);
		goto fail;
	}
	if (json_object_deep_copy(c->hostconfig, &u->hc, NULL) != 0) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (containers_update_merge(u->hc, upd, c->id, &err) < 0)
		goto fail;
	u->upd = upd;
	upd = NULL;
	/* A start in flight built its spec from the old HostConfig. */
	if (c->starting) {
		containers_start(c, update_after_start, u);
		return;
	}
	/* A restarting container gets them at its start, as in dockerd. */
	if (c->st.status != CTR_RUNNING && c->st.status != CTR_PAUSED) {
		update_commit(u);
		return;
	}
	update_apply(u);
	return;
fail:
	json_object_put(upd);
	if (u != NULL)
		update_free(u);
	h->resp_error(req, &err);
	berth_err_clear(&err);
}

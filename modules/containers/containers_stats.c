/*
 * containers_stats.c - GET /containers/{id}/stats (docker stats).
 *
 * Figures come from the container's cgroup, found from its init's
 * /proc/PID/cgroup (whatever cgroupsPath or --cgroup-parent made of it):
 * the v1 controllers' directories on a v1 or hybrid host, the one
 * unified directory on a pure cgroup v2 host.  They are shaped as
 * dockerd 20.10 shapes containerd's metrics (daemon_unix.go statsV1 and
 * statsV2): the same keys, the same omissions, the memory limit capped
 * at the host's memory.  system_cpu_usage is /proc/stat's first line in
 * nanoseconds (USER_HZ is 100 on Linux, as dockerd assumes) and
 * online_cpus the CPUs berthd may run on, as dockerd's collector does.
 * networks are the interfaces of the container's network namespace
 * (/proc/PID/net/dev) but lo; a container on the host's network has
 * none of its own, so none are reported.
 *
 * Every sample is read in a work job.  stream=1 sends one object at once
 * and then one a second (each written as it is ready) until the client
 * leaves or the container is removed; a container that is not running
 * gives dockerd's empty object (name and id only) each second, as
 * dockerd's collector publishes.  stream=0 answers one object whose
 * precpu_stats is a sample taken a second before, so the CLI's CPU %
 * means something; with one-shot=1 at once, without precpu.  A stopped
 * container without stream gets the empty object at once.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/json.h>

#include "containers.h"

#define STATS_INTERVAL_MS	1000
#define STATS_HIGH_WATER	(256u << 10)
#define STATS_CLK_TCK		100		/* USER_HZ, as dockerd */

/* --- reading cgroup files (worker side) ---------------------------------- */

static int
stats_file(const char *dir, const char *name, char *buf, size_t len)
{
	char	 path[PATH_MAX];
	FILE	*f;
	size_t	 n;

	buf[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((f = fopen(path, "re")) == NULL)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

/* A file holding one number ("max" is 0: no limit). */
static int
stats_u64(const char *dir, const char *name, uint64_t *v)
{
	char	buf[64];
	int	rc;

	*v = 0;
	if ((rc = stats_file(dir, name, buf, sizeof(buf))) < 0)
		return rc;
	if (strncmp(buf, "max", 3) == 0)
		return 0;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

/* The value of "key N" in a flat keyed file's text, or 0. */
static uint64_t
stats_key(const char *text, const char *key)
{
	size_t		 klen = strlen(key);
	const char	*p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return 0;
}

static void
add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* blkio entries "MAJ:MIN Op N" (or "MAJ:MIN N"); "Total" lines skipped. */
json_object *
containers_stats_blkio(const char *text)
{
	json_object	*a = json_object_new_array(), *e;
	const char	*p = text;
	char		 line[256], op[32];
	unsigned	 maj, min;
	unsigned long long v;
	size_t		 n;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, "\n");
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		p = p[n] != '\0' ? strchr(p, '\n') + 1 : NULL;
		op[0] = '\0';
		if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) != 4) {
			op[0] = '\0';
			if (sscanf(line, "%u:%u %llu", &maj, &min, &v) != 3)
				continue;
		}
		e = json_object_new_object();
		add_u64(e, "major", maj);
		add_u64(e, "minor", min);
		json_object_object_add(e, "op", json_object_new_string(op));
		add_u64(e, "value", v);
		json_object_array_add(a, e);
	}
	return a;
}

/* io.stat (v2): read and write bytes of each device, dockerd's way. */
static json_object *
stats_io_v2(const char *text)
{
	json_object	*a = NULL, *e;
	const char	*p = text, *q;
	unsigned	 maj, min;
	uint64_t	 rb, wb;
	int		 i;

	while (p != NULL && *p != '\0') {
		if (sscanf(p, "%u:%u", &maj, &min) == 2) {
			q = strchr(p, '\n');
			rb = wb = 0;
			for (const char *t = p; t != NULL && (q == NULL ||
			    t < q); t = strchr(t + 1, ' ')) {
				if (strncmp(t, " rbytes=", 8) == 0)
					rb = strtoull(t + 8, NULL, 10);
				else if (strncmp(t, " wbytes=", 8) == 0)
					wb = strtoull(t + 8, NULL, 10);
			}
			if (a == NULL)
				a = json_object_new_array();
			for (i = 0; i < 2; i++) {
				e = json_object_new_object();
				add_u64(e, "major", maj);
				add_u64(e, "minor", min);
				json_object_object_add(e, "op",
				    json_object_new_string(i == 0 ? "read" :
				    "write"));
				add_u64(e, "value", i == 0 ? rb : wb);
				json_object_array_add(a, e);
			}
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return a;
}

static const char *const blkio_keys[] = { "io_service_bytes_recursive",
	"io_serviced_recursive", "io_queue_recursive",
	"io_service_time_recursive", "io_wait_time_recursive",
	"io_merged_recursive", "io_time_recursive", "sectors_recursive",
	NULL };

/* dockerd's memory_stats.stats keys: v1 then v2. */
static const char *const mem_v1_keys[] = { "cache", "rss", "rss_huge",
	"mapped_file", "dirty", "writeback", "pgpgin", "pgpgout", "pgfault",
	"pgmajfault", "inactive_anon", "active_anon", "inactive_file",
	"active_file", "unevictable", "hierarchical_memory_limit",
	"hierarchical_memsw_limit", "total_cache", "total_rss",
	"total_rss_huge", "total_mapped_file", "total_dirty",
	"total_writeback", "total_pgpgin", "total_pgpgout", "total_pgfault",
	"total_pgmajfault", "total_inactive_anon", "total_active_anon",
	"total_inactive_file", "total_active_file", "total_unevictable",
	NULL };
static const char *const mem_v2_keys[] = { "anon", "file",
	"kernel_stack", "slab", "sock", "shmem", "file_mapped", "file_dirty",
	"file_writeback", "anon_thp", "inactive_anon", "active_anon",
	"inactive_file", "active_file", "unevictable", "slab_reclaimable",
	"slab_unreclaimable", "pgfault", "pgmajfault", "workingset_refault",
	"workingset_activate", "workingset_nodereclaim", "pgrefill", "pgscan",
	"pgsteal", "pgactivate", "pgdeactivate", "pglazyfree", "pglazyfreed",
	"thp_fault_alloc", "thp_collapse_alloc", NULL };

/*
 * Docker's empty pieces: what a frame holds for a container that does
 * not run (and what a sample starts from).
 */
static json_object *
stats_empty_cpu(void)
{
	json_object	*cpu = json_object_new_object(), *u, *t;

	u = json_object_new_object();
	add_u64(u, "total_usage", 0);
	add_u64(u, "usage_in_kernelmode", 0);
	add_u64(u, "usage_in_usermode", 0);
	json_object_object_add(cpu, "cpu_usage", u);
	t = json_object_new_object();
	add_u64(t, "periods", 0);
	add_u64(t, "throttled_periods", 0);
	add_u64(t, "throttled_time", 0);
	json_object_object_add(cpu, "throttling_data", t);
	return cpu;
}

static json_object *
stats_empty_blkio(void)
{
	json_object	*b = json_object_new_object();
	int		 i;

	for (i = 0; blkio_keys[i] != NULL; i++)
		json_object_object_add(b, blkio_keys[i], NULL);
	return b;
}

/*
 * From /proc/PID/cgroup's text.  A v1 line names its controllers (the
 * mount under /sys/fs/cgroup has that name: "cpu,cpuacct"); the v2
 * line "0::PATH" is used only if there is no v1 memory controller.
 */
int
containers_stats_dirs(const char *text, const char *root,
    struct stats_dirs *d)
{
	const char	*p = text;
	char		 line[PATH_MAX], *c1, *c2, *tok, *sv, ctrls[256];
	char		 unified[PATH_MAX];
	size_t		 n;

	memset(d, 0, sizeof(*d));
	unified[0] = '\0';
	while (p != NULL && *p != '\0') {
		n = strcspn(p, "\n");
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		p = p[n] != '\0' ? strchr(p, '\n') + 1 : NULL;
		if ((c1 = strchr(line, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		*c2++ = '\0';
		c1++;
		if (*c1 == '\0') {
			snprintf(unified, sizeof(unified), "%s%s", root, c2);
			continue;
		}
		snprintf(ctrls, sizeof(ctrls), "%s", c1);
		for (tok = strtok_r(ctrls, ",", &sv); tok != NULL;
		    tok = strtok_r(NULL, ",", &sv)) {
			char	*dst = NULL;

			if (strcmp(tok, "memory") == 0)
				dst = d->memory;
			else if (strcmp(tok, "cpu") == 0)
				dst = d->cpu;
			else if (strcmp(tok, "cpuacct") == 0)
				dst = d->cpuacct;
			else if (strcmp(tok, "pids") == 0)
				dst = d->pids;
			else if (strcmp(tok, "blkio") == 0)
				dst = d->blkio;
			if (dst != NULL)
				snprintf(dst, PATH_MAX, "%s/%s%s", root, c1,
				    c2);
		}
	}
	if (d->memory[0] != '\0')
		return 0;
	if (unified[0] == '\0')
		return -ENOENT;
	d->v2 = 1;
	snprintf(d->memory, sizeof(d->memory), "%s", unified);
	snprintf(d->cpu, sizeof(d->cpu), "%s", unified);
	snprintf(d->cpuacct, sizeof(d->cpuacct), "%s", unified);
	snprintf(d->pids, sizeof(d->pids), "%s", unified);
	snprintf(d->blkio, sizeof(d->blkio), "%s", unified);
	return 0;
}

/*
 * The cgroup part of a frame: pids_stats, blkio_stats, num_procs,
 * storage_stats, cpu_stats and memory_stats, added to out in Docker's
 * order.  mem_total caps the memory limit (0: no cap); system_ns and
 * online are the host's figures for cpu_stats (0: left out).
 */
void
containers_stats_cgroup(const struct stats_dirs *d, uint64_t mem_total,
    uint64_t system_ns, int online, json_object *out)
{
	struct {
		uint64_t	 total, kernel, user;
		uint64_t	 periods, throttled, throttled_ns;
	}		 cs;
	char		*buf;
	json_object	*o, *u, *t, *m, *percpu;
	uint64_t	 v, lim = 0, usage = 0;
	int		 i;

	/* On the heap: the pool runs jobs on small thread stacks. */
	if ((buf = malloc(65536)) == NULL)
		return;

	o = json_object_new_object();
	if (stats_u64(d->pids, "pids.current", &v) == 0 && v != 0)
		add_u64(o, "current", v);
	if (stats_u64(d->pids, "pids.max", &v) == 0 && v != 0)
		add_u64(o, "limit", v);
	json_object_object_add(out, "pids_stats", o);

	if (d->v2) {
		o = stats_empty_blkio();
		if (stats_file(d->blkio, "io.stat", buf, 65536) == 0)
			json_object_object_add(o, "io_service_bytes_recursive",
			    stats_io_v2(buf));
	} else {
		static const char *const files[] = {
			"blkio.io_service_bytes_recursive",
			"blkio.io_serviced_recursive",
			"blkio.io_queued_recursive",
			"blkio.io_service_time_recursive",
			"blkio.io_wait_time_recursive",
			"blkio.io_merged_recursive",
			"blkio.time_recursive",
			"blkio.sectors_recursive",
		};
		static const char *const thr[] = {
			"blkio.throttle.io_service_bytes_recursive",
			"blkio.throttle.io_serviced_recursive",
		};
		char	path[PATH_MAX + 64];
		int	cfq;

		/* containerd: CFQ's files, else the throttle ones. */
		snprintf(path, sizeof(path), "%s/%s", d->blkio, files[1]);
		cfq = access(path, F_OK) == 0;
		o = json_object_new_object();
		for (i = 0; blkio_keys[i] != NULL; i++) {
			const char *f = cfq ? files[i] : i < 2 ? thr[i] : NULL;

			buf[0] = '\0';
			if (f != NULL && stats_file(d->blkio, f, buf,
			    65536) < 0 && !cfq) {
				/* Older kernels: no _recursive variant. */
				snprintf(path, sizeof(path), "%.*s", (int)
				    (strlen(f) - strlen("_recursive")), f);
				(void)stats_file(d->blkio, path, buf, 65536);
			}
			json_object_object_add(o, blkio_keys[i],
			    containers_stats_blkio(buf));
		}
	}
	json_object_object_add(out, "blkio_stats", o);
	json_object_object_add(out, "num_procs", json_object_new_int(0));
	json_object_object_add(out, "storage_stats", json_object_new_object());

	memset(&cs, 0, sizeof(cs));
	percpu = NULL;
	if (d->v2) {
		if (stats_file(d->cpu, "cpu.stat", buf, 65536) == 0) {
			cs.total = stats_key(buf, "usage_usec") * 1000;
			cs.kernel = stats_key(buf, "system_usec") * 1000;
			cs.user = stats_key(buf, "user_usec") * 1000;
			cs.periods = stats_key(buf, "nr_periods");
			cs.throttled = stats_key(buf, "nr_throttled");
			cs.throttled_ns = stats_key(buf, "throttled_usec") *
			    1000;
		}
	} else {
		(void)stats_u64(d->cpuacct, "cpuacct.usage", &cs.total);
		if (stats_file(d->cpuacct, "cpuacct.usage_percpu", buf,
		    65536) == 0) {
			char	*p = buf, *end;

			percpu = json_object_new_array();
			for (;;) {
				v = strtoull(p, &end, 10);
				if (end == p)
					break;
				json_object_array_add(percpu,
				    json_object_new_uint64(v));
				p = end;
			}
		}
		if (stats_file(d->cpuacct, "cpuacct.stat", buf, 65536) == 0) {
			cs.kernel = stats_key(buf, "system") *
			    (1000000000ULL / STATS_CLK_TCK);
			cs.user = stats_key(buf, "user") *
			    (1000000000ULL / STATS_CLK_TCK);
		}
		if (stats_file(d->cpu, "cpu.stat", buf, 65536) == 0) {
			cs.periods = stats_key(buf, "nr_periods");
			cs.throttled = stats_key(buf, "nr_throttled");
			cs.throttled_ns = stats_key(buf, "throttled_time");
		}
	}
	o = json_object_new_object();
	u = json_object_new_object();
	add_u64(u, "total_usage", cs.total);
	if (percpu != NULL)
		json_object_object_add(u, "percpu_usage", percpu);
	add_u64(u, "usage_in_kernelmode", cs.kernel);
	add_u64(u, "usage_in_usermode", cs.user);
	json_object_object_add(o, "cpu_usage", u);
	if (system_ns != 0)
		add_u64(o, "system_cpu_usage", system_ns);
	if (online != 0)
		json_object_object_add(o, "online_cpus",
		    json_object_new_int(online));
	t = json_object_new_object();
	add_u64(t, "periods", cs.periods);
	add_u64(t, "throttled_periods", cs.throttled);
	add_u64(t, "throttled_time", cs.throttled_ns);
	json_object_object_add(o, "throttling_data", t);
	json_object_object_add(out, "cpu_stats", o);

	o = json_object_new_object();
	if (d->v2) {
		(void)stats_u64(d->memory, "memory.current", &usage);
		if (stats_u64(d->memory, "memory.max", &lim) == 0 && lim == 0)
			lim = UINT64_MAX;
		m = json_object_new_object();
		if (stats_file(d->memory, "memory.stat", buf, 65536) == 0)
			for (i = 0; mem_v2_keys[i] != NULL; i++)
				add_u64(m, mem_v2_keys[i],
				    stats_key(buf, mem_v2_keys[i]));
		if (usage != 0)
			add_u64(o, "usage", usage);
		json_object_object_add(o, "stats", m);
		if (stats_file(d->memory, "memory.events", buf, 65536) == 0 &&
		    (v = stats_key(buf, "oom")) != 0)
			add_u64(o, "failcnt", v);
	} else {
		(void)stats_u64(d->memory, "memory.usage_in_bytes", &usage);
		(void)stats_u64(d->memory, "memory.limit_in_bytes", &lim);
		m = json_object_new_object();
		if (stats_file(d->memory, "memory.stat", buf, 65536) == 0)
			for (i = 0; mem_v1_keys[i] != NULL; i++)
				add_u64(m, mem_v1_keys[i],
				    stats_key(buf, mem_v1_keys[i]));
		if (usage != 0)
			add_u64(o, "usage", usage);
		if (stats_u64(d->memory, "memory.max_usage_in_bytes", &v) ==
		    0 && v != 0)
			add_u64(o, "max_usage", v);
		json_object_object_add(o, "stats", m);
		if (stats_u64(d->memory, "memory.failcnt", &v) == 0 && v != 0)
			add_u64(o, "failcnt", v);
	}
	if (mem_total > 0 && lim > mem_total)
		lim = mem_total;
	if (lim != 0)
		add_u64(o, "limit", lim);
	json_object_object_add(out, "memory_stats", o);
	free(buf);
}

/* /proc/PID/net/dev's text: every interface but lo, or NULL if none. */
json_object *
containers_stats_net(const char *text)
{
	static const char *const keys[] = { "rx_bytes", "rx_packets",
	    "rx_errors", "rx_dropped", "tx_bytes", "tx_packets",
	    "tx_errors", "tx_dropped" };
	/* Columns of net/dev: rx 0..7, tx 8..15. */
	static const int cols[] = { 0, 1, 2, 3, 8, 9, 10, 11 };
	unsigned long long v[16];
	json_object	*nets = NULL, *o;
	const char	*p = text, *colon;
	char		 name[64];
	size_t		 n;
	int		 i;

	while (p != NULL && *p != '\0') {
		if ((colon = strchr(p, ':')) != NULL &&
		    (strchr(p, '\n') == NULL || colon < strchr(p, '\n'))) {
			while (*p == ' ')
				p++;
			n = (size_t)(colon - p);
			if (n > 0 && n < sizeof(name) && sscanf(colon + 1,
			    "%llu %llu %llu %llu %llu %llu %llu %llu %llu "
			    "%llu %llu %llu %llu %llu %llu %llu", &v[0],
			    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
			    &v[8], &v[9], &v[10], &v[11], &v[12], &v[13],
			    &v[14], &v[15]) == 16) {
				memcpy(name, p, n);
				name[n] = '\0';
				if (strcmp(name, "lo") != 0) {
					o = json_object_new_object();
					for (i = 0; i < 8; i++)
						add_u64(o, keys[i],
						    v[cols[i]]);
					if (nets == NULL)
						nets = json_object_new_object();
					json_object_object_add(nets, name, o);
				}
			}
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return nets;
}

/* /proc/stat's "cpu" line in nanoseconds, as dockerd's collector. */
static uint64_t
stats_system_usage(void)
{
	unsigned long long f[7];
	char		 line[512];
	FILE		*fp;
	uint64_t	 sum = 0;
	int		 i;

	if ((fp = fopen("/proc/stat", "re")) == NULL)
		return 0;
	if (fgets(line, sizeof(line), fp) != NULL &&
	    sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu", &f[0],
	    &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]) == 7)
		for (i = 0; i < 7; i++)
			sum += f[i];
	fclose(fp);
	return sum * (1000000000ULL / STATS_CLK_TCK);
}

/* --- the request ------------------------------------------------------- */

struct stats_job {
	struct containers	*cs;
	struct berth_req	*req;
	struct ctr		*c;
	int			 stream;
	int			 one_shot;
	int			 frames;	/* collected so far */
	int			 closed;
	struct berth_timer	*t;
	json_object		*pre_cpu;	/* the last frame's, owned */
	int64_t			 pre_read;
	/* In for the worker. */
	pid_t			 pid;
	int			 host_net;
	uint64_t		 mem_total;
	int			 ncpu;
	/* Out of the worker. */
	json_object		*sample;	/* NULL: not running */
	int64_t			 read_ns;
};

static void
stats_work(void *arg)
{
	struct stats_job	*j = arg;
	struct stats_dirs	*d;
	json_object		*s, *nets;
	char			 path[64], *buf;
	int			 rc;

	j->sample = NULL;
	if ((d = malloc(sizeof(*d))) == NULL)
		return;
	if ((buf = malloc(65536)) == NULL) {
		free(d);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%ld", (long)j->pid);
	rc = stats_file(path, "cgroup", buf, 65536);
	if (rc == 0)
		rc = containers_stats_dirs(buf, "/sys/fs/cgroup", d);
	if (rc < 0)
		goto out;	/* gone: the empty frame */
	s = json_object_new_object();
	/* The host's figure next to the container's, as dockerd does. */
	containers_stats_cgroup(d, j->mem_total, stats_system_usage(),
	    j->ncpu, s);
	if (!j->host_net && stats_file(path, "net/dev", buf, 65536) == 0 &&
	    (nets = containers_stats_net(buf)) != NULL)
		json_object_object_add(s, "networks", nets);
	j->read_ns = containers_now_ns();
	j->sample = s;
out:
	free(buf);
	free(d);
}

static void	stats_tick(void *);

static void
stats_finish(struct stats_job *j)
{
	const struct berth_host	*h = j->cs->h;

	if (j->t != NULL)
		h->timer_del(h, j->t);
	h->resp_end(j->req);
	json_object_put(j->pre_cpu);
	json_object_put(j->sample);
	ctr_unref(j->c);
	free(j);
}

/* A running container has figures; anything else the empty frame. */
static int
stats_live(const struct ctr *c)
{
	return (c->st.status == CTR_RUNNING || c->st.status == CTR_PAUSED) &&
	    c->st.pid > 0;
}

/*
 * The frame, in Go's field order: read, preread, pids, blkio, num_procs,
 * storage, cpu, precpu, memory, name, id, networks.  Takes sample.
 */
static json_object *
stats_frame(struct stats_job *j, json_object *sample, int64_t read_ns)
{
	static const char *const order[] = { "pids_stats", "blkio_stats",
	    "num_procs", "storage_stats", "cpu_stats" };
	json_object	*f = json_object_new_object(), *v;
	char		 ts[64];
	size_t		 i;

	containers_time_fmt(read_ns, ts, sizeof(ts));
	json_object_object_add(f, "read", json_object_new_string(ts));
	containers_time_fmt(j->pre_read, ts, sizeof(ts));
	json_object_object_add(f, "preread", json_object_new_string(ts));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		v = sample != NULL ? json_object_object_get(sample, order[i]) :
		    NULL;
		if (v != NULL)
			v = json_object_get(v);
		else if (strcmp(order[i], "blkio_stats") == 0)
			v = stats_empty_blkio();
		else if (strcmp(order[i], "num_procs") == 0)
			v = json_object_new_int(0);
		else if (strcmp(order[i], "cpu_stats") == 0)
			v = stats_empty_cpu();
		else
			v = json_object_new_object();
		json_object_object_add(f, order[i], v);
	}
	json_object_object_add(f, "precpu_stats", j->pre_cpu != NULL ?
	    json_object_get(j->pre_cpu) : stats_empty_cpu());
	v = sample != NULL ? json_object_object_get(sample, "memory_stats") :
	    NULL;
	json_object_object_add(f, "memory_stats", v != NULL ?
	    json_object_get(v) : json_object_new_object());
	json_object_object_add(f, "name", json_object_new_string(j->c->name));
	json_object_object_add(f, "id", json_object_new_string(j->c->id));
	if (sample != NULL &&
	    (v = json_object_object_get(sample, "networks")) != NULL)
		json_object_object_add(f, "networks", json_object_get(v));
	/* What the next frame calls precpu. */
	json_object_put(j->pre_cpu);
	j->pre_cpu = json_object_get(json_object_object_get(f, "cpu_stats"));
	j->pre_read = read_ns;
	json_object_put(sample);
	return f;
}

static void
stats_next(struct stats_job *j)
{
	const struct berth_host	*h = j->cs->h;

	if (j->closed || j->c->removed) {
		stats_finish(j);
		return;
	}
	j->t = h->timer_add(h, STATS_INTERVAL_MS, stats_tick, j);
}

/* One sample is in (or none: not running); write it or keep it. */
static void
stats_have(struct stats_job *j, json_object *sample, int64_t read_ns)
{
	const struct berth_host	*h = j->cs->h;
	json_object		*f;
	const char		*s;

	f = stats_frame(j, sample, read_ns);
	j->frames++;
	/* stream=0 primes precpu with a first sample, as dockerd. */
	if (!j->stream && !j->one_shot && j->frames == 1 && !j->closed) {
		json_object_put(f);
		stats_next(j);
		return;
	}
	s = json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN);
	/* A client that stopped reading misses frames, never gets them late. */
	if (!j->closed && h->resp_buffered(j->req) < STATS_HIGH_WATER &&
	    (h->resp_write(j->req, s, strlen(s)) < 0 ||
	    h->resp_write(j->req, "\n", 1) < 0))
		j->closed = 1;
	json_object_put(f);
	if (!j->stream) {
		stats_finish(j);
		return;
	}
	stats_next(j);
}

static void
stats_done(void *arg)
{
	struct stats_job	*j = arg;
	json_object		*s = j->sample;

	j->sample = NULL;
	stats_have(j, s, s != NULL ? j->read_ns : 0);
}

static void
stats_tick(void *arg)
{
	struct stats_job	*j = arg;
	const struct berth_host	*h = j->cs->h;
	const char		*nm;

	j->t = NULL;
	if (j->closed || j->c->removed) {
		stats_finish(j);
		return;
	}
	if (!stats_live(j->c)) {
		stats_have(j, NULL, 0);
		return;
	}
	j->pid = j->c->st.pid;
	nm = berth_json_str(j->c->hostconfig, "NetworkMode");
	j->host_net = nm != NULL && strcmp(nm, "host") == 0;
	if (h->work(h, stats_work, stats_done, j) < 0)
		stats_have(j, NULL, 0);
}

static void
stats_closed(void *arg)
{
	struct stats_job	*j = arg;

	j->closed = 1;
	/*
	 * A pending timer is cut short; a work job (j->t is NULL while one
	 * runs) ends it when done.
	 */
	if (j->t != NULL) {
		j->cs->h->timer_del(j->cs->h, j->t);
		j->t = NULL;
		stats_finish(j);
	}
}

void
containers_h_stats(struct berth_req *req, void *state)
{
	struct containers	*cs = state;
	const struct berth_host	*h = cs->h;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct stats_job	*j;
	struct ctr		*c;
	json_object		*o;
	int			 stream, one_shot;

	if ((c = containers_find(cs, h->req_param(req, "id"), &err)) == NULL) {
		h->resp_error(req, &err);
		return;
	}
	/* stream defaults to true: absent is not false here. */
	stream = h->req_query(req, "stream", 0) == NULL ||
	    h->req_query_bool(req, "stream");
	one_shot = h->req_query_bool(req, "one-shot");
	if (stream && one_shot) {
		berth_err_set(&err, -EINVAL,
		    "cannot have stream=true and one-shot=true");
		h->resp_error(req, &err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		h->resp_error(req, &err);
		return;
	}
	j->cs = cs;
	j->req = req;
	j->c = c;
	j->stream = stream;
	j->one_shot = one_shot;
	j->mem_total = cs->sys.mem_total;
	j->ncpu = cs->sys.ncpu;
	ctr_ref(c);
	if (!stream && !stats_live(c)) {
		/* dockerd's answer: name and id, every figure zero. */
		o = stats_frame(j, NULL, 0);
		h->resp_json(req, 200, o);
		json_object_put(o);
		json_object_put(j->pre_cpu);
		ctr_unref(c);
		free(j);
		return;
	}
	h->req_on_close(req, stats_closed, j);
	h->resp_start(req, 200, "application/json");
	stats_tick(j);
}

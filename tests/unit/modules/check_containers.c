/*
 * check_containers.c - the containers service against the mock host,
 * with stand-in image/1 and runtime/1 drivers defined here.
 *
 * Pure parts (names, Entrypoint/Cmd, env, users, capabilities, seccomp,
 * signals, filters, the spec) are tested directly; the API through the
 * route handlers, with drivers that complete synchronously.
 */
#include <sys/stat.h>

#include <fcntl.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <seccomp.h>

#include <berth/json.h>
#include <berth/module.h>

#include "../../../modules/containers/containers.h"
#include "mock_host.h"
#include "unit.h"

extern const struct berth_module berth_module;

static char	tmproot[256];
static char	rootfs[512];

static json_object *
J(const char *s)
{
	json_object	*o = json_tokener_parse(s);

	ck_assert_msg(o != NULL || strcmp(s, "null") == 0,
	    "bad test JSON: %s", s);
	return o;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char	 p[1024];
	FILE	*f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

/* A fake image rootfs with /etc/passwd and /etc/group. */
static void
make_rootfs(void)
{
	char	p[1024];

	snprintf(tmproot, sizeof(tmproot), "/tmp/check_containers.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmproot));
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmproot);
	mkdir(rootfs, 0755);
	snprintf(p, sizeof(p), "%s/etc", rootfs);
	mkdir(p, 0755);
	write_file(p, "passwd",
	    "root:x:0:0:root:/root:/bin/sh\n"
	    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
	    "# a comment\n"
	    "www:x:33:33:www:/var/www:/bin/false\n"
	    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n");
	write_file(p, "group",
	    "root:x:0:\n"
	    "daemon:x:1:\n"
	    "www:x:33:\n"
	    "alice:x:1000:\n"
	    "audio:x:29:alice,www\n"
	    "video:x:44:alice\n");
}

static void
rm_rf(const char *p)
{
	char	cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	(void)system(cmd);
}

/* --- update: dockerd's checks and merge ---------------------------------- */

static const struct ctr_sysinfo test_sys = {
	.ncpu = 2, .swap_limit = 1, .blkio_weight = 0,
	.cpus = "0-1", .mems = "0", .mem_total = 1ULL << 30,
};

static const char *
update_err(const char *body)
{
	static struct berth_err	 err;
	json_object		*o = J(body), *w = NULL;
	int			 rc;

	berth_err_clear(&err);
	rc = containers_update_check(o, &test_sys, &w, &err);
	json_object_put(o);
	json_object_put(w);
	return rc < 0 ? err.msg : "";
}

START_TEST(update_checks)
{
	uint64_t	 set[16];
	json_object	*o, *w = NULL;
	struct berth_err err = BERTH_ERR_INIT;

	ck_assert_int_eq(containers_cpuset_parse("0-2,5", set), 0);
	ck_assert_uint_eq(set[0], 0x27);
	ck_assert_int_eq(containers_cpuset_parse("1,", set), -EINVAL);
	ck_assert_int_eq(containers_cpuset_parse("3-1", set), -EINVAL);
	ck_assert_int_eq(containers_cpuset_parse("a", set), -EINVAL);

	ck_assert_str_eq(update_err("{\"Memory\":67108864}"), "");
	ck_assert_str_eq(update_err("{\"Memory\":1048576}"),
	    "Minimum memory limit allowed is 6MB");
	ck_assert_str_eq(update_err("{\"Memory\":67108864,"
	    "\"MemorySwap\":33554432}"), "Minimum memoryswap limit should be "
	    "larger than memory limit, see usage");
	ck_assert_str_eq(update_err("{\"NanoCpus\":3000000000}"),
	    "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs "
	    "available");
	ck_assert_str_eq(update_err("{\"NanoCpus\":1,\"CpuQuota\":2000}"),
	    "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
	ck_assert_str_eq(update_err("{\"CpuQuota\":10}"),
	    "CPU cfs quota can not be less than 1ms (i.e. 1000)");
	ck_assert_str_eq(update_err("{\"CpusetCpus\":\"1-3\"}"),
	    "Requested CPUs are not available - requested 1-3, available: 0-1");
	ck_assert_str_eq(update_err("{\"CpusetCpus\":\"x\"}"),
	    "Invalid value x for cpuset cpus: invalid format: x");
	ck_assert_str_eq(update_err("{\"RestartPolicy\":{\"Name\":\"always\","
	    "\"MaximumRetryCount\":3}}"), "maximum retry count cannot be used "
	    "with restart policy 'always'");
	ck_assert_str_eq(update_err("{\"RestartPolicy\":{\"Name\":"
	    "\"on-failure\",\"MaximumRetryCount\":-1}}"),
	    "maximum retry count cannot be negative");
	/* No blkio weight here: dropped with dockerd's warning, no range. */
	o = J("{\"BlkioWeight\":5}");
	ck_assert_int_eq(containers_update_check(o, &test_sys, &w, &err), 0);
	ck_assert_int_eq(json_object_get_int(berth_json_get(o,
	    "BlkioWeight")), 0);
	ck_assert_int_eq((int)json_object_array_length(w), 1);
	json_object_put(o);
	json_object_put(w);
}
END_TEST

static const char *
merge(json_object *hc, const char *body)
{
	static struct berth_err	 err;
	json_object		*o = J(body);
	int			 rc;

	berth_err_clear(&err);
	rc = containers_update_merge(hc, o, "ID", &err);
	json_object_put(o);
	return rc < 0 ? err.msg : "";
}

START_TEST(update_merge)
{
	json_object	*hc = J("{\"Memory\":33554432,\"MemorySwap\":0,"
	    "\"CpuShares\":800,\"NanoCpus\":0,\"AutoRemove\":false,"
	    "\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0}}");

	/* Swap unset means twice the memory: 64m fits, 100m does not. */
	ck_assert_str_eq(merge(hc, "{\"Memory\":67108864,\"CpuShares\":0}"),
	    "");
	ck_assert_int_eq(json_object_get_int64(berth_json_get(hc, "Memory")),
	    67108864);
	ck_assert_int_eq(json_object_get_int64(berth_json_get(hc,
	    "MemorySwap")), 67108864);
	ck_assert_int_eq(json_object_get_int(berth_json_get(hc, "CpuShares")),
	    800);
	ck_assert_str_eq(merge(hc, "{\"Memory\":104857600}"), "Cannot update "
	    "container ID: Memory limit should be smaller than already set "
	    "memoryswap limit, update the memoryswap at the same time");
	ck_assert_str_eq(merge(hc, "{\"NanoCpus\":500000000}"), "");
	ck_assert_str_eq(merge(hc, "{\"CpuPeriod\":50000}"), "Cannot update "
	    "container ID: Conflicting options: CPU Period cannot be updated "
	    "as NanoCPUs has already been set");
	ck_assert_str_eq(merge(hc, "{\"PidsLimit\":0,\"RestartPolicy\":"
	    "{\"Name\":\"on-failure\",\"MaximumRetryCount\":2}}"), "");
	ck_assert_int_eq(json_object_get_int(berth_json_get(hc, "PidsLimit")),
	    0);
	ck_assert_str_eq(berth_json_str(berth_json_get(hc, "RestartPolicy"),
	    "Name"), "on-failure");
	json_object_object_add(hc, "AutoRemove", json_object_new_boolean(1));
	ck_assert_str_eq(merge(hc, "{\"RestartPolicy\":{\"Name\":\"always\"}}"),
	    "Cannot update container ID: Restart policy cannot be updated "
	    "because AutoRemove is enabled for the container");
	ck_assert_str_eq(merge(hc, "{\"RestartPolicy\":{\"Name\":\"no\"}}"), "");
	json_object_put(hc);
}
END_TEST

/* --- stats: cgroup files to Docker's shape --------------------------------- */

static void
mkfile(const char *dir, const char *name, const char *text)
{
	mkdir(dir, 0755);
	write_file(dir, name, text);
}

START_TEST(stats_cgroups)
{
	struct stats_dirs	 d;
	char			 base[256], p[600];
	json_object		*o, *m, *c, *n;

	snprintf(base, sizeof(base), "/tmp/check_stats.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));

	/* A hybrid host: v1 controllers win over the unified line. */
	ck_assert_int_eq(containers_stats_dirs(
	    "12:pids:/berth/x\n9:cpu,cpuacct:/berth/x\n"
	    "5:memory:/berth/x\n3:blkio:/berth/x\n0::/berth/x\n", base, &d),
	    0);
	ck_assert_int_eq(d.v2, 0);
	snprintf(p, sizeof(p), "%s/cpu,cpuacct/berth/x", base);
	ck_assert_str_eq(d.cpuacct, p);
	ck_assert_str_eq(d.cpu, p);
	snprintf(p, sizeof(p), "%s/cpu,cpuacct", base);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/cpu,cpuacct/berth", base);
	mkdir(p, 0755);
	mkfile(d.cpuacct, "cpuacct.usage", "3000\n");
	write_file(d.cpuacct, "cpuacct.usage_percpu", "1000 2000 \n");
	write_file(d.cpuacct, "cpuacct.stat", "user 3\nsystem 2\n");
	write_file(d.cpu, "cpu.stat", "nr_periods 7\nnr_throttled 1\n"
	    "throttled_time 99\n");
	snprintf(p, sizeof(p), "%s/memory", base);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/memory/berth", base);
	mkdir(p, 0755);
	mkfile(d.memory, "memory.usage_in_bytes", "5000\n");
	write_file(d.memory, "memory.limit_in_bytes", "9223372036854771712\n");
	write_file(d.memory, "memory.max_usage_in_bytes", "6000\n");
	write_file(d.memory, "memory.failcnt", "0\n");
	write_file(d.memory, "memory.stat", "cache 100\nrss 200\n"
	    "total_inactive_file 1000\n");
	o = json_object_new_object();
	containers_stats_cgroup(&d, 1 << 20, 42, 2, o);
	c = berth_json_get(o, "cpu_stats");
	ck_assert_str_eq(json_object_to_json_string_ext(c,
	    JSON_C_TO_STRING_PLAIN), "{\"cpu_usage\":{\"total_usage\":3000,"
	    "\"percpu_usage\":[1000,2000],\"usage_in_kernelmode\":20000000,"
	    "\"usage_in_usermode\":30000000},\"system_cpu_usage\":42,"
	    "\"online_cpus\":2,\"throttling_data\":{\"periods\":7,"
	    "\"throttled_periods\":1,\"throttled_time\":99}}");
	m = berth_json_get(o, "memory_stats");
	ck_assert_int_eq(json_object_get_int64(berth_json_get(m, "usage")),
	    5000);
	ck_assert_int_eq(json_object_get_int64(berth_json_get(m, "limit")),
	    1 << 20);
	ck_assert_ptr_null(berth_json_get(m, "failcnt"));
	ck_assert_int_eq(json_object_get_int64(berth_json_get(berth_json_get(m,
	    "stats"), "total_inactive_file")), 1000);
	ck_assert_int_eq(json_object_object_length(berth_json_get(o,
	    "pids_stats")), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(berth_json_get(o,
	    "blkio_stats"), JSON_C_TO_STRING_PLAIN), "{"
	    "\"io_service_bytes_recursive\":[],\"io_serviced_recursive\":[],"
	    "\"io_queue_recursive\":[],\"io_service_time_recursive\":[],"
	    "\"io_wait_time_recursive\":[],\"io_merged_recursive\":[],"
	    "\"io_time_recursive\":[],\"sectors_recursive\":[]}");
	json_object_put(o);

	/* A pure v2 host: one directory for everything. */
	ck_assert_int_eq(containers_stats_dirs("0::/berth/y\n", base, &d), 0);
	ck_assert_int_eq(d.v2, 1);
	snprintf(p, sizeof(p), "%s/berth", base);
	mkdir(p, 0755);
	mkfile(d.memory, "memory.current", "8000\n");
	write_file(d.memory, "memory.max", "max\n");
	write_file(d.memory, "memory.stat", "anon 10\ninactive_file 300\n");
	write_file(d.memory, "memory.events", "low 0\nhigh 0\nmax 4\noom 2\n");
	write_file(d.memory, "cpu.stat", "usage_usec 5\nuser_usec 3\n"
	    "system_usec 2\nnr_periods 0\nnr_throttled 0\n"
	    "throttled_usec 0\n");
	write_file(d.memory, "pids.current", "3\n");
	write_file(d.memory, "pids.max", "max\n");
	write_file(d.memory, "io.stat", "8:0 rbytes=4096 wbytes=512 rios=1 "
	    "wios=1 dbytes=0 dios=0\n");
	o = json_object_new_object();
	containers_stats_cgroup(&d, 1 << 20, 0, 0, o);
	ck_assert_str_eq(json_object_to_json_string_ext(berth_json_get(o,
	    "pids_stats"), JSON_C_TO_STRING_PLAIN), "{\"current\":3}");
	c = berth_json_get(o, "cpu_stats");
	ck_assert_str_eq(json_object_to_json_string_ext(c,
	    JSON_C_TO_STRING_PLAIN), "{\"cpu_usage\":{\"total_usage\":5000,"
	    "\"usage_in_kernelmode\":2000,\"usage_in_usermode\":3000},"
	    "\"throttling_data\":{\"periods\":0,\"throttled_periods\":0,"
	    "\"throttled_time\":0}}");
	m = berth_json_get(o, "memory_stats");
	ck_assert_int_eq(json_object_get_int64(berth_json_get(m, "usage")),
	    8000);
	ck_assert_int_eq(json_object_get_int64(berth_json_get(m, "failcnt")),
	    2);
	ck_assert_int_eq(json_object_get_int64(berth_json_get(m, "limit")),
	    1 << 20);
	ck_assert_ptr_null(berth_json_get(m, "max_usage"));
	ck_assert_int_eq(json_object_get_int64(berth_json_get(berth_json_get(m,
	    "stats"), "inactive_file")), 300);
	n = berth_json_get(o, "blkio_stats");
	ck_assert_str_eq(json_object_to_json_string_ext(berth_json_get(n,
	    "io_service_bytes_recursive"), JSON_C_TO_STRING_PLAIN),
	    "[{\"major\":8,\"minor\":0,\"op\":\"read\",\"value\":4096},"
	    "{\"major\":8,\"minor\":0,\"op\":\"write\",\"value\":512}]");
	ck_assert_ptr_null(berth_json_get(n, "io_serviced_recursive"));
	json_object_put(o);
	rm_rf(base);

	ck_assert_int_eq(containers_stats_dirs("", "/x", &d), -ENOENT);
}
END_TEST

START_TEST(stats_lines)
{
	json_object	*o;

	o = containers_stats_blkio("8:0 Read 4096\n8:0 Write 8\n"
	    "8:0 Total 4104\n8:16 12\nTotal 4104\n");
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN),
	    "[{\"major\":8,\"minor\":0,\"op\":\"Read\",\"value\":4096},"
	    "{\"major\":8,\"minor\":0,\"op\":\"Write\",\"value\":8},"
	    "{\"major\":8,\"minor\":0,\"op\":\"Total\",\"value\":4104},"
	    "{\"major\":8,\"minor\":16,\"op\":\"\",\"value\":12}]");
	json_object_put(o);
	o = containers_stats_net(
	    "Inter-|   Receive                            "
	    "                    |  Transmit\n"
	    " face |bytes    packets errs drop fifo frame compressed multicast"
	    "|bytes    packets errs drop fifo colls carrier compressed\n"
	    "    lo:     100       1    0    0    0     0          0         0"
	    "      100       1    0    0    0     0       0          0\n"
	    "  eth0:    2000      20    1    2    0     0          0         0"
	    "     3000      30    3    4    0     0       0          0\n");
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), "{\"eth0\":{\"rx_bytes\":2000,"
	    "\"rx_packets\":20,\"rx_errors\":1,\"rx_dropped\":2,"
	    "\"tx_bytes\":3000,\"tx_packets\":30,\"tx_errors\":3,"
	    "\"tx_dropped\":4}}");
	json_object_put(o);
	ck_assert_ptr_null(containers_stats_net("Inter-|\n face |\n"
	    "    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n"));
}
END_TEST

/* --- names ---------------------------------------------------------------- */

START_TEST(names_valid)
{
	ck_assert(containers_name_valid("web"));
	ck_assert(containers_name_valid("/web"));
	ck_assert(containers_name_valid("a1"));
	ck_assert(containers_name_valid("my_app.v2-x"));
	ck_assert(!containers_name_valid("a"));
	ck_assert(!containers_name_valid(""));
	ck_assert(!containers_name_valid("_x"));
	ck_assert(!containers_name_valid("-x"));
	ck_assert(!containers_name_valid("a b"));
	ck_assert(!containers_name_valid("a/b"));
	ck_assert(!containers_name_valid("a:b"));
}
END_TEST

START_TEST(names_random)
{
	char	n[128];
	int	i;

	for (i = 0; i < 50; i++) {
		containers_random_name(n, sizeof(n), 0);
		ck_assert_msg(containers_name_valid(n), "%s", n);
		ck_assert_ptr_nonnull(strchr(n, '_'));
	}
	containers_random_name(n, sizeof(n), 7);
	ck_assert(n[strlen(n) - 1] == '7');
}
END_TEST

/* --- Entrypoint, Cmd, Env ----------------------------------------------- */

static void
args_of(const char *cfg, const char *img, const char *want_path,
    const char *want_args)
{
	json_object		*c = J(cfg), *i = J(img), *args = NULL;
	char			*path = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;

	ck_assert_int_eq(containers_merge_image(c, berth_json_get(i, "config"),
	    &err), 0);
	if (want_path == NULL) {
		ck_assert_int_eq(containers_args(c, &path, &args, &err),
		    -EINVAL);
		ck_assert_str_eq(err.msg, "No command specified");
	} else {
		ck_assert_int_eq(containers_args(c, &path, &args, &err), 0);
		ck_assert_str_eq(path, want_path);
		ck_assert_str_eq(json_object_to_json_string_ext(args,
		    JSON_C_TO_STRING_PLAIN), want_args);
	}
	free(path);
	json_object_put(args);
	json_object_put(c);
	json_object_put(i);
}

START_TEST(args_rules)
{
	const char *img = "{\"config\":{\"Cmd\":[\"sh\"]}}";
	const char *imgep = "{\"config\":{\"Entrypoint\":[\"/ep\",\"-x\"],"
	    "\"Cmd\":[\"def\"]}}";

	/* Image Cmd when the user gives nothing. */
	args_of("{\"Cmd\":null,\"Entrypoint\":null}", img, "sh", "[]");
	/* The user's Cmd replaces the image's. */
	args_of("{\"Cmd\":[\"echo\",\"hi\"]}", img, "echo", "[\"hi\"]");
	/* Image entrypoint + image cmd. */
	args_of("{}", imgep, "/ep", "[\"-x\",\"def\"]");
	/* Image entrypoint + user cmd. */
	args_of("{\"Cmd\":[\"a\"]}", imgep, "/ep", "[\"-x\",\"a\"]");
	/* User entrypoint: the image's Cmd is not used. */
	args_of("{\"Entrypoint\":[\"/bin/true\"]}", imgep, "/bin/true", "[]");
	/* --entrypoint "" clears the image's; the image Cmd remains. */
	args_of("{\"Entrypoint\":[\"\"]}", imgep, "def", "[]");
	args_of("{\"Entrypoint\":[\"\"],\"Cmd\":[\"ls\",\"-l\"]}", imgep,
	    "ls", "[\"-l\"]");
	/* Nothing anywhere. */
	args_of("{}", "{\"config\":{}}", NULL, NULL);
}
END_TEST

START_TEST(env_merge)
{
	json_object		*c = J("{\"Env\":[\"A=user\",\"B=2\"]}");
	json_object		*i = J("{\"Env\":[\"PATH=/img\",\"A=img\"]}");
	json_object		*env;
	struct berth_err	 err = BERTH_ERR_INIT;

	ck_assert_int_eq(containers_merge_image(c, i, &err), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(berth_json_get(c,
	    "Env"), JSON_C_TO_STRING_PLAIN),
	    "[\"A=user\",\"B=2\",\"PATH=\\/img\"]");
	/* The process env: defaults first, overridden by name. */
	env = containers_env(berth_json_get(c, "Env"), "h0st", 1);
	ck_assert_str_eq(json_object_to_json_string_ext(env,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[\"PATH=/img\",\"HOSTNAME=h0st\",\"TERM=xterm\",\"A=user\","
	    "\"B=2\"]");
	json_object_put(env);
	env = containers_env(NULL, "x", 0);
	ck_assert_int_eq(json_object_array_length(env), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(env,
	    0)), CONTAINERS_DEFAULT_PATH);
	json_object_put(env);
	json_object_put(c);
	json_object_put(i);
}
END_TEST

START_TEST(merge_fields)
{
	json_object		*c = J("{\"Labels\":{\"a\":\"u\"},\"User\":\"\"}");
	json_object		*i = J("{\"Labels\":{\"a\":\"i\",\"b\":\"i\"},"
	    "\"User\":\"www\",\"WorkingDir\":\"/srv\",\"StopSignal\":\"SIGINT\"}");
	struct berth_err	 err = BERTH_ERR_INIT;

	ck_assert_int_eq(containers_merge_image(c, i, &err), 0);
	ck_assert_str_eq(berth_json_str(berth_json_get(c, "Labels"), "a"), "u");
	ck_assert_str_eq(berth_json_str(berth_json_get(c, "Labels"), "b"), "i");
	ck_assert_str_eq(berth_json_str(c, "User"), "www");
	ck_assert_str_eq(berth_json_str(c, "WorkingDir"), "/srv");
	ck_assert_str_eq(berth_json_str(c, "StopSignal"), "SIGINT");
	json_object_put(c);
	json_object_put(i);
}
END_TEST

/* --- users ---------------------------------------------------------------- */

static int
user_of(const char *spec, const char *groups, struct spec_user *u,
    struct berth_err *err)
{
	char		 js[256];
	json_object	*o;
	int		 rc;

	snprintf(js, sizeof(js), "{\"User\":\"%s\",\"GroupAdd\":%s}", spec,
	    groups != NULL ? groups : "null");
	o = J(js);
	rc = containers_user_resolve(rootfs, NULL, NULL, o, u, err);
	json_object_put(o);
	return rc;
}

START_TEST(users)
{
	struct spec_user	u;
	struct berth_err	err = BERTH_ERR_INIT;

	make_rootfs();
	ck_assert_int_eq(user_of("", NULL, &u, &err), 0);
	ck_assert_int_eq(u.uid, 0);
	ck_assert_int_eq(u.gid, 0);
	ck_assert_str_eq(u.home, "/root");

	ck_assert_int_eq(user_of("alice", NULL, &u, &err), 0);
	ck_assert_int_eq(u.uid, 1000);
	ck_assert_int_eq(u.gid, 1000);
	ck_assert_uint_eq(u.nsgids, 2);
	ck_assert_int_eq(u.sgids[0], 29);
	ck_assert_int_eq(u.sgids[1], 44);

	/* An explicit group: no implicit supplementary groups. */
	ck_assert_int_eq(user_of("alice:video", NULL, &u, &err), 0);
	ck_assert_int_eq(u.gid, 44);
	ck_assert_uint_eq(u.nsgids, 0);

	ck_assert_int_eq(user_of("33", NULL, &u, &err), 0);
	ck_assert_int_eq(u.uid, 33);
	ck_assert_int_eq(u.gid, 33);

	/* Numeric and absent from passwd: fine, gid 0. */
	ck_assert_int_eq(user_of("4242:4343", NULL, &u, &err), 0);
	ck_assert_int_eq(u.uid, 4242);
	ck_assert_int_eq(u.gid, 4343);

	ck_assert_int_eq(user_of("www", "[\"video\",\"77\"]", &u, &err), 0);
	ck_assert_uint_eq(u.nsgids, 3);
	ck_assert_int_eq(u.sgids[0], 29);
	ck_assert_int_eq(u.sgids[1], 44);
	ck_assert_int_eq(u.sgids[2], 77);

	ck_assert_int_eq(user_of("nobody", NULL, &u, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "unable to find user nobody: no matching "
	    "entries in passwd file");
	ck_assert_int_eq(user_of("alice:nogroup", NULL, &u, &err), -EINVAL);
	rm_rf(tmproot);
}
END_TEST

/* The image cannot make us read a host file through a symlink. */
START_TEST(users_symlink_stays_in_root)
{
	struct spec_user	u;
	struct berth_err	err = BERTH_ERR_INIT;
	char			p[1024];

	make_rootfs();
	snprintf(p, sizeof(p), "%s/etc/passwd", rootfs);
	unlink(p);
	/* Absolute target: resolved inside the rootfs, where it is absent. */
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	ck_assert_int_eq(user_of("root", NULL, &u, &err), -EINVAL);
	rm_rf(tmproot);
}
END_TEST

/* --- capabilities ---------------------------------------------------------- */

static json_object *
caps_of(const char *add, const char *drop, int priv, int want_rc)
{
	json_object		*a = J(add), *d = J(drop), *out = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;

	ck_assert_int_eq(containers_caps(a, d, priv, &out, &err), want_rc);
	json_object_put(a);
	json_object_put(d);
	return out;
}

START_TEST(caps_arith)
{
	json_object	*c;
	char		 n[64];

	c = caps_of("null", "null", 0, 0);
	ck_assert_int_eq(json_object_array_length(c), 14);
	ck_assert(containers_cap_has(c, "CAP_CHOWN"));
	ck_assert(containers_cap_has(c, "CAP_AUDIT_WRITE"));
	ck_assert(!containers_cap_has(c, "CAP_SYS_ADMIN"));
	json_object_put(c);

	c = caps_of("[\"sys_admin\",\"CAP_NET_ADMIN\"]", "[\"chown\"]", 0, 0);
	ck_assert_int_eq(json_object_array_length(c), 15);
	ck_assert(containers_cap_has(c, "CAP_SYS_ADMIN"));
	ck_assert(containers_cap_has(c, "CAP_NET_ADMIN"));
	ck_assert(!containers_cap_has(c, "CAP_CHOWN"));
	json_object_put(c);

	c = caps_of("[\"ALL\"]", "[\"MKNOD\"]", 0, 0);
	ck_assert(containers_cap_has(c, "CAP_SYS_ADMIN"));
	ck_assert(!containers_cap_has(c, "CAP_MKNOD"));
	ck_assert_int_gt(json_object_array_length(c), 30);
	json_object_put(c);

	c = caps_of("[\"NET_BIND_SERVICE\"]", "[\"all\"]", 0, 0);
	ck_assert_int_eq(json_object_array_length(c), 1);
	ck_assert(containers_cap_has(c, "CAP_NET_BIND_SERVICE"));
	json_object_put(c);

	c = caps_of("null", "[\"ALL\"]", 1, 0);
	ck_assert_int_gt(json_object_array_length(c), 30);
	json_object_put(c);

	ck_assert_ptr_null(caps_of("[\"CAP_BOGUS\"]", "null", 0, -EINVAL));
	ck_assert_int_eq(containers_cap_valid("net_raw", n, sizeof(n)), 0);
	ck_assert_str_eq(n, "CAP_NET_RAW");
	ck_assert_int_eq(containers_cap_valid("nope", n, sizeof(n)), -EINVAL);
}
END_TEST

/* --- seccomp ----------------------------------------------------------------- */

static int
seccomp_allows(json_object *sc, const char *name)
{
	json_object	*rules = json_object_object_get(sc, "syscalls"), *r;
	json_object	*names;
	size_t		 i, j;

	for (i = 0; i < json_object_array_length(rules); i++) {
		r = json_object_array_get_idx(rules, i);
		if (strcmp(berth_json_str(r, "action"), "SCMP_ACT_ALLOW") != 0)
			continue;
		names = json_object_object_get(r, "names");
		for (j = 0; j < json_object_array_length(names); j++)
			if (strcmp(json_object_get_string(
			    json_object_array_get_idx(names, j)), name) == 0)
				return berth_json_get(r, "args") != NULL ? 2 : 1;
	}
	return 0;
}

START_TEST(seccomp_default)
{
	json_object	*caps = caps_of("null", "null", 0, 0), *sc, *rules, *r;
	json_object	*names;
	size_t		 i, j, total = 0;
	const char	*n;

	ck_assert_ptr_nonnull(sc = containers_seccomp_default(caps));
	ck_assert_str_eq(berth_json_str(sc, "defaultAction"), "SCMP_ACT_ERRNO");
	ck_assert_int_eq(json_object_get_int(berth_json_get(sc,
	    "defaultErrnoRet")), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    berth_json_get(sc, "architectures"), 0)), "SCMP_ARCH_X86_64");
	/* Every name in the spec is one libseccomp knows. */
	rules = json_object_object_get(sc, "syscalls");
	for (i = 0; i < json_object_array_length(rules); i++) {
		r = json_object_array_get_idx(rules, i);
		names = json_object_object_get(r, "names");
		for (j = 0; j < json_object_array_length(names); j++) {
			n = json_object_get_string(
			    json_object_array_get_idx(names, j));
			ck_assert_msg(seccomp_syscall_resolve_name(n) !=
			    __NR_SCMP_ERROR, "unknown syscall %s", n);
			total++;
		}
	}
	ck_assert_uint_gt(total, 250);
	ck_assert_int_eq(seccomp_allows(sc, "read"), 1);
	ck_assert_int_eq(seccomp_allows(sc, "arch_prctl"), 1);
	/* Default caps: clone only without namespace flags, no mount. */
	ck_assert_int_eq(seccomp_allows(sc, "clone"), 2);
	ck_assert_int_eq(seccomp_allows(sc, "mount"), 0);
	ck_assert_int_eq(seccomp_allows(sc, "reboot"), 0);
	ck_assert_int_eq(seccomp_allows(sc, "chroot"), 1);
	ck_assert_int_eq(seccomp_allows(sc, "personality"), 2);
	json_object_put(sc);
	json_object_put(caps);

	caps = caps_of("[\"SYS_ADMIN\",\"SYS_BOOT\"]", "[\"SYS_CHROOT\"]", 0, 0);
	sc = containers_seccomp_default(caps);
	ck_assert_int_eq(seccomp_allows(sc, "mount"), 1);
	ck_assert_int_eq(seccomp_allows(sc, "clone"), 1);
	ck_assert_int_eq(seccomp_allows(sc, "reboot"), 1);
	ck_assert_int_eq(seccomp_allows(sc, "chroot"), 0);
	json_object_put(sc);
	json_object_put(caps);
}
END_TEST

START_TEST(seccomp_profile)
{
	json_object		*caps = caps_of("null", "null", 0, 0), *sc = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;

	ck_assert_int_eq(containers_seccomp_from_profile(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
	    "[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[\"mkdir\","
	    "\"no_such_call\"],\"action\":\"SCMP_ACT_ERRNO\"},{\"name\":"
	    "\"mount\",\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":"
	    "[\"CAP_SYS_ADMIN\"]}}]}", caps, &sc, &err), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(sc,
	    JSON_C_TO_STRING_PLAIN),
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
	    "[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[\"mkdir\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\"}]}");
	json_object_put(sc);
	ck_assert_int_eq(containers_seccomp_from_profile("{", caps, &sc, &err),
	    -EINVAL);
	ck_assert_int_eq(containers_seccomp_from_profile(
	    "{\"defaultAction\":\"SCMP_ACT_NOPE\"}", caps, &sc, &err), -EINVAL);
	json_object_put(caps);
}
END_TEST

/* --- signals --------------------------------------------------------------- */

START_TEST(signals)
{
	int	s;

	ck_assert_int_eq(containers_signal_parse("TERM", &s), 0);
	ck_assert_int_eq(s, SIGTERM);
	ck_assert_int_eq(containers_signal_parse("SIGKILL", &s), 0);
	ck_assert_int_eq(s, SIGKILL);
	ck_assert_int_eq(containers_signal_parse("sigusr1", &s), 0);
	ck_assert_int_eq(s, SIGUSR1);
	ck_assert_int_eq(containers_signal_parse("9", &s), 0);
	ck_assert_int_eq(s, 9);
	ck_assert_int_eq(containers_signal_parse("RTMIN+2", &s), 0);
	ck_assert_int_eq(s, SIGRTMIN + 2);
	ck_assert_int_eq(containers_signal_parse("0", &s), -EINVAL);
	ck_assert_int_eq(containers_signal_parse("NOPE", &s), -EINVAL);
	ck_assert_int_eq(containers_signal_parse("", &s), -EINVAL);
	ck_assert_int_eq(containers_signal_parse("99", &s), -EINVAL);
	ck_assert_str_eq(containers_signal_name(SIGHUP), "HUP");
}
END_TEST

START_TEST(times)
{
	char	b[64];
	int64_t	ns;

	containers_time_fmt(1700000000123400000LL, b, sizeof(b));
	ck_assert_str_eq(b, "2023-11-14T22:13:20.1234Z");
	ck_assert_int_eq(containers_time_parse(b, &ns), 0);
	ck_assert_int_eq(ns, 1700000000123400000LL);
	containers_time_fmt(0, b, sizeof(b));
	ck_assert_str_eq(b, "0001-01-01T00:00:00Z");
	ck_assert_int_eq(containers_ts_parse("1700000000.5", &ns), 0);
	ck_assert_int_eq(ns, 1700000000500000000LL);
	containers_human_duration(3LL * 1000000000LL, b, sizeof(b));
	ck_assert_str_eq(b, "3 seconds");
	containers_human_duration(90LL * 1000000000LL, b, sizeof(b));
	ck_assert_str_eq(b, "About a minute");
}
END_TEST

/* Docker's ps parse: the PID column picks lines, the command is joined. */
START_TEST(top_parse)
{
	static const char out[] =
	    "UID   PID  PPID  C STIME TTY TIME     CMD\n"
	    "root    1     0  0 10:00 ?   00:00:01 /sbin/init splash\n"
	    "root  412   400  0 10:01 ?   00:00:00 sleep  300\n"
	    "www   413   412  0 10:01 ?   00:00:00 sh -c echo a b\n";
	const pid_t	 pids[] = { 412, 413 };
	struct berth_err err = BERTH_ERR_INIT;
	json_object	*res = NULL;
	const char	*s;

	ck_assert_int_eq(containers_top_parse(out, pids, 2, &res, &err), 0);
	s = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN);
	ck_assert_str_eq(s, "{\"Titles\":[\"UID\",\"PID\",\"PPID\",\"C\","
	    "\"STIME\",\"TTY\",\"TIME\",\"CMD\"],\"Processes\":[[\"root\","
	    "\"412\",\"400\",\"0\",\"10:01\",\"?\",\"00:00:00\","
	    "\"sleep 300\"],[\"www\",\"413\",\"412\",\"0\",\"10:01\",\"?\","
	    "\"00:00:00\",\"sh -c echo a b\"]]}");
	json_object_put(res);
	ck_assert_int_lt(containers_top_parse("UID CMD\nroot x\n", pids, 2,
	    &res, &err), 0);
	ck_assert_str_eq(err.msg, "Couldn't find PID field in ps output");
	ck_assert_int_lt(containers_top_parse("PID CMD\nabc x\n", pids, 2,
	    &res, &err), 0);
}
END_TEST

/* prune's until: a Go duration before now, or a timestamp. */
START_TEST(until_parse)
{
	int64_t	ns, now = 1700000000000000000LL;

	ck_assert_int_eq(containers_until_parse("1h30m", now, &ns), 0);
	ck_assert_int_eq(ns, now - 5400LL * 1000000000LL);
	ck_assert_int_eq(containers_until_parse("90s", now, &ns), 0);
	ck_assert_int_eq(ns, now - 90LL * 1000000000LL);
	ck_assert_int_eq(containers_until_parse("1700000000.5", now, &ns), 0);
	ck_assert_int_eq(ns, 1700000000500000000LL);
	ck_assert_int_lt(containers_until_parse("soon", now, &ns), 0);
	ck_assert_int_lt(containers_until_parse("10x", now, &ns), 0);
}
END_TEST

/* docker cp: Docker's reading of a path, Go's FileMode. */
START_TEST(archive_paths)
{
	struct ctr_apath	ap;
	char			b[64];

	ck_assert_int_eq(containers_apath("/dir", &ap), 0);
	ck_assert_str_eq(ap.abs, "/dir");
	ck_assert_str_eq(ap.dir, "/");
	ck_assert_str_eq(ap.base, "dir");
	ck_assert_str_eq(ap.name, "dir");
	ck_assert_int_eq(containers_apath("dir/./", &ap), 0);
	ck_assert_str_eq(ap.abs, "/dir/./");
	ck_assert_str_eq(ap.name, ".");
	ck_assert_int_eq(containers_apath("/dir/.", &ap), 0);
	ck_assert_str_eq(ap.abs, "/dir/.");
	ck_assert_str_eq(ap.dir, "/dir/");
	ck_assert_str_eq(ap.base, ".");
	ck_assert_str_eq(ap.name, ".");
	ck_assert_int_eq(containers_apath("/a//b/../c/", &ap), 0);
	ck_assert_str_eq(ap.abs, "/a/c/");
	ck_assert_str_eq(ap.dir, "/a/c/");
	ck_assert_str_eq(ap.base, "");
	ck_assert_str_eq(ap.name, "c");
	ck_assert_int_eq(containers_apath("/../../etc/hostname", &ap), 0);
	ck_assert_str_eq(ap.abs, "/etc/hostname");
	ck_assert_int_eq(containers_apath("/", &ap), 0);
	ck_assert_str_eq(ap.abs, "/");
	ck_assert_str_eq(ap.name, "/");
	ck_assert_int_eq(containers_apath(".", &ap), 0);
	ck_assert_str_eq(ap.abs, "/.");
	ck_assert_int_lt(containers_apath("", &ap), 0);

	ck_assert_int_eq(containers_path_clean("/tmp/../../x", b, sizeof(b)),
	    0);
	ck_assert_str_eq(b, "/x");
	ck_assert_int_eq(containers_path_clean("", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "/");

	/* io/fs: ModeDir 1<<31, ModeSymlink 1<<27, ModeDevice 1<<26, ... */
	ck_assert_uint_eq(containers_go_filemode(S_IFREG | 0644), 0644);
	ck_assert_uint_eq(containers_go_filemode(S_IFDIR | 0755),
	    2147483648u | 0755);
	ck_assert_uint_eq(containers_go_filemode(S_IFLNK | 0777),
	    134217728u | 0777);
	ck_assert_uint_eq(containers_go_filemode(S_IFCHR | 0620),
	    (1u << 26) | (1u << 21) | 0620);
	ck_assert_uint_eq(containers_go_filemode(S_IFBLK | 0660),
	    (1u << 26) | 0660);
	ck_assert_uint_eq(containers_go_filemode(S_IFIFO | 0600),
	    (1u << 25) | 0600);
	ck_assert_uint_eq(containers_go_filemode(S_IFSOCK | 0755),
	    (1u << 24) | 0755);
	ck_assert_uint_eq(containers_go_filemode(S_IFREG | S_ISUID | 0755),
	    (1u << 23) | 0755);
	ck_assert_uint_eq(containers_go_filemode(S_IFDIR | S_ISGID | 0755),
	    (1u << 31) | (1u << 22) | 0755);
	ck_assert_uint_eq(containers_go_filemode(S_IFDIR | S_ISVTX | 0777),
	    (1u << 31) | (1u << 20) | 0777);

}
END_TEST

/* A tar in a temporary file: "f:NAME", "d:NAME", "l:NAME:TARGET", "h:..". */
static int
untar_fixture(const char *const *specs)
{
	struct archive		*a;
	struct archive_entry	*e;
	char			 path[] = "/tmp/check_untar.XXXXXX", buf[512];
	char			*colon;
	int			 fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	unlink(path);
	ck_assert_ptr_nonnull(a = archive_write_new());
	ck_assert_int_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (; *specs != NULL; specs++) {
		snprintf(buf, sizeof(buf), "%s", *specs + 2);
		if ((colon = strchr(buf, ':')) != NULL)
			*colon++ = '\0';
		e = archive_entry_new();
		archive_entry_set_pathname(e, buf);
		archive_entry_set_mtime(e, 1000000000, 0);
		switch ((*specs)[0]) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0640);
			archive_entry_set_size(e, 4);
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0750);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, colon);
			break;
		default:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, colon);
			break;
		}
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		if ((*specs)[0] == 'f')
			ck_assert_int_eq(archive_write_data(a, "evil", 4), 4);
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int
untar_run(int rootfd, const char *dest, int no_overwrite,
    const char *const *specs, struct berth_err *err)
{
	struct ctr_untar	o;
	int			fd, rc;

	memset(&o, 0, sizeof(o));
	o.dest = dest;
	o.no_overwrite = no_overwrite;
	fd = untar_fixture(specs);
	berth_err_clear(err);
	rc = containers_untar(rootfd, &o, fd, err);
	close(fd);
	return rc;
}

/* PUT archive: Docker's rules, and nothing written outside the root. */
START_TEST(untar_rules)
{
	char			root[] = "/tmp/check_untar_root.XXXXXX";
	char			p[512], host[128];
	struct berth_err	err = BERTH_ERR_INIT;
	struct stat		st;
	int			rfd;

	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/tmp", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_ge(rfd = open(root, O_PATH | O_DIRECTORY), 0);
	snprintf(host, sizeof(host), "check-untar-%d", (int)getpid());

	ck_assert_int_eq(untar_run(rfd, "/tmp", 0, (const char *const[]){
	    "d:d", "f:d/f", NULL }, &err), 0);
	snprintf(p, sizeof(p), "%s/tmp/d/f", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(st.st_mtime, 1000000000);
	snprintf(p, sizeof(p), "%s/tmp/d", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0750);

	/* Climbing out of the destination fails, as Docker's breakout. */
	ck_assert_int_lt(untar_run(rfd, "/tmp", 0, (const char *const[]){
	    "f:../x", NULL }, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "is outside of"));
	ck_assert_int_lt(untar_run(rfd, "/tmp", 0, (const char *const[]){
	    "l:s:../..", NULL }, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid symlink"));
	ck_assert_int_lt(untar_run(rfd, "/tmp", 0, (const char *const[]){
	    "h:hl:../../etc/passwd", NULL }, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid hardlink"));

	/* A symlink to "/" then a write through it: the root's /tmp. */
	snprintf(p, sizeof(p), "f:esc/tmp/%s", host);
	ck_assert_int_eq(untar_run(rfd, "/tmp", 0, (const char *const[]){
	    "l:esc:/", p, NULL }, &err), 0);
	snprintf(p, sizeof(p), "/tmp/%s", host);
	ck_assert_int_eq(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/tmp/%s", root, host);
	ck_assert_int_eq(access(p, F_OK), 0);

	/* noOverwriteDirNonDir: a directory is not replaced by a file. */
	ck_assert_int_lt(untar_run(rfd, "/tmp", 1, (const char *const[]){
	    "f:d", NULL }, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot overwrite directory"));
	ck_assert_int_eq(untar_run(rfd, "/tmp", 0, (const char *const[]){
	    "f:d", NULL }, &err), 0);
	snprintf(p, sizeof(p), "%s/tmp/d", root);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISREG(st.st_mode));

	close(rfd);
	rm_rf(root);
}
END_TEST

/* Docker's restart manager: which exits restart, and the backoff. */
START_TEST(policy_decide)
{
	uint64_t	b = 0;
	int64_t		s = 1000000000LL;
	int		i;

	ck_assert_int_eq(containers_policy_decide("no", 0, 1, 0, 0, 0, &b), 0);
	ck_assert_int_eq(containers_policy_decide("always", 0, 0, 0, 0, 0,
	    &b), 1);
	ck_assert_int_eq(b, 100);
	ck_assert_int_eq(containers_policy_decide("always", 0, 0, 0, 1, 0,
	    &b), 1);
	ck_assert_int_eq(b, 200);
	for (i = 0; i < 20; i++)
		(void)containers_policy_decide("always", 0, 0, 0, 2, 0, &b);
	ck_assert_int_eq(b, 60000);
	/* A run of 10 s starts the backoff over. */
	ck_assert_int_eq(containers_policy_decide("always", 0, 0, 0, 3,
	    10 * s, &b), 1);
	ck_assert_int_eq(b, 100);
	/* Stopped by hand: a pending restart is called off. */
	ck_assert_int_eq(containers_policy_decide("always", 0, 0, 1, 0, 0,
	    &b), 0);
	ck_assert_int_eq(containers_policy_decide("unless-stopped", 0, 0, 1,
	    0, 0, &b), 0);
	ck_assert_int_eq(containers_policy_decide("unless-stopped", 0, 0, 0,
	    0, 0, &b), 1);
	ck_assert_int_eq(containers_policy_decide("on-failure", 0, 0, 0, 0,
	    0, &b), 0);
	ck_assert_int_eq(containers_policy_decide("on-failure", 2, 3, 0, 1,
	    0, &b), 1);
	ck_assert_int_eq(containers_policy_decide("on-failure", 2, 3, 0, 2,
	    0, &b), 0);
	ck_assert_int_eq(containers_policy_decide("on-failure", 0, 3, 0, 99,
	    0, &b), 1);
}
END_TEST

/* --- the spec ----------------------------------------------------------- */

static json_object *
spec_of(const char *cfg, const char *hc, int want_rc)
{
	struct spec_in		 in;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*c = J(cfg), *h = J(hc), *s = NULL;

	memset(&in, 0, sizeof(in));
	in.id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	in.config = c;
	in.hostconfig = h;
	in.rootfs = rootfs;
	in.ctr_dir = "/var/lib/berth/containers/x";
	in.init_path = "/usr/bin/tini-static";
	in.host_devices = 1;
	ck_assert_int_eq(containers_spec(&in, &s, &err), want_rc);
	json_object_put(c);
	json_object_put(h);
	return s;
}

static json_object *
path(json_object *o, const char *a, const char *b)
{
	o = json_object_object_get(o, a);
	return b != NULL ? json_object_object_get(o, b) : o;
}

static int
has_mount(json_object *s, const char *dst, const char *type)
{
	json_object	*m = json_object_object_get(s, "mounts");
	size_t		 i;

	for (i = 0; i < json_object_array_length(m); i++)
		if (strcmp(berth_json_str(json_object_array_get_idx(m, i),
		    "destination"), dst) == 0 && strcmp(berth_json_str(
		    json_object_array_get_idx(m, i), "type"), type) == 0)
			return 1;
	return 0;
}

static int
has_ns(json_object *s, const char *type)
{
	json_object	*n = path(s, "linux", "namespaces");
	size_t		 i;

	for (i = 0; i < json_object_array_length(n); i++)
		if (strcmp(berth_json_str(json_object_array_get_idx(n, i),
		    "type"), type) == 0)
			return 1;
	return 0;
}

START_TEST(spec_default)
{
	json_object	*s, *p;

	make_rootfs();
	s = spec_of("{\"Cmd\":[\"sh\",\"-c\",\"exit 3\"],\"Hostname\":\"abc\","
	    "\"Env\":[\"X=1\"],\"WorkingDir\":\"/w\",\"User\":\"alice\"}",
	    "{\"NetworkMode\":\"default\"}", 0);
	p = json_object_object_get(s, "process");
	ck_assert_str_eq(json_object_to_json_string_ext(path(s, "process",
	    "args"), JSON_C_TO_STRING_PLAIN),
	    "[\"sh\",\"-c\",\"exit 3\"]");
	ck_assert_str_eq(berth_json_str(p, "cwd"), "/w");
	ck_assert_int_eq(json_object_get_int(path(p, "user", "uid")), 1000);
	ck_assert_int_eq(json_object_array_length(path(p, "user",
	    "additionalGids")), 2);
	ck_assert_int_eq(json_object_array_length(path(p, "capabilities",
	    "bounding")), 14);
	ck_assert(!json_object_get_boolean(json_object_object_get(p,
	    "terminal")));
	ck_assert_str_eq(berth_json_str(s, "hostname"), "abc");
	ck_assert_str_eq(berth_json_str(path(s, "root", NULL), "path"), rootfs);
	ck_assert_str_eq(berth_json_str(json_object_object_get(s, "linux"),
	    "cgroupsPath"), "/berth/0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef");
	ck_assert(has_ns(s, "network"));
	ck_assert(has_ns(s, "pid"));
	ck_assert(has_ns(s, "uts"));
	ck_assert(has_mount(s, "/proc", "proc"));
	ck_assert(has_mount(s, "/dev/pts", "devpts"));
	ck_assert(has_mount(s, "/dev/shm", "tmpfs"));
	ck_assert(has_mount(s, "/dev/mqueue", "mqueue"));
	ck_assert(has_mount(s, "/sys/fs/cgroup", "cgroup"));
	ck_assert(has_mount(s, "/etc/hosts", "bind"));
	ck_assert(has_mount(s, "/etc/resolv.conf", "bind"));
	ck_assert(has_mount(s, "/etc/hostname", "bind"));
	ck_assert_int_eq(json_object_array_length(path(s, "linux",
	    "maskedPaths")), 10);
	ck_assert_int_eq(json_object_array_length(path(s, "linux",
	    "readonlyPaths")), 5);
	ck_assert_ptr_nonnull(path(s, "linux", "seccomp"));
	json_object_put(s);

	/* A user that does not exist fails the start with Docker's words. */
	ck_assert_ptr_null(spec_of("{\"Cmd\":[\"sh\"],\"User\":\"ghost\"}",
	    "{}", -EINVAL));
	rm_rf(tmproot);
}
END_TEST

START_TEST(spec_hostconfigs)
{
	json_object	*s, *r;

	make_rootfs();
	s = spec_of("{\"Cmd\":[\"sh\"],\"Tty\":true}",
	    "{\"NetworkMode\":\"host\",\"Memory\":67108864,"
	    "\"NanoCpus\":1500000000,\"PidsLimit\":50,\"ReadonlyRootfs\":true,"
	    "\"Tmpfs\":{\"/run\":\"size=1m\"},\"Init\":true,"
	    "\"SecurityOpt\":[\"seccomp=unconfined\",\"no-new-privileges\"],"
	    "\"CapDrop\":[\"ALL\"],\"Ulimits\":[{\"Name\":\"nofile\","
	    "\"Soft\":100,\"Hard\":200}],\"Sysctls\":{\"net.ipv4.ip_forward\":"
	    "\"1\"}}", 0);
	ck_assert(!has_ns(s, "network"));
	ck_assert(!has_ns(s, "uts"));
	r = path(s, "linux", "resources");
	ck_assert_int_eq(json_object_get_int64(path(r, "memory", "limit")),
	    67108864);
	ck_assert_int_eq(json_object_get_int64(path(r, "memory", "swap")),
	    2 * 67108864);
	ck_assert_int_eq(json_object_get_int64(path(r, "cpu", "quota")),
	    150000);
	ck_assert_int_eq(json_object_get_int64(path(r, "cpu", "period")),
	    100000);
	ck_assert_int_eq(json_object_get_int64(path(r, "pids", "limit")), 50);
	ck_assert(json_object_get_boolean(path(s, "root", "readonly")));
	ck_assert(has_mount(s, "/run", "tmpfs"));
	ck_assert(has_mount(s, "/sbin/docker-init", "bind"));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    path(s, "process", "args"), 0)), "/sbin/docker-init");
	ck_assert(json_object_get_boolean(path(s, "process", "terminal")));
	ck_assert(json_object_get_boolean(path(s, "process",
	    "noNewPrivileges")));
	ck_assert_ptr_null(path(s, "linux", "seccomp"));
	ck_assert_int_eq(json_object_array_length(path(path(s, "process",
	    "capabilities"), "bounding", NULL)), 0);
	ck_assert_str_eq(berth_json_str(json_object_array_get_idx(path(s,
	    "process", "rlimits"), 0), "type"), "RLIMIT_NOFILE");
	ck_assert_str_eq(berth_json_str(path(s, "linux", "sysctl"),
	    "net.ipv4.ip_forward"), "1");
	json_object_put(s);

	ck_assert_ptr_null(spec_of("{\"Cmd\":[\"sh\"]}",
	    "{\"SecurityOpt\":[\"bogus=1\"]}", -EINVAL));
	ck_assert_ptr_null(spec_of("{\"Cmd\":[\"sh\"]}",
	    "{\"CapAdd\":[\"CAP_NOPE\"]}", -EINVAL));
	ck_assert_ptr_null(spec_of("{}", "{}", -EINVAL));
	rm_rf(tmproot);
}
END_TEST

START_TEST(spec_privileged)
{
	json_object	*s, *devs, *d;
	size_t		 i;
	int		 null_seen = 0;

	make_rootfs();
	s = spec_of("{\"Cmd\":[\"sh\"]}", "{\"Privileged\":true}", 0);
	ck_assert_int_gt(json_object_array_length(path(path(s, "process",
	    "capabilities"), "bounding", NULL)), 30);
	ck_assert_ptr_null(path(s, "linux", "seccomp"));
	ck_assert_ptr_null(path(s, "linux", "maskedPaths"));
	ck_assert_ptr_null(path(s, "linux", "readonlyPaths"));
	devs = path(s, "linux", "devices");
	for (i = 0; i < json_object_array_length(devs); i++) {
		d = json_object_array_get_idx(devs, i);
		if (strcmp(berth_json_str(d, "path"), "/dev/null") == 0) {
			null_seen = 1;
			ck_assert_int_eq(json_object_get_int(berth_json_get(d,
			    "major")), 1);
		}
	}
	ck_assert(null_seen);
	/* The device cgroup allows everything. */
	d = json_object_array_get_idx(path(path(s, "linux", "resources"),
	    "devices", NULL), 0);
	ck_assert(json_object_get_boolean(berth_json_get(d, "allow")));
	json_object_put(s);
	rm_rf(tmproot);
}
END_TEST

/* --- the API, through stand-in drivers ------------------------------------- */

#define IMG_ID	"sha256:1111111111111111111111111111111111111111111111111111111111111111"

static int	img_users;
static int	rt_creates, rt_starts, rt_deletes, rt_last_signal;
static int	rt_running;
static int	rt_fail_create;
static const struct berth_runtime_events *rt_ev;
static void	*rt_ev_arg;

static int
img_resolve(void *st, const char *ref, char *id, json_object **image,
    struct berth_err *err)
{
	if (strcmp(ref, "busybox") != 0 && strcmp(ref, IMG_ID) != 0)
		return berth_err_set(err, -ENOENT, "No such image: %s", ref);
	strcpy(id, IMG_ID);
	if (image != NULL)
		*image = J("{\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/bin\"],"
		    "\"Labels\":{\"from\":\"image\"}}}");
	return 0;
}

static int
img_use(void *st, const char *id, const char *user, struct berth_err *err)
{
	img_users++;
	return 0;
}

static void
img_unuse(void *st, const char *id, const char *user)
{
	img_users--;
}

static void
img_mount(void *st, const char *id, const char *owner,
    berth_image_path_cb done, void *arg)
{
	done(arg, 0, rootfs, NULL);
}

static void
img_done(void *st, const char *owner, berth_image_done_cb done, void *arg)
{
	done(arg, 0, NULL);
}

static int
img_paths(void *st, const char *owner, char *merged, char *upper, size_t len)
{
	snprintf(merged, len, "%s", rootfs);
	snprintf(upper, len, "%s/upper", tmproot);
	return 0;
}

static const struct berth_image_ops img_ops = {
	.size = sizeof(struct berth_image_ops),
	.resolve = img_resolve,
	.use = img_use,
	.unuse = img_unuse,
	.rootfs_mount = img_mount,
	.rootfs_unmount = img_done,
	.rootfs_remove = img_done,
	.rootfs_paths = img_paths,
};

static const char *
rt_default(void *st)
{
	return "runc";
}

static const char *
rt_path(void *st)
{
	return "/usr/sbin/runc";
}

static void
rt_create(void *st, const struct berth_runtime_create *c,
    berth_runtime_done_cb done, void *arg)
{
	struct berth_err	err = BERTH_ERR_INIT;
	char			p[1024];

	rt_creates++;
	rt_ev = c->events;
	rt_ev_arg = c->events_arg;
	snprintf(p, sizeof(p), "%s/config.json", c->bundle);
	ck_assert_int_eq(access(p, R_OK), 0);
	if (rt_fail_create) {
		berth_err_set(&err, -EIO, "exec: \"nope\": executable file "
		    "not found in $PATH");
		done(arg, -EIO, &err);
		return;
	}
	done(arg, 0, NULL);
}

static void
rt_start(void *st, const char *id, berth_runtime_done_cb done, void *arg)
{
	rt_starts++;
	rt_running = 1;
	done(arg, 0, NULL);
}

static void
rt_kill(void *st, const char *id, int signo, int all,
    berth_runtime_done_cb done, void *arg)
{
	rt_last_signal = signo;
	done(arg, 0, NULL);
}

static void
rt_op(void *st, const char *id, berth_runtime_done_cb done, void *arg)
{
	done(arg, 0, NULL);
}

static void
rt_delete(void *st, const char *id, berth_runtime_done_cb done, void *arg)
{
	rt_deletes++;
	done(arg, 0, NULL);
}

static int
rt_state(void *st, const char *id, struct berth_runtime_state *out)
{
	memset(out, 0, sizeof(*out));
	out->status = rt_running ? BERTH_RT_RUNNING : BERTH_RT_STOPPED;
	out->pid = rt_running ? 4242 : 0;
	return 0;
}

static int
rt_restore(void *st, const char *id, const struct berth_runtime_events *ev,
    void *arg, struct berth_runtime_state *out, struct berth_err *err)
{
	rt_ev = ev;
	rt_ev_arg = arg;
	return rt_state(st, id, out);
}

static void
rt_attach(void *st, const char *id, const char *exec_id, int fd,
    uint32_t flags, const char *keys, berth_runtime_done_cb done, void *arg)
{
	close(fd);
	done(arg, 0, NULL);
}

static void
rt_resize(void *st, const char *id, const char *exec_id, unsigned rows,
    unsigned cols, berth_runtime_done_cb done, void *arg)
{
	done(arg, 0, NULL);
}

static const struct berth_runtime_ops rt_ops = {
	.size = sizeof(struct berth_runtime_ops),
	.default_name = rt_default,
	.path = rt_path,
	.create = rt_create,
	.start = rt_start,
	.kill = rt_kill,
	.pause = rt_op,
	.resume = rt_op,
	.delete = rt_delete,
	.state = rt_state,
	.restore = rt_restore,
	.attach = rt_attach,
	.resize = rt_resize,
};

static void		*mod_state;

static void
api_setup(void)
{
	char			data[600], exec[600];
	struct berth_err	err = BERTH_ERR_INIT;

	mock_reset();
	make_rootfs();
	snprintf(data, sizeof(data), "%s/data", tmproot);
	snprintf(exec, sizeof(exec), "%s/exec", tmproot);
	mock_set_roots(data, exec);
	img_users = rt_creates = rt_starts = rt_deletes = rt_running = 0;
	rt_fail_create = rt_last_signal = 0;
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_IMAGE_IFACE,
	    BERTH_IMAGE_DRIVER, &img_ops, NULL, &err), 0);
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_RUNTIME_IFACE,
	    "runc", &rt_ops, NULL, &err), 0);
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_RUNTIME_IFACE,
	    BERTH_RUNTIME_DEFAULT, &rt_ops, NULL, &err), 0);
	ck_assert_int_eq(berth_module.init(&mock_host, NULL, &mod_state, &err),
	    0);
}

static void
api_teardown(void)
{
	berth_module.fini(mod_state);
	rm_rf(tmproot);
	mock_reset();
}

static struct berth_req *
call(enum berth_method m, const char *pattern, const char *id,
    const char *body, ...)
{
	struct berth_req	*r = mock_req_new();
	berth_handler		 h;
	void			*st;
	va_list			 ap;
	const char		*k, *v;

	mock_req_set_method(r, m);
	if (id != NULL)
		mock_req_set_param(r, "id", id);
	if (body != NULL) {
		mock_req_set_header(r, "Content-Type", "application/json");
		mock_req_set_body(r, body, strlen(body));
	}
	va_start(ap, body);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		mock_req_set_query(r, k, v);
	}
	va_end(ap);
	ck_assert_ptr_nonnull(h = mock_route_find(m, pattern, &st));
	h(r, st);
	return r;
}

static char *
create(const char *body, const char *name, int want)
{
	struct berth_req	*r;
	json_object		*o;
	char			*id = NULL;

	r = name != NULL ?
	    call(BERTH_POST, "/containers/create", NULL, body, "name", name,
	    NULL) :
	    call(BERTH_POST, "/containers/create", NULL, body, NULL);
	ck_assert_msg(mock_req_status(r) == want, "status %d: %s",
	    mock_req_status(r), mock_req_output(r));
	if (want == 201) {
		o = J(mock_req_output(r));
		id = strdup(berth_json_str(o, "Id"));
		json_object_put(o);
	}
	mock_req_free(r);
	return id;
}

START_TEST(api_create_errors)
{
	struct berth_req	*r;
	char			*id, msg[512];

	id = create("{\"Image\":\"busybox\"}", "web", 201);
	ck_assert_uint_eq(strlen(id), 64);
	ck_assert_int_eq(img_users, 1);
	ck_assert_str_eq(mock_last_event()->action, "create");
	ck_assert_str_eq(berth_json_str(mock_last_event()->attrs, "name"),
	    "web");
	ck_assert_str_eq(berth_json_str(mock_last_event()->attrs, "image"),
	    "busybox");
	ck_assert_str_eq(berth_json_str(mock_last_event()->attrs, "from"),
	    "image");

	r = call(BERTH_POST, "/containers/create", NULL,
	    "{\"Image\":\"busybox\"}", "name", "web", NULL);
	ck_assert_int_eq(mock_req_status(r), 409);
	snprintf(msg, sizeof(msg), "{\"message\":\"Conflict. The container "
	    "name \\\"/web\\\" is already in use by container \\\"%s\\\". You "
	    "have to remove (or rename) that container to be able to reuse "
	    "that name.\"}\n", id);
	ck_assert_str_eq(mock_req_output(r), msg);
	mock_req_free(r);

	r = call(BERTH_POST, "/containers/create", NULL,
	    "{\"Image\":\"nothere:1\"}", NULL);
	ck_assert_int_eq(mock_req_status(r), 404);
	ck_assert_str_eq(mock_req_output(r),
	    "{\"message\":\"No such image: nothere:1\"}\n");
	mock_req_free(r);

	r = call(BERTH_POST, "/containers/create", NULL,
	    "{\"Image\":\"busybox\",\"HostConfig\":{\"Runtime\":\"nope\"}}",
	    NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	ck_assert_str_eq(mock_req_output(r),
	    "{\"message\":\"Unknown runtime specified nope\"}\n");
	mock_req_free(r);

	r = call(BERTH_POST, "/containers/create", NULL,
	    "{\"Image\":\"busybox\"}", "name", "-bad", NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	mock_req_free(r);

	r = call(BERTH_POST, "/containers/create", NULL,
	    "{\"Image\":\"busybox\",\"HostConfig\":{\"LogConfig\":"
	    "{\"Type\":\"syslog\"}}}", NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	ck_assert_str_eq(mock_req_output(r), "{\"message\":\"logger: no log "
	    "driver named 'syslog' is registered\"}\n");
	mock_req_free(r);

	/* Cmd as a lone string, as Docker's StrSlice takes it. */
	r = call(BERTH_POST, "/containers/create", NULL,
	    "{\"Image\":\"busybox\",\"Cmd\":\"echo hi\"}", NULL);
	ck_assert_int_eq(mock_req_status(r), 201);
	mock_req_free(r);
	r = call(BERTH_POST, "/containers/create", NULL,
	    "{\"Image\":\"busybox\",\"Cmd\":[1]}", NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	mock_req_free(r);

	/* An image with no command and none given. */
	r = call(BERTH_POST, "/containers/create", NULL,
	    "{\"Image\":\"busybox\",\"Entrypoint\":[\"\"],\"Cmd\":[]}", NULL);
	ck_assert_int_eq(mock_req_status(r), 201);
	mock_req_free(r);

	/* Lookups: by name with and without '/', and by prefix. */
	r = call(BERTH_GET, "/containers/{id}/json", "/web", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 200);
	mock_req_free(r);
	msg[0] = '\0';
	snprintf(msg, 8, "%s", id);
	r = call(BERTH_GET, "/containers/{id}/json", msg, NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 200);
	mock_req_free(r);
	r = call(BERTH_GET, "/containers/{id}/json", "zzz", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 404);
	ck_assert_str_eq(mock_req_output(r),
	    "{\"message\":\"No such container: zzz\"}\n");
	mock_req_free(r);
	free(id);
}
END_TEST

START_TEST(api_lifecycle)
{
	struct berth_req	*r, *w;
	json_object		*o;
	char			*id;

	id = create("{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"Labels\":"
	    "{\"l\":\"v\"}}", "life", 201);

	/* wait answers its headers at once */
	w = call(BERTH_POST, "/containers/{id}/wait", "life", NULL,
	    "condition", "next-exit", NULL);
	ck_assert(mock_req_started(w));
	ck_assert_int_eq(mock_req_status(w), 200);
	ck_assert_int_eq(mock_req_ended(w), 0);

	r = call(BERTH_POST, "/containers/{id}/start", "life", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 204);
	mock_req_free(r);
	ck_assert_int_eq(rt_creates, 1);
	ck_assert_int_eq(rt_starts, 1);
	ck_assert_str_eq(mock_last_event()->action, "start");

	r = call(BERTH_POST, "/containers/{id}/start", "life", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 304);
	mock_req_free(r);

	r = call(BERTH_GET, "/containers/{id}/json", "life", NULL, NULL);
	o = J(mock_req_output(r));
	ck_assert_str_eq(berth_json_str(berth_json_get(o, "State"), "Status"),
	    "running");
	ck_assert_int_eq(json_object_get_int(berth_json_get(berth_json_get(o,
	    "State"), "Pid")), 4242);
	ck_assert_str_eq(berth_json_str(berth_json_get(o, "HostConfig"),
	    "Runtime"), "runc");
	ck_assert_str_eq(berth_json_str(berth_json_get(o, "HostConfig"),
	    "NetworkMode"), "default");
	ck_assert_str_eq(berth_json_str(berth_json_get(berth_json_get(o,
	    "HostConfig"), "LogConfig"), "Type"), "json-file");
	ck_assert_int_eq(json_object_get_int64(berth_json_get(berth_json_get(o,
	    "HostConfig"), "ShmSize")), 64 << 20);
	ck_assert_str_eq(berth_json_str(o, "Name"), "/life");
	ck_assert_str_eq(berth_json_str(o, "Path"), "true");
	ck_assert_str_eq(berth_json_str(o, "Image"), IMG_ID);
	ck_assert_str_eq(berth_json_str(o, "Driver"), "overlay2");
	json_object_put(o);
	mock_req_free(r);

	/* list: running shows; filters */
	r = call(BERTH_GET, "/containers/json", NULL, NULL, "filters",
	    "{\"label\":{\"l=v\":true},\"status\":{\"running\":true}}", NULL);
	o = J(mock_req_output(r));
	ck_assert_int_eq(json_object_array_length(o), 1);
	ck_assert_str_eq(berth_json_str(json_object_array_get_idx(o, 0),
	    "State"), "running");
	json_object_put(o);
	mock_req_free(r);
	r = call(BERTH_GET, "/containers/json", NULL, NULL, "filters",
	    "{\"status\":{\"bogus\":true}}", NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	mock_req_free(r);

	/* kill with a name and a bad signal */
	r = call(BERTH_POST, "/containers/{id}/kill", "life", NULL, "signal",
	    "USR1", NULL);
	ck_assert_int_eq(mock_req_status(r), 204);
	ck_assert_int_eq(rt_last_signal, SIGUSR1);
	ck_assert_str_eq(mock_last_event()->action, "kill");
	ck_assert_str_eq(berth_json_str(mock_last_event()->attrs, "signal"),
	    "10");
	mock_req_free(r);
	r = call(BERTH_POST, "/containers/{id}/kill", "life", NULL, "signal",
	    "NOPE", NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	ck_assert_str_eq(mock_req_output(r),
	    "{\"message\":\"Invalid signal: NOPE\"}\n");
	mock_req_free(r);

	/* running: rm without force refused */
	r = call(BERTH_DELETE, "/containers/{id}", "life", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 409);
	mock_req_free(r);

	/* the process exits */
	rt_running = 0;
	rt_ev->exited(rt_ev_arg, id, NULL, 3, 0, 0);
	ck_assert_int_eq(mock_req_ended(w), 1);
	ck_assert_str_eq(mock_req_output(w), "{\"Error\":null,\"StatusCode\":3}\n");
	mock_req_free(w);
	ck_assert_int_eq(rt_deletes, 1);

	r = call(BERTH_POST, "/containers/{id}/stop", "life", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 304);
	mock_req_free(r);
	r = call(BERTH_POST, "/containers/{id}/kill", "life", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 409);
	mock_req_free(r);

	r = call(BERTH_GET, "/containers/json", NULL, NULL, "filters",
	    "{\"exited\":{\"3\":true}}", NULL);
	o = J(mock_req_output(r));
	ck_assert_int_eq(json_object_array_length(o), 1);
	ck_assert_ptr_nonnull(strstr(berth_json_str(json_object_array_get_idx(
	    o, 0), "Status"), "Exited (3)"));
	json_object_put(o);
	mock_req_free(r);

	/* not-running answers at once; removed waits for rm */
	w = call(BERTH_POST, "/containers/{id}/wait", "life", NULL, NULL);
	ck_assert_str_eq(mock_req_output(w), "{\"Error\":null,\"StatusCode\":3}\n");
	mock_req_free(w);
	w = call(BERTH_POST, "/containers/{id}/wait", "life", NULL,
	    "condition", "removed", NULL);
	ck_assert_int_eq(mock_req_ended(w), 0);
	r = call(BERTH_DELETE, "/containers/{id}", "life", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 204);
	mock_req_free(r);
	ck_assert_int_eq(mock_req_ended(w), 1);
	mock_req_free(w);
	ck_assert_str_eq(mock_last_event()->action, "destroy");
	ck_assert_int_eq(img_users, 0);
	r = call(BERTH_GET, "/containers/{id}/json", "life", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 404);
	mock_req_free(r);
	free(id);
}
END_TEST

START_TEST(api_autoremove_and_failed_start)
{
	struct berth_req	*r, *w;
	char			*id;

	id = create("{\"Image\":\"busybox\",\"Cmd\":[\"nope\"],\"HostConfig\":"
	    "{\"AutoRemove\":true}}", NULL, 201);
	w = call(BERTH_POST, "/containers/{id}/wait", id, NULL,
	    "condition", "removed", NULL);
	rt_fail_create = 1;
	r = call(BERTH_POST, "/containers/{id}/start", id, NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	ck_assert_ptr_nonnull(strstr(mock_req_output(r),
	    "executable file not found"));
	mock_req_free(r);
	ck_assert_int_eq(mock_req_ended(w), 1);
	ck_assert_str_eq(mock_req_output(w),
	    "{\"Error\":null,\"StatusCode\":127}\n");
	mock_req_free(w);
	r = call(BERTH_GET, "/containers/{id}/json", id, NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 404);
	mock_req_free(r);
	free(id);

	/* --rm after a normal exit: die, then destroy. */
	rt_fail_create = 0;
	id = create("{\"Image\":\"busybox\",\"HostConfig\":"
	    "{\"AutoRemove\":true}}", "rmme", 201);
	r = call(BERTH_POST, "/containers/{id}/start", id, NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 204);
	mock_req_free(r);
	rt_running = 0;
	rt_ev->exited(rt_ev_arg, id, NULL, 0, 0, 0);
	ck_assert_str_eq(mock_last_event()->action, "destroy");
	r = call(BERTH_GET, "/containers/{id}/json", "rmme", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 404);
	mock_req_free(r);
	free(id);
}
END_TEST

/* State survives a restart of the module; a stopped one is recorded. */
START_TEST(api_restore)
{
	struct berth_req	*r;
	struct berth_err	 err = BERTH_ERR_INIT;
	json_object		*o;
	char			*id;

	id = create("{\"Image\":\"busybox\"}", "keep", 201);
	r = call(BERTH_POST, "/containers/{id}/start", id, NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 204);
	mock_req_free(r);
	berth_module.fini(mod_state);

	/* Still running: comes back running. */
	mock_reset();
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_IMAGE_IFACE,
	    BERTH_IMAGE_DRIVER, &img_ops, NULL, &err), 0);
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_RUNTIME_IFACE,
	    BERTH_RUNTIME_DEFAULT, &rt_ops, NULL, &err), 0);
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_RUNTIME_IFACE,
	    "runc", &rt_ops, NULL, &err), 0);
	ck_assert_int_eq(berth_module.init(&mock_host, NULL, &mod_state, &err),
	    0);
	r = call(BERTH_GET, "/containers/{id}/json", "keep", NULL, NULL);
	o = J(mock_req_output(r));
	ck_assert_str_eq(berth_json_str(berth_json_get(o, "State"), "Status"),
	    "running");
	json_object_put(o);
	mock_req_free(r);
	berth_module.fini(mod_state);

	/* Exited while we were away: recorded, with a die event. */
	mock_reset();
	rt_running = 0;
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_IMAGE_IFACE,
	    BERTH_IMAGE_DRIVER, &img_ops, NULL, &err), 0);
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_RUNTIME_IFACE,
	    BERTH_RUNTIME_DEFAULT, &rt_ops, NULL, &err), 0);
	ck_assert_int_eq(mock_host.provide(&mock_host, BERTH_RUNTIME_IFACE,
	    "runc", &rt_ops, NULL, &err), 0);
	ck_assert_int_eq(berth_module.init(&mock_host, NULL, &mod_state, &err),
	    0);
	ck_assert_str_eq(mock_last_event()->action, "die");
	r = call(BERTH_GET, "/containers/{id}/json", "keep", NULL, NULL);
	o = J(mock_req_output(r));
	ck_assert_str_eq(berth_json_str(berth_json_get(o, "State"), "Status"),
	    "exited");
	json_object_put(o);
	mock_req_free(r);
	free(id);
}
END_TEST

static int
list_count(const char *filters, const char *all, const char *limit, int want)
{
	struct berth_req	*r;
	json_object		*o;
	int			 n;

	r = mock_req_new();
	mock_req_set_method(r, BERTH_GET);
	if (filters != NULL)
		mock_req_set_query(r, "filters", filters);
	if (all != NULL)
		mock_req_set_query(r, "all", all);
	if (limit != NULL)
		mock_req_set_query(r, "limit", limit);
	{
		void		*st;
		berth_handler	 h = mock_route_find(BERTH_GET,
		    "/containers/json", &st);

		h(r, st);
	}
	ck_assert_msg(mock_req_status(r) == want, "%s: %d %s", filters,
	    mock_req_status(r), mock_req_output(r));
	if (want != 200) {
		mock_req_free(r);
		return -1;
	}
	o = J(mock_req_output(r));
	n = (int)json_object_array_length(o);
	json_object_put(o);
	mock_req_free(r);
	return n;
}

START_TEST(api_filters)
{
	char	*a, *b, *g, f[256];

	a = create("{\"Image\":\"busybox\",\"Labels\":{\"a\":\"1\"}}",
	    "alpha", 201);
	b = create("{\"Image\":\"busybox\",\"Labels\":{\"a\":\"2\","
	    "\"b\":\"\"}}", "beta", 201);
	g = create("{\"Image\":\"busybox\"}", "gamma", 201);

	ck_assert_int_eq(list_count(NULL, NULL, NULL, 200), 0);
	ck_assert_int_eq(list_count(NULL, "1", NULL, 200), 3);
	ck_assert_int_eq(list_count(NULL, NULL, "1", 200), 1);
	snprintf(f, sizeof(f), "{\"id\":[\"%.10s\"]}", a);
	ck_assert_int_eq(list_count(f, "1", NULL, 200), 1);
	ck_assert_int_eq(list_count("{\"name\":[\"^/al\"]}", "1", NULL, 200),
	    1);
	ck_assert_int_eq(list_count("{\"name\":{\"a\":true}}", "1", NULL,
	    200), 3);
	ck_assert_int_eq(list_count("{\"label\":[\"a\"]}", "1", NULL, 200),
	    2);
	ck_assert_int_eq(list_count("{\"label\":[\"a=2\"]}", "1", NULL, 200),
	    1);
	ck_assert_int_eq(list_count("{\"label\":[\"a\",\"b\"]}", "1", NULL,
	    200), 1);
	ck_assert_int_eq(list_count("{\"before\":[\"gamma\"]}", NULL, NULL,
	    200), 2);
	ck_assert_int_eq(list_count("{\"since\":[\"alpha\"]}", NULL, NULL,
	    200), 2);
	ck_assert_int_eq(list_count("{\"ancestor\":[\"busybox\"]}", "1",
	    NULL, 200), 3);
	ck_assert_int_eq(list_count("{\"ancestor\":[\"nothere\"]}", "1",
	    NULL, 200), 0);
	/* A status filter lists stopped containers without all. */
	ck_assert_int_eq(list_count("{\"status\":{\"created\":true}}", NULL,
	    NULL, 200), 3);
	ck_assert_int_eq(list_count("{\"status\":[\"running\"]}", NULL,
	    NULL, 200), 0);
	ck_assert_int_eq(list_count("{\"exited\":[\"0\"]}", NULL, NULL, 200),
	    0);
	list_count("{\"bogus\":[\"x\"]}", NULL, NULL, 400);
	list_count("{\"exited\":[\"x\"]}", NULL, NULL, 400);
	list_count("{", NULL, NULL, 400);	/* dockerd 20.10: 500 */
	free(a);
	free(b);
	free(g);
}
END_TEST

START_TEST(api_info)
{
	json_object	*o = J("{\"SecurityOptions\":[]}");
	char		*id;

	id = create("{\"Image\":\"busybox\"}", NULL, 201);
	ck_assert_int_eq(mock_hook_run(BERTH_HOOK_INFO, o), 1);
	ck_assert_int_eq(json_object_get_int(berth_json_get(o, "Containers")), 1);
	ck_assert_int_eq(json_object_get_int(berth_json_get(o,
	    "ContainersStopped")), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    berth_json_get(o, "SecurityOptions"), 0)),
	    "name=seccomp,profile=default");
	json_object_put(o);
	free(id);
}
END_TEST

/* A runtime call that met the exit: Docker's 409, other errors as they are. */
START_TEST(rt_err_words)
{
	struct ctr		 c;
	struct berth_err	 rt = BERTH_ERR_INIT, buf = BERTH_ERR_INIT;
	const struct berth_err	*e;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%064d", 7);
	berth_err_set(&rt, -ECANCELED, "container %s: deleted", c.id);
	e = containers_rt_err(&c, -ECANCELED, &rt, &buf);
	ck_assert_ptr_eq(e, &buf);
	ck_assert_int_eq(e->code, -EBUSY);
	ck_assert_str_eq(e->msg, "Container "
	    "0000000000000000000000000000000000000000000000000000000000000007 "
	    "is not running");
	/* Other errors as they are, while the process lives... */
	c.st.status = CTR_RUNNING;
	c.st.pid = getpid();
	berth_err_set(&rt, -EIO, "runtime said no");
	ck_assert_ptr_eq(containers_rt_err(&c, -EIO, &rt, &buf), &rt);
	ck_assert(containers_init_alive(&c));
	/* ... and the 409 once it is gone (a pid nobody has). */
	c.st.pid = 0x3ffffff;
	ck_assert(!containers_init_alive(&c));
	ck_assert_ptr_eq(containers_rt_err(&c, -EIO, &rt, &buf), &buf);
	ck_assert_int_eq(buf.code, -EBUSY);
}
END_TEST

/* One table decides what runs now, in Docker's words when not. */
START_TEST(admit_table)
{
	struct ctr		c;
	struct berth_err	err = BERTH_ERR_INIT;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%064d", 9);
	c.st.status = CTR_RUNNING;
	c.st.pid = 1;
	ck_assert_int_eq(containers_admit(&c, CTR_OP_EXEC, &err), 0);
	ck_assert_int_eq(containers_admit(&c, CTR_OP_PAUSE, &err), 0);
	ck_assert_int_eq(containers_admit(&c, CTR_OP_UNPAUSE, &err), -EBUSY);
	ck_assert_str_eq(err.msg, "Container "
	    "0000000000000000000000000000000000000000000000000000000000000009 "
	    "is not paused");
	/* A pause in flight: an exec would be frozen with it. */
	c.pausing = 1;
	ck_assert_int_eq(containers_admit(&c, CTR_OP_EXEC, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err.msg, "is paused, unpause the "
	    "container before exec"));
	ck_assert_int_eq(containers_admit(&c, CTR_OP_TOP, &err), 0);
	c.pausing = 0;
	c.st.status = CTR_RESTARTING;
	ck_assert_int_eq(containers_admit(&c, CTR_OP_EXEC, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err.msg, "is restarting, wait until the "
	    "container is running"));
	c.st.status = CTR_EXITED;
	ck_assert_int_eq(containers_admit(&c, CTR_OP_TOP, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not running"));
	ck_assert_int_eq(containers_admit(&c, CTR_OP_COMMIT, &err), 0);
	c.removing = 1;
	ck_assert_int_eq(containers_admit(&c, CTR_OP_EXPORT, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err.msg, "which is being removed"));
	c.removing = 0;
	c.st.status = CTR_DEAD;
	ck_assert_int_eq(containers_admit(&c, CTR_OP_COMMIT, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err.msg, "which is Dead"));
	/* Starting: nothing to act on yet. */
	c.st.status = CTR_CREATED;
	c.starting = 1;
	ck_assert_int_eq(containers_admit(&c, CTR_OP_RESIZE, &err), -EBUSY);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("containers");
	TCase	*tc = tcase_create("pure");
	TCase	*api = tcase_create("api");

	tcase_add_test(tc, names_valid);
	tcase_add_test(tc, admit_table);
	tcase_add_test(tc, names_random);
	tcase_add_test(tc, args_rules);
	tcase_add_test(tc, env_merge);
	tcase_add_test(tc, merge_fields);
	tcase_add_test(tc, users);
	tcase_add_test(tc, users_symlink_stays_in_root);
	tcase_add_test(tc, caps_arith);
	tcase_add_test(tc, seccomp_default);
	tcase_add_test(tc, seccomp_profile);
	tcase_add_test(tc, signals);
	tcase_add_test(tc, times);
	tcase_add_test(tc, top_parse);
	tcase_add_test(tc, rt_err_words);
	tcase_add_test(tc, until_parse);
	tcase_add_test(tc, policy_decide);
	tcase_add_test(tc, archive_paths);
	tcase_add_test(tc, untar_rules);
	tcase_add_test(tc, spec_default);
	tcase_add_test(tc, spec_hostconfigs);
	tcase_add_test(tc, spec_privileged);
	tcase_add_test(tc, update_checks);
	tcase_add_test(tc, update_merge);
	tcase_add_test(tc, stats_cgroups);
	tcase_add_test(tc, stats_lines);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(api, api_setup, api_teardown);
	tcase_add_test(api, api_create_errors);
	tcase_add_test(api, api_lifecycle);
	tcase_add_test(api, api_autoremove_and_failed_start);
	tcase_add_test(api, api_restore);
	tcase_add_test(api, api_info);
	tcase_add_test(api, api_filters);
	suite_add_tcase(s, api);
	return s;
}

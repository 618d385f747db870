/*
 * api_system.c - the core's own endpoints: /_ping, /version, /info and
 * the /events route.  /info is assembled from what the core knows and
 * then handed to every module's BERTH_HOOK_INFO contribution.
 */
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "authz.h"
#include "core.h"
#include "events.h"
#include "log.h"
#include "modules.h"
#include "registry.h"
#include "router.h"
#include "version.h"

#ifndef BERTH_BUILD_TIME
#define BERTH_BUILD_TIME	__DATE__ " " __TIME__
#endif

static const struct berth_host	*H;
static struct utsname		 uts;
static char			 os_name[128] = "Linux";
static char			 os_version[64] = "";

static const char *
arch_go(void)
{
	/* Docker reports Go's GOARCH names in /version. */
	if (strcmp(uts.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(uts.machine, "aarch64") == 0)
		return "arm64";
	return uts.machine;
}

static void
read_os_release(void)
{
	FILE	*f;
	char	 line[256], *v;
	size_t	 n;

	if ((f = fopen("/etc/os-release", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((v = strchr(line, '=')) == NULL)
			continue;
		*v++ = '\0';
		if (*v == '"') {
			v++;
			n = strlen(v);
			if (n > 0 && v[n - 1] == '"')
				v[n - 1] = '\0';
		}
		if (strcmp(line, "PRETTY_NAME") == 0)
			snprintf(os_name, sizeof(os_name), "%s", v);
		else if (strcmp(line, "VERSION_ID") == 0)
			snprintf(os_version, sizeof(os_version), "%s", v);
	}
	fclose(f);
}

static int
file_is(const char *path, const char *want)
{
	FILE	*f;
	char	 buf[32];
	int	 ok = 0;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL)
		ok = strncmp(buf, want, strlen(want)) == 0;
	fclose(f);
	return ok;
}

static int
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0;	/* minus the DIR's own fd */
}

static void
system_ping(struct berth_req *r, void *state)
{
	H->resp_header(r, "Cache-Control", "no-cache, no-store, must-revalidate");
	H->resp_header(r, "Pragma", "no-cache");
	if (H->req_method(r) == BERTH_HEAD)
		H->resp_raw(r, 200, "text/plain; charset=utf-8", NULL, 0);
	else
		H->resp_raw(r, 200, "text/plain; charset=utf-8", "OK", 2);
}

static json_object *
str(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static void
system_version(struct berth_req *r, void *state)
{
	json_object	*o, *comps, *c, *d;
	struct core_mod	*m;
	char		 abi[16];

	o = json_object_new_object();
	d = json_object_new_object();
	json_object_object_add(d, "ApiVersion", str(BERTH_API_VERSION));
	json_object_object_add(d, "Arch", str(arch_go()));
	json_object_object_add(d, "BuildTime", str(BERTH_BUILD_TIME));
	json_object_object_add(d, "Experimental", str("false"));
	json_object_object_add(d, "GitCommit", str(BERTH_BUILD_ID));
	json_object_object_add(d, "GoVersion", str(""));
	json_object_object_add(d, "KernelVersion", str(uts.release));
	json_object_object_add(d, "MinAPIVersion", str(BERTH_API_MIN_VERSION));
	json_object_object_add(d, "Os", str("linux"));
	snprintf(abi, sizeof(abi), "%d.%d", BERTH_ABI_MAJOR, BERTH_ABI_MINOR);
	json_object_object_add(d, "ModuleABI", str(abi));
	comps = json_object_new_array();
	c = json_object_new_object();
	json_object_object_add(c, "Name", str("Engine"));
	json_object_object_add(c, "Version", str(BERTH_VERSION));
	json_object_object_add(c, "Details", d);
	json_object_array_add(comps, c);
	for (m = modules_first(); m != NULL; m = m->next) {
		c = json_object_new_object();
		d = json_object_new_object();
		json_object_object_add(c, "Name", str(m->name));
		json_object_object_add(c, "Version", str(m->desc->version));
		snprintf(abi, sizeof(abi), "%u.%u", m->desc->abi.major,
		    m->desc->abi.minor);
		json_object_object_add(d, "ABI", str(abi));
		json_object_object_add(d, "File", str(m->file));
		json_object_object_add(d, "GitCommit", str(""));
		json_object_object_add(c, "Details", d);
		json_object_array_add(comps, c);
	}
	d = json_object_new_object();
	json_object_object_add(d, "Name", str("berth " BERTH_VERSION));
	json_object_object_add(o, "Platform", d);
	json_object_object_add(o, "Components", comps);
	json_object_object_add(o, "Version", str(BERTH_VERSION));
	json_object_object_add(o, "ApiVersion", str(BERTH_API_VERSION));
	json_object_object_add(o, "MinAPIVersion", str(BERTH_API_MIN_VERSION));
	json_object_object_add(o, "GitCommit", str(BERTH_BUILD_ID));
	json_object_object_add(o, "GoVersion", str(""));
	json_object_object_add(o, "Os", str("linux"));
	json_object_object_add(o, "Arch", str(arch_go()));
	json_object_object_add(o, "KernelVersion", str(uts.release));
	json_object_object_add(o, "BuildTime", str(BERTH_BUILD_TIME));
	H->resp_json(r, 200, o);
	json_object_put(o);
}

static json_object *
commit(void)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "ID", str(""));
	json_object_object_add(o, "Expected", str(""));
	return o;
}

static void
add_bool(json_object *o, const char *k, int v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static json_object *
registry_config(void)
{
	json_object	*o = json_object_new_object(), *idx, *io;

	json_object_object_add(o, "AllowNondistributableArtifactsCIDRs",
	    json_object_new_array());
	json_object_object_add(o, "AllowNondistributableArtifactsHostnames",
	    json_object_new_array());
	idx = json_object_new_array();
	json_object_array_add(idx, str("127.0.0.0/8"));
	json_object_object_add(o, "InsecureRegistryCIDRs", idx);
	io = json_object_new_object();
	idx = json_object_new_object();
	json_object_object_add(io, "Name", str("docker.io"));
	json_object_object_add(io, "Mirrors", json_object_new_array());
	add_bool(io, "Secure", 1);
	add_bool(io, "Official", 1);
	json_object_object_add(idx, "docker.io", io);
	json_object_object_add(o, "IndexConfigs", idx);
	json_object_object_add(o, "Mirrors", json_object_new_array());
	return o;
}

static void
system_info(struct berth_req *r, void *state)
{
	json_object	*o, *p, *sw;
	struct sysinfo	 si;
	struct timespec	 ts;
	struct tm	 tm;
	char		 now[64], frac[16];
	int		 v2 = exists("/sys/fs/cgroup/cgroup.controllers");
	const char	*mem = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
	char		 path[256];

	o = json_object_new_object();
	json_object_object_add(o, "ID", str(core.daemon_id));
	json_object_object_add(o, "Containers", json_object_new_int(0));
	json_object_object_add(o, "ContainersRunning", json_object_new_int(0));
	json_object_object_add(o, "ContainersPaused", json_object_new_int(0));
	json_object_object_add(o, "ContainersStopped", json_object_new_int(0));
	json_object_object_add(o, "Images", json_object_new_int(0));
	json_object_object_add(o, "Driver", str(""));
	json_object_object_add(o, "DriverStatus", json_object_new_array());
	p = json_object_new_object();
	json_object_object_add(p, "Volume", json_object_new_array());
	json_object_object_add(p, "Network", json_object_new_array());
	json_object_object_add(p, "Authorization", authz_names_json());
	json_object_object_add(p, "Log", json_object_new_array());
	json_object_object_add(o, "Plugins", p);
	add_bool(o, "MemoryLimit", exists(mem));
	snprintf(path, sizeof(path), "%s/memory.memsw.usage_in_bytes", mem);
	add_bool(o, "SwapLimit", v2 ? 1 : exists(path));
	add_bool(o, "KernelMemory", 0);
	add_bool(o, "KernelMemoryTCP", 0);
	add_bool(o, "CpuCfsPeriod", 1);
	add_bool(o, "CpuCfsQuota", 1);
	add_bool(o, "CPUShares", 1);
	add_bool(o, "CPUSet", 1);
	add_bool(o, "PidsLimit", 1);
	add_bool(o, "IPv4Forwarding",
	    file_is("/proc/sys/net/ipv4/ip_forward", "1"));
	add_bool(o, "BridgeNfIptables",
	    file_is("/proc/sys/net/bridge/bridge-nf-call-iptables", "1"));
	add_bool(o, "BridgeNfIp6tables",
	    file_is("/proc/sys/net/bridge/bridge-nf-call-ip6tables", "1"));
	add_bool(o, "Debug", log_get_level() >= BERTH_LOG_DEBUG);
	json_object_object_add(o, "NFd", json_object_new_int(count_fds()));
	add_bool(o, "OomKillDisable", !v2);
	json_object_object_add(o, "NGoroutines", json_object_new_int(1));
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(frac, sizeof(frac), ".%09ldZ", ts.tv_nsec);
	strncat(now, frac, sizeof(now) - strlen(now) - 1);
	json_object_object_add(o, "SystemTime", str(now));
	json_object_object_add(o, "LoggingDriver", str("json-file"));
	json_object_object_add(o, "CgroupDriver", str("cgroupfs"));
	json_object_object_add(o, "CgroupVersion", str(v2 ? "2" : "1"));
	json_object_object_add(o, "NEventsListener",
	    json_object_new_int(events_listeners()));
	json_object_object_add(o, "KernelVersion", str(uts.release));
	json_object_object_add(o, "OperatingSystem", str(os_name));
	json_object_object_add(o, "OSVersion", str(os_version));
	json_object_object_add(o, "OSType", str("linux"));
	json_object_object_add(o, "Architecture", str(uts.machine));
	json_object_object_add(o, "IndexServerAddress",
	    str("https://index.docker.io/v1/"));
	json_object_object_add(o, "RegistryConfig", registry_config());
	json_object_object_add(o, "NCPU",
	    json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_object_add(o, "MemTotal", json_object_new_int64(
	    sysinfo(&si) == 0 ? (int64_t)si.totalram * si.mem_unit : 0));
	json_object_object_add(o, "GenericResources", NULL);
	json_object_object_add(o, "DockerRootDir", str(core.data_root));
	json_object_object_add(o, "HttpProxy", str(getenv("HTTP_PROXY")));
	json_object_object_add(o, "HttpsProxy", str(getenv("HTTPS_PROXY")));
	json_object_object_add(o, "NoProxy", str(getenv("NO_PROXY")));
	json_object_object_add(o, "Name", str(core.hostname));
	json_object_object_add(o, "Labels", json_object_new_array());
	add_bool(o, "ExperimentalBuild", 0);
	json_object_object_add(o, "ServerVersion", str(BERTH_VERSION));
	json_object_object_add(o, "Runtimes", json_object_new_object());
	json_object_object_add(o, "DefaultRuntime", str(""));
	sw = json_object_new_object();
	json_object_object_add(sw, "NodeID", str(""));
	json_object_object_add(sw, "NodeAddr", str(""));
	json_object_object_add(sw, "LocalNodeState", str("inactive"));
	add_bool(sw, "ControlAvailable", 0);
	json_object_object_add(sw, "Error", str(""));
	json_object_object_add(sw, "RemoteManagers", NULL);
	json_object_object_add(o, "Swarm", sw);
	add_bool(o, "LiveRestoreEnabled", 1);
	json_object_object_add(o, "Isolation", str(""));
	json_object_object_add(o, "InitBinary", str(""));
	json_object_object_add(o, "ContainerdCommit", commit());
	json_object_object_add(o, "RuncCommit", commit());
	json_object_object_add(o, "InitCommit", commit());
	json_object_object_add(o, "SecurityOptions", json_object_new_array());
	json_object_object_add(o, "Warnings", json_object_new_array());
	/* Modules fill in their parts: runtimes, plugins, counts. */
	registry_hook_run(BERTH_HOOK_INFO, o);
	H->resp_json(r, 200, o);
	json_object_put(o);
}

static const struct berth_route system_routes[] = {
	{ BERTH_GET,	"/_ping",	NULL,	system_ping,	0, 0 },
	{ BERTH_HEAD,	"/_ping",	NULL,	system_ping,	0, 0 },
	{ BERTH_GET,	"/version",	NULL,	system_version,	0, 0 },
	{ BERTH_GET,	"/info",	NULL,	system_info,	0, 0 },
	{ BERTH_GET,	"/events",	NULL,	events_handle,	0, 0 },
};

int
api_system_init(const struct berth_host *h, struct berth_err *err)
{
	H = h;
	uname(&uts);
	read_os_release();
	return h->route(h, system_routes,
	    sizeof(system_routes) / sizeof(system_routes[0]), NULL, err);
}

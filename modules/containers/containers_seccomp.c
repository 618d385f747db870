/*
 * containers_seccomp.c - Docker's default seccomp profile, and profiles
 * given with --security-opt seccomp=FILE, turned into the OCI
 * linux.seccomp object for one container.
 *
 * The default profile is written here as data (syscall names are facts
 * of the kernel ABI; the grouping and the table are ours).  It is built
 * as a document in Docker's profile format and goes through the same
 * converter as a user's profile, so both honour includes/excludes by
 * capability and architecture the same way.  Syscall names unknown to
 * this libseccomp are left out of the spec: runtimes resolve names with
 * libseccomp too, and some refuse names they cannot resolve.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <seccomp.h>

#include <berth/json.h>

#include "containers.h"

/* Allowed for everyone, whatever the capabilities. */
static const char *const seccomp_allow[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk",
	"capget", "capset", "chdir", "chmod", "chown", "chown32",
	"clock_adjtime", "clock_adjtime64", "clock_getres",
	"clock_getres_time64", "clock_gettime", "clock_gettime64",
	"clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
	"connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
	"epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
	"eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
	"faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
	"fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown",
	"fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
	"fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
	"fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
	"fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
	"futex_time64", "futimesat", "getcpu", "getcwd", "getdents",
	"getdents64", "getegid", "getegid32", "geteuid", "geteuid32",
	"getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
	"getpeername", "getpgid", "getpgrp", "getpid", "getppid",
	"getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
	"getresuid32", "getrlimit", "get_robust_list", "getrusage",
	"getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
	"gettimeofday", "getuid", "getuid32", "getxattr",
	"inotify_add_watch", "inotify_init", "inotify_init1",
	"inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
	"io_getevents", "io_pgetevents", "io_pgetevents_time64",
	"ioprio_get", "ioprio_set", "io_setup", "io_submit",
	"io_uring_enter", "io_uring_register", "io_uring_setup", "ipc",
	"kill", "lchown", "lchown32", "lgetxattr", "link", "linkat",
	"listen", "listxattr", "llistxattr", "_llseek", "lremovexattr",
	"lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
	"memfd_create", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
	"mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
	"mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	"mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
	"mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
	"msync", "munlock", "munlockall", "munmap", "nanosleep",
	"newfstatat", "_newselect", "open", "openat", "openat2", "pause",
	"pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "poll", "ppoll",
	"ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
	"prlimit64", "pselect6", "pselect6_time64", "ptrace", "pwrite64",
	"pwritev", "pwritev2", "read", "readahead", "readlink",
	"readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
	"recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
	"rename", "renameat", "renameat2", "restart_syscall", "rmdir",
	"rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
	"rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
	"sched_getaffinity", "sched_getattr", "sched_getparam",
	"sched_get_priority_max", "sched_get_priority_min",
	"sched_getscheduler", "sched_rr_get_interval",
	"sched_rr_get_interval_time64", "sched_setaffinity",
	"sched_setattr", "sched_setparam", "sched_setscheduler",
	"sched_yield", "seccomp", "select", "semctl", "semget", "semop",
	"semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64",
	"sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32",
	"setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
	"setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
	"setregid32", "setresgid", "setresgid32", "setresuid",
	"setresuid32", "setreuid", "setreuid32", "setrlimit",
	"set_robust_list", "setsid", "setsockopt", "set_thread_area",
	"set_tid_address", "setuid", "setuid32", "setxattr", "shmat",
	"shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
	"signalfd4", "sigprocmask", "sigreturn", "socket", "socketcall",
	"socketpair", "splice", "stat", "stat64", "statfs", "statfs64",
	"statx", "symlink", "symlinkat", "sync", "sync_file_range",
	"syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime",
	"timer_gettime64", "timer_settime", "timer_settime64",
	"timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	"timerfd_settime", "timerfd_settime64", "times", "tkill",
	"truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink",
	"unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
	"vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
	"writev",
	NULL
};

/* Syscalls a capability unlocks. */
static const struct {
	const char		*cap;
	const char *const	 names[16];
} seccomp_by_cap[] = {
	{ "CAP_DAC_READ_SEARCH", { "open_by_handle_at" } },
	{ "CAP_SYS_ADMIN", { "bpf", "clone", "fanotify_init", "fsconfig",
	    "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
	    "move_mount", "name_to_handle_at", "open_tree", "perf_event_open",
	    "quotactl", "setdomainname", "sethostname" } },
	{ "CAP_SYS_ADMIN", { "setns", "syslog", "umount", "umount2",
	    "unshare", "clone3" } },
	{ "CAP_SYS_BOOT", { "reboot" } },
	{ "CAP_SYS_CHROOT", { "chroot" } },
	{ "CAP_SYS_MODULE", { "delete_module", "init_module",
	    "finit_module" } },
	{ "CAP_SYS_PACCT", { "acct" } },
	{ "CAP_SYS_PTRACE", { "kcmp", "pidfd_getfd", "process_madvise",
	    "process_vm_readv", "process_vm_writev", "ptrace" } },
	{ "CAP_SYS_RAWIO", { "iopl", "ioperm" } },
	{ "CAP_SYS_TIME", { "settimeofday", "stime", "clock_settime",
	    "clock_settime64" } },
	{ "CAP_SYS_TTY_CONFIG", { "vhangup" } },
	{ "CAP_SYS_NICE", { "get_mempolicy", "mbind", "set_mempolicy" } },
	{ "CAP_SYSLOG", { "syslog" } },
	{ "CAP_BPF", { "bpf" } },
	{ "CAP_PERFMON", { "perf_event_open" } },
};

/* The namespace flags clone(2) may not carry without CAP_SYS_ADMIN. */
#define SECCOMP_CLONE_NS_FLAGS	0x7E020000ULL

/* personality(2) values that stay harmless: Linux, UNAME26, ... */
static const unsigned long long seccomp_personalities[] = {
	0x0, 0x0008, 0x20000, 0x20008, 0xffffffff,
};

static json_object *
seccomp_names(const char *const *names)
{
	json_object	*a = json_object_new_array();
	size_t		 i;

	for (i = 0; names[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(names[i]));
	return a;
}

static json_object *
seccomp_rule(json_object *names, const char *action)
{
	json_object	*r = json_object_new_object();

	json_object_object_add(r, "names", names);
	json_object_object_add(r, "action", json_object_new_string(action));
	json_object_object_add(r, "args", json_object_new_array());
	return r;
}

static json_object *
seccomp_arg(unsigned idx, unsigned long long value,
    unsigned long long value2, const char *op)
{
	json_object	*a = json_object_new_object();

	json_object_object_add(a, "index", json_object_new_int((int)idx));
	json_object_object_add(a, "value", json_object_new_uint64(value));
	json_object_object_add(a, "valueTwo", json_object_new_uint64(value2));
	json_object_object_add(a, "op", json_object_new_string(op));
	return a;
}

static void
seccomp_caps_cond(json_object *r, const char *key, const char *cap)
{
	json_object	*o = json_object_new_object();
	json_object	*caps = json_object_new_array();

	json_object_array_add(caps, json_object_new_string(cap));
	json_object_object_add(o, "caps", caps);
	json_object_object_add(r, key, o);
}

/* The default profile, in Docker's profile format.  Caller puts it. */
static json_object *
seccomp_default_profile(void)
{
	json_object	*p, *rules, *r, *n, *arches, *sub;
	size_t		 i, j;

	p = json_object_new_object();
	json_object_object_add(p, "defaultAction",
	    json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(p, "defaultErrnoRet", json_object_new_int(1));
	arches = json_object_new_array();
	r = json_object_new_object();
	json_object_object_add(r, "architecture",
	    json_object_new_string("SCMP_ARCH_X86_64"));
	sub = json_object_new_array();
	json_object_array_add(sub, json_object_new_string("SCMP_ARCH_X86"));
	json_object_array_add(sub, json_object_new_string("SCMP_ARCH_X32"));
	json_object_object_add(r, "subArchitectures", sub);
	json_object_array_add(arches, r);
	r = json_object_new_object();
	json_object_object_add(r, "architecture",
	    json_object_new_string("SCMP_ARCH_AARCH64"));
	sub = json_object_new_array();
	json_object_array_add(sub, json_object_new_string("SCMP_ARCH_ARM"));
	json_object_object_add(r, "subArchitectures", sub);
	json_object_array_add(arches, r);
	json_object_object_add(p, "archMap", arches);

	rules = json_object_new_array();
	json_object_array_add(rules, seccomp_rule(seccomp_names(seccomp_allow),
	    "SCMP_ACT_ALLOW"));

	for (i = 0; i < sizeof(seccomp_personalities) /
	    sizeof(seccomp_personalities[0]); i++) {
		n = json_object_new_array();
		json_object_array_add(n, json_object_new_string("personality"));
		r = seccomp_rule(n, "SCMP_ACT_ALLOW");
		json_object_array_add(json_object_object_get(r, "args"),
		    seccomp_arg(0, seccomp_personalities[i], 0,
		    "SCMP_CMP_EQ"));
		json_object_array_add(rules, r);
	}

	/* x86 only: thread-area and LDT calls. */
	n = json_object_new_array();
	json_object_array_add(n, json_object_new_string("arch_prctl"));
	json_object_array_add(n, json_object_new_string("modify_ldt"));
	r = seccomp_rule(n, "SCMP_ACT_ALLOW");
	sub = json_object_new_object();
	arches = json_object_new_array();
	json_object_array_add(arches, json_object_new_string("amd64"));
	json_object_array_add(arches, json_object_new_string("x32"));
	json_object_array_add(arches, json_object_new_string("x86"));
	json_object_object_add(sub, "arches", arches);
	json_object_object_add(r, "includes", sub);
	json_object_array_add(rules, r);

	for (i = 0; i < sizeof(seccomp_by_cap) / sizeof(seccomp_by_cap[0]);
	    i++) {
		n = json_object_new_array();
		for (j = 0; j < 16 && seccomp_by_cap[i].names[j] != NULL; j++)
			json_object_array_add(n, json_object_new_string(
			    seccomp_by_cap[i].names[j]));
		r = seccomp_rule(n, "SCMP_ACT_ALLOW");
		seccomp_caps_cond(r, "includes", seccomp_by_cap[i].cap);
		json_object_array_add(rules, r);
	}

	/* Without CAP_SYS_ADMIN: clone without namespace flags only. */
	n = json_object_new_array();
	json_object_array_add(n, json_object_new_string("clone"));
	r = seccomp_rule(n, "SCMP_ACT_ALLOW");
	json_object_array_add(json_object_object_get(r, "args"),
	    seccomp_arg(0, SECCOMP_CLONE_NS_FLAGS, 0, "SCMP_CMP_MASKED_EQ"));
	seccomp_caps_cond(r, "excludes", "CAP_SYS_ADMIN");
	json_object_array_add(rules, r);

	/*
	 * clone3 cannot be filtered on its flags (they sit in memory), so
	 * without CAP_SYS_ADMIN it fails with ENOSYS and libc falls back
	 * to clone, which can be.
	 */
	n = json_object_new_array();
	json_object_array_add(n, json_object_new_string("clone3"));
	r = seccomp_rule(n, "SCMP_ACT_ERRNO");
	json_object_object_add(r, "errnoRet", json_object_new_int(ENOSYS));
	seccomp_caps_cond(r, "excludes", "CAP_SYS_ADMIN");
	json_object_array_add(rules, r);

	json_object_object_add(p, "syscalls", rules);
	return p;
}

static int
seccomp_any_cap(json_object *list, json_object *caps)
{
	size_t	i, n;

	n = list != NULL && json_object_is_type(list, json_type_array) ?
	    json_object_array_length(list) : 0;
	for (i = 0; i < n; i++)
		if (containers_cap_has(caps, json_object_get_string(
		    json_object_array_get_idx(list, i))))
			return 1;
	return 0;
}

static int
seccomp_all_caps(json_object *list, json_object *caps)
{
	size_t	i, n;

	n = list != NULL && json_object_is_type(list, json_type_array) ?
	    json_object_array_length(list) : 0;
	for (i = 0; i < n; i++)
		if (!containers_cap_has(caps, json_object_get_string(
		    json_object_array_get_idx(list, i))))
			return 0;
	return 1;
}

/* The arch names of profiles: Go's GOARCH values. */
static int
seccomp_arch_match(json_object *list)
{
	size_t		 i, n;
	const char	*a;

	n = list != NULL && json_object_is_type(list, json_type_array) ?
	    json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {
		a = json_object_get_string(json_object_array_get_idx(list, i));
#if defined(__x86_64__)
		if (a != NULL && strcmp(a, "amd64") == 0)
			return 1;
#elif defined(__aarch64__)
		if (a != NULL && strcmp(a, "arm64") == 0)
			return 1;
#endif
	}
	return 0;
}

/* Whether a rule applies to a container with these capabilities. */
static int
seccomp_rule_applies(json_object *rule, json_object *caps)
{
	json_object	*inc = berth_json_get(rule, "includes");
	json_object	*exc = berth_json_get(rule, "excludes");
	json_object	*v;

	if ((v = berth_json_get(inc, "caps")) != NULL &&
	    json_object_array_length(v) > 0 && !seccomp_all_caps(v, caps))
		return 0;
	if ((v = berth_json_get(inc, "arches")) != NULL &&
	    json_object_array_length(v) > 0 && !seccomp_arch_match(v))
		return 0;
	if ((v = berth_json_get(exc, "caps")) != NULL &&
	    seccomp_any_cap(v, caps))
		return 0;
	if ((v = berth_json_get(exc, "arches")) != NULL &&
	    seccomp_arch_match(v))
		return 0;
	return 1;
}

static const char *
seccomp_native_arch(void)
{
#if defined(__x86_64__)
	return "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
	return "SCMP_ARCH_AARCH64";
#else
	return NULL;
#endif
}

/* architectures: the profile's own list, or the native entry of archMap. */
static json_object *
seccomp_arches(json_object *prof)
{
	json_object	*out = json_object_new_array(), *a, *m, *e, *sub;
	const char	*native = seccomp_native_arch();
	size_t		 i, j;

	if ((a = berth_json_get(prof, "architectures")) != NULL &&
	    json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) > 0) {
		for (i = 0; i < json_object_array_length(a); i++)
			json_object_array_add(out, json_object_get(
			    json_object_array_get_idx(a, i)));
		return out;
	}
	m = berth_json_get(prof, "archMap");
	for (i = 0; m != NULL && json_object_is_type(m, json_type_array) &&
	    i < json_object_array_length(m); i++) {
		e = json_object_array_get_idx(m, i);
		if (native == NULL || berth_json_str(e, "architecture") ==
		    NULL || strcmp(berth_json_str(e, "architecture"), native) !=
		    0)
			continue;
		json_object_array_add(out, json_object_new_string(native));
		sub = berth_json_get(e, "subArchitectures");
		for (j = 0; sub != NULL && json_object_is_type(sub,
		    json_type_array) && j < json_object_array_length(sub); j++)
			json_object_array_add(out, json_object_get(
			    json_object_array_get_idx(sub, j)));
	}
	return out;
}

/* Copy names that this libseccomp knows; how many were kept. */
static size_t
seccomp_known(json_object *names, json_object *out)
{
	size_t		 i, n, kept = 0;
	const char	*s;

	n = json_object_array_length(names);
	for (i = 0; i < n; i++) {
		s = json_object_get_string(json_object_array_get_idx(names, i));
		if (s == NULL ||
		    seccomp_syscall_resolve_name(s) == __NR_SCMP_ERROR)
			continue;
		json_object_array_add(out, json_object_new_string(s));
		kept++;
	}
	return kept;
}

static const char *const seccomp_actions[] = {
	"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
	"SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",
	"SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", NULL
};

static int
seccomp_action_valid(const char *a)
{
	size_t	i;

	for (i = 0; a != NULL && seccomp_actions[i] != NULL; i++)
		if (strcmp(a, seccomp_actions[i]) == 0)
			return 1;
	return 0;
}

/*
 * Convert a profile document (Docker's format) into OCI linux.seccomp
 * for a container with capabilities caps (an array of "CAP_X").
 */
static int
seccomp_convert(json_object *prof, json_object *caps, json_object **out,
    struct berth_err *err)
{
	json_object	*o, *rules, *in, *rule, *names, *v, *args, *arg, *oa;
	const char	*act;
	size_t		 i, j;

	act = berth_json_str(prof, "defaultAction");
	if (!seccomp_action_valid(act))
		return berth_err_set(err, -EINVAL,
		    "seccomp profile: invalid defaultAction %s",
		    act != NULL ? act : "(none)");
	o = json_object_new_object();
	json_object_object_add(o, "defaultAction", json_object_new_string(act));
	if ((v = berth_json_get(prof, "defaultErrnoRet")) != NULL &&
	    json_object_is_type(v, json_type_int))
		json_object_object_add(o, "defaultErrnoRet",
		    json_object_new_int(json_object_get_int(v)));
	json_object_object_add(o, "architectures", seccomp_arches(prof));
	rules = json_object_new_array();
	json_object_object_add(o, "syscalls", rules);

	in = berth_json_get(prof, "syscalls");
	for (i = 0; in != NULL && json_object_is_type(in, json_type_array) &&
	    i < json_object_array_length(in); i++) {
		rule = json_object_array_get_idx(in, i);
		if (!seccomp_rule_applies(rule, caps))
			continue;
		act = berth_json_str(rule, "action");
		if (!seccomp_action_valid(act)) {
			json_object_put(o);
			return berth_err_set(err, -EINVAL,
			    "seccomp profile: invalid action %s",
			    act != NULL ? act : "(none)");
		}
		names = json_object_new_array();
		if ((v = berth_json_get(rule, "names")) != NULL &&
		    json_object_is_type(v, json_type_array))
			seccomp_known(v, names);
		else if (berth_json_str(rule, "name") != NULL) {
			v = json_object_new_array();
			json_object_array_add(v, json_object_new_string(
			    berth_json_str(rule, "name")));
			seccomp_known(v, names);
			json_object_put(v);
		}
		if (json_object_array_length(names) == 0) {
			json_object_put(names);
			continue;
		}
		oa = json_object_new_object();
		json_object_object_add(oa, "names", names);
		json_object_object_add(oa, "action",
		    json_object_new_string(act));
		if ((v = berth_json_get(rule, "errnoRet")) != NULL &&
		    json_object_is_type(v, json_type_int))
			json_object_object_add(oa, "errnoRet",
			    json_object_new_int(json_object_get_int(v)));
		args = berth_json_get(rule, "args");
		if (args != NULL && json_object_is_type(args,
		    json_type_array) && json_object_array_length(args) > 0) {
			v = json_object_new_array();
			for (j = 0; j < json_object_array_length(args); j++) {
				arg = json_object_array_get_idx(args, j);
				json_object_array_add(v, seccomp_arg(
				    (unsigned)json_object_get_int(
				    berth_json_get(arg, "index")),
				    (unsigned long long)json_object_get_uint64(
				    berth_json_get(arg, "value")),
				    (unsigned long long)json_object_get_uint64(
				    berth_json_get(arg, "valueTwo")),
				    berth_json_str(arg, "op") != NULL ?
				    berth_json_str(arg, "op") : "SCMP_CMP_EQ"));
			}
			json_object_object_add(oa, "args", v);
		}
		json_object_array_add(rules, oa);
	}
	*out = o;
	return 0;
}

/* The default profile for a container with caps.  Caller puts it. */
json_object *
containers_seccomp_default(json_object *caps)
{
	json_object	*prof = seccomp_default_profile(), *out = NULL;

	if (seccomp_convert(prof, caps, &out, NULL) < 0)
		out = NULL;
	json_object_put(prof);
	return out;
}

/*
 * A profile given as --security-opt seccomp=FILE: the CLI sends the
 * file's content, not its name.
 */
int
containers_seccomp_from_profile(const char *text, json_object *caps,
    json_object **out, struct berth_err *err)
{
	json_object	*prof;
	int		 rc;

	if ((prof = json_tokener_parse(text)) == NULL ||
	    !json_object_is_type(prof, json_type_object)) {
		json_object_put(prof);
		return berth_err_set(err, -EINVAL,
		    "Decoding seccomp profile failed: invalid JSON");
	}
	rc = seccomp_convert(prof, caps, out, err);
	json_object_put(prof);
	return rc;
}

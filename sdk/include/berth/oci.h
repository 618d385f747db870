/*
 * berth/oci.h - Docker's defaults for an OCI spec, shared by every
 * module that writes one (containers, plugin-proxy's plugins): the
 * capabilities a process keeps, and the paths it may not read or write.
 * Static data, so a module links nothing from the core.
 */
#ifndef BERTH_OCI_H
#define BERTH_OCI_H

/* Docker's default capability set (NULL-terminated). */
static const char *const berth_oci_default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
	"CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
	"CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL
};

/* Paths masked (maskedPaths) and made read-only (readonlyPaths). */
static const char *const berth_oci_masked[] = {
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware", NULL
};
static const char *const berth_oci_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger", NULL
};

#endif

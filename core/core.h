/* core.h - berthd's settings, shared by the core's files. */
#ifndef BERTH_CORE_CORE_H
#define BERTH_CORE_CORE_H

#include <sys/types.h>

#define CORE_DEFAULT_SOCKET	"unix:///run/berth/berth.sock"
#define CORE_DEFAULT_CONF	"/etc/berth/engine.yaml"
#define CORE_DEFAULT_DATA_ROOT	"/var/lib/berth"
#define CORE_DEFAULT_EXEC_ROOT	"/run/berth"

struct core_settings {
	char	*config_file;
	char	*data_root;
	char	*exec_root;
	char	*pidfile;
	char	*module_dir;
	char	 daemon_id[64];		/* XXXX:XXXX:... persisted */
	char	 hostname[256];
	time_t	 started;
};

extern struct core_settings	core;

#endif

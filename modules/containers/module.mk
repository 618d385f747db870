MODULES			+= containers
containers-SRCS		:= modules/containers/containers.c \
			   modules/containers/containers_admit.c \
			   modules/containers/containers_archive.c \
			   modules/containers/containers_attach.c \
			   modules/containers/containers_commit.c \
			   modules/containers/containers_create.c \
			   modules/containers/containers_exec.c \
			   modules/containers/containers_export.c \
			   modules/containers/containers_fs.c \
			   modules/containers/containers_health.c \
			   modules/containers/containers_iface.c \
			   modules/containers/containers_inspect.c \
			   modules/containers/containers_list.c \
			   modules/containers/containers_logs.c \
			   modules/containers/containers_mounts.c \
			   modules/containers/containers_net.c \
			   modules/containers/containers_ops.c \
			   modules/containers/containers_policy.c \
			   modules/containers/containers_run.c \
			   modules/containers/containers_seccomp.c \
			   modules/containers/containers_spec.c \
			   modules/containers/containers_stats.c \
			   modules/containers/containers_store.c \
			   modules/containers/containers_tar.c \
			   modules/containers/containers_untar.c \
			   modules/containers/containers_update.c \
			   modules/containers/containers_util.c
containers-LIBS		:= -lseccomp -lcap -larchive

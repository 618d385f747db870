/*
 * monitor.h - berth-monitor, the per-container process between berthd
 * and the OCI runtime.
 *
 * One monitor runs per container.  It is a child subreaper, so the
 * container's init (and every exec) is its child once the runtime has
 * exited; it holds the container's stdio (pipes, or the pty master the
 * runtime sends over the console socket), writes the json-file log,
 * serves attach connections handed over by berthd, records the exit
 * status in exit.json and survives berthd restarts.  Single-threaded:
 * one poll loop, no allocation on the hot path beyond the queues.
 *
 * Files in the state dir (the monitor's cwd):
 *	monitor.sock	control socket (see monitor_codec.h)
 *	state.json	{"status","pid","started_ns","monitor_pid"}
 *	exit.json	{"exit_code","oom_killed","finished_ns"}, atomically
 *	monitor.log	the monitor's own diagnostics
 *	exec-E.json	the OCI process of exec E, exec-E.pid its pid
 *	update.json	the linux.resources of the last update
 */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "monitor_codec.h"

/* Attach flags, as berth/runtime.h BERTH_ATTACH_*. */
#define MON_ATTACH_STDIN	0x1u
#define MON_ATTACH_STDOUT	0x2u
#define MON_ATTACH_STDERR	0x4u
#define MON_ATTACH_LOGS		0x8u
#define MON_ATTACH_MUX		0x10u	/* frame even on a terminal */
#define MON_ATTACH_RAW		0x20u	/* never frame */

/* A client whose queue passes this stops the reading of the output. */
#define MON_QUEUE_HIGH		(256 * 1024)
/* Output an exec keeps for its first attach. */
#define MON_PRE_MAX		(1024 * 1024)
/* How long output may stay open after its process was reaped. */
#define MON_EOF_GRACE_MS	2000
/* How long a finished exec nobody attached to keeps its output. */
#define MON_EXEC_KEEP_MS	60000
/* How long a finished attach may take to drain before it is cut. */
#define MON_CLOSE_GRACE_MS	10000

/* A byte queue: data in p[off, len). */
struct mbuf {
	char	*p;
	size_t	 off;
	size_t	 len;
	size_t	 cap;
};

int	mbuf_put(struct mbuf *b, const void *data, size_t n);
void	mbuf_drop(struct mbuf *b, size_t n);
size_t	mbuf_used(const struct mbuf *b);
void	mbuf_free(struct mbuf *b);

enum {
	AUTO_DEL_NONE = 0,
	AUTO_DEL_RUNNING,
	AUTO_DEL_DONE,
	AUTO_DEL_FAILED,
};

enum mon_status {
	MON_CREATED = 0,
	MON_RUNNING,
	MON_PAUSED,
	MON_STOPPED,
};

/* The init (exec_id NULL) or an exec. */
struct mon_proc {
	struct mon_proc	*next;
	char		*exec_id;
	pid_t		 pid;
	int		 terminal;
	int		 open_stdin;
	int		 stdin_once;
	int		 detach;	/* exec: nobody will attach */
	int		 pty_fd;	/* the pty master, or -1 */
	int		 in_fd;		/* stdin pipe, or the pty; -1 */
	int		 out_fd;	/* stdout pipe, or the pty; -1 at EOF */
	int		 err_fd;	/* stderr pipe; -1 at EOF or with a pty */
	int		 log;		/* write the json-file log (init) */
	struct mbuf	 inq;		/* bytes on their way to stdin */
	int		 in_eof;	/* close stdin once inq drains */
	char		*line[3];	/* partial log line per stream */
	size_t		 linelen[3];
	struct mbuf	 pre;		/* exec output before the first attach;
					   init output while held */
	int		 attached;	/* some attach has come */
	int		 reaped;
	int		 wstatus;
	int64_t		 reaped_ms;	/* monotonic */
	int64_t		 finished_ns;
	int		 exit_code;
	int		 oom;
	int		 finished;	/* exit recorded and announced */
	int64_t		 finished_ms;	/* monotonic */
	int		 dead;		/* freed by the sweep */
	char		*oom_file;	/* memory.oom_control or memory.events */
	long		 oom_base;
};

/* An attach: a client connection berthd handed over. */
struct mon_client {
	struct mon_client	*next;
	int			 fd;
	struct mon_proc		*proc;
	unsigned		 flags;
	struct monitor_detach	 det;
	struct mbuf		 outq;
	int			 rd_done;	/* read side at EOF */
	int			 closing;	/* close once outq drains */
	int64_t			 close_by_ms;
	FILE			*replay;	/* the log, being replayed */
	off_t			 replay_end;
	struct mbuf		 backlog;	/* live output during replay */
	int			 dead;
};

/* A queued control packet, with at most one fd. */
struct mon_pkt {
	struct mon_pkt	*next;
	size_t		 len;
	char		 data[];
};

/* A control connection (berthd, or a test tool). */
struct mon_conn {
	struct mon_conn	*next;
	int		 fd;
	struct mon_pkt	*head, *tail;
	size_t		 queued;
	int		 dead;
};

/* A running runtime command. */
struct mon_cmd;
typedef void	(*mon_cmd_cb)(struct mon_cmd *c, int wstatus, const char *err);

struct mon_cmd {
	struct mon_cmd	*next;
	pid_t		 pid;
	mon_cmd_cb	 cb;
	struct mon_conn	*conn;		/* who asked; may be dead */
	char		*seq;
	void		*arg;
	off_t		 log_off;	/* runtime.log size before it ran */
	int		 console;	/* listening console socket, or -1 */
	char		*console_path;
};

struct mon {
	/* From the command line. */
	const char	*id;
	const char	*bundle;
	const char	*state_dir;
	const char	*runtime;
	const char	**runtime_args;
	size_t		 nruntime_args;
	const char	*runtime_root;
	const char	*log_path;
	int64_t		 log_max_size;	/* rotate at this size; 0: never */
	int		 log_max_files;	/* files kept, the log included */
	int		 terminal;
	int		 open_stdin;
	int		 stdin_once;
	int		 run;		/* --run: `run --detach`, not create */

	char		 runtime_log[PATH_MAX];
	int		 dirfd;
	int		 sigfd;
	int		 lsock;		/* monitor.sock */
	int		 logfd;		/* the json-file log, or -1 */
	int64_t		 logsize;	/* its size, for rotation */
	enum mon_status	 status;
	int64_t		 started_ns;
	struct mon_proc	*init;
	struct mon_proc	*procs;		/* init first, then execs */
	struct mon_client *clients;
	struct mon_conn	*conns;
	struct mon_cmd	*cmds;
	int		 start_pending;	/* hold the exit notice till start's reply */
	/*
	 * Run already (--run), but not started as far as berthd knows: its
	 * output is kept for the attaches berthd hands over before start,
	 * and its exit is not news, until the start command releases it.
	 */
	int		 held;
	int64_t		 held_ns;	/* when it began to run */
	int		 deleting;
	int		 auto_del;	/* AUTO_DEL_* */
	int		 del_waiting;	/* a delete waits for auto_del */
	struct mon_conn	*del_conn;	/* its asker; may die */
	char		*del_seq;
	int		 quit;
	/* Pids reaped before anyone claimed them (a fast exec). */
	pid_t		 orphan_pid[32];
	int		 orphan_status[32];
	unsigned	 norphans;
};

extern struct mon	M;

/* monitor_main.c */
void	mlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t	mon_now_ns(void);
int64_t	mon_mono_ms(void);

/* monitor_run.c: the runtime's command line and the container's life. */
int	mon_create(char *err, size_t errlen);
struct mon_cmd *mon_runtime(const char *const *sub, const int fds[3],
	    mon_cmd_cb cb, char *err, size_t errlen);
void	mon_reaped(pid_t pid, int wstatus);
void	mon_write_state(void);
void	mon_proc_finish(struct mon_proc *p);
void	mon_procs_sweep(void);
void	mon_cmd_start(struct mon_conn *c, const struct monitor_msg *m);
void	mon_cmd_kill(struct mon_conn *c, const struct monitor_msg *m);
void	mon_cmd_pause(struct mon_conn *c, const struct monitor_msg *m,
	    int pause);
void	mon_cmd_delete(struct mon_conn *c, const struct monitor_msg *m);
void	mon_cmd_exec(struct mon_conn *c, const struct monitor_msg *m);
void	mon_cmd_update(struct mon_conn *c, const struct monitor_msg *m);
const char *mon_status_name(enum mon_status s);
struct mon_proc *mon_proc_find(const char *exec_id);
int	mon_recv_console(int lsock, char *err, size_t errlen);

/* monitor_io.c: output, the log, attach clients, stdin. */
void	mon_output(struct mon_proc *p, int stream);
void	mon_output_eof(struct mon_proc *p, int stream);
int	mon_output_paused(const struct mon_proc *p);
void	mon_stdin_write(struct mon_proc *p);
void	mon_client_add(int fd, struct mon_proc *p, unsigned flags,
	    const unsigned char *keys, size_t nkeys);
void	mon_client_read(struct mon_client *cl);
void	mon_client_write(struct mon_client *cl);
void	mon_client_drop(struct mon_client *cl);
void	mon_clients_pump(void);
void	mon_proc_clients_close(struct mon_proc *p);
void	mon_log_flush(struct mon_proc *p);

/* monitor_ctl.c: the control socket. */
int	mon_ctl_listen(char *err, size_t errlen);
void	mon_ctl_accept(void);
void	mon_conn_read(struct mon_conn *c);
void	mon_conn_write(struct mon_conn *c);
void	mon_send(struct mon_conn *c, const struct monitor_pkt *p);
void	mon_broadcast(const struct monitor_pkt *p);
void	mon_reply_ok(struct mon_conn *c, const char *seq);
void	mon_reply_err(struct mon_conn *c, const char *seq, int errnum,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	mon_notify_exit(struct mon_proc *p);
void	mon_hello(struct mon_conn *c, const char *verb, const char *seq);

#endif

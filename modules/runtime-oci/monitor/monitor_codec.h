/*
 * monitor_codec.h - the pure encoders and decoders shared by berth-monitor
 * and the runtime-oci module: no I/O, no allocation unless it says so, so
 * the unit tests can pin every byte.
 *
 * The control protocol (monitor.sock, AF_UNIX SOCK_SEQPACKET, one message
 * per packet, so boundaries and SCM_RIGHTS fds never straddle messages):
 *
 *	packet	= verb *(SP key "=" value) [LF body]
 *	value	= percent-encoded: every byte outside [A-Za-z0-9._~/,:@+-]
 *		  is written %XX, so a value never holds a space or LF
 *
 * berthd -> monitor (every request carries seq=N, echoed by its reply):
 *	start				runtime start; ok carries started=NS
 *	kill signal=N all=0|1		runtime kill [--all] ID N
 *	pause, resume			runtime pause/resume ID
 *	resize [exec=E] rows=R cols=C	TIOCSWINSZ on the pty
 *	attach [exec=E] flags=F keys=K	one SCM_RIGHTS fd: the client's
 *					connection; F = BERTH_ATTACH_* bits,
 *					K = detach bytes as decimals "16,17"
 *	exec exec=E terminal=0|1 stdin=0|1 detach=0|1 LF process-json
 *					runtime exec --process ... --detach;
 *					ok carries pid=P
 *	update LF resources-json	runtime update --resources FILE ID
 *	delete				runtime delete ID; the monitor exits
 *					after the reply
 *	state				ok carries the hello fields
 * monitor -> berthd:
 *	ok seq=N [fields]
 *	err seq=N errno=E msg=TEXT
 *	hello status=S pid=P started=NS code=C oom=0|1 finished=NS
 *	    monitor=PID		sent once on every new connection
 *	exit [exec=E] code=C oom=0|1 finished=NS
 *	detach [exec=E]		a client typed the detach keys
 * status is one of created, running, paused, stopped.
 */
#ifndef BERTH_MONITOR_CODEC_H
#define BERTH_MONITOR_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* The largest control packet either side sends or accepts. */
#define MONITOR_PKT_MAX		(256 * 1024)
#define MONITOR_MAX_FIELDS	16
/* Docker's json-file splits a line longer than this into partials. */
#define MONITOR_LOG_LINE_MAX	(16 * 1024)
#define MONITOR_DETACH_MAX	16

struct monitor_field {
	const char	*key;		/* NUL-terminated, inside the msg */
	const char	*value;		/* decoded, NUL-terminated */
};

/* A decoded packet; every pointer points into the packet buffer. */
struct monitor_msg {
	const char		*verb;
	struct monitor_field	 f[MONITOR_MAX_FIELDS];
	size_t			 nf;
	const char		*body;		/* NULL if none */
	size_t			 bodylen;
};

/*
 * A packet under construction: monitor_pkt_init, then _add/_addf for
 * each field and at most one _body.  Overflow sticks: len is then 0 and
 * monitor_pkt_len reports it.
 */
struct monitor_pkt {
	char	*buf;
	size_t	 cap;
	size_t	 len;
	int	 overflow;
	int	 has_body;
};

void	monitor_pkt_init(struct monitor_pkt *p, char *buf, size_t cap,
	    const char *verb);
void	monitor_pkt_add(struct monitor_pkt *p, const char *key,
	    const char *value);
void	monitor_pkt_addf(struct monitor_pkt *p, const char *key,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	monitor_pkt_body(struct monitor_pkt *p, const void *data, size_t len);
/* The packet's length, or 0 if it did not fit. */
size_t	monitor_pkt_len(const struct monitor_pkt *p);

/*
 * monitor_msg_parse - decode buf (len bytes, modified in place: values
 * are decoded and NUL-terminated there; buf must have room for one more
 * byte at buf[len]).  -EINVAL on a malformed packet.
 */
int	monitor_msg_parse(char *buf, size_t len, struct monitor_msg *m);
/* The value of key, or NULL. */
const char *monitor_msg_get(const struct monitor_msg *m, const char *key);
/* The value of key as an integer; def if absent or not a number. */
int64_t	monitor_msg_int(const struct monitor_msg *m, const char *key,
	    int64_t def);

/*
 * monitor_frame_header - Docker's 8-byte multiplexed stream header:
 * stream (0 stdin, 1 stdout, 2 stderr), three zeros, length big-endian.
 */
void	monitor_frame_header(unsigned char hdr[8], int stream, uint32_t len);

/*
 * monitor_time_rfc3339 - ns since the epoch as Go's RFC3339Nano in UTC
 * ("2024-01-02T03:04:05.12345Z": trailing zeros of the fraction dropped,
 * the dot too when it is all zeros).  buf needs 40 bytes.  Returns buf.
 */
char	*monitor_time_rfc3339(int64_t ns, char *buf, size_t len);

/*
 * monitor_log_line - one json-file record for a piece of output:
 * {"log":"...","stream":"stdout","time":"..."}\n, escaped as Docker
 * does (", \, control bytes, <, >, &, U+2028/9, invalid UTF-8 as
 * U+FFFD).  Writes at most cap bytes into out (and a NUL after them
 * when there is room); returns the length the record needs (so a caller
 * can size out: 6 * len + 96 always fits).
 */
size_t	monitor_log_line(char *out, size_t cap, const char *data, size_t len,
	    const char *stream, int64_t ns);

/*
 * monitor_log_parse - the inverse, for replaying a log to an attach:
 * decode one record (without its newline) into out (cap bytes, the
 * decoded text is never longer than the record).  *stream is 1 for
 * stdout, 2 for stderr.  Returns the decoded length or -1.
 */
ssize_t	monitor_log_parse(const char *rec, size_t len, char *out, size_t cap,
	    int *stream);

/*
 * monitor_log_split - how many bytes of buf (len) form the next record:
 * up to and including the first newline, else MONITOR_LOG_LINE_MAX if
 * that many are there (a partial record, as Docker writes), else 0
 * (wait for more, or flush at EOF).
 */
size_t	monitor_log_split(const char *buf, size_t len);

/*
 * monitor_detach_parse - Docker's detach key syntax ("ctrl-p,ctrl-q",
 * "a", "ctrl-@" ... "ctrl-_") into bytes.  NULL or "" gives the default
 * ctrl-p,ctrl-q.  Returns the count, or -EINVAL (msg says why).
 */
int	monitor_detach_parse(const char *spec, unsigned char *keys,
	    size_t cap);

/*
 * A detach-key matcher over a byte stream.  monitor_detach_feed scans
 * in (n bytes) and writes what must go to the process into out (room
 * for n + MONITOR_DETACH_MAX bytes), holding back a partial match;
 * returns the bytes in out and sets *detached when the whole sequence
 * was typed (bytes after it are dropped).
 */
struct monitor_detach {
	unsigned char	 keys[MONITOR_DETACH_MAX];
	size_t		 nkeys;
	size_t		 matched;
};

size_t	monitor_detach_feed(struct monitor_detach *d, const unsigned char *in,
	    size_t n, unsigned char *out, int *detached);

/*
 * monitor_runtime_error - the last error message in an OCI runtime's
 * --log-format json file contents (runc writes {"level":"error","msg":
 * ...}; crun {"msg":...,"level":"error"}, with or without newlines).
 * Decoded into out; returns its length, 0 if there is none.
 */
size_t	monitor_runtime_error(const char *log, size_t len, char *out,
	    size_t cap);

#endif

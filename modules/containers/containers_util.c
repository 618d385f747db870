/*
 * containers_util.c - small helpers: IDs, signals, times, statuses.
 */

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <berth/json.h>

#include "containers.h"

static const struct {
	const char	*name;
	int		 no;
} containers_signals[] = {
	{ "HUP", SIGHUP },	{ "INT", SIGINT },	{ "QUIT", SIGQUIT },
	{ "ILL", SIGILL },	{ "TRAP", SIGTRAP },	{ "ABRT", SIGABRT },
	{ "IOT", SIGIOT },	{ "BUS", SIGBUS },	{ "FPE", SIGFPE },
	{ "KILL", SIGKILL },	{ "USR1", SIGUSR1 },	{ "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	{ "PIPE", SIGPIPE },	{ "ALRM", SIGALRM },
	{ "TERM", SIGTERM },	{ "STKFLT", SIGSTKFLT },{ "CHLD", SIGCHLD },
	{ "CLD", SIGCHLD },	{ "CONT", SIGCONT },	{ "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },	{ "TTIN", SIGTTIN },	{ "TTOU", SIGTTOU },
	{ "URG", SIGURG },	{ "XCPU", SIGXCPU },	{ "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM },{ "PROF", SIGPROF },	{ "WINCH", SIGWINCH },
	{ "IO", SIGIO },	{ "POLL", SIGPOLL },	{ "PWR", SIGPWR },
	{ "SYS", SIGSYS },	{ "UNUSED", SIGSYS },
};

/*
 * Docker's signal syntax: a number, or a name with or without "SIG",
 * any case, or RTMIN[+n] / RTMAX[-n].  0 and unknown names are -EINVAL.
 */
int
containers_signal_parse(const char *s, int *signo)
{
	char		*end;
	long		 n;
	size_t		 i;
	const char	*p = s;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || n <= 0 || n > SIGRTMAX)
			return -EINVAL;
		*signo = (int)n;
		return 0;
	}
	if (strncasecmp(p, "SIG", 3) == 0)
		p += 3;
	for (i = 0; i < sizeof(containers_signals) /
	    sizeof(containers_signals[0]); i++)
		if (strcasecmp(p, containers_signals[i].name) == 0) {
			*signo = containers_signals[i].no;
			return 0;
		}
	if (strncasecmp(p, "RTMIN", 5) == 0) {
		n = 0;
		if (p[5] == '+')
			n = strtol(p + 6, &end, 10);
		else if (p[5] != '\0')
			return -EINVAL;
		if (n < 0 || SIGRTMIN + n > SIGRTMAX)
			return -EINVAL;
		*signo = SIGRTMIN + (int)n;
		return 0;
	}
	if (strncasecmp(p, "RTMAX", 5) == 0) {
		n = 0;
		if (p[5] == '-')
			n = strtol(p + 6, &end, 10);
		else if (p[5] != '\0')
			return -EINVAL;
		if (n < 0 || SIGRTMAX - n < SIGRTMIN)
			return -EINVAL;
		*signo = SIGRTMAX - (int)n;
		return 0;
	}
	return -EINVAL;
}

/* "TERM" for 15; NULL if the number has no classic name. */
const char *
containers_signal_name(int signo)
{
	size_t	i;

	for (i = 0; i < sizeof(containers_signals) /
	    sizeof(containers_signals[0]); i++)
		if (containers_signals[i].no == signo)
			return containers_signals[i].name;
	return NULL;
}

int64_t
containers_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * RFC 3339 with nanoseconds, UTC, as Go's time.RFC3339Nano prints it:
 * trailing zeros of the fraction dropped.  0 is Go's zero time.
 */
void
containers_time_fmt(int64_t ns, char *buf, size_t len)
{
	struct tm	tm;
	time_t		sec;
	char		frac[16];
	long		nsec;
	size_t		n;

	if (ns == 0) {
		snprintf(buf, len, "0001-01-01T00:00:00Z");
		return;
	}
	sec = (time_t)(ns / 1000000000LL);
	nsec = (long)(ns % 1000000000LL);
	gmtime_r(&sec, &tm);
	frac[0] = '\0';
	if (nsec != 0) {
		snprintf(frac, sizeof(frac), ".%09ld", nsec);
		n = strlen(frac);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac);
}

/* Parse what containers_time_fmt writes (and offsets other than Z). */
int
containers_time_parse(const char *s, int64_t *ns)
{
	struct tm	 tm;
	const char	*p;
	int64_t		 frac = 0, scale = 100000000, sec;
	long		 off = 0;
	int		 oh, om;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -EINVAL;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-') {
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return -EINVAL;
		off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
		p += 6;
	}
	if (*p != '\0')
		return -EINVAL;
	sec = (int64_t)timegm(&tm) - off;
	/* Go's zero time (year 1) and anything before 1970 mean "never". */
	if (sec < 0) {
		*ns = 0;
		return 0;
	}
	if (sec > INT64_MAX / 1000000000LL - 1)
		return -ERANGE;
	*ns = sec * 1000000000LL + frac;
	return 0;
}

/*
 * A since/until query value: "<sec>[.<frac>]" (what the CLI sends) or
 * RFC 3339.  The fraction scales by its digit count, as Docker's does.
 */
int
containers_ts_parse(const char *s, int64_t *ns)
{
	const char	*p;
	char		*end;
	long long	 sec;
	int64_t		 frac = 0, scale = 100000000;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (strchr(s, 'T') != NULL || strchr(s, '-') > s)
		return containers_time_parse(s, ns);
	errno = 0;
	sec = strtoll(s, &end, 10);
	if (errno != 0 || end == s)
		return -EINVAL;
	p = end;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0')
		return -EINVAL;
	*ns = (int64_t)sec * 1000000000LL + frac;
	return 0;
}

static const char *const containers_status_names[] = {
	[CTR_CREATED] = "created",
	[CTR_RUNNING] = "running",
	[CTR_PAUSED] = "paused",
	[CTR_RESTARTING] = "restarting",
	[CTR_REMOVING] = "removing",
	[CTR_EXITED] = "exited",
	[CTR_DEAD] = "dead",
};

const char *
containers_status_str(enum ctr_status s)
{
	if ((size_t)s >= sizeof(containers_status_names) /
	    sizeof(containers_status_names[0]))
		return "dead";
	return containers_status_names[s];
}

int
containers_status_from_str(const char *s, enum ctr_status *out)
{
	size_t	i;

	for (i = 0; i < sizeof(containers_status_names) /
	    sizeof(containers_status_names[0]); i++)
		if (s != NULL && strcmp(s, containers_status_names[i]) == 0) {
			*out = (enum ctr_status)i;
			return 0;
		}
	return -EINVAL;
}

/* Docker's units.HumanDuration, which `docker ps` STATUS shows. */
void
containers_human_duration(int64_t ns, char *buf, size_t len)
{
	int64_t	s = ns / 1000000000LL;
	int64_t	h = s / 3600;

	if (s < 1)
		snprintf(buf, len, "Less than a second");
	else if (s == 1)
		snprintf(buf, len, "1 second");
	else if (s < 60)
		snprintf(buf, len, "%lld seconds", (long long)s);
	else if (s / 60 == 1)
		snprintf(buf, len, "About a minute");
	else if (s / 60 < 60)
		snprintf(buf, len, "%lld minutes", (long long)(s / 60));
	else if (h == 1)
		snprintf(buf, len, "About an hour");
	else if (h < 48)
		snprintf(buf, len, "%lld hours", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", (long long)(h / 24));
	else if (h < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", (long long)(h / 24 / 7));
	else if (h < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", (long long)(h / 24 / 30));
	else
		snprintf(buf, len, "%lld years", (long long)(h / 24 / 365));
}

char *
containers_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* 1 if v is an array of strings (or null), else 0. */
int
containers_json_str_array(json_object *v)
{
	size_t	i, n;

	if (v == NULL)
		return 1;
	if (!json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i),
		    json_type_string))
			return 0;
	return 1;
}

int
containers_path_join(char *buf, size_t len, const char *a, const char *b)
{
	int	n;

	n = snprintf(buf, len, "%s/%s", a, b);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int
util_dim(const char *s, unsigned *out)
{
	char		*end;
	unsigned long	 v;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 65535)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* A resize's ?h=ROWS&w=COLS (container or exec), Docker's 400 if bad. */
int
containers_req_size(const struct berth_host *h, struct berth_req *req,
    unsigned *rows, unsigned *cols, struct berth_err *err)
{
	if (util_dim(h->req_query(req, "h", 0), rows) < 0 ||
	    util_dim(h->req_query(req, "w", 0), cols) < 0)
		return berth_err_set(err, -EINVAL, "invalid height or width");
	return 0;
}

/*
 * Docker's validateRestartPolicy, for create and update alike: a known
 * name, and a retry count only with on-failure, never negative.
 */
int
containers_restart_policy_check(json_object *rp, struct berth_err *err)
{
	const char	*name = berth_json_str(rp, "Name");
	json_object	*v = berth_json_get(rp, "MaximumRetryCount");
	int64_t		 max = v != NULL ? json_object_get_int64(v) : 0;

	if (name == NULL || *name == '\0')
		return 0;
	if (strcmp(name, "always") == 0 ||
	    strcmp(name, "unless-stopped") == 0 || strcmp(name, "no") == 0) {
		if (max != 0)
			return berth_err_set(err, -EINVAL, "maximum retry "
			    "count cannot be used with restart policy '%s'",
			    name);
		return 0;
	}
	if (strcmp(name, "on-failure") != 0)
		return berth_err_set(err, -EINVAL, "invalid restart policy "
		    "'%s'", name);
	if (max < 0)
		return berth_err_set(err, -EINVAL, "maximum retry count cannot "
		    "be negative");
	return 0;
}

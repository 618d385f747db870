/* log.c - berthd's log lines: time, level, who, message. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static int	log_level = BERTH_LOG_INFO;

int
log_level_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcasecmp(s, "debug") == 0)
		return BERTH_LOG_DEBUG;
	if (strcasecmp(s, "info") == 0)
		return BERTH_LOG_INFO;
	if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
		return BERTH_LOG_WARN;
	if (strcasecmp(s, "error") == 0 || strcasecmp(s, "fatal") == 0)
		return BERTH_LOG_ERR;
	return -1;
}

void
log_set_level(int prio)
{
	log_level = prio;
}

int
log_get_level(void)
{
	return log_level;
}

static const char *
log_level_name(int prio)
{
	switch (prio) {
	case BERTH_LOG_ERR:
		return "error";
	case BERTH_LOG_WARN:
		return "warn";
	case BERTH_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void
log_vmsg(int prio, const char *who, const char *fmt, va_list ap)
{
	char		 line[2048], stamp[32];
	struct timespec	 ts;
	struct tm	 tm;

	if (prio > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One fprintf per line, so lines from threads do not interleave. */
	fprintf(stderr, "%s.%03ldZ %-5s %s%s%s\n", stamp, ts.tv_nsec / 1000000,
	    log_level_name(prio), who ? who : "", who ? ": " : "", line);
}

void
log_msg(int prio, const char *who, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(prio, who, fmt, ap);
	va_end(ap);
}

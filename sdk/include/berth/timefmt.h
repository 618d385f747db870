/*
 * berth/timefmt.h - Docker's time formats: RFC 3339 as Go prints it,
 * Go durations ("1h30m"), and the timestamps filters and --since take
 * (a duration ago, a date, or Unix seconds with a fraction).  Static
 * inline, so a module links nothing from the core.  Pure: any thread.
 */
#ifndef BERTH_TIMEFMT_H
#define BERTH_TIMEFMT_H

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The wall clock, split as the formats below take it. */
static inline void
berth_time_now(int64_t *sec, long *nsec)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
}

/* Go's RFC3339Nano: trailing zeros of the fraction dropped, UTC "Z". */
static inline void
berth_time_format(int64_t sec, long nsec, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)sec;
	char		frac[16];
	int		n;

	gmtime_r(&t, &tm);
	frac[0] = '\0';
	if (nsec > 0) {
		n = snprintf(frac, sizeof(frac), ".%09ld", nsec);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac);
}

static inline int
berth_time_digits_(const char **p, int n, int *out)
{
	int	v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Days since the epoch of a civil date (proleptic Gregorian). */
static inline int64_t
berth_days_from_civil_(int64_t y, int m, int d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * "YYYY-MM-DD[Thh[:mm[:ss[.frac]]]][Z|±hh:mm]"; *zoned says whether a
 * zone was given (else the time is local and *sec is as if UTC).
 */
static inline int
berth_time_parse_loose_(const char *s, int64_t *sec, long *nsec, int *zoned)
{
	int	 y, mo, d, hh = 0, mi = 0, ss = 0, oh, om, sign, i;
	long	 ns = 0, scale = 100000000;
	int64_t	 off = 0;

	*zoned = 0;
	if (berth_time_digits_(&s, 4, &y) < 0 || *s++ != '-' || berth_time_digits_(&s, 2, &mo) < 0 ||
	    *s++ != '-' || berth_time_digits_(&s, 2, &d) < 0)
		return -EINVAL;
	if (*s == 'T') {
		s++;
		if (berth_time_digits_(&s, 2, &hh) < 0)
			return -EINVAL;
		if (*s == ':') {
			s++;
			if (berth_time_digits_(&s, 2, &mi) < 0)
				return -EINVAL;
			if (*s == ':') {
				s++;
				if (berth_time_digits_(&s, 2, &ss) < 0)
					return -EINVAL;
				if (*s == '.') {
					s++;
					for (i = 0; isdigit((unsigned char)*s);
					    i++, s++) {
						if (i < 9) {
							ns += (*s - '0') * scale;
							scale /= 10;
						}
					}
					if (i == 0)
						return -EINVAL;
				}
			}
		}
	}
	if (*s == 'Z' || *s == 'z') {
		*zoned = 1;
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (berth_time_digits_(&s, 2, &oh) < 0 || *s++ != ':' ||
		    berth_time_digits_(&s, 2, &om) < 0)
			return -EINVAL;
		off = sign * (oh * 3600 + om * 60);
		*zoned = 1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 ||
	    mi > 59 || ss > 60)
		return -EINVAL;
	*sec = berth_days_from_civil_(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss -
	    off;
	*nsec = ns;
	return 0;
}

/* RFC 3339 with any fraction and Z or an offset; 0 or -EINVAL. */
static inline int
berth_time_parse(const char *s, int64_t *sec, long *nsec)
{
	int	zoned;

	if (berth_time_parse_loose_(s, sec, nsec, &zoned) < 0 || !zoned)
		return -EINVAL;
	return 0;
}

/* Go's time.ParseDuration, in nanoseconds. */
static inline int
berth_duration_parse(const char *s, int64_t *ns)
{
	static const struct {
		const char	*unit;
		double		 mult;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 },
		{ "\xce\xbcs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 },
	};
	double		 total = 0, v;
	const char	*p = s;
	char		*end;
	int		 neg = 0, any;
	size_t		 i, ulen;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (*p == '\0')
		return -EINVAL;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		any = isdigit((unsigned char)*p) ||
		    isdigit((unsigned char)p[1]);
		v = strtod(p, &end);
		if (!any || end == p)
			return -EINVAL;
		p = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ulen = strlen(units[i].unit);
			if (strncmp(p, units[i].unit, ulen) == 0)
				break;
		}
		/* The table tries "ms" before "m". */
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		total += v * units[i].mult;
		p += strlen(units[i].unit);
	}
	if (total > 9.2e18)
		return -ERANGE;
	*ns = (int64_t)(neg ? -total : total);
	return 0;
}

/*
 * Docker's timestamp filter values (until, since): a duration before
 * now, a date (local time unless zoned), or Unix seconds[.fraction].
 */
static inline int
berth_timestamp_parse(const char *s, int64_t now, int64_t *sec, long *nsec)
{
	int64_t		 d;
	char		*end;
	struct tm	 tm;
	time_t		 t;
	int		 zoned, i;
	long		 ns, scale;

	if (strcmp(s, "0") != 0 && berth_duration_parse(s, &d) == 0) {
		*sec = now - d / 1000000000;
		*nsec = 0;
		return 0;
	}
	if (strchr(s, '-') != NULL) {
		if (berth_time_parse_loose_(s, sec, nsec, &zoned) < 0)
			return -EINVAL;
		if (!zoned) {
			/* The daemon's local time, as Docker does it. */
			t = (time_t)*sec;
			gmtime_r(&t, &tm);
			tm.tm_isdst = -1;
			*sec = (int64_t)mktime(&tm);
		}
		return 0;
	}
	errno = 0;
	*sec = strtoll(s, &end, 10);
	if (end == s || errno != 0)
		return -EINVAL;
	ns = 0;
	if (*end == '.') {
		scale = 100000000;
		for (i = 1; isdigit((unsigned char)end[i]); i++) {
			if (i <= 9) {
				ns += (end[i] - '0') * scale;
				scale /= 10;
			}
		}
		end += i;
	}
	if (*end != '\0')
		return -EINVAL;
	*nsec = ns;
	return 0;
}

#endif

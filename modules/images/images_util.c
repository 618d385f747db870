/*
 * images_util.c - digests, Docker's time formats and sizes.
 *
 * Everything here is pure and may run on any thread.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "images.h"

struct images_sha {
	EVP_MD_CTX	*ctx;
};

struct images_sha *
images_sha_new(void)
{
	struct images_sha	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
		images_sha_free(s);
		return NULL;
	}
	return s;
}

void
images_sha_update(struct images_sha *s, const void *data, size_t len)
{
	if (len > 0)
		(void)EVP_DigestUpdate(s->ctx, data, len);
}

void
images_sha_final(struct images_sha *s, char hex[IMAGES_HEX + 1])
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0, i;

	if (EVP_DigestFinal_ex(s->ctx, md, &n) != 1 || n != IMAGES_HEX / 2)
		memset(md, 0, sizeof(md));
	for (i = 0; i < IMAGES_HEX / 2; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[IMAGES_HEX] = '\0';
	images_sha_free(s);
}

void
images_sha_free(struct images_sha *s)
{
	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

void
images_sha256_hex(const void *data, size_t len, char hex[IMAGES_HEX + 1])
{
	struct images_sha	*s;

	if ((s = images_sha_new()) == NULL) {
		memset(hex, '0', IMAGES_HEX);
		hex[IMAGES_HEX] = '\0';
		return;
	}
	images_sha_update(s, data, len);
	images_sha_final(s, hex);
}

/* Lower-case hex only, as digests are written. */
int
images_is_hex(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void
images_now(int64_t *sec, long *nsec)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
}

void
images_time_format(int64_t sec, long nsec, char *buf, size_t len)
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

static int
digits(const char **p, int n, int *out)
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
static int64_t
days_from_civil(int64_t y, int m, int d)
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
static int
time_parse_loose(const char *s, int64_t *sec, long *nsec, int *zoned)
{
	int	 y, mo, d, hh = 0, mi = 0, ss = 0, oh, om, sign, i;
	long	 ns = 0, scale = 100000000;
	int64_t	 off = 0;

	*zoned = 0;
	if (digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 ||
	    *s++ != '-' || digits(&s, 2, &d) < 0)
		return -EINVAL;
	if (*s == 'T') {
		s++;
		if (digits(&s, 2, &hh) < 0)
			return -EINVAL;
		if (*s == ':') {
			s++;
			if (digits(&s, 2, &mi) < 0)
				return -EINVAL;
			if (*s == ':') {
				s++;
				if (digits(&s, 2, &ss) < 0)
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
		if (digits(&s, 2, &oh) < 0 || *s++ != ':' ||
		    digits(&s, 2, &om) < 0)
			return -EINVAL;
		off = sign * (oh * 3600 + om * 60);
		*zoned = 1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 ||
	    mi > 59 || ss > 60)
		return -EINVAL;
	*sec = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss -
	    off;
	*nsec = ns;
	return 0;
}

int
images_time_parse(const char *s, int64_t *sec, long *nsec)
{
	int	zoned;

	if (time_parse_loose(s, sec, nsec, &zoned) < 0 || !zoned)
		return -EINVAL;
	return 0;
}

int
images_duration_parse(const char *s, int64_t *ns)
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

int
images_timestamp_parse(const char *s, int64_t now, int64_t *sec, long *nsec)
{
	int64_t		 d;
	char		*end;
	struct tm	 tm;
	time_t		 t;
	int		 zoned, i;
	long		 ns, scale;

	if (strcmp(s, "0") != 0 && images_duration_parse(s, &d) == 0) {
		*sec = now - d / 1000000000;
		*nsec = 0;
		return 0;
	}
	if (strchr(s, '-') != NULL) {
		if (time_parse_loose(s, sec, nsec, &zoned) < 0)
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

void
images_human_size(double size, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"
	};
	size_t	i = 0;

	while (size >= 1000.0 && i < sizeof(units) / sizeof(units[0]) - 1) {
		size /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.4g%s", size, units[i]);
}

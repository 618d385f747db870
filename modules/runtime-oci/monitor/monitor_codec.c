/*
 * monitor_codec.c - control packets, Docker's stream frames, json-file
 * records and detach keys: see monitor_codec.h.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor_codec.h"

/* --- control packets --------------------------------------------------- */

static int
unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("._~/,:@+-", c) != NULL;
}

static void
pkt_put(struct monitor_pkt *p, const char *s, size_t n)
{
	if (p->overflow)
		return;
	if (n >= p->cap - p->len) {
		p->overflow = 1;
		return;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

void
monitor_pkt_init(struct monitor_pkt *p, char *buf, size_t cap,
    const char *verb)
{
	p->buf = buf;
	p->cap = cap;
	p->len = 0;
	p->overflow = cap == 0;
	p->has_body = 0;
	pkt_put(p, verb, strlen(verb));
}

void
monitor_pkt_add(struct monitor_pkt *p, const char *key, const char *value)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*v = (const unsigned char *)value;
	char			 esc[3];

	if (p->has_body) {
		p->overflow = 1;	/* fields after the body: a bug */
		return;
	}
	pkt_put(p, " ", 1);
	pkt_put(p, key, strlen(key));
	pkt_put(p, "=", 1);
	for (; *v != '\0'; v++) {
		if (unreserved(*v)) {
			pkt_put(p, (const char *)v, 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*v >> 4];
		esc[2] = hex[*v & 15];
		pkt_put(p, esc, 3);
	}
}

void
monitor_pkt_addf(struct monitor_pkt *p, const char *key, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		p->overflow = 1;
		return;
	}
	monitor_pkt_add(p, key, buf);
}

void
monitor_pkt_body(struct monitor_pkt *p, const void *data, size_t len)
{
	if (p->has_body) {
		p->overflow = 1;
		return;
	}
	pkt_put(p, "\n", 1);
	pkt_put(p, data, len);
	p->has_body = 1;
}

size_t
monitor_pkt_len(const struct monitor_pkt *p)
{
	return p->overflow ? 0 : p->len;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX in place; -1 on a bad escape or an embedded NUL. */
static int
pct_decode(char *s)
{
	char	*o = s;
	int	 hi, lo;

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0 ||
		    (hi == 0 && lo == 0))
			return -1;
		*o++ = (char)(hi << 4 | lo);
		s += 2;
	}
	*o = '\0';
	return 0;
}

int
monitor_msg_parse(char *buf, size_t len, struct monitor_msg *m)
{
	char	*nl, *tok, *eq, *save = NULL;

	memset(m, 0, sizeof(*m));
	buf[len] = '\0';
	if ((nl = memchr(buf, '\n', len)) != NULL) {
		*nl = '\0';
		m->body = nl + 1;
		m->bodylen = len - (size_t)(nl + 1 - buf);
	}
	if (strlen(buf) != (size_t)(nl != NULL ? nl - buf : (ptrdiff_t)len))
		return -EINVAL;		/* a NUL in the header line */
	if ((tok = strtok_r(buf, " ", &save)) == NULL)
		return -EINVAL;
	m->verb = tok;
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		if ((eq = strchr(tok, '=')) == NULL || eq == tok ||
		    m->nf == MONITOR_MAX_FIELDS)
			return -EINVAL;
		*eq = '\0';
		if (pct_decode(eq + 1) < 0)
			return -EINVAL;
		m->f[m->nf].key = tok;
		m->f[m->nf].value = eq + 1;
		m->nf++;
	}
	return 0;
}

const char *
monitor_msg_get(const struct monitor_msg *m, const char *key)
{
	size_t	i;

	for (i = 0; i < m->nf; i++)
		if (strcmp(m->f[i].key, key) == 0)
			return m->f[i].value;
	return NULL;
}

int64_t
monitor_msg_int(const struct monitor_msg *m, const char *key, int64_t def)
{
	const char	*v = monitor_msg_get(m, key);
	char		*end;
	long long	 n;

	if (v == NULL || *v == '\0')
		return def;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return def;
	return n;
}

/* --- stream frames and time -------------------------------------------- */

void
monitor_frame_header(unsigned char hdr[8], int stream, uint32_t len)
{
	hdr[0] = (unsigned char)stream;
	hdr[1] = hdr[2] = hdr[3] = 0;
	hdr[4] = (unsigned char)(len >> 24);
	hdr[5] = (unsigned char)(len >> 16);
	hdr[6] = (unsigned char)(len >> 8);
	hdr[7] = (unsigned char)len;
}

char *
monitor_time_rfc3339(int64_t ns, char *buf, size_t len)
{
	time_t		 sec = (time_t)(ns / 1000000000);
	long		 frac = (long)(ns % 1000000000);
	struct tm	 tm;
	char		 f[16];
	int		 n;

	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	gmtime_r(&sec, &tm);
	f[0] = '\0';
	if (frac != 0) {
		n = snprintf(f, sizeof(f), ".%09ld", frac);
		while (n > 1 && f[n - 1] == '0')
			f[--n] = '\0';
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, f);
	return buf;
}

/* --- json-file records ----------------------------------------------- */

/* The length of a valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t	c;
	size_t		need, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (need == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return need;
}

struct out {
	char	*p;
	size_t	 cap;
	size_t	 len;
};

static void
out_put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap)
		memcpy(o->p + o->len, s, n <= o->cap - o->len ? n :
		    o->cap - o->len);
	o->len += n;
}

static void
out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

/* A JSON string, escaped as Docker's jsonlog (Go's rules) does. */
static void
out_json_string(struct out *o, const char *data, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = (const unsigned char *)data;
	char			 esc[8];
	uint32_t		 cp;
	size_t			 i = 0, start = 0, n;

	out_put(o, "\"", 1);
	while (i < len) {
		if (s[i] < 0x80) {
			if (s[i] >= 0x20 && s[i] != '\\' && s[i] != '"' &&
			    s[i] != '<' && s[i] != '>' && s[i] != '&') {
				i++;
				continue;
			}
			out_put(o, data + start, i - start);
			switch (s[i]) {
			case '\\':
			case '"':
				esc[0] = '\\';
				esc[1] = (char)s[i];
				out_put(o, esc, 2);
				break;
			case '\n':
				out_put(o, "\\n", 2);
				break;
			case '\r':
				out_put(o, "\\r", 2);
				break;
			case '\t':
				out_put(o, "\\t", 2);
				break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[s[i] >> 4];
				esc[5] = hex[s[i] & 15];
				out_put(o, esc, 6);
				break;
			}
			start = ++i;
			continue;
		}
		if ((n = utf8_len(s + i, len - i, &cp)) == 0) {
			out_put(o, data + start, i - start);
			out_put(o, "\\ufffd", 6);
			start = ++i;
			continue;
		}
		if (cp == 0x2028 || cp == 0x2029) {
			out_put(o, data + start, i - start);
			out_put(o, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
			i += n;
			start = i;
			continue;
		}
		i += n;
	}
	out_put(o, data + start, len - start);
	out_put(o, "\"", 1);
}

size_t
monitor_log_line(char *out, size_t cap, const char *data, size_t len,
    const char *stream, int64_t ns)
{
	struct out	o = { out, cap, 0 };
	char		t[40];

	out_str(&o, "{\"log\":");
	out_json_string(&o, data, len);
	out_str(&o, ",\"stream\":\"");
	out_str(&o, stream);
	out_str(&o, "\",\"time\":\"");
	out_str(&o, monitor_time_rfc3339(ns, t, sizeof(t)));
	out_str(&o, "\"}\n");
	if (o.len < cap)
		out[o.len] = '\0';
	return o.len;
}

size_t
monitor_log_split(const char *buf, size_t len)
{
	const char	*nl;
	size_t		 n = len < MONITOR_LOG_LINE_MAX ? len :
			    MONITOR_LOG_LINE_MAX;

	if ((nl = memchr(buf, '\n', n)) != NULL)
		return (size_t)(nl - buf) + 1;
	return n == MONITOR_LOG_LINE_MAX ? n : 0;
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	return p;
}

static void
put_utf8(struct out *o, uint32_t c)
{
	char	b[4];

	if (c < 0x80) {
		b[0] = (char)c;
		out_put(o, b, 1);
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		out_put(o, b, 2);
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		out_put(o, b, 3);
	} else {
		b[0] = (char)(0xf0 | c >> 18);
		b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		out_put(o, b, 4);
	}
}

static int
hex4(const char *p, const char *end, uint32_t *v)
{
	int	i, h;

	if (end - p < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		if ((h = hexval(p[i])) < 0)
			return -1;
		*v = *v << 4 | (uint32_t)h;
	}
	return 0;
}

/*
 * Decode the JSON string starting at p (on its opening quote) into o;
 * returns the byte after the closing quote, or NULL.
 */
static const char *
json_string(const char *p, const char *end, struct out *o)
{
	uint32_t	c, lo;
	char		ch;

	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p != '\\') {
			out_put(o, p, 1);
			continue;
		}
		if (++p >= end)
			return NULL;
		switch (*p) {
		case 'n':	ch = '\n'; break;
		case 'r':	ch = '\r'; break;
		case 't':	ch = '\t'; break;
		case 'b':	ch = '\b'; break;
		case 'f':	ch = '\f'; break;
		case '/':	ch = '/'; break;
		case '\\':	ch = '\\'; break;
		case '"':	ch = '"'; break;
		case 'u':
			if (hex4(p + 1, end, &c) < 0)
				return NULL;
			p += 4;
			if (c >= 0xd800 && c <= 0xdbff && end - p > 6 &&
			    p[1] == '\\' && p[2] == 'u' &&
			    hex4(p + 3, end, &lo) == 0 && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			} else if (c >= 0xd800 && c <= 0xdfff)
				c = 0xfffd;
			put_utf8(o, c);
			continue;
		default:
			return NULL;
		}
		out_put(o, &ch, 1);
	}
	return NULL;
}

/* Skip a JSON value that is not a string (number, literal, nesting). */
static const char *
json_skip(const char *p, const char *end)
{
	struct out	 sink = { NULL, 0, 0 };
	int		 depth = 0;

	while (p < end) {
		if (*p == '"') {
			if ((p = json_string(p, end, &sink)) == NULL)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return p;
			depth--;
		} else if (*p == ',' && depth == 0)
			return p;
		p++;
	}
	return NULL;
}

typedef void	(*field_cb)(void *arg, const char *key, size_t klen,
		    const char *val, size_t vlen);

/*
 * Walk the flat object at p ('{'), calling cb for every string-valued
 * member with its decoded value in scratch.  Returns the byte after '}'.
 */
static const char *
json_object_walk(const char *p, const char *end, char *scratch, size_t cap,
    field_cb cb, void *arg)
{
	struct out	 k, v;
	char		 key[32];

	if (p >= end || *p != '{')
		return NULL;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	while (p < end) {
		k = (struct out){ key, sizeof(key) - 1, 0 };
		if ((p = json_string(p, end, &k)) == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return NULL;
		p = skip_ws(p + 1, end);
		if (p < end && *p == '"') {
			v = (struct out){ scratch, cap, 0 };
			if ((p = json_string(p, end, &v)) == NULL)
				return NULL;
			if (k.len < sizeof(key) && v.len <= cap)
				cb(arg, key, k.len, scratch, v.len);
		} else if ((p = json_skip(p, end)) == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			return p + 1;
		return NULL;
	}
	return NULL;
}

struct log_rec {
	char	*out;
	size_t	 cap;
	ssize_t	 len;
	int	 stream;
};

static void
log_rec_field(void *arg, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct log_rec	*r = arg;

	if (klen == 3 && memcmp(key, "log", 3) == 0 && vlen <= r->cap) {
		memmove(r->out, val, vlen);
		r->len = (ssize_t)vlen;
	} else if (klen == 6 && memcmp(key, "stream", 6) == 0)
		r->stream = vlen == 6 && memcmp(val, "stderr", 6) == 0 ? 2 : 1;
}

ssize_t
monitor_log_parse(const char *rec, size_t len, char *out, size_t cap,
    int *stream)
{
	struct log_rec	 r = { out, cap, -1, 1 };
	char		*scratch;
	const char	*end = rec + len, *p;

	/* The decoded text is never longer than its encoding. */
	if ((scratch = malloc(len + 1)) == NULL)
		return -1;
	p = json_object_walk(skip_ws(rec, end), end, scratch, len, log_rec_field,
	    &r);
	free(scratch);
	if (p == NULL || r.len < 0)
		return -1;
	*stream = r.stream;
	return r.len;
}

struct rt_err {
	char	 msg[1024];
	size_t	 msglen;
	int	 has_msg;
	int	 is_error;
};

static void
rt_err_field(void *arg, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct rt_err	*e = arg;

	if (klen == 3 && memcmp(key, "msg", 3) == 0) {
		e->msglen = vlen < sizeof(e->msg) ? vlen : sizeof(e->msg) - 1;
		memcpy(e->msg, val, e->msglen);
		e->has_msg = 1;
	} else if (klen == 5 && memcmp(key, "level", 5) == 0)
		e->is_error = (vlen == 5 && memcmp(val, "error", 5) == 0) ||
		    (vlen == 5 && memcmp(val, "fatal", 5) == 0);
}

size_t
monitor_runtime_error(const char *log, size_t len, char *out, size_t cap)
{
	const char	*p = log, *end = log + len, *q;
	struct rt_err	 e;
	char		 scratch[4096];
	size_t		 n = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	while ((p = memchr(p, '{', (size_t)(end - p))) != NULL) {
		memset(&e, 0, sizeof(e));
		if ((q = json_object_walk(p, end, scratch, sizeof(scratch),
		    rt_err_field, &e)) == NULL) {
			p++;
			continue;
		}
		if (e.has_msg && e.is_error) {
			n = e.msglen < cap ? e.msglen : cap - 1;
			memcpy(out, e.msg, n);
			out[n] = '\0';
		}
		p = q;
	}
	return n;
}

/* --- detach keys ------------------------------------------------------- */

int
monitor_detach_parse(const char *spec, unsigned char *keys, size_t cap)
{
	const char	*p, *comma;
	size_t		 n = 0, klen;
	char		 c;

	if (spec == NULL || *spec == '\0')
		spec = "ctrl-p,ctrl-q";
	for (p = spec;; p = comma + 1) {
		comma = strchr(p, ',');
		klen = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == cap)
			return -EINVAL;
		if (klen == 1)
			keys[n++] = (unsigned char)p[0];
		else if (klen == 6 && strncmp(p, "ctrl-", 5) == 0) {
			c = p[5];
			if (c >= 'a' && c <= 'z')
				keys[n++] = (unsigned char)(c - 'a' + 1);
			else if (c == '@')
				keys[n++] = 0;
			else if (c == '[' || c == '\\' || c == ']' ||
			    c == '^' || c == '_')
				keys[n++] = (unsigned char)(c - '@');
			else
				return -EINVAL;
		} else
			return -EINVAL;
		if (comma == NULL)
			break;
	}
	return (int)n;
}

size_t
monitor_detach_feed(struct monitor_detach *d, const unsigned char *in,
    size_t n, unsigned char *out, int *detached)
{
	size_t	i, o = 0;

	*detached = 0;
	if (d->nkeys == 0) {
		memcpy(out, in, n);
		return n;
	}
	for (i = 0; i < n; i++) {
		if (in[i] == d->keys[d->matched]) {
			if (++d->matched == d->nkeys) {
				d->matched = 0;
				*detached = 1;
				return o;
			}
			continue;
		}
		/* A broken sequence: what was held goes through after all. */
		if (d->matched > 0) {
			memcpy(out + o, d->keys, d->matched);
			o += d->matched;
			d->matched = 0;
			if (in[i] == d->keys[0]) {
				d->matched = 1;
				if (d->nkeys == 1) {
					d->matched = 0;
					*detached = 1;
					return o;
				}
				continue;
			}
		}
		out[o++] = in[i];
	}
	return o;
}

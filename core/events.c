/*
 * events.c - the event bus behind berth_host.emit and GET /events.
 *
 * Every event is built once: its json-c object (kept for filter matching
 * on replay) and its wire line, serialized as Docker's encoder would.  The
 * last EVENTS_RING of them stay in a ring for since/until replay.  Each
 * /events request that outlives its replay becomes a subscriber, served
 * only through the host table's req/resp ops.
 *
 * Slow readers: resp_write only queues, so publishing never blocks; what
 * bounds a subscriber is its connection's unsent output.  Once that
 * exceeds EVENTS_BACKLOG_MAX bytes (EVENTS_QUEUE_MAX events of 1 KiB, a
 * generous size for one event) the subscriber is sent one error line and
 * its stream is ended.  Docker instead silently drops single events for
 * a reader that lags by 1024; ending the stream tells the client it lost
 * events, and its memory is bounded either way.
 */
#include <sys/queue.h>

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"

#define NSEC_PER_SEC		1000000000LL
#define EVENTS_TRIM_MS		1000	/* after a stream ends */
#define EVENTS_BACKLOG_MAX	((size_t)EVENTS_QUEUE_MAX * 1024)
#define EVENTS_SLOW_LINE	"{\"error\":\"events: subscriber too slow, " \
				"events lost; stream ended\"}\n"

/* Filter keys, as accepted by Docker's /events. */
enum ef_key {
	EF_CONFIG,
	EF_CONTAINER,
	EF_DAEMON,
	EF_EVENT,
	EF_IMAGE,
	EF_LABEL,
	EF_NETWORK,
	EF_NODE,
	EF_PLUGIN,
	EF_SCOPE,
	EF_SECRET,
	EF_SERVICE,
	EF_TYPE,
	EF_VOLUME,
	EF_NKEYS
};

static const char *const ef_names[EF_NKEYS] = {
	[EF_CONFIG] = "config",
	[EF_CONTAINER] = "container",
	[EF_DAEMON] = "daemon",
	[EF_EVENT] = "event",
	[EF_IMAGE] = "image",
	[EF_LABEL] = "label",
	[EF_NETWORK] = "network",
	[EF_NODE] = "node",
	[EF_PLUGIN] = "plugin",
	[EF_SCOPE] = "scope",
	[EF_SECRET] = "secret",
	[EF_SERVICE] = "service",
	[EF_TYPE] = "type",
	[EF_VOLUME] = "volume",
};

/* Keys matched by ID or name prefix, whatever the event's type (moby). */
static const enum ef_key ef_name_keys[] = {
	EF_CONFIG, EF_CONTAINER, EF_DAEMON, EF_NETWORK, EF_NODE, EF_PLUGIN,
	EF_SECRET, EF_SERVICE, EF_VOLUME,
};

/* A set of values; empty means the key does not constrain (as Docker). */
struct ef_set {
	char	**v;
	size_t	  n;
};

struct events_filter {
	struct ef_set	 set[EF_NKEYS];
};

struct events_ent {
	json_object	*ev;		/* owned; for filter matching */
	char		*line;		/* owned; the wire form, '\n' ended */
	size_t		 len;
	int64_t		 ns;		/* timeNano */
};

struct events_sub {
	TAILQ_ENTRY(events_sub)	 entry;
	struct berth_req	*req;
	struct events_filter	*filter;	/* owned */
	struct berth_timer	*timer;		/* the until timer, or NULL */
	int64_t			 until;
	int			 has_until;
	int			 gone;		/* end at the next sweep */
};

TAILQ_HEAD(events_subs, events_sub);

static const struct berth_host	*events_host;
static struct events_subs	 events_subs =
    TAILQ_HEAD_INITIALIZER(events_subs);
static int			 events_nsubs;
/* Set while delivering: ends are deferred so the list stays walkable. */
static int			 events_delivering;
static struct events_ent	 events_ring[EVENTS_RING];
static size_t			 events_head;	/* oldest */
static size_t			 events_count;

static int64_t
events_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* --- time ---------------------------------------------------------- */

static int
events_digits(const char *s, size_t n)
{
	size_t	i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
events_time_parse(const char *s, int64_t *ns, struct berth_err *err)
{
	const char	*p, *dot, *frac = NULL;
	size_t		 sec_len, frac_len = 0, i;
	int64_t		 sec = 0, nsec = 0, scale;
	int		 neg = 0;

	if (s == NULL)
		s = "";
	p = s;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if ((dot = strchr(p, '.')) != NULL) {
		sec_len = (size_t)(dot - p);
		frac = dot + 1;
		frac_len = strlen(frac);
	} else
		sec_len = strlen(p);
	if (!events_digits(p, sec_len) ||
	    (frac != NULL && !events_digits(frac, frac_len)))
		goto bad;
	for (i = 0; i < sec_len; i++) {
		/* Keep sec * 1e9 inside int64_t. */
		if (sec > (INT64_MAX / NSEC_PER_SEC - 9) / 10)
			goto bad;
		sec = sec * 10 + (p[i] - '0');
	}
	/* Docker scales the fraction by its digit count: ".5" is 0.5 s. */
	scale = NSEC_PER_SEC;
	for (i = 0; i < frac_len && i < 9; i++) {
		scale /= 10;
		nsec += (frac[i] - '0') * scale;
	}
	/* As time.Unix(sec, nsec): "-1.5" is half a second before 1970. */
	*ns = (neg ? -sec : sec) * NSEC_PER_SEC + nsec;
	return 0;
bad:
	return berth_err_set(err, -EINVAL,
	    "failed to parse value %.64s as timestamp", s);
}

/* --- filters --------------------------------------------------------- */

static int
ef_add(struct ef_set *set, const char *v)
{
	char	**nv, *dup;

	if ((dup = strdup(v)) == NULL)
		return -ENOMEM;
	nv = reallocarray(set->v, set->n + 1, sizeof(*nv));
	if (nv == NULL) {
		free(dup);
		return -ENOMEM;
	}
	nv[set->n++] = dup;
	set->v = nv;
	return 0;
}

void
events_filter_free(struct events_filter *f)
{
	size_t	k, i;

	if (f == NULL)
		return;
	for (k = 0; k < EF_NKEYS; k++) {
		for (i = 0; i < f->set[k].n; i++)
			free(f->set[k].v[i]);
		free(f->set[k].v);
	}
	free(f);
}

/*
 * Docker decodes the map-of-sets form first and, if that fails, the
 * legacy map-of-lists form; a document that is neither (or mixes the
 * two) is an error.  Returns 1 for legacy, 0 for sets, -1 for neither.
 */
static int
ef_form(json_object *root)
{
	int	legacy = 0, sets = 0;

	json_object_object_foreach(root, key, val) {
		(void)key;
		if (val == NULL)
			continue;
		if (json_object_is_type(val, json_type_object))
			sets = 1;
		else if (json_object_is_type(val, json_type_array))
			legacy = 1;
		else
			return -1;
	}
	if (sets && legacy)
		return -1;
	return legacy;
}

static int
ef_load_key(struct ef_set *set, json_object *val, int legacy,
    struct berth_err *err)
{
	json_object	*e;
	size_t		 i, n;
	int		 rc;

	if (val == NULL)
		return 0;
	if (legacy) {
		n = json_object_array_length(val);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(val, i);
			if (e == NULL)
				continue;
			if (!json_object_is_type(e, json_type_string))
				return berth_err_set(err, -EINVAL,
				    "invalid filter: values must be strings");
			if ((rc = ef_add(set, json_object_get_string(e))) < 0)
				return berth_err_set(err, rc, "out of memory");
		}
		return 0;
	}
	json_object_object_foreach(val, v, b) {
		if (b == NULL)
			continue;
		if (!json_object_is_type(b, json_type_boolean))
			return berth_err_set(err, -EINVAL,
			    "invalid filter: set members must be booleans");
		/* Go's map lookup yields false for these: never a match. */
		if (!json_object_get_boolean(b))
			continue;
		if ((rc = ef_add(set, v)) < 0)
			return berth_err_set(err, rc, "out of memory");
	}
	return 0;
}

static json_object *
ef_parse_json(const char *s, struct berth_err *err)
{
	struct json_tokener	*tok;
	json_object		*root;
	enum json_tokener_error	 jerr;
	size_t			 len = strlen(s), end;

	if ((tok = json_tokener_new()) == NULL) {
		berth_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* The NUL too: it is what ends a top-level number or literal. */
	root = json_tokener_parse_ex(tok, s, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		json_object_put(root);
		berth_err_set(err, -EINVAL, "invalid filter: %s",
		    jerr == json_tokener_continue ? "unexpected end of JSON" :
		    json_tokener_error_desc(jerr));
		return NULL;
	}
	while (end < len && strchr(" \t\r\n", s[end]) != NULL)
		end++;
	if (end < len) {
		json_object_put(root);
		berth_err_set(err, -EINVAL,
		    "invalid filter: trailing data after JSON value");
		return NULL;
	}
	if (root == NULL)	/* "null": no filters, as Go decodes it */
		root = json_object_new_object();
	if (root == NULL)
		berth_err_set(err, -ENOMEM, "out of memory");
	return root;
}

int
events_filter_parse(const char *json, struct events_filter **out,
    struct berth_err *err)
{
	struct events_filter	*f;
	json_object		*root = NULL;
	size_t			 k;
	int			 legacy, rc;

	*out = NULL;
	if (json != NULL && json[0] != '\0' &&
	    (root = ef_parse_json(json, err)) == NULL)
		return err != NULL ? err->code : -EINVAL;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		rc = berth_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (root == NULL) {
		*out = f;
		return 0;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    (legacy = ef_form(root)) < 0) {
		rc = berth_err_set(err, -EINVAL,
		    "invalid filter: want {\"key\":{\"value\":true}} or "
		    "{\"key\":[\"value\"]}");
		goto out;
	}
	json_object_object_foreach(root, key, val) {
		for (k = 0; k < EF_NKEYS; k++)
			if (strcmp(key, ef_names[k]) == 0)
				break;
		if (k == EF_NKEYS) {
			rc = berth_err_set(err, -EINVAL, "invalid filter '%s'",
			    key);
			goto out;
		}
		if ((rc = ef_load_key(&f->set[k], val, legacy, err)) < 0)
			goto out;
	}
	*out = f;
	f = NULL;
	rc = 0;
out:
	events_filter_free(f);
	json_object_put(root);
	return rc;
}

/* o's string member key; "" if o is NULL or has none (Go's zero value). */
static const char *
ef_str(json_object *o, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int
ef_exact(const struct ef_set *set, const char *s)
{
	size_t	i;

	if (set->n == 0)
		return 1;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i], s) == 0)
			return 1;
	return 0;
}

static int
ef_prefix(const struct ef_set *set, const char *s)
{
	size_t	i;

	if (set->n == 0)
		return 1;
	for (i = 0; i < set->n; i++)
		if (strncmp(s, set->v[i], strlen(set->v[i])) == 0)
			return 1;
	return 0;
}

/* Actions that carry a suffix ("exec_start: sh -c true") (moby #25798). */
static int
ef_event(const struct ef_set *set, const char *action)
{
	static const char *const fuzzy[] = {
		"exec_create", "exec_start", "health_status",
	};
	size_t	i, j;

	for (i = 0; i < set->n; i++)
		for (j = 0; j < sizeof(fuzzy) / sizeof(fuzzy[0]); j++)
			if (strcmp(set->v[i], fuzzy[j]) == 0)
				return ef_prefix(set, action);
	return ef_exact(set, action);
}

/* Every label given must be present (k) or equal (k=v), as Docker. */
static int
ef_labels(const struct ef_set *set, json_object *attrs)
{
	const char	*want, *eq, *have;
	size_t		 i, klen;
	int		 found;

	if (set->n == 0)
		return 1;
	if (attrs == NULL || json_object_object_length(attrs) == 0)
		return 0;
	for (i = 0; i < set->n; i++) {
		want = set->v[i];
		eq = strchr(want, '=');
		klen = eq != NULL ? (size_t)(eq - want) : strlen(want);
		found = 0;
		json_object_object_foreach(attrs, k, v) {
			if (strncmp(k, want, klen) != 0 || k[klen] != '\0')
				continue;
			have = v != NULL ? json_object_get_string(v) : "";
			found = eq == NULL || strcmp(have, eq + 1) == 0;
			break;
		}
		if (!found)
			return 0;
	}
	return 1;
}

static int
ef_refchars(const char *s, int tag)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '_' || *s == '-')
			continue;
		if (tag ? (*s >= 'A' && *s <= 'Z') : *s == '/')
			continue;
		return 0;
	}
	return 1;
}

/*
 * The familiar repository name of an image reference, without tag or
 * digest ("docker.io/library/busybox:1" is "busybox"), in buf (at least
 * strlen(ref) + 1 bytes).  What does not parse as a reference comes back
 * unchanged, as Docker does.
 */
static const char *
ef_strip_tag(const char *ref, char *buf)
{
	char	*path, *slash, *colon;
	size_t	 len, dlen;
	int	 hub = 1;

	len = strcspn(ref, "@");
	/* Empty, or a bare 64-hex ID: not a name. */
	if (len == 0 ||
	    (len == 64 && strspn(ref, "0123456789abcdef") == 64))
		return ref;
	memcpy(buf, ref, len);
	buf[len] = '\0';
	path = buf;
	/* A first component with '.' or ':' or "localhost" is a registry. */
	if ((slash = strchr(buf, '/')) != NULL) {
		dlen = (size_t)(slash - buf);
		if (memchr(buf, '.', dlen) != NULL ||
		    memchr(buf, ':', dlen) != NULL ||
		    (dlen == 9 && strncmp(buf, "localhost", 9) == 0)) {
			hub = (dlen == 9 &&
			    strncmp(buf, "docker.io", 9) == 0) ||
			    (dlen == 15 &&
			    strncmp(buf, "index.docker.io", 15) == 0);
			path = slash + 1;
		}
	}
	if ((colon = strrchr(path, ':')) != NULL) {
		if (!ef_refchars(colon + 1, 1))
			return ref;
		*colon = '\0';
	}
	if (!ef_refchars(path, 0))
		return ref;
	if (!hub)
		return buf;
	if (strncmp(path, "library/", 8) == 0 && path[8] != '\0' &&
	    strchr(path + 8, '/') == NULL)
		path += 8;
	return path;
}

static int
ef_image(const struct ef_set *set, const char *type, const char *id,
    json_object *attrs)
{
	const char	*name, *s;
	char		*buf;
	int		 ok;

	if (set->n == 0)
		return 1;
	name = ef_str(attrs, strcmp(type, "image") == 0 ? "name" : "image");
	if (ef_exact(set, id) || ef_exact(set, name))
		return 1;
	if ((buf = malloc(strlen(id) + strlen(name) + 1)) == NULL)
		return 0;
	s = ef_strip_tag(id, buf);
	ok = ef_exact(set, s);
	if (!ok) {
		s = ef_strip_tag(name, buf);
		ok = ef_exact(set, s);
	}
	free(buf);
	return ok;
}

int
events_filter_match(const struct events_filter *f, json_object *ev)
{
	json_object	*actor = NULL, *attrs = NULL;
	const char	*type, *id, *name;
	size_t		 i;

	if (f == NULL)
		return 1;
	type = ef_str(ev, "Type");
	json_object_object_get_ex(ev, "Actor", &actor);
	if (actor != NULL)
		json_object_object_get_ex(actor, "Attributes", &attrs);
	id = ef_str(actor, "ID");
	name = ef_str(attrs, "name");
	if (!ef_event(&f->set[EF_EVENT], ef_str(ev, "Action")) ||
	    !ef_exact(&f->set[EF_TYPE], type) ||
	    !ef_exact(&f->set[EF_SCOPE], ef_str(ev, "scope")))
		return 0;
	for (i = 0; i < sizeof(ef_name_keys) / sizeof(ef_name_keys[0]); i++)
		if (!ef_prefix(&f->set[ef_name_keys[i]], id) &&
		    !ef_prefix(&f->set[ef_name_keys[i]], name))
			return 0;
	return ef_image(&f->set[EF_IMAGE], type, id, attrs) &&
	    ef_labels(&f->set[EF_LABEL], attrs);
}

/* --- building events ------------------------------------------------ */

static int
events_add(json_object *o, const char *key, json_object *v)
{
	if (v == NULL)
		return -1;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int
events_add_str(json_object *o, const char *key, const char *s)
{
	return events_add(o, key, json_object_new_string(s));
}

static int
events_keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Attributes, copied with sorted keys: Go encodes a map sorted. */
static json_object *
events_attrs(json_object *attrs)
{
	json_object	*out, *v;
	const char	**keys = NULL, *s;
	size_t		 n = 0, i;

	if ((out = json_object_new_object()) == NULL)
		return NULL;
	if (attrs == NULL || !json_object_is_type(attrs, json_type_object))
		return out;
	if (json_object_object_length(attrs) == 0)
		return out;
	keys = calloc((size_t)json_object_object_length(attrs), sizeof(*keys));
	if (keys == NULL)
		goto fail;
	json_object_object_foreach(attrs, k, val) {
		(void)val;
		keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), events_keycmp);
	for (i = 0; i < n; i++) {
		json_object_object_get_ex(attrs, keys[i], &v);
		/* Attributes are strings; stringify anything else. */
		s = v != NULL ? json_object_get_string(v) : "";
		if (events_add_str(out, keys[i], s) < 0)
			goto fail;
	}
	free(keys);
	return out;
fail:
	free(keys);
	json_object_put(out);
	return NULL;
}

static json_object *
events_build(const char *type, const char *action, const char *id,
    json_object *attrs, int64_t ns)
{
	json_object	*ev, *actor, *a;
	const char	*from;
	int		 legacy, rc = 0;

	if ((ev = json_object_new_object()) == NULL)
		return NULL;
	legacy = strcmp(type, "container") == 0 || strcmp(type, "image") == 0;
	/* Docker's deprecated fields, omitted when empty. */
	if (legacy && action[0] != '\0')
		rc |= events_add_str(ev, "status", action);
	if (legacy && id[0] != '\0')
		rc |= events_add_str(ev, "id", id);
	if (strcmp(type, "container") == 0) {
		from = ef_str(attrs, "image");
		if (from[0] != '\0')
			rc |= events_add_str(ev, "from", from);
	}
	rc |= events_add_str(ev, "Type", type);
	rc |= events_add_str(ev, "Action", action);
	if (rc != 0 || (actor = json_object_new_object()) == NULL)
		goto fail;
	if (events_add(ev, "Actor", actor) < 0)
		goto fail;
	rc |= events_add_str(actor, "ID", id);
	if ((a = events_attrs(attrs)) == NULL)
		goto fail;
	rc |= events_add(actor, "Attributes", a);
	rc |= events_add_str(ev, "scope", "local");
	rc |= events_add(ev, "time", json_object_new_int64(ns / NSEC_PER_SEC));
	rc |= events_add(ev, "timeNano", json_object_new_int64(ns));
	if (rc != 0)
		goto fail;
	return ev;
fail:
	json_object_put(ev);
	return NULL;
}

/*
 * The wire line: json-c's plain output, with Go's escaping of <, >, &,
 * U+2028 and U+2029 (these occur only inside strings), and a newline.
 */
static char *
events_serialize(json_object *ev, size_t *lenp)
{
	const unsigned char	*s, *p;
	char			*out, *q;
	size_t			 extra = 0;

	s = (const unsigned char *)json_object_to_json_string_ext(ev,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++) {
		if (*p == '<' || *p == '>' || *p == '&')
			extra += 5;
		else if (p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0xa8 || p[2] == 0xa9))
			extra += 3;
	}
	if ((out = malloc((size_t)(p - s) + extra + 2)) == NULL)
		return NULL;
	for (p = s, q = out; *p != '\0'; p++) {
		if (*p == '<' || *p == '>' || *p == '&') {
			q += sprintf(q, "\\u%04x", *p);
		} else if (p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0xa8 || p[2] == 0xa9)) {
			q += sprintf(q, "\\u%04x",
			    p[2] == 0xa8 ? 0x2028 : 0x2029);
			p += 2;
		} else
			*q++ = (char)*p;
	}
	*q++ = '\n';
	*q = '\0';
	*lenp = (size_t)(q - out);
	return out;
}

static void
events_ent_clear(struct events_ent *e)
{
	json_object_put(e->ev);
	free(e->line);
	memset(e, 0, sizeof(*e));
}

/* --- subscribers ---------------------------------------------------- */

/*
 * A subscriber's unsent output (up to EVENTS_BACKLOG_MAX) is freed with
 * its connection, but glibc keeps freed pages: once the streams have
 * ended and things are quiet, hand them back, so that a burst of slow
 * readers does not leave berthd's RSS where the burst took it.
 */
static struct berth_timer	*events_trim_timer;

static void
events_trim(void *arg)
{
	(void)arg;
	events_trim_timer = NULL;	/* the host freed it */
	(void)malloc_trim(0);
}

static void
events_end(struct events_sub *s)
{
	TAILQ_REMOVE(&events_subs, s, entry);
	events_nsubs--;
	if (s->timer != NULL)
		events_host->timer_del(events_host, s->timer);
	events_host->resp_end(s->req);
	events_filter_free(s->filter);
	free(s);
	if (events_trim_timer == NULL)
		events_trim_timer = events_host->timer_add(events_host,
		    EVENTS_TRIM_MS, events_trim, NULL);
}

static void
events_sweep(void)
{
	struct events_sub	*s, *next;

	for (s = TAILQ_FIRST(&events_subs); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->gone)
			events_end(s);
	}
}

static void
events_on_close(void *arg)
{
	struct events_sub	*s = arg;

	s->gone = 1;
	if (!events_delivering)
		events_end(s);
}

static void
events_on_until(void *arg)
{
	struct events_sub	*s = arg;

	s->timer = NULL;	/* the host freed it */
	s->gone = 1;
	if (!events_delivering)
		events_end(s);
}

static void
events_send(struct events_sub *s, const struct events_ent *e)
{
	const struct berth_host	*h = events_host;
	size_t			 queued;

	queued = h->resp_buffered(s->req);
	if (queued > EVENTS_BACKLOG_MAX) {
		h->log(h, BERTH_LOG_WARN, "events: dropping a subscriber "
		    "%zu bytes behind", queued);
		(void)h->resp_write(s->req, EVENTS_SLOW_LINE,
		    sizeof(EVENTS_SLOW_LINE) - 1);
		s->gone = 1;
		return;
	}
	if (h->resp_write(s->req, e->line, e->len) < 0)
		s->gone = 1;	/* the client left; end it all the same */
}

static void
events_deliver(const struct events_ent *e)
{
	struct events_sub	*s;

	if (events_host == NULL)
		return;
	events_delivering = 1;
	TAILQ_FOREACH(s, &events_subs, entry) {
		if (s->gone || (s->has_until && e->ns > s->until))
			continue;
		if (events_filter_match(s->filter, e->ev))
			events_send(s, e);
	}
	events_delivering = 0;
	events_sweep();
}

/* --- the interface --------------------------------------------------- */

int
events_init(const struct berth_host *h)
{
	events_host = h;
	return 0;
}

void
events_fini(void)
{
	size_t	i;

	while (!TAILQ_EMPTY(&events_subs))
		events_end(TAILQ_FIRST(&events_subs));
	if (events_trim_timer != NULL)
		events_host->timer_del(events_host, events_trim_timer);
	events_trim_timer = NULL;
	for (i = 0; i < EVENTS_RING; i++)
		events_ent_clear(&events_ring[i]);
	events_head = events_count = 0;
	events_host = NULL;
}

int
events_listeners(void)
{
	return events_nsubs;
}

void
events_publish(const char *type, const char *action, const char *actor_id,
    json_object *attrs)
{
	struct events_ent	 e, *slot;

	if (type == NULL)
		type = "";
	if (action == NULL)
		action = "";
	if (actor_id == NULL)
		actor_id = "";
	memset(&e, 0, sizeof(e));
	e.ns = events_now();
	e.ev = events_build(type, action, actor_id, attrs, e.ns);
	if (e.ev == NULL || (e.line = events_serialize(e.ev, &e.len)) == NULL) {
		if (events_host != NULL)
			events_host->log(events_host, BERTH_LOG_ERR,
			    "events: out of memory, %s %s event lost", type,
			    action);
		events_ent_clear(&e);
		return;
	}
	if (events_count == EVENTS_RING) {
		slot = &events_ring[events_head];
		events_ent_clear(slot);
		events_head = (events_head + 1) % EVENTS_RING;
	} else {
		slot = &events_ring[(events_head + events_count) % EVENTS_RING];
		events_count++;
	}
	*slot = e;
	events_deliver(slot);
}

void
events_handle(struct berth_req *req, void *state)
{
	const struct berth_host	*h = events_host;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct events_filter	*f = NULL;
	struct events_sub	*s;
	const struct events_ent	*e;
	const char		*since_s, *until_s;
	int64_t			 since = 0, until = 0, now;
	int			 has_since, has_until;
	size_t			 i;

	since_s = h->req_query(req, "since", 0);
	until_s = h->req_query(req, "until", 0);
	has_since = since_s != NULL && since_s[0] != '\0';
	has_until = until_s != NULL && until_s[0] != '\0';
	if ((has_since && events_time_parse(since_s, &since, &err) < 0) ||
	    (has_until && events_time_parse(until_s, &until, &err) < 0))
		goto fail;
	if (has_since && has_until && until < since) {
		berth_err_set(&err, -EINVAL,
		    "`since` time (%.64s) cannot be after `until` time (%.64s)",
		    since_s, until_s);
		goto fail;
	}
	if (events_filter_parse(h->req_query(req, "filters", 0), &f,
	    &err) < 0)
		goto fail;

	h->resp_start(req, 200, "application/json");
	/* Replay, oldest first: Docker replays only if asked for a window. */
	for (i = 0; (has_since || has_until) && i < events_count; i++) {
		e = &events_ring[(events_head + i) % EVENTS_RING];
		if ((has_since && e->ns < since) ||
		    (has_until && e->ns > until) ||
		    !events_filter_match(f, e->ev))
			continue;
		if (h->resp_write(req, e->line, e->len) < 0)
			goto end;
	}
	now = events_now();
	if (has_until && until < now)
		goto end;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		h->log(h, BERTH_LOG_ERR, "events: out of memory");
		goto end;
	}
	s->req = req;
	s->filter = f;
	s->until = until;
	s->has_until = has_until;
	if (has_until) {
		/* Round up so the stream never ends before `until`. */
		s->timer = h->timer_add(h,
		    (uint64_t)(until - now + 999999) / 1000000,
		    events_on_until, s);
		if (s->timer == NULL) {
			h->log(h, BERTH_LOG_ERR, "events: cannot arm the "
			    "until timer; ending the stream");
			free(s);
			goto end;
		}
	}
	h->req_on_close(req, events_on_close, s);
	TAILQ_INSERT_TAIL(&events_subs, s, entry);
	events_nsubs++;
	return;
end:
	events_filter_free(f);
	h->resp_end(req);
	return;
fail:
	events_filter_free(f);
	h->resp_error(req, &err);
}

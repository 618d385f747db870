/*
 * check_events.c - the event bus and GET /events, against the mock host.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "mock_host.h"
#include "unit.h"

static void
setup(void)
{
	ck_assert_int_eq(events_init(&mock_host), 0);
}

static void
teardown(void)
{
	events_fini();
	mock_reset();
}

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ns as `docker events` sends an RFC3339 time: "<sec>.<9 digits>". */
static const char *
ts(int64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64 ".%09" PRId64, ns / 1000000000,
	    ns % 1000000000);
	return buf;
}

static int
nlines(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* The idx-th line of s, parsed; the caller puts it. */
static json_object *
line(const char *s, int idx)
{
	const char	*end;
	char		 buf[4096];

	while (idx-- > 0 && (s = strchr(s, '\n')) != NULL)
		s++;
	ck_assert_ptr_nonnull(s);
	end = strchr(s, '\n');
	ck_assert_ptr_nonnull(end);
	ck_assert_uint_lt((size_t)(end - s), sizeof(buf));
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	return json_tokener_parse(buf);
}

static const char *
jstr(json_object *o, const char *k1, const char *k2)
{
	json_object	*v = NULL;

	if (!json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 != NULL && !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_get_string(v);
}

/* An event shaped as the bus builds it, for direct filter matching. */
static json_object *
mkev(const char *type, const char *action, const char *id,
    const char *attrs)
{
	char		 buf[2048];
	json_object	*o;

	snprintf(buf, sizeof(buf), "{\"Type\":\"%s\",\"Action\":\"%s\","
	    "\"Actor\":{\"ID\":\"%s\",\"Attributes\":%s},\"scope\":\"local\","
	    "\"time\":1,\"timeNano\":1000000000}", type, action, id,
	    attrs != NULL ? attrs : "{}");
	o = json_tokener_parse(buf);
	ck_assert_ptr_nonnull(o);
	return o;
}

static int
fmatch(const char *filters, json_object *ev)
{
	struct events_filter	*f = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;
	int			 m;

	ck_assert_msg(events_filter_parse(filters, &f, &err) == 0,
	    "%s: %s", filters, err.msg);
	m = events_filter_match(f, ev);
	events_filter_free(f);
	return m;
}

static void
publish(const char *type, const char *action, const char *id,
    const char *attrs)
{
	json_object	*a = attrs != NULL ? json_tokener_parse(attrs) : NULL;

	events_publish(type, action, id, a);
	json_object_put(a);
}

static struct berth_req *
subscribe(const char *since, const char *until, const char *filters)
{
	struct berth_req	*r = mock_req_new();

	mock_req_set_path(r, "/events");
	if (since != NULL)
		mock_req_set_query(r, "since", since);
	if (until != NULL)
		mock_req_set_query(r, "until", until);
	if (filters != NULL)
		mock_req_set_query(r, "filters", filters);
	events_handle(r, NULL);
	return r;
}

/* --- filters --------------------------------------------------------- */

START_TEST(filter_forms)
{
	json_object	*die = mkev("container", "die", "c1", NULL);
	json_object	*start = mkev("container", "start", "c1", NULL);
	json_object	*ndie = mkev("network", "die", "n1", NULL);

	ck_assert(fmatch("{\"type\":{\"container\":true},"
	    "\"event\":{\"die\":true}}", die));
	ck_assert(!fmatch("{\"type\":{\"container\":true},"
	    "\"event\":{\"die\":true}}", start));
	ck_assert(!fmatch("{\"type\":{\"container\":true},"
	    "\"event\":{\"die\":true}}", ndie));
	ck_assert(fmatch("{\"type\":[\"container\"],\"event\":[\"die\"]}",
	    die));
	ck_assert(!fmatch("{\"type\":[\"container\"],\"event\":[\"die\"]}",
	    start));
	/* Nothing at all, or an empty set, constrains nothing. */
	ck_assert(fmatch(NULL, ndie));
	ck_assert(fmatch("", ndie));
	ck_assert(fmatch("{}", ndie));
	ck_assert(fmatch("null", ndie));
	ck_assert(fmatch("{\"type\":{}}", ndie));
	ck_assert(fmatch("{\"type\":[]}", ndie));
	json_object_put(die);
	json_object_put(start);
	json_object_put(ndie);
}
END_TEST

START_TEST(filter_errors)
{
	static const char *const bad[] = {
		"{", "[1]", "\"type\"", "{\"type\":\"container\"}",
		"{\"type\":{\"container\":1}}", "{\"type\":[1]}",
		"{\"type\":{\"container\":true},\"event\":[\"die\"]}",
		"{\"type\":[\"container\"]} x", "   ",
	};
	struct events_filter	*f = NULL;
	struct berth_err	 err = BERTH_ERR_INIT;
	size_t			 i;

	ck_assert_int_eq(events_filter_parse("{\"bogus\":{\"x\":true}}", &f,
	    &err), -EINVAL);
	ck_assert_ptr_null(f);
	ck_assert_str_eq(err.msg, "invalid filter 'bogus'");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		berth_err_clear(&err);
		ck_assert_msg(events_filter_parse(bad[i], &f, &err) == -EINVAL,
		    "accepted %s", bad[i]);
		ck_assert_ptr_null(f);
		ck_assert_msg(strncmp(err.msg, "invalid filter", 14) == 0,
		    "%s: %s", bad[i], err.msg);
	}
}
END_TEST

START_TEST(match_type_scope)
{
	json_object	*c = mkev("container", "create", "c1", NULL);
	json_object	*v = mkev("volume", "create", "v1", NULL);

	ck_assert(fmatch("{\"type\":{\"container\":true,\"volume\":true}}",
	    v));
	ck_assert(!fmatch("{\"type\":{\"network\":true}}", c));
	ck_assert(fmatch("{\"scope\":{\"local\":true}}", c));
	ck_assert(!fmatch("{\"scope\":{\"swarm\":true}}", c));
	json_object_put(c);
	json_object_put(v);
}
END_TEST

START_TEST(match_event_prefix)
{
	json_object	*ex = mkev("container", "exec_create: sh -c true", "c",
	    NULL);
	json_object	*hs = mkev("container", "health_status: healthy", "c",
	    NULL);
	json_object	*die = mkev("container", "die", "c", NULL);

	ck_assert(fmatch("{\"event\":{\"exec_create\":true}}", ex));
	ck_assert(fmatch("{\"event\":{\"exec_create: sh -c true\":true}}",
	    ex));
	ck_assert(!fmatch("{\"event\":{\"exec_start\":true}}", ex));
	ck_assert(fmatch("{\"event\":{\"health_status\":true}}", hs));
	/* Other actions are exact. */
	ck_assert(!fmatch("{\"event\":{\"exec\":true}}", ex));
	ck_assert(!fmatch("{\"event\":{\"di\":true}}", die));
	ck_assert(fmatch("{\"event\":{\"die\":true,\"exec_start\":true}}",
	    die));
	json_object_put(ex);
	json_object_put(hs);
	json_object_put(die);
}
END_TEST

START_TEST(match_names)
{
	json_object	*c = mkev("container", "start", "4f2a9c",
	    "{\"image\":\"busybox\",\"name\":\"web1\"}");
	json_object	*n = mkev("network", "create", "77aa",
	    "{\"name\":\"backend\",\"type\":\"bridge\"}");

	ck_assert(fmatch("{\"container\":{\"web1\":true}}", c));
	ck_assert(fmatch("{\"container\":{\"web\":true}}", c));
	ck_assert(fmatch("{\"container\":{\"4f2\":true}}", c));
	ck_assert(fmatch("{\"container\":{\"4f2a9c\":true}}", c));
	ck_assert(!fmatch("{\"container\":{\"myweb\":true}}", c));
	ck_assert(!fmatch("{\"container\":{\"web12\":true}}", c));
	ck_assert(fmatch("{\"network\":{\"back\":true}}", n));
	ck_assert(fmatch("{\"network\":{\"77\":true}}", n));
	ck_assert(!fmatch("{\"network\":{\"front\":true}}", n));
	/* As moby: a name key tests any event's actor, not just its type. */
	ck_assert(!fmatch("{\"container\":{\"web\":true}}", n));
	ck_assert(fmatch("{\"volume\":{\"web\":true}}", c));
	json_object_put(c);
	json_object_put(n);
}
END_TEST

START_TEST(match_image)
{
	json_object	*c = mkev("container", "start", "c1",
	    "{\"image\":\"busybox:latest\",\"name\":\"x\"}");
	json_object	*c2 = mkev("container", "start", "c2",
	    "{\"image\":\"busybox\",\"name\":\"y\"}");
	json_object	*pull = mkev("image", "pull",
	    "localhost:5000/spy/busybox:1",
	    "{\"name\":\"localhost:5000/spy/busybox\"}");
	json_object	*tag = mkev("image", "tag", "sha256:0123abcd",
	    "{\"name\":\"docker.io/library/spyimg:2\"}");
	json_object	*net = mkev("network", "create", "busybox", NULL);

	ck_assert(fmatch("{\"image\":{\"busybox:latest\":true}}", c));
	ck_assert(fmatch("{\"image\":{\"busybox\":true}}", c));
	ck_assert(fmatch("{\"image\":{\"busybox\":true}}", c2));
	ck_assert(!fmatch("{\"image\":{\"busybox:latest\":true}}", c2));
	ck_assert(!fmatch("{\"image\":{\"busy\":true}}", c));
	ck_assert(fmatch("{\"image\":{\"localhost:5000/spy/busybox\":true}}",
	    pull));
	ck_assert(fmatch("{\"image\":{\"localhost:5000/spy/busybox:1\":true}}",
	    pull));
	ck_assert(!fmatch("{\"image\":{\"busybox\":true}}", pull));
	ck_assert(fmatch("{\"image\":{\"spyimg\":true}}", tag));
	ck_assert(fmatch("{\"image\":{\"sha256:0123abcd\":true}}", tag));
	/* The actor ID is compared for every type, as Docker does. */
	ck_assert(fmatch("{\"image\":{\"busybox\":true}}", net));
	ck_assert(!fmatch("{\"image\":{\"alpine\":true}}", net));
	json_object_put(c);
	json_object_put(c2);
	json_object_put(pull);
	json_object_put(tag);
	json_object_put(net);
}
END_TEST

START_TEST(match_labels)
{
	json_object	*c = mkev("container", "start", "c1",
	    "{\"image\":\"busybox\",\"name\":\"x\",\"tier\":\"web\","
	    "\"env\":\"prod\"}");
	json_object	*bare = mkev("container", "start", "c2", NULL);

	ck_assert(fmatch("{\"label\":{\"tier\":true}}", c));
	ck_assert(fmatch("{\"label\":{\"tier=web\":true}}", c));
	ck_assert(!fmatch("{\"label\":{\"tier=db\":true}}", c));
	ck_assert(!fmatch("{\"label\":{\"zone\":true}}", c));
	ck_assert(!fmatch("{\"label\":{\"tie\":true}}", c));
	/* Labels are all required (Docker's MatchKVList). */
	ck_assert(fmatch("{\"label\":{\"tier=web\":true,\"env\":true}}", c));
	ck_assert(!fmatch("{\"label\":{\"tier=web\":true,\"env=dev\":true}}",
	    c));
	ck_assert(!fmatch("{\"label\":{\"tier\":true}}", bare));
	json_object_put(c);
	json_object_put(bare);
}
END_TEST

START_TEST(match_and_or)
{
	const char	*f = "{\"type\":{\"container\":true,\"network\":true},"
	    "\"event\":{\"destroy\":true,\"die\":true}}";
	json_object	*a = mkev("container", "die", "c", NULL);
	json_object	*b = mkev("network", "destroy", "n", NULL);
	json_object	*c = mkev("volume", "destroy", "v", NULL);
	json_object	*d = mkev("container", "start", "c", NULL);

	ck_assert(fmatch(f, a));
	ck_assert(fmatch(f, b));
	ck_assert(!fmatch(f, c));
	ck_assert(!fmatch(f, d));
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
	json_object_put(d);
}
END_TEST

/* --- time --------------------------------------------------------------- */

START_TEST(time_parse)
{
	static const char *const bad[] = {
		"", "abc", "1.", ".5", "1.5x", "1 ", " 1", "1.-5", "1e9",
		"1..2", "-", "99999999999999999999",
	};
	struct berth_err	 err = BERTH_ERR_INIT;
	int64_t			 ns;
	size_t			 i;

	ck_assert_int_eq(events_time_parse("1795835733", &ns, &err), 0);
	ck_assert_int_eq(ns, 1795835733000000000LL);
	ck_assert_int_eq(events_time_parse("1795835733.5", &ns, &err), 0);
	ck_assert_int_eq(ns, 1795835733500000000LL);
	ck_assert_int_eq(events_time_parse("1795834800.000000000", &ns,
	    &err), 0);
	ck_assert_int_eq(ns, 1795834800000000000LL);
	ck_assert_int_eq(events_time_parse("1.000000001", &ns, &err), 0);
	ck_assert_int_eq(ns, 1000000001LL);
	ck_assert_int_eq(events_time_parse("1.05", &ns, &err), 0);
	ck_assert_int_eq(ns, 1050000000LL);
	ck_assert_int_eq(events_time_parse("0", &ns, &err), 0);
	ck_assert_int_eq(ns, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		berth_err_clear(&err);
		ck_assert_msg(events_time_parse(bad[i], &ns, &err) == -EINVAL,
		    "accepted '%s'", bad[i]);
		ck_assert_ptr_nonnull(strstr(err.msg, "as timestamp"));
	}
	ck_assert_int_eq(events_time_parse("abc", &ns, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "failed to parse value abc as timestamp");
}
END_TEST

/* --- the wire ------------------------------------------------------------ */

START_TEST(wire_format)
{
	struct berth_req	*r = subscribe(NULL, NULL, NULL);
	const char		*out;
	const char		*want = "{\"status\":\"die\",\"id\":\"abc\","
	    "\"from\":\"busybox\",\"Type\":\"container\",\"Action\":\"die\","
	    "\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"exitCode\":\"2\","
	    "\"image\":\"busybox\",\"name\":\"spyev\"}},\"scope\":\"local\","
	    "\"time\":";
	json_object		*o;

	ck_assert_int_eq(mock_req_status(r), 200);
	ck_assert_str_eq(mock_req_content_type(r), "application/json");
	ck_assert(mock_req_started(r));
	ck_assert_int_eq(mock_req_ended(r), 0);
	ck_assert_int_eq(events_listeners(), 1);

	/* Attributes come out sorted, whatever order they went in. */
	publish("container", "die", "abc",
	    "{\"name\":\"spyev\",\"image\":\"busybox\",\"exitCode\":\"2\"}");
	publish("image", "pull", "localhost:5000/spy/busybox:1",
	    "{\"name\":\"localhost:5000/spy/busybox\"}");
	publish("network", "create", "n1", NULL);
	publish("container", "prune", "", "{\"reclaimed\":\"0\"}");
	publish("container", "exec_create: sh -c a>b&c", "abc",
	    "{\"execID\":\"e1\"}");
	out = mock_req_output(r);
	ck_assert_int_eq(nlines(out), 5);
	ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "got %s", out);
	ck_assert_ptr_nonnull(strstr(out, ",\"timeNano\":"));
	/* Images: status and id, no from; slashes unescaped. */
	ck_assert_ptr_nonnull(strstr(out, "\n{\"status\":\"pull\","
	    "\"id\":\"localhost:5000/spy/busybox:1\",\"Type\":\"image\","
	    "\"Action\":\"pull\",\"Actor\":{\"ID\":"
	    "\"localhost:5000/spy/busybox:1\",\"Attributes\":{\"name\":"
	    "\"localhost:5000/spy/busybox\"}},\"scope\":\"local\""));
	/* Others: none of the legacy fields; Attributes always an object. */
	ck_assert_ptr_nonnull(strstr(out, "\n{\"Type\":\"network\","
	    "\"Action\":\"create\",\"Actor\":{\"ID\":\"n1\",\"Attributes\":{}},"
	    "\"scope\":\"local\""));
	/* Empty legacy fields are omitted; Actor.ID is not. */
	ck_assert_ptr_nonnull(strstr(out, "\n{\"status\":\"prune\","
	    "\"Type\":\"container\",\"Action\":\"prune\","
	    "\"Actor\":{\"ID\":\"\","));
	/* Go's encoder escapes <, > and &. */
	ck_assert_ptr_nonnull(strstr(out,
	    "\"Action\":\"exec_create: sh -c a\\u003eb\\u0026c\""));

	o = line(out, 4);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jstr(o, "Action", NULL), "exec_create: sh -c a>b&c");
	ck_assert_str_eq(jstr(o, "Actor", "ID"), "abc");
	json_object_put(o);
	ck_assert_int_eq(mock_req_ended(r), 0);
	events_fini();
	ck_assert_int_eq(mock_req_ended(r), 1);
	mock_req_free(r);
}
END_TEST

START_TEST(time_fields)
{
	struct berth_req	*r = subscribe(NULL, NULL, NULL);
	json_object		*o, *t, *tn;
	int64_t			 before = now_ns(), after;

	publish("volume", "create", "v1", "{\"driver\":\"local\"}");
	after = now_ns();
	o = line(mock_req_output(r), 0);
	ck_assert(json_object_object_get_ex(o, "time", &t));
	ck_assert(json_object_object_get_ex(o, "timeNano", &tn));
	ck_assert(json_object_get_int64(tn) >= before);
	ck_assert(json_object_get_int64(tn) <= after);
	ck_assert_int_eq(json_object_get_int64(t),
	    json_object_get_int64(tn) / 1000000000);
	json_object_put(o);
	events_fini();
	mock_req_free(r);
}
END_TEST

/* --- replay ------------------------------------------------------------ */

START_TEST(no_window_no_replay)
{
	struct berth_req	*r;

	publish("container", "create", "c1", NULL);
	r = subscribe(NULL, NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 200);
	ck_assert_str_eq(mock_req_output(r), "");
	publish("container", "start", "c1", NULL);
	ck_assert_int_eq(nlines(mock_req_output(r)), 1);
	events_fini();
	mock_req_free(r);
}
END_TEST

START_TEST(replay_since)
{
	struct berth_req	*all, *some, *filt;
	json_object		*o, *tn;
	char			 buf[40];

	publish("container", "create", "c1", NULL);
	publish("container", "start", "c1", NULL);
	publish("network", "connect", "n1", NULL);
	all = subscribe("0", NULL, NULL);
	ck_assert_int_eq(nlines(mock_req_output(all)), 3);
	ck_assert_int_eq(mock_req_ended(all), 0);

	/* since is inclusive (Docker keeps timeNano >= since). */
	o = line(mock_req_output(all), 1);
	ck_assert(json_object_object_get_ex(o, "timeNano", &tn));
	some = subscribe(ts(json_object_get_int64(tn), buf, sizeof(buf)),
	    NULL, NULL);
	json_object_put(o);
	ck_assert_int_eq(nlines(mock_req_output(some)), 2);
	o = line(mock_req_output(some), 0);
	ck_assert_str_eq(jstr(o, "Action", NULL), "start");
	json_object_put(o);

	filt = subscribe("0", NULL, "{\"type\":[\"network\"]}");
	ck_assert_int_eq(nlines(mock_req_output(filt)), 1);

	/* Then live events. */
	publish("network", "disconnect", "n1", NULL);
	ck_assert_int_eq(nlines(mock_req_output(all)), 4);
	ck_assert_int_eq(nlines(mock_req_output(some)), 3);
	ck_assert_int_eq(nlines(mock_req_output(filt)), 2);
	ck_assert_int_eq(events_listeners(), 3);
	events_fini();
	mock_req_free(all);
	mock_req_free(some);
	mock_req_free(filt);
}
END_TEST

START_TEST(replay_until_past)
{
	struct berth_req	*r, *r2;
	char			 b1[40], b2[40];
	int64_t			 mid;

	publish("container", "create", "c1", NULL);
	mid = now_ns();
	publish("container", "start", "c1", NULL);
	r = subscribe("0", ts(now_ns(), b1, sizeof(b1)), NULL);
	ck_assert_int_eq(mock_req_status(r), 200);
	ck_assert_int_eq(nlines(mock_req_output(r)), 2);
	ck_assert_int_eq(mock_req_ended(r), 1);
	ck_assert_int_eq(events_listeners(), 0);

	/* until alone replays everything up to it. */
	r2 = subscribe(NULL, ts(mid, b2, sizeof(b2)), NULL);
	ck_assert_int_eq(nlines(mock_req_output(r2)), 1);
	ck_assert_int_eq(mock_req_ended(r2), 1);

	publish("container", "die", "c1", NULL);
	ck_assert_int_eq(nlines(mock_req_output(r)), 2);
	mock_req_free(r);
	mock_req_free(r2);
}
END_TEST

START_TEST(until_future)
{
	struct berth_req	*r;
	char			 b[40];

	r = subscribe(NULL, ts(now_ns() + 60 * 1000000000LL, b, sizeof(b)),
	    NULL);
	ck_assert_int_eq(mock_req_ended(r), 0);
	ck_assert_int_eq(events_listeners(), 1);
	ck_assert_uint_eq(mock_timers_pending(), 1);
	ck_assert_uint_ge(mock_timer_last_ms(), 59000);
	ck_assert_uint_le(mock_timer_last_ms(), 60000);
	publish("container", "create", "c1", NULL);
	ck_assert_int_eq(nlines(mock_req_output(r)), 1);
	ck_assert_int_eq(mock_timers_fire(), 1);
	ck_assert_int_eq(mock_req_ended(r), 1);
	ck_assert_int_eq(events_listeners(), 0);
	mock_req_free(r);
}
END_TEST

START_TEST(bad_requests)
{
	struct berth_req	*r;

	r = subscribe("20", "10", NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	ck_assert_int_eq(mock_req_err_code(r), -EINVAL);
	ck_assert_int_eq(mock_req_ended(r), 1);
	ck_assert_ptr_nonnull(strstr(mock_req_output(r),
	    "cannot be after `until` time"));
	mock_req_free(r);

	r = subscribe("yesterday", NULL, NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	ck_assert_ptr_nonnull(strstr(mock_req_output(r),
	    "failed to parse value yesterday as timestamp"));
	ck_assert_int_eq(mock_req_ended(r), 1);
	mock_req_free(r);

	r = subscribe(NULL, "x", NULL);
	ck_assert_int_eq(mock_req_status(r), 400);
	mock_req_free(r);

	r = subscribe(NULL, NULL, "{\"type\":");
	ck_assert_int_eq(mock_req_status(r), 400);
	ck_assert_ptr_nonnull(strstr(mock_req_output(r), "invalid filter"));
	ck_assert_int_eq(mock_req_ended(r), 1);
	mock_req_free(r);

	r = subscribe(NULL, NULL, "{\"colour\":{\"red\":true}}");
	ck_assert_int_eq(mock_req_status(r), 400);
	ck_assert_str_eq(mock_req_output(r),
	    "{\"message\":\"invalid filter 'colour'\"}\n");
	mock_req_free(r);
	ck_assert_int_eq(events_listeners(), 0);
}
END_TEST

START_TEST(ring_bounded)
{
	struct berth_req	*r;
	json_object		*o;
	char			 id[16], b[40];
	int			 i;

	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "e%d", i);
		publish("volume", "create", id, NULL);
	}
	r = subscribe("0", ts(now_ns(), b, sizeof(b)), NULL);
	ck_assert_int_eq(nlines(mock_req_output(r)), EVENTS_RING);
	o = line(mock_req_output(r), 0);
	ck_assert_str_eq(jstr(o, "Actor", "ID"), "e44");
	json_object_put(o);
	o = line(mock_req_output(r), EVENTS_RING - 1);
	ck_assert_str_eq(jstr(o, "Actor", "ID"), "e299");
	json_object_put(o);
	ck_assert_int_eq(mock_req_ended(r), 1);
	mock_req_free(r);
}
END_TEST

/* --- subscribers ----------------------------------------------------- */

START_TEST(slow_subscriber)
{
	struct berth_req	*slow = subscribe(NULL, NULL, NULL);
	struct berth_req	*ok = subscribe(NULL, NULL, NULL);
	const char		*out;
	json_object		*o;

	publish("container", "create", "c1", NULL);
	ck_assert_int_eq(nlines(mock_req_output(slow)), 1);

	/* At the bound it is still served; past it, dropped. */
	mock_req_set_buffered(slow, (size_t)EVENTS_QUEUE_MAX * 1024);
	publish("container", "start", "c1", NULL);
	ck_assert_int_eq(nlines(mock_req_output(slow)), 2);
	ck_assert_int_eq(mock_req_ended(slow), 0);

	mock_req_set_buffered(slow, (size_t)64 << 20);
	publish("container", "die", "c1", NULL);
	out = mock_req_output(slow);
	ck_assert_int_eq(nlines(out), 3);
	o = line(out, 2);
	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(strstr(jstr(o, "error", NULL), "too slow"));
	json_object_put(o);
	ck_assert_int_eq(mock_req_ended(slow), 1);
	ck_assert_int_eq(events_listeners(), 1);

	publish("container", "destroy", "c1", NULL);
	ck_assert_int_eq(nlines(mock_req_output(slow)), 3);
	ck_assert_int_eq(nlines(mock_req_output(ok)), 4);
	ck_assert_int_eq(mock_req_ended(ok), 0);
	events_fini();
	ck_assert_int_eq(mock_req_ended(slow), 1);
	ck_assert_int_eq(mock_req_ended(ok), 1);
	mock_req_free(slow);
	mock_req_free(ok);
}
END_TEST

START_TEST(client_close)
{
	struct berth_req	*a = subscribe(NULL, NULL, NULL);
	struct berth_req	*b = subscribe(NULL, NULL, NULL);
	struct berth_req	*c;
	char			 buf[40];

	ck_assert_int_eq(events_listeners(), 2);
	mock_req_close(a);
	ck_assert_int_eq(events_listeners(), 1);
	ck_assert_int_eq(mock_req_ended(a), 1);
	publish("container", "create", "c1", NULL);
	ck_assert_str_eq(mock_req_output(a), "");
	ck_assert_int_eq(nlines(mock_req_output(b)), 1);

	/* a's end asked for one trim of the freed memory, later. */
	ck_assert_uint_eq(mock_timers_pending(), 1);
	/* A subscriber with a pending until timer: the timer goes too. */
	c = subscribe(NULL, ts(now_ns() + 60 * 1000000000LL, buf,
	    sizeof(buf)), NULL);
	ck_assert_uint_eq(mock_timers_pending(), 2);
	mock_req_close(c);
	ck_assert_uint_eq(mock_timers_pending(), 1);
	ck_assert_int_eq(mock_req_ended(c), 1);
	ck_assert_int_eq(events_listeners(), 1);
	events_fini();
	mock_req_free(a);
	mock_req_free(b);
	mock_req_free(c);
}
END_TEST

START_TEST(fini_ends_streams)
{
	struct berth_req	*a = subscribe(NULL, NULL, NULL);
	struct berth_req	*b = subscribe(NULL, NULL,
	    "{\"type\":{\"image\":true}}");
	char			 buf[40];

	publish("image", "pull", "busybox:latest", NULL);
	ck_assert_int_eq(events_listeners(), 2);
	events_fini();
	ck_assert_int_eq(events_listeners(), 0);
	ck_assert_int_eq(mock_req_ended(a), 1);
	ck_assert_int_eq(mock_req_ended(b), 1);
	ck_assert_int_eq(nlines(mock_req_output(b)), 1);
	/* The ring is gone too. */
	ck_assert_int_eq(events_init(&mock_host), 0);
	mock_req_free(a);
	a = subscribe("0", ts(now_ns(), buf, sizeof(buf)), NULL);
	ck_assert_str_eq(mock_req_output(a), "");
	ck_assert_int_eq(mock_req_ended(a), 1);
	mock_req_free(a);
	mock_req_free(b);
}
END_TEST

START_TEST(mock_host_complete)
{
	const void *const	*slot;
	size_t			 i, n;

	/* Every op after size and version is a function pointer. */
	slot = (const void *const *)((const char *)&mock_host +
	    offsetof(struct berth_host, log));
	n = (sizeof(mock_host) - offsetof(struct berth_host, log)) /
	    sizeof(void *);
	for (i = 0; i < n; i++)
		ck_assert_msg(slot[i] != NULL, "slot %zu is NULL", i);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("events");
	TCase	*tc;

	tc = tcase_create("filters");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, filter_forms);
	tcase_add_test(tc, filter_errors);
	tcase_add_test(tc, match_type_scope);
	tcase_add_test(tc, match_event_prefix);
	tcase_add_test(tc, match_names);
	tcase_add_test(tc, match_image);
	tcase_add_test(tc, match_labels);
	tcase_add_test(tc, match_and_or);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_test(tc, time_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("stream");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wire_format);
	tcase_add_test(tc, time_fields);
	tcase_add_test(tc, no_window_no_replay);
	tcase_add_test(tc, replay_since);
	tcase_add_test(tc, replay_until_past);
	tcase_add_test(tc, until_future);
	tcase_add_test(tc, bad_requests);
	tcase_add_test(tc, ring_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("subscribers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, slow_subscriber);
	tcase_add_test(tc, client_close);
	tcase_add_test(tc, fini_ends_streams);
	tcase_add_test(tc, mock_host_complete);
	suite_add_tcase(s, tc);
	return s;
}

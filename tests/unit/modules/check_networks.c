/*
 * check_networks.c - the networks service with the mock host (work runs
 * at once) and a fake "bridge" driver that records what it is asked, as
 * a NetworkDriver plugin would be; and the default IPAM driver alone:
 * Docker's pools in order, overlaps refused, addresses lowest free
 * first, exhaustion, replay after a restart, records that survive it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>
#include <berth/module.h>
#include <berth/network.h>

#include "../../../modules/networks/networks.h"
#include "mock_host.h"
#include "unit.h"

extern const struct berth_module berth_module;

static char	 scratch[64];
static void	*state;

/* --- a fake bridge driver -------------------------------------------------- */

static char	fake_log[2048];
static int	fake_fail_create;

static void
fake_note(const char *what, const char *id)
{
	size_t	n = strlen(fake_log);

	snprintf(fake_log + n, sizeof(fake_log) - n, "%s %.6s;", what, id);
}

static void
fake_caps(void *st, berth_net_caps_cb done, void *arg)
{
	done(arg, 0, "local", "local", NULL);
}

static void
fake_create(void *st, const struct berth_net_create *req,
    berth_net_done_cb done, void *arg)
{
	struct berth_err	err = BERTH_ERR_INIT;
	char			what[128];

	if (fake_fail_create) {
		berth_err_set(&err, -EINVAL, "fake: refused");
		done(arg, -EINVAL, &err);
		return;
	}
	snprintf(what, sizeof(what), "create(%s gw %s)",
	    req->nipv4 ? req->ipv4[0].pool : "-",
	    req->nipv4 && req->ipv4[0].gateway ? req->ipv4[0].gateway : "-");
	fake_note(what, req->network_id);
	done(arg, 0, NULL);
}

static void
fake_delete(void *st, const char *id, berth_net_done_cb done, void *arg)
{
	fake_note("delete", id);
	done(arg, 0, NULL);
}

static const struct berth_network_ops fake_ops = {
	.size = sizeof(struct berth_network_ops),
	.capabilities = fake_caps,
	.create_network = fake_create,
	.delete_network = fake_delete,
};

/* --- helpers ----------------------------------------------------------------- */

static int	no_driver;	/* start without the fake bridge driver */

static void
start(void)
{
	struct berth_err	err = BERTH_ERR_INIT;
	/* A bridge name no host has: nothing to adopt an address from. */
	static json_object	*conf;

	if (conf == NULL) {
		conf = json_object_new_object();
		json_object_object_add(conf, "bridge",
		    json_object_new_string("ckbr-none"));
	}
	mock_reset();
	mock_set_roots(scratch, "/tmp");
	if (!no_driver)
		ck_assert_int_eq(mock_host.provide(&mock_host,
		    BERTH_NETWORK_IFACE, "bridge", &fake_ops, NULL, &err), 0);
	ck_assert_msg(berth_module.init(&mock_host, mock_conf(conf), &state,
	    &err) == 0, "%s", err.msg);
	/* The restore and the predefined networks run from a timer. */
	while (mock_timers_fire() > 0)
		;
}

static void
setup(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/check_networks.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(scratch));
	fake_log[0] = '\0';
	fake_fail_create = 0;
	no_driver = 0;
	start();
}

static void
teardown(void)
{
	char	cmd[128];

	berth_module.fini(state);
	mock_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	(void)system(cmd);
}

/* One request to a route; the status, and the body in out. */
static int
call(enum berth_method m, const char *pattern, const char *id,
    const char *filters, const char *body, char *out, size_t len)
{
	struct berth_req	*r = mock_req_new();
	berth_handler		 fn;
	void			*st;
	int			 status;

	ck_assert_ptr_nonnull(fn = mock_route_find(m, pattern, &st));
	mock_req_set_method(r, m);
	if (id != NULL)
		mock_req_set_param(r, "id", id);
	if (filters != NULL)
		mock_req_set_query(r, "filters", filters);
	if (body != NULL) {
		mock_req_set_header(r, "Content-Type", "application/json");
		mock_req_set_body(r, body, strlen(body));
	}
	fn(r, st);
	ck_assert_int_eq(mock_req_ended(r), 1);
	status = mock_req_status(r);
	if (out != NULL)
		snprintf(out, len, "%s", mock_req_output(r));
	mock_req_free(r);
	return status;
}

static json_object *
inspect(const char *id)
{
	char	buf[4096];

	ck_assert_int_eq(call(BERTH_GET, "/networks/{id}", id, NULL, NULL,
	    buf, sizeof(buf)), 200);
	return json_tokener_parse(buf);
}

static const char *
subnet_of(json_object *n)
{
	return berth_json_str(json_object_array_get_idx(berth_json_get(
	    berth_json_get(n, "IPAM"), "Config"), 0), "Subnet");
}

static const char *
gateway_of(json_object *n)
{
	return berth_json_str(json_object_array_get_idx(berth_json_get(
	    berth_json_get(n, "IPAM"), "Config"), 0), "Gateway");
}

/*
 * The k-th (0-based) of Docker's 172.x.0.0/16 pools the host has no
 * route into (a docker0 may hold 172.17), as "172.x.0.0/16".
 */
static const char *
pool_nth(int k)
{
	static char	out[32];
	char		line[256], want[16];
	int		x, hit;
	FILE		*f;

	for (x = 17; x <= 31; x++) {
		/* /proc/net/route: the destination in network order, hex. */
		snprintf(want, sizeof(want), "0000%02XAC", x);
		hit = 0;
		if ((f = fopen("/proc/net/route", "r")) != NULL) {
			while (fgets(line, sizeof(line), f) != NULL)
				if (strstr(line, want) != NULL)
					hit = 1;
			fclose(f);
		}
		if (!hit && k-- == 0)
			break;
	}
	snprintf(out, sizeof(out), "172.%d.0.0/16", x);
	return out;
}

/* Its gateway: "172.x.0.1". */
static const char *
gw_of_pool(const char *p)
{
	static char	out[32];

	snprintf(out, sizeof(out), "%.*s1", (int)(strchr(p, '/') - p - 1), p);
	return out;
}

/* --- the service ----------------------------------------------------------- */

START_TEST(predefined_networks)
{
	char		 buf[8192];
	json_object	*l, *b;

	ck_assert_int_eq(call(BERTH_GET, "/networks", NULL, NULL, NULL, buf,
	    sizeof(buf)), 200);
	ck_assert_ptr_nonnull(l = json_tokener_parse(buf));
	ck_assert_int_eq(json_object_array_length(l), 3);
	json_object_put(l);
	b = inspect("bridge");
	ck_assert_str_eq(subnet_of(b), pool_nth(0));
	ck_assert_str_eq(gateway_of(b), gw_of_pool(pool_nth(0)));
	ck_assert_str_eq(berth_json_str(berth_json_get(b, "Options"),
	    "com.docker.network.bridge.name"), "ckbr-none");
	json_object_put(b);
	/* The driver saw Docker's order: pool and gateway before create. */
	snprintf(buf, sizeof(buf), "create(%s gw %s/16)", pool_nth(0),
	    gw_of_pool(pool_nth(0)));
	ck_assert_msg(strstr(fake_log, buf) != NULL, "%s", fake_log);
	ck_assert_int_eq(call(BERTH_DELETE, "/networks/{id}", "none", NULL,
	    NULL, buf, sizeof(buf)), 403);
	ck_assert_ptr_nonnull(strstr(buf, "none is a pre-defined network"));
}
END_TEST

START_TEST(create_inspect_remove)
{
	char		 buf[4096], id[65];
	json_object	*o, *n;

	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"n1\",\"Labels\":{\"a\":\"b\"}}", buf, sizeof(buf)),
	    201);
	o = json_tokener_parse(buf);
	ck_assert_ptr_nonnull(berth_json_str(o, "Id"));
	snprintf(id, sizeof(id), "%s", berth_json_str(o, "Id"));
	ck_assert_str_eq(berth_json_str(o, "Warning"), "");
	json_object_put(o);
	ck_assert_str_eq(mock_last_event()->action, "create");
	ck_assert_str_eq(mock_last_event()->actor_id, id);
	ck_assert_str_eq(berth_json_str(mock_last_event()->attrs, "type"),
	    "bridge");
	/* The next of Docker's pools after the bridge's. */
	n = inspect("n1");
	ck_assert_str_eq(subnet_of(n), pool_nth(1));
	ck_assert_str_eq(gateway_of(n), gw_of_pool(pool_nth(1)));
	json_object_put(n);
	/* By a unique ID prefix too. */
	id[6] = '\0';
	n = inspect(id);
	ck_assert_str_eq(berth_json_str(n, "Name"), "n1");
	json_object_put(n);
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"n1\"}", buf, sizeof(buf)), 409);
	ck_assert_int_eq(call(BERTH_DELETE, "/networks/{id}", "n1", NULL,
	    NULL, NULL, 0), 204);
	ck_assert_str_eq(mock_last_event()->action, "destroy");
	ck_assert_ptr_nonnull(strstr(fake_log, "delete "));
	ck_assert_int_eq(call(BERTH_GET, "/networks/{id}", "n1", NULL, NULL,
	    buf, sizeof(buf)), 404);
	ck_assert_ptr_nonnull(strstr(buf, "network n1 not found"));
	/* Its pool went back: the same one again. */
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"n2\"}", NULL, 0), 201);
	n = inspect("n2");
	ck_assert_str_eq(subnet_of(n), pool_nth(1));
	json_object_put(n);
}
END_TEST

START_TEST(refusals_leave_nothing)
{
	char	buf[4096];
	int	events;

	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"a\",\"IPAM\":{\"Config\":[{\"Subnet\":"
	    "\"172.16.5.0/24\"}]}}", buf, sizeof(buf)), 201);
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"a2\",\"IPAM\":{\"Config\":[{\"Subnet\":"
	    "\"172.16.0.0/16\"}]}}", buf, sizeof(buf)), 403);
	ck_assert_ptr_nonnull(strstr(buf, "Pool overlaps"));
	events = mock_last_event()->count;
	fake_fail_create = 1;
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"b\",\"IPAM\":{\"Config\":[{\"Subnet\":"
	    "\"10.5.0.0/24\"}]}}", buf, sizeof(buf)), 400);
	ck_assert_ptr_nonnull(strstr(buf, "fake: refused"));
	fake_fail_create = 0;
	ck_assert_int_eq(mock_last_event()->count, events);
	/* The refused create gave its pool back. */
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"b\",\"IPAM\":{\"Config\":[{\"Subnet\":"
	    "\"10.5.0.0/24\",\"Gateway\":\"10.5.0.9\"}]}}", buf,
	    sizeof(buf)), 201);
	ck_assert_int_eq(call(BERTH_GET, "/networks", NULL,
	    "{\"colour\":{\"red\":true}}", NULL, buf, sizeof(buf)), 400);
	ck_assert_int_eq(call(BERTH_GET, "/networks", NULL, "{{{", NULL, buf,
	    sizeof(buf)), 400);
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"-x\"}", buf, sizeof(buf)), 400);
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"c\",\"Driver\":\"null\"}", buf, sizeof(buf)), 403);
}
END_TEST

START_TEST(records_survive_a_restart)
{
	char		 buf[4096];
	json_object	*n;

	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"keep\",\"IPAM\":{\"Config\":[{\"Subnet\":"
	    "\"10.7.0.0/24\",\"Gateway\":\"10.7.0.200\"}]}}", buf,
	    sizeof(buf)), 201);
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"auto\"}", buf, sizeof(buf)), 201);
	berth_module.fini(state);
	fake_log[0] = '\0';
	start();
	/* Every network asked of its driver again, nothing new made. */
	ck_assert_msg(strstr(fake_log, "create(10.7.0.0/24 gw "
	    "10.7.0.200/24)") != NULL, "%s", fake_log);
	n = inspect("keep");
	ck_assert_str_eq(gateway_of(n), "10.7.0.200");
	json_object_put(n);
	n = inspect("auto");
	ck_assert_str_eq(subnet_of(n), pool_nth(1));
	json_object_put(n);
	/* The replayed pools are held: no overlap, no second grant. */
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"x\",\"IPAM\":{\"Config\":[{\"Subnet\":"
	    "\"10.7.0.0/16\"}]}}", buf, sizeof(buf)), 403);
	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"y\"}", buf, sizeof(buf)), 201);
	n = inspect("y");
	ck_assert_str_eq(subnet_of(n), pool_nth(2));
	json_object_put(n);
	ck_assert_int_eq(call(BERTH_GET, "/networks", NULL,
	    "{\"type\":{\"custom\":true},\"name\":{\"^k\":true}}", NULL, buf,
	    sizeof(buf)), 200);
	n = json_tokener_parse(buf);
	ck_assert_int_eq(json_object_array_length(n), 1);
	json_object_put(n);
}
END_TEST

START_TEST(driver_gone_network_removable)
{
	char	buf[4096];

	ck_assert_int_eq(call(BERTH_POST, "/networks/create", NULL, NULL,
	    "{\"Name\":\"orphan\"}", buf, sizeof(buf)), 201);
	berth_module.fini(state);
	/* net-bridge is no longer enabled: the network is still listed. */
	no_driver = 1;
	start();
	ck_assert_int_eq(call(BERTH_GET, "/networks/{id}", "orphan", NULL,
	    NULL, buf, sizeof(buf)), 200);
	fake_log[0] = '\0';
	ck_assert_int_eq(call(BERTH_DELETE, "/networks/{id}", "orphan", NULL,
	    NULL, buf, sizeof(buf)), 204);
	ck_assert_str_eq(fake_log, "");
	ck_assert_int_eq(call(BERTH_GET, "/networks/{id}", "orphan", NULL,
	    NULL, buf, sizeof(buf)), 404);
}
END_TEST

/* --- the default IPAM driver alone ----------------------------------------- */

static int		 got_rc;
static char		 got[BERTH_ERR_MSGLEN];

static void
pool_cb(void *arg, int rc, const char *id, const char *pool, json_object *d,
    const struct berth_err *err)
{
	got_rc = rc;
	snprintf(got, sizeof(got), "%s", rc == 0 ? id : err->msg);
}

static void
addr_cb(void *arg, int rc, const char *address, json_object *d,
    const struct berth_err *err)
{
	got_rc = rc;
	snprintf(got, sizeof(got), "%s", rc == 0 ? address : err->msg);
}

static void
done_cb(void *arg, int rc, const struct berth_err *err)
{
	got_rc = rc;
}

static const char *
pool(struct nw_ipam *im, const char *p, const char *sub)
{
	struct berth_ipam_pool_req	r = { .size = sizeof(r),
	    .address_space = "LocalDefault", .pool = p, .sub_pool = sub };

	networks_ipam_ops.request_pool(im, &r, pool_cb, NULL);
	return got;
}

static const char *
addr(struct nw_ipam *im, const char *pool_id, const char *want)
{
	networks_ipam_ops.request_address(im, pool_id, want, NULL, addr_cb,
	    NULL);
	return got;
}

START_TEST(ipam_addresses)
{
	struct nw_ipam	*im = networks_ipam_new();
	char		 id[BERTH_ERR_MSGLEN];

	ck_assert_str_eq(pool(im, "10.9.0.0/29", ""), "LocalDefault/10.9.0.0/29");
	snprintf(id, sizeof(id), "%s", got);
	ck_assert_str_eq(addr(im, id, ""), "10.9.0.1/29");
	ck_assert_str_eq(addr(im, id, "10.9.0.5"), "10.9.0.5/29");
	ck_assert_str_eq(addr(im, id, "10.9.0.5"), "Address already in use");
	ck_assert_int_eq(got_rc, -EPERM);
	addr(im, id, "10.9.0.7");	/* broadcast */
	ck_assert_int_eq(got_rc, -ERANGE);
	addr(im, id, "10.8.0.1");
	ck_assert_int_eq(got_rc, -ERANGE);
	ck_assert_str_eq(addr(im, id, ""), "10.9.0.2/29");
	ck_assert_str_eq(addr(im, id, ""), "10.9.0.3/29");
	ck_assert_str_eq(addr(im, id, ""), "10.9.0.4/29");
	ck_assert_str_eq(addr(im, id, ""), "10.9.0.6/29");
	addr(im, id, "");
	ck_assert_int_eq(got_rc, -ENOSPC);
	networks_ipam_ops.release_address(im, id, "10.9.0.3", done_cb, NULL);
	ck_assert_str_eq(addr(im, id, ""), "10.9.0.3/29");
	/* A sub-pool (--ip-range) hands out from its own range. */
	ck_assert_str_eq(pool(im, "10.10.0.0/24", "10.10.0.128/25"),
	    "LocalDefault/10.10.0.0/24/10.10.0.128/25");
	snprintf(id, sizeof(id), "%s", got);
	ck_assert_str_eq(addr(im, id, ""), "10.10.0.128/24");
	pool(im, "10.10.0.0/25", "");
	ck_assert_int_eq(got_rc, -EPERM);
	pool(im, "10.11.0.0/31", "");
	ck_assert_int_eq(got_rc, -EINVAL);
	networks_ipam_free(im);
}
END_TEST

Suite *
suite(void)
{
	Suite	*s = suite_create("networks");
	TCase	*tc = tcase_create("service");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, predefined_networks);
	tcase_add_test(tc, create_inspect_remove);
	tcase_add_test(tc, refusals_leave_nothing);
	tcase_add_test(tc, records_survive_a_restart);
	tcase_add_test(tc, driver_gone_network_removable);
	suite_add_tcase(s, tc);
	tc = tcase_create("ipam");
	tcase_add_test(tc, ipam_addresses);
	suite_add_tcase(s, tc);
	return s;
}

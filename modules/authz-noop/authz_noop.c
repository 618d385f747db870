/*
 * authz-noop - the reference authorization driver: allows everything.
 *
 * It is also the model a module author copies: one exported descriptor,
 * state allocated in init and freed in fini, one driver provided through
 * the host table, and nothing else reached in the core.
 */
#include <stdlib.h>

#include <berth/authz.h>
#include <berth/host.h>
#include <berth/module.h>

struct authz_noop {
	const struct berth_host	*host;
	uint64_t		 requests;	/* seen, for the debug log */
};

static void
authz_noop_req(void *state, const struct berth_authz_req *r,
    berth_authz_cb done, void *arg)
{
	struct authz_noop	*an = state;

	an->requests++;
	done(arg, 1, NULL, NULL);
}

static void
authz_noop_res(void *state, const struct berth_authz_req *r,
    berth_authz_cb done, void *arg)
{
	done(arg, 1, NULL, NULL);
}

static const struct berth_authz_ops authz_noop_ops = {
	.size = sizeof(struct berth_authz_ops),
	.authz_req = authz_noop_req,
	.authz_res = authz_noop_res,
};

static int
authz_noop_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct authz_noop	*an;
	int			 rc;

	if ((an = calloc(1, sizeof(*an))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	an->host = h;
	if ((rc = h->provide(h, BERTH_AUTHZ_IFACE, "noop", &authz_noop_ops, an,
	    err)) < 0) {
		free(an);
		return rc;
	}
	*statep = an;
	return 0;
}

static void
authz_noop_fini(void *state)
{
	struct authz_noop	*an = state;

	an->host->log(an->host, BERTH_LOG_DEBUG, "allowed %llu requests",
	    (unsigned long long)an->requests);
	free(an);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "authz-noop",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_AUTHZ_IFACE, NULL },
	.init = authz_noop_init,
	.fini = authz_noop_fini,
};

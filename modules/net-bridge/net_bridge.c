/*
 * net-bridge - Docker's "bridge" network driver as a network/1 driver:
 * a Linux bridge per network with the gateway's address on it.  Every
 * kernel change runs in a work job; the loop only keeps the table.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/cidr.h>
#include <berth/host.h>
#include <berth/json.h>
#include <berth/module.h>
#include <berth/network.h>
#include <berth/rtnl.h>

#include "net_bridge.h"

static struct nb_ep *
ep_find(struct net_bridge *nb, const char *id)
{
	struct nb_ep	*e;

	LIST_FOREACH(e, &nb->eps, entry)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

static void
ep_free(struct nb_ep *e)
{
	LIST_REMOVE(e, entry);
	free(e->ports);
	free(e);
}

#define OPT_NAME	"com.docker.network.bridge.name"
#define OPT_MTU		"com.docker.network.driver.mtu"

static struct nb_net *
net_find(struct net_bridge *nb, const char *id)
{
	struct nb_net	*n;

	LIST_FOREACH(n, &nb->nets, entry)
		if (strcmp(n->id, id) == 0)
			return n;
	return NULL;
}

/* --- jobs: one kernel change off the loop, then the answer on it -------- */

enum nb_op { OP_CREATE, OP_DELETE, OP_VETH };

struct nb_job {
	struct net_bridge	*nb;
	enum nb_op		 op;
	struct nb_net		*net;		/* OP_CREATE: the new entry */
	char			 bridge[IFNAMSIZ];
	char			 host[IFNAMSIZ];	/* OP_VETH */
	char			 peer[IFNAMSIZ];
	char			 gateway[BERTH_CIDR_LEN];
	char			 sandbox[PATH_MAX];	/* OP_VETH */
	int			 endpoint;	/* OP_DELETE of a veth */
	unsigned int		 mtu;
	int			 rc;
	const char		*what;		/* the step that failed */
	berth_net_done_cb	 done;
	berth_net_join_cb	 join_done;
	void			*arg;
};

/* Turn a /proc/sys switch on (work jobs only: it is file I/O). */
void
nb_sysctl_on(const char *path)
{
	FILE	*f;

	if ((f = fopen(path, "we")) != NULL) {
		fputs("1\n", f);
		fclose(f);
	}
}

/* Ports published on 127.0.0.1 are routed out to the bridge. */
static void
localnet(const char *bridge)
{
	char	p[128];

	snprintf(p, sizeof(p), "/proc/sys/net/ipv4/conf/%s/route_localnet",
	    bridge);
	nb_sysctl_on(p);
}

static void
job_work(void *arg)
{
	struct nb_job		*j = arg;
	struct nb_net		*n = j->net;
	struct berth_rtnl_link	 l;
	int			 nsfd;

	memset(&l, 0, sizeof(l));
	switch (j->op) {
	case OP_CREATE:
		/* A bridge that is already there (a restart) is this one. */
		j->what = "create bridge";
		if ((j->rc = berth_rtnl_link_add(n->bridge, "bridge", NULL,
		    n->mtu)) == -EEXIST)
			j->rc = 0;
		if (j->rc < 0)
			return;
		j->what = "add the gateway address";
		if (n->gw.prefix != 0 && (j->rc = berth_rtnl_addr_add(n->bridge,
		    n->gw.addr, n->gw.prefix)) < 0)
			goto undo;
		j->what = "bring the bridge up";
		l.name = n->bridge;
		l.up = 1;
		l.mtu = n->mtu;
		if ((j->rc = berth_rtnl_link_set(&l)) < 0)
			goto undo;
		localnet(n->bridge);
		return;
	undo:
		(void)berth_rtnl_link_del(n->bridge);
		return;
	case OP_DELETE:
		j->what = "delete link";
		j->rc = berth_rtnl_link_del(j->bridge);
		return;
	case OP_VETH:
		/*
		 * The peer is made in the sandbox itself, which the service
		 * accepts for SrcName (no slow move between namespaces).
		 * There already (a restart): its peer is in the sandbox.
		 */
		j->what = "open the sandbox";
		if ((nsfd = open(j->sandbox, O_RDONLY | O_CLOEXEC)) == -1) {
			j->rc = -errno;
			return;
		}
		j->what = "create veth";
		j->rc = berth_rtnl_veth_add_in(j->host, j->peer, j->mtu, nsfd);
		close(nsfd);
		if (j->rc == -EEXIST) {
			j->rc = 0;
			return;
		}
		if (j->rc < 0)
			return;
		j->what = "attach veth to the bridge";
		l.name = j->host;
		l.up = 1;
		if ((l.master = (int)if_nametoindex(j->bridge)) == 0)
			j->rc = -errno;
		else
			j->rc = berth_rtnl_link_set(&l);
		if (j->rc < 0)
			(void)berth_rtnl_link_del(j->host);
		return;
	}
}

/* Join's answer: the peer to move in, the gateway to route by. */
static void
veth_done(struct nb_job *j)
{
	struct berth_net_join_info	info;
	struct berth_err		err = BERTH_ERR_INIT;

	if (j->rc < 0) {
		berth_err_set(&err, j->rc, "%s %s: %s", j->what, j->host,
		    strerror(-j->rc));
		j->join_done(j->arg, j->rc, NULL, &err);
	} else {
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		info.src_name = j->peer;
		info.dst_prefix = "eth";
		info.gateway = j->gateway;
		info.gateway_ipv6 = "";
		j->join_done(j->arg, 0, &info, NULL);
	}
	free(j);
}

static void
job_done(void *arg)
{
	struct nb_job		*j = arg;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nb_net		*old;

	if (j->op == OP_VETH) {
		veth_done(j);
		return;
	}
	if (j->rc < 0) {
		berth_err_set(&err, j->rc, "%s %s: %s", j->what,
		    j->op == OP_CREATE ? j->net->bridge : j->bridge,
		    strerror(-j->rc));
		free(j->net);
	} else if (j->op == OP_CREATE) {
		if ((old = net_find(j->nb, j->net->id)) != NULL) {
			LIST_REMOVE(old, entry);
			free(old);
		}
		LIST_INSERT_HEAD(&j->nb->nets, j->net, entry);
	}
	/* Answered once the rules follow; an endpoint's have not changed. */
	if (j->rc == 0 && !j->endpoint)
		nb_nft_apply(j->nb, j->done, j->arg);
	else if (j->rc == 0)
		j->done(j->arg, 0, NULL);
	else
		j->done(j->arg, j->rc, &err);
	free(j);
}

static void
job_go(struct nb_job *j)
{
	struct berth_err	err = BERTH_ERR_INIT;

	if (j->nb->h->work(j->nb->h, job_work, job_done, j) == 0)
		return;
	berth_err_set(&err, -ENOMEM, "cannot queue a network change");
	if (j->op == OP_VETH)
		j->join_done(j->arg, -ENOMEM, NULL, &err);
	else
		j->done(j->arg, -ENOMEM, &err);
	free(j->net);
	free(j);
}

/* --- network/1 ------------------------------------------------------------ */

static void
nb_caps(void *st, berth_net_caps_cb done, void *arg)
{
	done(arg, 0, "local", "local", NULL);
}

static int
bridge_name_ok(const char *s)
{
	size_t	i, len = strlen(s);

	if (len == 0 || len >= IFNAMSIZ)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

/* The driver's view of a CreateNetwork request; 0 or -errno with err. */
static int
net_from_req(struct net_bridge *nb, const struct berth_net_create *req,
    struct nb_net *n, struct berth_err *err)
{
	json_object	*gen, *in;
	const char	*name, *mtu;
	struct nb_net	*o;
	char		*end;
	long		 m;

	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", req->network_id);
	gen = berth_json_get(req->options, BERTH_NET_OPT_GENERIC);
	in = berth_json_get(req->options, BERTH_NET_OPT_INTERNAL);
	n->internal = in != NULL && json_object_get_boolean(in);
	name = berth_json_str(gen, OPT_NAME);
	if (name != NULL) {
		if (!bridge_name_ok(name))
			return berth_err_set(err, -EINVAL, "invalid bridge "
			    "name %s: want at most %d of [a-zA-Z0-9_.-]", name,
			    IFNAMSIZ - 1);
		snprintf(n->bridge, sizeof(n->bridge), "%s", name);
	} else
		snprintf(n->bridge, sizeof(n->bridge), NB_PREFIX "%.11s",
		    req->network_id);
	LIST_FOREACH(o, &nb->nets, entry)
		if (strcmp(o->bridge, n->bridge) == 0 &&
		    strcmp(o->id, n->id) != 0)
			return berth_err_set(err, -EPERM, "bridge name %s is "
			    "already used by network %.12s", n->bridge, o->id);
	if ((mtu = berth_json_str(gen, OPT_MTU)) != NULL) {
		m = strtol(mtu, &end, 10);
		if (*mtu == '\0' || *end != '\0' || m < 68 || m > 65535)
			return berth_err_set(err, -EINVAL, "invalid MTU %s: "
			    "want 68 to 65535", mtu);
		n->mtu = (unsigned int)m;
	}
	if (req->nipv4 > 1)
		return berth_err_set(err, -EINVAL, "a bridge network takes "
		    "one IPv4 subnet");
	if (req->nipv4 == 1 && req->ipv4[0].pool != NULL &&
	    berth_cidr_parse(req->ipv4[0].pool, 1, &n->subnet) < 0)
		return berth_err_set(err, -EINVAL, "invalid pool %s",
		    req->ipv4[0].pool);
	if (req->nipv4 == 1 && req->ipv4[0].gateway != NULL &&
	    berth_cidr_parse(req->ipv4[0].gateway, 1, &n->gw) < 0)
		return berth_err_set(err, -EINVAL, "invalid gateway %s",
		    req->ipv4[0].gateway);
	return 0;
}

static void
nb_create_network(void *st, const struct berth_net_create *req,
    berth_net_done_cb done, void *arg)
{
	struct net_bridge	*nb = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nb_job		*j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->net = calloc(1, sizeof(*j->net))) == NULL) {
		free(j);
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, &err);
		return;
	}
	if (net_from_req(nb, req, j->net, &err) < 0) {
		free(j->net);
		free(j);
		done(arg, err.code, &err);
		return;
	}
	j->nb = nb;
	j->op = OP_CREATE;
	j->done = done;
	j->arg = arg;
	job_go(j);
}

static void
nb_delete_network(void *st, const char *network_id, berth_net_done_cb done,
    void *arg)
{
	struct net_bridge	*nb = st;
	struct nb_net		*n;
	struct nb_job		*j;
	struct berth_err	 err = BERTH_ERR_INIT;

	if ((n = net_find(nb, network_id)) == NULL) {
		done(arg, 0, NULL);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, &err);
		return;
	}
	/* Forgotten now: a failed delete leaves only a stray link. */
	snprintf(j->bridge, sizeof(j->bridge), "%s", n->bridge);
	LIST_REMOVE(n, entry);
	free(n);
	j->nb = nb;
	j->op = OP_DELETE;
	j->done = done;
	j->arg = arg;
	job_go(j);
}

/* A veth's two names: "vb" (bridge side) or "vc" and 13 of its ID. */
static void
veth_name(char *buf, const char *prefix, const char *endpoint_id)
{
	snprintf(buf, IFNAMSIZ, "%s%.13s", prefix, endpoint_id);
}

static void
nb_create_endpoint(void *st, const struct berth_net_endpoint *req,
    berth_net_iface_cb done, void *arg)
{
	struct net_bridge	*nb = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct berth_net_iface	 out;
	struct berth_cidr	 a;
	struct nb_ep		*e;
	char			 mac[18];

	if (net_find(nb, req->network_id) == NULL) {
		berth_err_set(&err, -ENOENT, "network %.12s not found",
		    req->network_id);
		done(arg, -ENOENT, NULL, &err);
		return;
	}
	if (berth_cidr_parse(req->iface.address, 1, &a) < 0) {
		berth_err_set(&err, -EINVAL, "endpoint %.12s has no IPv4 "
		    "address", req->endpoint_id);
		done(arg, -EINVAL, NULL, &err);
		return;
	}
	/* A second create (a replay after a restart) is the same one. */
	if ((e = ep_find(nb, req->endpoint_id)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			berth_err_set(&err, -ENOMEM, "out of memory");
			done(arg, -ENOMEM, NULL, &err);
			return;
		}
		snprintf(e->id, sizeof(e->id), "%s", req->endpoint_id);
		snprintf(e->net_id, sizeof(e->net_id), "%s", req->network_id);
		LIST_INSERT_HEAD(&nb->eps, e, entry);
	}
	e->addr = a.addr;
	memset(&out, 0, sizeof(out));
	out.size = sizeof(out);
	out.address = out.address_ipv6 = out.mac_address = "";
	/* Docker's bridge MAC: 02:42 and the four bytes of the address. */
	if (req->iface.mac_address == NULL || *req->iface.mac_address ==
	    '\0') {
		snprintf(mac, sizeof(mac), "02:42:%02x:%02x:%02x:%02x",
		    a.addr >> 24, (a.addr >> 16) & 255, (a.addr >> 8) & 255,
		    a.addr & 255);
		out.mac_address = mac;
	}
	done(arg, 0, &out, NULL);
}

/* The ports as programmed, host ports chosen: Docker's portmap. */
static void
nb_oper_info(void *st, const char *network_id, const char *endpoint_id,
    berth_net_info_cb done, void *arg)
{
	struct nb_ep	*e = ep_find(st, endpoint_id);
	json_object	*v = json_object_new_object();

	if (e != NULL)
		json_object_object_add(v, BERTH_NET_OPT_PORTMAP,
		    nb_ports_json(e));
	done(arg, 0, v, NULL);
	json_object_put(v);
}

static void
nb_ok(void *st, const char *network_id, const char *endpoint_id,
    berth_net_done_cb done, void *arg)
{
	done(arg, 0, NULL);
}

/* The veth pair, bridge side up on the bridge; the peer is the answer. */
static void
nb_join(void *st, const struct berth_net_join *req, berth_net_join_cb done,
    void *arg)
{
	struct net_bridge	*nb = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nb_net		*n;
	struct nb_job		*j;

	if ((n = net_find(nb, req->network_id)) == NULL) {
		berth_err_set(&err, -ENOENT, "network %.12s not found",
		    req->network_id);
		done(arg, -ENOENT, NULL, &err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, NULL, &err);
		return;
	}
	j->nb = nb;
	j->op = OP_VETH;
	snprintf(j->bridge, sizeof(j->bridge), "%s", n->bridge);
	veth_name(j->host, "vb", req->endpoint_id);
	veth_name(j->peer, "vc", req->endpoint_id);
	snprintf(j->sandbox, sizeof(j->sandbox), "%s", req->sandbox_key);
	j->mtu = n->mtu;
	if (n->gw.prefix != 0)
		berth_cidr_fmt(n->gw.addr, -1, j->gateway, sizeof(j->gateway));
	j->join_done = done;
	j->arg = arg;
	job_go(j);
}

static void
veth_gone(void *arg, int rc, const struct berth_err *err)
{
	struct net_bridge	*nb = arg;

	if (rc < 0)
		nb->h->log(nb->h, BERTH_LOG_WARN, "%s", err != NULL ?
		    err->msg : strerror(-rc));
}

/* The bridge side goes, and its peer with it, wherever that is. */
static void
nb_delete_endpoint(void *st, const char *network_id, const char *endpoint_id,
    berth_net_done_cb done, void *arg)
{
	struct net_bridge	*nb = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nb_ep		*e;
	struct nb_job		*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		done(arg, -ENOMEM, &err);
		return;
	}
	if ((e = ep_find(nb, endpoint_id)) != NULL)
		ep_free(e);
	j->nb = nb;
	j->op = OP_DELETE;
	j->endpoint = 1;
	veth_name(j->bridge, "vb", endpoint_id);
	/*
	 * Answered now: unregistering a link waits for the kernel's grace
	 * periods (~10 ms), and nothing needs the veth gone first, as its
	 * name is the endpoint's own and never comes back.  A failure is
	 * logged by the job.
	 */
	j->done = veth_gone;
	j->arg = nb;
	job_go(j);
	done(arg, 0, NULL);
}

/* Published ports: DNAT rules in berth's table. */
static void
nb_program(void *st, const char *network_id, const char *endpoint_id,
    json_object *options, berth_net_done_cb done, void *arg)
{
	struct net_bridge	*nb = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct nb_ep		*e;
	size_t			 had;

	if ((e = ep_find(nb, endpoint_id)) == NULL) {
		berth_err_set(&err, -ENOENT, "endpoint %.12s not found",
		    endpoint_id);
		done(arg, -ENOENT, &err);
		return;
	}
	had = e->nports;
	if (nb_ports_program(nb, e, berth_json_get(options,
	    BERTH_NET_OPT_PORTMAP), &err) < 0) {
		free(e->ports);
		e->ports = NULL;
		e->nports = 0;
		done(arg, err.code, &err);
		return;
	}
	if (had == 0 && e->nports == 0) {
		done(arg, 0, NULL);	/* no rule to change */
		return;
	}
	nb_nft_apply(nb, done, arg);
}

static void
nb_revoke(void *st, const char *network_id, const char *endpoint_id,
    berth_net_done_cb done, void *arg)
{
	struct net_bridge	*nb = st;
	struct nb_ep		*e;

	if ((e = ep_find(nb, endpoint_id)) == NULL || e->nports == 0) {
		done(arg, 0, NULL);
		return;
	}
	free(e->ports);
	e->ports = NULL;
	e->nports = 0;
	nb_nft_apply(nb, done, arg);
}

static const struct berth_network_ops net_bridge_ops = {
	.size = sizeof(struct berth_network_ops),
	.capabilities = nb_caps,
	.create_network = nb_create_network,
	.delete_network = nb_delete_network,
	.create_endpoint = nb_create_endpoint,
	.endpoint_oper_info = nb_oper_info,
	.delete_endpoint = nb_delete_endpoint,
	.join = nb_join,
	.leave = nb_ok,
	.program_external_connectivity = nb_program,
	.revoke_external_connectivity = nb_revoke,
};

/*
 * The table is the daemon's own: "berth" for the default exec-root, and
 * one named after the exec-root's hash for any other, so that a second
 * berthd (a test's, a packager's) never rewrites the first one's rules.
 */
static void
table_name(const char *exec_root, char *out, size_t len)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */
	const char	*p;

	if (strcmp(exec_root, "/run/berth") == 0) {
		snprintf(out, len, "berth");
		return;
	}
	for (p = exec_root; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(out, len, "berth_%08x", h);
}

static int
net_bridge_init(const struct berth_host *h, const struct berth_conf *conf,
    void **statep, struct berth_err *err)
{
	struct net_bridge	*nb;
	int			 rc;

	if ((nb = calloc(1, sizeof(*nb))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	nb->h = h;
	LIST_INIT(&nb->nets);
	LIST_INIT(&nb->eps);
	table_name(h->exec_root(h), nb->table, sizeof(nb->table));
	h->log(h, BERTH_LOG_INFO, "nftables table: ip %s", nb->table);
	if ((rc = h->provide(h, BERTH_NETWORK_IFACE, "bridge",
	    &net_bridge_ops, nb, err)) < 0) {
		free(nb);
		return rc;
	}
	/* What a crash left is replaced now, and again after each replay. */
	nb_nft_apply(nb, NULL, NULL);
	*statep = nb;
	return 0;
}

/* Bridges stay: containers running through a restart still use them. */
static void
net_bridge_fini(void *state)
{
	struct net_bridge	*nb = state;
	struct nb_net		*n;

	while ((n = LIST_FIRST(&nb->nets)) != NULL) {
		LIST_REMOVE(n, entry);
		free(n);
	}
	while (!LIST_EMPTY(&nb->eps))
		ep_free(LIST_FIRST(&nb->eps));
	free(nb);
}

BERTH_MODULE = {
	.abi = BERTH_ABI_INIT,
	.name = "net-bridge",
	.version = "0.1.0",
	.provides = (const char *const[]){ BERTH_NETWORK_IFACE, NULL },
	.init = net_bridge_init,
	.fini = net_bridge_fini,
};

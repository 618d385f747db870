/*
 * net_bridge_nft.c - berth's own nftables table, "ip berth", through
 * libnftables: nothing of another engine's or the host's rules is read or
 * touched.
 *
 * The whole table is written from the driver's memory after every change
 * and replaced in one transaction (delete and add in one batch), so the
 * kernel never holds half a ruleset and a restart repairs whatever a
 * crash left: the networks service replays every network and endpoint,
 * and the table follows.  Jobs run one at a time; a change made while
 * one runs is applied by the next, and every caller is answered once the
 * rules it asked for are in.
 *
 *	forward		established traffic; internal networks closed both
 *			ways; bridges isolated from each other (published
 *			ports excepted); the rest of a bridge's traffic
 *			accepted, whatever the host's own policy chains add
 *	prerouting,	packets to a local address go through "ports":
 *	output		one DNAT rule per published port
 *	postrouting	masquerade out of the host (not for internal
 *			networks), for loopback-published ports and for
 *			hairpin (a container to a port it publishes)
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include <berth/json.h>

#include "net_bridge.h"

#define PORT_FIRST	49153		/* Docker's range for -P */
#define PORT_LAST	65535

/* printf into a growing buffer; the buffer is NULL after a failure. */
struct sbuf {
	char	*s;
	size_t	 len, cap;
};

__attribute__((format(printf, 2, 3)))
static void
put(struct sbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*ns;

	if (b->s == NULL && b->cap != 0)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s != NULL ? b->s + b->len : NULL,
		    b->s != NULL ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			goto fail;
		if (b->s != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		if ((ns = realloc(b->s, b->cap)) == NULL)
			goto fail;
		b->s = ns;
	}
fail:
	free(b->s);
	b->s = NULL;
	b->cap = 1;
}

static const char *
ip4(uint32_t a, char *buf)
{
	return berth_cidr_fmt(a, -1, buf, BERTH_CIDR_LEN);
}

/* The table as it should be now; NULL on ENOMEM. */
static char *
ruleset(struct net_bridge *nb)
{
	struct sbuf	 b = { NULL, 0, 0 };
	struct nb_net	*n;
	struct nb_ep	*e;
	char		 sub[BERTH_CIDR_LEN], a[BERTH_CIDR_LEN];
	size_t		 i;
	int		 first = 1;

	/* "add" first, so the delete finds a table the first time too. */
	put(&b, "add table ip %s\ndelete table ip %s\n"
	    "table ip %s {\n\tset bridges {\n\t\ttype ifname\n",
	    nb->table, nb->table, nb->table);
	LIST_FOREACH(n, &nb->nets, entry) {
		put(&b, "%s\"%s\"", first ? "\t\telements = { " : ", ",
		    n->bridge);
		first = 0;
	}
	put(&b, "%s\t}\n", first ? "" : " }\n");

	put(&b, "\tchain forward {\n\t\ttype filter hook forward priority "
	    "filter; policy accept;\n\t\tct state established,related "
	    "accept\n");
	LIST_FOREACH(n, &nb->nets, entry)
		if (n->internal)
			put(&b, "\t\tiifname \"%s\" oifname != \"%s\" drop\n"
			    "\t\toifname \"%s\" iifname != \"%s\" drop\n",
			    n->bridge, n->bridge, n->bridge, n->bridge);
	put(&b, "\t\tct status dnat accept\n");
	LIST_FOREACH(n, &nb->nets, entry)
		put(&b, "\t\tiifname \"%s\" oifname @bridges oifname != \"%s\" "
		    "drop\n\t\tiifname \"%s\" accept\n\t\toifname \"%s\" "
		    "accept\n", n->bridge, n->bridge, n->bridge, n->bridge);
	put(&b, "\t}\n");

	put(&b, "\tchain prerouting {\n\t\ttype nat hook prerouting priority "
	    "dstnat; policy accept;\n\t\tfib daddr type local jump ports\n"
	    "\t}\n\tchain output {\n\t\ttype nat hook output priority -100; "
	    "policy accept;\n\t\tfib daddr type local jump ports\n\t}\n");

	put(&b, "\tchain postrouting {\n\t\ttype nat hook postrouting "
	    "priority srcnat; policy accept;\n");
	LIST_FOREACH(n, &nb->nets, entry) {
		if (n->subnet.prefix == 0)
			continue;
		berth_cidr_fmt(n->subnet.addr, n->subnet.prefix, sub,
		    sizeof(sub));
		if (!n->internal)
			put(&b, "\t\tip saddr %s oifname != \"%s\" "
			    "masquerade\n", sub, n->bridge);
		put(&b, "\t\toifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n"
		    "\t\toifname \"%s\" ct status dnat ip saddr %s "
		    "masquerade\n", n->bridge, n->bridge, sub);
	}
	put(&b, "\t}\n\tchain ports {\n");
	LIST_FOREACH(e, &nb->eps, entry)
		for (i = 0; i < e->nports; i++) {
			put(&b, "\t\t");
			if (e->ports[i].host_ip != 0)
				put(&b, "ip daddr %s ",
				    ip4(e->ports[i].host_ip, a));
			put(&b, "%s dport %u dnat to %s:%u\n",
			    e->ports[i].proto == 17 ? "udp" : "tcp",
			    e->ports[i].host_port, ip4(e->addr, sub),
			    e->ports[i].port);
		}
	put(&b, "\t}\n}\n");
	return b.s;
}

/* --- applying, one job at a time ----------------------------------------- */

struct nft_job {
	struct net_bridge	*nb;
	char			*text;
	int			 rc;
	char			 err[256];
};

/*
 * libnftables, loaded for each change and let go after it: with its
 * dependencies (libnftnl, libgmp, ...) it would hold 1.3 MiB of berthd's
 * RSS between changes, which are rare; loading it costs about a
 * millisecond.  Its API is used exactly as linked.
 */
struct nft_lib {
	void		*dl;
	struct nft_ctx	*(*ctx_new)(uint32_t);
	void		 (*ctx_free)(struct nft_ctx *);
	int		 (*buffer_output)(struct nft_ctx *);
	int		 (*buffer_error)(struct nft_ctx *);
	const char	*(*error_buffer)(struct nft_ctx *);
	int		 (*run)(struct nft_ctx *, const char *);
};

static int
nft_lib_open(struct nft_lib *l, char *err, size_t len)
{
	if ((l->dl = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL)) ==
	    NULL) {
		snprintf(err, len, "%s", dlerror());
		return -ENOENT;
	}
	*(void **)&l->ctx_new = dlsym(l->dl, "nft_ctx_new");
	*(void **)&l->ctx_free = dlsym(l->dl, "nft_ctx_free");
	*(void **)&l->buffer_output = dlsym(l->dl, "nft_ctx_buffer_output");
	*(void **)&l->buffer_error = dlsym(l->dl, "nft_ctx_buffer_error");
	*(void **)&l->error_buffer = dlsym(l->dl,
	    "nft_ctx_get_error_buffer");
	*(void **)&l->run = dlsym(l->dl, "nft_run_cmd_from_buffer");
	if (l->ctx_new == NULL || l->ctx_free == NULL ||
	    l->buffer_output == NULL || l->buffer_error == NULL ||
	    l->error_buffer == NULL || l->run == NULL) {
		snprintf(err, len, "libnftables.so.1 lacks its API");
		dlclose(l->dl);
		return -ENOENT;
	}
	return 0;
}

static void
nft_work(void *arg)
{
	struct nft_job	*j = arg;
	struct nft_lib	 l;
	struct nft_ctx	*ctx;
	const char	*e;

	/* Bridged traffic is routed: the host must forward it. */
	nb_sysctl_on("/proc/sys/net/ipv4/ip_forward");
	if ((j->rc = nft_lib_open(&l, j->err, sizeof(j->err))) < 0)
		return;
	if ((ctx = l.ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		j->rc = -ENOMEM;
		snprintf(j->err, sizeof(j->err), "nft_ctx_new failed");
		dlclose(l.dl);
		return;
	}
	l.buffer_output(ctx);
	l.buffer_error(ctx);
	if (l.run(ctx, j->text) != 0) {
		j->rc = -EIO;
		e = l.error_buffer(ctx);
		snprintf(j->err, sizeof(j->err), "%s", e != NULL ? e : "?");
	}
	l.ctx_free(ctx);
	dlclose(l.dl);
	/*
	 * libnftables builds its caches on this worker's heap and frees
	 * them: give the pages back, or they stay in berthd's RSS (about
	 * 4 MiB) between rule changes.
	 */
	malloc_trim(0);
}

static void	nft_start(struct net_bridge *);

static void
nft_done(void *arg)
{
	struct nft_job		*j = arg;
	struct net_bridge	*nb = j->nb;
	struct nb_waiter	*w, *next;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (j->rc < 0) {
		berth_err_set(&err, j->rc, "nftables: %s", j->err);
		nb->h->log(nb->h, BERTH_LOG_WARN, "%s", err.msg);
	}
	w = nb->waiting;
	nb->waiting = NULL;
	nb->applying = 0;
	for (; w != NULL; w = next) {
		next = w->next;
		w->done(w->arg, j->rc, j->rc < 0 ? &err : NULL);
		free(w);
	}
	free(j->text);
	free(j);
	if (nb->dirty)
		nft_start(nb);
}

static void
nft_start(struct net_bridge *nb)
{
	struct nft_job		*j;
	struct nb_waiter	*w;
	struct berth_err	 err = BERTH_ERR_INIT;

	nb->dirty = 0;
	nb->waiting = nb->next_waiting;
	nb->next_waiting = NULL;
	if ((j = calloc(1, sizeof(*j))) != NULL &&
	    (j->text = ruleset(nb)) != NULL) {
		j->nb = nb;
		nb->applying = 1;
		if (nb->h->work(nb->h, nft_work, nft_done, j) == 0)
			return;
		nb->applying = 0;
		free(j->text);
	}
	free(j);
	berth_err_set(&err, -ENOMEM, "nftables: out of memory");
	while ((w = nb->waiting) != NULL) {
		nb->waiting = w->next;
		w->done(w->arg, -ENOMEM, &err);
		free(w);
	}
}

static void
nothing(void *arg, int rc, const struct berth_err *err)
{
}

/* The table rewritten from memory; done (may be NULL) once it is in. */
void
nb_nft_apply(struct net_bridge *nb, berth_net_done_cb done, void *arg)
{
	struct nb_waiter	*w;
	struct berth_err	 err = BERTH_ERR_INIT;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		if (done != NULL)
			done(arg, -ENOMEM, &err);
		return;
	}
	w->done = done != NULL ? done : nothing;
	w->arg = arg;
	w->next = nb->next_waiting;
	nb->next_waiting = w;
	nb->dirty = 1;
	if (!nb->applying)
		nft_start(nb);
}

/* --- published ports -------------------------------------------------------- */

/* (proto, address, port) is published by some endpoint already. */
static int
port_taken(struct net_bridge *nb, int proto, uint32_t ip, unsigned int port)
{
	struct nb_ep	*e;
	size_t		 i;

	LIST_FOREACH(e, &nb->eps, entry)
		for (i = 0; i < e->nports; i++)
			if (e->ports[i].proto == proto &&
			    e->ports[i].host_port == port &&
			    (e->ports[i].host_ip == 0 || ip == 0 ||
			    e->ports[i].host_ip == ip))
				return 1;
	return 0;
}

static int
jint(json_object *o, const char *k)
{
	json_object	*v = berth_json_get(o, k);

	return v != NULL ? json_object_get_int(v) : 0;
}

/*
 * Docker's portmap ([{"Proto","Port","HostIP","HostPort","HostPortEnd"}])
 * into e->ports, a free host port chosen where none or a range is
 * given.  -EADDRINUSE with Docker's words when one is taken.
 */
int
nb_ports_program(struct net_bridge *nb, struct nb_ep *e, json_object *map,
    struct berth_err *err)
{
	struct berth_cidr	 hip;
	struct nb_port		*p;
	json_object		*m;
	const char		*hs;
	unsigned int		 lo, hi, port;
	size_t			 i, n;

	n = map != NULL && json_object_is_type(map, json_type_array) ?
	    json_object_array_length(map) : 0;
	free(e->ports);
	e->ports = NULL;
	e->nports = 0;
	if (n == 0)
		return 0;
	if ((e->ports = calloc(n, sizeof(*e->ports))) == NULL)
		return berth_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(map, i);
		p = &e->ports[i];
		p->proto = jint(m, "Proto") == 17 ? 17 : 6;
		p->port = (uint16_t)jint(m, "Port");
		hs = berth_json_str(m, "HostIP");
		hip.addr = 0;
		if (hs != NULL && *hs != '\0' && strcmp(hs, "0.0.0.0") != 0 &&
		    berth_cidr_parse(hs, 0, &hip) < 0) {
			e->nports = i;
			return berth_err_set(err, -EINVAL, "invalid host IP "
			    "%s", hs);
		}
		p->host_ip = hip.addr;
		lo = (unsigned int)jint(m, "HostPort");
		hi = (unsigned int)jint(m, "HostPortEnd");
		if (lo == 0) {
			lo = PORT_FIRST;
			hi = PORT_LAST;
		} else if (hi < lo)
			hi = lo;
		/* Earlier entries of this endpoint are in e already. */
		e->nports = i;
		for (port = lo; port <= hi; port++)
			if (!port_taken(nb, p->proto, p->host_ip, port))
				break;
		if (port > hi) {
			char	a[BERTH_CIDR_LEN];

			return berth_err_set(err, -EADDRINUSE, "Bind for "
			    "%s:%u failed: port is already allocated",
			    ip4(p->host_ip, a), lo);
		}
		p->host_port = (uint16_t)port;
	}
	e->nports = n;
	return 0;
}

/* The portmap as programmed, host ports chosen (EndpointOperInfo). */
json_object *
nb_ports_json(const struct nb_ep *e)
{
	json_object	*a = json_object_new_array(), *m;
	char		 ip[BERTH_CIDR_LEN];
	size_t		 i;

	for (i = 0; i < e->nports; i++) {
		m = json_object_new_object();
		json_object_object_add(m, "Proto",
		    json_object_new_int(e->ports[i].proto));
		json_object_object_add(m, "IP", json_object_new_string(
		    ip4(e->addr, ip)));
		json_object_object_add(m, "Port",
		    json_object_new_int(e->ports[i].port));
		json_object_object_add(m, "HostIP", json_object_new_string(
		    ip4(e->ports[i].host_ip, ip)));
		json_object_object_add(m, "HostPort",
		    json_object_new_int(e->ports[i].host_port));
		json_object_object_add(m, "HostPortEnd",
		    json_object_new_int(e->ports[i].host_port));
		json_object_array_add(a, m);
	}
	return a;
}

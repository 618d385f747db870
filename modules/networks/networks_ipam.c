/*
 * networks_ipam.c - the "default" IPAM driver: Docker's built-in address
 * pools as an ipam/1 driver, so that a plugin IPAM is called exactly the
 * same way.
 *
 * Pools come from Docker's default list (172.17.0.0/16 to
 * 172.31.0.0/16, then 192.168.0.0/16 in /20s), skipping any that
 * overlaps a pool already granted or a route the host already has.
 * Addresses are handed out lowest free first, never the network or
 * broadcast address.  Nothing is kept on disk: the driver asks for
 * request replay, and the networks service asks again at every start for
 * exactly what its records hold.  Every op answers at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/cidr.h>
#include <berth/json.h>

#include "networks.h"

#define SPACE_LOCAL	"LocalDefault"
#define SPACE_GLOBAL	"GlobalDefault"

struct ipam_pool {
	char			*id;
	struct berth_cidr	 subnet;	/* address = network */
	struct berth_cidr	 range;		/* sub-pool, or the subnet */
	uint32_t		*used;		/* addresses handed out */
	size_t			 nused;
	struct ipam_pool	*next;
};

struct nw_ipam {
	struct ipam_pool	*pools;
};

struct nw_ipam *
networks_ipam_new(void)
{
	return calloc(1, sizeof(struct nw_ipam));
}

static void
pool_free(struct ipam_pool *p)
{
	free(p->id);
	free(p->used);
	free(p);
}

void
networks_ipam_free(struct nw_ipam *im)
{
	struct ipam_pool	*p;

	if (im == NULL)
		return;
	while ((p = im->pools) != NULL) {
		im->pools = p->next;
		pool_free(p);
	}
	free(im);
}

static struct ipam_pool *
pool_find(struct nw_ipam *im, const char *id)
{
	struct ipam_pool	*p;

	for (p = im->pools; p != NULL; p = p->next)
		if (strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

static int
pool_overlaps(struct nw_ipam *im, const struct berth_cidr *c)
{
	struct ipam_pool	*p;

	for (p = im->pools; p != NULL; p = p->next)
		if (berth_cidr_overlap(&p->subnet, c))
			return 1;
	return 0;
}

/* A route on the host (the default route aside) that shares addresses. */
static int
route_overlaps(const struct berth_cidr *c)
{
	struct berth_cidr	 r;
	char			 line[512], ifname[64];
	unsigned int		 dst, gw, flags, mask;
	FILE			*f;
	int			 hit = 0;

	if ((f = fopen("/proc/net/route", "re")) == NULL)
		return 0;
	while (!hit && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %x %x %x %*d %*d %*d %x", ifname, &dst,
		    &gw, &flags, &mask) != 5 || mask == 0)
			continue;
		/* /proc/net/route prints addresses in network order. */
		r.addr = ntohl(dst);
		r.prefix = __builtin_popcount(mask);
		hit = berth_cidr_overlap(&r, c);
	}
	fclose(f);
	return hit;
}

/* The next of Docker's default pools that nothing uses; -1 if none. */
static int
pool_pick(struct nw_ipam *im, struct berth_cidr *out)
{
	struct berth_cidr	c;
	uint32_t		i;

	for (i = 17; i <= 31; i++) {
		c.addr = (172u << 24) | (i << 16);
		c.prefix = 16;
		if (!pool_overlaps(im, &c) && !route_overlaps(&c)) {
			*out = c;
			return 0;
		}
	}
	for (i = 0; i < 16; i++) {
		c.addr = (192u << 24) | (168u << 16) | (i << 12);
		c.prefix = 20;
		if (!pool_overlaps(im, &c) && !route_overlaps(&c)) {
			*out = c;
			return 0;
		}
	}
	return -1;
}

static void
ipam_caps(void *st, berth_ipam_caps_cb done, void *arg)
{
	done(arg, 0, 0, 1, NULL);
}

static void
ipam_spaces(void *st, berth_ipam_spaces_cb done, void *arg)
{
	done(arg, 0, SPACE_LOCAL, SPACE_GLOBAL, NULL);
}

static void
ipam_request_pool(void *st, const struct berth_ipam_pool_req *req,
    berth_ipam_pool_cb done, void *arg)
{
	struct nw_ipam		*im = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ipam_pool	*p;
	struct berth_cidr	 c, r;
	char			 id[128], a[BERTH_CIDR_LEN], b[BERTH_CIDR_LEN];

	if (req->v6) {
		berth_err_set(&err, -ENOTSUP, "the default IPAM driver has "
		    "no IPv6 pools");
		goto fail;
	}
	if (req->pool == NULL || req->pool[0] == '\0') {
		if (req->sub_pool != NULL && req->sub_pool[0] != '\0') {
			berth_err_set(&err, -EINVAL, "sub-pool %s needs a "
			    "pool", req->sub_pool);
			goto fail;
		}
		if (pool_pick(im, &c) < 0) {
			berth_err_set(&err, -EPERM, "could not find an "
			    "available, non-overlapping IPv4 address pool "
			    "among the defaults to assign to the network");
			goto fail;
		}
	} else if (berth_cidr_parse(req->pool, 1, &c) < 0) {
		berth_err_set(&err, -EINVAL, "invalid pool %s", req->pool);
		goto fail;
	}
	c.addr = berth_cidr_net(&c);
	if (c.prefix > 30) {
		berth_err_set(&err, -EINVAL, "pool %s has no room for a "
		    "gateway and an endpoint", berth_cidr_fmt(c.addr, c.prefix,
		    a, sizeof(a)));
		goto fail;
	}
	r = c;
	if (req->sub_pool != NULL && req->sub_pool[0] != '\0') {
		if (berth_cidr_parse(req->sub_pool, 1, &r) < 0 ||
		    r.prefix < c.prefix || !berth_cidr_contains(&c, r.addr)) {
			berth_err_set(&err, -EINVAL, "invalid sub-pool %s for "
			    "pool %s", req->sub_pool, req->pool);
			goto fail;
		}
		r.addr = berth_cidr_net(&r);
	}
	if (pool_overlaps(im, &c)) {
		berth_err_set(&err, -EPERM, "Pool overlaps with other one on "
		    "this address space");
		goto fail;
	}
	berth_cidr_fmt(c.addr, c.prefix, a, sizeof(a));
	if (r.prefix != c.prefix || r.addr != c.addr)
		snprintf(id, sizeof(id), "%s/%s/%s", SPACE_LOCAL, a,
		    berth_cidr_fmt(r.addr, r.prefix, b, sizeof(b)));
	else
		snprintf(id, sizeof(id), "%s/%s", SPACE_LOCAL, a);
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->id = strdup(id)) == NULL) {
		free(p);
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	p->subnet = c;
	p->range = r;
	p->next = im->pools;
	im->pools = p;
	done(arg, 0, p->id, a, NULL, NULL);
	return;
fail:
	done(arg, err.code, NULL, NULL, NULL, &err);
}

static void
ipam_release_pool(void *st, const char *pool_id, berth_ipam_done_cb done,
    void *arg)
{
	struct nw_ipam		*im = st;
	struct ipam_pool	**pp, *p;

	for (pp = &im->pools; (p = *pp) != NULL; pp = &p->next)
		if (strcmp(p->id, pool_id) == 0) {
			*pp = p->next;
			pool_free(p);
			break;
		}
	done(arg, 0, NULL);
}

static int
addr_used(const struct ipam_pool *p, uint32_t a)
{
	size_t	i;

	for (i = 0; i < p->nused; i++)
		if (p->used[i] == a)
			return 1;
	return 0;
}

static void
ipam_request_address(void *st, const char *pool_id, const char *address,
    json_object *options, berth_ipam_addr_cb done, void *arg)
{
	struct nw_ipam		*im = st;
	struct berth_err	 err = BERTH_ERR_INIT;
	struct ipam_pool	*p;
	struct berth_cidr	 want;
	uint32_t		 a, first, last, bcast, *nu;
	const char		*type;
	char			 buf[BERTH_CIDR_LEN];

	if ((p = pool_find(im, pool_id)) == NULL) {
		berth_err_set(&err, -ENOENT, "cannot find address pool for "
		    "poolID:%s", pool_id);
		goto fail;
	}
	bcast = p->subnet.addr | ~berth_cidr_mask(p->subnet.prefix);
	type = berth_json_str(options, BERTH_IPAM_REQUEST_TYPE);
	if (address != NULL && address[0] != '\0') {
		if (berth_cidr_parse(address, 0, &want) < 0) {
			berth_err_set(&err, -EINVAL, "invalid address %s",
			    address);
			goto fail;
		}
		a = want.addr;
		if (!berth_cidr_contains(&p->subnet, a) ||
		    a == p->subnet.addr || a == bcast) {
			berth_err_set(&err, -ERANGE, "requested address is out of range");
			goto fail;
		}
		if (addr_used(p, a)) {
			berth_err_set(&err, -EPERM, "Address already in use");
			goto fail;
		}
	} else {
		/* The gateway is the subnet's first address, as Docker's. */
		if (type != NULL && strcmp(type, BERTH_IPAM_GATEWAY) == 0) {
			first = p->subnet.addr + 1;
			last = bcast - 1;
		} else {
			first = p->range.addr;
			last = p->range.addr | ~berth_cidr_mask(p->range.prefix);
		}
		if (first <= p->subnet.addr)
			first = p->subnet.addr + 1;
		if (last >= bcast)
			last = bcast - 1;
		for (a = first; a <= last && addr_used(p, a); a++)
			;
		if (a > last) {
			berth_err_set(&err, -ENOSPC, "no available IPv4 "
			    "addresses on this network's address pools: %s",
			    berth_cidr_fmt(p->subnet.addr, p->subnet.prefix,
			    buf, sizeof(buf)));
			goto fail;
		}
	}
	if ((nu = reallocarray(p->used, p->nused + 1, sizeof(*nu))) == NULL) {
		berth_err_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	p->used = nu;
	p->used[p->nused++] = a;
	done(arg, 0, berth_cidr_fmt(a, p->subnet.prefix, buf, sizeof(buf)),
	    NULL, NULL);
	return;
fail:
	done(arg, err.code, NULL, NULL, &err);
}

static void
ipam_release_address(void *st, const char *pool_id, const char *address,
    berth_ipam_done_cb done, void *arg)
{
	struct nw_ipam		*im = st;
	struct ipam_pool	*p;
	struct berth_cidr	 c;
	size_t			 i;

	if ((p = pool_find(im, pool_id)) != NULL &&
	    berth_cidr_parse(address, 0, &c) == 0)
		for (i = 0; i < p->nused; i++)
			if (p->used[i] == c.addr) {
				p->used[i] = p->used[--p->nused];
				break;
			}
	done(arg, 0, NULL);
}

const struct berth_ipam_ops networks_ipam_ops = {
	.size = sizeof(struct berth_ipam_ops),
	.capabilities = ipam_caps,
	.default_address_spaces = ipam_spaces,
	.request_pool = ipam_request_pool,
	.release_pool = ipam_release_pool,
	.request_address = ipam_request_address,
	.release_address = ipam_release_address,
};

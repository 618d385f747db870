/*
 * berth/cidr.h - IPv4 addresses and prefixes as network drivers and
 * IPAM drivers pass them ("10.99.0.2/24", "10.99.0.2").  Static inline,
 * so a module links nothing from the core.  Addresses are host order.
 */
#ifndef BERTH_CIDR_H
#define BERTH_CIDR_H

#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct berth_cidr {
	uint32_t	addr;		/* as written, host order */
	int		prefix;		/* 0..32; 32 for a plain address */
};

static inline uint32_t
berth_cidr_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu :
	    ~((1u << (32 - prefix)) - 1);
}

/*
 * Parse "a.b.c.d/n" (want_prefix 1: the "/n" is required), or a plain
 * "a.b.c.d" (want_prefix 0: "/n" is refused).  -1 on anything else.
 */
static inline int
berth_cidr_parse(const char *s, int want_prefix, struct berth_cidr *out)
{
	char		 buf[32], *slash, *end;
	struct in_addr	 a;
	long		 n = 32;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if ((slash != NULL) != (want_prefix != 0))
		return -1;
	if (slash != NULL) {
		*slash = '\0';
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		n = strtol(slash + 1, &end, 10);
		if (*end != '\0' || n < 0 || n > 32)
			return -1;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	out->addr = ntohl(a.s_addr);
	out->prefix = (int)n;
	return 0;
}

/* The network of c: its address with the host bits cleared. */
static inline uint32_t
berth_cidr_net(const struct berth_cidr *c)
{
	return c->addr & berth_cidr_mask(c->prefix);
}

/* a and b share addresses. */
static inline int
berth_cidr_overlap(const struct berth_cidr *a, const struct berth_cidr *b)
{
	int	p = a->prefix < b->prefix ? a->prefix : b->prefix;

	return (a->addr & berth_cidr_mask(p)) == (b->addr & berth_cidr_mask(p));
}

/* addr lies in c. */
static inline int
berth_cidr_contains(const struct berth_cidr *c, uint32_t addr)
{
	return (addr & berth_cidr_mask(c->prefix)) == berth_cidr_net(c);
}

/* Room for any address berth_cidr_fmt writes. */
#define BERTH_CIDR_LEN	32

/* "a.b.c.d" (prefix < 0) or "a.b.c.d/n" into buf (BERTH_CIDR_LEN). */
static inline const char *
berth_cidr_fmt(uint32_t addr, int prefix, char *buf, size_t len)
{
	struct in_addr	a = { .s_addr = htonl(addr) };
	char		ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (prefix < 0)
		snprintf(buf, len, "%s", ip);
	else
		snprintf(buf, len, "%s/%d", ip, prefix);
	return buf;
}

#endif

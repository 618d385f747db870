/*
 * networks_dns.c - Docker's embedded DNS server, on berthd's loop: no
 * process per container.
 *
 * A container on a user-defined network gets a UDP socket bound to
 * 127.0.0.11:53 inside its own network namespace (a worker thread
 * enters the namespace, opens and binds it, and comes back; the socket
 * stays in that namespace for good) and /etc/resolv.conf pointing there.
 * The loop watches the socket.  A question for a container's name, its
 * short ID or an alias, on a network the asking container shares,
 * is answered from the endpoint table (A records; AAAA has none);
 * anything else is forwarded, from berthd's namespace, to the
 * container's --dns servers or else the host's, and the answer relayed
 * back.
 *
 * Only the parts of a DNS message this needs are read: the header, one
 * question.  Anything else is answered FORMERR or forwarded untouched.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <berth/cidr.h>

#include "networks.h"

#define DNS_PORT	53
#define DNS_ADDR	"127.0.0.11"
#define DNS_MAX		1232		/* the EDNS size everyone uses */
#define DNS_FWD_MS	3000		/* an upstream's time to answer */

struct dns_fwd {
	struct nw_dns		*d;
	int			 fd;		/* to the upstream */
	struct berth_watch	*w;
	struct berth_timer	*t;
	struct sockaddr_in	 client;
	LIST_ENTRY(dns_fwd)	 entry;
};

struct nw_dns {
	LIST_ENTRY(nw_dns)	 entry;
	struct networks		*nw;
	char			*container;
	int			 fd;		/* in the container's netns */
	struct berth_watch	*w;
	LIST_HEAD(, dns_fwd)	 fwds;
	int			 opening;	/* its socket is being made */
	int			 gone;		/* stopped while opening */
	struct in_addr		 up[3];		/* --dns, or the host's */
	size_t			 nup;
};

/* --- the socket in the namespace (work job) --------------------------------- */

struct open_job {
	struct nw_dns	*d;
	char		*sandbox;
	int		 fd;
	int		 rc;
};

/*
 * Worker: the first nameserver of the host's resolv.conf into *a, read
 * once per container (file I/O stays off the loop); 0 on none.
 */
static int
host_upstream(struct in_addr *a)
{
	char	line[256], addr[64];
	FILE	*f;
	int	ok = 0;

	if ((f = fopen("/etc/resolv.conf", "re")) == NULL)
		return 0;
	while (!ok && fgets(line, sizeof(line), f) != NULL)
		ok = sscanf(line, "nameserver %63s", addr) == 1 &&
		    inet_pton(AF_INET, addr, a) == 1;
	fclose(f);
	return ok;
}



static void
open_work(void *arg)
{
	struct open_job		*j = arg;
	struct sockaddr_in	 sa;
	int			 nsfd, orig;

	j->fd = -1;
	/* Without --dns, the host's nameserver answers the rest. */
	if (j->d->nup == 0 && host_upstream(&j->d->up[0]))
		j->d->nup = 1;
	if ((nsfd = open(j->sandbox, O_RDONLY | O_CLOEXEC)) == -1) {
		j->rc = -errno;
		return;
	}
	if ((orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) ==
	    -1) {
		j->rc = -errno;
		close(nsfd);
		return;
	}
	if (setns(nsfd, CLONE_NEWNET) == -1)
		j->rc = -errno;
	else {
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons(DNS_PORT);
		inet_pton(AF_INET, DNS_ADDR, &sa.sin_addr);
		if ((j->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1 ||
		    bind(j->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
			j->rc = -errno;
			if (j->fd != -1)
				close(j->fd);
			j->fd = -1;
		}
		if (setns(orig, CLONE_NEWNET) == -1)
			abort();
	}
	close(orig);
	close(nsfd);
}

static void	dns_readable(int, int, void *);

static void
dns_free(struct nw_dns *d)
{
	free(d->container);
	free(d);
}

static void
open_done(void *arg)
{
	struct open_job	*j = arg;
	struct nw_dns	*d = j->d;

	d->opening = 0;
	if (d->gone) {
		/* Stopped meanwhile (the container left): nothing to serve. */
		if (j->fd >= 0)
			close(j->fd);
		dns_free(d);
	} else if (j->fd < 0) {
		d->nw->h->log(d->nw->h, BERTH_LOG_WARN, "container %.12s: no "
		    "embedded DNS: %s", d->container, strerror(-j->rc));
		LIST_REMOVE(d, entry);
		dns_free(d);
	} else {
		d->fd = j->fd;
		d->w = d->nw->h->fd_watch(d->nw->h, d->fd, BERTH_FD_READ,
		    dns_readable, d);
	}
	free(j->sandbox);
	free(j);
}

/*
 * Serve DNS in container's sandbox: once, however many networks it
 * joins (the entry stands from the first call, socket or not yet).
 */
void
networks_dns_start(struct networks *nw, const char *container,
    const char *sandbox, json_object *dns)
{
	struct open_job	*j;
	struct nw_dns	*d;
	size_t		 i;

	if (networks_dns_find(nw, container) != NULL ||
	    (d = calloc(1, sizeof(*d))) == NULL)
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (d->container = strdup(container)) == NULL ||
	    (j->sandbox = strdup(sandbox)) == NULL) {
		free(j);
		dns_free(d);
		return;
	}
	d->nw = nw;
	d->fd = -1;
	d->opening = 1;
	for (i = 0; dns != NULL && json_object_is_type(dns, json_type_array) &&
	    i < json_object_array_length(dns) && d->nup < 3; i++)
		if (inet_pton(AF_INET, json_object_get_string(
		    json_object_array_get_idx(dns, i)), &d->up[d->nup]) == 1)
			d->nup++;
	LIST_INIT(&d->fwds);
	j->d = d;
	if (nw->h->work(nw->h, open_work, open_done, j) < 0) {
		free(j->sandbox);
		free(j);
		dns_free(d);
		return;
	}
	LIST_INSERT_HEAD(&nw->dns, d, entry);
}

/* At fini: every server stops. */
void
networks_dns_stop_all(struct networks *nw)
{
	while (!LIST_EMPTY(&nw->dns))
		networks_dns_stop(nw, LIST_FIRST(&nw->dns)->container);
}

struct nw_dns *
networks_dns_find(struct networks *nw, const char *container)
{
	struct nw_dns	*d;

	LIST_FOREACH(d, &nw->dns, entry)
		if (strcmp(d->container, container) == 0)
			return d;
	return NULL;
}

static void
fwd_free(struct dns_fwd *f)
{
	LIST_REMOVE(f, entry);
	f->d->nw->h->fd_unwatch(f->d->nw->h, f->w);
	if (f->t != NULL)
		f->d->nw->h->timer_del(f->d->nw->h, f->t);
	close(f->fd);
	free(f);
}

void
networks_dns_stop(struct networks *nw, const char *container)
{
	struct nw_dns	*d;

	if ((d = networks_dns_find(nw, container)) == NULL)
		return;
	LIST_REMOVE(d, entry);
	if (d->opening) {
		d->gone = 1;		/* open_done frees it */
		return;
	}
	while (!LIST_EMPTY(&d->fwds))
		fwd_free(LIST_FIRST(&d->fwds));
	nw->h->fd_unwatch(nw->h, d->w);
	close(d->fd);
	dns_free(d);
}

/* --- answers ---------------------------------------------------------------- */

/*
 * The question's name (lower case, no final dot) into name; the offset
 * just past the question (type and class included), or 0 if malformed.
 */
static size_t
question(const unsigned char *m, size_t len, char *name, size_t nlen,
    uint16_t *qtype)
{
	size_t	off = 12, n = 0, l;

	if (len < 12 || ((m[4] << 8) | m[5]) != 1)
		return 0;
	while (off < len && m[off] != 0) {
		l = m[off];
		if (l > 63 || off + 1 + l > len || n + l + 2 > nlen)
			return 0;
		if (n > 0)
			name[n++] = '.';
		memcpy(name + n, m + off + 1, l);
		n += l;
		off += 1 + l;
	}
	if (off + 5 > len)
		return 0;
	name[n] = '\0';
	for (l = 0; l < n; l++)
		name[l] = (char)tolower((unsigned char)name[l]);
	*qtype = (uint16_t)((m[off + 1] << 8) | m[off + 2]);
	return off + 5;
}

/* e answers to name: its container's name, short ID or an alias. */
static int
ep_named(const struct nw_ep *e, const char *name)
{
	size_t	i;

	if (strcasecmp(e->name, name) == 0)
		return 1;
	for (i = 0; e->aliases != NULL &&
	    i < json_object_array_length(e->aliases); i++)
		if (strcasecmp(json_object_get_string(
		    json_object_array_get_idx(e->aliases, i)), name) == 0)
			return 1;
	return 0;
}

/*
 * Addresses for name seen from container: endpoints on the user-defined
 * networks container is on.  Up to max into out; how many found.
 */
static size_t
lookup(struct networks *nw, const char *container, const char *name,
    uint32_t *out, size_t max)
{
	struct nw_ep		*mine, *e;
	struct nw_net		*n;
	struct berth_cidr	 a;
	size_t			 k = 0;

	TAILQ_FOREACH(mine, &nw->eps, entry) {
		if (strcmp(mine->container, container) != 0 ||
		    (n = networks_find(nw, mine->net_id)) == NULL ||
		    n->predefined)
			continue;
		TAILQ_FOREACH(e, &nw->eps, entry)
			if (e->ready && strcmp(e->net_id, mine->net_id) == 0 &&
			    e->address != NULL && ep_named(e, name) &&
			    berth_cidr_parse(e->address, 1, &a) == 0 &&
			    k < max)
				out[k++] = a.addr;
	}
	return k;
}

static void
reply(struct nw_dns *d, const struct sockaddr_in *to, unsigned char *m,
    size_t qend, int rcode, const uint32_t *addrs, size_t n)
{
	unsigned char	out[DNS_MAX];
	size_t		off, i;
	uint32_t	a;

	if (qend > sizeof(out) - 16 * n)
		n = 0;
	memcpy(out, m, qend);
	out[2] = (unsigned char)(0x80 | (m[2] & 0x79) | 0x04);	/* QR AA RD */
	out[3] = (unsigned char)(0x80 | (rcode & 0x0f));	/* RA */
	out[6] = 0;
	out[7] = (unsigned char)n;
	memset(out + 8, 0, 4);		/* no authority, no additional */
	off = qend;
	for (i = 0; i < n; i++) {
		const unsigned char rr[] = { 0xc0, 0x0c, 0, 1, 0, 1,
		    0, 0, 2, 0x58, 0, 4 };	/* A IN, TTL 600 */

		memcpy(out + off, rr, sizeof(rr));
		off += sizeof(rr);
		a = htonl(addrs[i]);
		memcpy(out + off, &a, 4);
		off += 4;
	}
	(void)sendto(d->fd, out, off, 0, (const struct sockaddr *)to,
	    sizeof(*to));
}

/* --- forwarding ----------------------------------------------------------- */

static void
fwd_timeout(void *arg)
{
	struct dns_fwd	*f = arg;

	f->t = NULL;
	fwd_free(f);		/* the client asks again or gives up */
}

static void
fwd_readable(int fd, int events, void *arg)
{
	struct dns_fwd	*f = arg;
	unsigned char	 m[DNS_MAX];
	ssize_t		 n;

	if ((n = recv(fd, m, sizeof(m), 0)) > 0)
		(void)sendto(f->d->fd, m, (size_t)n, 0,
		    (struct sockaddr *)&f->client, sizeof(f->client));
	fwd_free(f);
}

static void
forward(struct nw_dns *d, const struct sockaddr_in *from,
    const unsigned char *m, size_t len, size_t qend)
{
	struct networks		*nw = d->nw;
	struct sockaddr_in	 up;
	struct dns_fwd		*f;
	unsigned char		 copy[DNS_MAX];

	memset(&up, 0, sizeof(up));
	up.sin_family = AF_INET;
	up.sin_port = htons(DNS_PORT);
	up.sin_addr = d->up[0];
	if (d->nup == 0 || (f = calloc(1, sizeof(*f))) == NULL) {
		memcpy(copy, m, len);
		reply(d, from, copy, qend, 2, NULL, 0);	/* SERVFAIL */
		return;
	}
	f->d = d;
	f->client = *from;
	if ((f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    connect(f->fd, (struct sockaddr *)&up, sizeof(up)) == -1 ||
	    send(f->fd, m, len, 0) < 0) {
		if (f->fd != -1)
			close(f->fd);
		free(f);
		memcpy(copy, m, len);
		reply(d, from, copy, qend, 2, NULL, 0);
		return;
	}
	LIST_INSERT_HEAD(&d->fwds, f, entry);
	f->w = nw->h->fd_watch(nw->h, f->fd, BERTH_FD_READ, fwd_readable,
	    f);
	f->t = nw->h->timer_add(nw->h, DNS_FWD_MS, fwd_timeout, f);
}

static void
dns_readable(int fd, int events, void *arg)
{
	struct nw_dns		*d = arg;
	struct sockaddr_in	 from;
	socklen_t		 flen;
	unsigned char		 m[DNS_MAX];
	uint32_t		 addrs[16];
	char			 name[256];
	uint16_t		 qtype;
	size_t			 qend, n;
	ssize_t			 len;
	int			 i;

	/* A few per wakeup, so one busy container cannot hold the loop. */
	for (i = 0; i < 16; i++) {
		flen = sizeof(from);
		if ((len = recvfrom(fd, m, sizeof(m), 0,
		    (struct sockaddr *)&from, &flen)) <= 0)
			return;
		if ((size_t)len < 12 || (m[2] & 0x80) != 0)
			continue;	/* not a question */
		if ((qend = question(m, (size_t)len, name, sizeof(name),
		    &qtype)) == 0) {
			if ((size_t)len >= 12)
				reply(d, &from, m, 12, 1, NULL, 0); /* FORMERR */
			continue;
		}
		n = lookup(d->nw, d->container, name, addrs, 16);
		if (n == 0) {
			forward(d, &from, m, (size_t)len, qend);
			continue;
		}
		/* A name of ours: A records, or a NOERROR with none. */
		reply(d, &from, m, qend, 0, addrs, qtype == 1 || qtype == 255 ?
		    n : 0);
	}
}

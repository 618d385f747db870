/*
 * networks_sandbox.c - a container's network namespace (Docker's
 * sandbox) and the interfaces put into it.  All of it blocks, so it runs
 * in work jobs.
 *
 * A namespace is made by a worker thread that unshares its own network
 * namespace, bind-mounts it at <exec-root>/netns/<container> (so it
 * outlives every process, berthd's restarts included, until freed), sets
 * loopback up in it and goes back to berthd's namespace.  An interface a
 * driver made in berthd's namespace is moved in by file descriptor; the
 * thread then enters the namespace to name, address and route it.  The
 * thread always returns to berthd's namespace before the job ends.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/cidr.h>
#include <berth/fs.h>
#include <berth/rtnl.h>

#include "networks.h"

/* The namespace file of a container. */
void
networks_sandbox_path(struct networks *nw, const char *container, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/netns/%s", nw->h->exec_root(nw->h), container);
}

/* path is a mounted network namespace (a restart finds it so). */
static int
is_netns(const char *path)
{
	struct stat	a, b;
	int		fd, ok;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	/* nsfs: setns would accept it; its dev differs from a plain file's. */
	ok = fstat(fd, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 &&
	    a.st_dev == b.st_dev;
	close(fd);
	return ok;
}

/* Worker: make the namespace at path; 0 or -errno, *what says where. */
int
networks_netns_new(const char *path, const char **what)
{
	struct berth_rtnl_link	 lo = { .name = "lo", .up = 1 };
	char			 dir[PATH_MAX], *slash;
	int			 orig, fd, rc = 0;

	if (is_netns(path))
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	*what = "make the netns directory";
	if ((rc = berth_mkdirs(dir, 0711)) < 0)
		return rc;
	*what = "make the netns file";
	if ((fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444)) == -1)
		return -errno;
	close(fd);
	if ((orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) ==
	    -1)
		return -errno;
	*what = "unshare the network namespace";
	if (unshare(CLONE_NEWNET) == -1) {
		rc = -errno;
		close(orig);
		(void)unlink(path);
		return rc;
	}
	*what = "bind-mount the netns";
	if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) ==
	    -1)
		rc = -errno;
	else {
		*what = "set loopback up";
		rc = berth_rtnl_link_set(&lo);
	}
	/* Back to berthd's namespace, whatever happened. */
	if (setns(orig, CLONE_NEWNET) == -1)
		abort();
	close(orig);
	if (rc < 0) {
		(void)umount2(path, MNT_DETACH);
		(void)unlink(path);
	}
	return rc;
}

/* Worker: the namespace at path goes; gone already is 0. */
int
networks_netns_free(const char *path)
{
	if (umount2(path, MNT_DETACH) == -1 && errno != EINVAL &&
	    errno != ENOENT)
		return -errno;
	if (unlink(path) == -1 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The first ethN (prefix N) not yet in the namespace we are in. */
static void
next_name(const char *prefix, char *out, size_t len)
{
	int	n;

	for (n = 0; n < 1000; n++) {
		snprintf(out, len, "%s%d", prefix, n);
		if (if_nametoindex(out) == 0)
			return;
	}
}

/*
 * Worker: move src into the namespace at path, name it prefix+N, give it
 * mac and addr (CIDR), set it up and, when gw is non-zero, route by it;
 * then the driver's static routes.
 * The chosen name into ifname (IFNAMSIZ).
 */
int
networks_netns_iface(const char *path, const struct nw_iface *in,
    char *ifname, const char **what)
{
	struct berth_rtnl_link	 l;
	struct berth_cidr	 a;
	unsigned char		 mac[6];
	size_t			 i;
	int			 nsfd, orig, rc;

	*what = "parse the address";
	if (berth_cidr_parse(in->address, 1, &a) < 0)
		return -EINVAL;
	if (in->mac != NULL && sscanf(in->mac,
	    "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
	    &mac[3], &mac[4], &mac[5]) != 6)
		return -EINVAL;
	*what = "open the netns";
	if ((nsfd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	/*
	 * A driver may have made it inside the sandbox already (net-bridge
	 * does: a move costs a grace period); else it comes in now.
	 */
	*what = "move the interface into the netns";
	memset(&l, 0, sizeof(l));
	l.name = in->src;
	l.netns_fd = nsfd;
	if ((rc = berth_rtnl_link_set(&l)) < 0 && rc != -ENODEV) {
		close(nsfd);
		return rc;
	}
	if ((orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) ==
	    -1) {
		rc = -errno;
		close(nsfd);
		return rc;
	}
	*what = "enter the netns";
	if (setns(nsfd, CLONE_NEWNET) == -1) {
		rc = -errno;
		goto out;
	}
	next_name(in->prefix, ifname, IFNAMSIZ);
	memset(&l, 0, sizeof(l));
	l.name = in->src;
	l.new_name = ifname;
	l.mac = in->mac != NULL ? mac : NULL;
	*what = "name the interface";
	if ((rc = berth_rtnl_link_set(&l)) < 0)
		goto back;
	*what = "address the interface";
	if ((rc = berth_rtnl_addr_add(ifname, a.addr, a.prefix)) < 0)
		goto back;
	memset(&l, 0, sizeof(l));
	l.name = ifname;
	l.up = 1;
	*what = "set the interface up";
	if ((rc = berth_rtnl_link_set(&l)) < 0)
		goto back;
	*what = "route by the gateway";
	if (in->gateway != 0 && (rc = berth_rtnl_route_default(in->gateway)) < 0)
		goto back;
	*what = "add the driver's static routes";
	for (i = 0; i < in->nroutes; i++) {
		struct berth_rtnl_route	rt = in->routes[i];

		rt.oif = if_nametoindex(ifname);
		if ((rc = berth_rtnl_route_add(&rt)) < 0)
			goto back;
	}
back:
	if (setns(orig, CLONE_NEWNET) == -1)
		abort();
out:
	close(orig);
	close(nsfd);
	return rc;
}

/* --- as networks/1 serves them (jobs on the loop's side) ---------------- */

struct sbox {
	struct networks		*nw;
	char			 path[PATH_MAX];
	const char		*what;
	int			 rc;
	int			 del;
	berth_networks_path_cb	 pcb;
	berth_networks_done_cb	 dcb;
	void			*arg;
};

static void
sbox_work(void *arg)
{
	struct sbox	*s = arg;

	s->what = "remove the netns";
	s->rc = s->del ? networks_netns_free(s->path) :
	    networks_netns_new(s->path, &s->what);
}

static void
sbox_done(void *arg)
{
	struct sbox		*s = arg;
	struct berth_err	 err = BERTH_ERR_INIT;

	if (s->rc < 0)
		berth_err_set(&err, s->rc, "network sandbox %s: %s: %s",
		    s->path, s->what, strerror(-s->rc));
	if (s->del)
		s->dcb(s->arg, s->rc, s->rc < 0 ? &err : NULL);
	else
		s->pcb(s->arg, s->rc, s->rc < 0 ? NULL : s->path,
		    s->rc < 0 ? &err : NULL);
	free(s);
}

static void
sbox_go(struct networks *nw, const char *container, int del,
    berth_networks_path_cb pcb, berth_networks_done_cb dcb, void *arg)
{
	struct berth_err	 err = BERTH_ERR_INIT;
	struct sbox		*s;

	if ((s = calloc(1, sizeof(*s))) != NULL) {
		s->nw = nw;
		s->del = del;
		s->pcb = pcb;
		s->dcb = dcb;
		s->arg = arg;
		networks_sandbox_path(nw, container, s->path, sizeof(s->path));
		if (nw->h->work(nw->h, sbox_work, sbox_done, s) == 0)
			return;
		free(s);
	}
	berth_err_set(&err, -ENOMEM, "out of memory");
	if (del)
		dcb(arg, -ENOMEM, &err);
	else
		pcb(arg, -ENOMEM, NULL, &err);
}

void
networks_svc_sandbox(void *st, const char *container, berth_networks_path_cb cb,
    void *arg)
{
	sbox_go(st, container, 0, cb, NULL, arg);
}

void
networks_svc_sandbox_free(void *st, const char *container, berth_networks_done_cb cb,
    void *arg)
{
	networks_dns_stop(st, container);
	sbox_go(st, container, 1, NULL, cb, arg);
}

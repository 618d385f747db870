/*
 * networks.h - the networks service, private to modules/networks.
 *
 * The service owns what Docker's libnetwork controller owns: names, IDs,
 * options, labels and the IPAM pools of each network (persisted, one
 * JSON file per network under <data-root>/networks), and calls drivers
 * (network/1) and IPAM drivers (ipam/1) in Docker's order.  Drivers own
 * the kernel objects; IPAM drivers own nothing on disk: at every start
 * the service asks them again for exactly what its records hold (the
 * default IPAM wants request replay), so there is one record of which
 * address belongs to whom.
 *
 *	networks.c		init/fini, routes, /info, events, lookups, JSON
 *	networks_api.c		the /networks endpoints
 *	networks_chain.c	create, restore and destroy through IPAM + driver
 *	networks_store.c	records on disk, load at start
 *	networks_filters.c	list and prune filters
 *	networks_ipam.c		the "default" IPAM driver (Docker's pools)
 *	networks_builtin.c	the "host" and "null" drivers
 *	networks_ep.c		endpoints: networks/1 for the containers service
 *	networks_ports.c	published ports: the API's shapes, Docker's portmap
 *	networks_sandbox.c	network namespaces and the interfaces in them
 *	networks_dns.c		the embedded DNS server (127.0.0.11)
 */
#ifndef NETWORKS_H
#define NETWORKS_H

#include <sys/queue.h>

#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>
#include <berth/host.h>
#include <berth/id.h>
#include <berth/ipam.h>
#include <berth/network.h>
#include <berth/rtnl.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define NW_ID_LEN	64

struct nw_ipam;
/* The default bridge's Linux name: never another engine's docker0. */
#define NW_DEFAULT_BRIDGE	"berth0"

/* One IPAM.Config entry and what IPAM granted for it. */
struct nw_pool {
	char		*subnet;	/* CIDR; NULL: any (until granted) */
	char		*ip_range;	/* CIDR or NULL */
	char		*gateway;	/* plain address or NULL */
	json_object	*aux;		/* AuxiliaryAddresses or NULL */
	char		*pool_id;	/* NULL until granted */
	int		 gw_held;	/* gateway from RequestAddress */
	int		 gw_data;	/* gateway from RequestPool's Data */
};

struct nw_net {
	TAILQ_ENTRY(nw_net)	 entry;
	char			 id[NW_ID_LEN + 1];
	char			*name;
	char			*driver;
	char			*created;	/* RFC 3339 with nanoseconds */
	char			*ipam_driver;
	json_object		*ipam_options;	/* object or NULL */
	struct nw_pool		*pools;
	size_t			 npools;
	json_object		*options;	/* -o map: object */
	json_object		*labels;	/* object */
	int			 internal;
	int			 attachable;
	int			 predefined;	/* bridge, host, none */
	int			 ready;		/* created and on disk */
	int			 busy;		/* a create or remove runs */
	int			 refs;
	int			 gone;		/* unlinked */
};
TAILQ_HEAD(nw_net_list, nw_net);

/* What the sandbox job needs to put an interface into a namespace. */
struct nw_iface {
	const char	*src;		/* the driver's SrcName */
	const char	*prefix;	/* its DstPrefix ("eth") */
	const char	*address;	/* CIDR */
	const char	*mac;		/* or NULL */
	uint32_t	 gateway;	/* host order; 0: no default route */
	/* Join's StaticRoutes, on the new interface. */
	const struct berth_rtnl_route *routes;
	size_t		 nroutes;
};

/* A container's endpoint on a network. */
struct nw_ep {
	TAILQ_ENTRY(nw_ep)	 entry;
	char			 id[NW_ID_LEN + 1];
	char			 net_id[NW_ID_LEN + 1];
	char			*container;	/* 64 hex */
	char			*name;		/* the container's */
	json_object		*aliases;	/* array of strings */
	json_object		*ipam_config;	/* as asked, or NULL */
	char			*address;	/* CIDR, or NULL */
	char			*mac;		/* or NULL */
	char			*gateway;	/* plain, or NULL */
	char			*sandbox;	/* netns file */
	char			*ifname;	/* in the sandbox */
	json_object		*portmap;	/* Docker's portmap, as asked
						   then as programmed; or NULL */
	json_object		*exposed;	/* ["80/tcp", ...] or NULL */
	json_object		*dns;		/* the container's --dns */
	int			 ready;		/* joined and on disk */
	int			 busy;		/* a join or leave runs */
};
TAILQ_HEAD(nw_ep_list, nw_ep);

struct nw_dns;
LIST_HEAD(nw_dns_list, nw_dns);
struct nw_defer;
TAILQ_HEAD(nw_defer_list, nw_defer);

struct networks {
	const struct berth_host	*h;
	char			*dir;		/* <data-root>/networks */
	char			*bridge;	/* the default bridge's link */
	struct nw_net_list	 nets;
	struct nw_ep_list	 eps;
	struct nw_dns_list	 dns;		/* embedded DNS, per sandbox */
	struct nw_defer_list	 deferred;	/* joins waiting on a busy net */
	struct berth_timer	*start;		/* restore after every init */
	struct nw_ipam		*ipam;		/* the "default" IPAM's state */
	int			 stopping;
};

typedef void	(*nw_done_cb)(void *, int, const struct berth_err *);

/* networks.c */
struct nw_net	*networks_find(struct networks *, const char *);
struct nw_net	*networks_by_name(struct networks *, const char *);
int		 networks_is_predefined(const char *);
int		 networks_needs_ipam(const char *);
const struct berth_network_ops *networks_driver(struct networks *,
		    const char *, void **, struct berth_err *);
const struct berth_ipam_ops *networks_ipam(struct networks *, const char *,
		    void **, struct berth_err *);
void		 networks_emit(struct networks *, const char *,
		    const struct nw_net *, const char *);
struct nw_net	*networks_net_new(void);
void		 networks_net_ref(struct nw_net *);
void		 networks_net_unref(struct nw_net *);
void		 networks_link(struct networks *, struct nw_net *);
void		 networks_unlink(struct networks *, struct nw_net *);
json_object	*networks_json(struct networks *, const struct nw_net *);
void		 networks_time_now(char *, size_t);

/* networks_ep.c */
extern const struct berth_networks_ops networks_svc_ops;
struct nw_ep	*networks_ep_of(struct networks *, const char *,
		    const char *);
int		 networks_net_in_use(struct networks *, const struct nw_net *);
json_object	*networks_containers_json(struct networks *,
		    const struct nw_net *);
void		 networks_ep_free(struct nw_ep *);
void		 networks_net_settled(struct networks *, struct nw_net *);
void		 networks_ep_forget_deferred(struct networks *);
int		 networks_ep_load(struct networks *, const char *);
void		 networks_ep_replay(struct networks *, const struct nw_net *);
json_object	*networks_ep_settings(const struct nw_ep *);

/* networks_ports.c */
int		 networks_ports_request(struct nw_ep *,
		    const struct berth_networks_join *, struct berth_err *);
json_object	*networks_ports_json(const struct nw_ep *);

/* networks_dns.c */
void		 networks_dns_start(struct networks *, const char *,
		    const char *, json_object *);
void		 networks_dns_stop(struct networks *, const char *);
struct nw_dns	*networks_dns_find(struct networks *, const char *);
void		 networks_dns_stop_all(struct networks *);

/* networks_sandbox.c (work jobs) */
void		 networks_sandbox_path(struct networks *, const char *, char *,
		    size_t);
int		 networks_netns_new(const char *, const char **);
int		 networks_netns_free(const char *);
int		 networks_netns_iface(const char *, const struct nw_iface *,
		    char *, const char **);
void		 networks_svc_sandbox(void *, const char *,
		    berth_networks_path_cb, void *);
void		 networks_svc_sandbox_free(void *, const char *,
		    berth_networks_done_cb, void *);

/* networks_chain.c */
void		 networks_create(struct networks *, struct nw_net *, int,
		    nw_done_cb, void *);
void		 networks_destroy(struct networks *, struct nw_net *,
		    nw_done_cb, void *);

/* networks_store.c */
void		 networks_write(struct networks *, const char *, json_object *,
		    nw_done_cb, void *);
json_object	*networks_record(const struct nw_net *);
struct nw_net	*networks_from_record(json_object *, struct berth_err *);
void		 networks_save(struct networks *, struct nw_net *, nw_done_cb,
		    void *);
void		 networks_forget(struct networks *, struct nw_net *,
		    nw_done_cb, void *);
int		 networks_load(struct networks *, struct berth_err *);

/* networks_filters.c */
struct nw_filters;
int		 networks_filters_parse(const char *, int, struct nw_filters **,
		    struct berth_err *);
int		 networks_filters_match(struct networks *,
		    const struct nw_filters *, const struct nw_net *);
void		 networks_filters_free(struct nw_filters *);

/* networks_api.c */
void		 networks_h_create(struct berth_req *, void *);
void		 networks_h_list(struct berth_req *, void *);
void		 networks_h_inspect(struct berth_req *, void *);
void		 networks_h_remove(struct berth_req *, void *);
void		 networks_h_prune(struct berth_req *, void *);

/* networks_ipam.c */
extern const struct berth_ipam_ops networks_ipam_ops;
struct nw_ipam	*networks_ipam_new(void);
void		 networks_ipam_free(struct nw_ipam *);

/* networks_builtin.c */
extern const struct berth_network_ops networks_builtin_ops;

#endif

/*
 * networks_ports.c - published ports between the API's shapes and
 * Docker's portmap: HostConfig.PortBindings (and, with -P, every exposed
 * port) into the portmap a driver programs, and the portmap as
 * programmed back into NetworkSettings.Ports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/json.h>

#include "networks.h"

/* "80/tcp" into port and proto (6, 17); -1 if not that. */
static int
port_key(const char *k, int *port, int *proto)
{
	char	*end;
	long	 p = strtol(k, &end, 10);

	if (end == k || p <= 0 || p > 65535)
		return -1;
	*port = (int)p;
	*proto = 6;
	if (*end == '/' && strcmp(end + 1, "udp") == 0)
		*proto = 17;
	else if (*end != '\0' && strcmp(end, "/tcp") != 0)
		return -1;
	return 0;
}

static void
portmap_add(json_object *map, int proto, int port, const char *hip,
    const char *hport, struct berth_err *err)
{
	json_object	*m;
	long		 lo = 0, hi = 0;
	char		*end;

	if (hport != NULL && *hport != '\0') {
		lo = strtol(hport, &end, 10);
		hi = lo;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (*end != '\0' || lo <= 0 || lo > 65535 || hi < lo ||
		    hi > 65535) {
			berth_err_set(err, -EINVAL, "invalid port "
			    "specification: \"%s\"", hport);
			return;
		}
	}
	m = json_object_new_object();
	json_object_object_add(m, "Proto", json_object_new_int(proto));
	json_object_object_add(m, "IP", json_object_new_string(""));
	json_object_object_add(m, "Port", json_object_new_int(port));
	json_object_object_add(m, "HostIP", json_object_new_string(
	    hip != NULL ? hip : ""));
	json_object_object_add(m, "HostPort", json_object_new_int((int)lo));
	json_object_object_add(m, "HostPortEnd", json_object_new_int((int)hi));
	json_object_array_add(map, m);
}

/*
 * PortBindings (and, with -P, ExposedPorts) into Docker's portmap and
 * exposed list on e; 0 or -EINVAL.
 */
int
networks_ports_request(struct nw_ep *e, const struct berth_networks_join *req,
    struct berth_err *err)
{
	json_object	*b = req->port_bindings, *x = req->exposed_ports, *h;
	size_t		 i;
	int		 port, proto;

	if (x != NULL && json_object_is_type(x, json_type_object) &&
	    json_object_object_length(x) > 0) {
		e->exposed = json_object_new_array();
		json_object_object_foreach(x, k, v) {
			(void)v;
			json_object_array_add(e->exposed,
			    json_object_new_string(k));
		}
	}
	e->portmap = json_object_new_array();
	if (b != NULL && json_object_is_type(b, json_type_object)) {
		json_object_object_foreach(b, k, v) {
			if (port_key(k, &port, &proto) < 0)
				return berth_err_set(err, -EINVAL, "invalid "
				    "port %s", k);
			for (i = 0; json_object_is_type(v, json_type_array) &&
			    i < json_object_array_length(v); i++) {
				h = json_object_array_get_idx(v, i);
				portmap_add(e->portmap, proto, port,
				    berth_json_str(h, "HostIp"),
				    berth_json_str(h, "HostPort"), err);
			}
			if (err->code != 0)
				return err->code;
		}
	}
	if (req->publish_all && x != NULL &&
	    json_object_is_type(x, json_type_object)) {
		json_object_object_foreach(x, k, v) {
			(void)v;
			if ((b != NULL && berth_json_get(b, k) != NULL) ||
			    port_key(k, &port, &proto) < 0)
				continue;
			portmap_add(e->portmap, proto, port, NULL, NULL, err);
		}
	}
	if (json_object_array_length(e->portmap) == 0) {
		json_object_put(e->portmap);
		e->portmap = NULL;
	}
	return 0;
}

/* NetworkSettings.Ports: {"80/tcp": [{"HostIp","HostPort"}], ...}. */
json_object *
networks_ports_json(const struct nw_ep *e)
{
	json_object	*o = json_object_new_object(), *m, *l, *b;
	char		 key[32], hp[16];
	size_t		 i;
	int		 proto;

	for (i = 0; e->exposed != NULL &&
	    i < json_object_array_length(e->exposed); i++)
		json_object_object_add(o, json_object_get_string(
		    json_object_array_get_idx(e->exposed, i)), NULL);
	for (i = 0; e->portmap != NULL &&
	    i < json_object_array_length(e->portmap); i++) {
		m = json_object_array_get_idx(e->portmap, i);
		proto = json_object_get_int(berth_json_get(m, "Proto"));
		snprintf(key, sizeof(key), "%d/%s", json_object_get_int(
		    berth_json_get(m, "Port")), proto == 17 ? "udp" : "tcp");
		if ((l = json_object_object_get(o, key)) == NULL) {
			l = json_object_new_array();
			json_object_object_add(o, key, l);
		}
		b = json_object_new_object();
		json_object_object_add(b, "HostIp", json_object_new_string(
		    berth_json_str(m, "HostIP") != NULL &&
		    *berth_json_str(m, "HostIP") ? berth_json_str(m,
		    "HostIP") : "0.0.0.0"));
		snprintf(hp, sizeof(hp), "%d", json_object_get_int(
		    berth_json_get(m, "HostPort")));
		json_object_object_add(b, "HostPort", json_object_new_string(hp));
		json_object_array_add(l, b);
	}
	return o;
}

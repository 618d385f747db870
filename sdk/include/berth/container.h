/*
 * berth/container.h - the containers service as other services see it,
 * "container/1".
 *
 * What Docker's classic builder asks of its daemon to run a step: create
 * a container, attach to its output, start it, wait for its exit and
 * remove it.  Each op is the API call of the same name without the HTTP
 * around it, so the container is a real one: it has the same defaults,
 * events, limits and network as one a client made, and shows in
 * `docker ps -a` while it exists.
 *
 * All ops run on the loop thread; done is called later (or before the op
 * returns) on the loop thread, exactly once.  Strings are borrowed for
 * the call.
 */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <berth/err.h>

#define BERTH_CONTAINER_IFACE	"container/1"
#define BERTH_CONTAINER_DRIVER	"containers"	/* the one provider's name */

/* Which output an attach carries (as the attach query's stdout/stderr). */
#define BERTH_CONTAINER_STDOUT	0x2u
#define BERTH_CONTAINER_STDERR	0x4u

typedef void	(*berth_container_done_cb)(void *arg, int rc,
		    const struct berth_err *err);
/* create's result: the new container's 64-hex ID; NULL when rc < 0. */
typedef void	(*berth_container_id_cb)(void *arg, int rc, const char *id,
		    const struct berth_err *err);
/* wait's result: the exit code (rc 0), or why there is none. */
typedef void	(*berth_container_exit_cb)(void *arg, int rc, int exit_code,
		    const struct berth_err *err);

struct berth_container_ops {
	uint32_t	 size;		/* sizeof(struct berth_container_ops) */
	/*
	 * create - POST /containers/create?name=NAME: body is Docker's
	 * create body (Config's fields with HostConfig and
	 * NetworkingConfig), borrowed; name NULL draws one.  The image is
	 * resolved, merged and used as for a client's create, and the
	 * create event is emitted.
	 */
	void	(*create)(void *st, json_object *body, const char *name,
		    berth_container_id_cb done, void *arg);
	/*
	 * attach - a hijacked POST /containers/{id}/attach?stream=1 with
	 * flags: takes fd (a stream socket) and writes the container's
	 * output to it in Docker's framing (8-byte headers, no terminal)
	 * until the process exits, then closes it.  Before start the fd is
	 * held and handed over at start, so no byte is lost.
	 */
	int	(*attach)(void *st, const char *id, int fd, uint32_t flags,
		    struct berth_err *err);
	/* start - POST /containers/{id}/start. */
	void	(*start)(void *st, const char *id, berth_container_done_cb done,
		    void *arg);
	/*
	 * wait - POST /containers/{id}/wait (condition not-running): done
	 * once the container is not running, with its exit code.
	 */
	void	(*wait)(void *st, const char *id, berth_container_exit_cb done,
		    void *arg);
	/* remove - DELETE /containers/{id}?force=1&v=1. */
	void	(*remove)(void *st, const char *id,
		    berth_container_done_cb done, void *arg);
};

/* Is op present in a provider's table of the given size? */
#define BERTH_CONTAINER_HAS(ops, op)					\
	((ops)->size >= offsetof(struct berth_container_ops, op) +	\
	    sizeof((ops)->op) && (ops)->op != NULL)

#endif

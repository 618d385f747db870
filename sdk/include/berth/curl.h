/*
 * berth/curl.h - libcurl's multi interface driven by berthd's loop, for
 * modules that link libcurl (plugin-proxy's plugin calls, the images
 * service's registry client).  Static inline, so a module links nothing
 * from the core.
 *
 * libcurl says which sockets to watch and when to wake it
 * (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION); the loop's fd
 * watches and one timer do so, and tell libcurl what happened
 * (curl_multi_socket_action).  Each finished transfer is taken out of
 * the multi handle and handed to done, on the loop; no call ever waits
 * for the network.
 *
 *	struct berth_curl bc;
 *	berth_curl_init(&bc, h, my_done, me);
 *	curl_multi_add_handle(bc.multi, easy);	   then my_done(me, easy, rc)
 *	berth_curl_fini(&bc);			   transfers still running
 *						   are the caller's to end
 */
#ifndef BERTH_CURL_H
#define BERTH_CURL_H

#include <errno.h>
#include <stdlib.h>

#include <curl/curl.h>

#include <berth/host.h>

/* A transfer ended: easy is out of the multi handle and the caller's. */
typedef void	(*berth_curl_done_fn)(void *arg, CURL *easy, CURLcode rc);

struct berth_curl {
	const struct berth_host	*h;
	CURLM			*multi;
	struct berth_timer	*timer;
	berth_curl_done_fn	 done;
	void			*arg;
	int			 closing;
};

/* One watched socket (curl_multi_assign keeps it per socket). */
struct berth_curl_sock_ {
	struct berth_watch	*w;
	int			 events;
};

static inline void
berth_curl_drain_(struct berth_curl *bc)
{
	CURLMsg	*msg;
	CURL	*easy;
	int	 left;

	while ((msg = curl_multi_info_read(bc->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		curl_multi_remove_handle(bc->multi, easy);
		bc->done(bc->arg, easy, msg->data.result);
	}
}

static inline void
berth_curl_on_fd_(int fd, int events, void *arg)
{
	struct berth_curl	*bc = arg;
	int			 running, flags = 0;

	if (events & BERTH_FD_READ)
		flags |= CURL_CSELECT_IN;
	if (events & BERTH_FD_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(bc->multi, fd, flags, &running);
	berth_curl_drain_(bc);
}

static inline int
berth_curl_sock_cb_(CURL *e, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct berth_curl	*bc = userp;
	struct berth_curl_sock_	*ps = socketp;
	int			 events = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (ps != NULL) {
			if (ps->w != NULL)
				bc->h->fd_unwatch(bc->h, ps->w);
			free(ps);
			curl_multi_assign(bc->multi, s, NULL);
		}
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= BERTH_FD_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= BERTH_FD_WRITE;
	if (ps == NULL) {
		if ((ps = calloc(1, sizeof(*ps))) == NULL)
			return -1;
		curl_multi_assign(bc->multi, s, ps);
	}
	if (ps->w != NULL && ps->events == events)
		return 0;
	if (ps->w != NULL)
		bc->h->fd_unwatch(bc->h, ps->w);
	ps->events = events;
	ps->w = bc->h->fd_watch(bc->h, s, events, berth_curl_on_fd_, bc);
	return ps->w != NULL ? 0 : -1;
}

static inline void
berth_curl_on_timer_(void *arg)
{
	struct berth_curl	*bc = arg;
	int			 running;

	bc->timer = NULL;	/* freed after it fires */
	curl_multi_socket_action(bc->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	berth_curl_drain_(bc);
}

static inline int
berth_curl_timer_cb_(CURLM *m, long ms, void *userp)
{
	struct berth_curl	*bc = userp;

	(void)m;
	if (bc->timer != NULL) {
		bc->h->timer_del(bc->h, bc->timer);
		bc->timer = NULL;
	}
	if (ms >= 0 && !bc->closing)
		bc->timer = bc->h->timer_add(bc->h, (uint64_t)ms,
		    berth_curl_on_timer_, bc);
	return 0;
}

/* 0, or -ENOMEM.  curl_global_init is the caller's, once. */
static inline int
berth_curl_init(struct berth_curl *bc, const struct berth_host *h,
    berth_curl_done_fn done, void *arg)
{
	bc->h = h;
	bc->timer = NULL;
	bc->done = done;
	bc->arg = arg;
	bc->closing = 0;
	if ((bc->multi = curl_multi_init()) == NULL)
		return -ENOMEM;
	curl_multi_setopt(bc->multi, CURLMOPT_SOCKETFUNCTION,
	    berth_curl_sock_cb_);
	curl_multi_setopt(bc->multi, CURLMOPT_SOCKETDATA, bc);
	curl_multi_setopt(bc->multi, CURLMOPT_TIMERFUNCTION,
	    berth_curl_timer_cb_);
	curl_multi_setopt(bc->multi, CURLMOPT_TIMERDATA, bc);
	return 0;
}

/*
 * The caller has removed every transfer it added (curl_multi_remove_handle
 * also ends their sockets' watches); the timer and the multi handle go.
 */
static inline void
berth_curl_fini(struct berth_curl *bc)
{
	bc->closing = 1;
	if (bc->timer != NULL)
		bc->h->timer_del(bc->h, bc->timer);
	bc->timer = NULL;
	if (bc->multi != NULL)
		curl_multi_cleanup(bc->multi);
	bc->multi = NULL;
}

#endif

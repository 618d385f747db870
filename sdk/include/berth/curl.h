/*
 * berth/curl.h - libcurl for modules, loaded when first needed, and its
 * multi interface driven by berthd's loop.  Static inline, so a module
 * links nothing from the core, and nothing from libcurl either.
 *
 * libcurl brings a large tree of libraries (TLS twice, LDAP, SSH, ...)
 * whose loading alone costs a daemon about 6 MiB of resident memory, at
 * every start, for registries and plugins a daemon may never use.  So a
 * module including this header does not link libcurl: the curl_* calls
 * below go through a table that dlopen("libcurl.so.4") fills the first
 * time berth_curl_available() is called (once, thread-safe).  Call it
 * before any other curl_* function; it says whether libcurl is there.
 *
 * The loop part: libcurl says which sockets to watch and when to wake it
 * (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION); the loop's fd
 * watches and one timer do so, and tell libcurl what happened
 * (curl_multi_socket_action).  Each finished transfer is taken out of
 * the multi handle and handed to done, on the loop; no call ever waits
 * for the network.
 *
 *	if (!berth_curl_available()) ... no libcurl;
 *	struct berth_curl bc;
 *	berth_curl_init(&bc, h, my_done, me);
 *	curl_multi_add_handle(bc.multi, easy);	   then my_done(me, easy, rc)
 *	berth_curl_fini(&bc);			   transfers still running
 *						   are the caller's to end
 */
#ifndef BERTH_CURL_H
#define BERTH_CURL_H

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <curl/curl.h>

#include <berth/host.h>

/* The libcurl calls modules make, found by dlsym. */
struct berth_curl_fns_ {
	CURLcode	(*global_init)(long);
	CURL		*(*easy_init)(void);
	CURLcode	(*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	(*easy_perform)(CURL *);
	CURLcode	(*easy_getinfo)(CURL *, CURLINFO, ...);
	void		(*easy_cleanup)(CURL *);
	void		(*easy_reset)(CURL *);
	char		*(*easy_escape)(CURL *, const char *, int);
	const char	*(*easy_strerror)(CURLcode);
	void		(*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		(*slist_free_all)(struct curl_slist *);
	CURLM		*(*multi_init)(void);
	CURLMcode	(*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode	(*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_socket_action)(CURLM *, curl_socket_t, int,
			    int *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	CURLMcode	(*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMcode	(*multi_cleanup)(CURLM *);
	int		 loaded;	/* 1: usable, -1: not there */
};

/* One table per file that includes this; each fills its own, once. */
__attribute__((unused)) static struct berth_curl_fns_	berth_curl_fns_;
__attribute__((unused)) static pthread_once_t		berth_curl_once_ =
    PTHREAD_ONCE_INIT;

static inline void
berth_curl_load_(void)
{
	static const char *const names[] = { "curl_global_init",
	    "curl_easy_init", "curl_easy_setopt", "curl_easy_perform",
	    "curl_easy_getinfo", "curl_easy_cleanup", "curl_easy_reset",
	    "curl_easy_escape", "curl_easy_strerror", "curl_free",
	    "curl_slist_append", "curl_slist_free_all", "curl_multi_init",
	    "curl_multi_setopt", "curl_multi_add_handle",
	    "curl_multi_remove_handle", "curl_multi_socket_action",
	    "curl_multi_info_read", "curl_multi_assign",
	    "curl_multi_cleanup" };
	void	**slot = (void **)&berth_curl_fns_;
	void	 *lib;
	size_t	  i;

	berth_curl_fns_.loaded = -1;
	/* Never closed: libcurl stays for the daemon's life once used. */
	if ((lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)) == NULL)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((slot[i] = dlsym(lib, names[i])) == NULL)
			return;
	/* Reference-counted by libcurl; thread-safe since 7.84. */
	if (berth_curl_fns_.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return;
	berth_curl_fns_.loaded = 1;
}

/* Load libcurl if need be: 1 if it can be used, 0 if not installed. */
static inline int
berth_curl_available(void)
{
	pthread_once(&berth_curl_once_, berth_curl_load_);
	return berth_curl_fns_.loaded == 1;
}

static inline const struct berth_curl_fns_ *
berth_curl_fn_(void)
{
	(void)berth_curl_available();
	return &berth_curl_fns_;
}

/* The calls, through the table (curl.h's type-checking macros go). */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_init		(berth_curl_fn_()->easy_init)
#define curl_easy_setopt	(berth_curl_fn_()->easy_setopt)
#define curl_easy_perform	(berth_curl_fn_()->easy_perform)
#define curl_easy_getinfo	(berth_curl_fn_()->easy_getinfo)
#define curl_easy_cleanup	(berth_curl_fn_()->easy_cleanup)
#define curl_easy_reset		(berth_curl_fn_()->easy_reset)
#define curl_easy_escape	(berth_curl_fn_()->easy_escape)
#define curl_easy_strerror	(berth_curl_fn_()->easy_strerror)
#define curl_free		(berth_curl_fn_()->free)
#define curl_slist_append	(berth_curl_fn_()->slist_append)
#define curl_slist_free_all	(berth_curl_fn_()->slist_free_all)
#define curl_multi_init		(berth_curl_fn_()->multi_init)
#define curl_multi_setopt	(berth_curl_fn_()->multi_setopt)
#define curl_multi_add_handle	(berth_curl_fn_()->multi_add_handle)
#define curl_multi_remove_handle (berth_curl_fn_()->multi_remove_handle)
#define curl_multi_socket_action (berth_curl_fn_()->multi_socket_action)
#define curl_multi_info_read	(berth_curl_fn_()->multi_info_read)
#define curl_multi_assign	(berth_curl_fn_()->multi_assign)
#define curl_multi_cleanup	(berth_curl_fn_()->multi_cleanup)

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

/* 0, -ENOSYS without libcurl, or -ENOMEM. */
static inline int
berth_curl_init(struct berth_curl *bc, const struct berth_host *h,
    berth_curl_done_fn done, void *arg)
{
	bc->multi = NULL;
	if (!berth_curl_available())
		return -ENOSYS;
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

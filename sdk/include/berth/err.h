/*
 * berth/err.h - errors across the ABI.
 *
 * Every fallible call returns 0 or a negative errno and, where it takes a
 * struct berth_err, fills a human message.  The message buffer lives in
 * the struct itself, so there is nothing to free: a berth_err is owned by
 * whoever declared it, usually on the stack.
 *
 * The core maps the errno to an HTTP status with one table, the one
 * berth_err_status below (the module never picks a status):
 *   -ENOENT -> 404, -EEXIST/-EBUSY/-ENOTEMPTY -> 409,
 *   -EINVAL/-ERANGE/-ENAMETOOLONG -> 400, -EACCES/-EPERM -> 403,
 *   -ENOTSUP/-EOPNOTSUPP/-ENOSYS -> 501, -EAGAIN -> 503,
 *   -EALREADY -> 304, -EMSGSIZE -> 413, anything else -> 500.
 *
 * These helpers are static inline so that a module links nothing from
 * the core.  They may be called from any thread.
 */
#ifndef BERTH_ERR_H
#define BERTH_ERR_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BERTH_ERR_MSGLEN	512

struct berth_err {
	int	 code;				/* 0 or -errno */
	char	 msg[BERTH_ERR_MSGLEN];		/* NUL-terminated */
};

#define BERTH_ERR_INIT	{ 0, { 0 } }

/* Set err (may be NULL) and return code, so callers can `return` it. */
static inline int
berth_err_vset(struct berth_err *err, int code, const char *fmt, va_list ap)
{
	if (err != NULL) {
		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return code;
}

__attribute__((format(printf, 3, 4)))
static inline int
berth_err_set(struct berth_err *err, int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	berth_err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

/* Like berth_err_set, with ": strerror(errno)" appended; returns -errno. */
__attribute__((format(printf, 2, 3)))
static inline int
berth_err_errno(struct berth_err *err, const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;
	size_t	 n;

	va_start(ap, fmt);
	berth_err_vset(err, -saved, fmt, ap);
	va_end(ap);
	if (err != NULL) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
		    strerror(saved));
	}
	return -saved;
}

static inline void
berth_err_clear(struct berth_err *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}

/*
 * The HTTP status an error answers with (0 is 200): the core's one
 * table, here so that a module's tests see the same (since ABI 1.7).
 */
static inline int
berth_err_status(int code)
{
	switch (code) {
	case 0:
		return 200;
	case -ENOENT:
		return 404;
	case -EEXIST:
	case -EBUSY:
	case -ENOTEMPTY:
		return 409;
	case -EINVAL:
	case -ERANGE:
	case -ENAMETOOLONG:
		return 400;
	case -EACCES:
	case -EPERM:
		return 403;
	case -ENOTSUP:
#if EOPNOTSUPP != ENOTSUP
	case -EOPNOTSUPP:
#endif
	case -ENOSYS:
		return 501;
	case -EAGAIN:
		return 503;
	case -EALREADY:
		return 304;
	case -EMSGSIZE:
		return 413;
	default:
		return 500;
	}
}

#endif

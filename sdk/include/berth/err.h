/*
 * berth/err.h - errors across the ABI.
 *
 * Every fallible call returns 0 or a negative errno and, where it takes a
 * struct berth_err, fills a human message.  The message buffer lives in
 * the struct itself, so there is nothing to free: a berth_err is owned by
 * whoever declared it, usually on the stack.
 *
 * The core maps the errno to an HTTP status with one table (the module
 * never picks a status):
 *   -ENOENT -> 404, -EEXIST/-EBUSY -> 409, -EINVAL/-ERANGE -> 400,
 *   -EACCES/-EPERM -> 403, -ENOTSUP/-EOPNOTSUPP -> 501, -EAGAIN -> 503,
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

#endif

/* log.h - berthd's log: one line per message on stderr, with a level. */
#ifndef BERTH_CORE_LOG_H
#define BERTH_CORE_LOG_H

#include <stdarg.h>

#include <berth/host.h>		/* BERTH_LOG_* priorities */

/* Parse "debug", "info", "warn", "error" (also "fatal"); -1 if unknown. */
int	log_level_parse(const char *s);
void	log_set_level(int prio);
int	log_get_level(void);
/* who may be NULL (the core) or a module name. */
void	log_vmsg(int prio, const char *who, const char *fmt, va_list ap);
void	log_msg(int prio, const char *who, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_err(...)	log_msg(BERTH_LOG_ERR, NULL, __VA_ARGS__)
#define log_warn(...)	log_msg(BERTH_LOG_WARN, NULL, __VA_ARGS__)
#define log_info(...)	log_msg(BERTH_LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)	log_msg(BERTH_LOG_DEBUG, NULL, __VA_ARGS__)

#endif

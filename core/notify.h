/* notify.h - readiness for a service manager (notify.c). */
#ifndef BERTH_CORE_NOTIFY_H
#define BERTH_CORE_NOTIFY_H

/* Send state ("STOPPING=1") to $NOTIFY_SOCKET, if there is one. */
void	notify_send(const char *state);
/* "READY=1" with berthd's pid. */
void	notify_ready(void);

#endif

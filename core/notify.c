/*
 * notify.c - the service manager's readiness protocol (sd_notify):
 * "READY=1" once berthd serves, "RELOADING=1" around a reload,
 * "STOPPING=1" at shutdown, sent as one datagram to $NOTIFY_SOCKET.
 *
 * Hand-written on purpose: the protocol is one sendto(2) on a unix
 * datagram socket, and libsystemd would pull its dependency tree into
 * every berthd for it.  Without NOTIFY_SOCKET (no systemd, or a unit
 * of another Type) nothing is sent.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"

void
notify_send(const char *state)
{
	struct sockaddr_un	 sa;
	const char		*path = getenv("NOTIFY_SOCKET");
	socklen_t		 len;
	size_t			 n;
	int			 fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* an abstract address */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, len);
	close(fd);
}

void
notify_ready(void)
{
	char	buf[64];

	snprintf(buf, sizeof(buf), "READY=1\nMAINPID=%ld", (long)getpid());
	notify_send(buf);
}

/*
 * pvold - a tiny VolumeDriver for berth's tests, built static and run as
 * a managed plugin.  It serves /run/docker/plugins/pvold.sock, keeps each
 * volume as a directory under /data (the plugin's PropagatedMount, so
 * the host sees it) and writes "created-NAME" into /hostdata (a mount
 * its config asks for), one request per connection.
 *
 *	pvold [SOCKET [DATADIR]]	elsewhere, as a legacy plugin (bench/)
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char	*sock = "/run/docker/plugins/pvold.sock";
static const char	*data = "/data";

static char	req[65536];

static void
reply(int fd, int status, const char *body)
{
	char	head[256];
	int	n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: "
	    "application/vnd.docker.plugins.v1+json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, status == 200 ? "OK" :
	    "Not Found", strlen(body));
	(void)!write(fd, head, (size_t)n);
	(void)!write(fd, body, strlen(body));
}

/* The "Name" of the request body, checked to be a plain file name. */
static int
name_of(const char *body, char *out, size_t len)
{
	const char	*p = strstr(body, "\"Name\"");
	size_t		 n = 0;

	if (p == NULL)
		return -1;
	for (p += 6; *p == ' ' || *p == ':'; p++)
		;
	if (*p++ != '"')
		return -1;
	for (; *p != '"' && *p != '\0' && n + 1 < len; p++) {
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '_' && *p != '-' &&
		    *p != '.')
			return -1;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n > 0 && out[0] != '.' ? 0 : -1;
}

static void
handle(int fd)
{
	char		 out[8192], name[256], path[512], *body;
	const char	*m, *cl;
	struct dirent	*de;
	struct stat	 st;
	size_t		 got = 0, want;
	ssize_t		 n;
	DIR		*d;

	while (got < sizeof(req) - 1 &&
	    (n = read(fd, req + got, sizeof(req) - 1 - got)) > 0) {
		got += (size_t)n;
		req[got] = '\0';
		if ((body = strstr(req, "\r\n\r\n")) == NULL)
			continue;
		body += 4;
		cl = strcasestr(req, "Content-Length:");
		want = cl != NULL ? (size_t)atol(cl + 15) : 0;
		if ((size_t)(req + got - body) >= want)
			break;
	}
	req[got] = '\0';
	if ((body = strstr(req, "\r\n\r\n")) == NULL)
		return;
	body += 4;
	m = req + 6;		/* "POST /VolumeDriver.X HTTP/1.1" */
	/* Run as a legacy plugin, it is asked what it is first. */
	if (strncmp(m, "Plugin.Activate ", 16) == 0) {
		reply(fd, 200, "{\"Implements\":[\"VolumeDriver\"]}");
		return;
	}
	if (strncmp(m, "VolumeDriver.Capabilities ", 26) == 0) {
		reply(fd, 200, "{\"Capabilities\":{\"Scope\":\"local\"}}");
		return;
	}
	if (strncmp(m, "VolumeDriver.List ", 18) == 0) {
		size_t o = (size_t)snprintf(out, sizeof(out), "{\"Volumes\":[");

		if ((d = opendir(data)) != NULL) {
			while ((de = readdir(d)) != NULL && o < sizeof(out) - 600)
				if (de->d_name[0] != '.')
					o += (size_t)snprintf(out + o,
					    sizeof(out) - o, "%s{\"Name\":\"%s\","
					    "\"Mountpoint\":\"%s/%s\"}",
					    out[o - 1] == '[' ? "" : ",",
					    de->d_name, data, de->d_name);
			closedir(d);
		}
		snprintf(out + o, sizeof(out) - o, "],\"Err\":\"\"}");
		reply(fd, 200, out);
		return;
	}
	if (strncmp(m, "VolumeDriver.", 13) != 0 ||
	    name_of(body, name, sizeof(name)) < 0) {
		reply(fd, 404, "{\"Err\":\"unknown call\"}");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", data, name);
	if (strncmp(m, "VolumeDriver.Create ", 20) == 0) {
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			reply(fd, 200, "{\"Err\":\"cannot make the volume\"}");
			return;
		}
		snprintf(path, sizeof(path), "/hostdata/created-%s", name);
		close(open(path, O_WRONLY | O_CREAT, 0644));
		reply(fd, 200, "{\"Err\":\"\"}");
	} else if (strncmp(m, "VolumeDriver.Remove ", 20) == 0) {
		(void)rmdir(path);
		reply(fd, 200, "{\"Err\":\"\"}");
	} else if (stat(path, &st) == -1) {
		reply(fd, 200, "{\"Err\":\"no such volume\"}");
	} else if (strncmp(m, "VolumeDriver.Get ", 17) == 0) {
		snprintf(out, sizeof(out), "{\"Volume\":{\"Name\":\"%s\","
		    "\"Mountpoint\":\"%s\"},\"Err\":\"\"}", name, path);
		reply(fd, 200, out);
	} else if (strncmp(m, "VolumeDriver.Unmount ", 21) == 0) {
		reply(fd, 200, "{\"Err\":\"\"}");
	} else {
		/* Mount and Path. */
		snprintf(out, sizeof(out), "{\"Mountpoint\":\"%s\","
		    "\"Err\":\"\"}", path);
		reply(fd, 200, out);
	}
}

static void
stop(int sig __attribute__((unused)))
{
	_exit(0);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			s, c;

	signal(SIGPIPE, SIG_IGN);
	/* PID 1 of its namespace: without a handler SIGTERM would not end it. */
	signal(SIGTERM, stop);
	if (argc > 1)
		sock = argv[1];
	if (argc > 2)
		data = argv[2];
	mkdir(data, 0755);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	unlink(sock);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(s, 16) == -1) {
		perror(sock);
		return 1;
	}
	fprintf(stderr, "pvold: serving %s (DEBUG=%s)\n", sock,
	    getenv("DEBUG") ? getenv("DEBUG") : "");
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1)
			continue;
		handle(c);
		close(c);
	}
}

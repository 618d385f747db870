/*
 * stream.h - copying between a request and a file descriptor with
 * backpressure both ways: a request body into a pipe that a worker
 * reads, and a pipe that a worker writes into a chunked response.
 * These are berth_host's req_body_to_fd and resp_from_fd.
 */
#ifndef BERTH_CORE_STREAM_H
#define BERTH_CORE_STREAM_H

#include <berth/host.h>

#define STREAM_RESP_HIGHWAT	(1u << 20)	/* queued before we stop reading */

void	stream_body_to_fd(struct berth_req *r, int fd, berth_body_end_cb done,
	    void *arg);
void	stream_resp_from_fd(struct berth_req *r, int status,
	    const char *content_type, int fd, berth_body_end_cb done,
	    void *arg);

#endif

/* Control-socket client: blocking I/O around the sans-IO frame codec. */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/tessera.h"
#include "core/util.h"
#include "core/wire.h"

struct conn {
	int fd;
	int timeout_s;
	struct wire_reader rd;
	/* One read can complete several frames; they wait here in order. */
	Tessera__Reply **queue;
	size_t head, count, cap;
};

int
conn_open(const char *path, int timeout_s, struct conn **out, char **cause)
{
	struct sockaddr_un sun;
	struct timeval tv = { .tv_sec = timeout_s };
	struct conn *cn;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return set_cause(cause, -ENAMETOOLONG, "%s", strerror(ENAMETOOLONG));
	memcpy(sun.sun_path, path, strlen(path));

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		return set_cause(cause, rc, "socket: %s", strerror(-rc));
	}
	/* A daemon that stops answering must not hang the CLI forever. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		rc = -errno;
		close(fd);
		return set_cause(cause, rc, "setsockopt: %s", strerror(-rc));
	}
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		if (errno == EINTR)
			continue;
		rc = -errno;
		close(fd);
		return set_cause(cause, rc, "%s", strerror(-rc));
	}
	cn = calloc(1, sizeof(*cn));
	if (cn == NULL) {
		close(fd);
		return set_cause(cause, -ENOMEM, "%s", strerror(ENOMEM));
	}
	cn->fd = fd;
	cn->timeout_s = timeout_s;
	wire_reader_init(&cn->rd, TESS_MAX_FRAME);
	*out = cn;
	return 0;
}

void
conn_close(struct conn *cn)
{
	if (cn == NULL)
		return;
	for (size_t i = 0; i < cn->count; i++)
		tessera__reply__free_unpacked(cn->queue[cn->head + i], NULL);
	free(cn->queue);
	wire_reader_free(&cn->rd);
	close(cn->fd);
	free(cn);
}

int
conn_send(struct conn *cn, const Tessera__Request *req, char **cause)
{
	uint8_t *frame;
	size_t len, off = 0;
	int rc;

	rc = wire_pack(&req->base, TESS_MAX_FRAME, &frame, &len);
	if (rc == -EMSGSIZE)
		return set_cause(cause, rc, "request larger than %d bytes", TESS_MAX_FRAME);
	if (rc != 0)
		return set_cause(cause, rc, "%s", strerror(-rc));
	while (off < len) {
		/* MSG_NOSIGNAL: a daemon that hangs up gives EPIPE, not SIGPIPE. */
		ssize_t n = send(cn->fd, frame + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			free(frame);
			if (rc == -EAGAIN || rc == -EWOULDBLOCK)
				return set_cause(cause, -ETIMEDOUT,
				    "daemon did not accept the request within %d s", cn->timeout_s);
			return set_cause(cause, rc, "send to daemon: %s", strerror(-rc));
		}
		off += (size_t)n;
	}
	free(frame);
	return 0;
}

/* wire_reader callback: decodes one reply frame into the queue. */
static int
conn_frame(void *arg, const uint8_t *payload, size_t len)
{
	struct conn *cn = arg;
	Tessera__Reply *r;

	if (cn->head + cn->count == cn->cap) {
		if (cn->head > 0) {
			memmove(cn->queue, cn->queue + cn->head, cn->count * sizeof(*cn->queue));
			cn->head = 0;
		} else {
			size_t cap = cn->cap ? 2 * cn->cap : 8;
			Tessera__Reply **q = realloc(cn->queue, cap * sizeof(*q));

			if (q == NULL)
				return -ENOMEM;
			cn->queue = q;
			cn->cap = cap;
		}
	}
	r = tessera__reply__unpack(NULL, len, payload);
	if (r == NULL)
		return -EBADMSG;
	cn->queue[cn->head + cn->count] = r;
	cn->count++;
	return 0;
}

int
conn_recv(struct conn *cn, Tessera__Reply **out, char **cause)
{
	uint8_t buf[16384];
	ssize_t n;
	int rc;

	while (cn->count == 0) {
		n = recv(cn->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			if (rc == -EAGAIN || rc == -EWOULDBLOCK)
				return set_cause(cause, -ETIMEDOUT,
				    "no reply from the daemon within %d s", cn->timeout_s);
			return set_cause(cause, rc, "receive from daemon: %s", strerror(-rc));
		}
		if (n == 0)
			return set_cause(cause, -ECONNRESET,
			    "the daemon closed the connection before replying");
		rc = wire_reader_feed(&cn->rd, buf, (size_t)n, conn_frame, cn);
		if (rc == -EMSGSIZE)
			return set_cause(cause, rc, "reply larger than %d bytes", TESS_MAX_FRAME);
		if (rc == -EBADMSG)
			return set_cause(cause, rc, "malformed reply from the daemon");
		if (rc != 0)
			return set_cause(cause, rc, "reading reply: %s", strerror(-rc));
	}
	*out = cn->queue[cn->head];
	cn->head++;
	cn->count--;
	if (cn->count == 0)
		cn->head = 0;
	return 0;
}

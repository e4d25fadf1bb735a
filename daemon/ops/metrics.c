/* Prometheus endpoint: libmicrohttpd driven from the libuv loop.
 *
 * MHD runs in "external epoll" mode (MHD_USE_EPOLL without a thread): it
 * keeps every socket it owns, listener and connections, in one epoll set
 * whose descriptor turns readable whenever any of them needs work. One
 * uv_poll on that descriptor plus one timer for MHD_get_timeout() is all
 * the integration needed, and the request handler runs in the loop thread,
 * so it reads the store and peer state directly: no snapshot, no lock. */
#include "ops/metrics.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "ops/ops.h"

#define METRICS_MAX_CLIENTS 8
#define METRICS_CLIENT_TIMEOUT_S 10

struct metrics {
	const struct ops_env *env;
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	int open_handles;
	char host[64];                /* the bound address, for reload */
	uint16_t port;
	char where[80];               /* "127.0.0.1:9470", for logs */
};

static void
plain(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	struct metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text;
	size_t len;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0) {
		plain(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
		return MHD_YES;
	}
	if (metrics_render(m->env, &text, &len) != 0) {
		plain(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the node's state\n");
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_timer(uv_timer_t *t);

/* Lets MHD do what is due, then arms the timer for its next deadline
 * (0 when it has buffered work that epoll will not announce again). */
static void
run(struct metrics *m)
{
	MHD_UNSIGNED_LONG_LONG to;

	MHD_run(m->mhd);
	if (MHD_get_timeout(m->mhd, &to) == MHD_YES)
		uv_timer_start(&m->timer, on_timer, (uint64_t)to, 0);
	else
		uv_timer_stop(&m->timer);
}

static void
on_timer(uv_timer_t *t)
{
	run(t->data);
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	run(h->data);
}

static void
handle_closed(uv_handle_t *h)
{
	struct metrics *m = h->data;

	if (--m->open_handles == 0)
		free(m);
}

static int
to_sockaddr(const struct endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ep->host, ':') != NULL)
		return uv_ip6_addr(ep->host, ep->port, (struct sockaddr_in6 *)ss);
	return uv_ip4_addr(ep->host, ep->port, (struct sockaddr_in *)ss);
}

int
metrics_start(const struct ops_env *env, const struct endpoint *ep, struct metrics **out,
    char **cause)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	struct metrics *m;
	unsigned int flags = MHD_USE_EPOLL;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	m->env = env;
	snprintf(m->host, sizeof(m->host), "%s", ep->host);
	m->port = ep->port;
	snprintf(m->where, sizeof(m->where), strchr(ep->host, ':') ? "[%s]:%u" : "%s:%u",
	    ep->host, ep->port);
	if (to_sockaddr(ep, &ss) != 0) {
		set_cause(cause, -EINVAL, "metrics_listen %s: not an IP address", m->where);
		free(m);
		return -EINVAL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	m->mhd = MHD_start_daemon(flags, ep->port, NULL, NULL, on_request, m,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CLIENTS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_CLIENT_TIMEOUT_S,
	    MHD_OPTION_END);
	if (m->mhd == NULL) {
		int e = errno ? errno : EADDRINUSE;

		set_cause(cause, -e, "metrics_listen %s: %s", m->where, strerror(e));
		free(m);
		return -e;
	}
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || uv_poll_init(env->loop, &m->poll, info->epoll_fd) != 0) {
		MHD_stop_daemon(m->mhd);
		set_cause(cause, -EIO, "metrics_listen %s: cannot watch its sockets", m->where);
		free(m);
		return -EIO;
	}
	uv_timer_init(env->loop, &m->timer);
	m->poll.data = m->timer.data = m;
	m->open_handles = 2;
	uv_poll_start(&m->poll, UV_READABLE, on_poll);
	log_info("metrics on http://%s/metrics", m->where);
	*out = m;
	return 0;
}

void
metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	/* Stop watching before MHD closes the epoll descriptor under libuv. */
	uv_poll_stop(&m->poll);
	uv_timer_stop(&m->timer);
	MHD_stop_daemon(m->mhd);
	m->mhd = NULL;
	uv_close((uv_handle_t *)&m->poll, handle_closed);
	uv_close((uv_handle_t *)&m->timer, handle_closed);
}

/* Is the running endpoint (NULL: none) the one ep asks for (host NULL: none)? */
static bool
same_endpoint(const struct metrics *m, const struct endpoint *ep)
{
	if (m == NULL || ep->host == NULL)
		return m == NULL && ep->host == NULL;
	return m->port == ep->port && strcmp(m->host, ep->host) == 0;
}

void
metrics_reload(struct metrics **mp, const struct ops_env *env, const struct endpoint *ep)
{
	struct metrics *m = NULL;
	char *cause = NULL;

	/* Compared with what runs, not with the old file: a rebind that failed
	 * last time is tried again. */
	if (same_endpoint(*mp, ep))
		return;
	if (ep->host != NULL && metrics_start(env, ep, &m, &cause) != 0) {
		log_warnx("reload: %s; the metrics endpoint stays as it was", cause);
		free(cause);
		return;
	}
	if (*mp != NULL)
		log_info("reload: metrics endpoint %s closed", (*mp)->where);
	metrics_stop(*mp);
	*mp = m;
}

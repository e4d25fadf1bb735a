/* HTTP on the libuv loop.
 *
 * MHD runs in "external epoll" mode (MHD_USE_EPOLL without a thread): it
 * keeps every socket it owns, listener and connections, in one epoll set
 * whose descriptor turns readable whenever any of them needs work. One
 * uv_poll on that descriptor plus one timer for MHD_get_timeout() is all
 * the integration needed, and request handlers run in the loop thread, so
 * they read the store and peer state directly: no snapshot, no lock. */
#include "ops/httpd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "ops/mhd_lib.h"

struct httpd {
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	int open_handles;
	char host[64];                /* the bound address, for reload */
	uint16_t port;
	char where[80];               /* "127.0.0.1:9470", for logs */
};

enum MHD_Result
httpd_plain(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_timer(uv_timer_t *t);

/* Lets MHD do what is due, then arms the timer for its next deadline
 * (0 when it has buffered work that epoll will not announce again). */
static void
run(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG to;

	MHD_run(h->mhd);
	if (MHD_get_timeout(h->mhd, &to) == MHD_YES)
		uv_timer_start(&h->timer, on_timer, (uint64_t)to, 0);
	else
		uv_timer_stop(&h->timer);
}

static void
on_timer(uv_timer_t *t)
{
	run(t->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	run(p->data);
}

static void
handle_closed(uv_handle_t *uh)
{
	struct httpd *h = uh->data;

	if (--h->open_handles == 0)
		free(h);
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
httpd_start(uv_loop_t *loop, const struct httpd_conf *hc, const struct endpoint *ep,
    struct httpd **out, char **cause)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	struct httpd *h;
	unsigned int flags = MHD_USE_EPOLL;
	char *why = NULL;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	snprintf(h->host, sizeof(h->host), "%s", ep->host);
	h->port = ep->port;
	snprintf(h->where, sizeof(h->where), strchr(ep->host, ':') ? "[%s]:%u" : "%s:%u",
	    ep->host, ep->port);
	if (to_sockaddr(ep, &ss) != 0) {
		set_cause(cause, -EINVAL, "%s %s: not an IP address", hc->label, h->where);
		free(h);
		return -EINVAL;
	}
	if (mhd_lib_load(&why) != 0) {
		set_cause(cause, -ENOSYS, "%s %s: %s", hc->label, h->where, why);
		free(why);
		free(h);
		return -ENOSYS;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (hc->suspend)
		flags |= MHD_ALLOW_SUSPEND_RESUME;
	errno = 0;
	h->mhd = MHD_start_daemon(flags, ep->port, NULL, NULL, hc->handler, hc->cls,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, hc->max_clients,
	    MHD_OPTION_CONNECTION_TIMEOUT, hc->timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    hc->memory_limit ? hc->memory_limit : (size_t)32 * 1024,
	    MHD_OPTION_URI_LOG_CALLBACK, hc->uri_log, hc->cls,
	    MHD_OPTION_NOTIFY_COMPLETED, hc->completed, hc->cls,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		int e = errno ? errno : EADDRINUSE;

		set_cause(cause, -e, "%s %s: %s", hc->label, h->where, strerror(e));
		free(h);
		return -e;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || uv_poll_init(loop, &h->poll, info->epoll_fd) != 0) {
		MHD_stop_daemon(h->mhd);
		set_cause(cause, -EIO, "%s %s: cannot watch its sockets", hc->label, h->where);
		free(h);
		return -EIO;
	}
	uv_timer_init(loop, &h->timer);
	h->poll.data = h->timer.data = h;
	h->open_handles = 2;
	uv_poll_start(&h->poll, UV_READABLE, on_poll);
	*out = h;
	return 0;
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	/* Stop watching before MHD closes the epoll descriptor under libuv. */
	uv_poll_stop(&h->poll);
	uv_timer_stop(&h->timer);
	MHD_stop_daemon(h->mhd);
	h->mhd = NULL;
	uv_close((uv_handle_t *)&h->poll, handle_closed);
	uv_close((uv_handle_t *)&h->timer, handle_closed);
}

void
httpd_kick(struct httpd *h)
{
	if (h != NULL && h->mhd != NULL)
		run(h);
}

const char *
httpd_where(const struct httpd *h)
{
	return h->where;
}

/* Is the running server (NULL: none) the one ep asks for (host NULL: none)? */
static bool
same_endpoint(const struct httpd *h, const struct endpoint *ep)
{
	if (h == NULL || ep->host == NULL)
		return h == NULL && ep->host == NULL;
	return h->port == ep->port && strcmp(h->host, ep->host) == 0;
}

bool
httpd_reload(struct httpd **hp, uv_loop_t *loop, const struct httpd_conf *hc,
    const struct endpoint *ep)
{
	struct httpd *h = NULL;
	char *cause = NULL;

	/* Compared with what runs, not with the old file: a rebind that failed
	 * last time is tried again. */
	if (same_endpoint(*hp, ep))
		return false;
	if (ep->host != NULL && httpd_start(loop, hc, ep, &h, &cause) != 0) {
		log_warnx("reload: %s; %s stays as it was", cause, hc->label);
		free(cause);
		return false;
	}
	if (*hp != NULL)
		log_info("reload: %s %s closed", hc->label, (*hp)->where);
	httpd_stop(*hp);
	*hp = h;
	return true;
}

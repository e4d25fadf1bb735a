/* TCP plumbing for peers: listeners and address formatting. */
#include "net/net.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

void
net_addr_str(const struct sockaddr *sa, char *out, size_t outsz)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		uv_ip6_name((const struct sockaddr_in6 *)sa, host, sizeof(host));
		snprintf(out, outsz, "[%s]:%d", host,
		    ntohs(((const struct sockaddr_in6 *)sa)->sin6_port));
	} else {
		uv_ip4_name((const struct sockaddr_in *)sa, host, sizeof(host));
		snprintf(out, outsz, "%s:%d", host, ntohs(((const struct sockaddr_in *)sa)->sin_port));
	}
}

int
net_listen(uv_loop_t *loop, const struct endpoint *ep, uv_tcp_t *h, uv_connection_cb cb,
    char **cause)
{
	uv_getaddrinfo_t req;
	struct addrinfo hints;
	char port[8];
	int rc;

	uv_tcp_init(loop, h);   /* the caller closes h, whatever happens */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", ep->port);
	/* Start-up only: resolving synchronously keeps the error next to its cause. */
	if ((rc = uv_getaddrinfo(loop, &req, NULL, ep->host, port, &hints)) != 0)
		return set_cause(cause, rc, "listen %s:%u: %s", ep->host, ep->port, uv_strerror(rc));
	rc = uv_tcp_bind(h, req.addrinfo->ai_addr,
	    req.addrinfo->ai_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	uv_freeaddrinfo(req.addrinfo);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)h, 128, cb);
	if (rc != 0)
		return set_cause(cause, rc, "listen %s:%u: %s", ep->host, ep->port, uv_strerror(rc));
	return 0;
}

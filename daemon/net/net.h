/* TCP plumbing for peers: listeners and outgoing connections. */
#ifndef NET_H
#define NET_H

#include <uv.h>

#include "core/config.h"

/* Binds ep (IPv6 listeners are v6-only so [::] and 0.0.0.0 can coexist)
 * and listens; cb gets new connections. On failure *cause names ep. */
int net_listen(uv_loop_t *loop, const struct endpoint *ep, uv_tcp_t *h, uv_connection_cb cb,
    char **cause);
/* Formats a sockaddr as "host:port" ("[v6]:port"). */
void net_addr_str(const struct sockaddr *sa, char *out, size_t outsz);

#endif

/* The inbound side of the peer manager: connections are accepted under the
 * caps on strangers (max_unauthenticated, per address) and counted until
 * their pin check passes; silent ones are closed after first_byte_timeout.
 * Refusals go through peer_close, so they are logged like any other. */
#include <errno.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "net/net.h"
#include "net/peer.h"
#include "net/peers_int.h"

/* Counts p among the strangers, from accept until its pin check passes,
 * unless the caps are reached: each one holds a descriptor, and a flood of
 * them must leave enough for the control socket, dials and the database.
 * Returns 0, or negative after closing p. */
static int
admit_incoming(struct peers *m, struct peer *p)
{
	const struct config *c = peers_conf(m);
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;

	if (uv_tcp_getpeername(&p->tcp, (struct sockaddr *)&ss, &len) != 0) {
		peer_close(p, NULL);   /* already reset by its sender */
		return -ENOTCONN;
	}
	net_addr_str((struct sockaddr *)&ss, p->addr, sizeof(p->addr));
	rc = admit_add(&m->admit, p, (struct sockaddr *)&ss, mono_ms(), c->max_unauthenticated,
	    c->max_unauthenticated_per_address);
	if (rc == -EMFILE)
		peer_close(p, "%u unauthenticated connections already (max_unauthenticated)",
		    c->max_unauthenticated);
	else if (rc == -EBUSY)
		peer_close(p, "%u unauthenticated connections from its address already "
		    "(max_unauthenticated_per_address)", c->max_unauthenticated_per_address);
	else if (rc != 0)
		peer_close(p, "out of memory");
	return rc;
}

void
peers_on_incoming(uv_stream_t *server, int status)
{
	struct peers *m = server->data;
	struct peer *p;

	if (status < 0) {
		log_warnx("accept: %s", uv_strerror(status));
		return;
	}
	if ((p = peer_new(m, true, NULL)) == NULL)
		return;
	if (uv_accept(server, (uv_stream_t *)&p->tcp) != 0) {
		peer_close(p, NULL);
		return;
	}
	if (admit_incoming(m, p) == 0)
		peer_start(p);
}

void
peers_strangers(const struct peers *m, struct peers_strangers *out)
{
	memset(out, 0, sizeof(*out));
	if (m == NULL)
		return;
	out->held = m->admit.n;
	out->refused_full = m->admit.refused[ADMIT_FULL];
	out->refused_address = m->admit.refused[ADMIT_ADDRESS];
}

/* Strangers that sent nothing within first_byte_timeout: a peer sends its
 * ClientHello at once, an idle connection only holds a slot. */
void
peers_close_silent(struct peers *m, uint64_t now)
{
	uint32_t ms = peers_conf(m)->first_byte_timeout_ms;

	/* peer_close never frees synchronously, so the table keeps its shape. */
	for (size_t i = 0; i < m->admit.n; i++) {
		struct peer *p = m->admit.e[i].conn;

		if (now - m->admit.e[i].since >= ms && p->bytes_in == 0 &&
		    p->state != PEER_CLOSING)
			peer_close(p, "sent nothing in %u ms (first_byte_timeout)", ms);
	}
}

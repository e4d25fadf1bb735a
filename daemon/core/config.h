/* Configuration: INI file -> immutable struct, swapped in only when valid. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tessera.h"

struct endpoint {
	char *host;        /* "127.0.0.1", "::1", "node.example.org"; no brackets */
	uint16_t port;
};

struct peer_conf {
	char *name;                    /* from [peer "name"] */
	char *address;                 /* "HOST:PORT" as written, NULL if none (dial-in only) */
	struct endpoint ep;            /* parsed address (host NULL if none) */
	uint8_t id[TESS_KEY_LEN];      /* pinned public key */
	int line;                      /* line of the section header, for messages */
	char *file;                    /* the drop-in it came from; NULL: the main file */
};

struct config {
	char *path;                    /* the file it came from */
	/* [node] */
	char *data_dir;                /* absolute; relative values resolve against the file's dir */
	char *control_socket;          /* absolute path */
	struct endpoint *listen;       /* may be empty: dial-out only node */
	size_t n_listen;
	char *peers_dir;               /* managed drop-ins, one [peer] per file ("peers.d") */
	char *control_group;           /* group owning the control socket; NULL: ours */
	struct endpoint metrics_listen; /* Prometheus endpoint, IP literal; host NULL: off */
	struct endpoint web_listen;    /* the web view (daemon/web), IP literal; host NULL: off */
	bool web_expose;               /* web_listen may be beyond loopback (operator parts hidden) */
	char *web_catalogues;          /* the web view's compiled translations: DIR/LANG/LC_MESSAGES */
	uint32_t max_clock_skew_ms;    /* records dated further ahead are refused */
	/* [limits] */
	uint32_t max_frame;            /* bytes, <= TESS_MAX_FRAME */
	uint32_t max_records_per_author;
	/* Per peer and UTC day, from authors the node has not seen before. */
	uint32_t max_new_authors_per_peer;
	uint32_t max_new_author_records_per_peer;
	uint32_t max_new_author_bytes_per_peer;
	uint32_t max_batch;            /* items per offer/want/records message */
	uint32_t max_inflight_wants;
	uint32_t push_max_records;     /* live records pushed without an offer; 0: never */
	uint32_t send_soft_limit;      /* bytes queued to a peer before we stop producing */
	uint32_t send_unsent;          /* TCP_NOTSENT_LOWAT of peer links; 0: unbounded */
	uint32_t send_hard_limit;      /* bytes queued before the peer is dropped */
	uint32_t handshake_timeout_ms;
	uint32_t idle_timeout_ms;
	uint32_t keepalive_ms;
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	uint32_t peer_rate_limit;      /* messages per second a peer may send, sustained */
	/* Inbound connections before the TLS pin check: at most this many at
	 * once, this many from one address, and closed if silent this long. */
	uint32_t max_unauthenticated;
	uint32_t max_unauthenticated_per_address;
	uint32_t first_byte_timeout_ms;
	uint64_t attach_auto_fetch;    /* bytes: files fetched unasked up to this size; 0: on demand */
	uint64_t attach_budget;        /* bytes of attachments held at most */
	uint64_t attach_max_size;      /* attachments claiming more are never fetched */
	/* [peer "name"] */
	struct peer_conf *peers;
	size_t n_peers;
	/* Drop-in files refused ("file:line: message"), each skipped whole:
	 * the node keeps the peers of every other file. */
	char **dropin_errors;
	size_t n_dropin_errors;
};

/* Parses path, then every "*.conf" drop-in of its peers_dir in name order,
 * into a new config. On failure of the main file returns negative and sets
 * *cause to "path:line: message" (malloc'd); a refused drop-in is skipped
 * and listed in dropin_errors. */
int config_load(const char *path, struct config **out, char **cause);
void config_free(struct config *c);
/* Finds a pinned peer by key; NULL if not configured. */
const struct peer_conf *config_find_peer(const struct config *c, const uint8_t id[TESS_KEY_LEN]);
/* Finds a peer by name; NULL if not configured. */
const struct peer_conf *config_find_peer_name(const struct config *c, const char *name);
/* The file a peer was read from: its drop-in, else the main file. */
const char *config_peer_file(const struct config *c, const struct peer_conf *pc);
/* Whether name is a valid peer name (1-64 of A-Z a-z 0-9 . _ -). */
bool config_peer_name_ok(const char *name);
/* Parses "HOST:PORT" or "[V6]:PORT" into ep (host malloc'd). */
int config_parse_endpoint(const char *text, struct endpoint *ep);
/* The same, with the reason for a refusal in *why (static string). */
int config_endpoint_parse(const char *text, struct endpoint *ep, const char **why);

#endif

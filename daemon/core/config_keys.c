/* The configuration's keys: for each, its section, type, place in struct
 * config (or struct peer_conf), range and default. config.c parses the
 * files against this table; conf/tesserad.conf.example and
 * docs/man/tesserad.conf.5.scd document the same keys. */
#include <stddef.h>

#include "core/config_int.h"
#include "core/tessera.h"

const struct opt config_opts[] = {
	{ SECT_NODE, "data", OPT_PATH, CF(data_dir), 0, 0, "/var/lib/tessera" },
	{ SECT_NODE, "control_socket", OPT_PATH, CF(control_socket), 0, 0,
	  "/run/tessera/tesserad.sock" },
	{ SECT_NODE, "listen", OPT_ENDPOINTS, CF(listen), 0, 0, NULL },
	{ SECT_NODE, "control_group", OPT_NAME, CF(control_group), 0, 0, NULL },
	{ SECT_NODE, "metrics_listen", OPT_LOCAL, CF(metrics_listen), 0, 0, NULL },
	{ SECT_NODE, "web_listen", OPT_LOCAL, CF(web_listen), 0, 0, NULL },
	{ SECT_NODE, "web_expose", OPT_BOOL, CF(web_expose), 0, 0, "no" },
	{ SECT_NODE, "web_catalogues", OPT_PATH, CF(web_catalogues), 0, 0, TESSERA_LOCALEDIR },
	{ SECT_NODE, "peers_dir", OPT_PATH, CF(peers_dir), 0, 0, "peers.d" },
	{ SECT_NODE, "max_clock_skew", OPT_DURATION, CF(max_clock_skew_ms), 60000,
	  30ULL * 24 * 3600000, "24h" },
	{ SECT_LIMITS, "max_frame", OPT_SIZE, CF(max_frame), TESS_MIN_FRAME, TESS_MAX_FRAME, "1M" },
	{ SECT_LIMITS, "max_records_per_author", OPT_COUNT, CF(max_records_per_author), 1,
	  10000000, "100000" },
	{ SECT_LIMITS, "max_new_authors_per_peer", OPT_COUNT, CF(max_new_authors_per_peer), 0,
	  10000000, "200" },
	{ SECT_LIMITS, "max_new_author_records_per_peer", OPT_COUNT,
	  CF(max_new_author_records_per_peer), 1, 100000000, "50000" },
	{ SECT_LIMITS, "max_new_author_bytes_per_peer", OPT_SIZE, CF(max_new_author_bytes_per_peer),
	  TESS_MAX_RECORD, 2 * GiB, "128M" },
	{ SECT_LIMITS, "max_batch", OPT_COUNT, CF(max_batch), 1, 4096, "512" },
	{ SECT_LIMITS, "max_inflight_wants", OPT_COUNT, CF(max_inflight_wants), 1, 65536, "4096" },
	{ SECT_LIMITS, "push_max_records", OPT_COUNT, CF(push_max_records), 0, 64, "16" },
	{ SECT_LIMITS, "send_soft_limit", OPT_SIZE, CF(send_soft_limit), 64 * KiB, 256 * MiB,
	  "4M" },
	{ SECT_LIMITS, "send_hard_limit", OPT_SIZE, CF(send_hard_limit), 64 * KiB, GiB, "16M" },
	/* The kernel's send buffer of a peer link (SO_SNDBUF; 0: autotuned, up
	 * to 4 MiB): bytes there are past reordering, so a record written after
	 * attachment chunks waits for them (docs/protocol.md, "Attachments"). */
	{ SECT_LIMITS, "send_unsent", OPT_SIZE, CF(send_unsent), 0, 64 * MiB, "128K" },
	{ SECT_LIMITS, "handshake_timeout", OPT_DURATION, CF(handshake_timeout_ms), 100, 300000,
	  "10s" },
	{ SECT_LIMITS, "idle_timeout", OPT_DURATION, CF(idle_timeout_ms), 1000, 3600000, "120s" },
	{ SECT_LIMITS, "keepalive", OPT_DURATION, CF(keepalive_ms), 100, 3600000, "30s" },
	{ SECT_LIMITS, "backoff_min", OPT_DURATION, CF(backoff_min_ms), 10, 60000, "500ms" },
	{ SECT_LIMITS, "backoff_max", OPT_DURATION, CF(backoff_max_ms), 100, 3600000, "60s" },
	{ SECT_LIMITS, "peer_rate_limit", OPT_COUNT, CF(peer_rate_limit), 1, 1000000, "2000" },
	{ SECT_LIMITS, "max_unauthenticated", OPT_COUNT, CF(max_unauthenticated), 1, 65536,
	  "256" },
	{ SECT_LIMITS, "max_unauthenticated_per_address", OPT_COUNT,
	  CF(max_unauthenticated_per_address), 1, 65536, "8" },
	{ SECT_LIMITS, "first_byte_timeout", OPT_DURATION, CF(first_byte_timeout_ms), 100, 60000,
	  "2s" },
	/* Attachments (docs/protocol.md, "Attachments"): files up to this size
	 * are fetched as soon as their record arrives (0: only on demand), and
	 * the node holds at most attach_budget bytes of them. */
	{ SECT_LIMITS, "attach_auto_fetch", OPT_SIZE64, CF(attach_auto_fetch), 0, 1ULL << 40,
	  "100M" },
	{ SECT_LIMITS, "attach_budget", OPT_SIZE64, CF(attach_budget), 0, 1ULL << 50, "10G" },
	/* The size a record may claim for an attachment that this node fetches:
	 * the size is the record's word, and bounds the bitmap, the tree and
	 * the runs a peer may announce of it. */
	{ SECT_LIMITS, "attach_max_size", OPT_SIZE64, CF(attach_max_size), 0, 1ULL << 40, "64G" },
	{ SECT_PEER, "address", OPT_ADDRESS, offsetof(struct peer_conf, address), 0, 0, NULL },
	{ SECT_PEER, "id", OPT_NODEID, offsetof(struct peer_conf, id), 0, 0, NULL },
};
_Static_assert(sizeof(config_opts) / sizeof(config_opts[0]) == CONFIG_NOPTS,
    "CONFIG_NOPTS (config_int.h) counts the keys");

/* Shared by config.c and config_peers.c: one file's parser, and the peers
 * read from drop-ins. Nothing outside core/config*.c includes it. */
#ifndef CONFIG_INT_H
#define CONFIG_INT_H

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

/* The options (config_keys.c): section, key, type, where it goes, range
 * and default. */
enum sect { SECT_NONE, SECT_NODE, SECT_LIMITS, SECT_PEER };

enum opt_type { OPT_PATH, OPT_ENDPOINTS, OPT_SIZE, OPT_DURATION, OPT_COUNT, OPT_ADDRESS,
	OPT_NODEID, OPT_LOCAL, OPT_NAME, OPT_BOOL, OPT_SIZE64 };

struct opt {
	enum sect sect;
	const char *key;
	enum opt_type type;
	size_t off;            /* into struct config, or struct peer_conf for SECT_PEER */
	uint64_t min, max;     /* bytes, milliseconds or items */
	const char *def;       /* parsed like a value from the file; NULL: none */
};

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)
#define CF(f) offsetof(struct config, f)
extern const struct opt config_opts[];
#define CONFIG_NOPTS 35

/* Parses path into c: the whole grammar, or only [peer] sections when
 * peers_only (a drop-in, whose errors name it). Returns 0, or negative with
 * *cause "path:line: message" (malloc'd); c may then hold part of the file. */
int config_parse(struct config *c, const char *path, bool peers_only, char **cause);
/* Reads c's peers_dir (missing: none). Returns 0, or -ENOMEM. */
int config_load_dropins(struct config *c, char **cause);
/* Frees the peers from index keep on (keep = 0: all). */
void config_drop_peers(struct config *c, size_t keep);

#endif

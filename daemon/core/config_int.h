/* Shared by config.c and config_peers.c: one file's parser, and the peers
 * read from drop-ins. Nothing outside core/config*.c includes it. */
#ifndef CONFIG_INT_H
#define CONFIG_INT_H

#include <stdbool.h>

#include "core/config.h"

/* Parses path into c: the whole grammar, or only [peer] sections when
 * peers_only (a drop-in, whose errors name it). Returns 0, or negative with
 * *cause "path:line: message" (malloc'd); c may then hold part of the file. */
int config_parse(struct config *c, const char *path, bool peers_only, char **cause);
/* Reads c's peers_dir (missing: none). Returns 0, or -ENOMEM. */
int config_load_dropins(struct config *c, char **cause);
/* Frees the peers from index keep on (keep = 0: all). */
void config_drop_peers(struct config *c, size_t keep);

#endif

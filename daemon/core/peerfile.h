/* Managed peer drop-ins: the files `tessera peer add`, `tessera join` and
 * accepted invites write in the configuration's peers_dir, one [peer]
 * section each, named NAME.conf. The operator's own file is never written.
 *
 * Writes are atomic: a temporary file in the same directory, fsync, rename
 * over the final name, fsync of the directory; a crash leaves the old file
 * or the new one, never half of one. */
#ifndef PEERFILE_H
#define PEERFILE_H

#include <stdint.h>

#include "core/tessera.h"

/* Writes dir/NAME.conf (mode 0640; dir made 0750 if missing) for a peer at
 * address (NULL: it only dials in) with key id; why goes in a comment
 * ("added by tessera peer add"). Returns 0 or negative with *cause set. */
int peerfile_write(const char *dir, const char *name, const char *address,
    const uint8_t id[TESS_KEY_LEN], const char *why, char **cause);
/* Removes the drop-in at path. Returns 0 or negative with *cause set. */
int peerfile_remove(const char *path, char **cause);
/* The file's path for name (malloc'd; NULL: out of memory). */
char *peerfile_path(const char *dir, const char *name);

#endif

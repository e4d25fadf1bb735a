/* The attachment files of export and import (attach_files.c). */
#ifndef ATTACH_FILES_H
#define ATTACH_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* Sends req (GET or BLOB) asking for the file's bytes and writes them to
 * `to` (a temporary name beside it, renamed when complete): the node's data
 * directory need not be readable. Returns an exit code. */
int attach_files_fetch(struct cli *c, const Tessera__Request *req, const char *to,
    uint64_t *bytes);

/* Roots collected from exported records. */
struct attach_roots {
	uint8_t (*roots)[32];
	size_t n, cap;
};

/* Adds the roots of r's attachments. Returns an exit code. */
int attach_files_add(struct attach_roots *ar, const Tessera__Record *r);
/* Copies each root held complete on the node into dir/<hex root>; counts
 * those copied and those not held here. Returns an exit code. */
int attach_files_export(struct cli *c, const struct attach_roots *ar, const char *dir,
    size_t *copied, size_t *missing);
/* Adds every file of dir named by a root to the node's store; a file whose
 * bytes do not hash to its name is an error. Returns an exit code. */
int attach_files_import(struct cli *c, const char *dir, size_t *added);

#endif

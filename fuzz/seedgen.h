/* What the seed generator's files share: the demo records signed by the
 * fuzz key, and the writer of one seed file. */
#ifndef TESSERA_FUZZ_SEEDGEN_H
#define TESSERA_FUZZ_SEEDGEN_H

#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"
#include "core/tessera.h"

#define MAX_RECS 32

struct signed_rec {
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
	uint8_t id[TESS_ID_LEN];
};

extern struct signed_rec seed_recs[MAX_RECS];
extern size_t seed_nrecs;
extern Tessera__ImportItem *seed_items[MAX_RECS];
extern size_t seed_nitems;

void seedgen_die(const char *what) __attribute__((noreturn));
/* Writes DIR/target/name. */
void seedgen_put(const char *target, const char *name, const void *data, size_t len);

/* The control socket's requests (seedgen_ctl.c). */
void seeds_ctl(void);

#endif

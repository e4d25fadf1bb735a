/* The index of adoptions by the record they adopt (their source), kept in
 * the same transaction as every put and delete of a record: what the
 * lineage of a practice is read from (store/lineage.h). An adoption whose
 * source has not arrived is indexed all the same, so it links up when the
 * source comes. */
#ifndef STORE_ADOPT_H
#define STORE_ADOPT_H

#include <stddef.h>
#include <stdint.h>

#include "record.pb-c.h"
#include "core/tessera.h"

struct store;

/* The schema version that added the index (store_migrate.c: the lead
 * renumbers it on merge, and the tests name it through this constant). */
#define STORE_SCHEMA_ADOPTIONS 8

/* The schema migration (table, index, the trigger that drops a deleted
 * record's row); store_adopt_backfill indexes the adoptions stored before
 * it, which a node that did not know the kind kept verbatim. */
extern const char store_adopt_schema[];
int store_adopt_backfill(struct store *st, char **cause);

/* Indexes the record just stored at seq when it is a live adoption. Inside
 * the caller's transaction. */
int store_adopt_put(struct store *st, int64_t seq, const Tessera__Record *r);

/* Live adoptions whose source is id, oldest first: at most max ids into
 * *ids (malloc'd, free it), their count in *n. */
int store_adopt_children(struct store *st, const uint8_t id[TESS_ID_LEN], size_t max,
    uint8_t (**ids)[TESS_ID_LEN], size_t *n);

#endif

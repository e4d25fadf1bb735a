/* JSON Lines -> import items: the import format (export writes it, see recjson.h).
 *
 * A line is one JSON object. Accepted keys: kind (profile, initiative or
 * resource; required), id (32 hex digits: update that record), texts
 * [{lang,title,summary,body}], tags [string], links [{url,title} or url],
 * name/country/languages (profile only), deleted, signed {body,sig} (base64:
 * an exported record, stored verbatim), and the informational keys written by
 * export: community, community_name, version, updated, seq. Anything else is
 * an error, so that typos do not silently lose data. */
#ifndef JSONL_H
#define JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"

/* Parses one line (without or with its newline) into a new import item whose
 * line field is lineno. A blank line gives 0 with *out = NULL. Returns 0, or
 * -EINVAL (-ENOMEM) with *cause set; free the item with jsonl_item_free. */
int jsonl_parse(const char *line, size_t len, uint32_t lineno, Tessera__ImportItem **out,
    char **cause);
void jsonl_item_free(Tessera__ImportItem *item);

#endif

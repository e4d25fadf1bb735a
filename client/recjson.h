/* Record views as JSON: what --json prints and what export writes.
 *
 * --json: {"id", "kind", "community", "community_name", "version", "updated",
 * "deleted", profile fields, "texts", "tags", "links"} (+ "snippet", "lang",
 * "score" for search results). Export: {"kind", "id", "community",
 * "community_name", "version", "updated", profile fields, "deleted" only when
 * true, "texts", "tags", "links", "signed": {"body", "sig"}}, which jsonl
 * reads back. */
#ifndef RECJSON_H
#define RECJSON_H

#include <jansson.h>
#include <stdint.h>

#include "control.pb-c.h"

#define RECJSON_EXPORT 0x1      /* export line: signed bytes, no false flags */
#define RECJSON_SEARCH 0x2      /* add snippet, lang and score */

/* The JSON object for a record view; NULL when the view holds no decodable
 * record or memory ran out. */
json_t *recjson_from_view(const Tessera__RecordView *v, int flags);

/* ISO-8601 UTC, e.g. 2024-05-01T12:34:56Z, from ms since the epoch. */
void recjson_time(int64_t ms, char buf[32]);

#endif

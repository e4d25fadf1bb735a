/* The JSONL import line parser (client/jsonl.c), as `tessera import` runs
 * it on each line of a file: jsonl_parse(), then the packed size the CLI
 * computes to chunk the items (cmd_import.c).
 *
 * Oracles besides the sanitizers: a refused line always says why; a parsed
 * item packs and unpacks again as an ImportItem carrying the same line
 * number, the daemon's view of it. */
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "fuzz.h"
#include "jsonl.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Tessera__ImportItem *item = NULL, *back;
	char *line, *cause = NULL;
	uint8_t *packed;
	size_t n;

	/* An exact-size copy without a NUL: reads past the line are caught. */
	if ((line = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	if (jsonl_parse(line, size, 7, &item, &cause) != 0) {
		if (cause == NULL || item != NULL)
			abort();
		free(cause);
		free(line);
		return 0;
	}
	free(line);
	if (item == NULL)
		return 0;   /* blank line */
	n = protobuf_c_message_get_packed_size(&item->base);
	if ((packed = malloc(n ? n : 1)) == NULL)
		abort();
	if (protobuf_c_message_pack(&item->base, packed) != n)
		abort();
	if ((back = tessera__import_item__unpack(NULL, n, packed)) == NULL || !back->has_line ||
	    back->line != 7)
		abort();
	tessera__import_item__free_unpacked(back, NULL);
	free(packed);
	jsonl_item_free(item);
	return 0;
}

/* Node-ID parsing (nodeid.c): what an operator types or pastes into the
 * config ([peer] id), the CLI (block, --community) and what a certificate
 * carries.
 *
 * Oracles besides the sanitizers: a decoded ID is written out again and
 * decodes to the same key; normalizing gives at most a full compact ID in
 * the upper-case alphabet; a refusal always says why. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/nodeid.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, out[NODEID_STRLEN + 1], compact[NODEID_COMPACT + 1], small[8];
	uint8_t key[32], key2[32];
	const char *why = NULL;
	int n;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (nodeid_decode(text, key, &why) == 0) {
		nodeid_encode(key, out);
		if (strlen(out) != NODEID_STRLEN || nodeid_decode(out, key2, &why) != 0 ||
		    memcmp(key, key2, sizeof(key)) != 0)
			abort();
		nodeid_short(key, small);
		if (strncmp(small, out, NODEID_SHORT) != 0)
			abort();
	} else if (why == NULL) {
		abort();
	}
	n = nodeid_normalize(text, compact, sizeof(compact));
	if (n >= 0) {
		if ((size_t)n != strlen(compact) || n > NODEID_COMPACT)
			abort();
		for (int i = 0; i < n; i++)
			if (!((compact[i] >= 'A' && compact[i] <= 'Z') ||
			    (compact[i] >= '2' && compact[i] <= '7')))
				abort();
	}
	/* A buffer too small for the input must be refused, not overrun. */
	nodeid_normalize(text, small, sizeof(small));
	free(text);
	return 0;
}

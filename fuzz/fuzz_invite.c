/* Invite codes (invite.c): what an operator pastes into `tessera join`.
 *
 * Oracles besides the sanitizers: a decoded code is encoded again and
 * decodes to the same fields; a refusal always says why; addresses are
 * NUL-free, non-empty and within their bound. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/invite.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct invite_code c, d;
	char *text, out[INVITE_CODE_MAX];
	const char *why = NULL;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (invite_decode(text, &c, &why) == 0) {
		if (c.n_addrs == 0 || c.n_addrs > INVITE_MAX_ADDRS)
			abort();
		for (size_t i = 0; i < c.n_addrs; i++)
			if (strlen(c.addrs[i]) == 0 || strlen(c.addrs[i]) > INVITE_ADDR_MAX)
				abort();
		if (invite_encode(&c, out) != 0 || invite_decode(out, &d, &why) != 0 ||
		    memcmp(&c, &d, sizeof(c)) != 0)
			abort();
	} else if (why == NULL) {
		abort();
	}
	free(text);
	return 0;
}

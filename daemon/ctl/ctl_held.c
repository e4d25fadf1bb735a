/* HELD: when records became held here, from the store's held-at ring
 * (store/store_held.h), for the latency probes. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "ctl/ctl_int.h"
#include "ops/ops.h"
#include "store/store_held.h"

void
ctl_held(struct ctl_client *c, const Tessera__Request *req)
{
	const char *prefix = req->id != NULL ? req->id : "";
	size_t plen = strlen(prefix), n = 0;
	Tessera__Reply r = TESSERA__REPLY__INIT;
	struct store_held *e;
	Tessera__HeldAt *at, **ptrs;
	char hex[2 * TESS_ID_LEN + 1];

	if (plen > 0 && !hex_is_prefix(prefix, 2 * TESS_ID_LEN)) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "not a record ID prefix: %s", prefix);
		return;
	}
	e = calloc(STORE_HELD_MAX, sizeof(*e));
	at = calloc(STORE_HELD_MAX, sizeof(*at));
	ptrs = calloc(STORE_HELD_MAX, sizeof(*ptrs));
	if (e == NULL || at == NULL || ptrs == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		goto out;
	}
	for (size_t i = 0; n < STORE_HELD_MAX &&
	    store_held_get(ctl_client_env(c)->ops->store, i, &e[n]) == 0; i++) {
		hex_encode(e[n].id, TESS_ID_LEN, hex);
		if (strncasecmp(hex, prefix, plen) != 0)
			continue;
		tessera__held_at__init(&at[n]);
		at[n].has_id = at[n].has_version = at[n].has_held_us = 1;
		at[n].id = (ProtobufCBinaryData){ TESS_ID_LEN, e[n].id };
		at[n].version = e[n].version;
		at[n].held_us = e[n].at_us;
		ptrs[n] = &at[n];
		n++;
	}
	r.held = ptrs;
	r.n_held = n;
	ctl_send(c, &r);
out:
	free(e);
	free(at);
	free(ptrs);
}

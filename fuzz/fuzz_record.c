/* Record decode, validation and signature verification: record_open(), as
 * the sync verifier (sync_receive.c), the import (ctl_import.c) and
 * publish_load() run it; then what the CLI does with a record it shows or
 * exports (recjson.c), and reading that export line back (jsonl.c).
 *
 * Input: one mode byte, then the record.
 *   mode bit 0 = 0: the last 64 bytes are the signature, as received
 *                   (forged, garbled or replayed signatures);
 *   mode bit 0 = 1: all of it is the body, signed here with the fixed fuzz
 *                   key, as a hostile author signs whatever it likes.
 *                   Seeds are records by that key, so mutations get past the
 *                   signature into the validation of accepted records.
 *
 * Oracles besides the sanitizers: an accepted record passes
 * record_validate() again; its export line parses back (jsonl_parse) into
 * the same signed bytes when its kind is one this version knows. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "fuzz.h"
#include "jsonl.h"
#include "recjson.h"
#include "core/record.h"
#include "core/tessera.h"

/* The export line of an accepted record must read back as what was signed. */
static void
export_roundtrip(Tessera__Record *r, const uint8_t *body, size_t len, uint8_t *sig)
{
	Tessera__RecordView v = TESSERA__RECORD_VIEW__INIT;
	Tessera__SignedRecord sr = TESSERA__SIGNED_RECORD__INIT;
	Tessera__ImportItem *item = NULL;
	char *line, *cause = NULL;
	json_t *o;

	sr.has_body = sr.has_sig = 1;
	sr.body = (ProtobufCBinaryData){ len, (uint8_t *)body };
	sr.sig = (ProtobufCBinaryData){ TESS_SIG_LEN, sig };
	v.record = r;
	v.signed_ = &sr;
	v.author_name = "fuzz";
	/* What `tessera show --json` prints. */
	if ((o = recjson_from_view(&v, 0)) != NULL) {
		free(json_dumps(o, JSON_COMPACT));
		json_decref(o);
	}
	if ((o = recjson_from_view(&v, RECJSON_EXPORT)) == NULL)
		abort();   /* a verified record must export */
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line == NULL)
		abort();
	if (jsonl_parse(line, strlen(line), 1, &item, &cause) != 0) {
		if (record_kind_known((int)r->kind)) {
			fprintf(stderr, "export line does not import: %s\n%s\n", cause, line);
			abort();
		}
		free(cause);
	} else {
		if (item == NULL || item->signed_ == NULL || item->signed_->body.len != len ||
		    memcmp(item->signed_->body.data, body, len) != 0 ||
		    item->signed_->sig.len != TESS_SIG_LEN ||
		    memcmp(item->signed_->sig.data, sig, TESS_SIG_LEN) != 0)
			abort();
		jsonl_item_free(item);
	}
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Tessera__Record *r = NULL;
	const char *why = NULL;
	uint8_t sig[TESS_SIG_LEN], *body;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		len = size - 1;
		if (fuzz_sign_body(data + 1, len, sig) != 0)
			abort();
	} else {
		if (size < 1 + TESS_SIG_LEN)
			return 0;
		len = size - 1 - TESS_SIG_LEN;
		memcpy(sig, data + 1 + len, TESS_SIG_LEN);
	}
	/* An exact-size copy: reads past the body are caught. */
	if ((body = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(body, data + 1, len);
	rc = record_open(body, len, sig, TESS_SIG_LEN, &r, &why);
	if (rc == 0) {
		if (record_validate(r, &why) != 0)
			abort();
		fuzz_touch_str(record_kind_name((int)r->kind));
		fuzz_touch(record_text(r, "en"), r->n_texts ? sizeof(Tessera__Text) : 0);
		export_roundtrip(r, body, len, sig);
		record_free(r);
	} else if (why == NULL) {
		abort();   /* every refusal says why */
	}
	free(body);
	return 0;
}

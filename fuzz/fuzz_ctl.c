/* Control-socket request decode, as ctl.c reads a client: frames of at most
 * TESS_MAX_FRAME reassembled by wire_reader_feed(), each unpacked as a
 * Request (an undecodable one drops the client), then the request's text
 * arguments parsed as the handlers do before they reach the store: record ID
 * prefixes (resolve_id), community names and node IDs (ctl_block,
 * store_resolve_author), adoption dates (record_date_valid), and the
 * signed records of an IMPORT (put_item).
 *
 * What the handlers then do needs a node with a store and an event loop; the
 * CLI end-to-end tests (tests/e2e/test_cli_*.sh) drive that part.
 *
 * Input: the byte stream a control client sends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control.pb-c.h"
#include "fuzz.h"
#include "core/nodeid.h"
#include "core/record.h"
#include "core/tessera.h"
#include "core/util.h"
#include "core/wire.h"

static void
check_record_id(const char *prefix)
{
	if (prefix != NULL && hex_is_prefix(prefix, 2 * TESS_ID_LEN) && strlen(prefix) >
	    2 * TESS_ID_LEN)
		abort();   /* a prefix longer than an ID was accepted */
}

static void
check_community(const char *who)
{
	char want[NODEID_COMPACT + 1];
	uint8_t key[TESS_KEY_LEN];
	const char *why = NULL;
	int n;

	if (who == NULL)
		return;
	if (nodeid_decode(who, key, &why) == 0) {
		char again[NODEID_STRLEN + 1];
		uint8_t key2[TESS_KEY_LEN];

		/* A decoded ID names the same key when written out again. */
		nodeid_encode(key, again);
		if (nodeid_decode(again, key2, &why) != 0 || memcmp(key, key2, TESS_KEY_LEN) != 0)
			abort();
	} else if (why == NULL) {
		abort();
	}
	n = nodeid_normalize(who, want, sizeof(want));
	if (n > NODEID_COMPACT || (n >= 0 && strlen(want) != (size_t)n))
		abort();
}

/* An adoption date: one the parser accepts is exactly YYYY-MM-DD. */
static void
check_date(const char *s)
{
	if (s != NULL && record_date_valid(s) &&
	    (strlen(s) != 10 || s[4] != '-' || s[7] != '-'))
		abort();
}

static void
check_import(const Tessera__ImportRequest *im)
{
	for (size_t i = 0; i < im->n_items; i++) {
		const Tessera__ImportItem *it = im->items[i];
		const Tessera__SignedRecord *s = it->signed_;
		Tessera__Record *r = NULL;
		const char *why = NULL;

		if (s != NULL && record_open(s->body.data, s->body.len, s->sig.data, s->sig.len,
		    &r, &why) == 0)
			record_free(r);
		if (it->content != NULL) {
			fuzz_touch_str(record_kind_name((int)it->content->kind));
			fuzz_touch(it->id.data, it->id.len);
		}
	}
}

static int
on_frame(void *arg, const uint8_t *payload, size_t len)
{
	Tessera__Request *req = tessera__request__unpack(NULL, len, payload);

	if (req == NULL)
		return -EBADMSG;   /* "undecodable request": the client is dropped */
	check_record_id(req->id);
	check_community(req->community);
	if (req->filter != NULL) {
		check_community(req->filter->community);
		fuzz_touch_str(req->filter->lang);
		fuzz_touch_str(req->filter->tag);
	}
	fuzz_touch_str(req->query);
	fuzz_touch_str(req->lang);
	if (req->edit != NULL) {
		check_record_id(req->edit->id);
		check_date(req->edit->started);
		check_date(req->edit->ended);
		fuzz_touch_str(req->edit->outcome);
	}
	if (req->add != NULL && req->add->text != NULL)
		fuzz_touch_str(req->add->text->lang);
	if (req->add != NULL) {
		/* tessera adopt: the source is a record ID prefix, via a community. */
		check_record_id(req->add->source);
		check_community(req->add->via);
		check_date(req->add->started);
	}
	if (req->import != NULL)
		check_import(req->import);
	tessera__request__free_unpacked(req, NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_reader rd;
	size_t half = size / 2;

	/* Two reads, as a socket delivers them: the second may finish a frame. */
	wire_reader_init(&rd, TESS_MAX_FRAME);
	if (wire_reader_feed(&rd, data, half, on_frame, NULL) == 0)
		wire_reader_feed(&rd, data + half, size - half, on_frame, NULL);
	wire_reader_free(&rd);
	return 0;
}

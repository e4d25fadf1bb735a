/* Seeds of the control-socket target: one real request of each kind, the
 * imports carrying the signed demo records. */
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/nodeid.h"
#include "core/util.h"
#include "core/wire.h"
#include "fuzz.h"
#include "seedgen.h"

static void
put_request(const char *name, Tessera__Request *rq)
{
	uint8_t *f;
	size_t n;

	if (wire_pack(&rq->base, TESS_MAX_FRAME, &f, &n) != 0)
		seedgen_die("wire_pack request");
	seedgen_put("ctl", name, f, n);
	free(f);
}

void
seeds_ctl(void)
{
	Tessera__Request rq;
	Tessera__Filter fl = TESSERA__FILTER__INIT;
	Tessera__AddRequest add = TESSERA__ADD_REQUEST__INIT;
	Tessera__EditRequest ed = TESSERA__EDIT_REQUEST__INIT;
	Tessera__ImportRequest im = TESSERA__IMPORT_REQUEST__INIT;
	Tessera__ImportItem signed_item = TESSERA__IMPORT_ITEM__INIT, *its[MAX_RECS + 1];
	Tessera__SignedRecord sr = TESSERA__SIGNED_RECORD__INIT;
	char id[NODEID_STRLEN + 1], hex[2 * TESS_ID_LEN + 1];
	static const struct { const char *name; Tessera__Request__Op op; } simple[] = {
		{ "status", TESSERA__REQUEST__OP__STATUS },
		{ "communities", TESSERA__REQUEST__OP__COMMUNITIES },
		{ "peers", TESSERA__REQUEST__OP__PEERS },
	};

	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		tessera__request__init(&rq);
		rq.has_op = 1;
		rq.op = simple[i].op;
		put_request(simple[i].name, &rq);
	}
	nodeid_encode(fuzz_identity()->pub, id);
	hex_encode(seed_recs[0].id, TESS_ID_LEN, hex);
	hex[10] = '\0';
	tessera__request__init(&rq);
	rq.has_op = 1;
	rq.op = TESSERA__REQUEST__OP__SHOW;
	rq.id = hex;
	put_request("show", &rq);
	rq.op = TESSERA__REQUEST__OP__DELETE;
	put_request("delete", &rq);
	tessera__request__init(&rq);
	rq.has_op = 1;
	rq.op = TESSERA__REQUEST__OP__LIST;
	fl.has_kind = fl.has_limit = 1;
	fl.kind = TESSERA__KIND__KIND_RESOURCE;
	fl.limit = 20;
	fl.community = "wales";
	fl.lang = "en";
	fl.tag = "mission";
	rq.filter = &fl;
	put_request("list", &rq);
	rq.op = TESSERA__REQUEST__OP__SEARCH;
	rq.query = "learning NEAR community";
	fl.community = id;
	put_request("search", &rq);
	rq.op = TESSERA__REQUEST__OP__EXPORT;
	rq.query = NULL;
	put_request("export", &rq);
	tessera__request__init(&rq);
	rq.has_op = 1;
	rq.op = TESSERA__REQUEST__OP__BLOCK;
	rq.community = id;
	put_request("block", &rq);
	rq.op = TESSERA__REQUEST__OP__UNBLOCK;
	rq.community = "Wales learning centres";
	put_request("unblock", &rq);
	tessera__request__init(&rq);
	rq.has_op = 1;
	rq.op = TESSERA__REQUEST__OP__ADD;
	add.has_kind = 1;
	add.kind = seed_items[1]->content->kind;
	add.text = seed_items[1]->content->texts[0];
	add.tags = seed_items[1]->content->tags;
	add.n_tags = seed_items[1]->content->n_tags;
	add.links = seed_items[1]->content->links;
	add.n_links = seed_items[1]->content->n_links;
	rq.add = &add;
	put_request("add", &rq);
	tessera__request__init(&rq);
	rq.has_op = 1;
	rq.op = TESSERA__REQUEST__OP__EDIT;
	ed.id = hex;
	ed.text = seed_items[2]->content->texts[0];
	ed.has_set_tags = 1;
	ed.set_tags = 1;
	rq.edit = &ed;
	put_request("edit", &rq);
	/* tessera adopt, edit of an adoption, lineage. */
	tessera__request__init(&rq);
	rq.has_op = 1;
	rq.op = TESSERA__REQUEST__OP__ADD;
	add.kind = TESSERA__KIND__KIND_ADOPTION;
	add.source = hex;
	add.via = "Wales learning centres";
	add.has_status = 1;
	add.status = TESSERA__ADOPTION__STATUS__RUNNING;
	add.started = "2024-03-01";
	rq.add = &add;
	put_request("adopt", &rq);
	tessera__request__init(&rq);
	rq.has_op = 1;
	rq.op = TESSERA__REQUEST__OP__EDIT;
	tessera__edit_request__init(&ed);
	ed.id = hex;
	ed.has_status = 1;
	ed.status = TESSERA__ADOPTION__STATUS__ENDED;
	ed.ended = "2025-06-30";
	ed.started = "";
	ed.outcome = "Used by three schools";
	rq.edit = &ed;
	put_request("edit-adoption", &rq);
	tessera__request__init(&rq);
	rq.has_op = 1;
	rq.op = TESSERA__REQUEST__OP__LINEAGE;
	rq.id = hex;
	rq.lang = "ro";
	put_request("lineage", &rq);
	/* An import chunk: the demo lines and one exported (signed) record. */
	for (size_t i = 0; i < seed_nitems; i++)
		its[i] = seed_items[i];
	sr.has_body = sr.has_sig = 1;
	sr.body = (ProtobufCBinaryData){ seed_recs[0].len, seed_recs[0].body };
	sr.sig = (ProtobufCBinaryData){ TESS_SIG_LEN, seed_recs[0].sig };
	signed_item.has_line = 1;
	signed_item.line = 18;
	signed_item.signed_ = &sr;
	its[seed_nitems] = &signed_item;
	im.items = its;
	im.n_items = seed_nitems + 1;
	im.has_final = 1;
	im.final = 1;
	tessera__request__init(&rq);
	rq.has_op = 1;
	rq.op = TESSERA__REQUEST__OP__IMPORT;
	rq.import = &im;
	put_request("import", &rq);
}


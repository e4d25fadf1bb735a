/* Writes the seed corpora: real messages made by the real code from the
 * demo data (deploy/demo/data/\*.jsonl), signed by the fixed fuzz key.
 *   fuzz_seedgen DIR      writes DIR/<target>/<seed> for every target
 * Deterministic: nonces and timestamps derive from the line number and
 * Ed25519 signatures are deterministic, so re-running gives the same files. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control.pb-c.h"
#include "fuzz.h"
#include "core/identity.h"
#include "jsonl.h"
#include "core/nodeid.h"
#include "peer.pb-c.h"
#include "recjson.h"
#include "core/record.h"
#include "core/rotation.h"
#include "core/util.h"
#include "core/wire.h"

#include "seedgen.h"

static const char *outdir;
struct signed_rec seed_recs[MAX_RECS];
size_t seed_nrecs;
Tessera__ImportItem *seed_items[MAX_RECS];
static char *lines[MAX_RECS];
size_t seed_nitems;

void
seedgen_die(const char *what)
{
	fprintf(stderr, "seedgen: %s\n", what);
	exit(1);
}

void
seedgen_put(const char *target, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		seedgen_die("mkdir");
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if ((f = fopen(path, "wb")) == NULL || (len > 0 && fwrite(data, 1, len, f) != len) ||
	    fclose(f) != 0)
		seedgen_die(path);
}

/* Reads every line of the demo data as an import item. */
static void
load_demo(void)
{
	static const char *files[] = { "wales", "romania", "nagykovacsi", "catalonia", "evora",
		"italy" };
	char path[512], *line = NULL, *cause = NULL;
	size_t cap = 0;
	ssize_t n;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		FILE *fp;
		uint32_t lineno = 0;

		snprintf(path, sizeof(path), "%s/%s.jsonl", TESSERA_DATA_DIR, files[f]);
		if ((fp = fopen(path, "r")) == NULL)
			seedgen_die(path);
		while ((n = getline(&line, &cap, fp)) > 0 && seed_nitems < MAX_RECS) {
			Tessera__ImportItem *it;

			if (jsonl_parse(line, (size_t)n, ++lineno, &it, &cause) != 0)
				seedgen_die(cause);
			if (it == NULL)
				continue;
			lines[seed_nitems] = strdup(line);
			seed_items[seed_nitems++] = it;
		}
		fclose(fp);
	}
	free(line);
}

/* Seals r as the next record of the fuzz key, its id made from nonce. */
static void
seal_next(Tessera__Record *r, const uint8_t nonce[TESS_NONCE_LEN], uint64_t version,
    int64_t timestamp, const char *what)
{
	const struct identity *me = fuzz_identity();
	struct signed_rec *s = &seed_recs[seed_nrecs];

	record_make_id(me->pub, nonce, s->id);
	r->has_id = r->has_nonce = r->has_author = r->has_version = r->has_timestamp = 1;
	r->id = (ProtobufCBinaryData){ TESS_ID_LEN, s->id };
	r->nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, (uint8_t *)nonce };
	r->author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)me->pub };
	r->version = version;
	r->timestamp = timestamp;
	if (record_seal(me, r, &s->body, &s->len, s->sig) != 0)
		seedgen_die(what);
	seed_nrecs++;
}

/* A key rotation (kind 5) of the fuzz key to a fixed second key, signed
 * back by that key: mutations reach the rotation's checks. */
static void
seal_rotation(void)
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Rotation ro = TESSERA__ROTATION__INIT;
	uint8_t nonce[TESS_NONCE_LEN], seed[IDENTITY_SEED_LEN], nsig[TESS_SIG_LEN];
	struct identity *next;
	char *cause = NULL;

	memset(seed, 0x5e, sizeof(seed));
	if (identity_from_seed(seed, &next, &cause) != 0 ||
	    rotation_sign(next, fuzz_identity()->pub, nsig) != 0)
		seedgen_die("the rotation's new key");
	memset(nonce, 0x55, sizeof(nonce));
	ro.has_new_key = ro.has_new_sig = 1;
	ro.new_key = (ProtobufCBinaryData){ TESS_KEY_LEN, next->pub };
	ro.new_sig = (ProtobufCBinaryData){ TESS_SIG_LEN, nsig };
	r.has_kind = 1;
	r.kind = TESSERA__KIND__KIND_ROTATION;
	r.rotation = &ro;
	seal_next(&r, nonce, 120, 1735689600000LL, "record_seal of a key rotation");
	identity_free(next);
}

/* Signs each demo item's content as a record of the fuzz key, then
 * adoptions of the second one and a tombstone. */
static void
sign_demo(void)
{
	const uint8_t *me = fuzz_identity()->pub;
	uint8_t nonce[TESS_NONCE_LEN];

	for (size_t i = 0; i < seed_nitems; i++) {
		Tessera__Record r = *seed_items[i]->content;

		for (size_t k = 0; k < sizeof(nonce); k++)
			nonce[k] = (uint8_t)(i * 31 + k);
		seal_next(&r, nonce, i + 1, 1735689600000LL + (int64_t)i * 60000,
		    "record_seal of a demo line");
	}
	/* One learned via the fuzz key's own community, one with status,
	 * dates and outcome. */
	for (int k = 0; k < 2; k++) {
		Tessera__Record a = *seed_items[1]->content;
		Tessera__Adoption ad = TESSERA__ADOPTION__INIT;

		memset(nonce, 0xa0 + k, sizeof(nonce));
		a.kind = TESSERA__KIND__KIND_ADOPTION;
		ad.has_source_id = ad.has_source_author = 1;
		ad.source_id = (ProtobufCBinaryData){ TESS_ID_LEN, seed_recs[1].id };
		ad.source_author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)me };
		if (k == 0) {
			ad.has_via = 1;
			ad.via = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)me };
		} else {
			ad.has_status = 1;
			ad.status = TESSERA__ADOPTION__STATUS__ENDED;
			ad.started = "2024-02-29";
			ad.ended = "2025-06-30";
			ad.outcome = "Used by three schools.\nAdapted questionnaires.";
		}
		a.adoption = &ad;
		seal_next(&a, nonce, 50 + (uint64_t)k, 1735689600000LL,
		    "record_seal of an adoption");
	}
	/* A tombstone (of a record never published). */
	Tessera__Record t = TESSERA__RECORD__INIT;

	memset(nonce, 0, sizeof(nonce));
	t.has_kind = t.has_deleted = 1;
	t.kind = TESSERA__KIND__KIND_RESOURCE;
	t.deleted = 1;
	seal_next(&t, nonce, 99, 1735689600000LL, "record_seal of a tombstone");
	seal_rotation();
}

/* A hostile author's variant of the first record (mode 1): bytes replaced
 * in place in its first text, lengths unchanged (docs/hostile-peers.md,
 * "Hostile authors and strangers"). */
static void
put_hostile(const char *name, const char *find, const void *with, size_t len)
{
	uint8_t *buf = malloc(1 + seed_recs[0].len);

	if (buf == NULL)
		seedgen_die("out of memory");
	buf[0] = 1;
	memcpy(buf + 1, seed_recs[0].body, seed_recs[0].len);
	for (size_t i = 1; i + len <= 1 + seed_recs[0].len; i++)
		if (memcmp(buf + i, find, len) == 0) {
			memcpy(buf + i, with, len);
			seedgen_put("record", name, buf, 1 + seed_recs[0].len);
			free(buf);
			return;
		}
	seedgen_die("hostile seed: text not found in the first demo record");
}

static void
seeds_record(void)
{
	char name[64];
	uint8_t hidden[16];

	for (size_t i = 0; i < seed_nrecs; i++) {
		uint8_t *buf = malloc(1 + seed_recs[i].len + TESS_SIG_LEN);

		/* Mode 1: the body, re-signed by the target. */
		buf[0] = 1;
		memcpy(buf + 1, seed_recs[i].body, seed_recs[i].len);
		snprintf(name, sizeof(name), "signed-%02zu", i);
		seedgen_put("record", name, buf, 1 + seed_recs[i].len);
		/* Mode 0: body and the signature as received; every fourth only. */
		if (i % 4 == 0) {
			buf[0] = 0;
			memcpy(buf + 1 + seed_recs[i].len, seed_recs[i].sig, TESS_SIG_LEN);
			snprintf(name, sizeof(name), "received-%02zu", i);
			seedgen_put("record", name, buf, 1 + seed_recs[i].len + TESS_SIG_LEN);
		}
		free(buf);
	}
	/* Bytes hidden behind a NUL in a title; an escape in a language tag. */
	memcpy(hidden, "Learning\0\xff\xfe\xff\xfe\xff\xfe\xff", sizeof(hidden));
	put_hostile("signed-nul-title", "Learning communi", hidden, sizeof(hidden));
	put_hostile("signed-escape-lang", "\x0a\x02" "en", "\x0a\x02\x1b[", 4);
}

static void
seeds_jsonl(void)
{
	char name[64];

	for (size_t i = 0; i < seed_nitems; i++) {
		snprintf(name, sizeof(name), "demo-%02zu", i);
		seedgen_put("jsonl", name, lines[i], strlen(lines[i]));
	}
	/* Export lines (signed bytes included), as `tessera export` writes. */
	for (size_t i = 0; i < seed_nrecs; i += 3) {
		Tessera__RecordView v = TESSERA__RECORD_VIEW__INIT;
		Tessera__SignedRecord sr = TESSERA__SIGNED_RECORD__INIT;
		json_t *o;
		char *line;

		sr.has_body = sr.has_sig = 1;
		sr.body = (ProtobufCBinaryData){ seed_recs[i].len, seed_recs[i].body };
		sr.sig = (ProtobufCBinaryData){ TESS_SIG_LEN, seed_recs[i].sig };
		v.signed_ = &sr;
		v.author_name = "Fuzz community";
		if ((o = recjson_from_view(&v, RECJSON_EXPORT)) == NULL ||
		    (line = json_dumps(o, JSON_COMPACT)) == NULL)
			seedgen_die("recjson");
		json_decref(o);
		snprintf(name, sizeof(name), "export-%02zu", i);
		seedgen_put("jsonl", name, line, strlen(line));
		free(line);
	}
}

static void frame(uint8_t **buf, size_t *len, const ProtobufCMessage *msg);
static void put_stream(const char *target, const char *name, uint8_t ctl, const uint8_t *s,
    size_t n);

/* The attachment messages after a Hello that speaks them: a query, the
 * ranges of a partial blob, a request. */
static void
seeds_frame_blob(Tessera__Hello *h)
{
	uint8_t root[32], *buf = NULL;
	uint64_t runs[] = { 0, 3, 5, 2 };
	size_t n = 0;
	ProtobufCBinaryData roots[1] = { { sizeof(root), root } };
	Tessera__Envelope env[4];
	Tessera__BlobQuery q = TESSERA__BLOB_QUERY__INIT;
	Tessera__BlobRanges r = TESSERA__BLOB_RANGES__INIT;
	Tessera__BlobRequest rq = TESSERA__BLOB_REQUEST__INIT;

	memset(root, 0x5a, sizeof(root));
	h->has_features = 1;
	h->features = 2u | 16u;   /* attachments, partial blobs */
	q.roots = roots;
	q.n_roots = 1;
	r.has_root = 1;
	r.root = roots[0];
	r.runs = runs;
	r.n_runs = 4;
	rq.has_root = rq.has_first = rq.has_count = 1;
	rq.root = roots[0];
	rq.count = 2;
	for (int i = 0; i < 4; i++)
		tessera__envelope__init(&env[i]);
	env[0].msg_case = TESSERA__ENVELOPE__MSG_HELLO, env[0].hello = h;
	env[1].msg_case = TESSERA__ENVELOPE__MSG_BLOB_QUERY, env[1].blob_query = &q;
	env[2].msg_case = TESSERA__ENVELOPE__MSG_BLOB_RANGES, env[2].blob_ranges = &r;
	env[3].msg_case = TESSERA__ENVELOPE__MSG_BLOB_REQUEST, env[3].blob_request = &rq;
	for (int i = 0; i < 4; i++)
		frame(&buf, &n, &env[i].base);
	put_stream("frame", "blob-ranges", 0x03, buf, n);
	free(buf);
	h->has_features = 0;
}

/* Appends msg as one frame to buf. */
static void
frame(uint8_t **buf, size_t *len, const ProtobufCMessage *msg)
{
	uint8_t *f;
	size_t n;

	if (wire_pack(msg, TESS_MAX_FRAME, &f, &n) != 0 || (*buf = realloc(*buf, *len + n)) == NULL)
		seedgen_die("wire_pack");
	memcpy(*buf + *len, f, n);
	*len += n;
	free(f);
}

static void
put_stream(const char *target, const char *name, uint8_t ctl, const uint8_t *s, size_t n)
{
	uint8_t *buf = malloc(n + 1);

	buf[0] = ctl;
	memcpy(buf + 1, s, n);
	seedgen_put(target, name, buf, n + 1);
	free(buf);
}

static void
seeds_frame(void)
{
	const struct identity *me = fuzz_identity();
	uint8_t epoch[TESS_EPOCH_LEN], *all = NULL, *one;
	size_t nall = 0, none;
	Tessera__Envelope env[8];
	Tessera__Hello h = TESSERA__HELLO__INIT;
	Tessera__SyncRequest sy = TESSERA__SYNC_REQUEST__INIT;
	Tessera__Offer of = TESSERA__OFFER__INIT;
	Tessera__OfferItem oi[4], *oip[4];
	ProtobufCBinaryData authors[1] = { { TESS_KEY_LEN, (uint8_t *)me->pub } };
	Tessera__Want w = TESSERA__WANT__INIT;
	uint32_t idx[3] = { 0, 2, 3 };
	Tessera__Records rs = TESSERA__RECORDS__INIT;
	Tessera__SignedRecord sr[3], *srp[3];
	Tessera__Goodbye bye = TESSERA__GOODBYE__INIT;
	Tessera__Ping ping = TESSERA__PING__INIT;
	static const char *names[] = { "hello", "sync", "offer", "want", "records", "ping",
		"goodbye" };

	memset(epoch, 0x42, sizeof(epoch));
	h.has_protocol = h.has_max_frame = h.has_max_batch = h.has_epoch = h.has_seq = 1;
	h.protocol = TESS_PROTOCOL_VERSION;
	h.name = "fuzz";
	h.max_frame = TESS_MAX_FRAME;
	h.max_batch = 512;
	h.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, epoch };
	h.seq = 17;
	sy.has_epoch = sy.has_since = 1;
	sy.epoch = h.epoch;
	sy.since = 3;
	for (size_t i = 0; i < 4; i++) {
		tessera__offer_item__init(&oi[i]);
		oi[i].has_id = oi[i].has_version = 1;
		oi[i].id = (ProtobufCBinaryData){ TESS_ID_LEN, seed_recs[i].id };
		oi[i].version = i + 1;
		if (i == 3) {   /* the long form */
			oi[i].has_author = 1;
			oi[i].author = authors[0];
		} else {
			oi[i].has_author_index = 1;
			oi[i].author_index = 0;
		}
		oip[i] = &oi[i];
	}
	of.items = oip;
	of.n_items = 4;
	of.authors = authors;
	of.n_authors = 1;
	of.has_upto = of.has_caught_up = 1;
	of.upto = 4;
	of.caught_up = 1;
	w.indexes = idx;
	w.n_indexes = 3;
	for (size_t i = 0; i < 3; i++) {
		tessera__signed_record__init(&sr[i]);
		sr[i].has_body = sr[i].has_sig = 1;
		sr[i].body = (ProtobufCBinaryData){ seed_recs[i].len, seed_recs[i].body };
		sr[i].sig = (ProtobufCBinaryData){ TESS_SIG_LEN, seed_recs[i].sig };
		srp[i] = &sr[i];
	}
	rs.records = srp;
	rs.n_records = 3;
	rs.has_upto = 1;
	rs.upto = 4;
	bye.reason = "shutting down";
	for (int i = 0; i < 7; i++)
		tessera__envelope__init(&env[i]);
	env[0].msg_case = TESSERA__ENVELOPE__MSG_HELLO, env[0].hello = &h;
	env[1].msg_case = TESSERA__ENVELOPE__MSG_SYNC, env[1].sync = &sy;
	env[2].msg_case = TESSERA__ENVELOPE__MSG_OFFER, env[2].offer = &of;
	env[3].msg_case = TESSERA__ENVELOPE__MSG_WANT, env[3].want = &w;
	env[4].msg_case = TESSERA__ENVELOPE__MSG_RECORDS, env[4].records = &rs;
	env[5].msg_case = TESSERA__ENVELOPE__MSG_PING, env[5].ping = &ping;
	env[6].msg_case = TESSERA__ENVELOPE__MSG_GOODBYE, env[6].goodbye = &bye;
	for (int i = 0; i < 7; i++) {
		one = NULL;
		none = 0;
		frame(&one, &none, &env[i].base);
		put_stream("frame", names[i], (uint8_t)(i * 9), one, none);
		free(one);
		frame(&all, &nall, &env[i].base);
	}
	/* A whole session, cut into reads of different sizes. */
	put_stream("frame", "session", 0x05, all, nall);
	put_stream("frame", "session-small-limit", 0x85, all, nall);
	seeds_frame_blob(&h);
	/* A header announcing more than the limit, and a zero-length frame. */
	put_stream("frame", "oversized", 0x80, (const uint8_t *)"\x00\x01\x00\x00\x08\x01", 6);
	put_stream("frame", "empty-frame", 0x01, (const uint8_t *)"\x00\x00\x00\x00", 4);
	free(all);
}

static void
seeds_nodeid(void)
{
	char id[NODEID_STRLEN + 1], alt[NODEID_STRLEN + 1];
	uint8_t key[TESS_KEY_LEN];

	nodeid_encode(fuzz_identity()->pub, id);
	seedgen_put("nodeid", "full", id, strlen(id));
	seedgen_put("nodeid", "prefix", id, 10);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	nodeid_encode(key, alt);
	for (char *p = alt; *p; p++)   /* lower case, 0/1/8 spellings, spaces */
		*p = *p == 'O' ? '0' : *p == 'I' ? '1' : *p == 'B' ? '8' : *p == '-' ? ' ' :
		    (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	seedgen_put("nodeid", "other-spelling", alt, strlen(alt));
	alt[20] = alt[20] == 'a' ? 'b' : 'a';
	seedgen_put("nodeid", "typo", alt, strlen(alt));
}

static void
seeds_config(void)
{
	char id[NODEID_STRLEN + 1], conf[8192];
	uint8_t key[TESS_KEY_LEN];

	nodeid_encode(fuzz_identity()->pub, id);
	snprintf(conf, sizeof(conf),
	    "# two peers\n[node]\ndata = data\ncontrol_socket = /run/t.sock\n"
	    "listen = 127.0.0.1:7070, [::1]:7070\n\n[limits]\nmax_frame = 256K\n"
	    "max_batch = 64\nsend_soft_limit = 1M\nsend_hard_limit = 4M\nkeepalive = 5s\n"
	    "idle_timeout = 2m\nbackoff_min = 100ms\nbackoff_max = 1h\npeer_rate_limit = 500\n\n"
	    "[peer \"wales\"]\naddress = localhost:7071\nid = %s\n\n", id);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	nodeid_encode(key, id);
	snprintf(conf + strlen(conf), sizeof(conf) - strlen(conf),
	    "[peer \"evora.pt\"]\n; dial-in only\nid = %s\n", id);
	seedgen_put("config", "two-peers", conf, strlen(conf));
	seedgen_put("config", "empty", "", 0);
	/* The documented example, every setting. */
	FILE *f = fopen(TESSERA_CONF_EXAMPLE, "r");
	size_t n;

	if (f == NULL || (n = fread(conf, 1, sizeof(conf), f)) == 0)
		seedgen_die(TESSERA_CONF_EXAMPLE);
	fclose(f);
	if (n == sizeof(conf))
		seedgen_die("conf example larger than expected");
	seedgen_put("config", "example", conf, n);
	seedgen_put("config", "minimal", "[node]\ndata = /var/lib/tessera\n", 30);
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		seedgen_die("usage: fuzz_seedgen DIR");
	outdir = argv[1];
	load_demo();
	sign_demo();
	seeds_record();
	seeds_jsonl();
	seeds_frame();
	seeds_ctl();
	seeds_nodeid();
	seeds_config();
	for (size_t i = 0; i < seed_nitems; i++) {
		jsonl_item_free(seed_items[i]);
		free(lines[i]);
	}
	for (size_t i = 0; i < seed_nrecs; i++)
		free(seed_recs[i].body);
	return 0;
}

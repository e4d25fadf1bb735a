/* evil_scn_authors.c: evil_peer's scenarios about whose record is whose:
 * an update and tombstones of another author's record, the replay of an old
 * version, two different records with one author, id and version, records
 * with invalid UTF-8 or that decode into very many objects, and outsiders
 * whose key the daemon does not pin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"

/* Fetches the signed record id from the daemon: a SyncRequest, then the
 * long-form Want {ids} in answer to its first offer. */
static int
fetch(struct conn *c, const uint8_t id[TESS_ID_LEN], struct rec *out)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT, *in;
	Tessera__SyncRequest req = TESSERA__SYNC_REQUEST__INIT;
	Tessera__Want w = TESSERA__WANT__INIT;
	ProtobufCBinaryData want_id = { TESS_ID_LEN, (uint8_t *)id };
	uint64_t deadline = mono_ms() + (uint64_t)opt.timeout_ms;
	bool asked = false;
	int rc;

	memset(out, 0, sizeof(*out));
	req.has_epoch = req.has_since = 1;
	req.epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, c->epoch };
	env.msg_case = TESSERA__ENVELOPE__MSG_SYNC;
	env.sync = &req;
	if ((rc = conn_send(c, &env)) != 0)
		return rc;
	while (out->body == NULL) {
		if ((rc = conn_next(c, deadline, &in)) != 0)
			return rc;
		if (in->msg_case == TESSERA__ENVELOPE__MSG_OFFER) {
			/* The first offer gets our want, later ones an empty one. */
			w.ids = &want_id;
			w.n_ids = asked ? 0 : 1;
			asked = true;
			env.msg_case = TESSERA__ENVELOPE__MSG_WANT;
			env.want = &w;
			rc = conn_send(c, &env);
		} else if (in->msg_case == TESSERA__ENVELOPE__MSG_RECORDS) {
			for (size_t i = 0; i < in->records->n_records; i++) {
				const Tessera__SignedRecord *sr = in->records->records[i];
				Tessera__Record *r;

				if (sr->sig.len != TESS_SIG_LEN || (r = tessera__record__unpack(NULL,
				    sr->body.len, sr->body.data)) == NULL)
					continue;
				if (r->id.len == TESS_ID_LEN && memcmp(r->id.data, id, TESS_ID_LEN) == 0 &&
				    r->author.len == TESS_KEY_LEN && out->body == NULL &&
				    (out->body = malloc(sr->body.len)) != NULL) {
					memcpy(out->body, sr->body.data, sr->body.len);
					out->len = sr->body.len;
					memcpy(out->sig, sr->sig.data, TESS_SIG_LEN);
					memcpy(out->id, id, TESS_ID_LEN);
					memcpy(out->author, r->author.data, TESS_KEY_LEN);
					out->version = r->version;
				}
				record_free(r);
			}
		}
		tessera__envelope__free_unpacked(in, NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A session and the record --target from it. */
static int
open_with_target(struct conn *c, struct rec *t, Tessera__Record **decoded)
{
	int rc;

	if (!opt.has_target)
		return result(OUT_LOCAL, "give --target RECORD_ID");
	if ((rc = open_or_say(c)) != OUT_OK)
		return rc;
	if ((rc = fetch(c, opt.target, t)) != 0) {
		conn_close(c);
		return result(OUT_LOCAL, "cannot fetch the target record (%s)",
		    rc == -ETIMEDOUT ? "timed out" : c->why);
	}
	if (decoded != NULL && (*decoded = tessera__record__unpack(NULL, t->len, t->body)) == NULL) {
		recs_free(t, 1);
		conn_close(c);
		return result(OUT_LOCAL, "cannot decode the target record");
	}
	return OUT_OK;
}

/* Each record pushed on its own (they share an id, and a daemon wants one
 * id once per offer). */
static int
push_each(struct conn *c, const struct rec *r, const char **what, size_t n)
{
	char msg[512], all[1600] = "";
	enum outcome o = OUT_OK, one;

	for (size_t i = 0; i < n; i++) {
		one = push_check(c, &r[i], 1, what[i], msg, sizeof(msg));
		o = o == OUT_OK ? one : o;
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%.300s", i ? "; " : "", msg);
	}
	return result(o, "%s", all);
}

int
scn_hijack(int arg)
{
	static const char *what[] = { "an update claiming its author, signed by us",
		"a tombstone claiming its author, signed by us",
		"a tombstone of its id with us as author" };
	Tessera__Record *t = NULL, r;
	Tessera__Text text = TESSERA__TEXT__INIT, *texts[1] = { &text };
	uint8_t nonce[TESS_NONCE_LEN];
	struct rec target, bad[3];
	struct conn c;
	int o;

	if ((o = open_with_target(&c, &target, &t)) != OUT_OK)
		return o;
	memset(bad, 0, sizeof(bad));
	/* 1: the same record, same author and nonce (so the id binds), newer
	 * version, new title: only the signature is ours. */
	r = *t;
	r.version = t->version + 1;
	text.lang = "en";
	text.title = "evil_peer: hijacked";
	r.texts = texts;
	r.n_texts = 1;
	o = seal_any(&r, &bad[0]);
	/* 2: its tombstone, same binding. */
	r.deleted = r.has_deleted = 1;
	r.n_texts = r.n_tags = r.n_links = 0;
	r.profile = NULL;
	if (o == 0)
		o = seal_any(&r, &bad[1]);
	/* 3: a tombstone of that id with us as author (and our own nonce). */
	memcpy(bad[2].author, opt.me->pub, TESS_KEY_LEN);
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, bad[2].author };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	memset(nonce, 0xee, sizeof(nonce));
	if (o == 0)
		o = seal_any(&r, &bad[2]);
	for (int i = 0; i < 3; i++) {
		memcpy(bad[i].id, target.id, TESS_ID_LEN);
		memcpy(bad[i].author, i < 2 ? target.author : opt.me->pub, TESS_KEY_LEN);
		bad[i].version = t->version + 1;
	}
	if (o != 0)
		o = result(OUT_LOCAL, "cannot make the records");
	else
		o = push_each(&c, bad, what, 3);
	record_free(t);
	recs_free(&target, 1);
	recs_free(bad, 3);
	conn_close(&c);
	return o;
}

static int
save_recs(const struct rec *r, size_t n)
{
	FILE *f = fopen(opt.record_file, "wb");
	int ok = f != NULL;

	for (size_t i = 0; ok && i < n; i++) {
		uint32_t len = (uint32_t)r[i].len;

		ok = fwrite(&len, sizeof(len), 1, f) == 1 && fwrite(r[i].body, 1, len, f) == len &&
		    fwrite(r[i].sig, 1, TESS_SIG_LEN, f) == TESS_SIG_LEN;
	}
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -EIO;
}

/* Loads n signed records saved by save_recs; 0, -ENOENT or -EIO. */
static int
load_recs(struct rec *r, size_t n)
{
	FILE *f = fopen(opt.record_file, "rb");
	Tessera__Record *d;
	uint32_t len;
	int rc = 0;

	memset(r, 0, n * sizeof(*r));
	if (f == NULL)
		return -ENOENT;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (fread(&len, sizeof(len), 1, f) != 1 || len > TESS_MAX_RECORD ||
		    (r[i].body = malloc(len + 1)) == NULL || fread(r[i].body, 1, len, f) != len ||
		    fread(r[i].sig, 1, TESS_SIG_LEN, f) != TESS_SIG_LEN ||
		    (d = tessera__record__unpack(NULL, len, r[i].body)) == NULL) {
			rc = -EIO;
			break;
		}
		r[i].len = len;
		if (d->id.len == TESS_ID_LEN && d->author.len == TESS_KEY_LEN) {
			memcpy(r[i].id, d->id.data, TESS_ID_LEN);
			memcpy(r[i].author, d->author.data, TESS_KEY_LEN);
			r[i].version = d->version;
		} else {
			rc = -EIO;
		}
		record_free(d);
	}
	fclose(f);
	if (rc != 0)
		recs_free(r, n);
	return rc;
}

int
scn_grab(int arg)
{
	struct rec t;
	struct conn c;
	char hex[2 * TESS_ID_LEN + 1];
	int o;

	if (opt.record_file == NULL)
		return result(OUT_LOCAL, "give --record FILE");
	if ((o = open_with_target(&c, &t, NULL)) != OUT_OK)
		return o;
	hex_encode(t.id, TESS_ID_LEN, hex);
	if (save_recs(&t, 1) != 0)
		o = result(OUT_LOCAL, "cannot write %s", opt.record_file);
	else
		o = result(OUT_OK, "saved version %llu of record %s (%zu bytes)",
		    (unsigned long long)t.version, hex, t.len);
	recs_free(&t, 1);
	conn_close(&c);
	return o;
}

/* Offers r claiming version claim and sends it if wanted: 1 if it was
 * wanted and sent, 0 if not wanted, negative if the link failed. */
static int
push_as(struct conn *c, const struct rec *r, uint64_t claim)
{
	struct rec lie = *r;
	bool wanted[1];
	uint64_t upto = 0;
	int rc;

	lie.version = claim;
	if ((rc = offer(c, &lie, 1, wanted, &upto)) != 0)
		return rc;
	if ((rc = send_records(c, r, 1, wanted, true, upto)) != 0)
		return rc;
	return wanted[0] ? 1 : 0;
}

int
scn_replay(int arg)
{
	struct rec old;
	struct conn c;
	char hex[2 * TESS_ID_LEN + 1], how[320];
	int o, sent, again;

	if (opt.record_file == NULL || load_recs(&old, 1) != 0)
		return result(OUT_LOCAL, "give --record FILE saved by grab");
	if ((o = open_or_say(&c)) != OUT_OK) {
		recs_free(&old, 1);
		return o;
	}
	hex_encode(old.id, TESS_ID_LEN, hex);
	/* Claim a version far ahead so that the daemon asks, then send the old
	 * bytes; afterwards, a daemon that rolled back wants version old+1. */
	sent = push_as(&c, &old, (uint64_t)INT64_MAX);
	again = sent >= 0 ? push_as(&c, &old, old.version + 1) : sent;
	if (sent < 0 || again < 0)
		o = result(c.dead ? OUT_OK : OUT_BAD, "replay of version %llu of %s: the link ended "
		    "(%s)", (unsigned long long)old.version, hex, conn_how(&c, how, sizeof(how)));
	else if (again == 1)
		o = result(OUT_BAD, "the daemon rolled %s back to version %llu: it now wants %llu",
		    hex, (unsigned long long)old.version, (unsigned long long)old.version + 1);
	else
		o = result(OUT_OK, "replayed version %llu of %s (offered as newer, %s); the daemon "
		    "kept its newer version (does not want %llu)", (unsigned long long)old.version,
		    hex, sent ? "wanted and sent" : "not wanted",
		    (unsigned long long)old.version + 1);
	recs_free(&old, 1);
	conn_close(&c);
	return o;
}

/* Two records of ours with one id and version and different titles. */
static int
make_twins(struct rec twins[2])
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Text t = TESSERA__TEXT__INIT, *texts[1] = { &t };
	uint8_t nonce[TESS_NONCE_LEN], id[TESS_ID_LEN];
	static const char *titles[] = { "evil_peer twin A", "evil_peer twin B" };
	int rc = 0;

	memset(twins, 0, 2 * sizeof(*twins));
	if (record_new_id(opt.me->pub, nonce, id) != 0)
		return -EIO;
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, opt.me->pub };
	r.version = opt.version;
	r.timestamp = now_ms();
	r.kind = TESSERA__KIND__KIND_INITIATIVE;
	r.texts = texts;
	r.n_texts = 1;
	t.lang = "en";
	for (int i = 0; i < 2 && rc == 0; i++) {
		t.title = (char *)titles[i];
		rc = record_seal(opt.me, &r, &twins[i].body, &twins[i].len, twins[i].sig);
		memcpy(twins[i].id, id, TESS_ID_LEN);
		memcpy(twins[i].author, opt.me->pub, TESS_KEY_LEN);
		twins[i].version = r.version;
	}
	return rc;
}

int
scn_equivocate(int first)
{
	struct rec twins[2];
	struct conn c;
	char hex[2 * TESS_ID_LEN + 1], how[320];
	int o, a, b, which, small;

	if (opt.record_file == NULL)
		return result(OUT_LOCAL, "give --record FILE (made on the first run, reused after)");
	if (load_recs(twins, 2) != 0 && (make_twins(twins) != 0 || save_recs(twins, 2) != 0)) {
		recs_free(twins, 2);
		return result(OUT_LOCAL, "cannot make or save the twin records");
	}
	if ((o = open_or_say(&c)) != OUT_OK) {
		recs_free(twins, 2);
		return o;
	}
	hex_encode(twins[0].id, TESS_ID_LEN, hex);
	/* The rule keeps the twin with the smaller signature: N=1 sends the
	 * other one first (a daemon keeping the first would keep the wrong
	 * one), N=2 the smaller one first. */
	small = memcmp(twins[0].sig, twins[1].sig, TESS_SIG_LEN) < 0 ? 0 : 1;
	which = first == 2 ? small : !small;
	/* Twin N first, then the other, each offered as newer so that a daemon
	 * that holds one (from us or from another peer) asks for it. */
	a = push_as(&c, &twins[which], twins[which].version + 1);
	b = a >= 0 ? push_as(&c, &twins[!which], twins[which].version + 1) : a;
	if (b >= 0 && probe(&c) != 0)
		b = -EPIPE;
	if (a < 0 || b < 0)
		o = result(c.dead ? OUT_OK : OUT_BAD, "twins of %s: the link ended (%s)", hex,
		    conn_how(&c, how, sizeof(how)));
	else
		o = result(OUT_OK, "sent twin %c of %s version %llu (%s), then twin %c (%s); link "
		    "kept; twin %c has the smaller signature", 'A' + which, hex,
		    (unsigned long long)twins[0].version, a ? "wanted" : "not wanted",
		    'A' + !which, b ? "wanted" : "not wanted", 'A' + small);
	recs_free(twins, 2);
	conn_close(&c);
	return o;
}

int
scn_bad_utf8(int arg)
{
	static const struct {
		const char *lang, *title, *summary, *tag;
	} bad[] = {
		{ "en", "evil_peer: \xc3\x28 broken title", NULL, NULL },
		{ "en", "evil_peer: overlong summary", "slash \xc0\xaf here", NULL },
		{ "en", "evil_peer: surrogate tag", NULL, "tag\xed\xa0\x80" },
		{ "e\xff", "evil_peer: bad language tag", NULL, NULL },
	};
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Text t = TESSERA__TEXT__INIT, *texts[1] = { &t };
	uint8_t nonce[TESS_NONCE_LEN];
	char *tags[1];
	struct rec recs[4];
	struct conn c;
	int o = 0;

	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	memset(recs, 0, sizeof(recs));
	for (size_t i = 0; i < 4 && o == 0; i++) {
		if (record_new_id(opt.me->pub, nonce, recs[i].id) != 0) {
			o = -EIO;
			break;
		}
		tessera__record__init(&r);
		r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = 1;
		r.has_kind = 1;
		r.id = (ProtobufCBinaryData){ TESS_ID_LEN, recs[i].id };
		r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
		r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, opt.me->pub };
		r.version = recs[i].version = opt.version++;
		r.timestamp = now_ms();
		r.kind = TESSERA__KIND__KIND_RESOURCE;
		r.texts = texts;
		r.n_texts = 1;
		t.lang = (char *)bad[i].lang;
		t.title = (char *)bad[i].title;
		t.summary = (char *)bad[i].summary;
		tags[0] = (char *)bad[i].tag;
		r.tags = tags;
		r.n_tags = bad[i].tag ? 1 : 0;
		o = seal_any(&r, &recs[i]);
		memcpy(recs[i].author, opt.me->pub, TESS_KEY_LEN);
	}
	if (o != 0) {
		o = result(OUT_LOCAL, "cannot make the records");
	} else {
		ids_note(recs, 4);
		o = push_bad(&c, recs, 4, "signed records with invalid UTF-8 in a title, a summary, "
		    "a tag and a language");
	}
	recs_free(recs, 4);
	conn_close(&c);
	return o;
}

int
scn_outsiders(int n)
{
	unsigned refused = 0, goodbyes = 0, other = 0;
	uint64_t t0 = mono_ms(), ms;
	char first_other[200] = "";
	struct conn c;

	for (int i = 0; i < n; i++) {
		enum outcome o = conn_dial(&c);
		Tessera__Envelope *in = NULL;

		/* TLS 1.3: the client's handshake ends before the server has
		 * checked its certificate; the refusal is the alert that follows.
		 * A few strangers a minute go through the handshake, so that
		 * they can be listed as pending (docs/protocol.md): said Hello
		 * to, the daemon answers with a Goodbye, never its own Hello. */
		if (o == OUT_OK && send_hello(&c, TESS_PROTOCOL_VERSION) == 0 &&
		    conn_next(&c, mono_ms() + (uint64_t)opt.timeout_ms, &in) == 0 && in != NULL &&
		    in->msg_case == TESSERA__ENVELOPE__MSG_GOODBYE) {
			goodbyes++;
			o = OUT_TLS;
		} else if (o == OUT_OK && (c.dead == -EPROTO || c.dead == -EPIPE ||
		    c.dead == -ECONNRESET)) {
			/* The alert, or the close after it that our Hello ran into. */
			o = OUT_TLS;
		}
		if (in != NULL)
			tessera__envelope__free_unpacked(in, NULL);
		if (o == OUT_TLS) {
			refused++;
		} else {
			if (other++ == 0)
				snprintf(first_other, sizeof(first_other), "%.150s", o == OUT_OK ?
				    "the daemon accepted us" : c.why);
			if (o == OUT_OK)
				c.dead = -EPIPE;   /* leave without a goodbye */
		}
		conn_close(&c);
	}
	ms = mono_ms() - t0;
	if (other > 0)
		return result(OUT_BAD, "%u of %d handshakes not refused (first: %s)", other, n,
		    first_other);
	return result(OUT_OK, "%u handshakes with an unpinned key, all refused (%u in TLS, %u "
	    "after it with a Goodbye, as pending), in %llu ms (%.2f ms each)", refused,
	    refused - goodbyes, goodbyes, (unsigned long long)ms, (double)ms / (n > 0 ? n : 1));
}

int
scn_record_bomb(int arg)
{
	static const uint8_t empty_text[] = { 0x42, 0x00 };     /* Record.texts, length 0 */
	struct rec r;
	struct conn c;
	int o;

	if ((o = open_or_say(&c)) != OUT_OK)
		return o;
	/* A body at the record size limit of 32k empty texts (and nothing
	 * else): it decodes into 32k objects before any check can refuse it. */
	memset(&r, 0, sizeof(r));
	memcpy(r.author, opt.me->pub, TESS_KEY_LEN);
	for (size_t k = 0; k < TESS_ID_LEN; k++)
		r.id[k] = (uint8_t)random();
	r.version = opt.version++;
	r.len = TESS_MAX_RECORD - TESS_MAX_RECORD % sizeof(empty_text);
	if ((r.body = malloc(r.len)) == NULL) {
		conn_close(&c);
		return result(OUT_LOCAL, "out of memory");
	}
	for (size_t i = 0; i < r.len; i += sizeof(empty_text))
		memcpy(r.body + i, empty_text, sizeof(empty_text));
	ids_note(&r, 1);
	o = push_bad(&c, &r, 1, "a 64 KiB record body of 32k empty texts");
	recs_free(&r, 1);
	conn_close(&c);
	return o;
}

/* evil_records.c: evil_peer's records, honest or not, and the protocol
 * steps that move them: offers, Want answers, Records messages. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"

#define SIG_CONTEXT "tessera-record-v1"   /* as record.c signs */

/* Signs bytes that may claim any author: what record_seal refuses to do. */
int
seal_any(const Tessera__Record *r, struct rec *out)
{
	size_t n = tessera__record__get_packed_size(r), mlen = sizeof(SIG_CONTEXT) - 1 + n;
	uint8_t *msg;
	int rc;

	if ((out->body = malloc(n)) == NULL || (msg = malloc(mlen)) == NULL)
		return -ENOMEM;
	out->len = tessera__record__pack(r, out->body);
	memcpy(msg, SIG_CONTEXT, sizeof(SIG_CONTEXT) - 1);
	memcpy(msg + sizeof(SIG_CONTEXT) - 1, out->body, out->len);
	rc = identity_sign(opt.me, msg, mlen, out->sig);
	free(msg);
	return rc;
}

static int make_signed(struct rec *, const uint8_t *, const uint8_t *, bool, const char *,
    const struct identity *);

int
make_record(struct rec *out, const uint8_t *author, const uint8_t *id, bool big,
    const char *title)
{
	bool honest = !big && id == NULL && memcmp(author, opt.me->pub, TESS_KEY_LEN) == 0;

	return make_signed(out, author, id, big, title, honest ? opt.me : NULL);
}

int
make_record_by(struct rec *out, const struct identity *who, const char *title)
{
	return make_signed(out, who->pub, NULL, false, title, who);
}

/* The record make_record describes, sealed by who with record_seal, or
 * with our key whatever it claims when who is NULL. */
static int
make_signed(struct rec *out, const uint8_t *author, const uint8_t *id, bool big,
    const char *title, const struct identity *who)
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Text t[2] = { TESSERA__TEXT__INIT, TESSERA__TEXT__INIT };
	Tessera__Text *texts[2] = { &t[0], &t[1] };
	uint8_t nonce[TESS_NONCE_LEN];
	char *filler = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memcpy(out->author, author, TESS_KEY_LEN);
	if (record_new_id(author, nonce, out->id) != 0)
		return -EIO;
	if (id != NULL)
		memcpy(out->id, id, TESS_ID_LEN);
	out->version = opt.version++;
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = 1;
	r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, out->id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, out->author };
	r.version = out->version;
	r.timestamp = now_ms();
	r.kind = TESSERA__KIND__KIND_INITIATIVE;
	r.texts = texts;
	r.n_texts = 1;
	t[0].lang = "en";
	t[0].title = (char *)title;
	t[0].summary = "Sent by evil_peer, the hostile test peer.";
	if (big) {
		/* Each field within its limit, the whole over TESS_MAX_RECORD. */
		if ((filler = malloc(40000 + 1)) == NULL)
			return -ENOMEM;
		memset(filler, 'x', 40000);
		filler[40000] = '\0';
		t[0].body = t[1].body = filler;
		t[1].lang = "ro";
		r.n_texts = 2;
	}
	if (who != NULL)
		rc = record_seal(who, &r, &out->body, &out->len, out->sig);
	else
		rc = seal_any(&r, out);
	free(filler);
	return rc;
}

void
recs_free(struct rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].body);
}

/* Appends the ids to --ids FILE, for the test to look for afterwards. */
void
ids_note(const struct rec *r, size_t n)
{
	char hex[2 * TESS_ID_LEN + 1];
	FILE *f;

	if (opt.ids_out == NULL || (f = fopen(opt.ids_out, "a")) == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		hex_encode(r[i].id, TESS_ID_LEN, hex);
		fprintf(f, "%s\n", hex);
	}
	fclose(f);
}

/* --- protocol steps -------------------------------------------------------- */

/* Offers n records (n may be 0) and waits for the Want: wanted[i] says which
 * ones it asked for, *upto is the offer's upto for the Records answer. */
int
offer(struct conn *c, const struct rec *r, size_t n, bool *wanted, uint64_t *upto)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT, *in;
	Tessera__Offer o = TESSERA__OFFER__INIT;
	Tessera__OfferItem *items, **ptrs;
	int rc;

	items = calloc(n + 1, sizeof(*items));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	if (items == NULL || ptrs == NULL) {
		free(items);
		free(ptrs);
		return conn_die(c, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		tessera__offer_item__init(&items[i]);
		items[i].has_id = items[i].has_author = items[i].has_version = 1;
		items[i].has_seq = 1;
		items[i].id = (ProtobufCBinaryData){ TESS_ID_LEN, (uint8_t *)r[i].id };
		items[i].author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)r[i].author };
		items[i].version = r[i].version;
		items[i].seq = ++c->seq;
		ptrs[i] = &items[i];
	}
	o.items = ptrs;
	o.n_items = n;
	o.has_upto = o.has_caught_up = 1;
	o.upto = *upto = ++c->seq;
	o.caught_up = 1;
	env.msg_case = TESSERA__ENVELOPE__MSG_OFFER;
	env.offer = &o;
	rc = conn_send(c, &env);
	free(items);
	free(ptrs);
	if (rc != 0 || (rc = conn_expect(c, TESSERA__ENVELOPE__MSG_WANT, &in)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		wanted[i] = false;
		for (size_t k = 0; k < in->want->n_ids; k++)
			if (in->want->ids[k].len == TESS_ID_LEN &&
			    memcmp(in->want->ids[k].data, r[i].id, TESS_ID_LEN) == 0)
				wanted[i] = true;
		/* Compact form: indexes into the items of our offer. */
		for (size_t k = 0; k < in->want->n_indexes; k++)
			if (in->want->indexes[k] == i)
				wanted[i] = true;
	}
	tessera__envelope__free_unpacked(in, NULL);
	return 0;
}

/* Sends the records marked in send (all when NULL) in messages that fit the
 * daemon's frame limit; the last one carries upto (none if has_upto false). */
int
send_records(struct conn *c, const struct rec *r, size_t n, const bool *send, bool has_upto,
    uint64_t upto)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__Records m = TESSERA__RECORDS__INIT;
	Tessera__SignedRecord *sr, **ptrs;
	size_t i = 0, k, bytes, limit = c->max_frame / 2;
	int rc = 0;

	sr = calloc(n + 1, sizeof(*sr));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	if (sr == NULL || ptrs == NULL) {
		free(sr);
		free(ptrs);
		return conn_die(c, -ENOMEM, "out of memory");
	}
	do {
		for (k = 0, bytes = 0; i < n && (k == 0 || bytes + r[i].len + 128 < limit); i++) {
			if (send != NULL && !send[i])
				continue;
			tessera__signed_record__init(&sr[k]);
			sr[k].has_body = sr[k].has_sig = 1;
			sr[k].body = (ProtobufCBinaryData){ r[i].len, r[i].body };
			sr[k].sig = (ProtobufCBinaryData){ TESS_SIG_LEN, (uint8_t *)r[i].sig };
			ptrs[k] = &sr[k];
			bytes += r[i].len + 128;
			k++;
		}
		m.records = ptrs;
		m.n_records = k;
		m.has_upto = has_upto && i >= n;
		m.upto = upto;
		m.has_pushed = m.pushed = c->pushing;
		env.msg_case = TESSERA__ENVELOPE__MSG_RECORDS;
		env.records = &m;
		rc = conn_send(c, &env);
	} while (rc == 0 && i < n);
	free(sr);
	free(ptrs);
	return rc;
}

size_t
count_true(const bool *b, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += b[i];
	return k;
}

/* Offers bad records, sends those wanted, then offers them again: a daemon
 * that stored any would not want it a second time. Closing the link at any
 * point is also a correct answer to bad input. Says what happened in msg. */
int
push_check(struct conn *c, const struct rec *r, size_t n, const char *what, char *msg,
    size_t msglen)
{
	bool wanted[8], again[8];
	char how[320];
	uint64_t upto = 0;
	size_t nw, na;
	int rc;

	if (n > 8) {
		snprintf(msg, msglen, "too many records");
		return OUT_LOCAL;
	}
	if ((rc = offer(c, r, n, wanted, &upto)) != 0) {
		if (c->dead != 0) {
			snprintf(msg, msglen, "the daemon closed the link when offered %s: %s", what,
			    conn_how(c, how, sizeof(how)));
			return OUT_OK;
		}
		snprintf(msg, msglen, "the daemon did not answer the offer of %s: %s", what,
		    rc == -ETIMEDOUT ? "timed out" : c->why);
		return OUT_BAD;
	}
	if ((nw = count_true(wanted, n)) == 0) {
		snprintf(msg, msglen, "the daemon did not want %s; nothing sent", what);
		return OUT_OK;
	}
	if (send_records(c, r, n, wanted, true, upto) != 0) {
		snprintf(msg, msglen, "the daemon closed the link on %s: %s", what,
		    conn_how(c, how, sizeof(how)));
		return OUT_OK;
	}
	if ((rc = offer(c, r, n, again, &upto)) != 0) {
		if (c->dead != 0) {
			snprintf(msg, msglen, "the daemon closed the link after %s: %s", what,
			    conn_how(c, how, sizeof(how)));
			return OUT_OK;
		}
		snprintf(msg, msglen, "after %s the daemon stopped answering offers (%s)", what,
		    rc == -ETIMEDOUT ? "timed out" : c->why);
		return OUT_BAD;
	}
	for (size_t i = 0; i < n; i++)
		if (wanted[i] && !again[i]) {
			snprintf(msg, msglen, "the daemon stored %s: offered again, it no longer "
			    "wants it", what);
			return OUT_BAD;
		}
	na = count_true(again, n);
	send_records(c, r, 0, NULL, true, upto);
	snprintf(msg, msglen, "the daemon wanted %zu record(s) of %s, refused them (wanted %zu "
	    "again on re-offer) and kept the link", nw, what, na);
	return OUT_OK;
}

int
push_bad(struct conn *c, const struct rec *r, size_t n, const char *what)
{
	char msg[512];
	int o = push_check(c, r, n, what, msg, sizeof(msg));

	return result(o, "%s", msg);
}

/* Liveness: an empty offer must get an (empty) Want. */
int
probe(struct conn *c)
{
	bool none[1];
	uint64_t upto = 0;
	int rc;

	if ((rc = offer(c, NULL, 0, none, &upto)) != 0)
		return rc;
	return send_records(c, NULL, 0, NULL, true, upto);
}

/* A made-up author: key pair only (no certificate, no data directory). */
int
keypair_new(struct identity *who)
{
	size_t len = TESS_KEY_LEN;

	memset(who, 0, sizeof(*who));
	if ((who->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		return -EIO;
	if (EVP_PKEY_get_raw_public_key(who->key, who->pub, &len) != 1 || len != TESS_KEY_LEN) {
		EVP_PKEY_free(who->key);
		return -EIO;
	}
	return 0;
}

/* evil_scn_sybil.c: a pinned peer that turns hostile and makes up authors.
 *
 * Keys cost nothing, so the peer generates N fresh Ed25519 authors and
 * signs SYBIL_RECORDS valid records with each: every record passes every
 * check a record can pass, and only a budget per peer for authors the node
 * has not seen before can keep the disk from filling. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"

#define SYBIL_RECORDS 10

static int
sybil_make(struct rec *r, int authors)
{
	struct identity who;
	int rc = 0;

	for (int a = 0; a < authors && rc == 0; a++) {
		if ((rc = keypair_new(&who)) != 0)
			break;
		for (int k = 0; k < SYBIL_RECORDS && rc == 0; k++) {
			char title[96];

			snprintf(title, sizeof(title), "evil_peer sybil %d, record %d", a + 1, k + 1);
			rc = make_record_by(&r[a * SYBIL_RECORDS + k], &who, title);
		}
		EVP_PKEY_free(who.key);
	}
	return rc;
}

/* Offers all n records in batches and sends the wanted ones (send false:
 * an empty answer). *nwanted counts the wanted ones, wanted[] says which. */
static int
sybil_push(struct conn *c, const struct rec *r, size_t n, bool *wanted, bool send,
    size_t *nwanted)
{
	size_t batch = c->max_batch > 0 && c->max_batch < 512 ? c->max_batch : 512;
	uint64_t upto = 0;
	int rc;

	*nwanted = 0;
	for (size_t i = 0; i < n; i += batch) {
		size_t k = n - i < batch ? n - i : batch;

		if ((rc = offer(c, r + i, k, wanted + i, &upto)) != 0 ||
		    (rc = send_records(c, send ? r + i : NULL, send ? k : 0, wanted + i, true,
			upto)) != 0)
			return rc;
		*nwanted += count_true(wanted + i, k);
	}
	return 0;
}

int
scn_sybil(int authors)
{
	size_t n = (size_t)authors * SYBIL_RECORDS, sent, again, kept_authors = 0;
	uint64_t t0 = mono_ms(), made_ms;
	struct rec *r;
	bool *wanted;
	struct conn c;
	int o;

	r = calloc(n, sizeof(*r));
	wanted = calloc(n, sizeof(*wanted));
	if (r == NULL || wanted == NULL || sybil_make(r, authors) != 0) {
		recs_free(r, r != NULL ? n : 0);
		free(r);
		free(wanted);
		return result(OUT_LOCAL, "cannot make %d authors' records", authors);
	}
	made_ms = mono_ms() - t0;
	ids_note(r, n);
	if ((o = open_or_say(&c)) != OUT_OK)
		goto out;
	/* Everything once, then everything again: a stored record is not
	 * wanted a second time, a refused one is. */
	if (sybil_push(&c, r, n, wanted, true, &sent) != 0 ||
	    sybil_push(&c, r, n, wanted, false, &again) != 0) {
		o = result(c.dead ? OUT_OK : OUT_BAD, "the link ended during the flood (%s)", c.why);
		goto out_conn;
	}
	for (size_t a = 0; a < (size_t)authors; a++)
		for (size_t k = 0; k < SYBIL_RECORDS; k++)
			if (!wanted[a * SYBIL_RECORDS + k]) {
				kept_authors++;
				break;
			}
	/* A daemon that keeps everything has no bound at all. */
	o = result(again == 0 ? OUT_BAD : OUT_OK, "%d made-up authors x %d records (made in "
	    "%llu ms, sent in %llu ms): %zu of %zu wanted, %zu stored from %zu authors, %zu refused "
	    "(wanted again); link kept", authors, SYBIL_RECORDS, (unsigned long long)made_ms,
	    (unsigned long long)(mono_ms() - t0 - made_ms), sent, n, n - again, kept_authors,
	    again);
out_conn:
	conn_close(&c);
out:
	recs_free(r, n);
	free(r);
	free(wanted);
	return o;
}

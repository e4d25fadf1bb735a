/* The record tests' fixture: identities and records under construction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/record.h"
#include "recordfix.h"
#include "testdir.h"
#include "testid.h"

void
recordfix_make_dir(char *dir, size_t sz)
{
	assert_int_equal(testdir_make(dir, sz, "test_record"), 0);
}

void
recordfix_remove_dir(const char *dir)
{
	assert_int_equal(testdir_remove(dir), 0);
}

int
recordfix_group_setup(void **state)
{
	struct recordfix *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || testid_pair("test_record", fx->dir_a, fx->dir_b, sizeof(fx->dir_a), &fx->a,
	    &fx->b) != 0)
		return -1;
	*state = fx;
	return 0;
}

int
recordfix_group_teardown(void **state)
{
	struct recordfix *fx = *state;

	int rc = testid_pair_free(fx->dir_a, fx->dir_b, fx->a, fx->b);

	free(fx);
	return rc;
}

/* A valid resource by me, in Romanian and Hungarian, with tags and a link. */
void
recordfix_draft_init(struct recordfix_draft *d, const struct identity *me)
{
	memset(d, 0, sizeof(*d));
	testid_record_init(&d->r, d->id, d->nonce, me, 1700000000000000ULL, 1700000000000LL);
	for (int i = 0; i < 3; i++) {
		tessera__text__init(&d->text[i]);
		d->texts[i] = &d->text[i];
	}
	d->text[0].lang = "ro";
	d->text[0].title = "Ghidul comunității de învățare";
	d->text[0].summary = "Să devii o comunitate de învățare – știință și țară.";
	d->text[1].lang = "hu";
	d->text[1].title = "Tanulói közösség";
	d->text[1].body = "Őszintén, hűséggel: közösségi együttműködés.";
	d->text[2].lang = "ru";
	d->text[2].title = "Обучающееся сообщество";
	d->r.n_texts = 3;
	d->r.texts = d->texts;
	d->tags[0] = "guide";
	d->tags[1] = "learning-community";
	d->r.n_tags = 2;
	d->r.tags = d->tags;
	tessera__link__init(&d->link);
	d->link.url = "http://www.learningcommunities.eu";
	d->link.title = "learningcommunities.eu";
	d->links[0] = &d->link;
	d->r.n_links = 1;
	d->r.links = d->links;
}

/* The smallest valid record: one text with a title. */
void
recordfix_draft_small(struct recordfix_draft *d, const struct identity *me)
{
	recordfix_draft_init(d, me);
	d->text[0].title = "Ș";
	d->text[0].summary = NULL;
	d->r.n_texts = 1;
	d->r.n_tags = 0;
	d->r.n_links = 0;
}

/* Packs and signs r without validating it, as a hostile author would. */
void
recordfix_sign_raw(const struct identity *me, const Tessera__Record *r, uint8_t **body, size_t *len,
    uint8_t sig[TESS_SIG_LEN])
{
	size_t n = tessera__record__get_packed_size(r);
	uint8_t *buf = malloc(n + 1);

	assert_non_null(buf);
	assert_int_equal(tessera__record__pack(r, buf), n);
	recordfix_sign_bytes(me, buf, n, sig);
	*body = buf;
	*len = n;
}

void
recordfix_sign_bytes(const struct identity *me, const uint8_t *body, size_t len,
    uint8_t sig[TESS_SIG_LEN])
{
	size_t ctx = sizeof(RECORDFIX_SIG_CONTEXT) - 1;
	uint8_t *msg = malloc(ctx + len + 1);

	assert_non_null(msg);
	memcpy(msg, RECORDFIX_SIG_CONTEXT, ctx);
	memcpy(msg + ctx, body, len);
	assert_int_equal(identity_sign(me, msg, ctx + len, sig), 0);
	free(msg);
}

/* Expects record_open to refuse body/sig with rc; returns why. */
const char *
recordfix_open_fails(const uint8_t *body, size_t len, const uint8_t *sig, int want)
{
	Tessera__Record *out = NULL;
	const char *why = NULL;
	int rc = record_open(body, len, sig, TESS_SIG_LEN, &out, &why);

	if (rc == 0) {
		record_free(out);
		fail_msg("record_open accepted a bad record");
	}
	if (want != 0)
		assert_int_equal(rc, want);
	assert_null(out);
	assert_non_null(why);
	return why;
}

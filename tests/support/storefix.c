/* The store tests' fixture: identities, a store per test, sealed records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/identity.h"
#include "store/publish.h"
#include "core/record.h"
#include "store/store.h"
#include "core/util.h"
#include "storefix.h"
#include "testdir.h"
#include "testid.h"

void
storefix_make_dir(char *dir, size_t sz)
{
	assert_int_equal(testdir_make(dir, sz, "test_store"), 0);
}

void
storefix_remove_dir(const char *dir)
{
	assert_int_equal(testdir_remove(dir), 0);
}

int
storefix_group_setup(void **state)
{
	struct storefix *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || testid_pair("test_store", fx->dir_a, fx->dir_b, sizeof(fx->dir_a), &fx->a,
	    &fx->b) != 0)
		return -1;
	*state = fx;
	return 0;
}

int
storefix_group_teardown(void **state)
{
	struct storefix *fx = *state;

	int rc = testid_pair_free(fx->dir_a, fx->dir_b, fx->a, fx->b);

	free(fx);
	return rc;
}

/* Every test gets a fresh store. */
int
storefix_setup(void **state)
{
	struct storefix *fx = *state;
	char *cause = NULL;

	storefix_make_dir(fx->dir, sizeof(fx->dir));
	if (store_open(fx->dir, true, &fx->st, &cause) != 0) {
		fprintf(stderr, "store_open: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

void
storefix_reopen(struct storefix *fx)
{
	char *cause = NULL;

	store_close(fx->st);
	fx->st = NULL;
	if (store_open(fx->dir, false, &fx->st, &cause) != 0)
		fail_msg("store_open: %s", cause);
}

int
storefix_teardown(void **state)
{
	struct storefix *fx = *state;

	store_close(fx->st);
	fx->st = NULL;
	storefix_remove_dir(fx->dir);
	return 0;
}

void
storefix_draft_init(struct storefix_draft *d, const struct identity *me,
    const char *title, uint64_t version)
{
	memset(d, 0, sizeof(*d));
	/* Small versions order the records of a test. A version from the clock
	 * (microseconds, as store_next_version) may run ahead of it, but the
	 * record is dated now, as publish.c does: a timestamp beyond the
	 * store's allowed clock skew would be refused. */
	testid_record_init(&d->r, d->id, d->nonce, me, version, version < 1000000000000ULL ?
	    1700000000000LL + (int64_t)version : now_ms());
	tessera__text__init(&d->text);
	d->text.lang = "ro";
	d->text.title = (char *)title;
	d->texts[0] = &d->text;
	d->r.n_texts = 1;
	d->r.texts = d->texts;
}

/* Seals r and decodes the result, as sync would before store_put. */
void
storefix_seal(struct storefix_sealed *s, const struct identity *me, const Tessera__Record *r)
{
	const char *why = NULL;

	memset(s, 0, sizeof(*s));
	assert_int_equal(record_seal(me, r, &s->body, &s->len, s->sig), 0);
	if (record_open(s->body, s->len, s->sig, TESS_SIG_LEN, &s->r, &why) != 0)
		fail_msg("record_open: %s", why);
}

void
storefix_sealed_free(struct storefix_sealed *s)
{
	free(s->body);
	record_free(s->r);
	memset(s, 0, sizeof(*s));
}

enum store_put_result
storefix_put(struct store *st, const struct storefix_sealed *s)
{
	enum store_put_result res = (enum store_put_result)-1;

	assert_int_equal(store_put(st, s->body, s->len, s->sig, s->r, &res), 0);
	return res;
}

/* Seals a fresh record by me and stores it; returns the result. */
enum store_put_result
storefix_put_new(struct store *st, const struct identity *me, const char *title,
    uint64_t version, uint8_t id[TESS_ID_LEN])
{
	struct storefix_draft d;
	struct storefix_sealed s;
	enum store_put_result res;

	storefix_draft_init(&d, me, title, version);
	storefix_seal(&s, me, &d.r);
	res = storefix_put(st, &s);
	if (id != NULL)
		memcpy(id, d.id, TESS_ID_LEN);
	storefix_sealed_free(&s);
	return res;
}

uint64_t
storefix_seq_of(struct store *st, const uint8_t id[TESS_ID_LEN])
{
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	uint64_t seq = 0;

	assert_int_equal(store_get(st, id, &body, &len, sig, &seq), 0);
	free(body);
	return seq;
}

/* Decodes the stored version of id. */
Tessera__Record *
storefix_load(struct store *st, const uint8_t id[TESS_ID_LEN])
{
	Tessera__Record *r = NULL;
	char *cause = NULL;
	int rc = publish_load(st, id, &r, &cause);

	if (rc != 0)
		fail_msg("publish_load: %s", cause);
	return r;
}

int
storefix_on_change(void *arg, uint64_t seq, const uint8_t *id, const uint8_t *author,
    uint64_t version, const uint8_t *origin)
{
	struct storefix_changes *ch = arg;
	struct storefix_change *c;

	assert_true(ch->n < sizeof(ch->c) / sizeof(ch->c[0]));
	c = &ch->c[ch->n++];
	c->seq = seq;
	c->version = version;
	memcpy(c->id, id, TESS_ID_LEN);
	memcpy(c->author, author, TESS_KEY_LEN);
	c->has_origin = origin != NULL;
	if (origin != NULL)
		memcpy(c->origin, origin, TESS_KEY_LEN);
	if (ch->stop_at > 0 && ch->n == (size_t)ch->stop_at)
		return -ECANCELED;
	return 0;
}

void
storefix_changes_all(struct store *st, struct storefix_changes *ch)
{
	uint64_t last;

	memset(ch, 0, sizeof(*ch));
	assert_int_equal(store_changes(st, 0, 1000, storefix_on_change, ch, &last), 0);
}

uint64_t
storefix_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Store: put outcomes, sequence numbers, quotas, blocking, prefixes, versions,
 * checkpoints, the changes feed, and publishing through it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "identity.h"
#include "nodeid.h"
#include "publish.h"
#include "record.h"
#include "store.h"
#include "util.h"

struct fixture {
	char dir_a[64], dir_b[64];
	struct identity *a, *b;
	char dir[64];               /* this test's store */
	struct store *st;
};

/* A hand-made record with storage for what it points to. */
struct draft {
	Tessera__Record r;
	Tessera__Text text, *texts[1];
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN];
};

/* Signed bytes and their decoding, as a peer would hand them to the store. */
struct sealed {
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
	Tessera__Record *r;
};

static void
make_dir(char *dir, size_t sz)
{
	assert_int_equal(testdir_make(dir, sz, "test_store"), 0);
}

static void
remove_dir(const char *dir)
{
	assert_int_equal(testdir_remove(dir), 0);
}

static int
group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *cause = NULL;

	if (fx == NULL)
		return -1;
	make_dir(fx->dir_a, sizeof(fx->dir_a));
	make_dir(fx->dir_b, sizeof(fx->dir_b));
	if (identity_create(fx->dir_a, &fx->a, &cause) != 0 ||
	    identity_create(fx->dir_b, &fx->b, &cause) != 0) {
		fprintf(stderr, "identity_create: %s\n", cause);
		free(cause);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *fx = *state;

	identity_free(fx->a);
	identity_free(fx->b);
	remove_dir(fx->dir_a);
	remove_dir(fx->dir_b);
	free(fx);
	return 0;
}

/* Every test gets a fresh store. */
static int
setup(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;

	make_dir(fx->dir, sizeof(fx->dir));
	if (store_open(fx->dir, true, &fx->st, &cause) != 0) {
		fprintf(stderr, "store_open: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	store_close(fx->st);
	fx->st = NULL;
	remove_dir(fx->dir);
	return 0;
}

static void
draft_init(struct draft *d, const struct identity *me, const char *title, uint64_t version)
{
	memset(d, 0, sizeof(*d));
	tessera__record__init(&d->r);
	assert_int_equal(record_new_id(me->pub, d->nonce, d->id), 0);
	d->r.has_id = d->r.has_nonce = d->r.has_author = 1;
	d->r.id = (ProtobufCBinaryData){ TESS_ID_LEN, d->id };
	d->r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, d->nonce };
	d->r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)me->pub };
	d->r.has_version = d->r.has_timestamp = d->r.has_kind = 1;
	d->r.version = version;
	d->r.timestamp = 1700000000000LL + (int64_t)version;
	d->r.kind = TESSERA__KIND__KIND_RESOURCE;
	tessera__text__init(&d->text);
	d->text.lang = "ro";
	d->text.title = (char *)title;
	d->texts[0] = &d->text;
	d->r.n_texts = 1;
	d->r.texts = d->texts;
}

/* Seals r and decodes the result, as sync would before store_put. */
static void
seal(struct sealed *s, const struct identity *me, const Tessera__Record *r)
{
	const char *why = NULL;

	memset(s, 0, sizeof(*s));
	assert_int_equal(record_seal(me, r, &s->body, &s->len, s->sig), 0);
	if (record_open(s->body, s->len, s->sig, TESS_SIG_LEN, &s->r, &why) != 0)
		fail_msg("record_open: %s", why);
}

static void
sealed_free(struct sealed *s)
{
	free(s->body);
	record_free(s->r);
	memset(s, 0, sizeof(*s));
}

static enum store_put_result
put(struct store *st, const struct sealed *s)
{
	enum store_put_result res = (enum store_put_result)-1;

	assert_int_equal(store_put(st, s->body, s->len, s->sig, s->r, &res), 0);
	return res;
}

/* Seals a fresh record by me and stores it; returns the result. */
static enum store_put_result
put_new(struct store *st, const struct identity *me, const char *title, uint64_t version,
    uint8_t id[TESS_ID_LEN])
{
	struct draft d;
	struct sealed s;
	enum store_put_result res;

	draft_init(&d, me, title, version);
	seal(&s, me, &d.r);
	res = put(st, &s);
	if (id != NULL)
		memcpy(id, d.id, TESS_ID_LEN);
	sealed_free(&s);
	return res;
}

static uint64_t
seq_of(struct store *st, const uint8_t id[TESS_ID_LEN])
{
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	uint64_t seq = 0;

	assert_int_equal(store_get(st, id, &body, &len, sig, &seq), 0);
	free(body);
	return seq;
}

/* Decodes the stored version of id. */
static Tessera__Record *
load(struct store *st, const uint8_t id[TESS_ID_LEN])
{
	Tessera__Record *r = NULL;
	char *cause = NULL;
	int rc = publish_load(st, id, &r, &cause);

	if (rc != 0)
		fail_msg("publish_load: %s", cause);
	return r;
}

struct change {
	uint64_t seq, version;
	uint8_t id[TESS_ID_LEN], author[TESS_KEY_LEN];
	bool has_origin;
	uint8_t origin[TESS_KEY_LEN];
};

struct changes {
	size_t n, cap;
	struct change c[64];
	int stop_at;         /* return -ECANCELED at this call (0 = never) */
};

static int
on_change(void *arg, uint64_t seq, const uint8_t *id, const uint8_t *author, uint64_t version,
    const uint8_t *origin)
{
	struct changes *ch = arg;
	struct change *c;

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

static void
changes_all(struct store *st, struct changes *ch)
{
	uint64_t last;

	memset(ch, 0, sizeof(*ch));
	assert_int_equal(store_changes(st, 0, 1000, on_change, ch, &last), 0);
}

static uint64_t
now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static void
test_put_new(void **state)
{
	struct fixture *fx = *state;
	uint8_t id[5][TESS_ID_LEN];
	uint64_t prev = 0;
	struct store_stats stats;
	uint64_t version;

	assert_int_equal(store_max_seq(fx->st), 0);
	for (int i = 0; i < 5; i++) {
		uint64_t seq;

		assert_int_equal(put_new(fx->st, i % 2 ? fx->b : fx->a, "Comunitatea", 100 + i,
		    id[i]), STORE_STORED);
		seq = seq_of(fx->st, id[i]);
		assert_true(seq > prev);
		prev = seq;
	}
	assert_int_equal(store_max_seq(fx->st), prev);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 5);
	assert_int_equal(stats.tombstones, 0);
	assert_int_equal(stats.seq, prev);
	assert_true(stats.db_bytes > 0);

	/* Stored bytes are the signed bytes. */
	{
		struct draft d;
		struct sealed s;
		uint8_t *body = NULL, sig[TESS_SIG_LEN];
		size_t len;
		uint64_t seq;

		draft_init(&d, fx->a, "Közösség", 7);
		seal(&s, fx->a, &d.r);
		assert_int_equal(put(fx->st, &s), STORE_STORED);
		assert_int_equal(store_get(fx->st, d.id, &body, &len, sig, &seq), 0);
		assert_int_equal(len, s.len);
		assert_memory_equal(body, s.body, len);
		assert_memory_equal(sig, s.sig, TESS_SIG_LEN);
		free(body);
		assert_int_equal(store_get_seq(fx->st, seq, &body, &len, sig), 0);
		assert_memory_equal(body, s.body, len);
		free(body);
		assert_int_equal(store_have(fx->st, d.id, &version), 0);
		assert_int_equal(version, 7);
		assert_false(store_is_blocked(fx->st, d.r.author.data));
		sealed_free(&s);
	}
	/* A kind from a newer version is stored and forwarded like any other. */
	{
		struct draft d;
		struct sealed s;
		struct changes ch;

		draft_init(&d, fx->b, "Adopție", 8);
		d.r.kind = (Tessera__Kind)9;
		seal(&s, fx->b, &d.r);
		assert_int_equal((int)s.r->kind, 9);
		assert_int_equal(put(fx->st, &s), STORE_STORED);
		changes_all(fx->st, &ch);
		assert_int_equal(ch.n, 7);
		assert_memory_equal(ch.c[6].id, d.id, TESS_ID_LEN);
		sealed_free(&s);
	}
	/* Absent ids and sequence numbers. */
	{
		uint8_t none[TESS_ID_LEN] = { 0 }, *body = NULL, sig[TESS_SIG_LEN];
		size_t len;

		assert_int_equal(store_get(fx->st, none, &body, &len, sig, NULL), -ENOENT);
		assert_int_equal(store_get_seq(fx->st, 9999, &body, &len, sig), -ENOENT);
		assert_null(body);
		assert_int_equal(store_have(fx->st, none, &version), 0);
		assert_int_equal(version, 0);
	}
}

static void
test_duplicate_stale_equivocation(void **state)
{
	struct fixture *fx = *state;
	struct draft d;
	struct sealed v2, v2b, v1, v3;
	uint64_t seq, max;
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;

	draft_init(&d, fx->a, "Versiunea 2", 2);
	seal(&v2, fx->a, &d.r);
	assert_int_equal(put(fx->st, &v2), STORE_STORED);
	seq = seq_of(fx->st, d.id);
	max = store_max_seq(fx->st);

	/* The same bytes again. */
	assert_int_equal(put(fx->st, &v2), STORE_DUPLICATE);
	assert_int_equal(seq_of(fx->st, d.id), seq);
	assert_int_equal(store_max_seq(fx->st), max);

	/* An older version. */
	d.r.version = 1;
	d.text.title = "Versiunea 1";
	seal(&v1, fx->a, &d.r);
	assert_int_equal(put(fx->st, &v1), STORE_STALE);

	/* Same version, different content: the author signed two histories. */
	d.r.version = 2;
	d.text.title = "Versiunea 2, altfel";
	seal(&v2b, fx->a, &d.r);
	assert_int_equal(put(fx->st, &v2b), STORE_EQUIVOCATION);
	/* Same version, same content, another timestamp: different bytes too. */
	d.text.title = "Versiunea 2";
	d.r.timestamp++;
	sealed_free(&v2b);
	seal(&v2b, fx->a, &d.r);
	assert_int_equal(put(fx->st, &v2b), STORE_EQUIVOCATION);

	/* None of them changed what is stored. */
	assert_int_equal(store_get(fx->st, d.id, &body, &len, sig, NULL), 0);
	assert_int_equal(len, v2.len);
	assert_memory_equal(body, v2.body, len);
	free(body);
	assert_int_equal(store_max_seq(fx->st), max);

	/* A newer one still goes in. */
	d.r.version = 3;
	seal(&v3, fx->a, &d.r);
	assert_int_equal(put(fx->st, &v3), STORE_STORED);
	assert_int_equal(put(fx->st, &v2), STORE_STALE);
	assert_int_equal(put(fx->st, &v3), STORE_DUPLICATE);
	sealed_free(&v1);
	sealed_free(&v2);
	sealed_free(&v2b);
	sealed_free(&v3);
}

static void
test_newer_replaces(void **state)
{
	struct fixture *fx = *state;
	struct draft d;
	struct sealed v1, v2;
	uint8_t other[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	uint64_t s1, s2, so;
	size_t len, hits = 0;
	struct changes ch;
	struct store_stats stats;

	draft_init(&d, fx->a, "Prima", 10);
	seal(&v1, fx->a, &d.r);
	assert_int_equal(put(fx->st, &v1), STORE_STORED);
	s1 = seq_of(fx->st, d.id);
	assert_int_equal(put_new(fx->st, fx->b, "Alta", 10, other), STORE_STORED);
	so = seq_of(fx->st, other);

	d.r.version = 11;
	d.text.title = "A doua";
	seal(&v2, fx->a, &d.r);
	assert_int_equal(put(fx->st, &v2), STORE_STORED);
	s2 = seq_of(fx->st, d.id);
	assert_true(s2 > so);
	assert_true(so > s1);
	assert_int_equal(store_get_seq(fx->st, s1, &body, &len, sig), -ENOENT);
	assert_int_equal(store_get(fx->st, d.id, &body, &len, sig, NULL), 0);
	assert_int_equal(len, v2.len);
	assert_memory_equal(body, v2.body, len);
	free(body);

	/* The feed shows the id once, at its new seq and version. */
	changes_all(fx->st, &ch);
	assert_int_equal(ch.n, 2);
	for (size_t i = 0; i < ch.n; i++) {
		if (memcmp(ch.c[i].id, d.id, TESS_ID_LEN) != 0)
			continue;
		hits++;
		assert_int_equal(ch.c[i].seq, s2);
		assert_int_equal(ch.c[i].version, 11);
		assert_memory_equal(ch.c[i].author, fx->a->pub, TESS_KEY_LEN);
	}
	assert_int_equal(hits, 1);
	assert_int_equal(ch.c[0].seq, so);
	assert_int_equal(ch.c[1].seq, s2);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 2);
	assert_int_equal(stats.seq, s2);
	sealed_free(&v1);
	sealed_free(&v2);
}

static void
test_tombstone_kept(void **state)
{
	struct fixture *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_INITIATIVE, .lang = "hu",
		.title = "Közösségi platform", .summary = "Együttműködés" };
	uint8_t id[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	Tessera__Record *r, *old;
	struct sealed live;
	struct store_stats stats;
	char *cause = NULL;
	uint64_t s1, s2, version;
	size_t len;

	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	s1 = seq_of(fx->st, id);
	/* Keep the live version's signed bytes to replay them later. */
	memset(&live, 0, sizeof(live));
	assert_int_equal(store_get(fx->st, id, &live.body, &live.len, live.sig, NULL), 0);
	assert_int_equal(record_open(live.body, live.len, live.sig, TESS_SIG_LEN, &live.r, NULL),
	    0);

	assert_int_equal(publish_delete(fx->st, fx->a, id, &cause), 0);
	s2 = seq_of(fx->st, id);
	assert_true(s2 > s1);
	r = load(fx->st, id);
	assert_true(r->deleted);
	assert_int_equal(r->n_texts, 0);
	assert_int_equal(r->n_tags, 0);
	assert_int_equal(r->kind, TESSERA__KIND__KIND_INITIATIVE);
	assert_true(r->version > live.r->version);
	assert_memory_equal(r->nonce.data, live.r->nonce.data, TESS_NONCE_LEN);
	assert_int_equal(store_have(fx->st, id, &version), 0);
	assert_true(version == r->version);
	record_free(r);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 0);
	assert_int_equal(stats.tombstones, 1);

	/* The live version offered again is stale: the tombstone wins. */
	assert_int_equal(put(fx->st, &live), STORE_STALE);
	assert_int_equal(store_get(fx->st, id, &body, &len, sig, NULL), 0);
	free(body);

	/* Deleting twice or editing a tombstone is refused. */
	assert_int_equal(publish_delete(fx->st, fx->a, id, &cause), -ENOENT);
	assert_int_equal(publish_edit(fx->st, fx->a, id, &f, &cause), -ENOENT);
	free(cause);
	old = load(fx->st, id);
	assert_true(old->deleted);
	record_free(old);
	sealed_free(&live);
}

static void
test_quota(void **state)
{
	struct fixture *fx = *state;
	uint8_t id1[TESS_ID_LEN], id2[TESS_ID_LEN];
	struct draft d;
	struct sealed s;

	store_set_quota(fx->st, 2);
	assert_int_equal(put_new(fx->st, fx->a, "Unu", 1, id1), STORE_STORED);
	assert_int_equal(put_new(fx->st, fx->a, "Doi", 1, id2), STORE_STORED);
	assert_int_equal(put_new(fx->st, fx->a, "Trei", 1, NULL), STORE_QUOTA);
	assert_int_equal(put_new(fx->st, fx->a, "Patru", 1, NULL), STORE_QUOTA);
	/* Another author has its own quota. */
	assert_int_equal(put_new(fx->st, fx->b, "Egy", 1, NULL), STORE_STORED);
	assert_int_equal(put_new(fx->st, fx->b, "Kettő", 1, NULL), STORE_STORED);
	assert_int_equal(put_new(fx->st, fx->b, "Három", 1, NULL), STORE_QUOTA);

	/* A new version of a record we hold does not count as new. */
	draft_init(&d, fx->a, "Unu, editat", 2);
	{
		Tessera__Record *old = load(fx->st, id1);

		memcpy(d.nonce, old->nonce.data, TESS_NONCE_LEN);
		memcpy(d.id, old->id.data, TESS_ID_LEN);
		record_free(old);
	}
	seal(&s, fx->a, &d.r);
	assert_int_equal(put(fx->st, &s), STORE_STORED);
	sealed_free(&s);

	/* A tombstone is kept forever, so it keeps its place in the quota. */
	draft_init(&d, fx->a, NULL, 3);
	{
		Tessera__Record *old = load(fx->st, id2);

		memcpy(d.nonce, old->nonce.data, TESS_NONCE_LEN);
		memcpy(d.id, old->id.data, TESS_ID_LEN);
		record_free(old);
	}
	d.r.n_texts = 0;
	d.r.has_deleted = 1;
	d.r.deleted = 1;
	seal(&s, fx->a, &d.r);
	assert_int_equal(put(fx->st, &s), STORE_STORED);
	sealed_free(&s);
	assert_int_equal(put_new(fx->st, fx->a, "Cinci", 1, NULL), STORE_QUOTA);

	/* A tombstone of an id never seen is a new id: over quota too, or
	 * signed deletions of made-up records could fill the disk. */
	draft_init(&d, fx->a, NULL, 4);
	d.r.n_texts = 0;
	d.r.has_deleted = 1;
	d.r.deleted = 1;
	seal(&s, fx->a, &d.r);
	assert_int_equal(put(fx->st, &s), STORE_QUOTA);
	sealed_free(&s);

	/* Raising the quota lets the author in again. */
	store_set_quota(fx->st, 3);
	assert_int_equal(put_new(fx->st, fx->a, "Șapte", 1, NULL), STORE_STORED);
	assert_int_equal(put_new(fx->st, fx->a, "Opt", 1, NULL), STORE_QUOTA);

	/* The quota is for other communities: our own is never refused. */
	store_set_local(fx->st, fx->a->pub);
	assert_int_equal(put_new(fx->st, fx->a, "Nouă", 1, NULL), STORE_STORED);
}

static void
test_quota_publish(void **state)
{
	struct fixture *fx = *state;
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "ca",
		.title = "Comunitat" };
	uint8_t id[TESS_ID_LEN];
	char *cause = NULL;

	store_set_quota(fx->st, 2);
	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	assert_true(publish_add(fx->st, fx->a, &f, id, &cause) < 0);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	/* Editing is still possible at the quota. */
	f.title = "Comunitat d'aprenentatge";
	assert_int_equal(publish_edit(fx->st, fx->a, id, &f, &cause), 0);
}

static void
test_block(void **state)
{
	struct fixture *fx = *state;
	uint8_t ida[3][TESS_ID_LEN], idb[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	struct draft d;
	struct sealed keep;
	struct store_author *authors;
	struct store_stats stats;
	uint64_t removed = 99, top;
	size_t len, n;
	bool found = false;

	assert_int_equal(put_new(fx->st, fx->b, "Liber", 1, idb), STORE_STORED);
	for (int i = 0; i < 3; i++)
		assert_int_equal(put_new(fx->st, fx->a, "Blocat", 1, ida[i]), STORE_STORED);
	top = seq_of(fx->st, ida[2]);
	draft_init(&d, fx->a, "Blocat", 5);
	seal(&keep, fx->a, &d.r);      /* not stored yet */
	assert_false(store_is_blocked(fx->st, fx->a->pub));

	assert_int_equal(store_block(fx->st, fx->a->pub, true, &removed), 0);
	assert_int_equal(removed, 3);
	assert_true(store_is_blocked(fx->st, fx->a->pub));
	assert_false(store_is_blocked(fx->st, fx->b->pub));
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_get(fx->st, ida[i], &body, &len, sig, NULL), -ENOENT);
	assert_int_equal(store_get(fx->st, idb, &body, &len, sig, NULL), 0);
	free(body);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 1);
	/* Sequence numbers of removed records are never handed out again. */
	{
		uint8_t idc[TESS_ID_LEN];

		assert_int_equal(store_max_seq(fx->st), seq_of(fx->st, idb));
		assert_true(store_seq_mark(fx->st) >= top);
		assert_int_equal(put_new(fx->st, fx->b, "După blocare", 1, idc), STORE_STORED);
		assert_true(seq_of(fx->st, idc) > top);
		assert_int_equal(store_max_seq(fx->st), seq_of(fx->st, idc));
	}

	/* Later puts, new or already seen, are refused. */
	assert_int_equal(put(fx->st, &keep), STORE_BLOCKED);
	assert_int_equal(put_new(fx->st, fx->a, "Din nou", 1, NULL), STORE_BLOCKED);
	assert_int_equal(store_get(fx->st, d.id, &body, &len, sig, NULL), -ENOENT);

	/* The author stays listed as blocked. */
	assert_int_equal(store_authors(fx->st, &authors, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (memcmp(authors[i].author, fx->a->pub, TESS_KEY_LEN) == 0) {
			found = true;
			assert_true(authors[i].blocked);
			assert_int_equal(authors[i].records, 0);
		}
	assert_true(found);
	store_authors_free(authors, n);

	/* Blocking an unknown author works before it sends anything. */
	{
		uint8_t stranger[TESS_KEY_LEN];

		memset(stranger, 0x5a, sizeof(stranger));
		assert_int_equal(store_block(fx->st, stranger, true, &removed), 0);
		assert_int_equal(removed, 0);
		assert_true(store_is_blocked(fx->st, stranger));
	}

	/* Unblocking lets records in again. */
	assert_int_equal(store_block(fx->st, fx->a->pub, false, &removed), 0);
	assert_int_equal(removed, 0);
	assert_false(store_is_blocked(fx->st, fx->a->pub));
	assert_int_equal(put(fx->st, &keep), STORE_STORED);
	sealed_free(&keep);
}

/* How many of ids[0..n) start with the hex prefix. */
static size_t
count_prefix(uint8_t (*ids)[TESS_ID_LEN], size_t n, const char *prefix)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++) {
		char hex[2 * TESS_ID_LEN + 1];

		hex_encode(ids[i], TESS_ID_LEN, hex);
		if (strncasecmp(hex, prefix, strlen(prefix)) == 0)
			c++;
	}
	return c;
}

static void
check_prefix(struct store *st, uint8_t (*all)[TESS_ID_LEN], size_t nall, const char *prefix,
    size_t max)
{
	uint8_t found[32][TESS_ID_LEN];
	size_t n = 999, want = count_prefix(all, nall, prefix);

	assert_true(max <= 32);
	assert_int_equal(store_find_prefix(st, prefix, found, max, &n), 0);
	assert_int_equal(n, want > max ? max + 1 : want);
	for (size_t i = 0; i < n && i < max; i++) {
		char hex[2 * TESS_ID_LEN + 1];

		hex_encode(found[i], TESS_ID_LEN, hex);
		assert_int_equal(strncasecmp(hex, prefix, strlen(prefix)), 0);
		if (i > 0)
			assert_true(memcmp(found[i - 1], found[i], TESS_ID_LEN) < 0);
	}
}

static void
test_find_prefix(void **state)
{
	struct fixture *fx = *state;
	uint8_t all[40][TESS_ID_LEN], found[4][TESS_ID_LEN];
	size_t nall = 0, n;
	char hex[2 * TESS_ID_LEN + 2], prefix[2 * TESS_ID_LEN + 2];
	struct draft d1, d2;
	int pair = 0;

	/* Seventeen records: at least two share their first hex digit. */
	for (int i = 0; i < 17; i++)
		assert_int_equal(put_new(fx->st, fx->a, "Prefix", 1, all[nall++]), STORE_STORED);
	/* Two ids sharing their first byte, found by drawing nonces. */
	for (int tries = 0; tries < 100000 && !pair; tries++) {
		draft_init(&d1, fx->a, "Pereche", 1);
		for (int k = 0; k < 64 && !pair; k++) {
			draft_init(&d2, fx->a, "Pereche", 1);
			pair = d1.id[0] == d2.id[0];
		}
	}
	assert_true(pair);
	{
		struct sealed s;

		seal(&s, fx->a, &d1.r);
		assert_int_equal(put(fx->st, &s), STORE_STORED);
		sealed_free(&s);
		seal(&s, fx->a, &d2.r);
		assert_int_equal(put(fx->st, &s), STORE_STORED);
		sealed_free(&s);
		memcpy(all[nall++], d1.id, TESS_ID_LEN);
		memcpy(all[nall++], d2.id, TESS_ID_LEN);
	}

	/* 1 and 2 hex digits: ambiguous. */
	hex_encode(d1.id, TESS_ID_LEN, hex);
	snprintf(prefix, sizeof(prefix), "%.1s", hex);
	assert_true(count_prefix(all, nall, prefix) >= 2);
	check_prefix(fx->st, all, nall, prefix, 1);
	check_prefix(fx->st, all, nall, prefix, 32);
	snprintf(prefix, sizeof(prefix), "%.2s", hex);
	assert_true(count_prefix(all, nall, prefix) >= 2);
	check_prefix(fx->st, all, nall, prefix, 1);
	check_prefix(fx->st, all, nall, prefix, 2);
	check_prefix(fx->st, all, nall, prefix, 32);
	/* Every first hex digit, ambiguous or not. */
	for (const char *c = "0123456789abcdef"; *c; c++) {
		char p[2] = { *c, '\0' };

		check_prefix(fx->st, all, nall, p, 32);
		check_prefix(fx->st, all, nall, p, 1);
	}
	/* 31 and 32 digits: exactly one, in either case. */
	for (size_t i = 0; i < nall; i++) {
		hex_encode(all[i], TESS_ID_LEN, hex);
		n = 0;
		assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), 0);
		assert_int_equal(n, 1);
		assert_memory_equal(found[0], all[i], TESS_ID_LEN);
		hex[31] = '\0';
		n = 0;
		assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), 0);
		assert_int_equal(n, 1);
		assert_memory_equal(found[0], all[i], TESS_ID_LEN);
		for (char *p = hex; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		n = 0;
		assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), 0);
		assert_int_equal(n, 1);
	}
	/* A full id that is not stored; its 31-digit neighbour range too. */
	hex_encode(all[0], TESS_ID_LEN, hex);
	hex[31] = hex[31] == '0' ? '1' : '0';
	n = 9;
	assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), 0);
	assert_int_equal(n, 0);
	/* Not hex prefixes. */
	assert_int_equal(store_find_prefix(fx->st, "", found, 4, &n), -EINVAL);
	assert_int_equal(store_find_prefix(fx->st, "xyz", found, 4, &n), -EINVAL);
	assert_int_equal(store_find_prefix(fx->st, "ab-c", found, 4, &n), -EINVAL);
	hex_encode(all[0], TESS_ID_LEN, hex);
	strcat(hex, "0");
	assert_int_equal(store_find_prefix(fx->st, hex, found, 4, &n), -EINVAL);
}

static void
test_next_version(void **state)
{
	struct fixture *fx = *state;
	uint64_t prev = 0, v, before, future;
	uint8_t id[TESS_ID_LEN];
	struct store *st2;
	char *cause = NULL;

	for (int i = 0; i < 2000; i++) {
		before = now_us();
		v = store_next_version(fx->st, fx->a->pub);
		assert_true(v >= before);
		assert_true(v > prev);
		prev = v;
	}
	/* Another author draws from the same clock, still strictly increasing. */
	v = store_next_version(fx->st, fx->b->pub);
	assert_true(v > prev);
	prev = v;

	/* Above every version of ours we have seen, even one from the future
	 * (a restored backup meeting the versions it made before). */
	future = now_us() + 3600ULL * 1000000 * 24 * 365;
	assert_int_equal(put_new(fx->st, fx->a, "Viitor", future, id), STORE_STORED);
	v = store_next_version(fx->st, fx->a->pub);
	assert_true(v > future);
	assert_true(v > prev);
	/* Also after reopening, when nothing is cached in memory. */
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, false, &st2, &cause), 0);
	fx->st = st2;
	v = store_next_version(fx->st, fx->a->pub);
	assert_true(v > future);
	/* And for a published edit. */
	{
		struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "pt",
			.title = "Ferramenta" };
		Tessera__Record *r;
		uint8_t pid[TESS_ID_LEN];

		assert_int_equal(publish_add(fx->st, fx->a, &f, pid, &cause), 0);
		r = load(fx->st, pid);
		assert_true(r->version > v);
		record_free(r);
	}
}

static void
test_open_existing(void **state)
{
	struct fixture *fx = *state;
	struct store *st2 = NULL, *other = NULL;
	uint8_t epoch[TESS_EPOCH_LEN], id[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	char *cause = NULL, dir[64];
	size_t len;
	uint64_t seq, before;

	memcpy(epoch, store_epoch(fx->st), TESS_EPOCH_LEN);
	assert_int_equal(put_new(fx->st, fx->a, "Persistent", 1, id), STORE_STORED);
	seq = seq_of(fx->st, id);

	/* Creating over an existing database fails, open or not. */
	assert_int_equal(store_open(fx->dir, true, &st2, &cause), -EEXIST);
	assert_null(st2);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->dir, true, &st2, &cause), -EEXIST);
	free(cause);
	cause = NULL;

	/* Reopening keeps the epoch and the records. */
	before = now_us();
	assert_int_equal(store_open(fx->dir, false, &st2, &cause), 0);
	fx->st = st2;
	assert_memory_equal(store_epoch(fx->st), epoch, TESS_EPOCH_LEN);
	assert_int_equal(store_get(fx->st, id, &body, &len, sig, NULL), 0);
	free(body);
	assert_int_equal(seq_of(fx->st, id), seq);
	assert_int_equal(store_max_seq(fx->st), seq);
	/* New puts continue the sequence, from at least the time of opening in
	 * microseconds (a restored backup never reuses numbers). */
	assert_true(store_seq_mark(fx->st) >= before);
	assert_int_equal(put_new(fx->st, fx->a, "Dupa", 1, id), STORE_STORED);
	assert_true(seq_of(fx->st, id) > seq);
	assert_true(seq_of(fx->st, id) > before);
	assert_int_equal(store_max_seq(fx->st), seq_of(fx->st, id));

	/* Another store has another epoch. */
	make_dir(dir, sizeof(dir));
	assert_int_equal(store_open(dir, false, &other, &cause), -ENOENT);
	assert_null(other);
	free(cause);
	cause = NULL;
	assert_int_equal(store_open(dir, true, &other, &cause), 0);
	assert_memory_not_equal(store_epoch(other), epoch, TESS_EPOCH_LEN);
	store_close(other);
	remove_dir(dir);
	store_close(NULL);
}

static void
test_peer_checkpoint(void **state)
{
	struct fixture *fx = *state;
	uint8_t peer[TESS_KEY_LEN], epoch[TESS_EPOCH_LEN], epoch2[TESS_EPOCH_LEN];
	struct store_peer p;
	int64_t before, after;

	memcpy(peer, fx->b->pub, TESS_KEY_LEN);
	memset(&p, 0xff, sizeof(p));
	assert_int_equal(store_peer_get(fx->st, peer, &p), 0);
	assert_false(p.has_epoch);
	assert_int_equal(p.seq, 0);
	assert_int_equal(p.last_sync, 0);
	assert_int_equal(p.received + p.sent + p.rejected, 0);

	memset(epoch, 0xe1, sizeof(epoch));
	before = now_ms();
	assert_int_equal(store_peer_checkpoint(fx->st, peer, epoch, 42), 0);
	after = now_ms();
	assert_int_equal(store_peer_get(fx->st, peer, &p), 0);
	assert_true(p.has_epoch);
	assert_memory_equal(p.epoch, epoch, TESS_EPOCH_LEN);
	assert_int_equal(p.seq, 42);
	assert_true(p.last_sync >= before && p.last_sync <= after);

	/* Counters add up and survive checkpoints; checkpoints replace. */
	assert_int_equal(store_peer_count(fx->st, peer, 1, 2, 3), 0);
	assert_int_equal(store_peer_count(fx->st, peer, 10, 20, 30), 0);
	memset(epoch2, 0xe2, sizeof(epoch2));
	assert_int_equal(store_peer_checkpoint(fx->st, peer, epoch2, 7), 0);
	assert_int_equal(store_peer_get(fx->st, peer, &p), 0);
	assert_memory_equal(p.epoch, epoch2, TESS_EPOCH_LEN);
	assert_int_equal(p.seq, 7);
	assert_int_equal(p.received, 11);
	assert_int_equal(p.sent, 22);
	assert_int_equal(p.rejected, 33);
	/* Large sequence numbers round-trip. */
	assert_int_equal(store_peer_checkpoint(fx->st, peer, epoch2, (uint64_t)INT64_MAX), 0);
	assert_int_equal(store_peer_get(fx->st, peer, &p), 0);
	assert_true(p.seq == (uint64_t)INT64_MAX);

	/* Counters first, then a checkpoint, for another peer. */
	assert_int_equal(store_peer_count(fx->st, fx->a->pub, 5, 0, 0), 0);
	assert_int_equal(store_peer_get(fx->st, fx->a->pub, &p), 0);
	assert_false(p.has_epoch);
	assert_int_equal(p.received, 5);
	assert_int_equal(store_peer_checkpoint(fx->st, fx->a->pub, epoch, 1), 0);
	assert_int_equal(store_peer_get(fx->st, fx->a->pub, &p), 0);
	assert_true(p.has_epoch);
	assert_int_equal(p.received, 5);
	assert_int_equal(p.seq, 1);

	/* Checkpoints survive reopening. */
	{
		struct store *st2;
		char *cause = NULL;

		store_close(fx->st);
		fx->st = NULL;
		assert_int_equal(store_open(fx->dir, false, &st2, &cause), 0);
		fx->st = st2;
		assert_int_equal(store_peer_get(fx->st, peer, &p), 0);
		assert_memory_equal(p.epoch, epoch2, TESS_EPOCH_LEN);
		assert_int_equal(p.received, 11);
	}
}

static void
test_changes_cursor(void **state)
{
	struct fixture *fx = *state;
	uint8_t id[6][TESS_ID_LEN], origin[TESS_KEY_LEN];
	uint64_t seq[6], last = 12345, cursor = 0;
	struct changes ch;
	size_t total = 0;

	for (int i = 0; i < 5; i++) {
		assert_int_equal(put_new(fx->st, i == 3 ? fx->b : fx->a, "Flux", 100 + i, id[i]),
		    STORE_STORED);
		seq[i] = seq_of(fx->st, id[i]);
	}
	/* One from a peer, remembered as its origin. */
	{
		struct draft d;
		struct sealed s;
		enum store_put_result res;

		memset(origin, 0x0b, sizeof(origin));
		draft_init(&d, fx->b, "De la vecin", 200);
		seal(&s, fx->b, &d.r);
		assert_int_equal(store_put_from(fx->st, s.body, s.len, s.sig, s.r, origin, &res),
		    0);
		assert_int_equal(res, STORE_STORED);
		memcpy(id[5], d.id, TESS_ID_LEN);
		seq[5] = seq_of(fx->st, id[5]);
		sealed_free(&s);
	}

	/* Pages of two, each starting after the last seq of the previous one. */
	for (int page = 0; page < 3; page++) {
		memset(&ch, 0, sizeof(ch));
		assert_int_equal(store_changes(fx->st, cursor, 2, on_change, &ch, &last), 0);
		assert_int_equal(ch.n, 2);
		for (size_t i = 0; i < ch.n; i++) {
			size_t k = total + i;

			assert_int_equal(ch.c[i].seq, seq[k]);
			assert_memory_equal(ch.c[i].id, id[k], TESS_ID_LEN);
			assert_memory_equal(ch.c[i].author, k == 3 || k == 5 ? fx->b->pub : fx->a->pub,
			    TESS_KEY_LEN);
			assert_int_equal(ch.c[i].version, k == 5 ? 200 : 100 + k);
			assert_int_equal(ch.c[i].has_origin, k == 5);
			if (k == 5)
				assert_memory_equal(ch.c[i].origin, origin, TESS_KEY_LEN);
		}
		assert_int_equal(last, ch.c[1].seq);
		total += ch.n;
		cursor = last;
	}
	/* Past the end: no calls, and last stays where it was. */
	memset(&ch, 0, sizeof(ch));
	last = 0;
	assert_int_equal(store_changes(fx->st, cursor, 2, on_change, &ch, &last), 0);
	assert_int_equal(ch.n, 0);
	assert_int_equal(last, cursor);
	/* A zero limit visits nothing. */
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(store_changes(fx->st, 0, 0, on_change, &ch, &last), 0);
	assert_int_equal(ch.n, 0);
	assert_int_equal(last, 0);
	/* A cursor in the middle of the sequence (seq[2] is in use). */
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(store_changes(fx->st, seq[2], 100, on_change, &ch, &last), 0);
	assert_int_equal(ch.n, 3);
	assert_int_equal(ch.c[0].seq, seq[3]);
	assert_int_equal(last, seq[5]);
	/* The callback can stop the walk; its code comes back. */
	memset(&ch, 0, sizeof(ch));
	ch.stop_at = 2;
	assert_int_equal(store_changes(fx->st, 0, 100, on_change, &ch, &last), -ECANCELED);
	assert_int_equal(ch.n, 2);
	/* The feed is usable again afterwards. */
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(store_changes(fx->st, 0, 100, on_change, &ch, &last), 0);
	assert_int_equal(ch.n, 6);
	assert_int_equal(last, seq[5]);
}

static void
test_not_author(void **state)
{
	struct fixture *fx = *state;
	struct draft d;
	struct sealed a, b;
	enum store_put_result res;

	/* B's bytes presented under an id A already holds. The store trusts
	 * its caller to have verified; it must still not mix authors. */
	draft_init(&d, fx->a, "Al lui A", 5);
	seal(&a, fx->a, &d.r);
	assert_int_equal(put(fx->st, &a), STORE_STORED);
	draft_init(&d, fx->b, "Al lui B", 6);
	seal(&b, fx->b, &d.r);
	memcpy(b.r->id.data, a.r->id.data, TESS_ID_LEN);
	assert_int_equal(store_put(fx->st, b.body, b.len, b.sig, b.r, &res), 0);
	assert_int_equal(res, STORE_NOT_AUTHOR);
	sealed_free(&a);
	sealed_free(&b);
}

static void
test_transactions(void **state)
{
	struct fixture *fx = *state;
	uint8_t id1[TESS_ID_LEN], id2[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	size_t len;

	assert_int_equal(store_begin(fx->st), 0);
	assert_true(store_begin(fx->st) < 0);       /* nested: refused */
	assert_int_equal(put_new(fx->st, fx->a, "Tranzacție", 1, id1), STORE_STORED);
	assert_int_equal(put_new(fx->st, fx->a, "Tranzacție", 1, id2), STORE_STORED);
	store_rollback(fx->st);
	assert_int_equal(store_get(fx->st, id1, &body, &len, sig, NULL), -ENOENT);
	assert_int_equal(store_get(fx->st, id2, &body, &len, sig, NULL), -ENOENT);
	store_rollback(fx->st);     /* nothing open: harmless */

	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(put_new(fx->st, fx->a, "Tranzacție", 1, id1), STORE_STORED);
	assert_int_equal(put_new(fx->st, fx->a, "Tranzacție", 1, id2), STORE_STORED);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_get(fx->st, id1, &body, &len, sig, NULL), 0);
	free(body);
	assert_int_equal(store_get(fx->st, id2, &body, &len, sig, NULL), 0);
	free(body);
}

static void
test_meta(void **state)
{
	struct fixture *fx = *state;
	char *v = NULL;

	assert_int_equal(store_meta_get(fx->st, "nothing", &v), -ENOENT);
	assert_int_equal(store_meta_set(fx->st, "name", "Comunitatea de învățare"), 0);
	assert_int_equal(store_meta_get(fx->st, "name", &v), 0);
	assert_string_equal(v, "Comunitatea de învățare");
	free(v);
	assert_int_equal(store_meta_set(fx->st, "name", "Nagykovácsi"), 0);
	assert_int_equal(store_meta_get(fx->st, "name", &v), 0);
	assert_string_equal(v, "Nagykovácsi");
	free(v);
	/* The epoch lives in meta as hex. */
	assert_int_equal(store_meta_get(fx->st, "epoch", &v), 0);
	{
		char hex[2 * TESS_EPOCH_LEN + 1];

		hex_encode(store_epoch(fx->st), TESS_EPOCH_LEN, hex);
		assert_string_equal(v, hex);
	}
	free(v);
}

static void
test_publish(void **state)
{
	struct fixture *fx = *state;
	char *tags[] = { "community-paper", "hu" };
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "hu",
		.title = "Xploit – tanulói közösség", .summary = "Közösségi platform",
		.set_tags = 1, .tags = tags, .n_tags = 2 };
	struct publish_fields e = { .lang = "en", .title = "Community paper Nagykovácsi" };
	uint8_t id[TESS_ID_LEN];
	Tessera__Record *r, *r2;
	char *cause = NULL;
	uint64_t s1, s2;

	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
	assert_null(cause);
	r = load(fx->st, id);
	assert_memory_equal(r->author.data, fx->a->pub, TESS_KEY_LEN);
	assert_int_equal(r->n_texts, 1);
	assert_string_equal(r->texts[0]->title, "Xploit – tanulói közösség");
	assert_int_equal(r->n_tags, 2);
	s1 = seq_of(fx->st, id);

	/* An edit adds a language and keeps the rest. */
	assert_int_equal(publish_edit(fx->st, fx->a, id, &e, &cause), 0);
	r2 = load(fx->st, id);
	s2 = seq_of(fx->st, id);
	assert_true(s2 > s1);
	assert_true(r2->version > r->version);
	assert_memory_equal(r2->nonce.data, r->nonce.data, TESS_NONCE_LEN);
	assert_int_equal(r2->n_texts, 2);
	assert_string_equal(record_text(r2, "hu")->title, "Xploit – tanulói közösség");
	assert_string_equal(record_text(r2, "hu")->summary, "Közösségi platform");
	assert_string_equal(record_text(r2, "en")->title, "Community paper Nagykovácsi");
	assert_int_equal(r2->n_tags, 2);
	assert_false(publish_same_content(r, r2));
	assert_true(publish_same_content(r2, r2));
	record_free(r);
	record_free(r2);

	/* Only the author edits or deletes. */
	assert_int_equal(publish_edit(fx->st, fx->b, id, &e, &cause), -EPERM);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(publish_delete(fx->st, fx->b, id, &cause), -EPERM);
	free(cause);
	cause = NULL;

	/* Kinds a new record may have. */
	f.kind = TESSERA__KIND__KIND_PROFILE;
	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	f.kind = 9;
	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	/* A record without a title is refused with a reason. */
	f.kind = TESSERA__KIND__KIND_RESOURCE;
	f.title = NULL;
	assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), -EINVAL);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	/* Unknown ids. */
	memset(id, 0, sizeof(id));
	assert_int_equal(publish_edit(fx->st, fx->a, id, &e, &cause), -ENOENT);
	free(cause);
}

static void
test_profile_and_authors(void **state)
{
	struct fixture *fx = *state;
	Tessera__Record tmpl = TESSERA__RECORD__INIT;
	Tessera__Profile prof = TESSERA__PROFILE__INIT;
	Tessera__Text text = TESSERA__TEXT__INIT, *texts[1] = { &text };
	char *langs[] = { "ro", "en" }, *name, *cands = NULL, *cause = NULL;
	uint8_t pid[TESS_ID_LEN], pid2[TESS_ID_LEN], who[TESS_KEY_LEN];
	char prefix[NODEID_STRLEN + 1];

	prof.name = "Comunitatea de învățare România";
	prof.country = "RO";
	prof.languages = langs;
	prof.n_languages = 2;
	text.lang = "ro";
	text.title = "Comunitatea de învățare";
	tmpl.has_kind = 1;
	tmpl.kind = TESSERA__KIND__KIND_PROFILE;
	tmpl.profile = &prof;
	tmpl.n_texts = 1;
	tmpl.texts = texts;
	assert_int_equal(publish_profile_id(fx->st, pid), -ENOENT);
	assert_int_equal(publish_profile(fx->st, fx->a, &tmpl, &cause), 0);
	assert_int_equal(publish_profile_id(fx->st, pid), 0);
	name = store_author_name(fx->st, fx->a->pub);
	assert_non_null(name);
	assert_string_equal(name, "Comunitatea de învățare România");
	free(name);
	/* Updating the profile keeps its id. */
	prof.name = "Comunitatea România";
	assert_int_equal(publish_profile(fx->st, fx->a, &tmpl, &cause), 0);
	assert_int_equal(publish_profile_id(fx->st, pid2), 0);
	assert_memory_equal(pid, pid2, TESS_ID_LEN);
	name = store_author_name(fx->st, fx->a->pub);
	assert_string_equal(name, "Comunitatea România");
	free(name);
	/* The new record's default language is the profile's first. */
	{
		struct publish_fields f = { .kind = TESSERA__KIND__KIND_INITIATIVE,
			.title = "Inițiativă" };
		Tessera__Record *r;
		uint8_t id[TESS_ID_LEN];

		assert_int_equal(publish_add(fx->st, fx->a, &f, id, &cause), 0);
		r = load(fx->st, id);
		assert_string_equal(r->texts[0]->lang, "ro");
		record_free(r);
	}
	/* A profile cannot be deleted. */
	assert_int_equal(publish_delete(fx->st, fx->a, pid, &cause), -EINVAL);
	free(cause);
	cause = NULL;

	/* Resolving a community by name or by ID prefix. */
	assert_int_equal(put_new(fx->st, fx->b, "Alt autor", 1, NULL), STORE_STORED);
	assert_int_equal(store_resolve_author(fx->st, "Comunitatea România", who, &cands), 0);
	assert_memory_equal(who, fx->a->pub, TESS_KEY_LEN);
	snprintf(prefix, sizeof(prefix), "%s", fx->b->id);
	assert_int_equal(store_resolve_author(fx->st, prefix, who, &cands), 0);
	assert_memory_equal(who, fx->b->pub, TESS_KEY_LEN);
	prefix[9] = '\0';         /* "XXXXXXX-X" */
	for (char *p = prefix; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	assert_int_equal(store_resolve_author(fx->st, prefix, who, &cands), 0);
	assert_memory_equal(who, fx->b->pub, TESS_KEY_LEN);
	assert_int_equal(store_resolve_author(fx->st, "Nimeni", who, &cands), -ENOENT);
	assert_null(cands);
	/* Separators alone are no prefix at all. */
	assert_int_equal(store_resolve_author(fx->st, "-", who, &cands), -ENOENT);
	free(cands);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_stale_equivocation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tombstone_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_author, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_and_authors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* The search evaluation set (tests/data/search_eval, built by its make.py
 * from the communities' real texts): recall@10 by language and by form
 * of the query, and the false positives in the top 10. Every form must be
 * at 100 % except typos (at least 90 %). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/identity.h"
#include "store/publish.h"
#include "store/search.h"
#include "store/store.h"
#include "testdir.h"

#define MAX_RECORDS 64
#define MAX_GROUPS 32
#define TOP 10

struct evrec {
	char key[96];
	uint64_t seq;
};

struct tally {
	char name[24];
	int want, found, fp, top;
};

struct eval {
	char base[64];
	struct identity *me;
	struct store *st;
	struct evrec rec[MAX_RECORDS];
	int nrec;
	struct tally forms[MAX_GROUPS], langs[MAX_GROUPS];
	int nforms, nlangs;
};

static char *
field(char **p)
{
	char *f = *p, *t;

	if (f == NULL)
		return "";
	if ((t = strchr(f, '\t')) != NULL) {
		*t = '\0';
		*p = t + 1;
	} else {
		f[strcspn(f, "\n")] = '\0';
		*p = NULL;
	}
	return f;
}

static FILE *
open_data(const char *name)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/data/search_eval/%s", TESSERA_TESTS_DIR, name);
	fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	return fp;
}

static void
load_records(struct eval *ev)
{
	FILE *fp = open_data("records.tsv");
	char *line = NULL, *cause = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, fp) > 0) {
		char *p = line, *key = field(&p), *lang = field(&p), *title = field(&p);
		char *summary = field(&p), *body = field(&p);
		struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = lang,
			.title = title, .summary = *summary ? summary : NULL,
			.body = *body ? body : NULL };
		uint8_t id[TESS_ID_LEN], *b = NULL, sig[TESS_SIG_LEN];
		size_t len;

		assert_true(ev->nrec < MAX_RECORDS);
		if (publish_add(ev->st, ev->me, &f, id, &cause) != 0)
			fail_msg("%s: %s", key, cause);
		snprintf(ev->rec[ev->nrec].key, sizeof(ev->rec[0].key), "%s", key);
		assert_int_equal(store_get(ev->st, id, &b, &len, sig, &ev->rec[ev->nrec].seq), 0);
		free(b);
		ev->nrec++;
	}
	free(line);
	fclose(fp);
}

static const char *
key_of(const struct eval *ev, uint64_t seq)
{
	for (int i = 0; i < ev->nrec; i++)
		if (ev->rec[i].seq == seq)
			return ev->rec[i].key;
	return "?";
}

static struct tally *
tally_of(struct tally *t, int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	assert_true(*n < MAX_GROUPS);
	snprintf(t[*n].name, sizeof(t[0].name), "%s", name);
	return &t[(*n)++];
}

/* Runs one query; adds its recall and false positives to both tallies. */
static void
run_query(struct eval *ev, const char *form, const char *lang, const char *q, char *keys)
{
	struct search_filter f = { .limit = TOP };
	struct search_hit *hits;
	char *cause = NULL, *k, *save = NULL, *list = strdup(keys);
	size_t n;
	int want = 0, found = 0, fp = 0;

	assert_non_null(list);
	if (search_query(ev->st, q, &f, &hits, &n, &cause) != 0)
		fail_msg("query '%s': %s", q, cause);
	for (k = strtok_r(list, ",", &save); k != NULL; k = strtok_r(NULL, ",", &save)) {
		bool hit = false;

		want++;
		for (size_t i = 0; i < n && !hit; i++)
			hit = strcmp(key_of(ev, hits[i].seq), k) == 0;
		found += hit;
		if (!hit)
			printf("  MISS %-8s %-3s %-18s %s\n", form, lang, q, k);
	}
	/* A hit is a false positive when it is not a relevant record. */
	for (size_t i = 0; i < n; i++) {
		const char *hk = key_of(ev, hits[i].seq);
		bool relevant = false;

		for (const char *p = keys; p != NULL && !relevant; p = strchr(p, ','), p = p ? p + 1 : p)
			relevant = strncmp(p, hk, strlen(hk)) == 0 &&
			    (p[strlen(hk)] == ',' || p[strlen(hk)] == '\0');
		if (!relevant) {
			fp++;
			printf("  fp   %-8s %-3s %-18s %s (%s)\n", form, lang, q, hk,
			    search_match_name(hits[i].match));
		}
	}
	search_hits_free(hits, n);
	free(list);
	for (int g = 0; g < 2; g++) {
		struct tally *t = g == 0 ? tally_of(ev->forms, &ev->nforms, form) :
		    tally_of(ev->langs, &ev->nlangs, lang);

		t->want += want;
		t->found += found;
		t->fp += fp;
		t->top += (int)n;
	}
}

static void
report(const char *by, const struct tally *t, int n)
{
	printf("recall@%d by %s:\n", TOP, by);
	for (int i = 0; i < n; i++)
		printf("  %-10s %5.1f %%  (%d of %d)  false positives in top %d: %d of %d hits\n",
		    t[i].name, 100.0 * t[i].found / t[i].want, t[i].found, t[i].want, TOP, t[i].fp,
		    t[i].top);
}

static void
test_eval(void **state)
{
	struct eval *ev = *state;
	FILE *fp = open_data("queries.tsv");
	char *line = NULL;
	size_t cap = 0;
	int queries = 0;

	load_records(ev);
	while (getline(&line, &cap, fp) > 0) {
		char *p = line, *form = field(&p), *lang = field(&p), *q = field(&p);
		char *keys = field(&p);

		run_query(ev, form, lang, q, keys);
		queries++;
	}
	free(line);
	fclose(fp);
	printf("%d records, %d queries\n", ev->nrec, queries);
	report("form", ev->forms, ev->nforms);
	report("language", ev->langs, ev->nlangs);
	assert_true(ev->nlangs >= 7);
	for (int i = 0; i < ev->nforms; i++) {
		const struct tally *t = &ev->forms[i];

		if (strcmp(t->name, "typo") == 0)
			assert_true(t->found * 10 >= t->want * 9);
		else if (t->found != t->want)
			fail_msg("form %s: recall %d of %d", t->name, t->found, t->want);
	}
}

static int
setup(void **state)
{
	struct eval *ev = calloc(1, sizeof(*ev));
	char dir[96], *cause = NULL;

	if (ev == NULL)
		return -1;
	snprintf(ev->base, sizeof(ev->base), "/tmp/test_search_eval.XXXXXX");
	if (mkdtemp(ev->base) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/id", ev->base);
	if (mkdir(dir, 0700) != 0 || identity_create(dir, &ev->me, &cause) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/store", ev->base);
	if (mkdir(dir, 0700) != 0 || store_open(dir, true, &ev->st, &cause) != 0) {
		fprintf(stderr, "store: %s\n", cause ? cause : "mkdir");
		return -1;
	}
	/* The node's own records: no per-community share of a page. */
	store_set_local(ev->st, ev->me->pub);
	*state = ev;
	return 0;
}

static int
teardown(void **state)
{
	struct eval *ev = *state;

	store_close(ev->st);
	identity_free(ev->me);
	testdir_remove(ev->base);
	free(ev);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_eval, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

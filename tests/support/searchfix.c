/* The search tests' fixture: the demo data imported into a shared store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "core/identity.h"
#include "store/publish.h"
#include "core/record.h"
#include "store/search.h"
#include "searchfix.h"
#include "searchjson.h"
#include "store/store.h"
#include "testdir.h"

static const char *files[NFILES] = {
	"catalonia", "evora", "italy", "nagykovacsi", "romania", "wales",
};

static void
remove_dir(const char *dir)
{
	testdir_remove(dir);
}

uint64_t
searchfix_seq_of(struct store *st, const uint8_t id[TESS_ID_LEN])
{
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	size_t len;
	uint64_t seq = 0;

	assert_int_equal(store_get(st, id, &body, &len, sig, &seq), 0);
	free(body);
	return seq;
}

/* Publishes every line of one demo file as community f. */
static void
import_file(struct searchfix *fx, const char *datadir, int f)
{
	char path[PATH_MAX], *line = NULL, *cause = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.jsonl", datadir, files[f]);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while ((len = getline(&line, &cap, fp)) > 0) {
		struct jval v;
		struct searchjson_tmpl t;
		const char *p = line;
		struct searchfix_rec *im;

		lineno++;
		if (len <= 1)
			continue;
		if (searchjson_value(&p, &v) != 0)
			fail_msg("%s:%d: cannot parse", path, lineno);
		searchjson_tmpl_build(&t, &v);
		assert_true(fx->nrec < SEARCHFIX_MAX_RECORDS);
		im = &fx->rec[fx->nrec++];
		im->file = f;
		im->line = lineno;
		im->kind = (int)t.r.kind;
		if (publish_record(fx->st, fx->id[f], &t.r, NULL, im->id, &cause) != 0)
			fail_msg("%s:%d: %s", path, lineno, cause);
		im->seq = searchfix_seq_of(fx->st, im->id);
		searchjson_tmpl_free(&t);
		searchjson_free(&v);
	}
	free(line);
	fclose(fp);
}

int
searchfix_group_setup(void **state, const char *datadir)
{
	struct searchfix *fx = calloc(1, sizeof(*fx));
	char *cause = NULL;

	if (fx == NULL)
		return -1;
	snprintf(fx->base, sizeof(fx->base), "/tmp/test_search.XXXXXX");
	if (mkdtemp(fx->base) == NULL)
		return -1;
	for (int f = 0; f < NFILES; f++) {
		snprintf(fx->iddir[f], sizeof(fx->iddir[f]), "%s/%s", fx->base, files[f]);
		if (mkdir(fx->iddir[f], 0700) != 0 ||
		    identity_create(fx->iddir[f], &fx->id[f], &cause) != 0) {
			fprintf(stderr, "identity: %s\n", cause ? cause : "mkdir");
			free(cause);
			return -1;
		}
	}
	snprintf(fx->storedir, sizeof(fx->storedir), "%s/store", fx->base);
	if (mkdir(fx->storedir, 0700) != 0 || store_open(fx->storedir, true, &fx->st, &cause)) {
		fprintf(stderr, "store: %s\n", cause ? cause : "mkdir");
		free(cause);
		return -1;
	}
	for (int f = 0; f < NFILES; f++)
		import_file(fx, datadir, f);
	*state = fx;
	return 0;
}

int
searchfix_group_teardown(void **state)
{
	struct searchfix *fx = *state;

	store_close(fx->st);
	remove_dir(fx->storedir);
	for (int f = 0; f < NFILES; f++) {
		identity_free(fx->id[f]);
		remove_dir(fx->iddir[f]);
	}
	remove_dir(fx->base);
	free(fx);
	return 0;
}

/* A fresh empty store for tests that write. */
int
searchfix_setup_fresh(void **state)
{
	struct searchfix *fx = *state;
	char *cause = NULL;

	snprintf(fx->freshdir, sizeof(fx->freshdir), "%s/fresh", fx->base);
	if (mkdir(fx->freshdir, 0700) != 0 ||
	    store_open(fx->freshdir, true, &fx->fresh, &cause) != 0) {
		fprintf(stderr, "fresh store: %s\n", cause ? cause : "mkdir");
		free(cause);
		return -1;
	}
	return 0;
}

int
searchfix_teardown_fresh(void **state)
{
	struct searchfix *fx = *state;

	store_close(fx->fresh);
	fx->fresh = NULL;
	remove_dir(fx->freshdir);
	return 0;
}

const struct searchfix_rec *
searchfix_by_seq(const struct searchfix *fx, uint64_t seq)
{
	for (size_t i = 0; i < fx->nrec; i++)
		if (fx->rec[i].seq == seq)
			return &fx->rec[i];
	fail_msg("seq %llu is not an imported record", (unsigned long long)seq);
	return NULL;
}

const struct searchfix_rec *
searchfix_by_line(const struct searchfix *fx, int file, int line)
{
	for (size_t i = 0; i < fx->nrec; i++)
		if (fx->rec[i].file == file && fx->rec[i].line == line)
			return &fx->rec[i];
	fail_msg("%s:%d was not imported", files[file], line);
	return NULL;
}

Tessera__Record *
searchfix_load_seq(struct store *st, uint64_t seq)
{
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	Tessera__Record *r = NULL;
	size_t len;

	assert_int_equal(store_get_seq(st, seq, &body, &len, sig), 0);
	assert_int_equal(record_open(body, len, sig, TESS_SIG_LEN, &r, NULL), 0);
	free(body);
	return r;
}

size_t
searchfix_count(struct store *st, const char *q)
{
	struct search_hit *hits;
	size_t n;

	hits = searchfix_query(st, q, NULL, &n);
	search_hits_free(hits, n);
	return n;
}

/* Once the texts waiting are indexed, the FTS index holds exactly the
 * texts table (FTS5's own check): a text removed before it was indexed
 * left nothing behind, and one removed after left nothing either. */
void
searchfix_fts_ok(struct store *st)
{
	char *err = NULL;
	int rc;

	assert_int_equal(store_index_catch_up(st, SIZE_MAX), 0);
	assert_false(store_index_pending(st));
	rc = sqlite3_exec(store_db(st),
	    "INSERT INTO texts_fts (texts_fts, rank) VALUES ('integrity-check', 1)", NULL, NULL,
	    &err);

	if (rc != SQLITE_OK) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err ? err : "?");
		sqlite3_free(err);
		fail_msg("FTS index out of step with the texts: %s", msg);
	}
}

struct search_hit *
searchfix_query(struct store *st, const char *q, const struct search_filter *f, size_t *n)
{
	struct search_filter none = { 0 };
	struct search_hit *hits = NULL;
	char *cause = NULL;
	int rc = search_query(st, q, f ? f : &none, &hits, n, &cause);

	if (rc != 0)
		fail_msg("search \"%s\": %d %s", q, rc, cause ? cause : "");
	assert_null(cause);
	for (size_t i = 0; i < *n; i++)
		for (size_t k = 0; k < i; k++)
			if (hits[i].seq == hits[k].seq)
				fail_msg("search \"%s\": record %llu twice", q,
				    (unsigned long long)hits[i].seq);
	return hits;
}

bool
searchfix_has_hit(const struct search_hit *hits, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (hits[i].seq == seq)
			return true;
	return false;
}

/* q finds exactly the given lines of one file (line 0 ends the list), in
 * lang, as its exact and folded hits, ranked first; other forms of the
 * words (stems, transliterations) may add hits after them. */
void
searchfix_expect_hits(struct searchfix *fx, const char *q, const char *lang,
    int file, const int *lines)
{
	struct search_hit *hits;
	size_t n, want = 0, folded = 0;

	hits = searchfix_query(fx->st, q, &(struct search_filter){ .limit = 100 }, &n);
	for (const int *l = lines; *l != 0; l++, want++)
		if (!searchfix_has_hit(hits, n, searchfix_by_line(fx, file, *l)->seq))
			fail_msg("\"%s\" does not find %s:%d", q, files[file], *l);
	for (size_t i = 0; i < n; i++) {
		const struct searchfix_rec *im = searchfix_by_seq(fx, hits[i].seq);

		assert_non_null(hits[i].snippet);
		if (hits[i].match > SEARCH_FOLDED)
			continue;
		if (i != folded)
			fail_msg("\"%s\": %s hit after another form", q, search_match_name(hits[i].match));
		folded++;
		if (im->file != file)
			fail_msg("\"%s\" finds %s:%d", q, files[im->file], im->line);
		if (lang != NULL)
			assert_string_equal(hits[i].lang, lang);
	}
	assert_int_equal(folded, want);
	search_hits_free(hits, n);
}

/* Search over the demo data: diacritics and case folded in every language,
 * filters, snippets, ranking, hostile query text, listing order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "identity.h"
#include "publish.h"
#include "record.h"
#include "search.h"
#include "store.h"
#include "util.h"

/* The demo files, one community (identity) each. */
enum { CATALONIA, EVORA, ITALY, NAGYKOVACSI, ROMANIA, WALES, NFILES };
static const char *files[NFILES] = {
	"catalonia", "evora", "italy", "nagykovacsi", "romania", "wales",
};

#define MAX_RECORDS 64

struct imported {
	int file;
	int line;                   /* 1-based line in the file */
	int kind;
	uint8_t id[TESS_ID_LEN];
	uint64_t seq;
};

struct fixture {
	char base[64];
	char iddir[NFILES][96], storedir[96];
	struct identity *id[NFILES];
	struct store *st;           /* the demo data, shared and never modified */
	struct imported rec[MAX_RECORDS];
	size_t nrec;
	char freshdir[96];          /* a store of the test's own */
	struct store *fresh;
};

/* A minimal JSON reader: enough for the import format. */
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	char *str;
	size_t n;
	char **keys;
	struct jval *items;
};

static void
json_free(struct jval *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (v->keys != NULL)
			free(v->keys[i]);
		json_free(&v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

static void
json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static void
utf8_put(char **o, uint32_t cp)
{
	unsigned char *u = (unsigned char *)*o;

	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xc0 | cp >> 6);
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xe0 | cp >> 12);
		*u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*u++ = (unsigned char)(0xf0 | cp >> 18);
		*u++ = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)u;
}

static int
json_hex4(const char *p, uint32_t *cp)
{
	*cp = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		*cp = *cp << 4 | (uint32_t)d;
	}
	return 0;
}

static int
json_string(const char **p, char **out)
{
	const char *s = *p + 1;
	char *buf, *o;

	buf = o = malloc(strlen(s) + 1);
	assert_non_null(buf);
	while (*s != '"') {
		if (*s == '\0')
			goto bad;
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case '"': case '\\': case '/':
			*o++ = *s;
			break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			uint32_t cp, lo;

			if (json_hex4(s + 1, &cp) != 0)
				goto bad;
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' && s[2] == 'u' &&
			    json_hex4(s + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			utf8_put(&o, cp);
			break;
		}
		default:
			goto bad;
		}
		s++;
	}
	*o = '\0';
	*out = buf;
	*p = s + 1;
	return 0;
bad:
	free(buf);
	return -1;
}

static int
json_value(const char **p, struct jval *v)
{
	memset(v, 0, sizeof(*v));
	json_ws(p);
	if (**p == '"') {
		v->type = J_STR;
		return json_string(p, &v->str);
	}
	if (**p == '[' || **p == '{') {
		bool obj = **p == '{';
		char close = obj ? '}' : ']';

		v->type = obj ? J_OBJ : J_ARR;
		(*p)++;
		json_ws(p);
		if (**p == close) {
			(*p)++;
			return 0;
		}
		for (;;) {
			char *key = NULL;

			v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
			assert_non_null(v->items);
			if (obj) {
				v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
				assert_non_null(v->keys);
				json_ws(p);
				if (**p != '"' || json_string(p, &key) != 0)
					return -1;
				json_ws(p);
				if (**p != ':') {
					free(key);
					return -1;
				}
				(*p)++;
				v->keys[v->n] = key;
			}
			if (json_value(p, &v->items[v->n]) != 0) {
				if (obj)
					v->keys[v->n] = NULL;
				free(key);
				return -1;
			}
			v->n++;
			json_ws(p);
			if (**p == ',') {
				(*p)++;
				continue;
			}
			if (**p != close)
				return -1;
			(*p)++;
			return 0;
		}
	}
	if (strncmp(*p, "true", 4) == 0 || strncmp(*p, "null", 4) == 0) {
		v->type = **p == 't' ? J_BOOL : J_NULL;
		*p += 4;
		return 0;
	}
	if (strncmp(*p, "false", 5) == 0) {
		v->type = J_BOOL;
		*p += 5;
		return 0;
	}
	if (strchr("-0123456789", **p) != NULL && **p != '\0') {
		v->type = J_NUM;
		while (**p != '\0' && strchr("+-0123456789.eE", **p) != NULL)
			(*p)++;
		return 0;
	}
	return -1;
}

static const struct jval *
json_get(const struct jval *obj, const char *key)
{
	if (obj == NULL || obj->type != J_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

static char *
json_str(const struct jval *obj, const char *key)
{
	const struct jval *v = json_get(obj, key);

	return v != NULL && v->type == J_STR ? v->str : NULL;
}

static size_t
json_len(const struct jval *v)
{
	return v != NULL && v->type == J_ARR ? v->n : 0;
}

/* Storage for a record template built from one JSON line. */
struct tmpl {
	Tessera__Record r;
	Tessera__Text *text, **texts;
	Tessera__Link *link, **links;
	Tessera__Profile profile;
	char **tags, **langs;
};

static void
tmpl_build(struct tmpl *t, const struct jval *line)
{
	const struct jval *texts = json_get(line, "texts"), *tags = json_get(line, "tags");
	const struct jval *links = json_get(line, "links"), *langs = json_get(line, "languages");
	const char *kind = json_str(line, "kind");
	size_t n;

	memset(t, 0, sizeof(*t));
	tessera__record__init(&t->r);
	assert_non_null(kind);
	t->r.has_kind = 1;
	t->r.kind = (Tessera__Kind)record_kind_parse(kind);
	assert_true(record_kind_known((int)t->r.kind));
	n = json_len(texts);
	t->text = calloc(n + 1, sizeof(*t->text));
	t->texts = calloc(n + 1, sizeof(*t->texts));
	assert_non_null(t->text);
	assert_non_null(t->texts);
	for (size_t i = 0; i < n; i++) {
		tessera__text__init(&t->text[i]);
		t->text[i].lang = json_str(&texts->items[i], "lang");
		t->text[i].title = json_str(&texts->items[i], "title");
		t->text[i].summary = json_str(&texts->items[i], "summary");
		t->text[i].body = json_str(&texts->items[i], "body");
		t->texts[i] = &t->text[i];
	}
	t->r.n_texts = n;
	t->r.texts = t->texts;
	n = json_len(tags);
	t->tags = calloc(n + 1, sizeof(*t->tags));
	assert_non_null(t->tags);
	for (size_t i = 0; i < n; i++)
		t->tags[i] = tags->items[i].str;
	t->r.n_tags = n;
	t->r.tags = t->tags;
	n = json_len(links);
	t->link = calloc(n + 1, sizeof(*t->link));
	t->links = calloc(n + 1, sizeof(*t->links));
	assert_non_null(t->link);
	assert_non_null(t->links);
	for (size_t i = 0; i < n; i++) {
		tessera__link__init(&t->link[i]);
		t->link[i].url = json_str(&links->items[i], "url");
		t->link[i].title = json_str(&links->items[i], "title");
		t->links[i] = &t->link[i];
	}
	t->r.n_links = n;
	t->r.links = t->links;
	if (t->r.kind == TESSERA__KIND__KIND_PROFILE) {
		n = json_len(langs);
		t->langs = calloc(n + 1, sizeof(*t->langs));
		assert_non_null(t->langs);
		for (size_t i = 0; i < n; i++)
			t->langs[i] = langs->items[i].str;
		tessera__profile__init(&t->profile);
		t->profile.name = json_str(line, "name");
		t->profile.country = json_str(line, "country");
		t->profile.languages = t->langs;
		t->profile.n_languages = n;
		t->r.profile = &t->profile;
	}
}

static void
tmpl_free(struct tmpl *t)
{
	free(t->text);
	free(t->texts);
	free(t->link);
	free(t->links);
	free(t->tags);
	free(t->langs);
}

static void
remove_dir(const char *dir)
{
	testdir_remove(dir);
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

/* Publishes every line of one demo file as community f. */
static void
import_file(struct fixture *fx, int f)
{
	char path[PATH_MAX], *line = NULL, *cause = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.jsonl", TESSERA_DATA_DIR, files[f]);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while ((len = getline(&line, &cap, fp)) > 0) {
		struct jval v;
		struct tmpl t;
		const char *p = line;
		struct imported *im;

		lineno++;
		if (len <= 1)
			continue;
		if (json_value(&p, &v) != 0)
			fail_msg("%s:%d: cannot parse", path, lineno);
		tmpl_build(&t, &v);
		assert_true(fx->nrec < MAX_RECORDS);
		im = &fx->rec[fx->nrec++];
		im->file = f;
		im->line = lineno;
		im->kind = (int)t.r.kind;
		if (publish_record(fx->st, fx->id[f], &t.r, NULL, im->id, &cause) != 0)
			fail_msg("%s:%d: %s", path, lineno, cause);
		im->seq = seq_of(fx->st, im->id);
		tmpl_free(&t);
		json_free(&v);
	}
	free(line);
	fclose(fp);
}

static int
group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
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
		import_file(fx, f);
	*state = fx;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *fx = *state;

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
static int
setup_fresh(void **state)
{
	struct fixture *fx = *state;
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

static int
teardown_fresh(void **state)
{
	struct fixture *fx = *state;

	store_close(fx->fresh);
	fx->fresh = NULL;
	remove_dir(fx->freshdir);
	return 0;
}

static const struct imported *
by_seq(const struct fixture *fx, uint64_t seq)
{
	for (size_t i = 0; i < fx->nrec; i++)
		if (fx->rec[i].seq == seq)
			return &fx->rec[i];
	fail_msg("seq %llu is not an imported record", (unsigned long long)seq);
	return NULL;
}

static const struct imported *
by_line(const struct fixture *fx, int file, int line)
{
	for (size_t i = 0; i < fx->nrec; i++)
		if (fx->rec[i].file == file && fx->rec[i].line == line)
			return &fx->rec[i];
	fail_msg("%s:%d was not imported", files[file], line);
	return NULL;
}

static Tessera__Record *
load_seq(struct store *st, uint64_t seq)
{
	uint8_t *body = NULL, sig[TESS_SIG_LEN];
	Tessera__Record *r = NULL;
	size_t len;

	assert_int_equal(store_get_seq(st, seq, &body, &len, sig), 0);
	assert_int_equal(record_open(body, len, sig, TESS_SIG_LEN, &r, NULL), 0);
	free(body);
	return r;
}

/* The FTS index holds exactly the texts table (FTS5's own check). */
static void
fts_ok(struct store *st)
{
	char *err = NULL;
	int rc = sqlite3_exec(store_db(st),
	    "INSERT INTO texts_fts (texts_fts, rank) VALUES ('integrity-check', 1)", NULL, NULL,
	    &err);

	if (rc != SQLITE_OK) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err ? err : "?");
		sqlite3_free(err);
		fail_msg("FTS index out of step with the texts: %s", msg);
	}
}

static struct search_hit *
query(struct store *st, const char *q, const struct search_filter *f, size_t *n)
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

static bool
has_hit(const struct search_hit *hits, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (hits[i].seq == seq)
			return true;
	return false;
}

/* q finds exactly the given lines of one file (line 0 ends the list), in lang. */
static void
expect_hits(struct fixture *fx, const char *q, const char *lang, int file, const int *lines)
{
	struct search_hit *hits;
	size_t n, want = 0;

	hits = query(fx->st, q, NULL, &n);
	for (const int *l = lines; *l != 0; l++, want++)
		if (!has_hit(hits, n, by_line(fx, file, *l)->seq))
			fail_msg("\"%s\" does not find %s:%d", q, files[file], *l);
	for (size_t i = 0; i < n; i++) {
		const struct imported *im = by_seq(fx, hits[i].seq);

		if (im->file != file)
			fail_msg("\"%s\" finds %s:%d", q, files[im->file], im->line);
		if (lang != NULL)
			assert_string_equal(hits[i].lang, lang);
		assert_non_null(hits[i].snippet);
	}
	assert_int_equal(n, want);
	search_hits_free(hits, n);
}

static void
test_import(void **state)
{
	struct fixture *fx = *state;
	struct store_stats stats;
	struct store_author *a;
	size_t n, profiles = 0;

	assert_int_equal(fx->nrec, 17);
	fts_ok(fx->st);
	assert_int_equal(store_stats(fx->st, &stats), 0);
	assert_int_equal(stats.records, 17);
	for (size_t i = 0; i < fx->nrec; i++)
		profiles += fx->rec[i].kind == TESSERA__KIND__KIND_PROFILE;
	assert_int_equal(profiles, NFILES);
	assert_int_equal(store_authors(fx->st, &a, &n), 0);
	assert_int_equal(n, NFILES);
	for (size_t i = 0; i < n; i++)
		assert_non_null(a[i].name);
	store_authors_free(a, n);
}

static void
test_romanian(void **state)
{
	struct fixture *fx = *state;
	static const int lines[] = { 1, 2, 0 };

	/* Without diacritics, with them, in capitals, with cedillas (ş ţ)
	 * instead of commas below (ș ț): all the same word. */
	expect_hits(fx, "comunitatii", "ro", ROMANIA, lines);
	expect_hits(fx, "comunității", "ro", ROMANIA, lines);
	expect_hits(fx, "COMUNITĂȚII", "ro", ROMANIA, lines);
	expect_hits(fx, "comunităţii", "ro", ROMANIA, lines);
	/* Words from the title: both must match. */
	{
		static const int two[] = { 2, 0 };

		expect_hits(fx, "ghid comunitatii", "ro", ROMANIA, two);
	}
}

static void
test_hungarian(void **state)
{
	struct fixture *fx = *state;
	static const int lines[] = { 1, 3, 0 }, prefixed[] = { 1, 3, 4, 5, 0 };

	/* Exactly the word; its longer forms ("közösségi", "közösségek") by prefix. */
	expect_hits(fx, "kozosseg", "hu", NAGYKOVACSI, lines);
	expect_hits(fx, "kozosseg*", "hu", NAGYKOVACSI, prefixed);
	expect_hits(fx, "KÖZÖSSÉG*", "hu", NAGYKOVACSI, prefixed);
	expect_hits(fx, "közösség", "hu", NAGYKOVACSI, lines);
	expect_hits(fx, "KÖZÖSSÉG", "hu", NAGYKOVACSI, lines);
	/* ő and ű, typed with or without their accents. */
	{
		static const int one[] = { 1, 0 }, five[] = { 5, 0 };

		expect_hits(fx, "egyuttmukodesehez", "hu", NAGYKOVACSI, one);
		expect_hits(fx, "együttműködéséhez", "hu", NAGYKOVACSI, one);
		expect_hits(fx, "segitoi", "hu", NAGYKOVACSI, five);
		expect_hits(fx, "SEGÍTŐI", "hu", NAGYKOVACSI, five);
	}
	{
		struct search_hit *hits;
		size_t n;

		hits = query(fx->st, "nagykovacsi", NULL, &n);
		assert_true(n >= 1);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(by_seq(fx, hits[i].seq)->file, NAGYKOVACSI);
		search_hits_free(hits, n);
	}
}

static void
test_cyrillic(void **state)
{
	struct fixture *fx = *state;
	static const int lines[] = { 2, 0 };

	/* "Традиционные" and "Когда" are capitalized in the data. */
	expect_hits(fx, "традиционные", "ru", CATALONIA, lines);
	expect_hits(fx, "ТРАДИЦИОННЫЕ", "ru", CATALONIA, lines);
	expect_hits(fx, "когда", "ru", CATALONIA, lines);
	expect_hits(fx, "изменяем роли", "ru", CATALONIA, lines);
	expect_hits(fx, "сообществ*", "ru", CATALONIA, lines);
}

static void
test_catalan_portuguese(void **state)
{
	struct fixture *fx = *state;
	static const int one[] = { 1, 0 }, three[] = { 3, 0 }, two[] = { 2, 0 };
	static const int both[] = { 1, 2, 0 };

	expect_hits(fx, "historia", "ca", CATALONIA, one);
	expect_hits(fx, "Història", "ca", CATALONIA, one);
	expect_hits(fx, "comunitaria", "ca", CATALONIA, one);
	expect_hits(fx, "innovacio", "ca", CATALONIA, three);
	expect_hits(fx, "INNOVACIÓ", "ca", CATALONIA, three);
	expect_hits(fx, "inovacao", "pt", EVORA, two);
	expect_hits(fx, "inovação", "pt", EVORA, two);
	expect_hits(fx, "evora", "en", EVORA, both);
	/* Tags are searchable words too ("partnership" is only a tag here). */
	expect_hits(fx, "partnership", NULL, CATALONIA, two);
	expect_hits(fx, "changing-roles", NULL, CATALONIA, two);
	expect_hits(fx, "ÉVORA", "en", EVORA, both);
}

/* True if record r satisfies filter f (lang checked on the hit instead). */
static bool
matches(const Tessera__Record *r, const struct search_filter *f)
{
	bool tag = f->tag == NULL;

	if (f->kind > 0 && (int)r->kind != f->kind)
		return false;
	if (f->has_author && memcmp(r->author.data, f->author, TESS_KEY_LEN) != 0)
		return false;
	for (size_t i = 0; i < r->n_tags && !tag; i++)
		tag = strcmp(r->tags[i], f->tag) == 0;
	return tag;
}

/* The filtered result is exactly the unfiltered one restricted to the filter. */
static size_t
check_filter(struct fixture *fx, const char *q, struct search_filter *f)
{
	struct search_hit *all, *some;
	size_t nall, nsome, want = 0;

	f->limit = 100;
	all = query(fx->st, q, &(struct search_filter){ .limit = 100 }, &nall);
	some = query(fx->st, q, f, &nsome);
	for (size_t i = 0; i < nsome; i++) {
		Tessera__Record *r = load_seq(fx->st, some[i].seq);

		if (!matches(r, f))
			fail_msg("\"%s\": hit %llu does not match the filter", q,
			    (unsigned long long)some[i].seq);
		if (f->lang != NULL) {
			assert_non_null(some[i].lang);
			assert_string_equal(some[i].lang, f->lang);
			assert_string_equal(record_text(r, f->lang)->lang, f->lang);
		}
		assert_true(has_hit(all, nall, some[i].seq));
		record_free(r);
	}
	for (size_t i = 0; i < nall && f->lang == NULL; i++) {
		Tessera__Record *r = load_seq(fx->st, all[i].seq);

		if (matches(r, f)) {
			want++;
			if (!has_hit(some, nsome, all[i].seq))
				fail_msg("\"%s\": filter loses %llu", q,
				    (unsigned long long)all[i].seq);
		}
		record_free(r);
	}
	if (f->lang == NULL)
		assert_int_equal(nsome, want);
	assert_true(nsome <= nall);
	search_hits_free(all, nall);
	search_hits_free(some, nsome);
	return nsome;
}

static void
test_filters(void **state)
{
	struct fixture *fx = *state;
	struct search_filter f;
	size_t n, nall;
	struct search_hit *hits;

	hits = query(fx->st, "xploit", &(struct search_filter){ .limit = 100 }, &nall);
	search_hits_free(hits, nall);
	assert_true(nall >= 10);

	/* Kind. */
	f = (struct search_filter){ .kind = TESSERA__KIND__KIND_RESOURCE };
	n = check_filter(fx, "xploit", &f);
	assert_true(n > 0 && n < nall);
	f = (struct search_filter){ .kind = TESSERA__KIND__KIND_INITIATIVE };
	n = check_filter(fx, "xploit", &f);
	assert_int_equal(n, 1);        /* evora:2 ("Xploit in Évora") */
	f = (struct search_filter){ .kind = TESSERA__KIND__KIND_PROFILE };
	n = check_filter(fx, "xploit", &f);
	assert_int_equal(n, 1);        /* wales:1 */
	f = (struct search_filter){ .kind = 9 };
	assert_int_equal(check_filter(fx, "xploit", &f), 0);

	/* Author. */
	f = (struct search_filter){ .has_author = true };
	memcpy(f.author, fx->id[NAGYKOVACSI]->pub, TESS_KEY_LEN);
	n = check_filter(fx, "xploit", &f);
	assert_int_equal(n, 4);
	memcpy(f.author, fx->id[ROMANIA]->pub, TESS_KEY_LEN);
	assert_int_equal(check_filter(fx, "xploit", &f), 2);
	memcpy(f.author, fx->id[ITALY]->pub, TESS_KEY_LEN);
	assert_int_equal(check_filter(fx, "xploit", &f), 0);

	/* Tag. */
	f = (struct search_filter){ .tag = "innovation" };
	hits = query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, 2);
	assert_true(has_hit(hits, n, by_line(fx, CATALONIA, 3)->seq));
	assert_true(has_hit(hits, n, by_line(fx, ROMANIA, 3)->seq));
	search_hits_free(hits, n);
	assert_int_equal(check_filter(fx, "xploit", &f), 2);
	f = (struct search_filter){ .tag = "learning-community" };
	assert_int_equal(check_filter(fx, "xploit", &f), 2);   /* romania:2, wales:2 */
	f = (struct search_filter){ .tag = "learning" };       /* not a tag, only a word */
	assert_int_equal(check_filter(fx, "xploit", &f), 0);

	/* Language: the hit is the text in that language. */
	f = (struct search_filter){ .lang = "ru" };
	hits = query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].seq, by_line(fx, CATALONIA, 2)->seq);
	assert_string_equal(hits[0].lang, "ru");
	search_hits_free(hits, n);
	f = (struct search_filter){ .lang = "hu" };
	n = check_filter(fx, "xploit", &f);
	assert_int_equal(n, 4);
	f = (struct search_filter){ .lang = "en" };
	n = check_filter(fx, "xploit", &f);
	assert_true(n >= 4);
	f = (struct search_filter){ .lang = "de" };
	assert_int_equal(check_filter(fx, "xploit", &f), 0);

	/* Combined. */
	f = (struct search_filter){ .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "hu",
		.tag = "results", .has_author = true };
	memcpy(f.author, fx->id[NAGYKOVACSI]->pub, TESS_KEY_LEN);
	hits = query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].seq, by_line(fx, NAGYKOVACSI, 4)->seq);
	search_hits_free(hits, n);
	f.kind = TESSERA__KIND__KIND_INITIATIVE;
	hits = query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
}

/* The bracketed words of a snippet, checked against a list of spellings. */
static void
check_snippet(const char *snippet, const char *const *spellings)
{
	const char *p = snippet;
	int marks = 0;

	assert_non_null(snippet);
	while ((p = strchr(p, '[')) != NULL) {
		const char *end = strchr(p, ']');
		bool known = false;

		assert_non_null(end);
		for (const char *const *s = spellings; *s && !known; s++)
			known = strlen(*s) == (size_t)(end - p - 1) &&
			    memcmp(*s, p + 1, strlen(*s)) == 0;
		if (!known)
			fail_msg("unexpected match in snippet: %.*s", (int)(end - p + 1), p);
		marks++;
		p = end + 1;
	}
	assert_true(marks > 0);
}

static void
test_snippets(void **state)
{
	struct fixture *fx = *state;
	static const char *const ro[] = { "comunității", "Comunității", "COMUNITĂȚII", NULL };
	static const char *const hu[] = { "közösség", "Közösség", "KÖZÖSSÉG", NULL };
	static const char *const ru[] = { "Традиционные", "традиционные", NULL };
	struct search_hit *hits;
	size_t n;

	hits = query(fx->st, "comunitatii", NULL, &n);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++)
		check_snippet(hits[i].snippet, ro);
	search_hits_free(hits, n);
	hits = query(fx->st, "kozosseg", NULL, &n);
	for (size_t i = 0; i < n; i++)
		check_snippet(hits[i].snippet, hu);
	search_hits_free(hits, n);
	hits = query(fx->st, "традиционные", NULL, &n);
	assert_int_equal(n, 1);
	check_snippet(hits[0].snippet, ru);
	search_hits_free(hits, n);
}

static void
test_limit_and_one_hit_per_record(void **state)
{
	struct fixture *fx = *state;
	struct search_filter f = { 0 };
	struct search_hit *hits;
	size_t n, nall;

	/* catalonia:2 matches "xploit" in two languages: one hit. */
	hits = query(fx->st, "xploit", &(struct search_filter){ .limit = 100 }, &nall);
	assert_true(has_hit(hits, nall, by_line(fx, CATALONIA, 2)->seq));
	for (size_t i = 1; i < nall; i++)
		assert_true(hits[i - 1].score <= hits[i].score);
	search_hits_free(hits, nall);
	for (uint32_t lim = 1; lim <= 3; lim++) {
		f.limit = lim;
		hits = query(fx->st, "xploit", &f, &n);
		assert_int_equal(n, lim);
		search_hits_free(hits, n);
	}
	/* The default limit. */
	f.limit = 0;
	hits = query(fx->st, "xploit", &f, &n);
	assert_int_equal(n, nall < SEARCH_DEFAULT_LIMIT ? nall : SEARCH_DEFAULT_LIMIT);
	search_hits_free(hits, n);
	/* A word nobody used. */
	hits = query(fx->st, "zzyzx", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
}

static void
test_fts_syntax_is_inert(void **state)
{
	struct fixture *fx = *state;
	static const char *with_words[] = {
		"\"xploit", "xploit\"", "\"xploit\"", "x\"ploit", "\"\"xploit\"\"",
		"(xploit", "xploit)", "(xploit)", "((xploit", "xploit))",
		"title:xploit", "title:", "title : xploit", "{title body}: xploit",
		"- xploit", "-xploit", "xploit -community", "xploit - community",
		"NEAR(xploit community)", "NEAR(", "NEAR(xploit", "NEAR/2", "xploit NEAR",
		"xploit AND", "AND xploit", "xploit OR", "OR xploit", "NOT xploit", "xploit NOT",
		"AND", "OR", "NOT", "AND OR NOT",
		"xploit*", "xploit *", "* xploit", "**xploit", "xploit**", "x*ploit",
		"^xploit", "xploit^", "+xploit", "xploit + community",
		"xploit;", "'; DROP TABLE records; --", "xploit' OR '1'='1", "%xploit%", "_xploit_",
		"comunității:", "közösség)", "(сообщество", "\\xploit", "xploit\\",
		"xploit – a learning community",
	};
	static const char *no_words[] = {
		"*", "**", "-", "--", "\"", "\"\"", "\"*\"", "(", ")", "()", ":", "^", "+",
		"( - * )", "\" \" \"", "NEAR(", "– … «»", "_", "😀", "\"–\"*",
	};

	for (size_t i = 0; i < sizeof(with_words) / sizeof(with_words[0]); i++) {
		struct search_hit *hits = NULL;
		char *cause = NULL;
		size_t n = 99;
		int rc = search_query(fx->st, with_words[i], &(struct search_filter){ 0 }, &hits,
		    &n, &cause);

		if (rc != 0)
			fail_msg("query '%s': %d %s", with_words[i], rc, cause ? cause : "");
		search_hits_free(hits, n);
	}
	/* Quoting keeps words words: a query with a quote finds what the
	 * word alone finds. */
	{
		struct search_hit *a, *b;
		size_t na, nb;

		a = query(fx->st, "xploit", NULL, &na);
		b = query(fx->st, "\"xploit\" (xploit) title:xploit*", NULL, &nb);
		assert_true(na > 0);
		search_hits_free(a, na);
		search_hits_free(b, nb);
		a = query(fx->st, "NEAR(kozosseg", NULL, &na);
		assert_int_equal(na, 0);      /* "near" is not in the Hungarian texts */
		search_hits_free(a, na);
		a = query(fx->st, "(kozosseg)", NULL, &na);
		assert_int_equal(na, 2);
		search_hits_free(a, na);
		a = query(fx->st, "-kozosseg", NULL, &na);
		assert_int_equal(na, 2);      /* not a negation */
		search_hits_free(a, na);
		a = query(fx->st, "kozosseg*", NULL, &na);
		assert_true(na >= 4);
		search_hits_free(a, na);
	}
	/* Punctuation alone is either no result or "empty query", never an error. */
	for (size_t i = 0; i < sizeof(no_words) / sizeof(no_words[0]); i++) {
		struct search_hit *hits = NULL;
		char *cause = NULL;
		size_t n = 0;
		int rc = search_query(fx->st, no_words[i], &(struct search_filter){ 0 }, &hits, &n,
		    &cause);

		if (rc == -EINVAL) {
			assert_non_null(cause);
			assert_string_equal(cause, "empty query");
			assert_null(hits);
		} else if (rc != 0) {
			fail_msg("query '%s': %d %s", no_words[i], rc, cause ? cause : "");
		}
		free(cause);
		search_hits_free(hits, n);
	}
}

static void
test_empty_query(void **state)
{
	struct fixture *fx = *state;
	static const char *empty[] = { "", " ", "\t\n ", "*", "-" };

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		struct search_hit *hits = (struct search_hit *)1;
		char *cause = NULL;
		size_t n = 99;

		assert_int_equal(search_query(fx->st, empty[i], &(struct search_filter){ 0 }, &hits,
		    &n, &cause), -EINVAL);
		assert_null(hits);
		assert_int_equal(n, 0);
		assert_non_null(cause);
		free(cause);
	}
	/* The cause is optional. */
	{
		struct search_hit *hits;
		size_t n;

		assert_int_equal(search_query(fx->st, "", &(struct search_filter){ 0 }, &hits, &n,
		    NULL), -EINVAL);
	}
}

static void
test_fts_expr(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "xploit", "\"xploit\"" },
		{ "  two   words ", "\"two\" \"words\"" },
		{ "pre*", "\"pre\"*" },
		{ "a\"b", "\"a\"\"b\"" },
		{ "title:x", "\"title:x\"" },
		{ "NEAR(a b)", "\"NEAR(a\" \"b)\"" },
		{ "-", "" },
		{ "*", "" },
		{ "", "" },
		{ "közösség", "\"közösség\"" },
		{ "\"\"\"x\"", "\"\"\"\"\"\"\"x\"\"\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e = search_fts_expr(cases[i].in);

		assert_non_null(e);
		if (strcmp(e, cases[i].out) != 0)
			fail_msg("search_fts_expr(%s) = %s, want %s", cases[i].in, e, cases[i].out);
		free(e);
	}
	/* Worst cases for the output buffer: quotes and stars everywhere. */
	{
		char in[4096];
		char *e;
		const char *pats[] = { "a\" ", "a\"* ", "\"a\"\"\"* ", "é\" ", "a ", "\"*a\"* " };

		for (size_t p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
			size_t o = 0, pl = strlen(pats[p]);

			while (o + pl < sizeof(in)) {
				memcpy(in + o, pats[p], pl);
				o += pl;
			}
			in[o] = '\0';
			e = search_fts_expr(in);
			assert_non_null(e);
			free(e);
			in[o - 1] = '\0';      /* without the trailing space */
			e = search_fts_expr(in);
			assert_non_null(e);
			free(e);
		}
	}
}

static void
test_ranking(void **state)
{
	struct fixture *fx = *state;
	struct identity *me = fx->id[WALES];
	struct publish_fields title = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
		.title = "Zeolite filters", .body = "A note on water." };
	struct publish_fields summary = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
		.title = "Water notes", .summary = "About zeolite in filters.",
		.body = "A longer note on water and what cleans it." };
	struct publish_fields body = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
		.title = "Village water", .summary = "How a village cleans its water.",
		.body = "Sand, charcoal and zeolite filter the village water; zeolite is cheap." };
	uint8_t it[TESS_ID_LEN], is[TESS_ID_LEN], ib[TESS_ID_LEN];
	struct search_hit *hits;
	char *cause = NULL;
	size_t n;

	/* Unrelated records, so that the word is rare enough to weigh. */
	for (int i = 0; i < 4; i++) {
		struct publish_fields other = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "en",
			.title = "Learning community", .body = "Water, sand and people." };

		assert_int_equal(publish_add(fx->fresh, me, &other, NULL, &cause), 0);
	}
	/* The title match is the oldest: recency must not beat it. */
	assert_int_equal(publish_add(fx->fresh, me, &title, it, &cause), 0);
	assert_int_equal(publish_add(fx->fresh, me, &summary, is, &cause), 0);
	assert_int_equal(publish_add(fx->fresh, me, &body, ib, &cause), 0);
	hits = query(fx->fresh, "zeolite", NULL, &n);
	assert_int_equal(n, 3);
	assert_int_equal(hits[0].seq, seq_of(fx->fresh, it));
	assert_true(hits[0].score < hits[1].score);
	assert_true(has_hit(hits, n, seq_of(fx->fresh, ib)));
	/* The body-only match is last. */
	assert_int_equal(hits[2].seq, seq_of(fx->fresh, ib));
	assert_true(strstr(hits[0].snippet, "[Zeolite]") != NULL);
	search_hits_free(hits, n);
}

static void
test_reindex_on_change(void **state)
{
	struct fixture *fx = *state;
	struct identity *me = fx->id[ROMANIA], *other = fx->id[EVORA];
	struct publish_fields f = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "ro",
		.title = "Grădina comunității", .body = "Legume și flori." };
	struct publish_fields e = { .title = "Livada comunității" };
	struct publish_fields g = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "pt",
		.title = "Horta comunitária" };
	uint8_t id[TESS_ID_LEN], gid[TESS_ID_LEN];
	struct search_hit *hits;
	char *cause = NULL;
	uint64_t removed;
	size_t n;

	assert_int_equal(publish_add(fx->fresh, me, &f, id, &cause), 0);
	hits = query(fx->fresh, "gradina", NULL, &n);
	assert_int_equal(n, 1);
	search_hits_free(hits, n);

	/* An edit replaces the indexed words. */
	assert_int_equal(publish_edit(fx->fresh, me, id, &e, &cause), 0);
	fts_ok(fx->fresh);
	hits = query(fx->fresh, "gradina", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
	hits = query(fx->fresh, "livada", NULL, &n);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0].seq, seq_of(fx->fresh, id));
	search_hits_free(hits, n);
	hits = query(fx->fresh, "legume", NULL, &n);   /* unchanged body */
	assert_int_equal(n, 1);
	search_hits_free(hits, n);

	/* A deletion removes it from search and listing. */
	assert_int_equal(publish_delete(fx->fresh, me, id, &cause), 0);
	fts_ok(fx->fresh);
	hits = query(fx->fresh, "livada", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
	hits = query(fx->fresh, "legume", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
	{
		uint64_t *seqs;

		assert_int_equal(search_list(fx->fresh, &(struct search_filter){ 0 }, &seqs, &n), 0);
		assert_int_equal(n, 0);
		free(seqs);
	}

	/* Blocking an author removes its texts from the index. */
	assert_int_equal(publish_add(fx->fresh, other, &g, gid, &cause), 0);
	hits = query(fx->fresh, "horta", NULL, &n);
	assert_int_equal(n, 1);
	search_hits_free(hits, n);
	assert_int_equal(store_block(fx->fresh, other->pub, true, &removed), 0);
	assert_int_equal(removed, 1);
	fts_ok(fx->fresh);
	hits = query(fx->fresh, "horta", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
	hits = query(fx->fresh, "comunitaria", NULL, &n);
	assert_int_equal(n, 0);
	search_hits_free(hits, n);
}

static size_t
count(struct store *st, const char *q)
{
	struct search_hit *hits;
	size_t n;

	hits = query(st, q, NULL, &n);
	search_hits_free(hits, n);
	return n;
}

/* Texts are indexed in bulk at commit: edits, rollbacks, blocks and
 * reopening inside and across transactions keep index and texts in step. */
static void
test_index_in_transactions(void **state)
{
	struct fixture *fx = *state;
	struct identity *me = fx->id[CATALONIA], *other = fx->id[WALES];
	struct publish_fields x = { .kind = TESSERA__KIND__KIND_RESOURCE, .lang = "ca",
		.title = "Hort comunitari", .body = "Tomàquets i enciams." };
	struct publish_fields x2 = { .title = "Jardí comunitari" };
	struct publish_fields x3 = { .lang = "es", .title = "Huerto comunitario" };
	struct publish_fields y = { .kind = TESSERA__KIND__KIND_INITIATIVE, .lang = "en",
		.title = "Seed library" };
	struct publish_fields z = { .kind = TESSERA__KIND__KIND_INITIATIVE, .lang = "en",
		.title = "Tool library" };
	uint8_t idx[TESS_ID_LEN], idy[TESS_ID_LEN], idz[TESS_ID_LEN];
	char *cause = NULL;
	uint64_t removed;

	/* Create, edit twice and add another, all in one transaction. */
	assert_int_equal(store_begin(fx->fresh), 0);
	assert_int_equal(publish_add(fx->fresh, me, &x, idx, &cause), 0);
	assert_int_equal(publish_edit(fx->fresh, me, idx, &x2, &cause), 0);
	assert_int_equal(publish_edit(fx->fresh, me, idx, &x3, &cause), 0);
	assert_int_equal(publish_add(fx->fresh, other, &y, idy, &cause), 0);
	assert_int_equal(store_commit(fx->fresh), 0);
	fts_ok(fx->fresh);
	assert_int_equal(count(fx->fresh, "hort"), 0);
	assert_int_equal(count(fx->fresh, "jardi"), 1);
	assert_int_equal(count(fx->fresh, "huerto"), 1);
	assert_int_equal(count(fx->fresh, "tomaquets"), 1);
	assert_int_equal(count(fx->fresh, "seed"), 1);

	/* A rolled-back record leaves no trace; the next one is indexed. */
	assert_int_equal(store_begin(fx->fresh), 0);
	assert_int_equal(publish_add(fx->fresh, me, &z, idz, &cause), 0);
	assert_int_equal(publish_edit(fx->fresh, me, idx, &x, &cause), 0);
	store_rollback(fx->fresh);
	fts_ok(fx->fresh);
	assert_int_equal(count(fx->fresh, "tool"), 0);
	assert_int_equal(count(fx->fresh, "jardi"), 1);
	assert_int_equal(publish_add(fx->fresh, me, &z, idz, &cause), 0);
	fts_ok(fx->fresh);
	assert_int_equal(count(fx->fresh, "tool"), 1);

	/* Remove the newest texts, then add: numbering must not confuse the index. */
	assert_int_equal(publish_delete(fx->fresh, me, idz, &cause), 0);
	fts_ok(fx->fresh);
	assert_int_equal(count(fx->fresh, "tool"), 0);
	assert_int_equal(store_block(fx->fresh, other->pub, true, &removed), 0);
	assert_int_equal(removed, 1);
	fts_ok(fx->fresh);
	assert_int_equal(count(fx->fresh, "seed"), 0);

	/* Across a reopen. */
	{
		struct store *st;

		store_close(fx->fresh);
		fx->fresh = NULL;
		assert_int_equal(store_open(fx->freshdir, false, &st, &cause), 0);
		fx->fresh = st;
	}
	fts_ok(fx->fresh);
	assert_int_equal(count(fx->fresh, "jardi"), 1);
	assert_int_equal(publish_edit(fx->fresh, me, idx, &x, &cause), 0);
	fts_ok(fx->fresh);
	assert_int_equal(count(fx->fresh, "hort"), 1);
	assert_int_equal(count(fx->fresh, "jardi"), 0);
	assert_int_equal(publish_add(fx->fresh, me, &z, idz, &cause), 0);
	assert_int_equal(store_block(fx->fresh, other->pub, false, &removed), 0);
	assert_int_equal(publish_add(fx->fresh, other, &y, idy, &cause), 0);
	fts_ok(fx->fresh);
	assert_int_equal(count(fx->fresh, "tool"), 1);
	assert_int_equal(count(fx->fresh, "seed"), 1);
	assert_int_equal(count(fx->fresh, "library"), 2);
}

static void
test_list_newest_first(void **state)
{
	struct fixture *fx = *state;
	struct identity *me = fx->id[NAGYKOVACSI];
	static const char *titles[] = { "Egy", "Kettő", "Három", "Négy", "Öt" };
	uint8_t id[5][TESS_ID_LEN];
	uint64_t seq[5], *seqs;
	char *cause = NULL;
	size_t n;

	for (int i = 0; i < 5; i++) {
		struct publish_fields f = { .kind = i % 2 ? TESSERA__KIND__KIND_INITIATIVE :
					    TESSERA__KIND__KIND_RESOURCE,
			.lang = i < 3 ? "hu" : "en", .title = titles[i] };

		assert_int_equal(publish_add(fx->fresh, me, &f, id[i], &cause), 0);
		seq[i] = seq_of(fx->fresh, id[i]);
	}
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ 0 }, &seqs, &n), 0);
	assert_int_equal(n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(seqs[i], seq[4 - i]);
	free(seqs);
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ .limit = 2 }, &seqs, &n),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(seqs[0], seq[4]);
	assert_int_equal(seqs[1], seq[3]);
	free(seqs);
	/* Filters. */
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ .kind =
	    TESSERA__KIND__KIND_INITIATIVE }, &seqs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(seqs[0], seq[3]);
	assert_int_equal(seqs[1], seq[1]);
	free(seqs);
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ .lang = "en" }, &seqs,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(seqs[0], seq[4]);
	free(seqs);
	{
		struct search_filter f = { .has_author = true };

		memcpy(f.author, fx->id[WALES]->pub, TESS_KEY_LEN);
		assert_int_equal(search_list(fx->fresh, &f, &seqs, &n), 0);
		assert_int_equal(n, 0);
		free(seqs);
		memcpy(f.author, me->pub, TESS_KEY_LEN);
		assert_int_equal(search_list(fx->fresh, &f, &seqs, &n), 0);
		assert_int_equal(n, 5);
		free(seqs);
	}

	/* An edit makes the oldest the newest. */
	{
		struct publish_fields e = { .summary = "Frissítve" };

		assert_int_equal(publish_edit(fx->fresh, me, id[0], &e, &cause), 0);
		seq[0] = seq_of(fx->fresh, id[0]);
	}
	assert_int_equal(search_list(fx->fresh, &(struct search_filter){ .limit = 1 }, &seqs, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], seq[0]);
	free(seqs);

	/* Newest by the record's own time: one that arrives late but was written
	 * long ago goes to the end. */
	{
		Tessera__Record r = TESSERA__RECORD__INIT, *dec = NULL;
		Tessera__Text t = TESSERA__TEXT__INIT, *tp[1] = { &t };
		uint8_t nonce[TESS_NONCE_LEN], rid[TESS_ID_LEN], *bytes, sig[TESS_SIG_LEN];
		enum store_put_result res;
		size_t len;

		assert_int_equal(record_new_id(fx->id[ITALY]->pub, nonce, rid), 0);
		r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = 1;
		r.id = (ProtobufCBinaryData){ TESS_ID_LEN, rid };
		r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
		r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)fx->id[ITALY]->pub };
		r.version = 1;
		r.timestamp = now_ms() - 86400000;
		r.has_kind = 1;
		r.kind = TESSERA__KIND__KIND_RESOURCE;
		t.lang = "it";
		t.title = "Comunità di ieri";
		r.n_texts = 1;
		r.texts = tp;
		assert_int_equal(record_seal(fx->id[ITALY], &r, &bytes, &len, sig), 0);
		assert_int_equal(record_open(bytes, len, sig, TESS_SIG_LEN, &dec, NULL), 0);
		assert_int_equal(store_put(fx->fresh, bytes, len, sig, dec, &res), 0);
		assert_int_equal(res, STORE_STORED);
		assert_int_equal(search_list(fx->fresh, &(struct search_filter){ 0 }, &seqs, &n),
		    0);
		assert_int_equal(n, 6);
		assert_int_equal(seqs[5], seq_of(fx->fresh, rid));
		assert_int_equal(seqs[0], seq[0]);
		free(seqs);
		record_free(dec);
		free(bytes);
	}
}

static void
test_list_imported(void **state)
{
	struct fixture *fx = *state;
	uint64_t *seqs;
	size_t n;
	int64_t prev = INT64_MAX;

	assert_int_equal(search_list(fx->st, &(struct search_filter){ 0 }, &seqs, &n), 0);
	assert_int_equal(n, fx->nrec);
	for (size_t i = 0; i < n; i++) {
		Tessera__Record *r = load_seq(fx->st, seqs[i]);

		assert_true(r->timestamp <= prev);
		if (i > 0 && r->timestamp == prev)
			assert_true(seqs[i] < seqs[i - 1]);
		prev = r->timestamp;
		record_free(r);
	}
	free(seqs);
	for (uint32_t lim = 1; lim < 5; lim++) {
		assert_int_equal(search_list(fx->st, &(struct search_filter){ .limit = lim }, &seqs,
		    &n), 0);
		assert_int_equal(n, lim);
		free(seqs);
	}
	assert_int_equal(search_list(fx->st, &(struct search_filter){ .tag = "innovation" },
	    &seqs, &n), 0);
	assert_int_equal(n, 2);
	free(seqs);
	assert_int_equal(search_list(fx->st, &(struct search_filter){ .kind =
	    TESSERA__KIND__KIND_PROFILE }, &seqs, &n), 0);
	assert_int_equal(n, NFILES);
	free(seqs);
	assert_int_equal(search_list(fx->st, &(struct search_filter){ .lang = "ru" }, &seqs, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(seqs[0], by_line(fx, CATALONIA, 2)->seq);
	free(seqs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_romanian),
		cmocka_unit_test(test_hungarian),
		cmocka_unit_test(test_cyrillic),
		cmocka_unit_test(test_catalan_portuguese),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_snippets),
		cmocka_unit_test(test_limit_and_one_hit_per_record),
		cmocka_unit_test(test_fts_syntax_is_inert),
		cmocka_unit_test(test_empty_query),
		cmocka_unit_test(test_fts_expr),
		cmocka_unit_test_setup_teardown(test_ranking, setup_fresh, teardown_fresh),
		cmocka_unit_test_setup_teardown(test_reindex_on_change, setup_fresh,
		    teardown_fresh),
		cmocka_unit_test_setup_teardown(test_index_in_transactions, setup_fresh,
		    teardown_fresh),
		cmocka_unit_test_setup_teardown(test_list_newest_first, setup_fresh,
		    teardown_fresh),
		cmocka_unit_test(test_list_imported),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

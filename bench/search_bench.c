/* search_bench: times search_query() in-process over a node's store.
 *
 *	search_bench [-p PASSES] [-l LIMIT] DATA_DIR QUERY_FILE
 *
 * QUERY_FILE holds one query per line as tab-separated fields: category,
 * query, kind ("" = any), lang ("" = any); gen_records.py --queries writes
 * it. The store is opened the way the daemon opens it (same cache size), so
 * the daemon must not be running on DATA_DIR: stop it or pass a copy.
 *
 * The first pass over the mix is reported on its own (cold statement and
 * page caches); the following PASSES passes give the figures per category
 * and overall. Times are wall-clock (CLOCK_MONOTONIC) around search_query,
 * hits included, freeing excluded. The last line is machine-readable:
 *
 *	RESULT n=... p50_ms=... p99_ms=... max_ms=... mean_ms=...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/identity.h"
#include "core/record.h"
#include "store/search.h"
#include "store/store.h"

#define MAX_QUERIES 100000
#define MAX_PASSES 1000
#define MAX_CATEGORIES 64

struct query {
	char *category;
	char *text;
	int kind;
	char *lang;
	size_t hits;            /* from the last pass */
};

struct samples {
	double *v;
	size_t n, cap;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: search_bench [-p PASSES] [-l LIMIT] DATA_DIR QUERY_FILE\n");
	exit(2);
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL) {
		fprintf(stderr, "search_bench: out of memory\n");
		exit(1);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
samples_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (nv == NULL) {
			fprintf(stderr, "search_bench: out of memory\n");
			exit(1);
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Nearest-rank percentile of sorted samples. */
static double
pct(const struct samples *s, double p)
{
	size_t k;

	if (s->n == 0)
		return 0;
	k = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > s->n)
		k = s->n;
	return s->v[k - 1];
}

static double
mean(const struct samples *s)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n ? sum / (double)s->n : 0;
}

static void
print_row(const char *name, size_t nq, double hits, struct samples *s)
{
	qsort(s->v, s->n, sizeof(*s->v), dbl_cmp);
	printf("%-12s %7zu %7.1f %9.3f %9.3f %9.3f %9.3f\n", name, nq, hits,
	    pct(s, 50), pct(s, 99), s->n ? s->v[s->n - 1] : 0, mean(s));
}

/* Splits line at tabs into at most max fields, in place. */
static size_t
split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static size_t
load_queries(const char *path, struct query **out)
{
	FILE *fp;
	char *line = NULL, *f[4];
	size_t cap = 0, n = 0, lineno = 0;
	ssize_t len;
	struct query *q;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "search_bench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	q = xmalloc(MAX_QUERIES * sizeof(*q));
	while (n < MAX_QUERIES && (len = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (split_tabs(line, f, 4) != 4) {
			fprintf(stderr, "search_bench: %s:%zu: want 4 tab-separated fields\n",
			    path, lineno);
			exit(1);
		}
		q[n].category = xstrdup(f[0]);
		q[n].text = xstrdup(f[1]);
		q[n].kind = 0;
		if (f[2][0] != '\0' && (q[n].kind = record_kind_parse(f[2])) < 0) {
			fprintf(stderr, "search_bench: %s:%zu: unknown kind '%s'\n", path,
			    lineno, f[2]);
			exit(1);
		}
		q[n].lang = f[3][0] != '\0' ? xstrdup(f[3]) : NULL;
		q[n].hits = 0;
		n++;
	}
	free(line);
	fclose(fp);
	if (n == 0) {
		fprintf(stderr, "search_bench: %s: no queries\n", path);
		exit(1);
	}
	*out = q;
	return n;
}

/* Runs one query; returns its time in ms. */
static double
run_query(struct store *st, struct query *q, uint32_t limit)
{
	struct search_filter f;
	struct search_hit *hits;
	size_t n;
	char *cause = NULL;
	double t0, t1;
	int rc;

	memset(&f, 0, sizeof(f));
	f.kind = q->kind;
	f.lang = q->lang;
	f.limit = limit;
	t0 = now_ns();
	rc = search_query(st, q->text, &f, &hits, &n, &cause);
	t1 = now_ns();
	if (rc != 0) {
		fprintf(stderr, "search_bench: query '%s': %s (%d)\n", q->text,
		    cause ? cause : store_errmsg(st), rc);
		free(cause);
		exit(1);
	}
	q->hits = n;
	search_hits_free(hits, n);
	return (t1 - t0) / 1e6;
}

int
main(int argc, char **argv)
{
	struct store *st;
	struct query *q;
	struct samples all = { 0 }, first = { 0 }, cat;
	const char *cats[MAX_CATEGORIES];
	char *cause = NULL, *end;
	size_t nq, ncats = 0, zero = 0, total_hits = 0;
	long passes = 5, limit = 20;
	double worst = 0;
	const char *worst_q = "";
	int ch;

	while ((ch = getopt(argc, argv, "p:l:")) != -1) {
		switch (ch) {
		case 'p':
			passes = strtol(optarg, &end, 10);
			if (*end != '\0' || passes < 1 || passes > MAX_PASSES)
				usage();
			break;
		case 'l':
			limit = strtol(optarg, &end, 10);
			if (*end != '\0' || limit < 1 || limit > 1000)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	nq = load_queries(argv[optind + 1], &q);
	if (store_open(argv[optind], false, &st, &cause) != 0) {
		fprintf(stderr, "search_bench: %s\n", cause ? cause : "cannot open store");
		return 1;
	}
	/* As the daemon: the node's own records are its community's. */
	{
		struct identity *id = NULL;

		if (identity_load(argv[optind], &id, &cause) == 0) {
			store_set_local(st, id->pub);
			identity_free(id);
		} else {
			fprintf(stderr, "search_bench: no identity (%s): every author is a stranger\n",
			    cause ? cause : "?");
			free(cause);
			cause = NULL;
		}
	}

	for (size_t i = 0; i < nq; i++)
		samples_add(&first, run_query(st, &q[i], (uint32_t)limit));
	for (long p = 0; p < passes; p++) {
		for (size_t i = 0; i < nq; i++) {
			double ms = run_query(st, &q[i], (uint32_t)limit);

			samples_add(&all, ms);
			if (ms > worst) {
				worst = ms;
				worst_q = q[i].text;
			}
		}
	}

	for (size_t i = 0; i < nq; i++) {
		size_t k;

		total_hits += q[i].hits;
		if (q[i].hits == 0)
			zero++;
		for (k = 0; k < ncats && strcmp(cats[k], q[i].category) != 0; k++)
			;
		if (k == ncats && ncats < MAX_CATEGORIES)
			cats[ncats++] = q[i].category;
	}
	printf("search_bench: %zu queries, 1 cold pass + %ld passes, limit %ld, %s\n", nq,
	    passes, limit, argv[optind]);
	printf("%-12s %7s %7s %9s %9s %9s %9s\n", "category", "queries", "hits/q", "p50_ms",
	    "p99_ms", "max_ms", "mean_ms");
	/* Per category first: all.v is still in run order (print_row sorts). */
	for (size_t k = 0; k < ncats; k++) {
		size_t cq = 0, chits = 0;

		memset(&cat, 0, sizeof(cat));
		for (long p = 0; p < passes; p++)
			for (size_t i = 0; i < nq; i++)
				if (strcmp(q[i].category, cats[k]) == 0)
					samples_add(&cat, all.v[(size_t)p * nq + i]);
		for (size_t i = 0; i < nq; i++)
			if (strcmp(q[i].category, cats[k]) == 0) {
				cq++;
				chits += q[i].hits;
			}
		print_row(cats[k], cq, cq ? (double)chits / (double)cq : 0, &cat);
		free(cat.v);
	}
	print_row("first-pass", nq, (double)total_hits / (double)nq, &first);
	print_row("ALL", nq, (double)total_hits / (double)nq, &all);
	printf("queries without hits: %zu of %zu; slowest: '%s' %.3f ms\n", zero, nq, worst_q,
	    worst);
	/* all.v is sorted by print_row. */
	printf("RESULT n=%zu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f\n", all.n,
	    pct(&all, 50), pct(&all, 99), all.v[all.n - 1], mean(&all));

	store_close(st);
	for (size_t i = 0; i < nq; i++) {
		free(q[i].category);
		free(q[i].text);
		free(q[i].lang);
	}
	free(q);
	free(all.v);
	free(first.v);
	return 0;
}

/* The auxiliary function tessera_match() (tokenizer.h, TOK_MATCH_FN):
 * how well a row matched, by the forms of the query words it holds. */
#include "store/tokenizer.h"

#include <string.h>

/* Weights of the columns title, summary, body, tags, who in the score. */
static const double col_weight[] = { 10.0, 4.0, 1.0, 2.0, 0.0 };

/* tessera_match(texts_fts, map): see tokenizer.h. It walks the row's
 * phrase instances rather than asking each of the (many) phrases whether
 * it matched, and scores the row as it goes: bm25 without its IDF, whose
 * statistics FTS5 gathers by reading every phrase's whole doclist, which
 * for the expansions of a frequent word cost more than the search. */
static void
match_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
    sqlite3_value **val)
{
	const unsigned char *map;
	unsigned char best[256];
	int nmap, ninst = 0, worst = 0, ncol = api->xColumnCount(fts);
	double score = 0;

	if (nval != 1 || (map = sqlite3_value_blob(val[0])) == NULL) {
		sqlite3_result_error(ctx, "tessera_match: map expected", -1);
		return;
	}
	nmap = sqlite3_value_bytes(val[0]) / 2;
	memset(best, 0xFF, sizeof(best));
	if (api->xInstCount(fts, &ninst) != SQLITE_OK) {
		sqlite3_result_error(ctx, "tessera_match: no instances", -1);
		return;
	}
	for (int i = 0; i < ninst; i++) {
		int p, col, off, size = 0;

		if (api->xInst(fts, i, &p, &col, &off) != SQLITE_OK || p < 0 || p >= nmap)
			continue;
		if (map[2 * p + 1] < best[map[2 * p]])
			best[map[2 * p]] = map[2 * p + 1];
		if (col >= 0 && col < ncol && col < 5 && api->xColumnSize(fts, col, &size) == SQLITE_OK)
			score += col_weight[col] * 20.0 / (20.0 + size);
	}
	for (int p = 0; p < nmap; p++)
		if (best[map[2 * p]] > worst)
			worst = best[map[2 * p]];
	/* The form in the integer part, the score (higher is better) folded
	 * into [0, 0.5) so that lower is better throughout. */
	sqlite3_result_double(ctx, worst + 0.5 / (1.0 + score));
}

int
tokenizer_match_register(fts5_api *api)
{
	return api->xCreateFunction(api, TOK_MATCH_FN, NULL, match_fn, NULL) == SQLITE_OK ? 0 : -1;
}

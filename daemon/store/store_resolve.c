/* Store: which community the user means (see store_resolve_author). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/nodeid.h"
#include "core/util.h"
#include "store/store.h"

#define MAX_CANDS 16

void
store_match_free(struct store_match *m)
{
	free(m->name);
	for (size_t i = 0; i < m->n_cands; i++)
		free(m->cands[i]);
	free(m->cands);
	memset(m, 0, sizeof(*m));
}

/* Counts one more matching author: the first is the match, every one is a
 * candidate should there be more. */
static int
found(struct store_match *m, const struct store_author *a)
{
	char id[NODEID_STRLEN + 1], *line;

	if (m->n_found++ == 0) {
		memcpy(m->author, a->author, TESS_KEY_LEN);
		m->records = a->records;
		if (a->name != NULL && (m->name = strdup(a->name)) == NULL)
			return -ENOMEM;
	}
	if (m->n_cands == MAX_CANDS)
		return 0;
	if (m->cands == NULL && (m->cands = calloc(MAX_CANDS, sizeof(*m->cands))) == NULL)
		return -ENOMEM;
	nodeid_encode(a->author, id);
	if ((line = strfmt("%s  %s (%llu records)", id, a->name ? a->name : "(no profile yet)",
	    (unsigned long long)a->records)) == NULL)
		return -ENOMEM;
	m->cands[m->n_cands++] = line;
	return 0;
}

/* Authors whose ID starts with the compact prefix want (wlen characters). */
static int
match_ids(struct store_match *m, const struct store_author *a, size_t n, const char *want,
    size_t wlen)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		char full[NODEID_STRLEN + 1], compact[NODEID_COMPACT + 1];

		nodeid_encode(a[i].author, full);
		nodeid_normalize(full, compact, sizeof(compact));
		if (strncmp(compact, want, wlen) == 0)
			rc = found(m, &a[i]);
	}
	return rc;
}

/* Authors whose name has the key of text. */
static int
match_names(struct store_match *m, const struct store_author *a, size_t n, const char *text)
{
	char *key = names_key(text);
	int rc = 0;

	if (key == NULL || *key == '\0') {
		free(key);
		return 0;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if (a[i].key != NULL && strcmp(a[i].key, key) == 0)
			rc = found(m, &a[i]);
	free(key);
	m->by_name = true;
	return rc;
}

int
store_resolve_author(struct store *st, const char *text, struct store_match *m)
{
	struct store_author *a;
	char want[NODEID_COMPACT + 1];
	uint8_t key[TESS_KEY_LEN];
	const char *why;
	size_t n;
	int wlen, rc;

	memset(m, 0, sizeof(*m));
	if ((rc = store_authors(st, &a, &n)) != 0)
		return rc;
	wlen = nodeid_normalize(text, want, sizeof(want));
	if (nodeid_decode(text, key, &why) == 0) {
		/* A full ID: that community, whether we hold anything of it or not. */
		struct store_author none = { .alike = NAMES_NONE };

		memcpy(none.author, key, TESS_KEY_LEN);
		for (size_t i = 0; i < n; i++)
			if (memcmp(a[i].author, key, TESS_KEY_LEN) == 0)
				none = a[i];
		rc = found(m, &none);
	} else if (wlen > 0) {
		rc = match_ids(m, a, n, want, (size_t)wlen);
	}
	/* A name only when the text names no ID: a profile calling itself
	 * another community's short ID must not take that ID over. */
	if (rc == 0 && m->n_found == 0)
		rc = match_names(m, a, n, text);
	store_authors_free(a, n);
	if (rc != 0)
		return rc;
	return m->n_found == 1 ? 0 : m->n_found == 0 ? -ENOENT : -EEXIST;
}

/* Store: authors (communities), their profiles and blocking. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/names.h"
#include "store/store_int.h"
#include "core/util.h"

static char *
col_strdup(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t ? strdup((const char *)t) : NULL;
}

/* Fills each author's look-alike from the keys of their names. */
static int
find_alike(struct store_author *a, size_t n)
{
	char **keys = calloc(n + 1, sizeof(*keys));
	size_t *alike = calloc(n + 1, sizeof(*alike));
	int rc = -ENOMEM;

	if (keys != NULL && alike != NULL) {
		for (size_t i = 0; i < n; i++)
			keys[i] = a[i].key;
		if ((rc = names_alike(keys, n, alike)) == 0)
			for (size_t i = 0; i < n; i++)
				a[i].alike = alike[i];
	}
	free(keys);
	free(alike);
	return rc;
}

int
store_authors(struct store *st, struct store_author **out, size_t *n)
{
	struct store_author *a = NULL;
	size_t cap = 0;
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(st->db,
	    "SELECT author, name, country, languages, records, blocked, name_key FROM authors"
	    " WHERE records > 0 OR name IS NOT NULL OR blocked ORDER BY name",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_err(st, rc, "authors");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != TESS_KEY_LEN)
			continue;
		if (*n == cap) {
			struct store_author *na = realloc(a, (cap ? cap * 2 : 16) * sizeof(*a));

			if (na == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			a = na;
			cap = cap ? cap * 2 : 16;
		}
		struct store_author *x = &a[(*n)++];

		memset(x, 0, sizeof(*x));
		memcpy(x->author, sqlite3_column_blob(s, 0), TESS_KEY_LEN);
		x->name = col_strdup(s, 1);
		x->country = col_strdup(s, 2);
		x->languages = col_strdup(s, 3);
		x->records = (uint64_t)sqlite3_column_int64(s, 4);
		x->blocked = sqlite3_column_int(s, 5) != 0;
		x->key = col_strdup(s, 6);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE && (rc = find_alike(a, *n)) == 0)
		rc = SQLITE_DONE;
	if (rc != SQLITE_DONE) {
		store_authors_free(a, *n);
		*n = 0;
		return rc == SQLITE_NOMEM || rc == -ENOMEM ? -ENOMEM : store_err(st, rc, "authors");
	}
	*out = a;
	return 0;
}

void
store_authors_free(struct store_author *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].country);
		free(a[i].languages);
		free(a[i].key);
	}
	free(a);
}

int
store_block(struct store *st, const uint8_t author[TESS_KEY_LEN], bool blocked,
    uint64_t *removed)
{
	sqlite3_stmt *s;
	int rc;

	*removed = 0;
	if ((rc = store_begin(st)) != 0)
		return rc;
	rc = sqlite3_prepare_v2(st->db,
	    "INSERT INTO authors (author, blocked) VALUES (?1, ?2)"
	    " ON CONFLICT (author) DO UPDATE SET blocked = ?2", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_blob(s, 1, author, TESS_KEY_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, blocked);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	/* Unblocking forgets the checkpoints: what peers offered while the
	 * author was blocked was skipped, and must be offered again. */
	if (!blocked && rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, "UPDATE peers SET seq = 0", NULL, NULL, NULL);
	/* Blocking removes what we hold; the author stays known so that its
	 * records are refused when peers offer them again. */
	static const char *purge[] = {
		"DELETE FROM texts WHERE seq IN (SELECT seq FROM records WHERE author = ?1)",
		"DELETE FROM text_meta WHERE author = ?1",
		"DELETE FROM tags WHERE seq IN (SELECT seq FROM records WHERE author = ?1)",
		"DELETE FROM records WHERE author = ?1",
		"UPDATE authors SET records = 0, name = NULL, country = NULL, languages = NULL,"
		" name_key = NULL, profile_version = 0 WHERE author = ?1",
	};
	for (size_t i = 0; blocked && rc == SQLITE_OK && i < sizeof(purge) / sizeof(purge[0]); i++) {
		if ((rc = sqlite3_prepare_v2(st->db, purge[i], -1, &s, NULL)) != SQLITE_OK)
			break;
		sqlite3_bind_blob(s, 1, author, TESS_KEY_LEN, SQLITE_STATIC);
		rc = sqlite3_step(s);
		if (i == 3)
			*removed = (uint64_t)sqlite3_changes(st->db);
		sqlite3_finalize(s);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	if (rc != SQLITE_OK) {
		rc = store_err(st, rc, "block");
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

int
store_author_keys(struct store *st, char **cause)
{
	sqlite3_stmt *s, *u;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT author, name FROM authors"
	    " WHERE name IS NOT NULL AND name_key IS NULL", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return set_cause(cause, -EIO, "%s: %s", st->path, sqlite3_errmsg(st->db));
	rc = sqlite3_prepare_v2(st->db, "UPDATE authors SET name_key = ?2 WHERE author = ?1", -1,
	    &u, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *key = names_key((const char *)sqlite3_column_text(s, 1));

		if (key == NULL) {
			rc = SQLITE_OK;   /* unreadable: looks like no other name */
			continue;
		}
		sqlite3_bind_value(u, 1, sqlite3_column_value(s, 0));
		sqlite3_bind_text(u, 2, key, -1, free);
		rc = sqlite3_step(u);
		sqlite3_reset(u);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		return set_cause(cause, -EIO, "%s: name keys: %s", st->path, sqlite3_errmsg(st->db));
	return 0;
}

bool
store_is_blocked(struct store *st, const uint8_t author[TESS_KEY_LEN])
{
	sqlite3_stmt *s = store_stmt(st, S_AUTHOR_GET);
	bool blocked = false;

	if (s == NULL)
		return false;
	sqlite3_bind_blob(s, 1, author, TESS_KEY_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		blocked = sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	return blocked;
}

char *
store_author_name(struct store *st, const uint8_t author[TESS_KEY_LEN])
{
	sqlite3_stmt *s;
	char *name = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT name FROM authors WHERE author = ?1", -1, &s,
		NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_blob(s, 1, author, TESS_KEY_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		name = col_strdup(s, 0);
	sqlite3_finalize(s);
	return name;
}

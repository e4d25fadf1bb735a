/* Store: authors (communities), their profiles and blocking. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/names.h"
#include "store/store_int.h"
#include "store/store_rotate.h"
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

/* One entry per community: the records of a key it rotated from are
 * counted under its current key (that entry made from the old one's if the
 * current key has none yet). Only when rotations are held. */
static int
fold_rotated(struct store *st, struct store_author *a, size_t *n)
{
	uint8_t final[TESS_KEY_LEN];
	uint64_t held;
	size_t i = 0;
	int rc;

	if ((rc = store_rotation_count(st, &held)) != 0 || held == 0)
		return rc;
	while (i < *n) {
		size_t k;

		if ((rc = store_rotation_final(st, a[i].author, final)) != 0)
			return rc;
		if (memcmp(final, a[i].author, TESS_KEY_LEN) == 0) {
			i++;
			continue;
		}
		for (k = 0; k < *n && memcmp(a[k].author, final, TESS_KEY_LEN) != 0; k++)
			;
		if (k == *n) {   /* the current key has no entry: this one becomes it */
			memcpy(a[i].author, final, TESS_KEY_LEN);
			i = 0;       /* it may now fold into nothing else: start again */
			continue;
		}
		a[k].records += a[i].records;
		a[k].blocked = a[k].blocked || a[i].blocked;
		if (a[k].name == NULL) {
			a[k].name = a[i].name;
			a[k].country = a[i].country;
			a[k].languages = a[i].languages;
			a[k].key = a[i].key;
		} else {
			free(a[i].name);
			free(a[i].country);
			free(a[i].languages);
			free(a[i].key);
		}
		/* Keep the order (by name) of the others. */
		memmove(&a[i], &a[i + 1], (*n - i - 1) * sizeof(*a));
		(*n)--;
	}
	return 0;
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
	if (rc == SQLITE_DONE && (rc = fold_rotated(st, a, n)) == 0 &&
	    (rc = find_alike(a, *n)) == 0)
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

/* Runs sql with ?1 = key and ?2 = flag: SQLite's result code. */
static int
set_flag(struct store *st, const char *sql, const uint8_t key[TESS_KEY_LEN], bool flag)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(s, 1, key, TESS_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, flag);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* store_block inside the caller's transaction: SQLite's result code. */
static int
block_locked(struct store *st, const uint8_t author[TESS_KEY_LEN], bool blocked,
    uint64_t *removed)
{
	sqlite3_stmt *s;
	int rc;

	*removed = 0;
	rc = set_flag(st, "INSERT INTO authors (author, blocked) VALUES (?1, ?2)"
	    " ON CONFLICT (author) DO UPDATE SET blocked = ?2", author, blocked);
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
	/* A blocked key cannot be the one a community rotated to: another
	 * rotation of the same old key may then win (a dispute resolved). */
	if (blocked && rc == SQLITE_OK) {
		uint64_t forgot;

		if (store_rotate_forget(st, author, &forgot) != 0)
			rc = SQLITE_ERROR;
		else if (forgot > 0)   /* the refused rotation may be offered again */
			rc = sqlite3_exec(st->db, "UPDATE peers SET seq = 0", NULL, NULL, NULL);
	}
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
	if (blocked)   /* some of its texts may have waited to be indexed */
		st->fts_behind = -1;
	return rc;
}

int
store_block(struct store *st, const uint8_t author[TESS_KEY_LEN], bool blocked,
    uint64_t *removed)
{
	int rc;

	if ((rc = store_begin(st)) != 0)
		return rc;
	if ((rc = block_locked(st, author, blocked, removed)) != SQLITE_OK) {
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

/* The authors peer introduced (but never our own), malloc'd into *out. */
static int
introduced(struct store *st, const uint8_t peer[TESS_KEY_LEN], uint8_t (**out)[TESS_KEY_LEN],
    size_t *n)
{
	uint8_t (*v)[TESS_KEY_LEN] = NULL, (*nv)[TESS_KEY_LEN];
	size_t cap = 0;
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	rc = sqlite3_prepare_v2(st->db, "SELECT author FROM authors WHERE introduced_by = ?1",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(s, 1, peer, TESS_KEY_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != TESS_KEY_LEN ||
		    (st->has_local && memcmp(st->local, sqlite3_column_blob(s, 0), TESS_KEY_LEN) == 0))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		memcpy(v[(*n)++], sqlite3_column_blob(s, 0), TESS_KEY_LEN);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return rc;
	}
	*out = v;
	return SQLITE_OK;
}

int
store_block_peer(struct store *st, const uint8_t peer[TESS_KEY_LEN], bool blocked,
    uint64_t *authors, uint64_t *removed)
{
	uint8_t (*v)[TESS_KEY_LEN] = NULL;
	uint64_t one;
	size_t n = 0;
	int rc;

	*authors = *removed = 0;
	if ((rc = store_begin(st)) != 0)
		return rc;
	rc = set_flag(st, "INSERT INTO peers (id, blocks_new) VALUES (?1, ?2)"
	    " ON CONFLICT (id) DO UPDATE SET blocks_new = ?2", peer, blocked);
	if (rc == SQLITE_OK)
		rc = introduced(st, peer, &v, &n);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		rc = block_locked(st, v[i], blocked, &one);
		*removed += one;
	}
	free(v);
	if (rc != SQLITE_OK) {
		*authors = *removed = 0;
		rc = rc == SQLITE_NOMEM ? -ENOMEM : store_err(st, rc, "block peer");
		store_rollback(st);
		return rc;
	}
	*authors = n;
	return store_commit(st);
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

static char *
name_of(struct store *st, const uint8_t author[TESS_KEY_LEN])
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

char *
store_author_name(struct store *st, const uint8_t author[TESS_KEY_LEN])
{
	uint8_t final[TESS_KEY_LEN];
	char *name = NULL;

	/* A rotated key's records belong to the community under its current
	 * key: they show its current name (the old one if it has none). */
	if (store_rotation_final(st, author, final) == 0 &&
	    memcmp(final, author, TESS_KEY_LEN) != 0)
		name = name_of(st, final);
	return name != NULL ? name : name_of(st, author);
}

/* tesserad check: an offline consistency check of a stopped node's store.
 *
 * Runs SQLite's integrity_check, then verifies every stored record: its
 * signature, and that the columns the node indexes it by (id, author,
 * version, deleted) match the signed bytes. Reports the key file's mode. */
#include "store/check.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/identity.h"
#include "core/record.h"
#include "store/store.h"
#include "core/util.h"

#define CHECK_REPORT_MAX 10   /* bad records listed; the rest are counted */

/* The daemon holds DIR/tesserad.lock while it runs. */
static int
not_running(const char *dir, FILE *out)
{
	char *path = strfmt("%s/tesserad.lock", dir);
	int fd, rc = 0;

	if (path == NULL)
		return -ENOMEM;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
			fprintf(out, "%s: a tesserad is running with this data directory; stop it first\n",
			    dir);
			rc = -EBUSY;
		}
		close(fd);
	}
	free(path);
	return rc;
}

static int
integrity(sqlite3 *db, FILE *out)
{
	sqlite3_stmt *s;
	int rc, bad = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK) {
		fprintf(out, "integrity_check: %s\n", sqlite3_errmsg(db));
		return -EIO;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(s, 0);

		if (line != NULL && strcmp(line, "ok") == 0)
			continue;
		fprintf(out, "integrity_check: %s\n", line ? line : "?");
		bad = 1;
	}
	if (rc != SQLITE_DONE) {
		fprintf(out, "integrity_check: %s\n", sqlite3_errmsg(db));
		bad = 1;
	}
	sqlite3_finalize(s);
	return bad ? -EIO : 0;
}

/* Why the row does not match its signed record, or NULL. */
static const char *
row_mismatch(sqlite3_stmt *s, const Tessera__Record *r)
{
	if (sqlite3_column_bytes(s, 1) != TESS_ID_LEN ||
	    memcmp(sqlite3_column_blob(s, 1), r->id.data, TESS_ID_LEN) != 0)
		return "id column differs from the signed id";
	if (sqlite3_column_bytes(s, 2) != TESS_KEY_LEN ||
	    memcmp(sqlite3_column_blob(s, 2), r->author.data, TESS_KEY_LEN) != 0)
		return "author column differs from the signed author";
	if ((uint64_t)sqlite3_column_int64(s, 3) != r->version)
		return "version column differs from the signed version";
	if ((sqlite3_column_int(s, 4) != 0) != (r->has_deleted && r->deleted))
		return "deleted column differs from the signed record";
	return NULL;
}

static int
verify_records(sqlite3 *db, FILE *out, uint64_t *n, uint64_t *tombstones)
{
	sqlite3_stmt *s;
	uint64_t bad = 0;
	int rc;

	*n = *tombstones = 0;
	if (sqlite3_prepare_v2(db, "SELECT seq, id, author, version, deleted, body, sig"
			       " FROM records ORDER BY seq", -1, &s, NULL) != SQLITE_OK) {
		fprintf(out, "records: %s\n", sqlite3_errmsg(db));
		return -EIO;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		Tessera__Record *r = NULL;
		const char *why = NULL;

		(*n)++;
		if (sqlite3_column_int(s, 4) != 0)
			(*tombstones)++;
		if (record_open(sqlite3_column_blob(s, 5), (size_t)sqlite3_column_bytes(s, 5),
			sqlite3_column_blob(s, 6), (size_t)sqlite3_column_bytes(s, 6), &r, &why) == 0)
			why = row_mismatch(s, r);
		else if (why == NULL)
			why = "does not verify";
		record_free(r);
		if (why == NULL)
			continue;
		if (bad++ < CHECK_REPORT_MAX)
			fprintf(out, "record at seq %lld: %s\n", (long long)sqlite3_column_int64(s, 0),
			    why);
	}
	if (rc != SQLITE_DONE) {
		fprintf(out, "records: %s\n", sqlite3_errmsg(db));
		bad++;
	}
	sqlite3_finalize(s);
	if (bad > 0)
		fprintf(out, "%llu of %llu records fail verification\n", (unsigned long long)bad,
		    (unsigned long long)*n);
	return bad > 0 ? -EIO : 0;
}

/* The key file's mode: a key that group or others can read fails the check. */
static int
key_mode(const char *dir, FILE *out)
{
	char *cause = NULL;
	mode_t mode;
	int rc = identity_key_mode(dir, &mode, &cause);

	if (rc == 0)
		fprintf(out, "%s/%s: mode %04o (owner only)\n", dir, IDENTITY_KEY_FILE,
		    (unsigned)mode);
	else
		fprintf(out, "%s\n", cause != NULL ? cause : strerror(-rc));
	free(cause);
	return rc;
}

int
check_store(const char *dir, FILE *out)
{
	char *path;
	sqlite3 *db = NULL;
	uint64_t n = 0, tombstones = 0;
	int rc, irc, vrc, krc;

	if ((rc = not_running(dir, out)) != 0)
		return rc;
	krc = key_mode(dir, out);
	if ((path = strfmt("%s/%s", dir, STORE_DB_FILE)) == NULL)
		return -ENOMEM;
	if (access(path, R_OK | W_OK) != 0) {
		rc = -errno;
		fprintf(out, "%s: %s\n", path, strerror(errno));
		free(path);
		return rc;
	}
	/* Read-write: opening recovers the write-ahead log as a start would. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(out, "%s: %s\n", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		free(path);
		return -EIO;
	}
	irc = integrity(db, out);
	vrc = verify_records(db, out, &n, &tombstones);
	if (irc == 0 && vrc == 0)
		fprintf(out, "%s: integrity ok, %llu records (%llu tombstones) verified\n", path,
		    (unsigned long long)n, (unsigned long long)tombstones);
	sqlite3_close(db);
	free(path);
	return irc != 0 ? irc : vrc != 0 ? vrc : krc;
}

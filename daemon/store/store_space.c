/* Store: error mapping and the storage-full state.
 *
 * A write that fails for lack of space (SQLITE_FULL, or an I/O error whose
 * system errno is ENOSPC, EDQUOT or EFBIG: a file over RLIMIT_FSIZE, or that
 * happens at one of those limits) puts the store in the full state, and so
 * does a write transaction begun with less than 64 KiB left. SQLite rolls
 * the failed statement or transaction back, so nothing half-written stays;
 * the state is left at the next commit that goes through. Each transition
 * is logged once, not once per refused write. */
#include "store/store_int.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

#define SPACE_SLACK 65536           /* less than this left counts as no space */
#define PROBE_HEADROOM (1 << 20)    /* space a probe wants before it writes */

/* A file of the store (the database or its write-ahead log) is within
 * slack of RLIMIT_FSIZE, or the file system within slack of full. */
static const char *
within(struct store *st, uint64_t slack)
{
	const char *suffix[] = { "", "-wal" };
	struct statvfs vfs;
	struct rlimit rl;
	struct stat sb;
	char path[PATH_MAX];

	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", st->path, suffix[i]);
			if (stat(path, &sb) == 0 &&
			    (uint64_t)sb.st_size + slack >= (uint64_t)rl.rlim_cur)
				return "file size limit (RLIMIT_FSIZE) reached";
		}
	if (statvfs(st->path, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < slack)
		return "no space left on the file system";
	return NULL;
}

/* Within SPACE_SLACK of a limit: checked before a write transaction, and
 * when SQLite reports a write refused at one of those limits as a plain
 * I/O error (the errno lost on the way). */
static const char *
at_a_limit(struct store *st)
{
	return within(st, SPACE_SLACK);
}

/* Whether rc means no space; *limit may name the limit that was hit. */
static bool
out_of_space(struct store *st, int rc, const char **limit)
{
	int e;

	*limit = NULL;
	if ((rc & 0xff) == SQLITE_FULL)
		return true;
	if ((rc & 0xff) != SQLITE_IOERR)
		return false;
	e = sqlite3_system_errno(st->db);
	if (e == ENOSPC || e == EDQUOT || e == EFBIG) {
		*limit = strerror(e);
		return true;
	}
	if (rc != SQLITE_IOERR_WRITE && rc != SQLITE_IOERR_FSYNC &&
	    rc != SQLITE_IOERR_TRUNCATE && rc != SQLITE_IOERR)
		return false;
	return (*limit = at_a_limit(st)) != NULL;
}

/* msg: what went wrong ("database or disk is full"); limit: the limit hit,
 * when known. */
static void
enter_full(struct store *st, const char *what, const char *msg, const char *limit)
{
	st->refusals++;
	if (st->full) {
		log_debug("store: %s: %s (storage still full)", what, msg);
		return;
	}
	if (limit != NULL)
		snprintf(st->full_why, sizeof(st->full_why), "%s: %s (%s)", what, msg, limit);
	else
		snprintf(st->full_why, sizeof(st->full_why), "%s: %s", what, msg);
	st->full = true;
	log_warnx("storage full: %s; writes are refused until space is freed, "
	    "reads go on", st->full_why);
	if (st->on_full != NULL)
		st->on_full(st->on_full_arg, true);
}

/* Before a write transaction: a file system with less than SPACE_SLACK
 * left (or a file of the store that near RLIMIT_FSIZE) refuses it at
 * once. SQLite could often still fit the write in the slack of its files
 * (a write-ahead log keeps its size after a checkpoint, and may be
 * megabytes after an indexing slice), so without this how many writes a
 * full disk accepts would depend on that slack; status says "full" as
 * soon as the disk is, and writes agree with it. One statvfs per write
 * transaction (~1 us; records are committed in batches). */
int
store_space_check(struct store *st, const char *what)
{
	const char *limit = at_a_limit(st);

	if (limit == NULL)
		return 0;
	enter_full(st, what, "no space for a write", limit);
	return -ENOSPC;
}

bool
store_space_error(struct store *st, const char *what, int err)
{
	if (err != ENOSPC && err != EDQUOT && err != EFBIG)
		return false;
	enter_full(st, what, strerror(err), NULL);
	return true;
}

int
store_err(struct store *st, int rc, const char *what)
{
	int base = rc & 0xff;
	const char *limit;

	if (out_of_space(st, rc, &limit)) {
		enter_full(st, what, sqlite3_errmsg(st->db), limit);
		return -ENOSPC;
	}
	log_warnx("store: %s: %s", what, sqlite3_errmsg(st->db));
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return -EBUSY;
	if (base == SQLITE_NOMEM)
		return -ENOMEM;
	return -EIO;
}

void
store_writable(struct store *st)
{
	if (!st->full)
		return;
	st->full = false;
	log_info("storage writable again (was full: %s)", st->full_why);
	st->full_why[0] = '\0';
	if (st->on_full != NULL)
		st->on_full(st->on_full_arg, false);
}

bool
store_full(const struct store *st, const char **why)
{
	if (why != NULL)
		*why = st->full ? st->full_why : NULL;
	return st->full;
}

void
store_on_full(struct store *st, store_full_cb cb, void *arg)
{
	st->on_full = cb;
	st->on_full_arg = arg;
}

uint64_t
store_refusals(const struct store *st)
{
	return st->refusals;
}

void
store_clear_full(struct store *st)
{
	store_writable(st);
}

/* A probe wants PROBE_HEADROOM free below both limits, then writes as
 * much as a modest batch of records (64 KiB): the frames a refused write
 * left in the write-ahead log are rewritten in place, so a write that fits
 * there does not prove free space. */
int
store_probe(struct store *st)
{
	int rc;

	if (!sqlite3_get_autocommit(st->db))
		return -EBUSY;   /* an import holds the write transaction */
	if (within(st, PROBE_HEADROOM) != NULL)
		return -ENOSPC;
	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE;"
	    "INSERT OR REPLACE INTO meta (key, value) VALUES ('space_probe', zeroblob(65536));"
	    "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = store_err(st, rc, "space probe");
		store_rollback(st);
		return rc;
	}
	/* Best effort: a probe row left behind is harmless. */
	sqlite3_exec(st->db, "DELETE FROM meta WHERE key = 'space_probe'", NULL, NULL, NULL);
	return 0;
}

/* Store: error mapping and the storage-full state.
 *
 * A write that fails for lack of space (SQLITE_FULL, or an I/O error whose
 * system errno is ENOSPC, EDQUOT or EFBIG: a file over RLIMIT_FSIZE) puts
 * the store in the full state. SQLite rolls the failed statement or
 * transaction back, so nothing half-written stays; the state is left at
 * the next commit that goes through. Each transition is logged once, not
 * once per refused write. */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static bool
out_of_space(struct store *st, int base)
{
	int e;

	if (base == SQLITE_FULL)
		return true;
	if (base != SQLITE_IOERR)
		return false;
	e = sqlite3_system_errno(st->db);
	return e == ENOSPC || e == EDQUOT || e == EFBIG;
}

static void
enter_full(struct store *st, const char *what)
{
	int e = sqlite3_system_errno(st->db);

	if (st->full) {
		log_debug("store: %s: %s (storage still full)", what, sqlite3_errmsg(st->db));
		return;
	}
	if (e != 0)
		snprintf(st->full_why, sizeof(st->full_why), "%s: %s (%s)", what,
		    sqlite3_errmsg(st->db), strerror(e));
	else
		snprintf(st->full_why, sizeof(st->full_why), "%s: %s", what,
		    sqlite3_errmsg(st->db));
	st->full = true;
	log_warnx("storage full: %s; writes are refused until space is freed, "
	    "reads go on", st->full_why);
	if (st->on_full != NULL)
		st->on_full(st->on_full_arg, true);
}

int
store_err(struct store *st, int rc, const char *what)
{
	int base = rc & 0xff;

	if (out_of_space(st, base)) {
		enter_full(st, what);
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

int
store_probe(struct store *st)
{
	char stamp[32];
	struct timespec ts;
	int rc;

	if (!sqlite3_get_autocommit(st->db))
		return -EBUSY;   /* an import holds the write transaction */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(stamp, sizeof(stamp), "%lld", (long long)ts.tv_sec);
	if ((rc = store_begin(st)) != 0)
		return rc;
	if ((rc = store_meta_set(st, "space_probe", stamp)) != 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

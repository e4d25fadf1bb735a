/* Store: per-peer daily budgets for authors the node has not seen before.
 *
 * The record quota bounds each author, but anyone can make keys: a pinned
 * peer that turns hostile could introduce any number of fresh authors and
 * fill the disk. So what a peer introduces is charged to that peer, per UTC
 * day: the new authors themselves, and the records and signed bytes of
 * authors first stored today from a peer; the peer's own records (its
 * pinned key) are not charged. The counters live in the peer's
 * row, in the caller's transaction, so a rolled back batch is not charged. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/config.h"
#include "store/store_int.h"

#define DAY_MS (24LL * 60 * 60 * 1000)

/* One peer's counters for one day. */
struct budget_row {
	int64_t day;
	uint64_t authors, records, bytes, over;
	bool blocks_new;         /* the operator blocked the peer's introductions */
};

void
store_set_limits(struct store *st, const struct config *c)
{
	store_set_quota(st, c->max_records_per_author);
	store_set_max_skew(st, c->max_clock_skew_ms);
	st->budget = (struct store_budget){ c->max_new_authors_per_peer,
		c->max_new_author_records_per_peer, c->max_new_author_bytes_per_peer };
}

void
store_set_budget(struct store *st, const struct store_budget *b)
{
	st->budget = *b;
}

void
store_set_clock(struct store *st, int64_t (*now)(void))
{
	st->now = now;
}

int64_t
store_day(const struct store *st)
{
	int64_t now = st->now != NULL ? st->now() : (int64_t)(store_now_us(st) / 1000u);

	/* Day 0 marks authors known before budgets existed: never today. */
	return now > 0 ? now / DAY_MS + 1 : 1;
}

/* The peer's counters for today: zeros when the row is from an earlier day. */
static int
budget_load(struct store *st, const uint8_t *peer, struct budget_row *b)
{
	sqlite3_stmt *s = store_stmt(st, S_BUDGET_GET);
	int rc;

	memset(b, 0, sizeof(*b));
	b->day = store_day(st);
	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, peer, TESS_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		b->blocks_new = sqlite3_column_int(s, 5) != 0;
	if (rc == SQLITE_ROW && sqlite3_column_int64(s, 0) == b->day) {
		b->authors = (uint64_t)sqlite3_column_int64(s, 1);
		b->records = (uint64_t)sqlite3_column_int64(s, 2);
		b->bytes = (uint64_t)sqlite3_column_int64(s, 3);
		b->over = (uint64_t)sqlite3_column_int64(s, 4);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(st, rc, "budget");
}

static int
budget_save(struct store *st, const uint8_t *peer, const struct budget_row *b)
{
	sqlite3_stmt *s = store_stmt(st, S_BUDGET_SET);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, peer, TESS_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, b->day);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)b->authors);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)b->records);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)b->bytes);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)b->over);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : store_err(st, rc, "budget");
}

/* Whether the author is charged: new (no row), or first stored today from
 * a peer. Blocked authors are left to author_admit, which refuses them. */
static int
author_unseen(struct store *st, const uint8_t *author, bool *unseen, bool *is_new)
{
	sqlite3_stmt *s = store_stmt(st, S_AUTHOR_DAY);
	int rc;

	*unseen = *is_new = false;
	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, author, TESS_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*unseen = sqlite3_column_int(s, 0) == 0 &&
		    sqlite3_column_int64(s, 1) == store_day(st);
	else if (rc == SQLITE_DONE)
		*unseen = *is_new = true;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err(st, rc, "author");
}

int
store_budget_charge(struct store *st, const Tessera__Record *r, size_t len,
    const uint8_t *origin, enum store_put_result *res)
{
	const struct store_budget *lim = &st->budget;
	struct budget_row b;
	bool unseen, is_new;
	int rc;

	/* The peer's own records are its pinned key's: bounded by the quota,
	 * like any known author's. */
	if (origin == NULL || memcmp(origin, r->author.data, TESS_KEY_LEN) == 0 ||
	    (st->has_local && memcmp(st->local, r->author.data, TESS_KEY_LEN) == 0))
		return 0;
	if ((rc = author_unseen(st, r->author.data, &unseen, &is_new)) != 0 || !unseen)
		return rc;
	if ((rc = budget_load(st, origin, &b)) != 0)
		return rc;
	/* The operator's decision (tessera block --peer), not the peer's
	 * fault: refused like a blocked author, not counted against it. */
	if (is_new && b.blocks_new) {
		*res = STORE_BLOCKED;
		return 0;
	}
	if ((is_new && b.authors >= lim->new_authors) || b.records >= lim->new_records ||
	    b.bytes + len > lim->new_bytes) {
		*res = STORE_OVER_BUDGET;
		b.over++;
	} else {
		b.authors += is_new;
		b.records++;
		b.bytes += len;
	}
	return budget_save(st, origin, &b);
}

int
store_budget_retry(struct store *st, const uint8_t peer[TESS_KEY_LEN], bool *retry)
{
	sqlite3_stmt *s = store_stmt(st, S_BUDGET_GET);
	struct budget_row b;
	int64_t day = 0;
	uint64_t over = 0;
	int rc;

	*retry = false;
	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, peer, TESS_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		day = sqlite3_column_int64(s, 0);
		over = (uint64_t)sqlite3_column_int64(s, 4);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_err(st, rc, "budget");
	if (over == 0 || day == store_day(st))
		return 0;
	/* Today's row (zeros, the peer's block kept) replaces the old one:
	 * the refusals are asked for again once. */
	if ((rc = budget_load(st, peer, &b)) != 0 || (rc = budget_save(st, peer, &b)) != 0)
		return rc;
	*retry = true;
	return 0;
}

int
store_budget_get(struct store *st, const uint8_t id[TESS_KEY_LEN], struct store_peer *p)
{
	struct budget_row b;
	int rc;

	if ((rc = budget_load(st, id, &b)) != 0)
		return rc;
	p->new_authors = b.authors;
	p->new_records = b.records;
	p->new_bytes = b.bytes;
	p->over_budget = b.over;
	return 0;
}

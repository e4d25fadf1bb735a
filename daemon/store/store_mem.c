/* The store's memory: what SQLite and the tokenizer hold, and giving back
 * what an idle node does not need (see store.h). */
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"
#include "store/tokenizer.h"

uint64_t
store_memory_used(void)
{
	sqlite3_int64 n = sqlite3_memory_used();

	return n > 0 ? (uint64_t)n : 0;
}

uint64_t
store_release_memory(struct store *st)
{
	sqlite3_int64 before = sqlite3_memory_used(), after;
	size_t tok = tokenizer_release(st->tok);

	/* The page cache of this connection: every page not pinned, and none
	 * is between statements. It fills again from the OS page cache (the
	 * database file, mostly still in it) on the next reads. */
	sqlite3_db_release_memory(st->db);
	after = sqlite3_memory_used();
	return (before > after ? (uint64_t)(before - after) : 0) + tok;
}

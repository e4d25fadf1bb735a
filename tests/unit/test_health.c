/* The "needs attention" items of tessera status, on a fake clock, and the
 * rejected-record counts by reason, whose names are metric labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/names.h"
#include "ops/health.h"
#include "store/store.h"

#define MIN (60 * 1000LL)
#define HOUR (60 * MIN)
#define MB (1024ULL * 1024)
#define NOW (1800000000000LL)

static uint8_t key[32] = { 1, 2, 3 };

static void
peer(Tessera__PeerView *p, const char *name, const char *addr, int64_t down_since)
{
	tessera__peer_view__init(p);
	p->name = (char *)name;
	p->address = (char *)addr;
	p->id = (ProtobufCBinaryData){ sizeof(key), key };
	p->has_down_since = 1;
	p->down_since = down_since;
	p->last_error = "connect failed: connection refused";
}

static void
test_healthy_node_has_nothing(void **state)
{
	Tessera__Status s = TESSERA__STATUS__INIT;
	Tessera__PeerView up, *peers[] = { &up };
	struct health_items it;

	peer(&up, "wales", "127.0.0.1:7070", 0);
	s.has_disk_free = s.has_disk_total = 1;
	s.disk_free = 50 * 1024 * MB;
	s.disk_total = 100 * 1024 * MB;
	assert_int_equal(health_attention(&s, peers, 1, NULL, 0, NOW, &it), 0);
	assert_int_equal(it.n, 0);
	health_items_free(&it);
}

static void
test_peer_down_over_an_hour(void **state)
{
	Tessera__Status s = TESSERA__STATUS__INIT;
	Tessera__PeerView a, b, c, *peers[] = { &a, &b, &c };
	struct health_items it;

	peer(&a, "recent", "127.0.0.1:7070", NOW - 59 * MIN);
	peer(&b, "wales", "127.0.0.1:7071", NOW - 3 * HOUR - 12 * MIN);
	peer(&c, "dialer", NULL, NOW - 2 * HOUR);
	assert_int_equal(health_attention(&s, peers, 3, NULL, 0, NOW, &it), 0);
	assert_int_equal(it.n, 2);
	assert_non_null(strstr(it.v[0], "peer wales ("));
	assert_non_null(strstr(it.v[0], "unreachable for 3 h 12 min"));
	assert_non_null(strstr(it.v[0], "last error: connect failed: connection refused"));
	assert_non_null(strstr(it.v[1], "peer dialer ("));
	assert_non_null(strstr(it.v[1], "has not connected to this node for 2 h 0 min"));
	health_items_free(&it);
}

static void
test_rejected_records(void **state)
{
	Tessera__Status s = TESSERA__STATUS__INIT;
	struct health_items it;

	s.has_records_rejected = 1;
	s.records_rejected = 3;
	s.last_reject = "evil (ABCDEFG): bad signature";
	assert_int_equal(health_attention(&s, NULL, 0, NULL, 0, NOW, &it), 0);
	assert_int_equal(it.n, 1);
	assert_string_equal(it.v[0], "3 records from peers were rejected since start-up; last: "
	    "evil (ABCDEFG): bad signature");
	health_items_free(&it);
}

static void
disk(uint64_t free_b, uint64_t total, const char *want)
{
	Tessera__Status s = TESSERA__STATUS__INIT;
	struct health_items it;

	s.data_dir = "/var/lib/tessera";
	s.has_disk_free = s.has_disk_total = 1;
	s.disk_free = free_b;
	s.disk_total = total;
	assert_int_equal(health_attention(&s, NULL, 0, NULL, 0, NOW, &it), 0);
	if (want == NULL) {
		assert_int_equal(it.n, 0);
	} else {
		assert_int_equal(it.n, 1);
		assert_non_null(strstr(it.v[0], want));
	}
	health_items_free(&it);
}

static void
test_storage_thresholds(void **state)
{
	/* Under 100 MB free is near full however large the disk... */
	disk(99 * MB, 1000 * 1024 * MB, "nearly full: 99.0 MB free of 1000.0 GB");
	/* ...and so is under 5 % however many MB that is. */
	disk(4 * 1024 * MB, 100 * 1024 * MB, "nearly full: 4.0 GB free of 100.0 GB");
	disk(6 * 1024 * MB, 100 * 1024 * MB, NULL);
	disk(200 * MB, 1024 * MB, NULL);
	disk(0, 1024 * MB, "is full: new records cannot be stored");
}

/* Two communities whose names look the same: one item, naming both by ID. */
static void
test_lookalike_communities(void **state)
{
	Tessera__Status s = TESSERA__STATUS__INIT;
	struct store_author a[3];
	struct health_items it;

	memset(a, 0, sizeof(a));
	a[0].name = "\xc3\x89vora";
	a[0].alike = 1;
	a[1].name = "\xc3\x89vor\xd0\xb0";
	a[1].alike = 0;
	a[1].author[0] = 0xff;
	a[2].name = "Wales";
	a[2].alike = NAMES_NONE;
	assert_int_equal(health_attention(&s, NULL, 0, a, 3, NOW, &it), 0);
	assert_int_equal(it.n, 1);
	assert_non_null(strstr(it.v[0], "community \"\xc3\x89vor\xd0\xb0\" (7"));
	assert_non_null(strstr(it.v[0], "looks like \"\xc3\x89vora\" (AAAAAAA-"));
	health_items_free(&it);
}

static void
test_reject_counts(void **state)
{
	struct health h;

	/* The metric labels are a public interface (test_ops_metrics.sh). */
	assert_string_equal(health_reject_name(SYNC_REJECT_INVALID), "invalid");
	assert_string_equal(health_reject_name(SYNC_REJECT_SIGNATURE), "bad_signature");
	assert_string_equal(health_reject_name(SYNC_REJECT_UNSOLICITED), "unsolicited");
	assert_string_equal(health_reject_name(SYNC_REJECT_CONFLICT), "conflict");
	assert_string_equal(health_reject_name(SYNC_REJECT_QUOTA), "quota");
	assert_string_equal(health_reject_name(SYNC_REJECT_NOT_AUTHOR), "not_author");
	assert_string_equal(health_reject_name(SYNC_REJECT_FUTURE), "future");
	assert_string_equal(health_reject_name(SYNC_REJECT_COUNT), "invalid");
	memset(&h, 0, sizeof(h));
	health_rejected(&h, "evil (ABCDEFG)", SYNC_REJECT_SIGNATURE, "bad signature");
	health_rejected(&h, "evil (ABCDEFG)", SYNC_REJECT_SIGNATURE, "bad signature");
	health_rejected(&h, "evil (ABCDEFG)", SYNC_REJECT_UNSOLICITED, "not asked for");
	assert_int_equal(h.rejected[SYNC_REJECT_SIGNATURE], 2);
	assert_int_equal(h.rejected[SYNC_REJECT_UNSOLICITED], 1);
	assert_int_equal(h.rejected[SYNC_REJECT_INVALID], 0);
	assert_string_equal(h.last_reject, "evil (ABCDEFG): not asked for");
	assert_true(h.last_reject_at > 0);
	/* Without words, status names the reason by its label. */
	health_rejected(&h, "evil (ABCDEFG)", SYNC_REJECT_QUOTA, NULL);
	assert_int_equal(h.rejected[SYNC_REJECT_QUOTA], 1);
	assert_string_equal(h.last_reject, "evil (ABCDEFG): quota");
	/* A reason out of range is still counted, as invalid. */
	health_rejected(&h, "evil (ABCDEFG)", SYNC_REJECT_COUNT, "?");
	assert_int_equal(h.rejected[SYNC_REJECT_INVALID], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_node_has_nothing),
		cmocka_unit_test(test_peer_down_over_an_hour),
		cmocka_unit_test(test_rejected_records),
		cmocka_unit_test(test_lookalike_communities),
		cmocka_unit_test(test_storage_thresholds),
		cmocka_unit_test(test_reject_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

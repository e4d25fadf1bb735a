/* Admission before authentication: the caps in total and per source, IPv6
 * sources by /64, release on removal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "net/admit.h"

static struct sockaddr_storage
addr(const char *text, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, text, &a6->sin6_addr), 1);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, text, &a4->sin_addr), 1);
	}
	return ss;
}

static int
add(struct admit *a, uintptr_t conn, const char *text, uint16_t port, uint32_t max,
    uint32_t per)
{
	struct sockaddr_storage ss = addr(text, port);

	return admit_add(a, (void *)conn, (struct sockaddr *)&ss, 1000 + conn, max, per);
}

static void
test_caps(void **state)
{
	struct admit a = { 0 };
	struct sockaddr_storage one = addr("192.0.2.1", 1);
	uintptr_t conn = 1;

	/* Per source: the third from one address is refused, other ports
	 * of it do not help; another address still gets in. */
	assert_int_equal(add(&a, conn++, "192.0.2.1", 1000, 5, 2), 0);
	assert_int_equal(add(&a, conn++, "192.0.2.1", 1001, 5, 2), 0);
	assert_int_equal(add(&a, conn++, "192.0.2.1", 1002, 5, 2), -EBUSY);
	assert_int_equal(a.refused[ADMIT_ADDRESS], 1);
	assert_int_equal(admit_count_source(&a, (struct sockaddr *)&one), 2);
	assert_int_equal(add(&a, conn++, "192.0.2.2", 1000, 5, 2), 0);
	assert_int_equal(add(&a, conn++, "192.0.2.3", 1000, 5, 2), 0);
	assert_int_equal(add(&a, conn++, "192.0.2.4", 1000, 5, 2), 0);
	/* In total: the sixth is refused whatever its address. */
	assert_int_equal(add(&a, conn++, "192.0.2.5", 1000, 5, 2), -EMFILE);
	assert_int_equal(a.refused[ADMIT_FULL], 1);
	assert_int_equal(a.n, 5);
	assert_int_equal(a.e[0].since, 1001);

	/* Removing frees a slot, once; unknown connections change nothing. */
	assert_true(admit_remove(&a, (void *)1));
	assert_false(admit_remove(&a, (void *)1));
	assert_false(admit_remove(&a, (void *)99));
	assert_int_equal(a.n, 4);
	assert_int_equal(admit_count_source(&a, (struct sockaddr *)&one), 1);
	assert_int_equal(add(&a, conn++, "192.0.2.1", 1003, 5, 2), 0);
	assert_int_equal(add(&a, conn++, "192.0.2.6", 1000, 5, 2), -EMFILE);
	/* A lower cap (a reload) applies to the next admission. */
	assert_true(admit_remove(&a, (void *)2));
	assert_int_equal(add(&a, conn++, "192.0.2.7", 1000, 3, 2), -EMFILE);
	admit_free(&a);
	assert_int_equal(a.n, 0);
	assert_null(a.e);
	admit_free(&a);
}

/* One IPv6 host commonly holds a whole /64: it counts as one source. An
 * IPv4-mapped address is its IPv4 address. */
static void
test_sources(void **state)
{
	struct admit a = { 0 };
	struct sockaddr_storage v4 = addr("198.51.100.7", 1);

	assert_int_equal(add(&a, 1, "2001:db8:1:2::1", 1, 100, 2), 0);
	assert_int_equal(add(&a, 2, "2001:db8:1:2:ffff::9", 1, 100, 2), 0);
	assert_int_equal(add(&a, 3, "2001:db8:1:2:abcd::1", 1, 100, 2), -EBUSY);
	assert_int_equal(add(&a, 4, "2001:db8:1:3::1", 1, 100, 2), 0);
	assert_int_equal(add(&a, 5, "198.51.100.7", 1, 100, 2), 0);
	assert_int_equal(add(&a, 6, "::ffff:198.51.100.7", 2, 100, 2), 0);
	assert_int_equal(add(&a, 7, "198.51.100.7", 3, 100, 2), -EBUSY);
	assert_int_equal(admit_count_source(&a, (struct sockaddr *)&v4), 2);
	/* Bytes of an IPv4 address never match an IPv6 prefix. */
	assert_int_equal(add(&a, 8, "c633:6407::", 1, 100, 2), 0);
	assert_int_equal(a.n, 6);
	admit_free(&a);
}

/* Many connections: the table grows, every one is found again. */
static void
test_many(void **state)
{
	struct admit a = { 0 };
	char text[32];

	for (uintptr_t i = 1; i <= 1000; i++) {
		snprintf(text, sizeof(text), "10.0.%u.%u", (unsigned)(i / 250),
		    (unsigned)(i % 250));
		assert_int_equal(add(&a, i, text, 1, 1000, 1), 0);
	}
	assert_int_equal(add(&a, 1001, "10.9.9.9", 1, 1000, 1), -EMFILE);
	for (uintptr_t i = 1000; i >= 1; i--)
		assert_true(admit_remove(&a, (void *)i));
	assert_int_equal(a.n, 0);
	admit_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

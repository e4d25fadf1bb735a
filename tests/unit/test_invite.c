/* Invites: codes round-trip and refuse damage; proofs bind both keys; the
 * table uses an invite once, expires it, counts wrong proofs up to a
 * revocation, survives a reopen and never keeps a used secret; pending
 * nodes are bounded, evict the least recently seen and are rate-limited. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/invite.h"
#include "core/invites.h"
#include "core/util.h"
#include "net/pending.h"

static void
fill(uint8_t *p, size_t n, uint8_t v)
{
	memset(p, v, n);
}

static void
test_code(void **state)
{
	struct invite_code c, d;
	char text[INVITE_CODE_MAX], lower[INVITE_CODE_MAX];
	const char *why;

	memset(&c, 0, sizeof(c));
	fill(c.inviter, TESS_KEY_LEN, 1);
	fill(c.id, INVITE_ID_LEN, 2);
	fill(c.secret, INVITE_SECRET_LEN, 3);
	assert_int_equal(invite_encode(&c, text), -EINVAL);     /* no address */
	snprintf(c.addrs[0], sizeof(c.addrs[0]), "node.example.org:7070");
	snprintf(c.addrs[1], sizeof(c.addrs[1]), "[2001:db8::1]:7070");
	c.n_addrs = 2;
	assert_int_equal(invite_encode(&c, text), 0);
	assert_int_equal(strncmp(text, "TESSERA1", 8), 0);
	assert_int_equal(invite_decode(text, &d, &why), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	/* Any case, with blanks and dashes. */
	for (size_t i = 0; i <= strlen(text); i++)
		lower[i] = (char)(i > 8 && text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
	assert_int_equal(invite_decode(lower, &d, &why), 0);
	/* One character changed, or cut short: refused by the check. */
	text[20] = text[20] == 'A' ? 'B' : 'A';
	assert_int_equal(invite_decode(text, &d, &why), -EINVAL);
	assert_non_null(strstr(why, "check"));
	text[30] = '\0';
	assert_int_equal(invite_decode(text, &d, &why), -EINVAL);
	assert_int_equal(invite_decode("TESSERA1!!", &d, &why), -EINVAL);
	assert_int_equal(invite_decode("hello", &d, &why), -EINVAL);
	assert_int_equal(invite_decode("", &d, &why), -EINVAL);
}

static void
test_proof(void **state)
{
	uint8_t secret[INVITE_SECRET_LEN], a[TESS_KEY_LEN], b[TESS_KEY_LEN], id[INVITE_ID_LEN];
	uint8_t m1[INVITE_MAC_LEN], m2[INVITE_MAC_LEN];

	fill(secret, sizeof(secret), 9);
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	fill(id, sizeof(id), 3);
	invite_proof(secret, a, b, id, m1);
	invite_proof(secret, a, b, id, m2);
	assert_memory_equal(m1, m2, INVITE_MAC_LEN);
	invite_proof(secret, b, a, id, m2);      /* the ends swapped */
	assert_memory_not_equal(m1, m2, INVITE_MAC_LEN);
	secret[0] ^= 1;
	invite_proof(secret, a, b, id, m2);
	assert_memory_not_equal(m1, m2, INVITE_MAC_LEN);
}

static void
test_table(void **state)
{
	char tmpl[] = "/tmp/tessera-invites-XXXXXX", name[65], why[160], *cause = NULL, *cmd;
	uint8_t me[TESS_KEY_LEN], joiner[TESS_KEY_LEN], mac[INVITE_MAC_LEN], id[INVITE_ID_LEN];
	uint8_t id2[INVITE_ID_LEN], secret2[INVITE_SECRET_LEN], bad[INVITE_MAC_LEN];
	const struct invite_open *e;
	struct invites *iv;
	char hex[2 * INVITE_ID_LEN + 1];

	assert_non_null(mkdtemp(tmpl));
	fill(me, sizeof(me), 1);
	fill(joiner, sizeof(joiner), 2);
	assert_int_equal(invites_open(tmpl, &iv, &cause), 0);
	assert_int_equal(iv->n, 0);
	assert_int_equal(invites_add(iv, "wales", 60000, 1000, &e, &cause), 0);
	memcpy(id, e->id, INVITE_ID_LEN);
	invite_proof(e->secret, me, joiner, id, mac);
	assert_int_equal(invites_add(iv, NULL, 60000, 1000, &e, &cause), 0);
	memcpy(id2, e->id, INVITE_ID_LEN);
	memcpy(secret2, e->secret, INVITE_SECRET_LEN);
	invites_free(iv);

	/* Reopened from the file; a proof for another joiner is wrong. */
	assert_int_equal(invites_open(tmpl, &iv, &cause), 0);
	assert_int_equal(iv->n, 2);
	invite_proof(secret2, me, me, id, bad);
	assert_int_equal(invites_use(iv, me, joiner, id, bad, 2000, name, why, sizeof(why)),
	    -EACCES);
	assert_non_null(strstr(why, "wrong invite secret"));
	assert_int_equal(invites_use(iv, me, joiner, id, mac, 2000, name, why, sizeof(why)), 0);
	assert_string_equal(name, "wales");
	/* Used once. */
	assert_int_equal(invites_use(iv, me, joiner, id, mac, 2000, name, why, sizeof(why)),
	    -ENOENT);
	/* Expired. */
	invite_proof(secret2, me, joiner, id2, mac);
	assert_int_equal(invites_use(iv, me, joiner, id2, mac, 61000, name, why, sizeof(why)),
	    -ETIMEDOUT);
	assert_int_equal(iv->n, 0);
	/* Five wrong proofs revoke. */
	assert_int_equal(invites_add(iv, NULL, 60000, 1000, &e, &cause), 0);
	memcpy(id, e->id, INVITE_ID_LEN);
	for (int i = 0; i < INVITES_MAX_FAILURES; i++)
		assert_int_equal(invites_use(iv, me, joiner, id, bad, 2000, name, why, sizeof(why)),
		    -EACCES);
	assert_non_null(strstr(why, "revoked"));
	assert_int_equal(iv->n, 0);
	/* Revoke by ID. */
	assert_int_equal(invites_add(iv, NULL, 60000, 1000, &e, &cause), 0);
	hex_encode(e->id, INVITE_ID_LEN, hex);
	assert_int_equal(invites_revoke(iv, "0011", &cause), -ENOENT);
	free(cause);
	cause = NULL;
	assert_int_equal(invites_revoke(iv, hex, &cause), 0);
	invites_free(iv);
	assert_int_equal(invites_open(tmpl, &iv, &cause), 0);
	assert_int_equal(iv->n, 0);
	invites_free(iv);
	cmd = strfmt("rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
test_pending(void **state)
{
	static struct pending pd;
	uint8_t id[TESS_KEY_LEN];
	int allowed = 0;

	memset(&pd, 0, sizeof(pd));
	for (int i = 0; i < 100; i++)
		allowed += pending_allow(&pd, 1000);
	assert_int_equal(allowed, PENDING_BURST);
	assert_false(pending_allow(&pd, 1000 + PENDING_REFILL_MS - 10));
	assert_true(pending_allow(&pd, 1000 + PENDING_REFILL_MS + 10));
	for (int i = 0; i < PENDING_MAX + 5; i++) {
		fill(id, sizeof(id), 0);
		id[0] = (uint8_t)i;
		pending_note(&pd, id, "127.0.0.1:1", "x", 1000 + i);
	}
	assert_int_equal(pd.n, PENDING_MAX);
	/* The least recently seen (0..4) went; a repeat counts. */
	for (size_t i = 0; i < pd.n; i++)
		assert_true(pd.e[i].id[0] >= 5);
	pending_note(&pd, id, "127.0.0.1:2", NULL, 5000);
	for (size_t i = 0; i < pd.n; i++)
		if (pd.e[i].id[0] == id[0]) {
			assert_int_equal(pd.e[i].count, 2);
			assert_string_equal(pd.e[i].addr, "127.0.0.1:2");
			assert_string_equal(pd.e[i].name, "x");
		}
	pending_forget(&pd, id);
	assert_int_equal(pd.n, PENDING_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code),
		cmocka_unit_test(test_proof),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

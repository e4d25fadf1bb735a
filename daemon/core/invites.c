/* The open invites of this node, kept in DATA/invites (invites.h). One line
 * per invite: ID, secret (hex), created, expires (ms), wrong proofs, name. */
#include "core/invites.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/atomicfile.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

#define LINE_MAX_LEN 256

static int
invites_parse_line(struct invites *iv, const char *line)
{
	char id[2 * INVITE_ID_LEN + 1], secret[2 * INVITE_SECRET_LEN + 1], name[65] = "";
	struct invite_open *e;
	int64_t created, expires;
	uint32_t failures;

	if (iv->n == INVITES_MAX)
		return -ENOSPC;
	if (sscanf(line, "%16s %32s %" SCNd64 " %" SCNd64 " %" SCNu32 " %64s", id, secret,
	    &created, &expires, &failures, name) < 5)
		return -EINVAL;
	if (strcmp(name, "-") == 0)
		name[0] = '\0';
	e = &iv->e[iv->n];
	if (hex_decode(id, e->id, INVITE_ID_LEN) != 0 ||
	    hex_decode(secret, e->secret, INVITE_SECRET_LEN) != 0 ||
	    (name[0] != '\0' && !config_peer_name_ok(name)))
		return -EINVAL;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->created = created;
	e->expires = expires;
	e->failures = failures;
	iv->n++;
	return 0;
}

int
invites_open(const char *dir, struct invites **out, char **cause)
{
	struct invites *iv = calloc(1, sizeof(*iv));
	char line[LINE_MAX_LEN];
	int lineno = 0, rc = 0;
	FILE *f;

	*out = NULL;
	if (iv == NULL || (iv->path = strfmt("%s/invites", dir)) == NULL) {
		free(iv);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	if ((f = fopen(iv->path, "re")) == NULL) {
		if (errno != ENOENT) {
			rc = set_cause(cause, -errno, "%s: %s", iv->path, strerror(errno));
			invites_free(iv);
			return rc;
		}
		*out = iv;
		return 0;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (invites_parse_line(iv, line) != 0)
			rc = set_cause(cause, -EINVAL, "%s:%d: not an invite line", iv->path, lineno);
	}
	fclose(f);
	OPENSSL_cleanse(line, sizeof(line));
	if (rc != 0) {
		invites_free(iv);
		return rc;
	}
	*out = iv;
	return 0;
}

void
invites_free(struct invites *iv)
{
	if (iv == NULL)
		return;
	free(iv->path);
	xzfree(iv, sizeof(*iv));
}

/* Rewrites the file from the table; the text holds secrets, so it is wiped. */
static int
invites_save(struct invites *iv, char **cause)
{
	size_t cap = 64 + iv->n * LINE_MAX_LEN, len = 0;
	char *text = malloc(cap);
	int rc;

	if (text == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	len += (size_t)snprintf(text, cap, "# Open invites of this node (tessera invites).\n");
	for (size_t i = 0; i < iv->n; i++) {
		const struct invite_open *e = &iv->e[i];
		char id[2 * INVITE_ID_LEN + 1], secret[2 * INVITE_SECRET_LEN + 1];

		hex_encode(e->id, INVITE_ID_LEN, id);
		hex_encode(e->secret, INVITE_SECRET_LEN, secret);
		len += (size_t)snprintf(text + len, cap - len, "%s %s %" PRId64 " %" PRId64 " %" PRIu32
		    " %s\n", id, secret, e->created, e->expires, e->failures,
		    e->name[0] ? e->name : "-");
		OPENSSL_cleanse(secret, sizeof(secret));
	}
	rc = atomicfile_write(iv->path, text, 0600, cause);
	xzfree(text, cap);
	return rc;
}

static void
invites_drop(struct invites *iv, size_t i)
{
	iv->e[i] = iv->e[--iv->n];
	OPENSSL_cleanse(&iv->e[iv->n], sizeof(iv->e[iv->n]));
}

/* Drops expired invites; returns how many. */
static size_t
invites_expire(struct invites *iv, int64_t now)
{
	size_t dropped = 0;

	for (size_t i = 0; i < iv->n;)
		if (iv->e[i].expires <= now) {
			invites_drop(iv, i);
			dropped++;
		} else {
			i++;
		}
	return dropped;
}

int
invites_add(struct invites *iv, const char *name, uint64_t ttl_ms, int64_t now,
    const struct invite_open **out, char **cause)
{
	struct invite_open *e;
	int rc;

	invites_expire(iv, now);
	if (iv->n == INVITES_MAX)
		return set_cause(cause, -ENOSPC, "%d invites are open already: revoke some "
		    "(tessera invites --revoke ID)", INVITES_MAX);
	e = &iv->e[iv->n];
	memset(e, 0, sizeof(*e));
	if (RAND_bytes(e->id, INVITE_ID_LEN) != 1 ||
	    RAND_bytes(e->secret, INVITE_SECRET_LEN) != 1)
		return set_cause(cause, -EIO, "no randomness for the invite's secret");
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	e->created = now;
	e->expires = now + (int64_t)ttl_ms;
	iv->n++;
	if ((rc = invites_save(iv, cause)) != 0) {
		invites_drop(iv, iv->n - 1);
		return rc;
	}
	*out = e;
	return 0;
}

static struct invite_open *
invites_find(struct invites *iv, const uint8_t id[INVITE_ID_LEN], size_t *at)
{
	for (size_t i = 0; i < iv->n; i++)
		if (memcmp(iv->e[i].id, id, INVITE_ID_LEN) == 0) {
			*at = i;
			return &iv->e[i];
		}
	return NULL;
}

int
invites_revoke(struct invites *iv, const char *hex, char **cause)
{
	uint8_t id[INVITE_ID_LEN];
	size_t at;

	if (strlen(hex) != 2 * INVITE_ID_LEN || hex_decode(hex, id, INVITE_ID_LEN) != 0 ||
	    invites_find(iv, id, &at) == NULL)
		return set_cause(cause, -ENOENT, "no open invite %s", hex);
	invites_drop(iv, at);
	return invites_save(iv, cause);
}

int
invites_use(struct invites *iv, const uint8_t inviter[TESS_KEY_LEN],
    const uint8_t joiner[TESS_KEY_LEN], const uint8_t id[INVITE_ID_LEN],
    const uint8_t mac[INVITE_MAC_LEN], int64_t now, char name[65], char *why, size_t whylen)
{
	uint8_t want[INVITE_MAC_LEN];
	struct invite_open *e;
	char *cause = NULL;
	size_t at;
	int rc = 0;

	if ((e = invites_find(iv, id, &at)) == NULL) {
		snprintf(why, whylen, "unknown invite (used already, revoked or never made here)");
		return -ENOENT;
	}
	if (e->expires <= now) {
		snprintf(why, whylen, "invite expired");
		invites_drop(iv, at);
		rc = -ETIMEDOUT;
	} else {
		invite_proof(e->secret, inviter, joiner, id, want);
		if (CRYPTO_memcmp(want, mac, INVITE_MAC_LEN) != 0) {
			/* A handful of tries, then the code is dead: 128 bits
			 * cannot be guessed in five. */
			if (++e->failures >= INVITES_MAX_FAILURES) {
				snprintf(why, whylen, "wrong invite secret (the invite is revoked after "
				    "%d wrong proofs)", INVITES_MAX_FAILURES);
				invites_drop(iv, at);
			} else {
				snprintf(why, whylen, "wrong invite secret");
			}
			rc = -EACCES;
		} else {
			snprintf(name, 65, "%s", e->name);
			invites_drop(iv, at);
		}
		OPENSSL_cleanse(want, sizeof(want));
	}
	if (invites_save(iv, &cause) != 0) {
		/* The table in memory is right; the file catches up with the
		 * next change, and until then a restart would bring back what
		 * this attempt changed. */
		log_warnx("invites: %s", cause);
		free(cause);
	}
	return rc;
}

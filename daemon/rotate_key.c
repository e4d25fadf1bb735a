/* tesserad rotate-key (see rotate_key.h).
 *
 * It runs with the daemon stopped, under the data directory's lock: the
 * running daemon holds its key in memory and presents it in every TLS
 * handshake, so a key changed under it would only take effect at the next
 * start anyway; stopped, the switch is one clear step (stop, rotate, start)
 * and no session ever sees half of it. */
#include "rotate_key.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/identity.h"
#include "core/nodeid.h"
#include "core/process.h"
#include "core/record.h"
#include "core/rotation.h"
#include "core/util.h"
#include "store/publish.h"
#include "store/store.h"
#include "store/store_rotate.h"

/* Stores the rotation from old to newid, then our profile again under the
 * new key (a community is found by its name: the new key gets the name
 * the old one had). */
static int
store_statement(struct store *st, const struct identity *old, const struct identity *newid,
    char **cause)
{
	enum store_put_result res;
	Tessera__Record *r = NULL, *prof = NULL;
	uint8_t *body = NULL, sig[TESS_SIG_LEN], pid[TESS_ID_LEN];
	size_t len;
	const char *why;
	char *none = NULL;
	int rc;

	if ((rc = rotation_seal(old, newid, store_next_version(st, old->pub), now_ms(), &body,
	    &len, sig)) != 0)
		return set_cause(cause, rc, "could not sign the rotation statement");
	if ((rc = record_open(body, len, sig, TESS_SIG_LEN, &r, &why)) != 0) {
		free(body);
		return set_cause(cause, rc, "rotation statement: %s", why);
	}
	rc = store_put(st, body, len, sig, r, &res);
	free(body);
	record_free(r);
	if (rc != 0 || res != STORE_STORED)
		return set_cause(cause, rc ? rc : -EEXIST, "could not store the rotation "
		    "statement: %s", rc ? store_errmsg(st) : "refused (already rotated?)");
	if (publish_profile_id(st, pid) != 0 || publish_load(st, pid, &prof, &none) != 0) {
		free(none);
		return 0;   /* no profile to carry over */
	}
	/* The profile's id is bound to the old key: a new one is made. */
	rc = store_meta_set(st, "profile_id", "") != 0 ? -EIO :
	    publish_profile(st, newid, prof, cause);
	record_free(prof);
	return rc;
}

/* dir/name-SHORTID.pem: where an old key or certificate is kept. */
static char *
kept_path(const char *dir, const char *name, const char *shortid)
{
	return strfmt("%s/%.*s-%s.pem", dir, (int)(strlen(name) - 4), name, shortid);
}

/* Moves the old key and certificate aside (kept: records signed by them
 * stay attributable, and a dispute can be settled with them), then the new
 * ones into place. */
static int
swap_files(const char *dir, const char *tmp, const char *shortid, char **cause)
{
	const char *names[] = { IDENTITY_KEY_FILE, IDENTITY_CERT_FILE };
	int rc = 0;

	for (size_t i = 0; i < 2 && rc == 0; i++) {
		char *cur = strfmt("%s/%s", dir, names[i]), *kept = kept_path(dir, names[i], shortid);
		char *fresh = strfmt("%s/%s", tmp, names[i]);

		if (cur == NULL || kept == NULL || fresh == NULL)
			rc = set_cause(cause, -ENOMEM, "out of memory");
		else if (rename(cur, kept) != 0 || rename(fresh, cur) != 0)
			rc = set_cause(cause, -errno, "%s: %s", cur, strerror(errno));
		free(cur);
		free(kept);
		free(fresh);
	}
	return rc;
}

static int
rotate(const char *dir, char **cause)
{
	struct identity *old = NULL, *newid = NULL;
	struct store *st = NULL;
	char *tmp = strfmt("%s/rotate-key.tmp", dir), shortid[NODEID_SHORT + 1];
	uint8_t next[TESS_KEY_LEN];
	int rc;

	if (tmp == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	if ((rc = identity_load(dir, &old, cause)) != 0 ||
	    (rc = store_open(dir, false, &st, cause)) != 0)
		goto out;
	if (store_rotation_next(st, old->pub, next) == 0) {
		char id[NODEID_STRLEN + 1];

		nodeid_encode(next, id);
		rc = set_cause(cause, -EEXIST, "the key of this node was already rotated to %s, "
		    "whose key file is missing", id);
		goto out;
	}
	/* A leftover of an interrupted run holds a key never announced. */
	if (mkdir(tmp, 0700) != 0 && errno == EEXIST) {
		char *k = strfmt("%s/%s", tmp, IDENTITY_KEY_FILE), *c = strfmt("%s/%s", tmp,
		    IDENTITY_CERT_FILE);

		if (k != NULL)
			unlink(k);
		if (c != NULL)
			unlink(c);
		free(k);
		free(c);
	}
	if ((rc = identity_create(tmp, &newid, cause)) != 0 ||
	    (rc = store_statement(st, old, newid, cause)) != 0)
		goto out;
	nodeid_short(old->pub, shortid);
	if ((rc = swap_files(dir, tmp, shortid, cause)) != 0)
		goto out;
	rmdir(tmp);
	printf("rotated the key of this node\n  old ID %s (kept in %s/key-%s.pem)\n  new ID %s\n"
	    "Next: start tesserad again (systemctl start tesserad). Peers that pin the old ID\n"
	    "follow when it connects to them, and relay the statement to the network.\n",
	    old->id, dir, shortid, newid->id);
out:
	free(tmp);
	store_close(st);
	identity_free(old);
	identity_free(newid);
	return rc;
}

int
rotate_key_main(int argc, char **argv)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *dir = NULL;
	char *cause = NULL;
	int c, fd = -1, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: tesserad rotate-key --data DIR   (with tesserad stopped)\n");
			return 0;
		}
		if (c != 'd')
			return 2;
		dir = optarg;
	}
	if (dir == NULL || optind != argc) {
		fprintf(stderr, "tesserad: rotate-key needs --data DIR\n");
		return 2;
	}
	if (process_lock_dir(dir, &fd, &cause) != 0) {
		fprintf(stderr, "tesserad: rotate-key: %s\n", cause);
		fprintf(stderr, "tesserad: stop it first (systemctl stop tesserad), then run "
		    "tesserad rotate-key again\n");
		free(cause);
		return 1;
	}
	rc = rotate(dir, &cause);
	close(fd);
	if (rc != 0) {
		fprintf(stderr, "tesserad: rotate-key: %s\n", cause ? cause : "failed");
		free(cause);
		return 1;
	}
	return 0;
}

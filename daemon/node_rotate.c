/* The node's part of key rotation (see node_rotate.h). */
#include "node_rotate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/identity.h"
#include "core/log.h"
#include "core/nodeid.h"
#include "core/peerfile.h"
#include "core/record.h"
#include "core/rotation.h"
#include "core/util.h"
#include "store/store.h"
#include "store/store_rotate.h"

int
node_rotate_open(struct node_rotate *rot, const uint8_t our_key[TESS_KEY_LEN], char **cause)
{
	if (store_rotation_chain(rot->store, our_key, rot->chain, ROTATION_CHAIN_MAX,
	    &rot->n_chain) != 0)
		return set_cause(cause, -EIO, "reading our key rotations: %s", store_errmsg(rot->store));
	if (rot->n_chain > 0)
		log_info("this node's key follows %zu rotation%s: shown in every Hello", rot->n_chain,
		    rot->n_chain == 1 ? "" : "s");
	return 0;
}

void
node_rotate_close(struct node_rotate *rot)
{
	store_rotation_chain_free(rot->chain, rot->n_chain);
	rot->n_chain = 0;
}

bool
node_rotate_leads(struct node_rotate *rot, const uint8_t pinned[TESS_KEY_LEN],
    const uint8_t key[TESS_KEY_LEN])
{
	/* Called for every stranger's handshake and every configured peer:
	 * no query unless a pinned key is known to have been rotated. */
	return rot->pins_rotated && store_rotation_leads(rot->store, pinned, key);
}

/* Rewrites pc's drop-in with its community's current key final; 1 if it
 * did, 0 if pc lives in a file the node does not manage. */
static int
repin(struct node_rotate *rot, const struct peer_conf *pc, const uint8_t final[TESS_KEY_LEN],
    bool tell)
{
	char *ours = peerfile_path(rot->conf->peers_dir, pc->name), *cause = NULL;
	char from[NODEID_STRLEN + 1], to[NODEID_STRLEN + 1], note[96];
	bool managed = ours != NULL && pc->file != NULL && strcmp(ours, pc->file) == 0;

	free(ours);
	nodeid_encode(pc->id, from);
	nodeid_encode(final, to);
	if (!managed) {
		if (tell)
			log_warnx("peer %s rotated its key from %s to %s; it is pinned in %s, which "
			    "tesserad does not edit: the link follows the rotation, and you may "
			    "replace its id there with the new one", pc->name, from, to,
			    config_peer_file(rot->conf, pc));
		return 0;
	}
	snprintf(note, sizeof(note), "key rotated from %.7s", from);
	if (peerfile_write(rot->conf->peers_dir, pc->name, pc->address, final, note, &cause) != 0) {
		log_warnx("peer %s rotated its key from %s to %s, but its pin could not be "
		    "updated: %s", pc->name, from, to, cause);
		free(cause);
		return 0;
	}
	log_info("peer %s rotated its key from %s to %s; pin updated in %s", pc->name, from, to,
	    pc->file);
	return 1;
}

void
node_rotate_follow(struct node_rotate *rot, bool tell)
{
	uint8_t final[TESS_KEY_LEN];
	uint64_t count;
	int changed = 0;

	if (store_rotation_count(rot->store, &count) != 0 || (count == rot->seen && !tell))
		return;
	rot->seen = count;
	rot->pins_rotated = false;
	for (size_t i = 0; i < rot->conf->n_peers; i++) {
		const struct peer_conf *pc = &rot->conf->peers[i];

		if (store_rotation_final(rot->store, pc->id, final) != 0 ||
		    memcmp(final, pc->id, TESS_KEY_LEN) == 0)
			continue;
		rot->pins_rotated = true;
		/* Both pinned (the old and the new key as two peers): leave it. */
		if (config_find_peer(rot->conf, final) != NULL)
			continue;
		changed += repin(rot, pc, final, tell);
	}
	if (changed > 0)
		rot->on_repinned(rot->hook_arg);
}

/* Opens the rotations of a Hello into r (oldest first), checking that
 * each starts where the one before ends and the last ends at key. */
static int
open_chain(Tessera__SignedRecord *const *v, size_t nv, const uint8_t key[TESS_KEY_LEN],
    Tessera__Record **r, char *why, size_t whylen)
{
	for (size_t i = 0; i < nv; i++) {
		const char *bad = NULL;

		if (!v[i]->has_body || !v[i]->has_sig ||
		    rotation_open(v[i]->body.data, v[i]->body.len, v[i]->sig.data, v[i]->sig.len,
		    &r[i], &bad) != 0) {
			snprintf(why, whylen, "invalid key rotation: %s", bad ? bad : "incomplete");
			return -EINVAL;
		}
		if (i > 0 && memcmp(r[i - 1]->rotation->new_key.data, r[i]->author.data,
		    TESS_KEY_LEN) != 0) {
			snprintf(why, whylen, "key rotations that do not follow one another");
			return -EINVAL;
		}
	}
	if (memcmp(r[nv - 1]->rotation->new_key.data, key, TESS_KEY_LEN) != 0) {
		snprintf(why, whylen, "key rotations that do not lead to your key");
		return -EINVAL;
	}
	return 0;
}

/* Stores r[from..nv): each STORED or already held; else why says which
 * was refused. */
static int
store_chain(struct node_rotate *rot, Tessera__SignedRecord *const *v, Tessera__Record **r,
    size_t from, size_t nv, const uint8_t key[TESS_KEY_LEN], char *why, size_t whylen)
{
	for (size_t i = from; i < nv; i++) {
		enum store_put_result res;
		char old[NODEID_SHORT + 1];

		nodeid_short(r[i]->author.data, old);
		if (store_put_from(rot->store, v[i]->body.data, v[i]->body.len, v[i]->sig.data, r[i],
		    key, &res) != 0) {
			snprintf(why, whylen, "this node could not store your key rotation");
			return -EIO;
		}
		if (res == STORE_DISPUTED) {
			snprintf(why, whylen, "key %s was already rotated to another key here: "
			    "disputed, its operator decides", old);
			return -EACCES;
		}
		if (res != STORE_STORED && res != STORE_DUPLICATE && res != STORE_STALE) {
			snprintf(why, whylen, "your key rotation from %s was refused", old);
			return -EACCES;
		}
	}
	return 0;
}

int
node_rotate_hello(struct node_rotate *rot, const uint8_t key[TESS_KEY_LEN],
    Tessera__SignedRecord *const *v, size_t nv, char *why, size_t whylen)
{
	Tessera__Record *r[ROTATION_CHAIN_MAX] = { NULL };
	const struct peer_conf *pc = NULL;
	char shortid[NODEID_SHORT + 1];
	size_t from = 0;
	int rc;

	nodeid_short(key, shortid);
	if (nv == 0 || nv > ROTATION_CHAIN_MAX) {
		snprintf(why, whylen, "too many key rotations in one Hello");
		return -EINVAL;
	}
	if (*rot->store_held) {
		snprintf(why, whylen, "this node is busy importing; try again later");
		return -EBUSY;
	}
	if ((rc = open_chain(v, nv, key, r, why, whylen)) == 0) {
		/* The oldest key of the chain that we pin, or that a rotation we
		 * hold leads to a key we pin, is the peer that moved; another
		 * rotation of that key is stored as a dispute. */
		for (from = 0; from < nv && pc == NULL; from++) {
			uint8_t final[TESS_KEY_LEN];

			pc = config_find_peer(rot->conf, r[from]->author.data);
			if (pc == NULL && store_rotation_final(rot->store, r[from]->author.data,
			    final) == 0)
				pc = config_find_peer(rot->conf, final);
		}
		from--;
		if (pc == NULL) {
			snprintf(why, whylen, "this node does not know your key, nor any key you "
			    "rotated from; its operator can accept you (tessera peers --pending)");
			rc = -EACCES;
		}
	}
	if (rc == 0)
		rc = store_chain(rot, v, r, from, nv, key, why, whylen);
	if (rc == 0 && !store_rotation_leads(rot->store, pc->id, key)) {
		snprintf(why, whylen, "the key rotation this node holds for your old key leads "
		    "elsewhere");
		rc = -EACCES;
	}
	for (size_t i = 0; i < nv; i++)
		record_free(r[i]);
	if (rc != 0) {
		log_warnx("node %s: key rotation refused: %s", shortid, why);
		return rc;
	}
	rot->on_stored(rot->hook_arg);   /* relay the statement to the other peers */
	node_rotate_follow(rot, true);
	return 0;
}

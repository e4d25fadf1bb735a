/* Authoring records as a node's user would, under the seed: nonces from the
 * simulator's random source, versions from the store (its clock is the
 * simulated one), signatures deterministic (Ed25519). */
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/record.h"
#include "store/store.h"

#define SIM_TIME_BASE_MS 1767225600000LL   /* the simulated clock's zero */

static const char *words[] = {
	"learning", "community", "garden", "repair", "café", "școală", "közösség", "atelier",
	"biblioteca", "dialogue", "meșteșug", "energy", "commons", "workshop", "Nachbarschaft",
};

static int
own_add(struct sim_node *n, const uint8_t id[TESS_ID_LEN], const uint8_t nonce[TESS_NONCE_LEN])
{
	if (n->n_own == n->cap_own) {
		size_t cap = n->cap_own ? 2 * n->cap_own : 16;
		void *p = realloc(n->own, cap * sizeof(*n->own));

		if (p == NULL)
			return -ENOMEM;
		n->own = p;
		n->cap_own = cap;
	}
	memcpy(n->own[n->n_own].id, id, TESS_ID_LEN);
	memcpy(n->own[n->n_own].nonce, nonce, TESS_NONCE_LEN);
	n->own[n->n_own].deleted = false;
	n->n_own++;
	return 0;
}

/* Records a commit in the ledger: the highest version of each id wins. */
static void
acknowledge(struct sim *sim, struct sim_node *n, const Tessera__Record *r,
    const uint8_t sig[TESS_SIG_LEN])
{
	struct sim_ack *a = ledger_get(&sim->acks, r->id.data, true);

	if (a == NULL) {
		sim_violation(sim, "simulator out of memory (ledger)");
		return;
	}
	if (a->version >= r->version)
		return;
	a->version = r->version;
	memcpy(a->sig, sig, TESS_SIG_LEN);
	a->author = n->idx;
	a->at = sim->now;
	a->lost = false;
}

int
records_author(struct sim *sim, struct sim_node *n)
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Text text = TESSERA__TEXT__INIT, *texts[1] = { &text };
	uint8_t id[TESS_ID_LEN], nonce[TESS_NONCE_LEN], sig[TESS_SIG_LEN], *body = NULL;
	char title[96], summary[160];
	enum store_put_result res;
	size_t len, k = 0;
	bool update = n->n_own > 0 && sim_rand_chance(&sim->rng, 250), del = false;
	int rc;

	if (!n->up || n->evil)
		return 0;
	if (update) {
		k = rng_uniform(&sim->rng, n->n_own);
		update = !n->own[k].deleted;
		del = update && sim_rand_chance(&sim->rng, 200);
	}
	if (update) {
		memcpy(id, n->own[k].id, TESS_ID_LEN);
		memcpy(nonce, n->own[k].nonce, TESS_NONCE_LEN);
	} else {
		sim_rand_bytes(&sim->rng, nonce, TESS_NONCE_LEN);
		record_make_id(n->id->pub, nonce, id);
	}
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = 1;
	r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, n->id->pub };
	r.version = store_next_version(n->st, n->id->pub);
	r.timestamp = SIM_TIME_BASE_MS + (int64_t)sim_now_ms(sim);
	r.kind = sim_rand_chance(&sim->rng, 500) ? TESSERA__KIND__KIND_RESOURCE :
	    TESSERA__KIND__KIND_INITIATIVE;
	if (del) {
		r.has_deleted = 1;
		r.deleted = 1;
	} else {
		snprintf(title, sizeof(title), "%s %s of node %d",
		    words[rng_uniform(&sim->rng, sizeof(words) / sizeof(words[0]))],
		    update ? "updated" : "new", n->idx);
		snprintf(summary, sizeof(summary), "%s and %s, %llu",
		    words[rng_uniform(&sim->rng, sizeof(words) / sizeof(words[0]))],
		    words[rng_uniform(&sim->rng, sizeof(words) / sizeof(words[0]))],
		    (unsigned long long)rng_uniform(&sim->rng, 1000000));
		text.lang = sim_rand_chance(&sim->rng, 500) ? "en" : "ro";
		text.title = title;
		text.summary = summary;
		r.texts = texts;
		r.n_texts = 1;
	}
	if ((rc = record_seal(n->id, &r, &body, &len, sig)) != 0) {
		sim_violation(sim, "node %d: record_seal failed (%d)", n->idx, rc);
		return rc;
	}
	rc = store_put(n->st, body, len, sig, &r, &res);
	free(body);
	if (rc == -ENOSPC)
		return 0;   /* the user is told; nothing was acknowledged */
	if (rc != 0 || (res != STORE_STORED)) {
		sim_violation(sim, "node %d: storing its own record failed (%d, result %d)", n->idx,
		    rc, rc == 0 ? (int)res : -1);
		return -EIO;
	}
	acknowledge(sim, n, &r, sig);
	sim->st.authored++;
	if (del)
		n->own[k].deleted = true;
	else if (!update && own_add(n, id, nonce) != 0)
		return -ENOMEM;
	node_pump(n, NULL);   /* new local records: offer them */
	return 0;
}

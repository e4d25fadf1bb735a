/* Invariants: limits after every event, and at the end of a run what the
 * protocol promises once links heal. A violation is recorded with the time;
 * the caller prints them with the command that reproduces the run. */
#include "sim.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/util.h"
#include "store/store.h"

/* Every acknowledged record, at its highest version, is on node n, and n
 * holds nothing else (nothing unacknowledged, nothing older). */
static void
check_ledger(struct sim *sim, struct sim_node *n)
{
	sqlite3_stmt *s;
	size_t matched = 0, lost = 0;   /* lost: ids acknowledged on a disk later restored */
	char hex[2 * TESS_ID_LEN + 1];

	if (sqlite3_prepare_v2(store_db(n->st), "SELECT id, version, sig FROM records", -1, &s,
	    NULL) != SQLITE_OK) {
		sim_violation(sim, "node %d: cannot read its records", n->idx);
		return;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		const uint8_t *id = sqlite3_column_blob(s, 0);
		uint64_t v = (uint64_t)sqlite3_column_int64(s, 1);
		struct sim_ack *a;

		if (sqlite3_column_bytes(s, 0) != TESS_ID_LEN ||
		    (a = ledger_get(&sim->acks, id, false)) == NULL) {
			if (sqlite3_column_bytes(s, 0) == TESS_ID_LEN)
				hex_encode(id, TESS_ID_LEN, hex);
			sim_violation(sim, "node %d holds record %s that no honest node committed",
			    n->idx, sqlite3_column_bytes(s, 0) == TESS_ID_LEN ? hex : "?");
			continue;
		}
		if (a->lost)
			continue;
		if (v != a->version || sqlite3_column_bytes(s, 2) != TESS_SIG_LEN ||
		    memcmp(sqlite3_column_blob(s, 2), a->sig, TESS_SIG_LEN) != 0) {
			hex_encode(id, TESS_ID_LEN, hex);
			sim_violation(sim, "node %d holds record %s at version %llu, acknowledged %llu",
			    n->idx, hex, (unsigned long long)v, (unsigned long long)a->version);
			continue;
		}
		matched++;
	}
	sqlite3_finalize(s);
	for (size_t i = 0; i < sim->acks.cap; i++)
		if (sim->acks.tab[i].used && sim->acks.tab[i].lost)
			lost++;
	/* Each row matched a distinct live id (ids are unique in a store). */
	if (matched < sim->acks.n - lost)
		sim_violation(sim, "node %d is missing %zu acknowledged records", n->idx,
		    sim->acks.n - lost - matched);
}

/* No node stores what the misbehaving node forged or pushed unasked. */
static void
check_forged(struct sim *sim, struct sim_node *n)
{
	for (size_t i = 0; i < sim->n_forged; i++) {
		uint8_t *body = NULL, sig[TESS_SIG_LEN];
		size_t len;

		if (store_get(n->st, sim->forged[i].id, &body, &len, sig, NULL) != 0)
			continue;
		free(body);
		if (memcmp(sig, sim->forged[i].sig, TESS_SIG_LEN) == 0) {
			char hex[2 * TESS_ID_LEN + 1];

			hex_encode(sim->forged[i].id, TESS_ID_LEN, hex);
			sim_violation(sim, "node %d stored record %s forged by the misbehaving node",
			    n->idx, hex);
		}
	}
}

/* A checkpoint never passes what its peer committed (before a restore,
 * the peer's sequence numbers reached seq_high). */
static void
check_checkpoints(struct sim *sim, struct sim_node *n)
{
	for (size_t k = 0; k < n->n_edges; k++) {
		struct sim_edge *e = n->edges[k];
		struct sim_node *peer = e->n[e->n[0] == n ? 1 : 0];
		struct store_peer cp;
		uint64_t top;

		if (peer->evil || store_peer_get(n->st, peer->id->pub, &cp) != 0 || !cp.has_epoch ||
		    memcmp(cp.epoch, store_epoch(peer->st), TESS_EPOCH_LEN) != 0)
			continue;
		top = store_max_seq(peer->st);
		if (peer->seq_high > top)
			top = peer->seq_high;
		if (cp.seq > top)
			sim_violation(sim, "node %d's checkpoint for node %d is %llu, beyond its "
			    "highest committed seq %llu", n->idx, peer->idx,
			    (unsigned long long)cp.seq, (unsigned long long)top);
	}
}

void
sim_violation(struct sim *sim, const char *fmt, ...)
{
	va_list ap;
	int off;

	if (sim->n_violations >= SIM_VIOLATIONS_MAX) {
		sim->n_violations++;
		return;
	}
	off = snprintf(sim->violation[sim->n_violations], sizeof(sim->violation[0]), "at %.3f ms: ",
	    sim->now / 1000.0);
	va_start(ap, fmt);
	vsnprintf(sim->violation[sim->n_violations] + off, sizeof(sim->violation[0]) - (size_t)off,
	    fmt, ap);
	va_end(ap);
	sim->n_violations++;
}

/* Feeds a store's (id, version, signature) set, in id order, to md. */
int
records_set(struct store *st, EVP_MD_CTX *md, uint64_t *count)
{
	sqlite3_stmt *s;
	int rc;

	*count = 0;
	if (sqlite3_prepare_v2(store_db(st), "SELECT id, version, sig FROM records ORDER BY id",
	    -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t v = (uint64_t)sqlite3_column_int64(s, 1);
		uint8_t vb[8];

		for (int i = 0; i < 8; i++)
			vb[i] = (uint8_t)(v >> (56 - 8 * i));
		EVP_DigestUpdate(md, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
		EVP_DigestUpdate(md, vb, sizeof(vb));
		EVP_DigestUpdate(md, sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
		(*count)++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int
check_final(struct sim *sim)
{
	uint8_t first[32] = { 0 };
	uint64_t first_n = 0;
	int first_idx = -1;

	for (size_t i = 0; i < sim->n_nodes; i++) {
		struct sim_node *n = &sim->nodes[i];
		EVP_MD_CTX *md;
		uint8_t h[32];
		uint64_t count;

		if (n->evil)
			continue;
		if (!n->up) {
			sim_violation(sim, "node %d is still down after every fault healed", n->idx);
			continue;
		}
		check_ledger(sim, n);
		check_forged(sim, n);
		check_checkpoints(sim, n);
		if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
		    records_set(n->st, md, &count) != 0 || EVP_DigestFinal_ex(md, h, NULL) != 1) {
			EVP_MD_CTX_free(md);
			sim_violation(sim, "node %d: cannot hash its records", n->idx);
			continue;
		}
		EVP_MD_CTX_free(md);
		if (first_idx < 0) {
			memcpy(first, h, sizeof(h));
			first_n = count;
			first_idx = n->idx;
		} else if (memcmp(first, h, sizeof(h)) != 0) {
			sim_violation(sim, "nodes %d and %d hold different sets (%llu and %llu records)",
			    first_idx, n->idx, (unsigned long long)first_n, (unsigned long long)count);
		}
	}
	return sim->n_violations == 0 ? 0 : -1;
}

/* The trace hash: every delivered frame (hashed as it was delivered), then
 * every store's final set. */
int
check_trace(struct sim *sim, uint8_t hash[32])
{
	for (size_t i = 0; i < sim->n_nodes; i++) {
		uint64_t count;

		if (sim->nodes[i].st != NULL && records_set(sim->nodes[i].st, sim->trace, &count) != 0)
			return -1;
	}
	return EVP_DigestFinal_ex(sim->trace, hash, NULL) == 1 ? 0 : -1;
}

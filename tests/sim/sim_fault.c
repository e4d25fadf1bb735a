/* The fault schedule, drawn from the seed before the run: each fault starts
 * and ends at a drawn time, all of them within the first 60% of the run so
 * that the rest shows whether the network converges once everything heals. */
#include "sim.h"

#include <errno.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "store/store.h"

#define FAULT_BUSY_END 0.6   /* of the run: every fault has ended by then */
/* ...and at least this long before its end: longer than the longest
 * reconnect backoff (8 s, plus a quarter of jitter), so that every link is
 * up again in time to converge (SIM_SETTLE_MS, sim.h). */

static const char *names[F_COUNT] = {
	[F_DELAY] = "delay", [F_CUT] = "cut", [F_PARTITION] = "partition", [F_CRASH] = "crash",
	[F_FULL] = "full", [F_RESTORE] = "restore", [F_EVIL] = "evil",
};

const char *
fault_name(enum sim_fault_kind k)
{
	return k < F_COUNT ? names[k] : "?";
}

int
fault_parse(const char *list, uint32_t *mask)
{
	char buf[256], *save = NULL;

	*mask = 0;
	if (strcmp(list, "all") == 0) {
		*mask = SIM_FAULTS_ALL;
		return 0;
	}
	if (strcmp(list, "none") == 0 || *list == '\0')
		return 0;
	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return -1;
	for (char *w = strtok_r(buf, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		int k;

		for (k = 0; k < F_COUNT && strcmp(w, names[k]) != 0; k++)
			;
		if (k == F_COUNT)
			return -1;
		*mask |= 1u << k;
	}
	return 0;
}

static struct sim_node *
pick_honest(struct sim *sim)
{
	return &sim->nodes[rng_uniform(&sim->rng, sim->n_honest)];
}

/* Edges between honest nodes only: the evil node's links are its own. */
static struct sim_edge *
pick_edge(struct sim *sim)
{
	struct sim_edge *e;

	do
		e = &sim->edges[rng_uniform(&sim->rng, sim->n_edges)];
	while (e->n[0]->evil || e->n[1]->evil);
	return e;
}

static int
add_fault(struct sim *sim, enum sim_fault_kind kind, uint64_t min_ms, uint64_t max_ms,
    struct sim_fault **out)
{
	struct sim_fault *f = calloc(1, sizeof(*f));
	uint64_t until = sim->o.until_ms * 1000, last = (uint64_t)(until * FAULT_BUSY_END);
	uint64_t dur, first = until / 20, latest = (uint64_t)(until * 0.45);

	if (f == NULL)
		return -ENOMEM;
	if (until - last < SIM_SETTLE_MS * 1000)
		last = until > SIM_SETTLE_MS * 1000 ? until - SIM_SETTLE_MS * 1000 : 0;
	if (latest > last)
		latest = last;
	if (first > latest)
		first = latest;
	f->kind = kind;
	f->start = sim_rand_range(&sim->rng, first, latest);
	dur = sim_rand_range(&sim->rng, min_ms, max_ms) * 1000;
	f->end = f->start + dur < last ? f->start + dur : last;
	if (f->end < f->start)
		f->end = f->start;
	f->next = sim->faults;
	sim->faults = f;
	if (f->end > sim->heal_at)
		sim->heal_at = f->end;
	sim_schedule(sim, f->start, EV_FAULT, f, NULL, 0, 0);
	sim_schedule(sim, f->end, EV_FAULT, f, NULL, 0, 1);
	*out = f;
	return 0;
}

static int
plan_partition(struct sim *sim, struct sim_fault *f)
{
	size_t side = sim_rand_range(&sim->rng, 1, sim->n_honest / 2 > 0 ? sim->n_honest / 2 : 1);
	bool *in = calloc(sim->n_nodes, sizeof(*in));

	if (in == NULL || (f->edges = calloc(sim->n_edges, sizeof(*f->edges))) == NULL) {
		free(in);
		return -ENOMEM;
	}
	for (size_t i = 0; i < side; i++)
		in[rng_uniform(&sim->rng, sim->n_honest)] = true;
	for (size_t e = 0; e < sim->n_edges; e++) {
		struct sim_edge *ed = &sim->edges[e];

		if (!ed->n[0]->evil && !ed->n[1]->evil && in[ed->n[0]->idx] != in[ed->n[1]->idx])
			f->edges[f->n_edges++] = ed;
	}
	free(in);
	return 0;
}

int
faults_plan(struct sim *sim)
{
	uint32_t m = sim->o.faults;
	struct sim_fault *f;
	size_t n = sim->n_honest;

	if (n < 2)
		m &= (1u << F_EVIL) | (1u << F_FULL);
	for (size_t i = 0; (m & (1u << F_DELAY)) && i < 2; i++) {
		if (add_fault(sim, F_DELAY, 2000, 10000, &f) != 0)
			return -ENOMEM;
		f->edges = calloc(3, sizeof(*f->edges));
		if (f->edges == NULL)
			return -ENOMEM;
		f->n_edges = sim_rand_range(&sim->rng, 1, 3);
		for (size_t k = 0; k < f->n_edges; k++)
			f->edges[k] = pick_edge(sim);
	}
	for (size_t i = 0; (m & (1u << F_CUT)) && i < (n / 4 > 0 ? n / 4 : 1); i++) {
		if (add_fault(sim, F_CUT, 500, 10000, &f) != 0 ||
		    (f->edges = calloc(1, sizeof(*f->edges))) == NULL)
			return -ENOMEM;
		f->edges[0] = pick_edge(sim);
		f->n_edges = 1;
	}
	if ((m & (1u << F_PARTITION)) &&
	    (add_fault(sim, F_PARTITION, 3000, 15000, &f) != 0 || plan_partition(sim, f) != 0))
		return -ENOMEM;
	for (size_t i = 0; (m & (1u << F_CRASH)) && i < 2; i++) {
		if (add_fault(sim, F_CRASH, 1000, 10000, &f) != 0)
			return -ENOMEM;
		f->node = pick_honest(sim);
	}
	if (m & (1u << F_FULL)) {
		if (add_fault(sim, F_FULL, 2000, 10000, &f) != 0)
			return -ENOMEM;
		f->node = pick_honest(sim);
	}
	if (m & (1u << F_RESTORE)) {
		if (add_fault(sim, F_RESTORE, 5000, 20000, &f) != 0)
			return -ENOMEM;
		f->node = pick_honest(sim);
	}
	return 0;
}

static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t r = 0;

	if (in < 0)
		return -errno;
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		close(in);
		return -errno;
	}
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)r) != r) {
			r = -1;
			break;
		}
	close(in);
	return close(out) == 0 && r == 0 ? 0 : -EIO;
}

/* The backup: the database file after a checkpoint folded the WAL into it. */
static void
restore_backup(struct sim *sim, struct sim_node *n)
{
	char db[160], bak[160];

	snprintf(db, sizeof(db), "%s/%s", n->dir, STORE_DB_FILE);
	snprintf(bak, sizeof(bak), "%s/backup.db", n->dir);
	if (n->st == NULL)
		return;   /* down: no backup this time (the restore then finds none) */
	if (sqlite3_exec(store_db(n->st), "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
	    NULL) != SQLITE_OK || copy_file(db, bak) != 0)
		sim_violation(sim, "node %d: backup copy failed", n->idx);
}

/* Puts the backup back: what the node committed since is gone from its
 * disk. Ids acknowledged only there are lost with it (not a protocol
 * failure); everything else must come back from its peers. */
static void
restore_apply(struct sim *sim, struct sim_node *n)
{
	char db[160], bak[160], wal[170], *cause = NULL;
	uint64_t since = 0;

	snprintf(db, sizeof(db), "%s/%s", n->dir, STORE_DB_FILE);
	snprintf(bak, sizeof(bak), "%s/backup.db", n->dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	if (access(bak, F_OK) != 0)
		return;
	for (struct sim_fault *f = sim->faults; f != NULL; f = f->next)
		if (f->kind == F_RESTORE && f->node == n)
			since = f->start;
	if (n->st != NULL) {
		uint64_t top = store_max_seq(n->st);

		if (top > n->seq_high)
			n->seq_high = top;
	}
	if (sim->o.trace)
		printf("%10.3f ms  node %d goes back to its backup (highest seq %llu before)\n",
		    sim->now / 1000.0, n->idx, (unsigned long long)n->seq_high);
	for (size_t i = 0; i < sim->acks.cap; i++) {
		struct sim_ack *a = &sim->acks.tab[i];
		bool elsewhere = false;

		if (!a->used || a->author != n->idx || a->at < since)
			continue;
		for (size_t k = 0; k < sim->n_honest && !elsewhere; k++) {
			uint64_t have = 0;

			elsewhere = &sim->nodes[k] != n && sim->nodes[k].st != NULL &&
			    store_have(sim->nodes[k].st, a->id, &have) == 0 && have >= a->version;
		}
		if (!elsewhere) {
			a->lost = true;
			sim->st.lost++;
		}
	}
	node_crash(n);
	unlink(wal);
	if (copy_file(bak, db) != 0)
		sim_violation(sim, "node %d: restoring the backup failed", n->idx);
	unlink(bak);
	if (n->down > 0)
		return;   /* a crash is in force: its end restarts the node */
	if (node_restart(n, &cause) != 0) {
		sim_violation(sim, "node %d: reopening the restored store: %s", n->idx,
		    cause ? cause : "?");
		free(cause);
		return;
	}
	if (sim->o.trace)
		printf("%10.3f ms  node %d restarted on its backup: highest seq %llu\n",
		    sim->now / 1000.0, n->idx, (unsigned long long)store_max_seq(n->st));
}

static void
set_cut(struct sim *sim, struct sim_fault *f, bool start)
{
	for (size_t k = 0; k < f->n_edges; k++) {
		struct sim_edge *e = f->edges[k];

		if (start) {
			e->cut++;
			if (e->conn != NULL)
				link_teardown(sim, e->conn, "link cut");
		} else if (--e->cut == 0) {
			link_schedule_dial(sim, e, sim_rand_range(&sim->rng, 1, 100));
		}
	}
}

static void
set_full(struct sim *sim, struct sim_node *n, bool start)
{
	/* SQLite's own limit: writes that need another page fail with
	 * SQLITE_FULL, which the store treats as a full disk. */
	const char *sql = start ? "PRAGMA max_page_count = 1" : "PRAGMA max_page_count = 1073741823";

	n->full = start;
	if (n->st != NULL && sqlite3_exec(store_db(n->st), sql, NULL, NULL, NULL) != SQLITE_OK)
		sim_violation(sim, "node %d: %s failed", n->idx, sql);
}

void
fault_fire(struct sim *sim, struct sim_fault *f, bool start)
{
	char *cause = NULL;

	if (sim->o.trace)
		printf("%10.3f ms  fault %s %s on %s %d\n", sim->now / 1000.0, fault_name(f->kind),
		    start ? "starts" : "ends", f->node ? "node" : "links, the first",
		    f->node ? f->node->idx : f->n_edges > 0 ? (int)f->edges[0]->idx : -1);
	switch (f->kind) {
	case F_DELAY:
		for (size_t k = 0; k < f->n_edges; k++)
			f->edges[k]->slow = start ? (uint32_t)sim_rand_range(&sim->rng, 10, 50) : 1;
		break;
	case F_CUT:
	case F_PARTITION:
		set_cut(sim, f, start);
		break;
	case F_CRASH:
		if (start) {
			f->node->down++;
			/* Half of them, with push on: at the node's next forward
			 * before commit (forwarded, not committed), if one comes
			 * while the fault lasts. */
			if (sim->lim.push_max > 0 && rng_uniform(&sim->rng, 2) == 0)
				f->node->crash_at_forward = true;
			else
				node_crash(f->node);
		} else if (--f->node->down == 0 && (f->node->crash_at_forward = false,
			node_restart(f->node, &cause) != 0)) {
			sim_violation(sim, "node %d: restart: %s", f->node->idx, cause ? cause : "?");
			free(cause);
		}
		break;
	case F_FULL:
		set_full(sim, f->node, start);
		break;
	case F_RESTORE:
		if (start)
			restore_backup(sim, f->node);
		else
			restore_apply(sim, f->node);
		break;
	case F_EVIL:
	case F_COUNT:
		break;
	}
}

void
faults_free(struct sim *sim)
{
	while (sim->faults != NULL) {
		struct sim_fault *f = sim->faults;

		sim->faults = f->next;
		free(f->edges);
		free(f);
	}
}

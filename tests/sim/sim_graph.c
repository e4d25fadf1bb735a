/* Random connected graphs with node degrees in a range: a random spanning
 * tree first (so every graph is connected), then random edges until each
 * node reaches a degree drawn for it, where free partners remain. */
#include "sim.h"

#include <errno.h>
#include <stdlib.h>

/* Adjacency kept during generation to refuse duplicate edges. */
static bool
has_edge(size_t **adj, const size_t *deg, size_t a, size_t b)
{
	for (size_t i = 0; i < deg[a]; i++)
		if (adj[a][i] == b)
			return true;
	return false;
}

static void
add_edge(struct sim_graph *g, size_t **adj, size_t a, size_t b)
{
	adj[a][g->deg[a]++] = b;
	adj[b][g->deg[b]++] = a;
	g->edges[g->n_edges][0] = a < b ? a : b;
	g->edges[g->n_edges][1] = a < b ? b : a;
	g->n_edges++;
}

static void
free_adj(size_t **adj, size_t n)
{
	if (adj == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(adj[i]);
	free(adj);
}

int
graph_make(struct sim_graph *g, struct rng *r, size_t n, size_t dmin, size_t dmax)
{
	size_t **adj = NULL, *order = NULL, *want = NULL;
	int rc = -ENOMEM;

	*g = (struct sim_graph){ .n = n };
	if (n == 0 || dmax < 1 || dmin > dmax)
		return -EINVAL;
	if (dmax < 2 && n > 2)
		dmax = 2;   /* a tree on more than two nodes needs degree 2 */
	g->edges = calloc(n * dmax / 2 + n, sizeof(*g->edges));
	g->deg = calloc(n, sizeof(*g->deg));
	adj = calloc(n, sizeof(*adj));
	order = calloc(n, sizeof(*order));
	want = calloc(n, sizeof(*want));
	if (g->edges == NULL || g->deg == NULL || adj == NULL || order == NULL || want == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((adj[i] = calloc(dmax + 1, sizeof(**adj))) == NULL)
			goto out;
		order[i] = i;
		want[i] = sim_rand_range(r, dmin, dmax);
	}
	for (size_t i = n - 1; i > 0; i--) {   /* Fisher-Yates */
		size_t j = rng_uniform(r, i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* Spanning tree: each node joins a random earlier one that has room. */
	for (size_t i = 1; i < n; i++) {
		size_t tries = 0, j;

		do
			j = order[rng_uniform(r, i)];
		while (g->deg[j] >= dmax && ++tries < 64);
		if (g->deg[j] >= dmax) {   /* scan: some earlier node has room in a tree */
			for (size_t k = 0; k < i; k++)
				if (g->deg[order[k]] < dmax) {
					j = order[k];
					break;
				}
		}
		add_edge(g, adj, order[i], j);
	}
	/* Extra edges towards each node's drawn degree, bounded attempts. */
	for (size_t round = 0; round < 8 * n; round++) {
		size_t a = rng_uniform(r, n), b = rng_uniform(r, n);

		if (a == b || g->deg[a] >= want[a] || g->deg[b] >= dmax || has_edge(adj, g->deg, a, b))
			continue;
		add_edge(g, adj, a, b);
	}
	rc = 0;
out:
	free_adj(adj, n);
	free(order);
	free(want);
	if (rc != 0)
		graph_free(g);
	return rc;
}

bool
graph_connected(const struct sim_graph *g, const bool *skip)
{
	size_t *parent = calloc(g->n, sizeof(*parent)), roots = 0;

	if (parent == NULL)
		return false;
	/* Union-find over the edges between nodes not skipped. */
	for (size_t i = 0; i < g->n; i++)
		parent[i] = i;
	for (size_t e = 0; e < g->n_edges; e++) {
		size_t a = g->edges[e][0], b = g->edges[e][1];

		if (skip != NULL && (skip[a] || skip[b]))
			continue;
		while (parent[a] != a)
			a = parent[a] = parent[parent[a]];
		while (parent[b] != b)
			b = parent[b] = parent[parent[b]];
		parent[a] = b;
	}
	for (size_t i = 0; i < g->n; i++) {
		if (skip != NULL && skip[i])
			continue;
		if (parent[i] == i)
			roots++;
	}
	free(parent);
	return roots <= 1;
}

void
graph_free(struct sim_graph *g)
{
	free(g->edges);
	free(g->deg);
	*g = (struct sim_graph){ 0 };
}

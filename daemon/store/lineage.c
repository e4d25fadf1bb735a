/* The lineage tree of a practice (see lineage.h). */
#include "store/lineage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/record.h"
#include "core/util.h"
#include "store/store_adopt.h"
#include "store/store_int.h"

static const char *state_names[] = { "present", "missing", "withdrawn" };

const char *
lineage_state_name(enum lineage_state s)
{
	return (size_t)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] :
									   "unknown";
}

static void
node_clear(struct lineage_node *n)
{
	free(n->name);
	free(n->country);
	free(n->title);
	free(n->via_name);
	n->name = n->country = n->title = n->via_name = NULL;
}

void
lineage_free(struct lineage *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		node_clear(&l->nodes[i]);
	free(l->nodes);
	memset(l, 0, sizeof(*l));
}

static int
dup_text(const unsigned char *s, char **out)
{
	*out = NULL;
	if (s != NULL && (*out = strdup((const char *)s)) == NULL)
		return -ENOMEM;
	return 0;
}

/* The name and country of author's profile (NULL when it has none). */
static int
author_info(struct store *st, const uint8_t author[TESS_KEY_LEN], char **name, char **country)
{
	sqlite3_stmt *s = store_stmt(st, S_LINEAGE_AUTHOR);
	int rc;

	*name = NULL;
	if (country != NULL)
		*country = NULL;
	if (s == NULL)
		return -EIO;
	sqlite3_bind_blob(s, 1, author, TESS_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = dup_text(sqlite3_column_text(s, 0), name);
		if (rc == 0 && country != NULL)
			rc = dup_text(sqlite3_column_text(s, 1), country);
	} else {
		rc = rc == SQLITE_DONE ? 0 : store_err(st, rc, "lineage author");
	}
	sqlite3_reset(s);
	if (rc != 0) {
		free(*name);
		*name = NULL;
	}
	return rc;
}

/* Copies what a lineage shows of the decoded record r into n. */
static int
node_fill(struct lineage_node *n, const Tessera__Record *r, const char *lang)
{
	const Tessera__Adoption *a = r->adoption;
	const Tessera__Text *t = record_text(r, lang);

	memcpy(n->author, r->author.data, TESS_KEY_LEN);
	n->has_author = true;
	n->kind = (int)r->kind;
	n->timestamp = r->timestamp;
	n->state = r->deleted ? LINEAGE_WITHDRAWN : LINEAGE_PRESENT;
	if (t != NULL && t->title != NULL && (n->title = strdup(t->title)) == NULL)
		return -ENOMEM;
	if (a == NULL || r->kind != TESSERA__KIND__KIND_ADOPTION)
		return 0;
	/* record_open has checked the sizes and the dates' form. */
	n->has_source = true;
	memcpy(n->source_id, a->source_id.data, TESS_ID_LEN);
	memcpy(n->source_author, a->source_author.data, TESS_KEY_LEN);
	n->status = a->has_status ? (int)a->status : 0;
	if (a->started != NULL)
		snprintf(n->started, sizeof(n->started), "%s", a->started);
	if (a->ended != NULL)
		snprintf(n->ended, sizeof(n->ended), "%s", a->ended);
	if (a->has_via) {
		n->has_via = true;
		memcpy(n->via, a->via.data, TESS_KEY_LEN);
	}
	return 0;
}

/* Loads the record id into n: PRESENT, WITHDRAWN, or MISSING when it is not
 * stored (or fails verification: logged, and shown as not there). */
static int
node_load(struct store *st, const uint8_t id[TESS_ID_LEN], const char *lang,
    struct lineage_node *n)
{
	Tessera__Record *r;
	uint8_t *body, sig[TESS_SIG_LEN];
	const char *why;
	size_t len;
	int rc;

	memset(n, 0, sizeof(*n));
	memcpy(n->id, id, TESS_ID_LEN);
	n->source = n->parent = LINEAGE_NONE;
	n->state = LINEAGE_MISSING;
	if ((rc = store_get(st, id, &body, &len, sig, NULL)) != 0)
		return rc == -ENOENT ? 0 : rc;
	rc = record_open(body, len, sig, TESS_SIG_LEN, &r, &why);
	free(body);
	if (rc != 0) {
		char hex[2 * TESS_ID_LEN + 1];

		hex_encode(id, TESS_ID_LEN, hex);
		log_warnx("store: record %s fails verification: %s", hex, why);
		return 0;
	}
	rc = node_fill(n, r, lang);
	record_free(r);
	if (rc == 0 && n->has_author)
		rc = author_info(st, n->author, &n->name, &n->country);
	if (rc == 0 && n->has_via)
		rc = author_info(st, n->via, &n->via_name, NULL);
	if (rc != 0)
		node_clear(n);
	return rc;
}

static int
push(struct lineage *l, struct lineage_node *n)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct lineage_node *nn = realloc(l->nodes, cap * sizeof(*nn));

		if (nn == NULL) {
			node_clear(n);
			return -ENOMEM;
		}
		l->nodes = nn;
		l->cap = cap;
	}
	l->nodes[l->n++] = *n;
	return 0;
}

static size_t
find(const struct lineage *l, const uint8_t id[TESS_ID_LEN])
{
	for (size_t i = 0; i < l->n; i++)
		if (memcmp(l->nodes[i].id, id, TESS_ID_LEN) == 0)
			return i;
	return LINEAGE_NONE;
}

/* Walks up the sources from id to the origin: the first record that adopts
 * nothing, is not here, or whose source was already passed (a loop). *claim
 * is the author the last adoption names for it. */
static int
find_origin(struct store *st, const uint8_t id[TESS_ID_LEN], struct lineage *l,
    uint8_t origin[TESS_ID_LEN], uint8_t claim[TESS_KEY_LEN], bool *has_claim)
{
	uint8_t seen[LINEAGE_MAX_DEPTH + 1][TESS_ID_LEN];
	struct lineage_node cur;
	size_t n = 0;
	int rc;

	memcpy(origin, id, TESS_ID_LEN);
	*has_claim = false;
	for (;;) {
		memcpy(seen[n++], origin, TESS_ID_LEN);
		if ((rc = node_load(st, origin, NULL, &cur)) != 0)
			return rc;
		node_clear(&cur);
		/* A source by another author than its adopter names is not the
		 * record it meant (ids are bound to authors): stop before it. */
		if (*has_claim && cur.state != LINEAGE_MISSING &&
		    memcmp(cur.author, claim, TESS_KEY_LEN) != 0) {
			memcpy(origin, seen[n - 2], TESS_ID_LEN);
			*has_claim = false;
			return 0;
		}
		if (cur.state != LINEAGE_PRESENT || !cur.has_source)
			return 0;
		for (size_t k = 0; k < n; k++)
			if (memcmp(seen[k], cur.source_id, TESS_ID_LEN) == 0) {
				l->cycle = true;
				return 0;
			}
		if (n > LINEAGE_MAX_DEPTH) {
			l->truncated = true;
			return 0;
		}
		memcpy(origin, cur.source_id, TESS_ID_LEN);
		memcpy(claim, cur.source_author, TESS_KEY_LEN);
		*has_claim = true;
	}
}

/* Adds the live adoptions of node i. One whose claim of the source's author
 * is false (ids are bound to their author) adopts something else. */
static int
add_children(struct store *st, struct lineage *l, size_t i, const char *lang)
{
	uint8_t (*ids)[TESS_ID_LEN];
	size_t nk, room = LINEAGE_MAX_NODES - l->n;
	int rc;

	if ((rc = store_adopt_children(st, l->nodes[i].id, room + 1, &ids, &nk)) != 0)
		return rc;
	for (size_t j = 0; j < nk && rc == 0; j++) {
		struct lineage_node c;

		if (find(l, ids[j]) != LINEAGE_NONE)
			continue;   /* a loop back into the tree */
		if (l->n >= LINEAGE_MAX_NODES) {
			l->truncated = true;
			break;
		}
		if ((rc = node_load(st, ids[j], lang, &c)) != 0)
			break;
		if (c.state != LINEAGE_PRESENT || !c.has_source ||
		    (l->nodes[i].has_author &&
			memcmp(c.source_author, l->nodes[i].author, TESS_KEY_LEN) != 0)) {
			node_clear(&c);
			continue;
		}
		c.source = c.parent = i;
		c.depth = l->nodes[i].depth + 1;
		rc = push(l, &c);
	}
	free(ids);
	return rc;
}

/* True when k is among the parents of its own parent. */
static bool
closes_loop(const struct lineage *l, size_t k)
{
	size_t p = l->nodes[k].parent;

	for (size_t steps = 0; steps <= l->n; steps++) {
		if (p == k)
			return true;
		if (p == LINEAGE_NONE)
			return false;
		p = l->nodes[p].parent;
	}
	return true;
}

/* Learned from: the adoption of the same source by the via community, the
 * oldest when it has several, unless that would make a loop. */
static void
link_via(struct lineage *l)
{
	for (size_t k = 1; k < l->n; k++) {
		struct lineage_node *nd = &l->nodes[k];
		size_t src = nd->source, cand = LINEAGE_NONE;

		if (!nd->has_via || src == LINEAGE_NONE)
			continue;
		if (l->nodes[src].has_author &&
		    memcmp(l->nodes[src].author, nd->via, TESS_KEY_LEN) == 0)
			continue;   /* learned from the source's own community */
		for (size_t c = 0; c < l->n && cand == LINEAGE_NONE; c++)
			if (c != k && l->nodes[c].source == src && l->nodes[c].has_author &&
			    memcmp(l->nodes[c].author, nd->via, TESS_KEY_LEN) == 0)
				cand = c;
		if (cand == LINEAGE_NONE) {
			nd->via_absent = true;
			continue;
		}
		nd->parent = cand;
		if (closes_loop(l, k))
			nd->parent = src;
	}
	for (size_t k = 0; k < l->n; k++) {
		unsigned d = 0;

		for (size_t p = l->nodes[k].parent; p != LINEAGE_NONE && d <= l->n;
		     p = l->nodes[p].parent)
			d++;
		l->nodes[k].depth = d;
		if (d > l->depth)
			l->depth = d;
	}
}

/* Puts the nodes in depth-first order from the origin, each parent before
 * its children, siblings in the order they were found (oldest first). */
static int
reorder(struct lineage *l)
{
	size_t *order = calloc(l->n, sizeof(size_t)), *stack = calloc(l->n, sizeof(size_t));
	size_t *idx = calloc(l->n, sizeof(size_t)), m = 0, top = 0;
	struct lineage_node *nodes = calloc(l->n, sizeof(*nodes));
	int rc = -ENOMEM;

	if (order == NULL || stack == NULL || idx == NULL || nodes == NULL)
		goto out;
	stack[top++] = 0;
	while (top > 0 && m < l->n) {
		size_t k = stack[--top];

		order[m++] = k;
		for (size_t c = l->n; c-- > 0;)
			if (l->nodes[c].parent == k && top < l->n)
				stack[top++] = c;
	}
	rc = -EIO;
	if (m != l->n)
		goto out;   /* the parents are a tree by construction */
	for (size_t i = 0; i < m; i++)
		idx[order[i]] = i;
	for (size_t i = 0; i < m; i++) {
		nodes[i] = l->nodes[order[i]];
		if (nodes[i].parent != LINEAGE_NONE)
			nodes[i].parent = idx[nodes[i].parent];
		if (nodes[i].source != LINEAGE_NONE)
			nodes[i].source = idx[nodes[i].source];
	}
	l->start = idx[l->start];
	free(l->nodes);
	l->nodes = nodes;
	l->cap = l->n;
	nodes = NULL;
	rc = 0;
out:
	free(order);
	free(stack);
	free(idx);
	free(nodes);
	return rc;
}

/* Distinct communities and countries among the records here. */
static void
count(struct lineage *l)
{
	for (size_t k = 0; k < l->n; k++) {
		const struct lineage_node *nd = &l->nodes[k];
		bool new_author = true, new_country = nd->country != NULL && *nd->country;

		if (nd->state == LINEAGE_MISSING || !nd->has_author)
			continue;
		for (size_t j = 0; j < k; j++) {
			const struct lineage_node *o = &l->nodes[j];

			if (o->state == LINEAGE_MISSING || !o->has_author)
				continue;
			if (memcmp(o->author, nd->author, TESS_KEY_LEN) == 0)
				new_author = false;
			if (new_country && o->country != NULL && strcmp(o->country, nd->country) == 0)
				new_country = false;
		}
		l->communities += new_author;
		l->countries += new_country;
	}
}

int
lineage_build(struct store *st, const uint8_t id[TESS_ID_LEN], const char *lang,
    struct lineage *out, char **cause)
{
	uint8_t origin[TESS_ID_LEN], claim[TESS_KEY_LEN];
	struct lineage_node root;
	uint64_t version;
	bool has_claim;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_have(st, id, &version)) != 0)
		return set_cause(cause, rc, "storage error: %s", store_errmsg(st));
	if (version == 0)
		return set_cause(cause, -ENOENT, "no such record");
	if ((rc = find_origin(st, id, out, origin, claim, &has_claim)) != 0 ||
	    (rc = node_load(st, origin, lang, &root)) != 0)
		goto fail;
	if (root.state == LINEAGE_MISSING && has_claim) {
		root.has_author = true;
		memcpy(root.author, claim, TESS_KEY_LEN);
		if ((rc = author_info(st, root.author, &root.name, &root.country)) != 0) {
			node_clear(&root);
			goto fail;
		}
		if ((rc = push(out, &root)) != 0)
			goto fail;
	} else if ((rc = push(out, &root)) != 0) {
		goto fail;
	}
	/* The origin has no source in this tree, even when it adopts one that
	 * loops back. */
	out->nodes[0].source = out->nodes[0].parent = LINEAGE_NONE;
	for (size_t i = 0; i < out->n; i++) {
		if (out->nodes[i].depth >= LINEAGE_MAX_DEPTH) {
			uint8_t (*ids)[TESS_ID_LEN];
			size_t nk;

			/* Cut here: say so only if something was left out. */
			if ((rc = store_adopt_children(st, out->nodes[i].id, 1, &ids, &nk)) != 0)
				goto fail;
			free(ids);
			out->truncated |= nk > 0;
			continue;
		}
		if (out->n >= LINEAGE_MAX_NODES) {
			out->truncated = true;
			break;
		}
		if ((rc = add_children(st, out, i, lang)) != 0)
			goto fail;
	}
	out->start = find(out, id);
	if (out->start == LINEAGE_NONE) {
		/* Past a bound: shown from the origin. */
		out->start = 0;
		out->truncated = true;
	}
	link_via(out);
	if ((rc = reorder(out)) != 0)
		goto fail;
	count(out);
	return 0;
fail:
	return set_cause(cause, rc, rc == -ENOMEM ? "out of memory" : "storage error: %s",
	    store_errmsg(st));
}

/* Control requests about the node: status, communities, peers, block,
 * unblock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/identity.h"
#include "core/log.h"
#include "core/names.h"
#include "core/nodeid.h"
#include "core/util.h"
#include "ctl/ctl_int.h"
#include "net/peers.h"
#include "ops/health.h"
#include "ops/ops.h"
#include "ops/status.h"
#include "store/store.h"

/* "pt,en" -> {"pt", "en"}: one allocation for the strings, one for the array. */
static char **
split_list(const char *list, size_t *n)
{
	char *copy, **out;
	size_t cnt = 1;

	*n = 0;
	if (list == NULL || *list == '\0' || (copy = strdup(list)) == NULL)
		return NULL;
	for (const char *p = list; *p; p++)
		cnt += *p == ',';
	if ((out = calloc(cnt, sizeof(*out))) == NULL) {
		free(copy);
		return NULL;
	}
	for (char *tok = copy, *sep; tok; tok = sep) {
		sep = strchr(tok, ',');
		if (sep != NULL)
			*sep++ = '\0';
		out[(*n)++] = tok;
	}
	return out;
}

struct community_list {
	struct store_author *a;
	size_t n;
	Tessera__Community *cs, **ptrs;
};

static void
community_list_free(struct community_list *l)
{
	for (size_t i = 0; l->cs && i < l->n; i++) {
		if (l->cs[i].languages != NULL)
			free(l->cs[i].languages[0]);
		free(l->cs[i].languages);
	}
	free(l->cs);
	free(l->ptrs);
	store_authors_free(l->a, l->n);
}

/* Every known community with its record count; attached to reply. */
static int
community_list(const struct ctl_env *env, struct community_list *l, Tessera__Reply *reply)
{
	memset(l, 0, sizeof(*l));
	if (store_authors(env->ops->store, &l->a, &l->n) != 0)
		return -EIO;
	l->cs = calloc(l->n + 1, sizeof(*l->cs));
	l->ptrs = calloc(l->n + 1, sizeof(*l->ptrs));
	if (l->cs == NULL || l->ptrs == NULL) {
		community_list_free(l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->n; i++) {
		Tessera__Community *x = &l->cs[i];

		tessera__community__init(x);
		x->has_author = x->has_records = x->has_blocked = x->has_local = 1;
		x->author = (ProtobufCBinaryData){ TESS_KEY_LEN, l->a[i].author };
		x->name = l->a[i].name;
		x->country = l->a[i].country;
		x->records = l->a[i].records;
		x->languages = split_list(l->a[i].languages, &x->n_languages);
		x->blocked = l->a[i].blocked;
		x->local = memcmp(l->a[i].author, env->id->pub, TESS_KEY_LEN) == 0;
		if (l->a[i].alike != NAMES_NONE) {
			x->has_looks_like = 1;
			x->looks_like = (ProtobufCBinaryData){ TESS_KEY_LEN,
				l->a[l->a[i].alike].author };
		}
		l->ptrs[i] = x;
	}
	reply->communities = l->ptrs;
	reply->n_communities = l->n;
	return 0;
}

void
ctl_status(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_env *env = ctl_client_env(c);
	struct community_list cl;
	struct status_view v;
	int rc;

	if ((rc = status_fill(env->ops, env->id->pub, &v)) != 0) {
		if (rc == -EIO)
			ctl_error(c, TESSERA__REPLY__CODE__STORAGE, "storage error");
		else
			ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		return;
	}
	ctl_attach_status(env, &v.s);
	/* Records by community belong in the health view. */
	if (community_list(env, &cl, &v.reply) == 0) {
		ctl_send(c, &v.reply);
		community_list_free(&cl);
	} else {
		ctl_send(c, &v.reply);
	}
	status_view_free(&v);
}

void
ctl_communities(struct ctl_client *c, const Tessera__Request *req)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	struct community_list l;
	int rc;

	if ((rc = community_list(ctl_client_env(c), &l, &r)) != 0) {
		ctl_fail(c, rc, NULL);
		return;
	}
	ctl_send(c, &r);
	community_list_free(&l);
}

void
ctl_peers(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ops_env *ops = ctl_client_env(c)->ops;
	Tessera__Reply r = TESSERA__REPLY__INIT;

	if (req->pending) {
		if (peers_pending_views(ops->peers, &r) != 0) {
			ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
			return;
		}
		ctl_send(c, &r);
		peers_pending_free(&r);
		return;
	}
	if (peers_views(ops->peers, ops->store, &r) != 0) {
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "out of memory");
		return;
	}
	ctl_send(c, &r);
	peers_views_free(&r);
}

int
ctl_resolve_community(struct ctl_client *c, const char *text, struct store_match *m)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	int rc = store_resolve_author(ctl_client_env(c)->ops->store, text, m);

	if (rc == -EEXIST) {
		char *msg = strfmt("ambiguous community '%s': %zu communities match%s; name one "
		    "by its ID", text, m->n_found, m->by_name ? " that name" : " that ID prefix");

		r.has_code = 1;
		r.code = TESSERA__REPLY__CODE__AMBIGUOUS;
		r.error = msg != NULL ? msg : "ambiguous community";
		r.candidates = m->cands;
		r.n_candidates = m->n_cands;
		ctl_send(c, &r);
		free(msg);
	} else if (rc == -ENOENT) {
		ctl_error(c, TESSERA__REPLY__CODE__NOT_FOUND, "no community '%s'", text);
	} else if (rc != 0) {
		ctl_fail(c, rc, NULL);
	}
	if (rc != 0)
		store_match_free(m);
	return rc;
}

static void
block(struct ctl_client *c, const Tessera__Request *req, bool blocked)
{
	const struct ctl_env *env = ctl_client_env(c);
	Tessera__Reply r = TESSERA__REPLY__INIT;
	Tessera__ImportResult res = TESSERA__IMPORT_RESULT__INIT;
	Tessera__Community who = TESSERA__COMMUNITY__INIT, *whop = &who;
	char id[NODEID_STRLEN + 1];
	struct store_match m;
	uint64_t removed;
	int rc;

	if (ctl_resolve_community(c, req->community ? req->community : "", &m) != 0)
		return;
	nodeid_encode(m.author, id);
	if (memcmp(m.author, env->id->pub, TESS_KEY_LEN) == 0) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "cannot block this node's own community");
		store_match_free(&m);
		return;
	}
	/* A name is what an impostor can copy: removing records on its word
	 * alone needs the user to have seen which community it is. */
	if (blocked && m.by_name && !req->confirmed) {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "'%s' is a name: blocking community %s "
		    "(%s) removes its %llu records; give its ID, or add --yes to confirm",
		    req->community, id, m.name ? m.name : "no profile yet",
		    (unsigned long long)m.records);
		store_match_free(&m);
		return;
	}
	if ((rc = store_block(env->ops->store, m.author, blocked, &removed)) != 0) {
		ctl_fail(c, rc, NULL);
		store_match_free(&m);
		return;
	}
	log_info("community %s (%s) %s by operator (%llu records removed)", id,
	    m.name ? m.name : "no profile", blocked ? "blocked" : "unblocked",
	    (unsigned long long)removed);
	ctl_tell_blocked(c, m.author, blocked);
	res.has_updated = 1;
	res.updated = (uint32_t)removed;
	r.import = &res;
	who.has_author = who.has_blocked = 1;
	who.author = (ProtobufCBinaryData){ TESS_KEY_LEN, m.author };
	who.name = m.name;
	who.blocked = blocked;
	r.communities = &whop;
	r.n_communities = 1;
	ctl_send(c, &r);
	store_match_free(&m);
}


/* Every author a configured peer introduced, and its new ones from now on. */
static void
block_peer(struct ctl_client *c, const char *name, bool blocked)
{
	const struct ctl_env *env = ctl_client_env(c);
	const struct config *conf = env->ops->conf;
	const struct peer_conf *p = NULL;
	Tessera__Reply r = TESSERA__REPLY__INIT;
	Tessera__ImportResult res = TESSERA__IMPORT_RESULT__INIT;
	uint64_t authors, removed;
	int rc;

	for (size_t i = 0; i < conf->n_peers && p == NULL; i++)
		if (strcmp(conf->peers[i].name, name) == 0)
			p = &conf->peers[i];
	if (p == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__NOT_FOUND, "no configured peer '%s'", name);
		return;
	}
	if ((rc = store_block_peer(env->ops->store, p->id, blocked, &authors, &removed)) != 0) {
		ctl_fail(c, rc, NULL);
		return;
	}
	log_info("peer %s: the %llu communities it introduced %s by operator (%llu records "
	    "removed)", p->name, (unsigned long long)authors, blocked ? "blocked" : "unblocked",
	    (unsigned long long)removed);
	/* The hook only cares whether something was unblocked (to resync). */
	ctl_tell_blocked(c, p->id, blocked);
	res.has_updated = res.has_authors = 1;
	res.updated = (uint32_t)removed;
	res.authors = (uint32_t)authors;
	r.import = &res;
	ctl_send(c, &r);
}

void
ctl_block(struct ctl_client *c, const Tessera__Request *req)
{
	if (req->peer != NULL)
		block_peer(c, req->peer, true);
	else
		block(c, req, true);
}

void
ctl_unblock(struct ctl_client *c, const Tessera__Request *req)
{
	if (req->peer != NULL)
		block_peer(c, req->peer, false);
	else
		block(c, req, false);
}

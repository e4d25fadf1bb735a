/* The running node: start-up, the wiring of the layers, reload, shutdown. */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/config.h"
#include "core/identity.h"
#include "core/invites.h"
#include "core/nodeid.h"
#include "core/peerfile.h"
#include "core/process.h"
#include "core/log.h"
#include "core/util.h"
#include "ctl/ctl.h"
#include "node_idle.h"
#include "node_index.h"
#include "node_pool.h"
#include "node_rotate.h"
#include "node_storage.h"
#include "net/peers.h"
#include "ops/metrics.h"
#include "web/web.h"
#include "ops/notify.h"
#include "store/blob.h"
#include "store/store.h"

void
node_changed(struct node *n)
{
	uint64_t seq = store_max_seq(n->store);

	if (seq <= n->last_seq)
		return;
	attach_changed(&n->attach);   /* new records may reference blobs */
	node_index_kick(&n->index);   /* their texts, once the loop is quiet */
	peers_announce(n->peers);
	n->last_seq = seq;
}

/* Wiring of ctl/ and ops/: what they are given and the hooks through
 * which their news travels up. */
#define BLOB_GC_MS 30000

/* Removes the files of purged and unreferenced attachments, never one a
 * transfer is writing. */
static void
blob_collect(struct node *n)
{
	uint64_t freed;

	if (blob_gc(n->store, attach_busy, &n->attach, &freed) == 0 && freed > 0)
		log_info("attachments: %llu bytes of withdrawn or unreferenced files removed",
		    (unsigned long long)freed);
}

static void
on_blob_timer(uv_timer_t *t)
{
	blob_collect(t->data);
}

static void
on_ctl_committed(void *arg)
{
	struct node *n = arg;

	node_changed(n);
	blob_collect(n);
}

/* tessera get: a blob is wanted now; ask the peers. */
static void
on_ctl_fetch(void *arg)
{
	struct node *n = arg;

	attach_changed(&n->attach);
	peers_announce(n->peers);
}

/* The attachment engine's sync of written chunks: its fdatasync on the
 * threadpool, so that the loop keeps reading chunks meanwhile. */
static int
on_attach_offload(void *arg, void (*run)(void *), void (*done)(void *), void *job)
{
	return node_pool_run(((struct node *)arg)->loop, run, done, job);
}

/* A blob completed here (every peer hears of it: BlobHave), or a peer's
 * query made us want one (every peer is asked). */
static void
on_blob_news(void *arg)
{
	struct node *n = arg;

	peers_announce(n->peers);
}

/* The attachment policy from the configuration. */
static void
attach_policy(struct attach_policy *pol, const struct config *c)
{
	pol->auto_fetch = c->attach_auto_fetch > 0;
	pol->max_file = c->attach_auto_fetch;
	pol->budget = c->attach_budget;
	pol->max_size = c->attach_max_size;
}

/* An import takes or gives back the store's write transaction: meanwhile
 * sessions offer nothing (it could still roll back) and received records
 * wait; giving it back lets peers catch up. */
static void
on_ctl_import(void *arg, bool holding)
{
	struct node *n = arg;

	n->sessions.store_held = holding;
	if (holding)
		return;
	peers_resume(n->peers);
	node_changed(n);
}

static void
on_ctl_blocked(void *arg, const uint8_t author[TESS_KEY_LEN], bool blocked)
{
	struct node *n = arg;

	/* What peers skipped while it was blocked is offered again from the
	 * reset checkpoints. */
	if (!blocked)
		peers_resync(n->peers, "resync after unblocking a community");
}

static void
on_ctl_peers_changed(void *arg)
{
	struct node *n = arg;

	node_reload(n);
	node_rotate_follow(&n->rotate, true);   /* a peer pinned under a rotated key */
}

/* A stranger showed an invite proof (peers_env.on_join): used up if valid,
 * then the joiner gets a drop-in (dial-in only: it dialed us, and its
 * listen address, if any, is not known here) and the configuration is
 * reloaded so that its session can go on. */
static int
on_peers_join(void *arg, const uint8_t key[TESS_KEY_LEN], const char *hello_name,
    const struct session_join *join, char *why, size_t whylen)
{
	struct node *n = arg;
	char name[72], base[72], shortid[NODEID_SHORT + 1], hex[2 * INVITE_ID_LEN + 1], note[64];
	char *cause = NULL;

	nodeid_short(key, shortid);
	hex_encode(join->invite, INVITE_ID_LEN, hex);
	if (invites_use(n->invites, n->id->pub, key, join->invite, join->mac, now_ms(), name, why,
	    whylen) != 0) {
		log_warnx("join refused: node %s, invite %s: %s", shortid, hex, why);
		return -EACCES;
	}
	/* The name the invite gave, else the one the joiner's Hello gave if it
	 * is a valid peer name, else one made from its ID; made unique. */
	if (name[0] == '\0')
		snprintf(name, sizeof(name), "%s", config_peer_name_ok(hello_name) ? hello_name :
		    "peer");
	if (strcmp(name, "peer") == 0)
		snprintf(name, sizeof(name), "peer-%s", shortid);
	snprintf(base, sizeof(base), "%s", name);
	for (int i = 2; config_find_peer_name(n->conf, name) != NULL && i < 100; i++)
		snprintf(name, sizeof(name), "%.60s-%d", base, i);
	snprintf(note, sizeof(note), "joined with invite %s", hex);
	if (peerfile_write(n->conf->peers_dir, name, NULL, key, note, &cause) != 0) {
		log_warnx("join of %s with invite %s: %s", shortid, hex, cause);
		free(cause);
		snprintf(why, whylen, "the inviting node could not save its configuration");
		return -EIO;
	}
	log_info("invite %s used by node %s, now peer %s", hex, shortid, name);
	node_reload(n);
	return 0;
}

static int
on_session_hello(void *arg, struct session *s, const struct session_join *join, char *why,
    size_t whylen)
{
	struct node *n = arg;

	return peers_session_hello(n->peers, s, join, why, whylen);
}

/* The sessions' news (session_env hooks). */
static void
on_session_established(void *arg, struct session *s)
{
	struct node *n = arg;

	peers_session_established(n->peers, s);
}

static void
on_session_stored(void *arg, struct session *s, size_t count)
{
	struct node *n = arg;

	node_changed(n);
	node_rotate_follow(&n->rotate, false);   /* a rotation of a peer we pin may have come */
	if (blob_gc_due(n->store))   /* a tombstone withdrew attachments */
		blob_collect(n);
}

/* Forward before commit: the other sessions push the records on now. */
static int
on_session_forward(void *arg, struct session *s, const struct session_fwd *recs, size_t count)
{
	struct node *n = arg;

	if (peers_forward(n->peers, s, recs, count) > 0 && n->kill_after_forward > 0 &&
	    --n->kill_after_forward == 0) {
		/* The crash tests' window: forwarded, not committed. */
		log_warnx("TESSERA_TEST_KILL_AFTER_FORWARD: killing myself before the commit");
		raise(SIGKILL);
	}
	return 0;
}

static void
on_session_synced(void *arg, struct session *s, bool caught_up)
{
	struct node *n = arg;

	peers_session_synced(n->peers, s);
}

static void
on_session_rejected(void *arg, struct session *s, enum sync_reject why, const char *detail)
{
	struct node *n = arg;

	health_rejected(&n->health, s->label, why, detail);
}

/* The sessions' limits, from the configuration (again on reload). */
static void
session_limits(struct session_limits *l, const struct config *c)
{
	l->max_frame = c->max_frame;
	l->max_batch = c->max_batch;
	l->max_inflight_wants = c->max_inflight_wants;
	l->rate_limit = c->peer_rate_limit;
	l->keepalive_ms = c->keepalive_ms;
	l->push_max = c->push_max_records;
}

/* Storage has room again: peers store what they hold (node_storage.h). */
static void
on_storage_resume_peers(void *arg)
{
	struct node *n = arg;

	peers_resume(n->peers);
}

void
node_stop(struct node *n, const char *why)
{
	if (n->stopping)
		return;
	n->stopping = 1;
	log_info("stopping: %s", why);
	notify_stopping(n->notify);
	n->notify = NULL;
	metrics_stop(n->metrics);
	n->metrics = NULL;
	web_stop(n->web);
	n->web = NULL;
	ctl_stop(n->ctl);
	n->ctl = NULL;
	peers_stop(n->peers);
	n->peers = n->ops.peers = NULL;
	node_storage_stop(&n->storage);
	uv_close((uv_handle_t *)&n->blob_timer, NULL);
	node_idle_stop(&n->idle);
	node_index_stop(&n->index);
}

/* Drop-ins that were skipped: the operator learns which file and line. */
static void
log_dropin_errors(const struct config *c)
{
	for (size_t i = 0; i < c->n_dropin_errors; i++)
		log_warnx("%s; this drop-in is skipped, the other peers are kept",
		    c->dropin_errors[i]);
}

void
node_reload(struct node *n)
{
	struct config *nc, *old = n->conf;
	char *cause = NULL;

	if (config_load(old->path, &nc, &cause) != 0) {
		log_warnx("reload: %s; keeping the running configuration", cause);
		free(cause);
		return;
	}
	log_dropin_errors(nc);
	if (strcmp(nc->data_dir, old->data_dir) != 0 ||
	    strcmp(nc->control_socket, old->control_socket) != 0)
		log_warnx("reload: data and control_socket changes take effect after a restart");
	/* Keep the running paths; take the new peers and limits. */
	free(nc->data_dir);
	free(nc->control_socket);
	nc->data_dir = strdup(old->data_dir);
	nc->control_socket = strdup(old->control_socket);
	if (nc->data_dir == NULL || nc->control_socket == NULL) {
		log_warnx("reload: out of memory; keeping the running configuration");
		config_free(nc);
		return;
	}
	n->conf = nc;
	n->ops.conf = nc;
	n->rotate.conf = nc;
	store_set_limits(n->store, nc);
	session_limits(&n->sessions.lim, nc);
	attach_policy(&n->attach.pol, nc);
	attach_changed(&n->attach);
	peers_reload(n->peers, old, nc);
	metrics_reload(&n->metrics, &n->ops, &nc->metrics_listen);
	web_reload(&n->web, &n->ops, n->id->pub, &nc->web_listen);
	config_free(old);
	log_info("reloaded %s: %zu peers configured", nc->path, nc->n_peers);
}

/* Key rotation (node_rotate.h): a peer's Hello brought rotations, which
 * are relayed once stored; re-pinned drop-ins are loaded again. */
static int
on_peers_rotate(void *arg, const uint8_t key[TESS_KEY_LEN], Tessera__SignedRecord *const *v,
    size_t nv, char *why, size_t whylen)
{
	struct node *n = arg;

	return node_rotate_hello(&n->rotate, key, v, nv, why, whylen);
}

static bool
on_peers_rotated(void *arg, const uint8_t pinned[TESS_KEY_LEN], const uint8_t key[TESS_KEY_LEN])
{
	struct node *n = arg;

	return node_rotate_leads(&n->rotate, pinned, key);
}

static void
on_rotate_stored(void *arg)
{
	node_changed(arg);
}

static void
on_rotate_repinned(void *arg)
{
	node_reload(arg);
}

int
node_open(struct config *conf, uv_loop_t *loop, struct node **out, char **cause)
{
	struct node *n = calloc(1, sizeof(*n));
	int rc;

	*out = NULL;
	if (n == NULL) {
		config_free(conf);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	n->conf = conf;
	n->loop = loop;
	n->lockfd = -1;
	n->started = now_ms();
	log_dropin_errors(conf);
	if (access(conf->data_dir, W_OK | X_OK) != 0) {
		rc = set_cause(cause, -errno, "%s: %s", conf->data_dir, strerror(errno));
		goto fail;
	}
	if ((rc = process_lock_dir(conf->data_dir, &n->lockfd, cause)) != 0 ||
	    (rc = identity_load(conf->data_dir, &n->id, cause)) != 0 ||
	    (rc = store_open(conf->data_dir, false, &n->store, cause)) != 0 ||
	    (rc = invites_open(conf->data_dir, &n->invites, cause)) != 0)
		goto fail;
	store_set_limits(n->store, conf);
	store_set_local(n->store, n->id->pub);
	n->last_seq = store_max_seq(n->store);
	n->sessions = (struct session_env){
		.store = n->store,
		.on_hello = on_session_hello,
		.on_established = on_session_established,
		.on_stored = on_session_stored,
		.on_forward = on_session_forward,
		.on_synced = on_session_synced,
		.on_rejected = on_session_rejected,
		.attach = &n->attach,
		.hook_arg = n,
	};
	session_limits(&n->sessions.lim, conf);
	{
		const char *k = getenv("TESSERA_TEST_KILL_AFTER_FORWARD");

		n->kill_after_forward = k != NULL ? strtoul(k, NULL, 10) : 0;
	}
	n->rotate = (struct node_rotate){
		.store = n->store,
		.conf = conf,
		.store_held = &n->sessions.store_held,
		.on_stored = on_rotate_stored,
		.on_repinned = on_rotate_repinned,
		.hook_arg = n,
	};
	if ((rc = node_rotate_open(&n->rotate, n->id->pub, cause)) != 0)
		goto fail;
	n->sessions.rotation = n->rotate.chain;
	n->sessions.n_rotation = n->rotate.n_chain;
	{
		struct attach_policy pol;

		attach_policy(&pol, conf);
		attach_init(&n->attach, n->store, &pol);
		n->attach.on_news = on_blob_news;
		n->attach.offload = on_attach_offload;
		n->attach.hook_arg = n;
	}
	n->ops = (struct ops_env){
		.loop = loop,
		.store = n->store,
		.health = &n->health,
		.conf = conf,
		.started = n->started,
		.push_duplicates = &n->sessions.duplicates,
		.push_forwarded = &n->sessions.forwarded,
	};
	n->ctl_env = (struct ctl_env){
		.ops = &n->ops,
		.id = n->id,
		.invites = n->invites,
		.on_committed = on_ctl_committed,
		.on_import = on_ctl_import,
		.on_blocked = on_ctl_blocked,
		.on_fetch = on_ctl_fetch,
		.attach = &n->attach,
		.on_peers_changed = on_ctl_peers_changed,
		.hook_arg = n,
	};
	uv_timer_init(loop, &n->blob_timer);
	n->blob_timer.data = n;
	node_idle_init(&n->idle, loop, n->store);
	node_index_init(&n->index, loop, n->store, &n->sessions.store_held);
	node_storage_init(&n->storage, loop, n->store, &n->sessions.storage_retry,
	    on_storage_resume_peers, n);
	*out = n;
	return 0;
fail:
	n->stopping = 1;   /* no handle was made */
	node_close(n);
	return rc;
}

int
node_start(struct node *n, char **cause)
{
	const struct config *conf = n->conf;
	struct peers_env pe = { .loop = n->loop, .conf = conf, .id = n->id,
		.sessions = &n->sessions, .on_join = on_peers_join, .on_rotate = on_peers_rotate,
		.rotated = on_peers_rotated, .hook_arg = n };
	int rc;

	if ((rc = ctl_start(&n->ctl_env, conf->control_socket, &n->ctl, cause)) != 0 ||
	    (rc = peers_start(&pe, &n->peers, cause)) != 0)
		return rc;
	n->ops.peers = n->peers;
	/* Rotations that arrived while we were down: pins follow now. */
	node_rotate_follow(&n->rotate, true);
	if (conf->metrics_listen.host != NULL &&
	    (rc = metrics_start(&n->ops, &conf->metrics_listen, &n->metrics, cause)) != 0)
		return rc;
	if (conf->web_listen.host != NULL &&
	    (rc = web_start(&n->ops, n->id->pub, &conf->web_listen, &n->web, cause)) != 0)
		return rc;
	uv_timer_start(&n->blob_timer, on_blob_timer, BLOB_GC_MS, BLOB_GC_MS);
	node_idle_start(&n->idle);
	log_info("node %s started: %s, control socket %s", n->id->id, conf->data_dir,
	    conf->control_socket);
	return 0;
}

void
node_close(struct node *n)
{
	if (n == NULL)
		return;
	attach_free(&n->attach);
	node_rotate_close(&n->rotate);
	store_close(n->store);
	invites_free(n->invites);
	identity_free(n->id);
	config_free(n->conf);
	if (n->lockfd >= 0)
		close(n->lockfd);
	free(n);
}

/* The process: signals around one node on the default loop. */
struct proc {
	struct node *node;
	uv_signal_t sig_term, sig_int, sig_hup;
};

static void
on_signal(uv_signal_t *h, int signum)
{
	struct proc *pr = h->data;

	if (signum == SIGHUP) {
		/* READY=1 follows whether the new file was taken or refused. */
		notify_reloading();
		node_reload(pr->node);
		notify_reloaded(pr->node->notify);
		return;
	}
	node_stop(pr->node, signum == SIGTERM ? "SIGTERM" : "SIGINT");
	uv_close((uv_handle_t *)&pr->sig_term, NULL);
	uv_close((uv_handle_t *)&pr->sig_int, NULL);
	uv_close((uv_handle_t *)&pr->sig_hup, NULL);
}

int
node_run(struct config *conf)
{
	struct proc pr;
	uv_loop_t *loop = uv_default_loop();
	char *cause = NULL;
	int rc;

	memset(&pr, 0, sizeof(pr));
	if ((rc = node_open(conf, loop, &pr.node, &cause)) != 0) {
		log_msg(LOG_LVL_ERR, "%s", cause ? cause : "start-up failed");
		free(cause);
		return 1;
	}
	/* A write to a closed socket is an error code, not a death; a file over
	 * RLIMIT_FSIZE is a failed write that SQLite reports. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	uv_signal_init(loop, &pr.sig_term);
	uv_signal_init(loop, &pr.sig_int);
	uv_signal_init(loop, &pr.sig_hup);
	pr.sig_term.data = pr.sig_int.data = pr.sig_hup.data = &pr;
	uv_signal_start(&pr.sig_term, on_signal, SIGTERM);
	uv_signal_start(&pr.sig_int, on_signal, SIGINT);
	uv_signal_start(&pr.sig_hup, on_signal, SIGHUP);
	if ((rc = node_start(pr.node, &cause)) != 0) {
		log_msg(LOG_LVL_ERR, "%s", cause ? cause : "start-up failed");
		node_stop(pr.node, "start-up failed");
		uv_close((uv_handle_t *)&pr.sig_term, NULL);
		uv_close((uv_handle_t *)&pr.sig_int, NULL);
		uv_close((uv_handle_t *)&pr.sig_hup, NULL);
	} else {
		/* The store is open, every listener is bound and the control
		 * socket exists: a unit ordered after us can use the node now. */
		notify_ready(&pr.node->ops, &pr.node->notify);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	if (rc == 0)
		log_info("stopped");
	if (uv_loop_close(loop) != 0)
		log_warnx("event loop closed with handles still open");
	node_close(pr.node);
	free(cause);
	return rc == 0 ? 0 : 1;
}

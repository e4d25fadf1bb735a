/* The running node: start-up, signals, reload, shutdown. */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/config.h"
#include "ctl/ctl.h"
#include "core/identity.h"
#include "core/log.h"
#include "ops/metrics.h"
#include "ops/notify.h"
#include "net/peers.h"
#include "store/store.h"
#include "core/util.h"

void
node_changed(struct node *n, const void *from)
{
	uint64_t seq = store_max_seq(n->store);

	if (seq <= n->last_seq)
		return;
	peers_announce(n->peers, n->last_seq, from);
	n->last_seq = seq;
}

void
node_import_done(struct node *n)
{
	n->import_owner = NULL;
	peers_resume(n->peers);
	node_changed(n, NULL);
}

#define STORAGE_PROBE_MS 2000

/* Storage full. Every STORAGE_PROBE_MS a probe write tests for space; when
 * it goes through, the records peers hold for us are stored first (they
 * are what needs the space). Storage counts as writable again once real
 * data is committed, or when the probe succeeded and nothing that waited
 * failed: so a probe that fits where real data does not cannot make the
 * state flap. */
static void
on_storage_probe(uv_timer_t *t)
{
	struct node *n = t->data;
	uint64_t refused;

	if (store_probe(n->store) != 0)
		return;   /* still full: next tick */
	refused = store_refusals(n->store);
	n->storage_retry = 1;
	peers_resume(n->peers);
	n->storage_retry = 0;
	if (store_full(n->store, NULL) && store_refusals(n->store) == refused)
		store_clear_full(n->store);
}

static void
on_storage_resume(uv_timer_t *t)
{
	struct node *n = t->data;

	peers_resume(n->peers);
}

static void
on_storage_full(void *arg, bool full)
{
	struct node *n = arg;

	if (n->stopping)
		return;
	if (full)
		uv_timer_start(&n->storage_timer, on_storage_probe, STORAGE_PROBE_MS,
		    STORAGE_PROBE_MS);
	else   /* from inside a commit: let peers store what they hold, later */
		uv_timer_start(&n->storage_timer, on_storage_resume, 0, 0);
}

static void
node_stop(struct node *n, const char *why)
{
	if (n->stopping)
		return;
	n->stopping = 1;
	log_info("stopping: %s", why);
	notify_stopping(n);
	metrics_stop(n->metrics);
	n->metrics = NULL;
	ctl_stop(n->ctl);
	n->ctl = NULL;
	peers_stop(n->peers);
	n->peers = NULL;
	uv_close((uv_handle_t *)&n->sig_term, NULL);
	uv_close((uv_handle_t *)&n->sig_int, NULL);
	uv_close((uv_handle_t *)&n->sig_hup, NULL);
	uv_close((uv_handle_t *)&n->storage_timer, NULL);
}

static void
node_reload(struct node *n)
{
	struct config *nc, *old = n->conf;
	char *cause = NULL;

	if (config_load(old->path, &nc, &cause) != 0) {
		log_warnx("reload: %s; keeping the running configuration", cause);
		free(cause);
		return;
	}
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
	store_set_quota(n->store, nc->max_records_per_author);
	store_set_max_skew(n->store, nc->max_clock_skew_ms);
	peers_reload(n->peers, old, nc);
	metrics_reload(n, old, nc);
	config_free(old);
	log_info("reloaded %s: %zu peers configured", nc->path, nc->n_peers);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct node *n = h->data;

	if (signum == SIGHUP) {
		/* READY=1 follows whether the new file was taken or refused. */
		notify_reloading();
		node_reload(n);
		notify_reloaded(n);
	} else
		node_stop(n, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* One tesserad per data directory: a second one would corrupt nothing
 * (SQLite locks) but would fight over the control socket. */
static int
lock_data_dir(const char *dir, int *fd, char **cause)
{
	char *path = strfmt("%s/tesserad.lock", dir);

	if (path == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		int e = errno;

		set_cause(cause, -e, "%s: %s", path, strerror(e));
		free(path);
		return -e;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		set_cause(cause, -EBUSY, "%s: another tesserad is running with this data directory",
		    path);
		free(path);
		close(*fd);
		*fd = -1;
		return -EBUSY;
	}
	free(path);
	return 0;
}

int
node_run(struct config *conf)
{
	struct node n;
	char *cause = NULL;
	int lockfd = -1, rc;

	memset(&n, 0, sizeof(n));
	n.conf = conf;
	n.started = now_ms();
	if (access(conf->data_dir, W_OK | X_OK) != 0) {
		log_msg(LOG_LVL_ERR, "%s: %s", conf->data_dir, strerror(errno));
		config_free(conf);
		return 1;
	}
	if ((rc = lock_data_dir(conf->data_dir, &lockfd, &cause)) != 0 ||
	    (rc = identity_load(conf->data_dir, &n.id, &cause)) != 0 ||
	    (rc = store_open(conf->data_dir, false, &n.store, &cause)) != 0) {
		log_msg(LOG_LVL_ERR, "%s", cause ? cause : "start-up failed");
		goto out;
	}
	store_set_quota(n.store, conf->max_records_per_author);
	store_set_max_skew(n.store, conf->max_clock_skew_ms);
	store_set_local(n.store, n.id->pub);
	n.last_seq = store_max_seq(n.store);
	/* A write to a closed socket is an error code, not a death; a file over
	 * RLIMIT_FSIZE is a failed write that SQLite reports. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	n.loop = uv_default_loop();
	uv_signal_init(n.loop, &n.sig_term);
	uv_signal_init(n.loop, &n.sig_int);
	uv_signal_init(n.loop, &n.sig_hup);
	n.sig_term.data = n.sig_int.data = n.sig_hup.data = &n;
	uv_signal_start(&n.sig_term, on_signal, SIGTERM);
	uv_signal_start(&n.sig_int, on_signal, SIGINT);
	uv_signal_start(&n.sig_hup, on_signal, SIGHUP);
	uv_timer_init(n.loop, &n.storage_timer);
	n.storage_timer.data = &n;
	store_on_full(n.store, on_storage_full, &n);
	if ((rc = ctl_start(&n, conf->control_socket, &n.ctl, &cause)) != 0 ||
	    (rc = peers_start(&n, &n.peers, &cause)) != 0 ||
	    (conf->metrics_listen.host != NULL &&
	    (rc = metrics_start(&n, &conf->metrics_listen, &n.metrics, &cause)) != 0)) {
		log_msg(LOG_LVL_ERR, "%s", cause ? cause : "start-up failed");
		node_stop(&n, "start-up failed");
		uv_run(n.loop, UV_RUN_DEFAULT);
		goto out;
	}
	log_info("node %s started: %s, control socket %s", n.id->id, conf->data_dir,
	    conf->control_socket);
	/* The store is open, every listener is bound and the control socket
	 * exists: a unit ordered after us can use the node now. */
	notify_ready(&n);
	uv_run(n.loop, UV_RUN_DEFAULT);
	log_info("stopped");
out:
	if (n.loop != NULL && uv_loop_close(n.loop) != 0)
		log_warnx("event loop closed with handles still open");
	store_close(n.store);
	identity_free(n.id);
	config_free(n.conf);
	free(cause);
	if (lockfd >= 0)
		close(lockfd);
	return rc == 0 ? 0 : 1;
}

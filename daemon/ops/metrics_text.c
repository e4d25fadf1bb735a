/* The Prometheus text exposition of a node's state (struct ops_env). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include "core/config.h"
#include "core/nodeid.h"
#include "core/procmem.h"
#include "core/util.h"
#include "net/peers.h"
#include "ops/health.h"
#include "ops/metrics.h"
#include "ops/ops.h"
#include "store/store.h"

/* Label values escape backslash, double quote and newline. */
static void
label(FILE *f, const char *v)
{
	for (; v != NULL && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
peer_labels(FILE *f, const struct peer_report *pr)
{
	char id[NODEID_SHORT + 1];

	nodeid_short(pr->id, id);
	fputs("{peer=\"", f);
	label(f, pr->name);
	fprintf(f, "\",peer_id=\"%s\"}", id);
}

/* One metric per configured peer; val picks the value (negative: skip). */
typedef double (*peer_val)(const struct peer_report *pr, int64_t now);

static double
v_up(const struct peer_report *pr, int64_t now)
{
	return pr->up;
}

static double
v_recv(const struct peer_report *pr, int64_t now)
{
	return (double)pr->received;
}

static double
v_sent(const struct peer_report *pr, int64_t now)
{
	return (double)pr->sent;
}

static double
v_rej(const struct peer_report *pr, int64_t now)
{
	return (double)pr->rejected;
}

static double
v_last_sync(const struct peer_report *pr, int64_t now)
{
	return pr->last_sync > 0 ? (double)pr->last_sync / 1000.0 : -1;
}

static double
v_lag(const struct peer_report *pr, int64_t now)
{
	int64_t t = pr->last_sync;

	return t > 0 ? (double)(now > t ? now - t : 0) / 1000.0 : -1;
}

static double
v_wanted(const struct peer_report *pr, int64_t now)
{
	return (double)pr->outstanding;
}

static double
v_bytes_in(const struct peer_report *pr, int64_t now)
{
	return (double)pr->bytes_in;
}

static double
v_bytes_out(const struct peer_report *pr, int64_t now)
{
	return (double)pr->bytes_out;
}

static const struct peer_metric {
	const char *name, *type, *help;
	peer_val val;
} peer_metrics[] = {
	{ "tessera_peer_up", "gauge", "1 if a sync session with the peer is established.",
	  v_up },
	{ "tessera_peer_records_received_total", "counter",
	  "Records received from the peer and stored.", v_recv },
	{ "tessera_peer_records_sent_total", "counter", "Records sent to the peer.", v_sent },
	{ "tessera_peer_records_rejected_total", "counter",
	  "Records from the peer that were refused.", v_rej },
	{ "tessera_peer_last_sync_timestamp_seconds", "gauge",
	  "When the peer's offers were last fully applied (Unix time).", v_last_sync },
	{ "tessera_peer_sync_lag_seconds", "gauge",
	  "Seconds since the peer's offers were last fully applied.", v_lag },
	{ "tessera_peer_records_outstanding", "gauge",
	  "Records asked of the peer and not yet received.", v_wanted },
	{ "tessera_peer_received_bytes_total", "counter",
	  "Bytes received from the peer since start-up (TLS included).", v_bytes_in },
	{ "tessera_peer_sent_bytes_total", "counter",
	  "Bytes sent to the peer since start-up (TLS included).", v_bytes_out },
};

static int
peers_section(FILE *f, const struct ops_env *env)
{
	struct peer_report *pr;
	int64_t now = now_ms();
	size_t n;
	int rc;

	if ((rc = peers_reports(env->peers, env->store, &pr, &n)) != 0)
		return rc;
	for (size_t k = 0; k < sizeof(peer_metrics) / sizeof(peer_metrics[0]); k++) {
		const struct peer_metric *pm = &peer_metrics[k];

		head(f, pm->name, pm->type, pm->help);
		for (size_t i = 0; i < n; i++) {
			double v = pm->val(&pr[i], now);

			if (v < 0)
				continue;
			fputs(pm->name, f);
			peer_labels(f, &pr[i]);
			fprintf(f, " %.15g\n", v);
		}
	}
	free(pr);
	return 0;
}

static int
records_section(FILE *f, const struct ops_env *env)
{
	static const char *const kinds[STORE_KINDS] = { "unknown", "profile", "initiative",
		"resource", "adoption" };
	struct store_kinds k;
	struct store_communities cs;
	uint64_t shown = 0;
	char id[NODEID_SHORT + 1], help[128];

	if (store_count_kinds(env->store, &k) != 0 ||
	    store_count_communities(env->store, METRICS_TOP_COMMUNITIES, &cs) != 0)
		return -EIO;
	head(f, "tessera_records", "gauge", "Records held, by kind (tombstone: deleted).");
	for (int i = 0; i < STORE_KINDS; i++)
		fprintf(f, "tessera_records{kind=\"%s\"} %llu\n", kinds[i],
		    (unsigned long long)k.live[i]);
	fprintf(f, "tessera_records{kind=\"tombstone\"} %llu\n", (unsigned long long)k.tombstones);
	head(f, "tessera_communities", "gauge", "Communities (authors) this node holds.");
	fprintf(f, "tessera_communities %llu\n", (unsigned long long)cs.total);
	/* Any key can author records: one series per author would let
	 * strangers grow every scrape and the monitoring's storage. */
	snprintf(help, sizeof(help), "Live records held by the %d communities holding the most; "
	    "community=\"other\" sums the rest.", METRICS_TOP_COMMUNITIES);
	head(f, "tessera_community_records", "gauge", help);
	for (size_t i = 0; i < cs.n_top; i++) {
		nodeid_short(cs.top[i].author, id);
		fprintf(f, "tessera_community_records{community=\"%s\",name=\"", id);
		label(f, cs.top[i].name);
		fprintf(f, "\"} %llu\n", (unsigned long long)cs.top[i].records);
		shown += cs.top[i].records;
	}
	fprintf(f, "tessera_community_records{community=\"other\",name=\"\"} %llu\n",
	    (unsigned long long)(cs.records > shown ? cs.records - shown : 0));
	store_communities_free(&cs);
	head(f, "tessera_records_rejected_total", "counter",
	    "Records from peers refused since start-up, by reason.");
	for (int i = 0; i < SYNC_REJECT_COUNT; i++)
		fprintf(f, "tessera_records_rejected_total{reason=\"%s\"} %llu\n",
		    health_reject_name(i), (unsigned long long)env->health->rejected[i]);
	if (env->push_duplicates != NULL) {
		head(f, "tessera_push_duplicates_total", "counter",
		    "Records pushed by peers that this node already held (eager push).");
		fprintf(f, "tessera_push_duplicates_total %llu\n",
		    (unsigned long long)*env->push_duplicates);
	}
	if (env->push_forwarded != NULL) {
		head(f, "tessera_push_forwarded_total", "counter",
		    "Records pushed on to a peer before this node's own commit (forward before "
		    "commit), counted once per link.");
		fprintf(f, "tessera_push_forwarded_total %llu\n",
		    (unsigned long long)*env->push_forwarded);
	}
	return 0;
}

/* Descriptors in use and allowed (the names client libraries use), and the
 * connections held before authentication: what a flood of strangers would
 * exhaust first. */
static void
fds_section(FILE *f, const struct ops_env *env)
{
	struct peers_strangers st;
	struct rlimit rl;
	DIR *d = opendir("/proc/self/fd");

	if (d != NULL) {
		uint64_t open = 0;

		/* Counts ".", ".." and d's own descriptor: three out. */
		while (readdir(d) != NULL)
			open++;
		closedir(d);
		head(f, "process_open_fds", "gauge", "Open file descriptors.");
		fprintf(f, "process_open_fds %llu\n", (unsigned long long)(open - 3));
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		head(f, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		fprintf(f, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	peers_strangers(env->peers, &st);
	head(f, "tessera_unauthenticated_connections", "gauge",
	    "Inbound connections not yet past the TLS pin check.");
	fprintf(f, "tessera_unauthenticated_connections %llu\n", (unsigned long long)st.held);
	head(f, "tessera_connections_refused_total", "counter",
	    "Inbound connections closed at once since start-up, by the cap they met.");
	fprintf(f, "tessera_connections_refused_total{cap=\"max_unauthenticated\"} %llu\n",
	    (unsigned long long)st.refused_full);
	fprintf(f, "tessera_connections_refused_total{cap=\"max_unauthenticated_per_address\"} "
	    "%llu\n", (unsigned long long)st.refused_address);
}

/* Resident memory (the name client libraries use) and SQLite's share of
 * the heap: what an idle node gives back (daemon/node_idle.h). */
static void
memory_section(FILE *f)
{
	uint64_t rss;

	if (procmem_resident(&rss) == 0) {
		head(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
		fprintf(f, "process_resident_memory_bytes %llu\n", (unsigned long long)rss);
	}
	head(f, "tessera_sqlite_memory_bytes", "gauge",
	    "Heap bytes SQLite holds (page cache, statements, full-text index).");
	fprintf(f, "tessera_sqlite_memory_bytes %llu\n", (unsigned long long)store_memory_used());
}

static int
node_section(FILE *f, const struct ops_env *env)
{
	struct store_stats st;
	struct statvfs vfs;

	if (store_stats(env->store, &st) != 0)
		return -EIO;
	head(f, "tessera_build_info", "gauge", "Version of tesserad (always 1).");
	fprintf(f, "tessera_build_info{version=\"%s\"} 1\n", TESSERA_VERSION);
	head(f, "tessera_start_time_seconds", "gauge", "When tesserad started (Unix time).");
	fprintf(f, "tessera_start_time_seconds %.3f\n", (double)env->started / 1000.0);
	head(f, "tessera_uptime_seconds", "gauge", "Seconds since tesserad started.");
	fprintf(f, "tessera_uptime_seconds %.3f\n", (double)(now_ms() - env->started) / 1000.0);
	head(f, "tessera_peers_configured", "gauge", "Peers in the configuration.");
	fprintf(f, "tessera_peers_configured %zu\n", env->conf->n_peers);
	head(f, "tessera_peers_connected", "gauge", "Peers with an established session.");
	fprintf(f, "tessera_peers_connected %u\n", peers_connected(env->peers));
	head(f, "tessera_store_size_bytes", "gauge", "Size of the record database.");
	fprintf(f, "tessera_store_size_bytes %llu\n", (unsigned long long)st.db_bytes);
	head(f, "tessera_store_sequence", "gauge", "Highest local sequence number.");
	fprintf(f, "tessera_store_sequence %llu\n", (unsigned long long)st.seq);
	fds_section(f, env);
	memory_section(f);
	if (statvfs(env->conf->data_dir, &vfs) == 0) {
		head(f, "tessera_disk_free_bytes", "gauge",
		    "Bytes available to tesserad on the data directory's file system.");
		fprintf(f, "tessera_disk_free_bytes %llu\n",
		    (unsigned long long)vfs.f_bavail * vfs.f_frsize);
		head(f, "tessera_disk_size_bytes", "gauge",
		    "Size of the data directory's file system.");
		fprintf(f, "tessera_disk_size_bytes %llu\n",
		    (unsigned long long)vfs.f_blocks * vfs.f_frsize);
	}
	return 0;
}

int
metrics_render(const struct ops_env *env, char **out, size_t *len)
{
	FILE *f;
	int rc;

	*out = NULL;
	if ((f = open_memstream(out, len)) == NULL)
		return -errno;
	if ((rc = node_section(f, env)) == 0 && (rc = records_section(f, env)) == 0)
		rc = peers_section(f, env);
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

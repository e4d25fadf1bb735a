/* The Prometheus text exposition of a node's state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "core/config.h"
#include "ops/health.h"
#include "ops/metrics.h"
#include "node.h"
#include "core/nodeid.h"
#include "net/peer.h"
#include "net/peers_int.h"
#include "store/store.h"
#include "core/util.h"

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
peer_labels(FILE *f, const struct peer_slot *s)
{
	char id[NODEID_SHORT + 1];

	nodeid_short(s->id, id);
	fputs("{peer=\"", f);
	label(f, s->name);
	fprintf(f, "\",peer_id=\"%s\"}", id);
}

/* One metric per configured peer; val picks the value (negative: skip). */
typedef double (*peer_val)(struct node *n, const struct peer_slot *s,
    const struct store_peer *sp, int64_t now);

static double
v_up(struct node *n, const struct peer_slot *s, const struct store_peer *sp, int64_t now)
{
	return s->active != NULL && s->active->state == PEER_ESTABLISHED;
}

static double
v_recv(struct node *n, const struct peer_slot *s, const struct store_peer *sp, int64_t now)
{
	return (double)sp->received;
}

static double
v_sent(struct node *n, const struct peer_slot *s, const struct store_peer *sp, int64_t now)
{
	return (double)sp->sent;
}

static double
v_rej(struct node *n, const struct peer_slot *s, const struct store_peer *sp, int64_t now)
{
	return (double)sp->rejected;
}

static int64_t
last_sync(const struct peer_slot *s, const struct store_peer *sp)
{
	return s->last_sync ? s->last_sync : sp->last_sync;
}

static double
v_last_sync(struct node *n, const struct peer_slot *s, const struct store_peer *sp,
    int64_t now)
{
	return last_sync(s, sp) > 0 ? (double)last_sync(s, sp) / 1000.0 : -1;
}

static double
v_lag(struct node *n, const struct peer_slot *s, const struct store_peer *sp, int64_t now)
{
	int64_t t = last_sync(s, sp);

	return t > 0 ? (double)(now > t ? now - t : 0) / 1000.0 : -1;
}

static double
v_wanted(struct node *n, const struct peer_slot *s, const struct store_peer *sp, int64_t now)
{
	return s->active != NULL ? (double)s->active->session.sync.n_wanted : 0;
}

static double
v_bytes_in(struct node *n, const struct peer_slot *s, const struct store_peer *sp,
    int64_t now)
{
	return (double)(s->bytes_in + (s->active ? s->active->bytes_in : 0));
}

static double
v_bytes_out(struct node *n, const struct peer_slot *s, const struct store_peer *sp,
    int64_t now)
{
	return (double)(s->bytes_out + (s->active ? s->active->bytes_out : 0));
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
peers_section(FILE *f, struct node *n)
{
	const struct peer_slot *first = n->peers != NULL ? n->peers->slots : NULL;
	int64_t now = now_ms();
	size_t count = 0;

	for (const struct peer_slot *s = first; s; s = s->next)
		count++;
	struct store_peer *sp = calloc(count + 1, sizeof(*sp));
	size_t i = 0;

	if (sp == NULL)
		return -ENOMEM;
	for (const struct peer_slot *s = first; s; s = s->next, i++)
		if (store_peer_get(n->store, s->id, &sp[i]) != 0)
			memset(&sp[i], 0, sizeof(sp[i]));
	for (size_t k = 0; k < sizeof(peer_metrics) / sizeof(peer_metrics[0]); k++) {
		const struct peer_metric *pm = &peer_metrics[k];

		head(f, pm->name, pm->type, pm->help);
		i = 0;
		for (const struct peer_slot *s = first; s; s = s->next, i++) {
			double v = pm->val(n, s, &sp[i], now);

			if (v < 0)
				continue;
			fputs(pm->name, f);
			peer_labels(f, s);
			fprintf(f, " %.15g\n", v);
		}
	}
	free(sp);
	return 0;
}

static int
records_section(FILE *f, struct node *n)
{
	static const char *const kinds[STORE_KINDS] = { "unknown", "profile", "initiative",
		"resource" };
	struct store_kinds k;
	struct store_author *a;
	size_t na;
	char id[NODEID_SHORT + 1];

	if (store_count_kinds(n->store, &k) != 0 || store_authors(n->store, &a, &na) != 0)
		return -EIO;
	head(f, "tessera_records", "gauge", "Records held, by kind (tombstone: deleted).");
	for (int i = 0; i < STORE_KINDS; i++)
		fprintf(f, "tessera_records{kind=\"%s\"} %llu\n", kinds[i],
		    (unsigned long long)k.live[i]);
	fprintf(f, "tessera_records{kind=\"tombstone\"} %llu\n", (unsigned long long)k.tombstones);
	head(f, "tessera_communities", "gauge", "Communities (authors) this node holds.");
	fprintf(f, "tessera_communities %zu\n", na);
	head(f, "tessera_community_records", "gauge", "Live records held, by community.");
	for (size_t i = 0; i < na; i++) {
		nodeid_short(a[i].author, id);
		fprintf(f, "tessera_community_records{community=\"%s\",name=\"", id);
		label(f, a[i].name);
		fprintf(f, "\"} %llu\n", (unsigned long long)a[i].records);
	}
	store_authors_free(a, na);
	head(f, "tessera_records_rejected_total", "counter",
	    "Records from peers refused since start-up, by reason.");
	for (int i = 0; i < HR_COUNT; i++)
		fprintf(f, "tessera_records_rejected_total{reason=\"%s\"} %llu\n",
		    health_reject_name(i), (unsigned long long)n->health.rejected[i]);
	return 0;
}

static int
node_section(FILE *f, struct node *n)
{
	struct store_stats st;
	struct statvfs vfs;

	if (store_stats(n->store, &st) != 0)
		return -EIO;
	head(f, "tessera_build_info", "gauge", "Version of tesserad (always 1).");
	fprintf(f, "tessera_build_info{version=\"%s\"} 1\n", TESSERA_VERSION);
	head(f, "tessera_start_time_seconds", "gauge", "When tesserad started (Unix time).");
	fprintf(f, "tessera_start_time_seconds %.3f\n", (double)n->started / 1000.0);
	head(f, "tessera_uptime_seconds", "gauge", "Seconds since tesserad started.");
	fprintf(f, "tessera_uptime_seconds %.3f\n", (double)(now_ms() - n->started) / 1000.0);
	head(f, "tessera_peers_configured", "gauge", "Peers in the configuration.");
	fprintf(f, "tessera_peers_configured %zu\n", n->conf->n_peers);
	head(f, "tessera_peers_connected", "gauge", "Peers with an established session.");
	fprintf(f, "tessera_peers_connected %u\n", peers_connected(n->peers));
	head(f, "tessera_store_size_bytes", "gauge", "Size of the record database.");
	fprintf(f, "tessera_store_size_bytes %llu\n", (unsigned long long)st.db_bytes);
	head(f, "tessera_store_sequence", "gauge", "Highest local sequence number.");
	fprintf(f, "tessera_store_sequence %llu\n", (unsigned long long)st.seq);
	if (statvfs(n->conf->data_dir, &vfs) == 0) {
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
metrics_render(struct node *n, char **out, size_t *len)
{
	FILE *f;
	int rc;

	*out = NULL;
	if ((f = open_memstream(out, len)) == NULL)
		return -errno;
	if ((rc = node_section(f, n)) == 0 && (rc = records_section(f, n)) == 0)
		rc = peers_section(f, n);
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

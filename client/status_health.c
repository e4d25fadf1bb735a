/* The health view of `tessera status`. */
#include "status_health.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/nodeid.h"
#include "out.h"
#include "core/util.h"

static void
print_storage(const Tessera__Status *s)
{
	char fr[32], tot[32];

	if (!s->has_disk_total || s->disk_total == 0)
		return;
	out_size(s->disk_free, fr);
	out_size(s->disk_total, tot);
	printf("storage   %s free of %s (%.0f%%)\n", fr, tot,
	    100.0 * (double)s->disk_free / (double)s->disk_total);
}

static void
print_peer(const Tessera__PeerView *p, int64_t now)
{
	char id[NODEID_SHORT + 1] = "-", when[32], label[96];
	int up = p->state != NULL && strcmp(p->state, "up") == 0;

	if (p->id.len == 32)
		nodeid_short(p->id.data, id);
	snprintf(label, sizeof(label), "%s (%s)", p->name ? p->name : "-", id);
	fputs("  ", stdout);
	out_cell(stdout, label, 28, 0);
	fputs(OUT_GAP, stdout);
	out_cell(stdout, p->state ? p->state : "-", 10, 0);
	fputs(OUT_GAP, stdout);
	if (up && p->connected_since > 0) {
		out_duration(now - p->connected_since, when);
		printf("for %s", when);
	} else if (p->down_since > 0) {
		out_duration(now - p->down_since, when);
		printf("not connected for %s", when);
	}
	if (p->last_sync > 0) {
		out_duration(now - p->last_sync, when);
		printf(", last sync %s ago", when);
	} else {
		fputs(", never synced", stdout);
	}
	fputc('\n', stdout);
	if (!up && p->last_error != NULL && *p->last_error != '\0') {
		fputs("      last error: ", stdout);
		out_plain(stdout, p->last_error);
		if (p->last_error_at > 0) {
			out_duration(now - p->last_error_at, when);
			printf(" (%s ago)", when);
		}
		fputc('\n', stdout);
	}
}

void
status_health_print(const Tessera__Reply *r)
{
	const Tessera__Status *s = r->status;
	int64_t now = now_ms();

	print_storage(s);
	if (s->index_behind > 0)
		printf("indexing  %llu text%s stored and not yet searchable\n",
		    (unsigned long long)s->index_behind, s->index_behind == 1 ? "" : "s");
	if (s->has_records_rejected && s->records_rejected > 0) {
		printf("rejected  %llu record%s from peers since start-up",
		    (unsigned long long)s->records_rejected, s->records_rejected == 1 ? "" : "s");
		if (s->last_reject != NULL) {
			fputs("; last: ", stdout);
			out_plain(stdout, s->last_reject);
		}
		fputc('\n', stdout);
	}
	if (s->has_attach_held && (s->attach_held > 0 || s->attach_missing > 0)) {
		printf("attached  %llu bytes held (budget %llu), %llu bytes not here",
		    (unsigned long long)s->attach_held, (unsigned long long)s->attach_budget,
		    (unsigned long long)s->attach_missing);
		if (s->attach_over_budget > 0)
			printf("; %llu attachment%s not fetched: over budget",
			    (unsigned long long)s->attach_over_budget,
			    s->attach_over_budget == 1 ? "" : "s");
		fputc('\n', stdout);
	}
	if (r->n_peers > 0)
		printf("peers:\n");
	for (size_t i = 0; i < r->n_peers; i++)
		print_peer(r->peers[i], now);
	if (s->n_attention == 0) {
		printf("needs attention: nothing\n");
		return;
	}
	printf("needs attention:\n");
	for (size_t i = 0; i < s->n_attention; i++) {
		fputs("  - ", stdout);
		out_plain(stdout, s->attention[i]);
		fputc('\n', stdout);
	}
}

static json_t *
peer_json(const Tessera__PeerView *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", cli_json_str(p->name));
	json_object_set_new(o, "id", cli_json_nodeid(&p->id));
	json_object_set_new(o, "state", cli_json_str(p->state));
	json_object_set_new(o, "connected_since", cli_json_time(p->connected_since));
	json_object_set_new(o, "down_since", cli_json_time(p->down_since));
	json_object_set_new(o, "last_sync", cli_json_time(p->last_sync));
	json_object_set_new(o, "last_error", cli_json_str(p->last_error));
	json_object_set_new(o, "last_error_at", cli_json_time(p->last_error_at));
	json_object_set_new(o, "records_rejected", json_integer((json_int_t)p->records_rejected));
	return o;
}

void
status_health_json(json_t *o, const Tessera__Reply *r)
{
	const Tessera__Status *s = r->status;
	json_t *peers = json_array(), *att = json_array();

	json_object_set_new(o, "tombstones", json_integer((json_int_t)s->tombstones));
	json_object_set_new(o, "disk_free", s->has_disk_free ?
	    json_integer((json_int_t)s->disk_free) : json_null());
	json_object_set_new(o, "disk_total", s->has_disk_total ?
	    json_integer((json_int_t)s->disk_total) : json_null());
	json_object_set_new(o, "records_rejected", json_integer((json_int_t)s->records_rejected));
	json_object_set_new(o, "rotation_disputes", json_integer((json_int_t)s->rotation_disputes));
	json_object_set_new(o, "index_behind", json_integer((json_int_t)s->index_behind));
	json_object_set_new(o, "pending_peers", json_integer((json_int_t)s->pending_peers));
	json_object_set_new(o, "last_reject", cli_json_str(s->last_reject));
	json_object_set_new(o, "last_reject_at", cli_json_time(s->last_reject_at));
	if (s->has_attach_held) {
		json_object_set_new(o, "attach_held", json_integer((json_int_t)s->attach_held));
		json_object_set_new(o, "attach_missing", json_integer((json_int_t)s->attach_missing));
		json_object_set_new(o, "attach_budget", json_integer((json_int_t)s->attach_budget));
		json_object_set_new(o, "attach_over_budget",
		    json_integer((json_int_t)s->attach_over_budget));
		json_object_set_new(o, "attach_chunks_in",
		    json_integer((json_int_t)s->attach_chunks_in));
		json_object_set_new(o, "attach_chunks_out",
		    json_integer((json_int_t)s->attach_chunks_out));
	}
	for (size_t i = 0; i < r->n_peers; i++)
		json_array_append_new(peers, peer_json(r->peers[i]));
	json_object_set_new(o, "peers", peers);
	for (size_t i = 0; i < s->n_attention; i++)
		json_array_append_new(att, json_string(s->attention[i]));
	json_object_set_new(o, "attention", att);
}

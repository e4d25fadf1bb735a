/* The health page: what `tessera status` says, in plain words. With
 * web_expose the operator's parts (disk, storage errors, refusals, the
 * attention items) are left out, and the peers' page (addresses, states,
 * errors) is not served at all. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/nodeid.h"
#include "ops/ops.h"
#include "ops/status.h"
#include "web/web_int.h"

static void
when(struct web_req *r, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	char buf[32];
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm) == 0) {
		html_raw(&r->out, "—");
		return;
	}
	html_raw(&r->out, buf);
}

static void
bytes(char *out, size_t outsz, uint64_t b)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]))
		v /= 1024, u++;
	snprintf(out, outsz, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void
para_open(struct web_req *r, const char *cls)
{
	html_raw(&r->out, "<p class=\"");
	html_raw(&r->out, cls);
	html_raw(&r->out, "\">");
}

static void
summary(struct web_req *r, const Tessera__Status *s)
{
	char id[NODEID_STRLEN + 1], a[32];

	para_open(r, "line");
	html_str(&r->out, _("This node is called"));
	html_raw(&r->out, " <bdi class=\"name\">");
	html_str(&r->out, s->name != NULL ? s->name : _("(no name yet)"));
	html_raw(&r->out, "</bdi>. ");
	web_textf(r, _("It runs Tessera %s and has been up since"), s->version);
	html_raw(&r->out, " ");
	when(r, s->started);
	html_raw(&r->out, ".</p>");
	if (s->node_id.len == TESS_KEY_LEN) {
		nodeid_encode(s->node_id.data, id);
		para_open(r, "nodeid");
		html_str(&r->out, _("Node ID:"));
		html_raw(&r->out, " <code>");
		html_str(&r->out, id);
		html_raw(&r->out, "</code></p>");
	}
	bytes(a, sizeof(a), s->db_bytes);
	para_open(r, "records");
	web_textf(r, _("It holds %llu records and %llu withdrawn ones (%s)."),
	    (unsigned long long)s->records, (unsigned long long)s->tombstones, a);
	html_raw(&r->out, "</p>");
	para_open(r, s->peers_connected > 0 ? "peers ok" : "peers bad");
	web_textf(r, _("Connected to %u of %u peers."), s->peers_connected, s->peers_configured);
	html_raw(&r->out, "</p>");
	para_open(r, s->storage_full ? "storage bad" : "storage ok");
	html_str(&r->out, s->storage_full ? _("Storage is full: new records are refused, "
	    "reading still works.") : _("Storage is working."));
	if (s->storage_full && s->storage_error != NULL && !r->exposed) {
		html_raw(&r->out, " <q>");
		html_str(&r->out, s->storage_error);
		html_raw(&r->out, "</q>");
	}
	html_raw(&r->out, "</p>");
}

/* The operator's part: disk, refusals, attention items. */
static void
operator(struct web_req *r, const Tessera__Status *s)
{
	char a[32], b[32];

	if (s->has_disk_free && s->disk_total > 0) {
		bytes(a, sizeof(a), s->disk_free);
		bytes(b, sizeof(b), s->disk_total);
		para_open(r, "disk");
		web_textf(r, _("The disk holding the data has %s free of %s."), a, b);
		html_raw(&r->out, "</p>");
	}
	para_open(r, "rejected");
	web_textf(r, _("Records refused from peers since start-up: %llu."),
	    (unsigned long long)s->records_rejected);
	if (s->last_reject != NULL) {
		html_raw(&r->out, " ");
		html_str(&r->out, _("The last one:"));
		html_raw(&r->out, " <q>");
		html_str(&r->out, s->last_reject);
		html_raw(&r->out, "</q>");
	}
	html_raw(&r->out, "</p><h2>");
	html_str(&r->out, _("Needs attention"));
	html_raw(&r->out, "</h2>");
	if (s->n_attention == 0) {
		para_open(r, "attention ok");
		html_str(&r->out, _("Nothing needs attention."));
		html_raw(&r->out, "</p>");
		return;
	}
	html_raw(&r->out, "<ul class=\"attention\">");
	for (size_t i = 0; i < s->n_attention; i++) {
		html_raw(&r->out, "<li>");
		html_str(&r->out, s->attention[i]);
		html_raw(&r->out, "</li>");
	}
	html_raw(&r->out, "</ul>");
}

static void
peers(struct web_req *r, Tessera__PeerView *const *p, size_t n)
{
	html_raw(&r->out, "<h1>");
	html_str(&r->out, _("Peers"));
	html_raw(&r->out, "</h1><table class=\"peers\"><thead><tr><th>");
	html_str(&r->out, _("Name"));
	html_raw(&r->out, "</th><th>");
	html_str(&r->out, _("Address"));
	html_raw(&r->out, "</th><th>");
	html_str(&r->out, _("State"));
	html_raw(&r->out, "</th><th>");
	html_str(&r->out, _("Last sync"));
	html_raw(&r->out, "</th><th>");
	html_str(&r->out, _("Last error"));
	html_raw(&r->out, "</th></tr></thead><tbody>");
	for (size_t i = 0; i < n; i++) {
		html_raw(&r->out, "<tr><td><bdi>");
		html_str(&r->out, p[i]->name);
		html_raw(&r->out, "</bdi></td><td class=\"address\">");
		html_str(&r->out, p[i]->address);
		html_raw(&r->out, "</td><td>");
		html_str(&r->out, p[i]->state);
		html_raw(&r->out, "</td><td>");
		when(r, p[i]->last_sync);
		html_raw(&r->out, "</td><td class=\"error\">");
		html_str(&r->out, p[i]->last_error);
		html_raw(&r->out, "</td></tr>");
	}
	html_raw(&r->out, "</tbody></table>");
}

int
web_page_health(struct web_req *r, const char *unused)
{
	struct status_view v;
	int rc;

	if ((rc = status_fill(r->w->env, r->w->id, &v)) != 0)
		return rc;
	web_frame_open(r, _("Health"));
	html_raw(&r->out, "<h1>");
	html_str(&r->out, _("How this node is doing"));
	html_raw(&r->out, "</h1>");
	summary(r, &v.s);
	if (r->exposed) {
		para_open(r, "exposed");
		web_textf(r, _("%zu things need the operator's attention; the details are shown "
		    "only on this machine."), v.s.n_attention);
		html_raw(&r->out, "</p>");
	} else {
		operator(r, &v.s);
	}
	web_frame_close(r);
	status_view_free(&v);
	return 0;
}

int
web_page_peers(struct web_req *r, const char *unused)
{
	struct status_view v;
	int rc;

	if ((rc = status_fill(r->w->env, r->w->id, &v)) != 0)
		return rc;
	web_frame_open(r, _("Peers"));
	peers(r, v.reply.peers, v.reply.n_peers);
	web_frame_close(r);
	status_view_free(&v);
	return 0;
}

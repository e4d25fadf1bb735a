/* Records as the pages show them in lists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/record.h"
#include "core/util.h"
#include "ops/ops.h"
#include "store/store.h"
#include "web/web_int.h"

int
web_record_at(const struct web_req *r, uint64_t seq, Tessera__Record **out)
{
	uint8_t sig[TESS_SIG_LEN], *body;
	const char *why;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = store_get_seq(r->w->env->store, seq, &body, &len, sig)) != 0)
		return rc;
	/* Stored records were verified on arrival; checked again as the
	 * control socket does, so a damaged database shows nothing wrong. */
	if ((rc = record_open(body, len, sig, TESS_SIG_LEN, out, &why)) != 0)
		log_warnx("web: stored record at seq %llu fails verification: %s",
		    (unsigned long long)seq, why);
	free(body);
	return rc;
}

int
web_record_get(const struct web_req *r, const char *hex, Tessera__Record **out)
{
	uint8_t id[TESS_ID_LEN], sig[TESS_SIG_LEN], *body = NULL;
	const char *why;
	uint64_t seq;
	size_t len;
	int rc;

	*out = NULL;
	if (strlen(hex) != 2 * TESS_ID_LEN || hex_decode(hex, id, TESS_ID_LEN) != 0)
		return -ENOENT;
	if ((rc = store_get(r->w->env->store, id, &body, &len, sig, &seq)) != 0)
		return rc;
	if ((rc = record_open(body, len, sig, TESS_SIG_LEN, out, &why)) != 0) {
		log_warnx("web: stored record %s fails verification: %s", hex, why);
		rc = -ENOENT;   /* shown as absent: nothing of it can be trusted */
	}
	free(body);
	return rc;
}

const char *
web_kind_name(const struct web_req *r, int kind)
{
	switch (kind) {
	case TESSERA__KIND__KIND_PROFILE: return _("community profile");
	case TESSERA__KIND__KIND_INITIATIVE: return _("initiative");
	case TESSERA__KIND__KIND_RESOURCE: return _("resource");
	case TESSERA__KIND__KIND_ADOPTION: return _("adoption");
	default: return _("other kind");
	}
}

void
web_date(struct web_req *r, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%d", &tm) == 0)
		return;
	html_raw(&r->out, "<time datetime=\"");
	html_raw(&r->out, buf);
	html_raw(&r->out, "\">");
	html_raw(&r->out, buf);
	html_raw(&r->out, "</time>");
}

void
web_record_item(struct web_req *r, const Tessera__Record *rec, const char *lang,
    const char *snippet)
{
	const Tessera__Text *t = record_text(rec, lang);
	char hex[2 * TESS_ID_LEN + 1], path[16 + sizeof(hex)];
	char *name = NULL;

	if (rec->id.len != TESS_ID_LEN || rec->author.len != TESS_KEY_LEN)
		return;
	hex_encode(rec->id.data, TESS_ID_LEN, hex);
	snprintf(path, sizeof(path), "/record/%s", hex);
	html_raw(&r->out, "<li class=\"hit\"");
	if (t != NULL && t->lang != NULL) {
		html_raw(&r->out, " lang=\"");
		html_text(&r->out, t->lang, strlen(t->lang), true);
		html_raw(&r->out, "\"");
	}
	html_raw(&r->out, "><h3 dir=\"auto\">");
	web_link(r, path, t != NULL && t->title != NULL && *t->title ? t->title : _("(untitled)"));
	html_raw(&r->out, "</h3><p class=\"meta\">");
	html_str(&r->out, web_kind_name(r, rec->kind));
	html_raw(&r->out, " · <bdi>");
	name = store_author_name(r->w->env->store, rec->author.data);
	html_str(&r->out, name != NULL ? name : _("unnamed community"));
	free(name);
	html_raw(&r->out, "</bdi>");
	if (t != NULL && t->lang != NULL) {
		html_raw(&r->out, " · <span class=\"lang\">");
		html_str(&r->out, t->lang);
		html_raw(&r->out, "</span>");
	}
	html_raw(&r->out, " · ");
	web_date(r, rec->timestamp);
	html_raw(&r->out, "</p>");
	if (snippet != NULL && *snippet != '\0') {
		html_raw(&r->out, "<p class=\"snippet\" dir=\"auto\">");
		html_str(&r->out, snippet);
		html_raw(&r->out, "</p>");
	}
	html_raw(&r->out, "</li>");
}

unsigned int
web_page_number(const struct web_req *r)
{
	const char *page = web_query_get(r->q, "page");
	unsigned long p;
	char *end;

	if (page == NULL || *page == '\0')
		return 1;
	p = strtoul(page, &end, 10);
	if (*end != '\0' || p < 1)
		return 1;
	return p > WEB_MAX_PAGE ? WEB_MAX_PAGE : (unsigned int)p;
}

void
web_pager(struct web_req *r, unsigned int page, bool more)
{
	char num[16];

	if (page == 1 && !more)
		return;
	html_raw(&r->out, "<nav class=\"pager\">");
	if (page > 1) {
		snprintf(num, sizeof(num), "%u", page - 1);
		html_raw(&r->out, "<a rel=\"prev\" href=\"");
		web_self_href(r, "page", num);
		html_raw(&r->out, "\">");
		html_str(&r->out, _("Previous page"));
		html_raw(&r->out, "</a> ");
	}
	html_rawf(&r->out, "<span>%u</span>", page);
	if (more && page < WEB_MAX_PAGE) {
		snprintf(num, sizeof(num), "%u", page + 1);
		html_raw(&r->out, " <a rel=\"next\" href=\"");
		web_self_href(r, "page", num);
		html_raw(&r->out, "\">");
		html_str(&r->out, _("Next page"));
		html_raw(&r->out, "</a>");
	}
	html_raw(&r->out, "</nav>");
}


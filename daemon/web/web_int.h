/* Shared by the web view's files: the request being answered, the page
 * table and the page frame. */
#ifndef WEB_INT_H
#define WEB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>
#include <uv.h>

#include "core/tessera.h"
#include "web/web_budget.h"
#include "web/web_html.h"
#include "web/web_i18n.h"
#include "web/web_query.h"

struct ops_env;

/* Search results per page, and the deepest page (bounded work per request). */
#define WEB_PAGE_SIZE 20
#define WEB_MAX_PAGE 25
/* Longest search text, bytes (longer: 400). */
#define WEB_MAX_QUERY 256

/* Requests served at once (more wait in the kernel's backlog). */
#define WEB_MAX_CLIENTS 32

struct web {
	const struct ops_env *env;
	const uint8_t *id;             /* this node's key */
	struct httpd *h;
	struct i18n *cat[8];           /* by i18n_langs index; NULL: not offered */
	/* Pages over the budget wait here, suspended, oldest first, until
	 * the timer finds rendering time for them. */
	struct web_budget budget;
	struct MHD_Connection *waiting[WEB_MAX_CLIENTS];
	size_t n_waiting;
	struct MHD_Connection *resuming;   /* the one let through now */
	uv_timer_t timer;
};

struct web_req {
	const struct web *w;
	const struct web_query *q;
	bool exposed;                  /* web_expose: hide the operator's parts */
	size_t ui;                     /* i18n_langs index of the interface language */
	bool ui_chosen;                /* ?ui= given: carried in every link */
	unsigned int status;           /* HTTP status, 200 unless a page says otherwise */
	struct html out;
	/* A page that answers with a file (an attachment) sets file_fd (>= 0,
	 * owned by the request from then on), its size and the name it is
	 * saved as (malloc'd, freed by web.c); out is then not sent. */
	int file_fd;
	uint64_t file_size;
	char *file_name;
};

/* The interface string msgid in the request's language. */
const char *web_tr(const struct web_req *r, const char *msgid);
#define _(msgid) web_tr(r, msgid)

/* One page: a path (exact, or a prefix ending in '/' followed by an
 * argument), whether it shows operator-only state (404 when exposed), and
 * its renderer, which writes the page's <main> content into r->out and may
 * set r->status. Returns 0, or negative for a failure (500). */
struct web_page {
	const char *path;
	bool operator_only;
	int (*render)(struct web_req *r, const char *arg);
	const char *nav;               /* label in the navigation bar, NULL: none */
};
extern const struct web_page web_pages[];
extern const size_t web_npages;

/* Pages (web_page_*.c): arg is what follows a prefix path. */
int web_page_search(struct web_req *r, const char *arg);
int web_page_record(struct web_req *r, const char *arg);
int web_page_communities(struct web_req *r, const char *arg);
int web_page_community(struct web_req *r, const char *arg);
int web_page_health(struct web_req *r, const char *arg);
int web_page_peers(struct web_req *r, const char *arg);
int web_page_lineage(struct web_req *r, const char *arg);
int web_page_attachment(struct web_req *r, const char *arg);

/* Records on pages (web_records.c). */
struct Tessera__Record;
/* The record page's list of attachments (web_page_attachment.c). */
void web_attachments(struct web_req *r, const struct Tessera__Record *rec);
/* The record stored at seq, opened and verified: 0, -ENOENT or another
 * negative value (logged). Free with record_free. */
int web_record_at(const struct web_req *r, uint64_t seq, struct Tessera__Record **out);
/* The kind's name in the interface language. */
const char *web_kind_name(const struct web_req *r, int kind);
/* One list item for a record: its title in lang (NULL: its first text) as a
 * link to its page, kind, community, language, and snippet when not NULL. */
void web_record_item(struct web_req *r, const struct Tessera__Record *rec, const char *lang,
    const char *snippet);
/* The record id (32 hex digits), opened and verified: 0, -ENOENT (absent
 * or not a valid id) or another negative value (logged). */
int web_record_get(const struct web_req *r, const char *hex, struct Tessera__Record **out);
/* Date (UTC) of a millisecond timestamp, "2026-12-05". */
void web_date(struct web_req *r, int64_t ms);

/* ?page= as a number in 1..WEB_MAX_PAGE (1 when absent or malformed). */
unsigned int web_page_number(const struct web_req *r);
/* Previous/next links around page (more: a next page exists). */
void web_pager(struct web_req *r, unsigned int page, bool more);

/* The stylesheet served at /style.css. */
extern const char web_style[];

/* The document around a page's content: <head>, navigation, language switch
 * (links keeping the current query), then the footer. */
void web_frame_open(struct web_req *r, const char *title);
void web_frame_close(struct web_req *r);
/* A whole page that only says message (status: the HTTP status). */
void web_message_page(struct web_req *r, unsigned int status, const char *message);
/* Writes "?ui=xx" (or "&ui=xx" when more is set) when the language was
 * chosen by hand, so links keep it without a cookie. */
void web_ui_param(struct web_req *r, bool more);
/* The href of this page with key=value in place of key's current value
 * (other parameters and ui kept), already escaped for an attribute. */
void web_self_href(struct web_req *r, const char *key, const char *value);
/* Formats with a (translated) format string, then writes the result as
 * text: a translation can never add markup. */
void web_textf(struct web_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A link to an internal page path, keeping ?ui=. label is text. */
void web_link(struct web_req *r, const char *path, const char *label);

#endif

/* The web view's server: request checks, language choice, the page table
 * lookup and the response headers every page carries. */
#include "web/web.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "ops/httpd.h"
#include "ops/ops.h"
#include "web/web_int.h"

#define WEB_CLIENT_TIMEOUT_S 15
/* Request line and headers: a bounded target plus a browser's headers. */
#define WEB_MEMORY_LIMIT (64 * 1024)

/* No script runs, nothing loads from elsewhere, no framing, and forms only
 * submit to this server: record text cannot become active content even if
 * an escaping bug let markup through. */
#define WEB_CSP "default-src 'none'; style-src 'self'; img-src 'self'; " \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; script-src 'none'"

const char *
web_tr(const struct web_req *r, const char *msgid)
{
	return i18n_get(r->w->cat[r->ui], msgid);
}

/* The raw target, before MHD decodes it: our parser bounds and decodes it. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	return strndup(uri, WEB_MAX_URI + 1);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	struct web *w = cls;

	if (c == w->resuming)
		w->resuming = NULL;
	free(*con_cls);
	*con_cls = NULL;
}

static void
add_headers(struct MHD_Response *resp, const char *type)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "Content-Security-Policy", WEB_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

static enum MHD_Result
send_body(struct MHD_Connection *c, unsigned int status, const char *type, char *body,
    size_t len, enum MHD_ResponseMemoryMode mode, const char *cache)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if ((resp = MHD_create_response_from_buffer(len, body, mode)) == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	add_headers(resp, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* An attachment: always a download of opaque bytes, whatever media type its
 * author named (an author must not make this origin serve a page), under
 * the name the record gives it (RFC 6266, UTF-8 percent-encoded). MHD reads
 * the file as the connection drains and closes it. */
static enum MHD_Result
send_file(struct MHD_Connection *c, struct web_req *r)
{
	static const char keep[] = "!#$&+-.^_`|~";
	char disp[40 + 3 * 255 + 1];
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t o;

	if ((resp = MHD_create_response_from_fd64(r->file_size, r->file_fd)) == NULL) {
		close(r->file_fd);
		return MHD_NO;
	}
	o = (size_t)snprintf(disp, sizeof(disp), "attachment; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)r->file_name; *p && o + 4 < sizeof(disp);
	    p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr(keep, *p) != NULL)
			disp[o++] = (char)*p;
		else
			o += (size_t)snprintf(disp + o, sizeof(disp) - o, "%%%02X", *p);
	}
	disp[o] = '\0';
	add_headers(resp, "application/octet-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* An error page in place of whatever was rendered (400, 404, 405, 414, 500). */
static void
render_error(struct web_req *r, unsigned int status, const char *what)
{
	html_free(&r->out);
	r->out.failed = false;
	web_message_page(r, status, what);
}

/* ?ui= when it names an offered language, else Accept-Language, else English. */
static void
pick_ui(struct web_req *r, struct MHD_Connection *c)
{
	const char *ui = web_query_get(r->q, "ui"), *tags[8];
	size_t n = 0, idx[8];
	int k;

	for (size_t i = 0; i < i18n_nlangs && n < 8; i++)
		if (i == 0 || r->w->cat[i] != NULL) {
			tags[n] = i18n_langs[i].tag;
			idx[n++] = i;
		}
	for (size_t i = 0; ui != NULL && i < n; i++)
		if (strcmp(ui, tags[i]) == 0) {
			r->ui = idx[i];
			r->ui_chosen = true;
			return;
		}
	k = web_lang_pick(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_LANGUAGE), tags, n);
	r->ui = k >= 0 ? idx[k] : 0;
}

static void on_budget(uv_timer_t *t);

/* Arms the timer for when the budget lets the oldest waiting page through. */
static void
schedule(struct web *w)
{
	uint64_t us = web_budget_wait(&w->budget);

	if (w->n_waiting > 0)
		uv_timer_start(&w->timer, on_budget, us / 1000 + 1, 0);
}

/* Lets the oldest waiting page through when the budget allows, one at a
 * time: the next goes only once the handler has seen this one (or its
 * connection ended), whenever MHD gets to it. */
static void
on_budget(uv_timer_t *t)
{
	struct web *w = t->data;

	if (w->resuming == NULL && w->n_waiting > 0 &&
	    web_budget_ready(&w->budget, uv_hrtime() / 1000)) {
		w->resuming = w->waiting[0];
		memmove(w->waiting, w->waiting + 1, --w->n_waiting * sizeof(w->waiting[0]));
		MHD_resume_connection(w->resuming);
		httpd_kick(w->h);
	}
	schedule(w);
}

/* Every waiting request goes on (before the server stops or rebinds). */
static void
resume_all(struct web *w)
{
	for (size_t i = 0; i < w->n_waiting; i++)
		MHD_resume_connection(w->waiting[i]);
	w->n_waiting = 0;
	w->resuming = NULL;
	uv_timer_stop(&w->timer);
}

/* True when c must wait for rendering time (then it is suspended). */
static bool
must_wait(struct web *w, struct MHD_Connection *c)
{
	if (c == w->resuming) {
		w->resuming = NULL;
		return false;
	}
	if ((w->n_waiting > 0 ||
	    !web_budget_ready(&w->budget, uv_hrtime() / 1000))) {
		if (w->n_waiting == WEB_MAX_CLIENTS)
			return false;       /* cannot happen: MHD holds at most as many */
		MHD_suspend_connection(c);
		w->waiting[w->n_waiting++] = c;
		schedule(w);
		return true;
	}
	return false;
}

static const struct web_page *
find_page(const char *path, const char **arg)
{
	for (size_t i = 0; i < web_npages; i++) {
		const char *p = web_pages[i].path;
		size_t len = strlen(p);

		if (p[len - 1] == '/' && len > 1 && strncmp(path, p, len) == 0 &&
		    strchr(path + len, '/') == NULL && path[len] != '\0') {
			*arg = path + len;
			return &web_pages[i];
		}
		if (strcmp(path, p) == 0) {
			*arg = "";
			return &web_pages[i];
		}
	}
	return NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	struct web *w = cls;
	struct web_query *q;
	struct web_req r = { .w = w, .status = MHD_HTTP_OK, .file_fd = -1 };
	const struct web_page *page;
	const char *target = *con_cls, *why, *arg;
	uint64_t t0 = uv_hrtime();
	char *body;
	size_t len;
	int rc;

	if (target == NULL)
		return MHD_NO;
	if (must_wait(w, c))
		return MHD_YES;
	/* Parsed params point into q: one per request, on the heap (2 KiB+). */
	if ((q = malloc(sizeof(*q))) == NULL)
		return MHD_NO;
	rc = web_query_parse(target, strlen(target), q, &why);
	if (rc != 0) {
		/* The error page's links (language switch) start from "/". */
		memset(q, 0, sizeof(*q));
		q->path = "/";
	}
	r.q = q;
	r.exposed = w->env->conf->web_expose;
	pick_ui(&r, c);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		render_error(&r, MHD_HTTP_METHOD_NOT_ALLOWED,
		    web_tr(&r, "Only reading is possible here."));
	else if (rc == -E2BIG)
		render_error(&r, MHD_HTTP_URI_TOO_LONG,
		    web_tr(&r, "This address is too long."));
	else if (rc != 0)
		render_error(&r, MHD_HTTP_BAD_REQUEST,
		    web_tr(&r, "This address is not valid."));
	else if (strcmp(q->path, "/style.css") == 0) {
		free(q);
		return send_body(c, MHD_HTTP_OK, "text/css; charset=utf-8", (char *)web_style,
		    strlen(web_style), MHD_RESPMEM_PERSISTENT, "max-age=3600");
	} else if ((page = find_page(q->path, &arg)) == NULL ||
	    (page->operator_only && r.exposed))
		render_error(&r, MHD_HTTP_NOT_FOUND,
		    web_tr(&r, "There is no such page."));
	else if (page->render(&r, arg) != 0 || html_failed(&r.out)) {
		log_warnx("web: %s: cannot render the page", page->path);
		render_error(&r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    web_tr(&r, "This page cannot be shown right now."));
	}
	free(q);
	web_budget_spend(&w->budget, (uv_hrtime() - t0) / 1000);
	schedule(w);
	if (r.file_fd >= 0) {
		enum MHD_Result ret = send_file(c, &r);

		html_free(&r.out);
		free(r.file_name);
		return ret;
	}
	if ((body = html_take(&r.out, &len)) == NULL)
		return httpd_plain(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return send_body(c, r.status, "text/html; charset=utf-8", body, len,
	    MHD_RESPMEM_MUST_FREE, "no-store");
}

static void
web_conf(struct web *w, struct httpd_conf *hc)
{
	*hc = (struct httpd_conf){ .label = "web_listen", .handler = on_request, .cls = w,
	    .max_clients = WEB_MAX_CLIENTS, .timeout_s = WEB_CLIENT_TIMEOUT_S,
	    .memory_limit = WEB_MEMORY_LIMIT, .uri_log = on_uri, .completed = on_completed,
	    .suspend = true };
}

/* The catalogues of every interface language but English. */
static void
load_catalogues(struct web *w)
{
	const char *dir = w->env->conf->web_catalogues;

	for (size_t i = 1; i < i18n_nlangs; i++) {
		struct i18n *c = NULL;
		char *cause = NULL;

		if (i18n_load(dir, i18n_langs[i].tag, &c, &cause) != 0) {
			log_warnx("web: %s: the pages are not offered in %s", cause,
			    i18n_langs[i].name);
			free(cause);
		}
		i18n_free(w->cat[i]);
		w->cat[i] = c;
	}
}

static void
free_catalogues(struct web *w)
{
	for (size_t i = 0; i < i18n_nlangs; i++)
		i18n_free(w->cat[i]);
}

int
web_start(const struct ops_env *env, const uint8_t id[TESS_KEY_LEN],
    const struct endpoint *ep, struct web **out, char **cause)
{
	struct httpd_conf hc;
	struct web *w;
	int rc;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	w->env = env;
	w->id = id;
	web_budget_init(&w->budget, uv_hrtime() / 1000);
	web_conf(w, &hc);
	if ((rc = httpd_start(env->loop, &hc, ep, &w->h, cause)) != 0) {
		free(w);
		return rc;
	}
	uv_timer_init(env->loop, &w->timer);
	w->timer.data = w;
	load_catalogues(w);
	log_info("web view on http://%s/%s", httpd_where(w->h),
	    env->conf->web_expose ? " (exposed: operator parts hidden)" : "");
	*out = w;
	return 0;
}

static void
timer_closed(uv_handle_t *h)
{
	struct web *w = h->data;

	free_catalogues(w);
	free(w);
}

void
web_stop(struct web *w)
{
	if (w == NULL)
		return;
	/* MHD closes resumed connections; suspended ones it would keep. */
	resume_all(w);
	httpd_stop(w->h);
	w->h = NULL;
	uv_close((uv_handle_t *)&w->timer, timer_closed);
}

void
web_reload(struct web **wp, const struct ops_env *env, const uint8_t id[TESS_KEY_LEN],
    const struct endpoint *ep)
{
	struct httpd_conf hc;
	char *cause = NULL;

	if (*wp == NULL) {
		if (ep->host != NULL && web_start(env, id, ep, wp, &cause) != 0) {
			log_warnx("reload: %s; the web view stays off", cause);
			free(cause);
		}
		return;
	}
	web_conf(*wp, &hc);
	/* A rebind stops the server that holds the waiting requests. */
	resume_all(*wp);
	if (httpd_reload(&(*wp)->h, env->loop, &hc, ep) && (*wp)->h == NULL) {
		web_stop(*wp);
		*wp = NULL;
		return;
	}
	load_catalogues(*wp);
}

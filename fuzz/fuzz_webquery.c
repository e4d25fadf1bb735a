/* The web view's parsers (web/web_query.c, web/web_i18n.c) and its escaping
 * (web/web_html.c): a request target and an Accept-Language value come
 * from any browser or script that reaches web_listen.
 *
 * Oracles besides the sanitizers: a parsed target has a path starting with
 * '/', at most WEB_MAX_PARAMS parameters, each value UTF-8 without controls
 * inside the query's own buffer; a refusal says why; the language picked is
 * one offered; html_text output, once our own <code class="esc"> tags are
 * taken out, holds none of < > " '. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/util.h"
#include "web/web_html.h"
#include "web/web_i18n.h"
#include "web/web_query.h"

static struct web_query q;

static void
check_query(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	int rc = web_query_parse((const char *)data, size, &q, &why);

	if (why == NULL)
		abort();
	if (rc != 0)
		return;
	if (q.path == NULL || q.path[0] != '/' || q.n > WEB_MAX_PARAMS)
		abort();
	for (size_t i = 0; i < q.n; i++) {
		const char *v = q.p[i].value;

		if (v < q.buf || v >= q.buf + sizeof(q.buf) || !utf8_valid(v, strlen(v)) ||
		    strlen(q.p[i].key) == 0 || strlen(q.p[i].key) > WEB_MAX_KEY)
			abort();
		for (const char *c = v; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				abort();
		if (web_query_get(&q, q.p[i].key) == NULL)
			abort();
	}
}

static void
check_escape(const uint8_t *data, size_t size)
{
	static const char open[] = "<code class=\"esc\">", close[] = "</code>";
	struct html h = { 0 };
	char *out, *p;
	size_t len;

	html_text(&h, (const char *)data, size, false);
	if ((out = html_take(&h, &len)) == NULL)
		return;
	for (p = out; *p; p++) {
		if (strncmp(p, open, sizeof(open) - 1) == 0)
			p += sizeof(open) - 2;
		else if (strncmp(p, close, sizeof(close) - 1) == 0)
			p += sizeof(close) - 2;
		else if (strchr("<>\"'", *p) != NULL)
			abort();
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *have[] = { "en", "pt", "hu", "ro" };
	struct i18n *c = NULL;
	const char *why = NULL;
	char *text;
	int k;

	check_query(data, size);
	check_escape(data, size);
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	k = web_lang_pick(text, have, 4);
	if (k < -1 || k >= 4)
		abort();
	free(text);
	/* The same bytes as a catalogue: refused with a reason or looked up. */
	if (i18n_parse(data, size, &c, &why) == 0) {
		i18n_get(c, "Search");
		i18n_get(c, "");
		i18n_free(c);
	} else if (why == NULL) {
		abort();
	}
	return 0;
}

/* A minimal JSON reader for the search tests, and record templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "searchjson.h"

void
searchjson_free(struct jval *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (v->keys != NULL)
			free(v->keys[i]);
		searchjson_free(&v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

static void
json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static void
utf8_put(char **o, uint32_t cp)
{
	unsigned char *u = (unsigned char *)*o;

	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xc0 | cp >> 6);
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xe0 | cp >> 12);
		*u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*u++ = (unsigned char)(0xf0 | cp >> 18);
		*u++ = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)u;
}

static int
json_hex4(const char *p, uint32_t *cp)
{
	*cp = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		*cp = *cp << 4 | (uint32_t)d;
	}
	return 0;
}

static int
json_string(const char **p, char **out)
{
	const char *s = *p + 1;
	char *buf, *o;

	buf = o = malloc(strlen(s) + 1);
	assert_non_null(buf);
	while (*s != '"') {
		if (*s == '\0')
			goto bad;
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case '"': case '\\': case '/':
			*o++ = *s;
			break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			uint32_t cp, lo;

			if (json_hex4(s + 1, &cp) != 0)
				goto bad;
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s[1] == '\\' && s[2] == 'u' &&
			    json_hex4(s + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			utf8_put(&o, cp);
			break;
		}
		default:
			goto bad;
		}
		s++;
	}
	*o = '\0';
	*out = buf;
	*p = s + 1;
	return 0;
bad:
	free(buf);
	return -1;
}

int
searchjson_value(const char **p, struct jval *v)
{
	memset(v, 0, sizeof(*v));
	json_ws(p);
	if (**p == '"') {
		v->type = J_STR;
		return json_string(p, &v->str);
	}
	if (**p == '[' || **p == '{') {
		bool obj = **p == '{';
		char close = obj ? '}' : ']';

		v->type = obj ? J_OBJ : J_ARR;
		(*p)++;
		json_ws(p);
		if (**p == close) {
			(*p)++;
			return 0;
		}
		for (;;) {
			char *key = NULL;

			v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
			assert_non_null(v->items);
			if (obj) {
				v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
				assert_non_null(v->keys);
				json_ws(p);
				if (**p != '"' || json_string(p, &key) != 0)
					return -1;
				json_ws(p);
				if (**p != ':') {
					free(key);
					return -1;
				}
				(*p)++;
				v->keys[v->n] = key;
			}
			if (searchjson_value(p, &v->items[v->n]) != 0) {
				if (obj)
					v->keys[v->n] = NULL;
				free(key);
				return -1;
			}
			v->n++;
			json_ws(p);
			if (**p == ',') {
				(*p)++;
				continue;
			}
			if (**p != close)
				return -1;
			(*p)++;
			return 0;
		}
	}
	if (strncmp(*p, "true", 4) == 0 || strncmp(*p, "null", 4) == 0) {
		v->type = **p == 't' ? J_BOOL : J_NULL;
		*p += 4;
		return 0;
	}
	if (strncmp(*p, "false", 5) == 0) {
		v->type = J_BOOL;
		*p += 5;
		return 0;
	}
	if (strchr("-0123456789", **p) != NULL && **p != '\0') {
		v->type = J_NUM;
		while (**p != '\0' && strchr("+-0123456789.eE", **p) != NULL)
			(*p)++;
		return 0;
	}
	return -1;
}

static const struct jval *
json_get(const struct jval *obj, const char *key)
{
	if (obj == NULL || obj->type != J_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

static char *
json_str(const struct jval *obj, const char *key)
{
	const struct jval *v = json_get(obj, key);

	return v != NULL && v->type == J_STR ? v->str : NULL;
}

static size_t
json_len(const struct jval *v)
{
	return v != NULL && v->type == J_ARR ? v->n : 0;
}

void
searchjson_tmpl_build(struct searchjson_tmpl *t, const struct jval *line)
{
	const struct jval *texts = json_get(line, "texts"), *tags = json_get(line, "tags");
	const struct jval *links = json_get(line, "links"), *langs = json_get(line, "languages");
	const char *kind = json_str(line, "kind");
	size_t n;

	memset(t, 0, sizeof(*t));
	tessera__record__init(&t->r);
	assert_non_null(kind);
	t->r.has_kind = 1;
	t->r.kind = (Tessera__Kind)record_kind_parse(kind);
	assert_true(record_kind_known((int)t->r.kind));
	n = json_len(texts);
	t->text = calloc(n + 1, sizeof(*t->text));
	t->texts = calloc(n + 1, sizeof(*t->texts));
	assert_non_null(t->text);
	assert_non_null(t->texts);
	for (size_t i = 0; i < n; i++) {
		tessera__text__init(&t->text[i]);
		t->text[i].lang = json_str(&texts->items[i], "lang");
		t->text[i].title = json_str(&texts->items[i], "title");
		t->text[i].summary = json_str(&texts->items[i], "summary");
		t->text[i].body = json_str(&texts->items[i], "body");
		t->texts[i] = &t->text[i];
	}
	t->r.n_texts = n;
	t->r.texts = t->texts;
	n = json_len(tags);
	t->tags = calloc(n + 1, sizeof(*t->tags));
	assert_non_null(t->tags);
	for (size_t i = 0; i < n; i++)
		t->tags[i] = tags->items[i].str;
	t->r.n_tags = n;
	t->r.tags = t->tags;
	n = json_len(links);
	t->link = calloc(n + 1, sizeof(*t->link));
	t->links = calloc(n + 1, sizeof(*t->links));
	assert_non_null(t->link);
	assert_non_null(t->links);
	for (size_t i = 0; i < n; i++) {
		tessera__link__init(&t->link[i]);
		t->link[i].url = json_str(&links->items[i], "url");
		t->link[i].title = json_str(&links->items[i], "title");
		t->links[i] = &t->link[i];
	}
	t->r.n_links = n;
	t->r.links = t->links;
	if (t->r.kind == TESSERA__KIND__KIND_PROFILE) {
		n = json_len(langs);
		t->langs = calloc(n + 1, sizeof(*t->langs));
		assert_non_null(t->langs);
		for (size_t i = 0; i < n; i++)
			t->langs[i] = langs->items[i].str;
		tessera__profile__init(&t->profile);
		t->profile.name = json_str(line, "name");
		t->profile.country = json_str(line, "country");
		t->profile.languages = t->langs;
		t->profile.n_languages = n;
		t->r.profile = &t->profile;
	}
}

void
searchjson_tmpl_free(struct searchjson_tmpl *t)
{
	free(t->text);
	free(t->texts);
	free(t->link);
	free(t->links);
	free(t->tags);
	free(t->langs);
}

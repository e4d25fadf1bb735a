/* JSON Lines -> import items (jansson), strict about keys and types. */
#include "jsonl.h"

#include <errno.h>
#include <stddef.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "core/record.h"
#include "core/util.h"

static const char *const line_keys[] = {
	"kind", "id", "community", "community_name", "version", "updated", "deleted",
	"name", "country", "languages", "texts", "tags", "links", "signed", "seq", "adoption",
	"attachments",
	NULL
};

static int
key_known(const char *key, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (strcmp(key, *keys) == 0)
			return 1;
	return 0;
}

static int
nomem(char **cause)
{
	return set_cause(cause, -ENOMEM, "out of memory");
}

/* Copies a JSON string; NUL and invalid UTF-8 are refused because the daemon
 * stores C strings and every node re-checks UTF-8. */
static int
get_str(json_t *v, const char *what, char **dst, char **cause)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return set_cause(cause, -EINVAL, "\"%s\" must be a string", what);
	s = json_string_value(v);
	n = json_string_length(v);
	if (strlen(s) != n)
		return set_cause(cause, -EINVAL, "\"%s\" contains a NUL character", what);
	if (!utf8_valid(s, n))
		return set_cause(cause, -EINVAL, "\"%s\" is not valid UTF-8", what);
	*dst = strdup(s);
	return *dst == NULL ? nomem(cause) : 0;
}

static int
get_str_array(json_t *v, const char *what, char ***arr, size_t *n, char **cause)
{
	char name[64];
	size_t count;
	int rc;

	if (!json_is_array(v))
		return set_cause(cause, -EINVAL, "\"%s\" must be an array of strings", what);
	count = json_array_size(v);
	if (count == 0)
		return 0;
	*arr = calloc(count, sizeof(**arr));
	if (*arr == NULL)
		return nomem(cause);
	for (size_t i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%s[%zu]", what, i);
		rc = get_str(json_array_get(v, i), name, &(*arr)[i], cause);
		if (rc != 0)
			return rc;
		(*n)++;
	}
	return 0;
}

/* The string fields an object may carry, by key. */
struct str_field {
	const char *key;
	size_t offset;               /* of the char * in the message */
};

static const struct str_field text_fields[] = {
	{ "lang", offsetof(Tessera__Text, lang) },
	{ "title", offsetof(Tessera__Text, title) },
	{ "summary", offsetof(Tessera__Text, summary) },
	{ "body", offsetof(Tessera__Text, body) },
	{ NULL, 0 },
};

static const struct str_field link_fields[] = {
	{ "url", offsetof(Tessera__Link, url) },
	{ "title", offsetof(Tessera__Link, title) },
	{ NULL, 0 },
};

/* Copies o's keys into msg's string fields; any other key is an error. */
static int
get_fields(json_t *o, const char *what, size_t i, void *msg, const struct str_field *fields,
    char **cause)
{
	char name[64];
	const char *key;
	json_t *val;
	int rc;

	json_object_foreach(o, key, val) {
		const struct str_field *f = fields;

		while (f->key != NULL && strcmp(f->key, key) != 0)
			f++;
		if (f->key == NULL)
			return set_cause(cause, -EINVAL, "%s[%zu]: unknown key \"%s\"", what, i, key);
		snprintf(name, sizeof(name), "%s[%zu].%s", what, i, key);
		if ((rc = get_str(val, name, (char **)((char *)msg + f->offset), cause)) != 0)
			return rc;
	}
	return 0;
}

static int
get_texts(json_t *v, Tessera__Record *r, char **cause)
{
	json_t *o;
	size_t count;
	int rc;

	if (!json_is_array(v))
		return set_cause(cause, -EINVAL, "\"texts\" must be an array of objects");
	count = json_array_size(v);
	if (count == 0)
		return 0;
	r->texts = calloc(count, sizeof(*r->texts));
	if (r->texts == NULL)
		return nomem(cause);
	for (size_t i = 0; i < count; i++) {
		Tessera__Text *t;

		o = json_array_get(v, i);
		if (!json_is_object(o))
			return set_cause(cause, -EINVAL, "\"texts[%zu]\" must be an object", i);
		t = malloc(sizeof(*t));
		if (t == NULL)
			return nomem(cause);
		tessera__text__init(t);
		r->texts[r->n_texts++] = t;
		if ((rc = get_fields(o, "texts", i, t, text_fields, cause)) != 0)
			return rc;
	}
	return 0;
}

static int
get_links(json_t *v, Tessera__Record *r, char **cause)
{
	char name[64];
	json_t *o;
	size_t count;
	int rc;

	if (!json_is_array(v))
		return set_cause(cause, -EINVAL, "\"links\" must be an array");
	count = json_array_size(v);
	if (count == 0)
		return 0;
	r->links = calloc(count, sizeof(*r->links));
	if (r->links == NULL)
		return nomem(cause);
	for (size_t i = 0; i < count; i++) {
		Tessera__Link *l;

		o = json_array_get(v, i);
		l = malloc(sizeof(*l));
		if (l == NULL)
			return nomem(cause);
		tessera__link__init(l);
		r->links[r->n_links++] = l;
		snprintf(name, sizeof(name), "links[%zu]", i);
		/* A bare string is a link without a title. */
		if (json_is_string(o)) {
			if ((rc = get_str(o, name, &l->url, cause)) != 0)
				return rc;
			continue;
		}
		if (!json_is_object(o))
			return set_cause(cause, -EINVAL,
			    "\"links[%zu]\" must be an object or a URL string", i);
		if ((rc = get_fields(o, "links", i, l, link_fields, cause)) != 0)
			return rc;
	}
	return 0;
}

static int
get_b64(json_t *v, const char *what, ProtobufCBinaryData *dst, char **cause)
{
	int rc;

	if (!json_is_string(v))
		return set_cause(cause, -EINVAL, "\"%s\" must be a base64 string", what);
	rc = b64_decode(json_string_value(v), &dst->data, &dst->len);
	if (rc == -ENOMEM)
		return nomem(cause);
	if (rc != 0)
		return set_cause(cause, -EINVAL, "\"%s\" is not valid base64", what);
	return 0;
}

static int
get_signed(json_t *v, Tessera__ImportItem *item, char **cause)
{
	Tessera__SignedRecord *s;
	const char *key;
	json_t *val;
	int rc;

	if (!json_is_object(v))
		return set_cause(cause, -EINVAL, "\"signed\" must be an object {body, sig}");
	json_object_foreach(v, key, val) {
		if (strcmp(key, "body") != 0 && strcmp(key, "sig") != 0)
			return set_cause(cause, -EINVAL, "signed: unknown key \"%s\"", key);
	}
	if (json_object_get(v, "body") == NULL || json_object_get(v, "sig") == NULL)
		return set_cause(cause, -EINVAL, "\"signed\" needs both body and sig");
	s = malloc(sizeof(*s));
	if (s == NULL)
		return nomem(cause);
	tessera__signed_record__init(s);
	item->signed_ = s;
	if ((rc = get_b64(json_object_get(v, "body"), "signed.body", &s->body, cause)) != 0)
		return rc;
	s->has_body = 1;
	if ((rc = get_b64(json_object_get(v, "sig"), "signed.sig", &s->sig, cause)) != 0)
		return rc;
	s->has_sig = 1;
	return 0;
}

static int
get_profile(json_t *o, Tessera__Record *r, char **cause)
{
	json_t *name = json_object_get(o, "name"), *country = json_object_get(o, "country");
	json_t *langs = json_object_get(o, "languages");
	Tessera__Profile *p;
	int rc;

	if (name == NULL && country == NULL && langs == NULL)
		return 0;
	if (r->kind != TESSERA__KIND__KIND_PROFILE)
		return set_cause(cause, -EINVAL,
		    "name, country and languages belong to kind profile only");
	p = malloc(sizeof(*p));
	if (p == NULL)
		return nomem(cause);
	tessera__profile__init(p);
	r->profile = p;
	if (name != NULL && (rc = get_str(name, "name", &p->name, cause)) != 0)
		return rc;
	if (country != NULL && (rc = get_str(country, "country", &p->country, cause)) != 0)
		return rc;
	if (langs != NULL &&
	    (rc = get_str_array(langs, "languages", &p->languages, &p->n_languages, cause)) != 0)
		return rc;
	return 0;
}

/* The keys export writes for information only: checked, not sent. */
static int
check_info(json_t *o, char **cause)
{
	static const char *const strs[] = { "community", "updated", NULL };
	static const char *const nums[] = { "version", "seq", NULL };
	json_t *v;

	for (size_t i = 0; strs[i] != NULL; i++) {
		v = json_object_get(o, strs[i]);
		if (v != NULL && !json_is_string(v))
			return set_cause(cause, -EINVAL, "\"%s\" must be a string", strs[i]);
	}
	for (size_t i = 0; nums[i] != NULL; i++) {
		v = json_object_get(o, nums[i]);
		if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
			return set_cause(cause, -EINVAL, "\"%s\" must be a non-negative integer",
			    nums[i]);
	}
	v = json_object_get(o, "community_name");
	if (v != NULL && !json_is_string(v) && !json_is_null(v))
		return set_cause(cause, -EINVAL, "\"community_name\" must be a string");
	v = json_object_get(o, "adoption");
	if (v != NULL && !json_is_object(v))
		return set_cause(cause, -EINVAL, "\"adoption\" must be an object");
	return 0;
}

static int
parse_object(json_t *o, Tessera__ImportItem *item, char **cause)
{
	Tessera__Record *r = item->content;
	const char *key, *kname;
	json_t *v;
	int kind, rc;

	json_object_foreach(o, key, v) {
		if (!key_known(key, line_keys))
			return set_cause(cause, -EINVAL, "unknown key \"%s\"", key);
	}
	v = json_object_get(o, "kind");
	if (v == NULL)
		return set_cause(cause, -EINVAL, "missing \"kind\"");
	if (!json_is_string(v))
		return set_cause(cause, -EINVAL, "\"kind\" must be a string");
	kname = json_string_value(v);
	kind = record_kind_parse(kname);
	/* A signed record is stored as it is, whatever its kind (a newer
	 * node's export): only content to sign needs a kind known here. */
	if ((kind < 0 || !record_kind_known(kind)) && json_object_get(o, "signed") == NULL)
		return set_cause(cause, -EINVAL,
		    "unknown kind \"%s\" (profile, initiative, resource or adoption)", kname);
	if (kind == TESSERA__KIND__KIND_ADOPTION && json_object_get(o, "signed") == NULL)
		return set_cause(cause, -EINVAL, "an adoption is imported signed (as tessera "
		    "export writes it); publish a new one with tessera adopt");
	if (kind > 0) {
		r->has_kind = 1;
		r->kind = (Tessera__Kind)kind;
	}

	if ((v = json_object_get(o, "id")) != NULL) {
		uint8_t *id = malloc(TESS_ID_LEN);

		if (id == NULL)
			return nomem(cause);
		item->id.data = id;
		item->id.len = TESS_ID_LEN;
		item->has_id = 1;
		if (!json_is_string(v) || hex_decode(json_string_value(v), id, TESS_ID_LEN) != 0)
			return set_cause(cause, -EINVAL, "\"id\" must be %d hex digits",
			    2 * TESS_ID_LEN);
	}
	if ((v = json_object_get(o, "deleted")) != NULL) {
		if (!json_is_boolean(v))
			return set_cause(cause, -EINVAL, "\"deleted\" must be true or false");
		r->has_deleted = 1;
		r->deleted = json_is_true(v);
	}
	if ((rc = check_info(o, cause)) != 0 || (rc = get_profile(o, r, cause)) != 0)
		return rc;
	if ((v = json_object_get(o, "texts")) != NULL && (rc = get_texts(v, r, cause)) != 0)
		return rc;
	if ((v = json_object_get(o, "tags")) != NULL &&
	    (rc = get_str_array(v, "tags", &r->tags, &r->n_tags, cause)) != 0)
		return rc;
	if ((v = json_object_get(o, "links")) != NULL && (rc = get_links(v, r, cause)) != 0)
		return rc;
	if ((v = json_object_get(o, "signed")) != NULL && (rc = get_signed(v, item, cause)) != 0)
		return rc;
	/* An exported line lists its attachments for the reader; the signed
	 * bytes carry them. A new record gets files only through add --attach. */
	if (json_object_get(o, "attachments") != NULL && json_object_get(o, "signed") == NULL)
		return set_cause(cause, -EINVAL, "\"attachments\" only with \"signed\" (files are "
		    "attached with tessera add --attach)");
	return 0;
}

int
jsonl_parse(const char *line, size_t len, uint32_t lineno, Tessera__ImportItem **out,
    char **cause)
{
	Tessera__ImportItem *item;
	Tessera__Record *r;
	json_error_t err;
	json_t *o;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n')
			break;
	if (i == len)
		return 0;
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL && err.column > 0)
		return set_cause(cause, -EINVAL, "invalid JSON at column %d: %s", err.column,
		    err.text);
	if (o == NULL)
		return set_cause(cause, -EINVAL, "invalid JSON: %s", err.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return set_cause(cause, -EINVAL, "a line must be one JSON object");
	}
	item = malloc(sizeof(*item));
	r = malloc(sizeof(*r));
	if (item == NULL || r == NULL) {
		free(item);
		free(r);
		json_decref(o);
		return nomem(cause);
	}
	tessera__import_item__init(item);
	tessera__record__init(r);
	item->has_line = 1;
	item->line = lineno;
	item->content = r;
	rc = parse_object(o, item, cause);
	json_decref(o);
	if (rc != 0) {
		jsonl_item_free(item);
		return rc;
	}
	*out = item;
	return 0;
}

void
jsonl_item_free(Tessera__ImportItem *item)
{
	/* Every part was malloc'd the way protobuf-c's unpacker would have, so
	 * its free walks the whole tree. */
	if (item != NULL)
		tessera__import_item__free_unpacked(item, NULL);
}

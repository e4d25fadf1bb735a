/* Record views as JSON: the --json output and the export lines. */
#include "recjson.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "b64.h"
#include "core/nodeid.h"
#include "core/record.h"
#include "core/util.h"

void
recjson_time(int64_t ms, char buf[32])
{
	/* Seconds rounded down, without overflow: any signed record may carry
	 * INT64_MIN, and ms - 999 would overflow there. */
	time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%lld", (long long)ms);
}

/* A string value, null for an absent one. */
static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
json_texts(const Tessera__Record *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < r->n_texts; i++) {
		const Tessera__Text *t = r->texts[i];
		json_t *o = json_object();

		if (t->lang != NULL)
			json_object_set_new(o, "lang", json_string(t->lang));
		if (t->title != NULL)
			json_object_set_new(o, "title", json_string(t->title));
		if (t->summary != NULL)
			json_object_set_new(o, "summary", json_string(t->summary));
		if (t->body != NULL)
			json_object_set_new(o, "body", json_string(t->body));
		json_array_append_new(a, o);
	}
	return a;
}

/* Each attachment: name, media type, size, root in hex and, from show, its
 * state here. */
static json_t *
json_attachments(const Tessera__Record *r, const Tessera__RecordView *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < r->n_attachments; i++) {
		const Tessera__Attachment *at = r->attachments[i];
		char hex[2 * 32 + 1] = "";
		json_t *o = json_object();

		if (at->root.len == 32)
			hex_encode(at->root.data, 32, hex);
		json_object_set_new(o, "name", jstr(at->name));
		json_object_set_new(o, "media_type", jstr(at->media_type));
		json_object_set_new(o, "size", json_integer((json_int_t)at->size));
		json_object_set_new(o, "root", json_string(hex));
		for (size_t k = 0; k < v->n_attachments; k++)
			if (v->attachments[k]->name != NULL && at->name != NULL &&
			    strcmp(v->attachments[k]->name, at->name) == 0) {
				json_object_set_new(o, "state", jstr(v->attachments[k]->state));
				json_object_set_new(o, "have", json_integer((json_int_t)
				    v->attachments[k]->have));
			}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
json_links(const Tessera__Record *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < r->n_links; i++) {
		const Tessera__Link *l = r->links[i];
		json_t *o = json_object();

		json_object_set_new(o, "url", jstr(l->url));
		if (l->title != NULL)
			json_object_set_new(o, "title", json_string(l->title));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
json_strings(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void
json_profile(json_t *o, const Tessera__Record *r)
{
	const Tessera__Profile *p = r->profile;

	if (r->kind != TESSERA__KIND__KIND_PROFILE || p == NULL)
		return;
	if (p->name != NULL)
		json_object_set_new(o, "name", json_string(p->name));
	if (p->country != NULL)
		json_object_set_new(o, "country", json_string(p->country));
	json_object_set_new(o, "languages", json_strings(p->languages, p->n_languages));
}

static json_t *
json_nodeid(const ProtobufCBinaryData *key)
{
	char id[NODEID_STRLEN + 1];

	if (key->len != TESS_KEY_LEN)
		return json_null();
	nodeid_encode(key->data, id);
	return json_string(id);
}

/* An adoption's source, via, status, dates and outcome. */
static void
json_adoption(json_t *o, const Tessera__Record *r)
{
	const Tessera__Adoption *a = r->adoption;
	json_t *j;
	char hex[2 * TESS_ID_LEN + 1];

	if (a == NULL || (j = json_object()) == NULL)
		return;
	if (a->source_id.len == TESS_ID_LEN) {
		hex_encode(a->source_id.data, TESS_ID_LEN, hex);
		json_object_set_new(j, "source", json_string(hex));
	}
	json_object_set_new(j, "source_community", json_nodeid(&a->source_author));
	json_object_set_new(j, "via", json_nodeid(&a->via));
	json_object_set_new(j, "status", a->has_status ?
	    json_string(record_status_name((int)a->status)) : json_null());
	json_object_set_new(j, "started", jstr(a->started));
	json_object_set_new(j, "ended", jstr(a->ended));
	json_object_set_new(j, "outcome", jstr(a->outcome));
	json_object_set_new(o, "adoption", j);
}

static json_t *
json_signed(const Tessera__SignedRecord *s)
{
	char *body = b64_encode(s->body.data, s->body.len);
	char *sig = b64_encode(s->sig.data, s->sig.len);
	json_t *o = json_object();

	json_object_set_new(o, "body", jstr(body));
	json_object_set_new(o, "sig", jstr(sig));
	free(body);
	free(sig);
	return o;
}

json_t *
recjson_from_view(const Tessera__RecordView *v, int flags)
{
	const Tessera__Record *r = v->record;
	Tessera__Record *decoded = NULL;
	char hex[2 * TESS_ID_LEN + 1], id[NODEID_STRLEN + 1], when[32];
	json_t *o;

	/* A view that carries only the signed bytes is decoded here. */
	if (r == NULL && v->signed_ != NULL && v->signed_->has_body) {
		decoded = tessera__record__unpack(NULL, v->signed_->body.len,
		    v->signed_->body.data);
		r = decoded;
	}
	if (r == NULL || (o = json_object()) == NULL) {
		if (decoded != NULL)
			tessera__record__free_unpacked(decoded, NULL);
		return NULL;
	}
	if (r->id.len == TESS_ID_LEN)
		hex_encode(r->id.data, r->id.len, hex);
	else
		hex[0] = '\0';
	if (r->author.len == TESS_KEY_LEN)
		nodeid_encode(r->author.data, id);
	else
		id[0] = '\0';
	recjson_time(r->timestamp, when);

	if (flags & RECJSON_EXPORT) {
		json_object_set_new(o, "kind", json_string(record_kind_name(r->kind)));
		json_object_set_new(o, "id", json_string(hex));
	} else {
		json_object_set_new(o, "id", json_string(hex));
		json_object_set_new(o, "kind", json_string(record_kind_name(r->kind)));
	}
	json_object_set_new(o, "community", json_string(id));
	if (v->author_name != NULL || !(flags & RECJSON_EXPORT))
		json_object_set_new(o, "community_name", jstr(v->author_name));
	json_object_set_new(o, "version", json_integer((json_int_t)r->version));
	json_object_set_new(o, "updated", json_string(when));
	if (flags & RECJSON_EXPORT) {
		json_profile(o, r);
		if (r->deleted)
			json_object_set_new(o, "deleted", json_true());
	} else {
		json_object_set_new(o, "deleted", json_boolean(r->deleted));
		json_profile(o, r);
	}
	json_adoption(o, r);
	json_object_set_new(o, "texts", json_texts(r));
	json_object_set_new(o, "tags", json_strings(r->tags, r->n_tags));
	json_object_set_new(o, "links", json_links(r));
	if (r->n_attachments > 0)
		json_object_set_new(o, "attachments", json_attachments(r, v));
	if ((flags & RECJSON_EXPORT) && v->signed_ != NULL)
		json_object_set_new(o, "signed", json_signed(v->signed_));
	if (flags & RECJSON_SEARCH) {
		json_object_set_new(o, "snippet", jstr(v->snippet));
		json_object_set_new(o, "lang", jstr(v->snippet_lang));
		json_object_set_new(o, "score", json_real(v->score));
		json_object_set_new(o, "matched", jstr(v->matched));
	}
	if (decoded != NULL)
		tessera__record__free_unpacked(decoded, NULL);
	return o;
}

/* Publishing our own records: build, sign, store. */
#include "store/publish.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/log.h"
#include "core/nodeid.h"
#include "core/record.h"
#include "store/store.h"
#include "core/util.h"

#define META_PROFILE "profile_id"

int
publish_load(struct store *st, const uint8_t id[TESS_ID_LEN], Tessera__Record **out,
    char **cause)
{
	uint8_t *body, sig[TESS_SIG_LEN];
	size_t len;
	const char *why;
	int rc;

	if ((rc = store_get(st, id, &body, &len, sig, NULL)) != 0)
		return rc == -ENOENT ? set_cause(cause, rc, "no such record") :
				       set_cause(cause, rc, "storage error");
	rc = record_open(body, len, sig, TESS_SIG_LEN, out, &why);
	free(body);
	if (rc != 0) {
		char hex[2 * TESS_ID_LEN + 1];

		hex_encode(id, TESS_ID_LEN, hex);
		log_warnx("store: record %s fails verification: %s", hex, why);
		return set_cause(cause, -EIO, "stored record fails verification: %s", why);
	}
	return 0;
}

int
publish_record(struct store *st, const struct identity *me, const Tessera__Record *tmpl,
    const uint8_t *id, uint8_t out_id[TESS_ID_LEN], char **cause)
{
	Tessera__Record r = *tmpl, *old = NULL;
	uint8_t nonce[TESS_NONCE_LEN], rid[TESS_ID_LEN], *body = NULL, sig[TESS_SIG_LEN];
	enum store_put_result res;
	const char *why;
	size_t len;
	int rc;

	if (id != NULL) {
		if ((rc = publish_load(st, id, &old, cause)) != 0)
			return rc;
		if (memcmp(old->author.data, me->pub, TESS_KEY_LEN) != 0) {
			char owner[NODEID_STRLEN + 1];

			nodeid_encode(old->author.data, owner);
			record_free(old);
			return set_cause(cause, -EPERM,
			    "record belongs to community %.7s; only its author can change it", owner);
		}
		memcpy(nonce, old->nonce.data, TESS_NONCE_LEN);
		memcpy(rid, old->id.data, TESS_ID_LEN);
		record_free(old);
	} else if (record_new_id(me->pub, nonce, rid) != 0) {
		return set_cause(cause, -EIO, "random number generator failed");
	}
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, rid };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)me->pub };
	r.version = store_next_version(st, me->pub);
	r.timestamp = now_ms();
	if (record_validate(&r, &why) != 0)
		return set_cause(cause, -EINVAL, "%s", why);
	rc = record_seal(me, &r, &body, &len, sig);
	if (rc == -EMSGSIZE)
		return set_cause(cause, rc, "record larger than %d bytes", TESS_MAX_RECORD);
	if (rc != 0)
		return set_cause(cause, rc, "cannot sign record");
	rc = store_put(st, body, len, sig, &r, &res);
	free(body);
	if (rc == -ENOSPC)
		return set_cause(cause, rc, "storage full");
	if (rc != 0)
		return set_cause(cause, rc, "storage error: %s", store_errmsg(st));
	if (res != STORE_STORED)
		return set_cause(cause, -EIO, "record not stored (%d)", (int)res);
	if (out_id != NULL)
		memcpy(out_id, rid, TESS_ID_LEN);
	return 0;
}

/* The attachments of r, changed by f: a new array (pointers into r and f),
 * *out, which the caller frees. */
static int
apply_attachments(Tessera__Record *r, const struct publish_fields *f,
    Tessera__Attachment ***out)
{
	Tessera__Attachment **a;
	size_t n = 0;

	*out = NULL;
	if (f->n_attach == 0 && f->n_detach == 0)
		return 0;
	if ((a = calloc(r->n_attachments + f->n_attach + 1, sizeof(*a))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_attachments; i++) {
		bool drop = false;

		for (size_t k = 0; k < f->n_detach; k++)
			drop |= strcmp(r->attachments[i]->name, f->detach[k]) == 0;
		for (size_t k = 0; k < f->n_attach; k++)
			drop |= strcmp(r->attachments[i]->name, f->attach[k]->name) == 0;
		if (!drop)
			a[n++] = r->attachments[i];
	}
	for (size_t k = 0; k < f->n_attach; k++)
		a[n++] = f->attach[k];
	r->attachments = a;
	r->n_attachments = n;
	*out = a;
	return 0;
}

/* Applies fields to r's text in f->lang (adding that language if new). */
static int
apply_fields(Tessera__Record *r, const struct publish_fields *f, Tessera__Text *fresh,
    Tessera__Text ***texts_out, Tessera__Attachment ***att_out, const char *default_lang)
{
	Tessera__Text *t = NULL, **texts;
	const char *lang = f->lang;

	if (lang == NULL)
		lang = r->n_texts > 0 ? r->texts[0]->lang : default_lang;
	for (size_t i = 0; i < r->n_texts; i++)
		if (strcmp(r->texts[i]->lang, lang) == 0)
			t = r->texts[i];
	/* The texts array may belong to a decoded message: copy pointers. */
	texts = calloc(r->n_texts + 1, sizeof(*texts));
	if (texts == NULL)
		return -ENOMEM;
	if (r->n_texts > 0)
		memcpy(texts, r->texts, r->n_texts * sizeof(*texts));
	if (t == NULL) {
		tessera__text__init(fresh);
		fresh->lang = (char *)lang;
		texts[r->n_texts++] = t = fresh;
	} else {
		*fresh = *t;
		for (size_t i = 0; i < r->n_texts; i++)
			if (texts[i] == t)
				texts[i] = fresh;
		t = fresh;
	}
	if (f->title)
		t->title = (char *)f->title;
	if (f->summary)
		t->summary = (char *)f->summary;
	if (f->body)
		t->body = (char *)f->body;
	r->texts = texts;
	*texts_out = texts;
	if (f->set_tags) {
		r->tags = f->tags;
		r->n_tags = f->n_tags;
	}
	if (f->set_links) {
		r->links = f->links;
		r->n_links = f->n_links;
	}
	return apply_attachments(r, f, att_out);
}

static bool
adoption_fields_set(const struct publish_fields *f)
{
	return f->status != 0 || f->started != NULL || f->ended != NULL || f->outcome != NULL;
}

/* Applies the adoption fields of f to a (a copy the caller owns). */
static void
apply_adoption(Tessera__Adoption *a, const struct publish_fields *f)
{
	if (f->source_id != NULL) {
		a->has_source_id = a->has_source_author = 1;
		a->source_id = (ProtobufCBinaryData){ TESS_ID_LEN, (uint8_t *)f->source_id };
		a->source_author = (ProtobufCBinaryData){ TESS_KEY_LEN,
			(uint8_t *)f->source_author };
	}
	if (f->via != NULL) {
		a->has_via = 1;
		a->via = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)f->via };
	}
	if (f->status != 0) {
		a->has_status = 1;
		a->status = (Tessera__Adoption__Status)f->status;
	}
	if (f->started != NULL)
		a->started = *f->started ? (char *)f->started : NULL;
	if (f->ended != NULL)
		a->ended = *f->ended ? (char *)f->ended : NULL;
	if (f->outcome != NULL)
		a->outcome = *f->outcome ? (char *)f->outcome : NULL;
}

static const char *
default_lang(struct store *st)
{
	static char lang[36];
	char *langs = NULL;

	/* Our profile's first language, else English. */
	strcpy(lang, "en");
	if (store_meta_get(st, "languages", &langs) == 0) {
		size_t n = strcspn(langs, ",");

		if (n > 0 && n < sizeof(lang)) {
			memcpy(lang, langs, n);
			lang[n] = '\0';
		}
		free(langs);
	}
	return lang;
}

int
publish_add(struct store *st, const struct identity *me, const struct publish_fields *f,
    uint8_t out_id[TESS_ID_LEN], char **cause)
{
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Adoption adoption = TESSERA__ADOPTION__INIT;
	Tessera__Text fresh, **texts = NULL;
	Tessera__Attachment **att = NULL;
	int rc;

	if (!record_kind_known(f->kind) || f->kind == TESSERA__KIND__KIND_PROFILE)
		return set_cause(cause, -EINVAL, "kind must be initiative, resource or adoption");
	if ((f->kind == TESSERA__KIND__KIND_ADOPTION) != (f->source_id != NULL) ||
	    (f->kind != TESSERA__KIND__KIND_ADOPTION && adoption_fields_set(f)))
		return set_cause(cause, -EINVAL, "an adoption, and only an adoption, has a source, "
		    "a status and dates");
	if (f->kind == TESSERA__KIND__KIND_ADOPTION) {
		apply_adoption(&adoption, f);
		r.adoption = &adoption;
	}
	r.has_kind = 1;
	r.kind = (Tessera__Kind)f->kind;
	if ((rc = apply_fields(&r, f, &fresh, &texts, &att, default_lang(st))) != 0) {
		free(texts);
		return set_cause(cause, rc, "out of memory");
	}
	rc = publish_record(st, me, &r, NULL, out_id, cause);
	free(texts);
	free(att);
	return rc;
}

int
publish_edit(struct store *st, const struct identity *me, const uint8_t id[TESS_ID_LEN],
    const struct publish_fields *f, char **cause)
{
	Tessera__Record *old, r;
	Tessera__Adoption adoption;
	Tessera__Text fresh, **texts = NULL;
	Tessera__Attachment **att = NULL;
	int rc;

	if ((rc = publish_load(st, id, &old, cause)) != 0)
		return rc;
	if (old->deleted) {
		record_free(old);
		return set_cause(cause, -ENOENT, "record was deleted");
	}
	r = *old;
	if (adoption_fields_set(f) || f->source_id != NULL || f->via != NULL) {
		if (old->adoption == NULL || f->source_id != NULL) {
			const char *why = old->adoption == NULL ?
			    "only an adoption has a status, dates and an outcome" :
			    "an adoption's source cannot change: publish a new adoption";

			record_free(old);
			return set_cause(cause, -EINVAL, "%s", why);
		}
		adoption = *old->adoption;
		apply_adoption(&adoption, f);
		r.adoption = &adoption;
	}
	if ((rc = apply_fields(&r, f, &fresh, &texts, &att, default_lang(st))) == 0)
		rc = publish_record(st, me, &r, id, NULL, cause);
	else
		set_cause(cause, rc, "out of memory");
	free(texts);
	free(att);
	record_free(old);
	return rc;
}

int
publish_delete(struct store *st, const struct identity *me, const uint8_t id[TESS_ID_LEN],
    char **cause)
{
	Tessera__Record *old, r = TESSERA__RECORD__INIT;
	int rc;

	if ((rc = publish_load(st, id, &old, cause)) != 0)
		return rc;
	if (old->deleted) {
		record_free(old);
		return set_cause(cause, -ENOENT, "record was already deleted");
	}
	if (old->kind == TESSERA__KIND__KIND_PROFILE) {
		record_free(old);
		return set_cause(cause, -EINVAL, "a community profile cannot be deleted");
	}
	r.has_kind = 1;
	r.kind = old->kind;
	r.has_deleted = 1;
	r.deleted = 1;
	record_free(old);
	return publish_record(st, me, &r, id, NULL, cause);
}

int
publish_profile_id(struct store *st, uint8_t id[TESS_ID_LEN])
{
	char *hex;
	int rc;

	if ((rc = store_meta_get(st, META_PROFILE, &hex)) != 0)
		return rc;
	rc = hex_decode(hex, id, TESS_ID_LEN);
	free(hex);
	return rc;
}

int
publish_profile(struct store *st, const struct identity *me, const Tessera__Record *tmpl,
    char **cause)
{
	uint8_t id[TESS_ID_LEN], *have = NULL;
	int rc;

	if (publish_profile_id(st, id) == 0)
		have = id;
	if ((rc = publish_record(st, me, tmpl, have, id, cause)) != 0)
		return rc;
	Tessera__Record r = *tmpl;

	r.has_id = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	if (publish_profile_meta(st, &r) != 0)
		return set_cause(cause, -EIO, "storage error: %s", store_errmsg(st));
	return 0;
}

int
publish_profile_meta(struct store *st, const Tessera__Record *r)
{
	char hex[2 * TESS_ID_LEN + 1], langs[TESS_MAX_TEXTS * 36 + 1] = "";

	/* Cached in meta so that defaults (name, language) need no decoding. */
	hex_encode(r->id.data, TESS_ID_LEN, hex);
	for (size_t i = 0; r->profile && i < r->profile->n_languages; i++) {
		if (i > 0)
			strcat(langs, ",");
		strcat(langs, r->profile->languages[i]);
	}
	if (store_meta_set(st, META_PROFILE, hex) != 0 ||
	    store_meta_set(st, "languages", langs) != 0 ||
	    (r->profile && store_meta_set(st, "name", r->profile->name) != 0))
		return -EIO;
	return 0;
}

int
publish_same_content(const Tessera__Record *a, const Tessera__Record *b)
{
	Tessera__Record x = *a, y = *b;
	size_t nx, ny;
	uint8_t *px, *py;
	int same;

	/* Compare what the author wrote, not who or when. */
	x.has_id = x.has_nonce = x.has_author = x.has_version = x.has_timestamp = 0;
	y.has_id = y.has_nonce = y.has_author = y.has_version = y.has_timestamp = 0;
	nx = tessera__record__get_packed_size(&x);
	ny = tessera__record__get_packed_size(&y);
	if (nx != ny)
		return 0;
	px = malloc(nx + 1);
	py = malloc(ny + 1);
	if (px == NULL || py == NULL) {
		free(px);
		free(py);
		return 0;
	}
	tessera__record__pack(&x, px);
	tessera__record__pack(&y, py);
	same = memcmp(px, py, nx) == 0;
	free(px);
	free(py);
	return same;
}

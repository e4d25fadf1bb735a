/* Records: the signed, self-certifying unit of data. */
#include "core/record.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/identity.h"
#include "core/merkle.h"
#include "core/msgscan.h"
#include "core/rotation.h"
#include "core/textsafe.h"
#include "core/util.h"

#define SIG_CONTEXT "tessera-record-v1"
#define ID_CONTEXT "tessera-id"

static const char *kind_names[] = { "unspecified", "profile", "initiative", "resource",
	"adoption", "rotation" };
static const char *status_names[] = { "unspecified", "planned", "running", "ended" };

void
record_make_id(const uint8_t author[TESS_KEY_LEN], const uint8_t nonce[TESS_NONCE_LEN],
    uint8_t id[TESS_ID_LEN])
{
	uint8_t in[sizeof(ID_CONTEXT) - 1 + TESS_KEY_LEN + TESS_NONCE_LEN], md[32];
	unsigned int mdlen = sizeof(md);

	memcpy(in, ID_CONTEXT, sizeof(ID_CONTEXT) - 1);
	memcpy(in + sizeof(ID_CONTEXT) - 1, author, TESS_KEY_LEN);
	memcpy(in + sizeof(ID_CONTEXT) - 1 + TESS_KEY_LEN, nonce, TESS_NONCE_LEN);
	EVP_Digest(in, sizeof(in), md, &mdlen, EVP_sha256(), NULL);
	memcpy(id, md, TESS_ID_LEN);
}

int
record_new_id(const uint8_t author[TESS_KEY_LEN], uint8_t nonce[TESS_NONCE_LEN],
    uint8_t id[TESS_ID_LEN])
{
	if (RAND_bytes(nonce, TESS_NONCE_LEN) != 1)
		return -EIO;
	record_make_id(author, nonce, id);
	return 0;
}

int
record_kind_known(int kind)
{
	return kind >= TESSERA__KIND__KIND_PROFILE && kind <= TESSERA__KIND__KIND_ADOPTION;
}

const char *
record_status_name(int status)
{
	if (status >= 0 && (size_t)status < sizeof(status_names) / sizeof(status_names[0]))
		return status_names[status];
	return "unknown";
}

int
record_status_parse(const char *name)
{
	for (size_t i = 1; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcasecmp(name, status_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

bool
record_date_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	/* 29 February only in leap years. */
	return !(m == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)));
}

const char *
record_kind_name(int kind)
{
	if (kind >= 0 && (size_t)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "unknown";
}

int
record_kind_parse(const char *name)
{
	for (size_t i = 1; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcasecmp(name, kind_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* A string field: optional, at most max bytes, valid UTF-8 without control
 * characters (long texts, the fields over TESS_MAX_SHORT, keep tab and
 * newline). strlen is the field's real length: record_open refuses a NUL
 * on the wire (msgscan_record). */
static int
check_str(const char *s, size_t max, int required, bool chars)
{
	size_t n;

	if (s == NULL)
		return required ? -1 : 0;
	n = strlen(s);
	if (n > max || (required && n == 0) ||
	    (chars && textsafe_check(s, n, max > TESS_MAX_SHORT) != 0))
		return -1;
	return 0;
}

static int
check_texts(const Tessera__Record *r, const char **why, bool chars)
{
	int titled = 0;

	if (r->n_texts > TESS_MAX_TEXTS) {
		*why = "too many texts";
		return -EINVAL;
	}
	for (size_t i = 0; i < r->n_texts; i++) {
		const Tessera__Text *t = r->texts[i];

		if (check_str(t->lang, 35, 1, chars) != 0) {
			*why = "text without a valid language tag";
			return -EINVAL;
		}
		if (check_str(t->title, TESS_MAX_SHORT, 0, chars) != 0 ||
		    check_str(t->summary, TESS_MAX_FIELD, 0, chars) != 0 ||
		    check_str(t->body, TESS_MAX_FIELD, 0, chars) != 0) {
			*why = "text field too long, not UTF-8 or with control characters";
			return -EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(r->texts[k]->lang, t->lang) == 0) {
				*why = "two texts in the same language";
				return -EINVAL;
			}
		if (t->title != NULL && t->title[0] != '\0')
			titled = 1;
	}
	/* A kind newer than this version may have no title: its rules are its
	 * own, and the record is kept and relayed as it is. */
	if (!r->deleted && record_kind_known((int)r->kind) &&
	    r->kind != TESSERA__KIND__KIND_PROFILE && !titled) {
		*why = "a record needs a title in at least one language";
		return -EINVAL;
	}
	return 0;
}

static int
check_lists(const Tessera__Record *r, const char **why, bool chars)
{
	if (r->n_tags > TESS_MAX_TAGS || r->n_links > TESS_MAX_LINKS) {
		*why = "too many tags or links";
		return -EINVAL;
	}
	for (size_t i = 0; i < r->n_tags; i++)
		if (check_str(r->tags[i], 128, 1, chars) != 0) {
			*why = "empty, long or non-UTF-8 tag";
			return -EINVAL;
		}
	for (size_t i = 0; i < r->n_links; i++)
		if (check_str(r->links[i]->url, 2048, 1, chars) != 0 ||
		    check_str(r->links[i]->title, TESS_MAX_SHORT, 0, chars) != 0) {
			*why = "invalid link";
			return -EINVAL;
		}
	if (r->profile != NULL) {
		const Tessera__Profile *p = r->profile;

		if (r->kind != TESSERA__KIND__KIND_PROFILE ||
		    check_str(p->name, TESS_MAX_SHORT, 1, chars) ||
		    check_str(p->country, 8, 0, chars) || p->n_languages > TESS_MAX_TEXTS) {
			*why = "invalid profile";
			return -EINVAL;
		}
		for (size_t i = 0; i < p->n_languages; i++)
			if (check_str(p->languages[i], 35, 1, chars) != 0) {
				*why = "invalid profile language";
				return -EINVAL;
			}
	} else if (r->kind == TESSERA__KIND__KIND_PROFILE && !r->deleted) {
		*why = "profile record without a profile";
		return -EINVAL;
	}
	return 0;
}

/* An adoption names its source by id and author, and the community it was
 * learned from; an unknown status is kept (a newer version may add some). */
static int
check_adoption(const Tessera__Record *r, const char **why, bool chars)
{
	const Tessera__Adoption *a = r->adoption;

	if (a == NULL) {
		if (r->kind == TESSERA__KIND__KIND_ADOPTION && !r->deleted) {
			*why = "adoption record without its source";
			return -EINVAL;
		}
		return 0;
	}
	if (r->kind != TESSERA__KIND__KIND_ADOPTION) {
		*why = "adoption fields in a record that is no adoption";
		return -EINVAL;
	}
	if (!a->has_source_id || a->source_id.len != TESS_ID_LEN || !a->has_source_author ||
	    a->source_author.len != TESS_KEY_LEN ||
	    (a->has_via && a->via.len != TESS_KEY_LEN)) {
		*why = "adoption with a missing or malformed source id, author or via";
		return -EINVAL;
	}
	if (memcmp(a->source_id.data, r->id.data, TESS_ID_LEN) == 0) {
		*why = "adoption of itself";
		return -EINVAL;
	}
	if ((a->started != NULL && !record_date_valid(a->started)) ||
	    (a->ended != NULL && !record_date_valid(a->ended))) {
		*why = "adoption date is not YYYY-MM-DD";
		return -EINVAL;
	}
	if (check_str(a->outcome, TESS_MAX_FIELD, 0, chars) != 0) {
		*why = "adoption outcome too long, not UTF-8 or with control characters";
		return -EINVAL;
	}
	return 0;
}

/* An attachment's name is a plain file name: it becomes the name of the
 * file `tessera get` writes, so no directory part and no dot names. */
static int
check_attachments(const Tessera__Record *r, const char **why, bool chars)
{
	if (r->n_attachments > TESS_MAX_ATTACH) {
		*why = "too many attachments";
		return -EINVAL;
	}
	for (size_t i = 0; i < r->n_attachments; i++) {
		const Tessera__Attachment *a = r->attachments[i];

		if (check_str(a->name, TESS_MAX_FILENAME, 1, chars) != 0 ||
		    strchr(a->name, '/') != NULL || strcmp(a->name, ".") == 0 ||
		    strcmp(a->name, "..") == 0) {
			*why = "attachment without a valid file name";
			return -EINVAL;
		}
		if (check_str(a->media_type, 127, 0, chars) != 0 || !a->has_size ||
		    a->size > MERKLE_MAX_SIZE || !a->has_root || a->root.len != MERKLE_HASH) {
			*why = "attachment with an invalid media type, size or hash";
			return -EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(r->attachments[k]->name, a->name) == 0) {
				*why = "two attachments with the same name";
				return -EINVAL;
			}
	}
	return 0;
}

/* chars: check the characters of every string too (record_open has already
 * checked them on the wire bytes, NUL included: one pass is enough). */
static int
validate(const Tessera__Record *r, const char **why, bool chars)
{
	uint8_t id[TESS_ID_LEN];
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	if (!r->has_id || r->id.len != TESS_ID_LEN || !r->has_nonce ||
	    r->nonce.len != TESS_NONCE_LEN || !r->has_author || r->author.len != TESS_KEY_LEN) {
		*why = "missing or malformed id, nonce or author";
		return -EINVAL;
	}
	record_make_id(r->author.data, r->nonce.data, id);
	if (memcmp(id, r->id.data, TESS_ID_LEN) != 0) {
		*why = "record id is not bound to its author";
		return -EINVAL;
	}
	if (!r->has_version || r->version == 0 || r->version > INT64_MAX || !r->has_timestamp) {
		*why = "missing version or timestamp";
		return -EINVAL;
	}
	if (!r->has_kind || (int)r->kind <= 0) {
		*why = "missing kind";
		return -EINVAL;
	}
	if (r->deleted && (r->n_texts || r->n_tags || r->n_links || r->profile || r->adoption ||
	    r->n_attachments || r->rotation)) {
		*why = "tombstone with content";
		return -EINVAL;
	}
	if (check_texts(r, why, chars) != 0 || check_lists(r, why, chars) != 0 ||
	    check_adoption(r, why, chars) != 0 ||
	    check_attachments(r, why, chars) != 0 || rotation_check(r, why) != 0)
		return -EINVAL;
	return 0;
}

int
record_validate(const Tessera__Record *r, const char **why)
{
	return validate(r, why, true);
}

/* Ed25519 has no streaming interface: sign/verify one contiguous message. */
static uint8_t *
with_context(const uint8_t *body, size_t len, size_t *msglen)
{
	uint8_t *msg = malloc(sizeof(SIG_CONTEXT) - 1 + len);

	if (msg == NULL)
		return NULL;
	memcpy(msg, SIG_CONTEXT, sizeof(SIG_CONTEXT) - 1);
	if (len > 0)
		memcpy(msg + sizeof(SIG_CONTEXT) - 1, body, len);
	*msglen = sizeof(SIG_CONTEXT) - 1 + len;
	return msg;
}

int
record_seal(const struct identity *me, const Tessera__Record *r, uint8_t **body, size_t *len,
    uint8_t sig[TESS_SIG_LEN])
{
	size_t n, msglen;
	uint8_t *buf, *msg;
	int rc;

	if (record_validate(r, NULL) != 0 || r->author.len != TESS_KEY_LEN ||
	    memcmp(r->author.data, me->pub, TESS_KEY_LEN) != 0)
		return -EINVAL;
	n = tessera__record__get_packed_size(r);
	if (n > TESS_MAX_RECORD)
		return -EMSGSIZE;
	if ((buf = malloc(n ? n : 1)) == NULL)
		return -ENOMEM;
	tessera__record__pack(r, buf);
	if ((msg = with_context(buf, n, &msglen)) == NULL) {
		free(buf);
		return -ENOMEM;
	}
	rc = identity_sign(me, msg, msglen, sig);
	free(msg);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*body = buf;
	*len = n;
	return 0;
}

int
record_verify_sig(const uint8_t author[TESS_KEY_LEN], const uint8_t *body, size_t len,
    const uint8_t *sig)
{
	size_t msglen;
	uint8_t *msg = with_context(body, len, &msglen);
	int rc;

	if (msg == NULL)
		return -ENOMEM;
	rc = identity_verify(author, msg, msglen, sig);
	free(msg);
	return rc;
}

int
record_open(const uint8_t *body, size_t len, const uint8_t *sig, size_t siglen,
    Tessera__Record **out, const char **why)
{
	Tessera__Record *r;
	const char *dummy;
	size_t fields;
	int rc;

	if (why == NULL)
		why = &dummy;
	if (len > TESS_MAX_RECORD) {
		*why = "record too large";
		return -EMSGSIZE;
	}
	/* 64 KiB of empty texts would decode into 32k objects: count first. */
	if ((rc = msgscan_record(body, len, &fields)) != 0) {
		*why = rc == -EILSEQ ? "string field with a NUL, a control character or bytes "
		    "that are not UTF-8" : "undecodable record";
		return rc == -EILSEQ ? -EINVAL : -EBADMSG;
	}
	if (fields > TESS_MAX_RECORD_FIELDS) {
		*why = "record with too many fields";
		return -EMSGSIZE;
	}
	if (sig == NULL || siglen != TESS_SIG_LEN) {
		*why = "missing or malformed signature";
		return -EBADMSG;
	}
	r = tessera__record__unpack(NULL, len, body);
	if (r == NULL) {
		*why = "undecodable record";
		return -EBADMSG;
	}
	if (validate(r, why, false) != 0) {
		record_free(r);
		return -EINVAL;
	}
	if (record_verify_sig(r->author.data, body, len, sig) != 0) {
		*why = "bad signature";
		record_free(r);
		return -EPERM;
	}
	*out = r;
	return 0;
}

void
record_free(Tessera__Record *r)
{
	if (r != NULL)
		tessera__record__free_unpacked(r, NULL);
}

const Tessera__Text *
record_text(const Tessera__Record *r, const char *lang)
{
	if (r->n_texts == 0)
		return NULL;
	if (lang != NULL)
		for (size_t i = 0; i < r->n_texts; i++)
			if (strcmp(r->texts[i]->lang, lang) == 0)
				return r->texts[i];
	return r->texts[0];
}

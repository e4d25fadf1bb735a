/* Building RecordView replies from stored records. */
#include "ctl/ctl_view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/record.h"
#include "store/store.h"
#include "core/util.h"

struct view_batch *
view_batch_new(struct store *st, bool with_signed)
{
	struct view_batch *b = calloc(1, sizeof(*b));

	if (b != NULL) {
		b->st = st;
		b->with_signed = with_signed;
	}
	return b;
}

static const char *
author_name(struct view_batch *b, const uint8_t *author)
{
	if (!b->cached || memcmp(b->cached_author, author, TESS_KEY_LEN) != 0) {
		free(b->cached_name);
		b->cached_name = store_author_name(b->st, author);
		memcpy(b->cached_author, author, TESS_KEY_LEN);
		b->cached = true;
	}
	return b->cached_name;
}

int
view_batch_add(struct view_batch *b, uint64_t seq, Tessera__RecordView **out)
{
	Tessera__RecordView *v = &b->views[b->n];
	Tessera__Record *r;
	uint8_t *body;
	size_t len;
	const char *why, *name;
	int rc;

	if (b->n >= VIEW_CHUNK_MAX)
		return -ENOSPC;
	if ((rc = store_get_seq(b->st, seq, &body, &len, b->sigs[b->n])) != 0)
		return rc;
	/* Reading verifies: a record damaged on disk is reported, never shown. */
	if (record_open(body, len, b->sigs[b->n], TESS_SIG_LEN, &r, &why) != 0) {
		log_warnx("store: record at seq %llu fails verification: %s",
		    (unsigned long long)seq, why);
		free(body);
		return -EBADMSG;
	}
	name = author_name(b, r->author.data);
	b->names[b->n] = NULL;
	if (name != NULL && (b->names[b->n] = strdup(name)) == NULL) {
		record_free(r);
		free(body);
		return -ENOMEM;
	}
	tessera__record_view__init(v);
	v->record = r;
	v->has_seq = 1;
	v->seq = seq;
	v->author_name = b->names[b->n];
	if (r->adoption != NULL) {
		const Tessera__Adoption *a = r->adoption;

		/* Owned by the view; freed in view_batch_clear. A missing name
		 * (the community's profile has not arrived) leaves it unset. */
		if (a->source_author.len == TESS_KEY_LEN)
			v->source_name = store_author_name(b->st, a->source_author.data);
		if (a->via.len == TESS_KEY_LEN)
			v->via_name = store_author_name(b->st, a->via.data);
	}
	if (b->with_signed) {
		Tessera__SignedRecord *s = &b->signed_[b->n];

		tessera__signed_record__init(s);
		s->has_body = s->has_sig = 1;
		s->body = (ProtobufCBinaryData){ len, body };
		s->sig = (ProtobufCBinaryData){ TESS_SIG_LEN, b->sigs[b->n] };
		v->signed_ = s;
		b->bytes += len;
	}
	b->bodies[b->n] = body;
	b->bytes += len + 128;
	b->ptrs[b->n] = v;
	b->n++;
	*out = v;
	return 0;
}

bool
view_batch_full(const struct view_batch *b)
{
	/* A record is at most TESS_MAX_RECORD; counted twice with its bytes. */
	return b->n >= VIEW_CHUNK_MAX ||
	    b->bytes + 2 * (TESS_MAX_RECORD + 256) > TESS_MAX_FRAME - 4096;
}

void
view_batch_attach(struct view_batch *b, Tessera__Reply *reply)
{
	reply->records = b->ptrs;
	reply->n_records = b->n;
}

void
view_batch_clear(struct view_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		record_free(b->views[i].record);
		for (size_t k = 0; k < b->views[i].n_attachments; k++)
			free(b->views[i].attachments[k]);   /* strings point into record */
		free(b->views[i].attachments);
		free(b->views[i].snippet);
		free(b->views[i].snippet_lang);
		free(b->views[i].source_name);
		free(b->views[i].via_name);
		free(b->bodies[i]);
		free(b->names[i]);
		b->names[i] = NULL;
	}
	b->n = 0;
	b->bytes = 0;
}

void
view_batch_free(struct view_batch *b)
{
	if (b == NULL)
		return;
	view_batch_clear(b);
	free(b->cached_name);
	free(b);
}

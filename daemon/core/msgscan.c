/* Counting what a message would decode into (see msgscan.h). */
#include "core/msgscan.h"

#include <errno.h>
#include <stdbool.h>

#include "core/textsafe.h"

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* Which fields of a message are messages themselves (walked in turn),
 * packed repeated varints (one object per element) or strings (checked on
 * their bytes); from the .proto files. */
struct shape {
	const struct shape *sub[16];    /* by field number; NULL: a leaf */
	uint32_t packed;                /* bit n: field n is a packed varint */
	uint32_t strs, longs;           /* bit n: field n is a short / long string */
};

static const struct shape leaf = { .packed = 0 };
/* peer.proto: Offer.items (1), Want.indexes (2, packed), Records.records (1). */
static const struct shape offer = { .sub = { [1] = &leaf } };
static const struct shape want = { .packed = 1u << 2 };
static const struct shape records = { .sub = { [1] = &leaf } };
/* BlobQuery.roots, BlobHave.roots (1): one object per root. */
static const struct shape envelope = { .sub = { [1] = &leaf, [2] = &leaf, [3] = &offer,
	[4] = &want, [5] = &records, [6] = &leaf, [7] = &leaf, [9] = &leaf, [10] = &leaf,
	[11] = &leaf, [12] = &leaf, [13] = &leaf } };
/* record.proto: Record.texts (8), links (10), profile (11), tags (9); Text
 * lang, title (short), summary, body (long); Link url, title; Profile name,
 * country, languages. */
static const struct shape text = { .strs = 1u << 1 | 1u << 2, .longs = 1u << 3 | 1u << 4 };
static const struct shape link = { .strs = 1u << 1 | 1u << 2 };
static const struct shape profile = { .strs = 1u << 1 | 1u << 2 | 1u << 3 };
/* Adoption started, ended (short), outcome (long). */
static const struct shape adoption = { .strs = 1u << 5 | 1u << 6, .longs = 1u << 7 };
/* Attachment name, media_type. */
static const struct shape attachment = { .strs = 1u << 1 | 1u << 2 };
static const struct shape record = { .sub = { [8] = &text, [10] = &link, [11] = &profile,
	[12] = &attachment, [13] = &adoption, [14] = &leaf }, .strs = 1u << 9 };

static int
get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -EBADMSG;
		*v |= (uint64_t)(**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0)
			return 0;
	}
	return -EBADMSG;
}

/* Elements of a packed varint field: one per byte without the high bit. */
static size_t
packed_count(const uint8_t *p, const uint8_t *end)
{
	size_t n = 0;

	for (; p < end; p++)
		n += (*p & 0x80) == 0;
	return n;
}

/* A string field's real bytes: protobuf-c hands out a NUL-terminated copy,
 * so a NUL inside would hide whatever follows it from every later check. */
static int
check_string(const uint8_t *p, size_t len, const struct shape *sh, uint64_t field)
{
	if (field >= 32 || !((sh->strs | sh->longs) >> field & 1))
		return 0;
	if (textsafe_check((const char *)p, len, sh->longs >> field & 1) != 0)
		return -EILSEQ;
	return 0;
}

static int
scan(const uint8_t *p, const uint8_t *end, const struct shape *sh, size_t *fields)
{
	while (p < end) {
		const struct shape *sub;
		const uint8_t *start;
		uint64_t key, v;
		int rc = 0;

		if ((rc = get_varint(&p, end, &key)) != 0)
			return rc;
		if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
			return -EBADMSG;
		sub = key >> 3 < 16 ? sh->sub[key >> 3] : NULL;
		(*fields)++;
		switch (key & 7) {
		case WT_VARINT:
			rc = get_varint(&p, end, &v);
			break;
		case WT_I64:
		case WT_I32:
			v = (key & 7) == WT_I64 ? 8 : 4;
			if (v > (uint64_t)(end - p))
				return -EBADMSG;
			p += v;
			break;
		case WT_LEN:
			if ((rc = get_varint(&p, end, &v)) != 0 || v > (uint64_t)(end - p))
				return -EBADMSG;
			start = p;
			p += v;
			if (sub != NULL)
				rc = scan(start, p, sub, fields);
			else if (key >> 3 < 32 && (sh->packed >> (key >> 3) & 1))
				*fields += packed_count(start, p);
			else
				rc = check_string(start, (size_t)v, sh, key >> 3);
			break;
		default:
			return -EBADMSG;   /* groups (3, 4) and reserved wire types */
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
msgscan_envelope(const uint8_t *buf, size_t len, size_t *fields)
{
	*fields = 0;
	if (len == 0)
		return 0;   /* buf may be NULL (an empty protobuf bytes field) */
	return scan(buf, buf + len, &envelope, fields);
}

int
msgscan_record(const uint8_t *buf, size_t len, size_t *fields)
{
	*fields = 0;
	if (len == 0)
		return 0;   /* buf may be NULL (an empty protobuf bytes field) */
	return scan(buf, buf + len, &record, fields);
}

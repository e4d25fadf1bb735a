/* Counting what a message would decode into (see msgscan.h). */
#include "core/msgscan.h"

#include <errno.h>
#include <stdbool.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* Which fields of a message are messages themselves (walked in turn) or
 * packed repeated varints (one object per element); from the .proto files. */
struct shape {
	const struct shape *sub[16];    /* by field number; NULL: a leaf */
	uint32_t packed;                /* bit n: field n is a packed varint */
};

static const struct shape leaf = { { NULL }, 0 };
/* peer.proto: Offer.items (1), Want.indexes (2, packed), Records.records (1). */
static const struct shape offer = { { [1] = &leaf }, 0 };
static const struct shape want = { { NULL }, 1u << 2 };
static const struct shape records = { { [1] = &leaf }, 0 };
static const struct shape envelope = { { [1] = &leaf, [2] = &leaf, [3] = &offer,
	[4] = &want, [5] = &records, [6] = &leaf, [7] = &leaf }, 0 };
/* record.proto: Record.texts (8), links (10), profile (11). */
static const struct shape record = { { [8] = &leaf, [10] = &leaf, [11] = &leaf }, 0 };

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

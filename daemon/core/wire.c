/* Length-prefixed frame reassembly and packing. Never touches a socket. */
#include "core/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
wire_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

uint32_t
wire_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void
wire_reader_init(struct wire_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void
wire_reader_free(struct wire_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	r->buf = NULL;
	r->in_frame = 0;
	r->hdr_have = 0;
}

size_t
wire_reader_pending(const struct wire_reader *r)
{
	return r->in_frame ? r->have : 0;
}

int
wire_reader_feed(struct wire_reader *r, const uint8_t *data, size_t len, wire_frame_cb cb,
    void *arg)
{
	while (len > 0) {
		if (!r->in_frame) {
			size_t n = WIRE_HDR - r->hdr_have;

			if (n > len)
				n = len;
			memcpy(r->hdr + r->hdr_have, data, n);
			r->hdr_have += n;
			data += n;
			len -= n;
			if (r->hdr_have < WIRE_HDR)
				break;
			r->len = wire_get_u32(r->hdr);
			r->hdr_have = 0;
			if (r->len > r->max)
				return -EMSGSIZE;
			if (r->len == 0) {
				int rc = cb(arg, (const uint8_t *)"", 0);

				if (rc != 0)
					return rc;
				continue;
			}
			/* Whole frame already here: hand it over without copying. */
			if (len >= r->len) {
				int rc = cb(arg, data, r->len);

				data += r->len;
				len -= r->len;
				if (rc != 0)
					return rc;
				continue;
			}
			r->buf = malloc(r->len);
			if (r->buf == NULL)
				return -ENOMEM;
			r->have = 0;
			r->in_frame = 1;
		}
		size_t n = r->len - r->have;

		if (n > len)
			n = len;
		memcpy(r->buf + r->have, data, n);
		r->have += n;
		data += n;
		len -= n;
		if (r->have == r->len) {
			uint8_t *buf = r->buf;
			int rc;

			r->buf = NULL;
			r->in_frame = 0;
			rc = cb(arg, buf, r->len);
			free(buf);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

int
wire_pack(const ProtobufCMessage *msg, size_t max, uint8_t **frame, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *p;

	if (n > max)
		return -EMSGSIZE;
	p = malloc(WIRE_HDR + n);
	if (p == NULL)
		return -ENOMEM;
	wire_put_u32(p, (uint32_t)n);
	protobuf_c_message_pack(msg, p + WIRE_HDR);
	*frame = p;
	*len = WIRE_HDR + n;
	return 0;
}

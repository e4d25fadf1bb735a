/* Length-prefixed frames (sans-IO): 4-byte big-endian length, then payload.
 * Used by the control socket, the CLI and the peer protocol. */
#ifndef WIRE_H
#define WIRE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_HDR 4

struct wire_reader {
	uint8_t hdr[WIRE_HDR];
	size_t hdr_have;
	uint8_t *buf;     /* payload being assembled, allocated once the length is known */
	size_t len;       /* payload length of the current frame */
	size_t have;
	size_t max;       /* largest payload accepted */
	int in_frame;     /* header complete, payload pending */
};

/* Called once per complete frame; a non-zero return stops feeding and is
 * returned by wire_reader_feed. The payload is only valid during the call. */
typedef int (*wire_frame_cb)(void *arg, const uint8_t *payload, size_t len);

void wire_reader_init(struct wire_reader *r, size_t max);
void wire_reader_free(struct wire_reader *r);
/* Eats bytes. Returns 0, -EMSGSIZE when a header announces more than max
 * (checked before any allocation), -ENOMEM, or the callback's return. */
int wire_reader_feed(struct wire_reader *r, const uint8_t *data, size_t len,
    wire_frame_cb cb, void *arg);
/* Bytes of the current frame held in memory (for accounting). */
size_t wire_reader_pending(const struct wire_reader *r);

/* Packs a message into a newly allocated frame (header + payload).
 * Returns 0, -EMSGSIZE if the message exceeds max, or -ENOMEM. */
int wire_pack(const ProtobufCMessage *msg, size_t max, uint8_t **frame, size_t *len);

void wire_put_u32(uint8_t *p, uint32_t v);
uint32_t wire_get_u32(const uint8_t *p);

#endif

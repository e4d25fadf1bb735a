/* Counting what a message would decode into, before decoding it.
 *
 * protobuf-c allocates one object per field it meets (a sub-message, a
 * repeated element, an unknown field), so a 1 MiB frame of two-byte empty
 * sub-messages decodes into half a million objects (measured: 120 MB of
 * peak memory). msgscan walks the wire format of an Envelope without
 * allocating and counts those objects, so that the peer code refuses such a
 * message before protobuf-c sees it. Sans-IO, no allocation. */
#ifndef MSGSCAN_H
#define MSGSCAN_H

#include <stddef.h>
#include <stdint.h>

/* Counts the fields an Envelope decodes into: its own, those of the message
 * inside it and those of that message's items (Offer.items,
 * Records.records), one per element of a packed repeated field. Returns 0,
 * or -EBADMSG for bytes no decoder accepts (bad varint or length, groups,
 * reserved wire types). */
int msgscan_envelope(const uint8_t *buf, size_t len, size_t *fields);
/* The same for a Record body: its fields and those of its texts, links and
 * profile. Every string field is also checked on its wire bytes (see
 * textsafe_check: strict UTF-8, no NUL, no control characters):
 * -EILSEQ if one fails. */
int msgscan_record(const uint8_t *buf, size_t len, size_t *fields);

#endif

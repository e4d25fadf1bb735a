/* Limits and sizes shared by the daemon, the CLI and the tests. */
#ifndef TESSERA_H
#define TESSERA_H

#include <stddef.h>
#include <stdint.h>

#define TESS_PROTOCOL_VERSION 1

#define TESS_KEY_LEN 32            /* Ed25519 public key = node ID bytes */
#define TESS_SIG_LEN 64
#define TESS_ID_LEN 16             /* record id */
#define TESS_NONCE_LEN 16
#define TESS_EPOCH_LEN 16

#define TESS_MAX_FRAME (1024 * 1024)   /* frame payload, checked before allocation */
#define TESS_MAX_RECORD (64 * 1024)    /* signed record body */
/* The protocol floor for a frame: it must carry the largest valid record
 * with its envelope, or a Records message could never hold it. */
#define TESS_MIN_FRAME (TESS_MAX_RECORD + 1024)
#define TESS_MAX_TEXTS 32              /* languages per record */
#define TESS_MAX_TAGS 64
#define TESS_MAX_LINKS 64
#define TESS_MAX_FIELD (60 * 1024)     /* one string field */
#define TESS_MAX_SHORT 512             /* title, tag, lang, url, name */
#define TESS_MAX_ATTACH 16             /* attachments per record */
#define TESS_MAX_FILENAME 255          /* an attachment's name, bytes */
/* Fields a valid record can have, its texts', links', profile's,
 * adoption's and attachments' included
 * (checked before decoding: see msgscan.h). */
#define TESS_MAX_RECORD_FIELDS (16 + TESS_MAX_TEXTS * 5 + TESS_MAX_TAGS + TESS_MAX_LINKS * 3 + \
	    4 + TESS_MAX_TEXTS + 8 + TESS_MAX_ATTACH * 5)

#define TESS_CHUNK_BYTES (512 * 1024)  /* target size of one streamed reply */

struct identity;
struct store;
struct config;

#endif

/* evil.h: what the parts of evil_peer share.
 *
 * evil_peer.c     main, options, usage, the scenario table, the output line
 * evil_conn.c     the connection: TCP, TLS, frames, session setup
 * evil_records.c  making records, offering and sending them
 * evil_scn_records.c  scenarios about records (forged, foreign, oversized...)
 * evil_scn_wire.c     scenarios about framing, handshake and flow control
 * evil_scn_frames.c   frames below the messages: empty, truncated, dripped,
 *                     flooded, and protobuf bombs inside a valid frame
 * evil_scn_session.c  the session engine's limits: frame floor, repeated wants
 * evil_scn_authors.c  records of other authors (hijack, replay), conflicting
 *                     versions, invalid UTF-8, and unpinned outsiders
 * evil_scn_sybil.c    a pinned peer making up authors by the thousand
 * evil_scn_rotate.c   key rotations nobody agreed to
 * evil_scn_recon.c    range reconciliation: ranges out of order, inconsistent
 *                     fingerprints, splits past the end, oversized lists
 * evil_scn_attach.c   attachments: chunks that do not verify, requests past
 *                     the end of a blob or beyond the window, partial ranges
 *                     claimed falsely, past the end or malformed */
#ifndef EVIL_H
#define EVIL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/identity.h"
#include "core/nodeid.h"
#include "peer.pb-c.h"
#include "core/record.h"
#include "net/tls.h"
#include "core/util.h"
#include "core/wire.h"

#define MAX_HONEST 100000

enum outcome {
	OUT_OK = 0,
	OUT_BAD = 1,
	OUT_LOCAL = 2,
	OUT_TLS = 3,
	OUT_NET = 4,
};

struct msg {
	Tessera__Envelope *env;
	struct msg *next;
};

struct conn {
	int fd;
	struct tls_engine *tls;
	struct wire_reader rd;
	struct msg *head, **tail;
	int dead;                       /* 0 while open, else why it ended */
	char why[256];
	unsigned seen[8];               /* messages received, by msg_case */
	bool got_hello, got_sync, got_goodbye;
	bool sync_reconcile;            /* the daemon's SyncRequest asked to reconcile */
	char goodbye[256];
	char name[65];                  /* from the daemon's Hello */
	uint32_t max_frame, max_batch;
	uint8_t epoch[TESS_EPOCH_LEN];
	uint64_t seq;                   /* our made-up sequence numbers */
	bool offers_done;               /* the daemon's offers to us caught up */
	bool pushing;                   /* send_records marks its Records pushed */
	bool found;                     /* a record of another author it offered */
	uint8_t found_id[TESS_ID_LEN];
	uint64_t found_version;
};

struct rec {
	uint8_t id[TESS_ID_LEN];
	uint8_t author[TESS_KEY_LEN];
	uint64_t version;
	uint8_t *body;
	size_t len;
	uint8_t sig[TESS_SIG_LEN];
};

struct options {
	const char *scenario;
	const char *addr;
	const char *ids_out;
	const char *record_file;        /* --record: grab, replay, equivocate */
	int timeout_ms;
	unsigned seed;
	int verbose;
	struct sockaddr_in sa;
	struct identity *me;
	struct tls_ctx *ctx;
	uint8_t daemon[TESS_KEY_LEN];
	uint8_t victim[TESS_KEY_LEN];
	bool has_target;
	uint8_t target[TESS_ID_LEN];
	uint64_t version;               /* next version of our records */
	uint32_t features;              /* Hello.features we announce */
	bool has_root;                  /* --root: a blob the daemon holds */
	uint64_t chunks;                /* --chunks: its length in chunks */
	uint8_t root[32];
};

extern struct options opt;          /* defined in evil_peer.c */

/* evil_peer.c */
/* A line on stderr with -v. */
void debug(const char *, ...);
/* The one line of output; returns its outcome as the exit status. */
int result(enum outcome, const char *, ...);

/* evil_conn.c */
/* Ends the connection with rc and a reason (the first one sticks). */
int conn_die(struct conn *, int, const char *, ...);
/* The next message, queued ones first. */
int conn_next(struct conn *, uint64_t, Tessera__Envelope **);
/* Sends one envelope as a frame. */
int conn_send(struct conn *, const Tessera__Envelope *);
/* Sends all ciphertext the TLS engine holds. */
int conn_flush(struct conn *);
/* One read within the deadline (mono ms): ciphertext in, frames queued. */
int conn_fill(struct conn *, uint64_t);
/* Sends plaintext as is, for frames no honest sender would make. */
int conn_send_raw(struct conn *, const uint8_t *, size_t);
/* One message for the scenario, or NULL when handled here. */
int conn_recv(struct conn *, uint64_t, Tessera__Envelope **);
/* Waits for a message of one type; anything else is -ENOMSG. */
int conn_expect(struct conn *, int, Tessera__Envelope **);
/* Reads until the daemon closes: 0, or -ETIMEDOUT if it keeps the link. */
int conn_wait_close(struct conn *);
/* A short description of how the daemon ended the link. */
const char *conn_how(const struct conn *, char *, size_t);
/* TCP and TLS. */
enum outcome conn_dial(struct conn *);
/* After the daemon closed c for `what`: a new plain link (features off)
 * must still be answered. Prints and returns the outcome. */
int closed_and_alive(struct conn *c, const char *what);
/* Sends our Hello with the given protocol version. */
int send_hello(struct conn *, uint32_t);
/* Dials, TLS, Hello both ways and the daemon's SyncRequest. */
enum outcome session_open(struct conn *);
/* session_open, or prints the outcome line and closes c. */
int open_or_say(struct conn *);
/* Says goodbye if the link is still up, then frees everything. */
void conn_close(struct conn *);

/* evil_records.c */
/* A record signed by us, honest or claiming another author, id or size. */
/* It is honest (sealed with record_seal) when the author is us, the id
 * NULL and big false. */
int make_record(struct rec *, const uint8_t *, const uint8_t *, bool, const char *);
/* An honest record of another identity (key pair only), sealed by it. */
int make_record_by(struct rec *, const struct identity *, const char *);
/* Serializes r and signs it with our key, whatever author it claims. */
int seal_any(const Tessera__Record *, struct rec *);
/* A made-up identity: key pair only (no certificate, no data directory);
 * free who->key with EVP_PKEY_free. */
int keypair_new(struct identity *who);
/* Frees the bodies of n records. */
void recs_free(struct rec *, size_t);
/* Appends the ids to --ids FILE. */
void ids_note(const struct rec *, size_t);
/* Offers n records and waits for the Want: which ones, and the upto. */
int offer(struct conn *, const struct rec *, size_t, bool *, uint64_t *);
/* Sends the records marked (all when NULL) within the frame limit. */
int send_records(struct conn *, const struct rec *, size_t, const bool *, bool, uint64_t);
/* How many of n are true. */
size_t count_true(const bool *, size_t);
/* Offers and sends bad records, then checks none was stored: the outcome,
 * and what happened in the buffer. */
int push_check(struct conn *, const struct rec *, size_t, const char *, char *, size_t);
/* push_check, and its message as the output line. */
int push_bad(struct conn *, const struct rec *, size_t, const char *);
/* Liveness: an empty offer must get an (empty) Want. */
int probe(struct conn *);

/* evil_scn_records.c: each scenario takes N (1 if not given). */
/* TLS and hello only. */
int scn_hello(int);
/* A record with one signature bit flipped. */
int scn_forged_sig(int);
/* A record claiming another author; an update of another's record. */
int scn_other_author(int);
/* A signed record over the size limit. */
int scn_big_record(int);
/* Records not wanted, then with no offer pending. */
int scn_unsolicited(int);
/* N valid records. */
int scn_honest(int);

/* evil_scn_wire.c */
/* Frame headers of max+1 and 0xFFFFFFFF bytes. */
int scn_oversize(int);
/* An undecodable frame; random frames. */
int scn_garbage(int);
/* An offer before hello. */
int scn_before_hello(int);
/* Hello with protocol 99. */
int scn_bad_version(int);
/* Offers beyond flow control. */
int scn_offer_flood(int);
/* Want everything, then read nothing for N seconds. */
int scn_stop_reading(int);
/* A message type from a newer protocol, then an offer. */
int scn_unknown_type(int);

/* evil_scn_frames.c */
/* N empty frames, then an offer. */
int scn_zero_frames(int);
/* A frame cut short by EOF; one cut short and left hanging. */
int scn_truncated(int);
/* The TLS handshake one byte at a time. */
int scn_slow_handshake(int);
/* A message one byte at a time after hello. */
int scn_slow_drip(int);
/* N pings as fast as the socket takes them, then an offer. */
int scn_frame_flood(int);
/* A Want for a million records; a Want for max_batch unknown ids. */
int scn_want_flood(int);
/* Protobuf bombs inside frames below max_frame. */
int scn_bomb(int);

/* evil_scn_session.c */
/* Hello announcing max_frame 1024, below the protocol floor. */
int scn_tiny_frame(int);
/* A long-form Want naming one offered record N times. */
/* evil_scn_push.c */
int scn_push(int);
int scn_want_repeat(int);

/* evil_scn_recon.c */
/* Children of the daemon's opening out of order. */
int scn_recon_order(int);
/* Fingerprints that differ everywhere, turn after turn: bounded turns. */
int scn_recon_inconsistent(int);
/* Splitting a listed range, and turns after the end. */
int scn_recon_endless(int);
/* A list over the limit; a turn of thousands of ranges. */
int scn_recon_oversized(int);
/* A Recon message with no reconciliation under way. */
int scn_recon_unasked(int);

/* evil_scn_authors.c */
/* Update and tombstones of another author's record (--target). */
int scn_hijack(int);
/* Saves a record (--target) to --record FILE. */
int scn_grab(int);
/* Sends the record in --record FILE again, offered as newer. */
int scn_replay(int);
/* Two records with one author, id and version (kept in --record FILE). */
int scn_equivocate(int);
/* Signed records with invalid UTF-8 in text fields. */
int scn_bad_utf8(int);
/* A record body that decodes into 32k objects. */
int scn_record_bomb(int);
/* N TLS handshakes with a key the daemon does not pin. */
int scn_outsiders(int);

/* evil_scn_sybil.c */
/* N made-up authors with 10 valid records each, offered twice. */
int scn_sybil(int);
/* evil_scn_attach.c */
int scn_blob_liar(int);
int scn_blob_past_end(int);
int scn_blob_flood(int);
int scn_blob_ranges_liar(int);
int scn_blob_ranges_bad(int);
int scn_blob_leaves_liar(int);
int scn_blob_leaves_bad(int);

/* evil_scn_rotate.c */
/* Rotation records: forged new-key signature, to itself, of --victim. */
int scn_forged_rotation(int);

#endif

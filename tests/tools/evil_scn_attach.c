/* Scenarios against the attachment transfer (docs/protocol.md,
 * "Attachments"; sync/attach.h). The daemon must refuse chunks that do not
 * verify (and count them), and close the link on requests past the end of
 * a blob or beyond its window, on ranges of a partial blob (BlobRanges)
 * past its end or malformed, and on leaf blocks (BlobLeavesRequest) past
 * its end or malformed, then go on serving; leaf hashes that do not lead to
 * the root are refused and counted as bad chunks are. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evil.h"
#include "core/merkle.h"
#include "sync/attach.h"
#include "sync/reconcile.h"

static int
send_request(struct conn *c, const uint8_t *root, uint32_t first, uint32_t count)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobRequest r = TESSERA__BLOB_REQUEST__INIT;

	r.has_root = r.has_first = r.has_count = 1;
	r.root = (ProtobufCBinaryData){ MERKLE_HASH, (uint8_t *)root };
	r.first = first;
	r.count = count;
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_REQUEST;
	env.blob_request = &r;
	return conn_send(c, &env);
}

static int
send_ranges(struct conn *c, const uint8_t *root, const uint64_t *runs, size_t n)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobRanges r = TESSERA__BLOB_RANGES__INIT;

	r.has_root = 1;
	r.root = (ProtobufCBinaryData){ MERKLE_HASH, (uint8_t *)root };
	r.runs = (uint64_t *)runs;
	r.n_runs = n;
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_RANGES;
	env.blob_ranges = &r;
	return conn_send(c, &env);
}

/* The liars: claiming blobs whole (BlobHave), as partial ranges
 * (BlobRanges, feature bit 4), or whole with their leaf hashes by block
 * (feature bit 9). */
enum liar_kind { LIAR_WHOLE, LIAR_RANGES, LIAR_LEAVES };

/* Announces the features of kind: whole only is a peer of before partial
 * blobs. */
static int
open_attach_as(struct conn *c, enum liar_kind kind)
{
	opt.features = RECON_FEATURE | ATTACH_FEATURE |
	    (kind == LIAR_RANGES ? ATTACH_PARTIAL_FEATURE : 0) |
	    (kind == LIAR_LEAVES ? ATTACH_LEAVES_FEATURE : 0);
	return open_or_say(c);
}

static int
open_attach(struct conn *c)
{
	opt.features = RECON_FEATURE | ATTACH_FEATURE | ATTACH_PARTIAL_FEATURE |
	    ATTACH_LEAVES_FEATURE;
	return open_or_say(c);
}

static int
send_leaves_request(struct conn *c, const uint8_t *root, size_t root_len, uint32_t block)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobLeavesRequest r = TESSERA__BLOB_LEAVES_REQUEST__INIT;

	r.has_root = r.has_block = 1;
	r.root = (ProtobufCBinaryData){ root_len, (uint8_t *)root };
	r.block = block;
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_LEAVES_REQUEST;
	env.blob_leaves_request = &r;
	return conn_send(c, &env);
}

/* Random leaf hashes (as many as --chunks says the blob has, up to a
 * block) with a random proof, for a BlobLeavesRequest. */
static int
send_bad_leaves(struct conn *c, const Tessera__BlobLeavesRequest *q, const uint8_t *proof,
    size_t proof_len)
{
	Tessera__Envelope env = TESSERA__ENVELOPE__INIT;
	Tessera__BlobLeaves lv = TESSERA__BLOB_LEAVES__INIT;
	size_t n = opt.chunks > 0 && opt.chunks < MERKLE_BLOCK ? opt.chunks : MERKLE_BLOCK;
	uint8_t *h = malloc(n * MERKLE_HASH);
	int rc;

	if (h == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n * MERKLE_HASH; i++)
		h[i] = (uint8_t)rand();
	lv.has_root = lv.has_block = lv.has_hashes = lv.has_proof = 1;
	lv.root = q->root;
	lv.block = q->block;
	lv.hashes = (ProtobufCBinaryData){ n * MERKLE_HASH, h };
	lv.proof = (ProtobufCBinaryData){ proof_len, (uint8_t *)proof };
	env.msg_case = TESSERA__ENVELOPE__MSG_BLOB_LEAVES;
	env.blob_leaves = &lv;
	rc = conn_send(c, &env);
	free(h);
	return rc;
}

/* A request past the end of a blob the daemon holds (--root). */
int
scn_blob_past_end(int arg)
{
	struct conn c;
	int o;

	(void)arg;
	if (!opt.has_root)
		return result(OUT_LOCAL, "blob-past-end needs --root");
	if ((o = open_attach(&c)) != OUT_OK)
		return o;
	send_request(&c, opt.root, 1u << 30, 4);
	return closed_and_alive(&c, "chunks requested past the end");
}

/* Requests for more chunks than any honest window holds. */
int
scn_blob_flood(int arg)
{
	struct conn c;
	int o;

	(void)arg;
	if (!opt.has_root)
		return result(OUT_LOCAL, "blob-flood needs --root");
	if ((o = open_attach(&c)) != OUT_OK)
		return o;
	for (int i = 0; i < ATTACH_WINDOW + 2 && c.dead == 0; i++)
		send_request(&c, opt.root, 0, 1);
	send_request(&c, opt.root, 0, ATTACH_SERVE_MAX + 1);
	return closed_and_alive(&c, "a flood of chunk requests");
}

/* Claims every blob the daemon asks about, whole (BlobHave) or as the
 * ranges of a partial blob (BlobRanges: all its chunks), and answers its
 * requests with chunks of random bytes and random proofs, for N seconds
 * (default 10): every chunk must be refused; the link may stay. */
static int
liar(int arg, enum liar_kind kind)
{
	uint64_t end = mono_ms() + (uint64_t)(arg > 0 ? arg : 10) * 1000;
	unsigned asked = 0, sent = 0, leaves = 0;
	bool ranges = kind == LIAR_RANGES;
	uint8_t *junk = malloc(MERKLE_LEAF), proof[14 * MERKLE_HASH];
	struct conn c;
	int o;

	if (junk == NULL)
		return result(OUT_LOCAL, "out of memory");
	if ((o = open_attach_as(&c, kind)) != OUT_OK) {
		free(junk);
		return o;
	}
	for (size_t i = 0; i < MERKLE_LEAF; i++)
		junk[i] = (uint8_t)rand();
	for (size_t i = 0; i < sizeof(proof); i++)
		proof[i] = (uint8_t)rand();
	while (mono_ms() < end && c.dead == 0) {
		Tessera__Envelope *env = NULL, out = TESSERA__ENVELOPE__INIT;

		if (conn_recv(&c, mono_ms() + 500, &env) != 0 || env == NULL) {
			if (c.dead != 0)
				break;
			continue;
		}
		if (env->msg_case == TESSERA__ENVELOPE__MSG_BLOB_QUERY && ranges) {
			asked += (unsigned)env->blob_query->n_roots;
			for (size_t i = 0; i < env->blob_query->n_roots; i++)
				send_ranges(&c, env->blob_query->roots[i].data,
				    (uint64_t[]){ 0, opt.chunks }, 2);
		} else if (env->msg_case == TESSERA__ENVELOPE__MSG_BLOB_QUERY) {
			Tessera__BlobHave h = TESSERA__BLOB_HAVE__INIT;

			asked += (unsigned)env->blob_query->n_roots;
			h.roots = env->blob_query->roots;   /* "we have them all" */
			h.n_roots = env->blob_query->n_roots;
			out.msg_case = TESSERA__ENVELOPE__MSG_BLOB_HAVE;
			out.blob_have = &h;
			conn_send(&c, &out);
		} else if (env->msg_case == TESSERA__ENVELOPE__MSG_BLOB_LEAVES_REQUEST) {
			leaves++;
			/* a blob of one block needs no proof: only the hashes lie */
			send_bad_leaves(&c, env->blob_leaves_request, proof,
			    opt.chunks > 0 && opt.chunks <= MERKLE_BLOCK ? 0 : MERKLE_HASH);
		} else if (env->msg_case == TESSERA__ENVELOPE__MSG_BLOB_REQUEST) {
			const Tessera__BlobRequest *r = env->blob_request;

			for (uint32_t i = 0; i < r->count && c.dead == 0; i++, sent++) {
				Tessera__BlobChunk ch = TESSERA__BLOB_CHUNK__INIT;

				ch.has_root = ch.has_index = ch.has_data = ch.has_proof = 1;
				ch.root = r->root;
				ch.index = r->first + i;
				ch.data = (ProtobufCBinaryData){ MERKLE_LEAF, junk };
				ch.proof = (ProtobufCBinaryData){ sizeof(proof), proof };
				out.msg_case = TESSERA__ENVELOPE__MSG_BLOB_CHUNK;
				out.blob_chunk = &ch;
				conn_send(&c, &out);
			}
		}
		tessera__envelope__free_unpacked(env, NULL);
	}
	free(junk);
	if (asked == 0) {
		conn_close(&c);
		return result(OUT_LOCAL, "the daemon asked for no blob (does it want one?)");
	}
	if (sent == 0 && leaves == 0) {
		conn_close(&c);
		return result(OUT_BAD, "the daemon never requested a chunk it was told we hold");
	}
	if (kind == LIAR_LEAVES && leaves == 0) {
		conn_close(&c);
		return result(OUT_BAD, "the daemon never asked for leaf hashes (feature bit 9)");
	}
	conn_close(&c);
	return result(OUT_OK, "claimed %u blobs, sent %u bad leaf blocks and %u bad chunks", asked,
	    leaves, sent);
}

int
scn_blob_liar(int arg)
{
	return liar(arg, LIAR_WHOLE);
}

int
scn_blob_leaves_liar(int arg)
{
	return liar(arg, LIAR_LEAVES);
}

/* Leaf-block requests the daemon must refuse, of --root: N 1 a block past
 * its end, 2 a root of 5 bytes. */
int
scn_blob_leaves_bad(int arg)
{
	static const char *what[] = { "a leaf block past the end of a blob",
	    "a leaf block request with a root of 5 bytes" };
	struct conn c;
	int o;

	if (!opt.has_root)
		return result(OUT_LOCAL, "blob-leaves-bad needs --root");
	if (arg < 1 || arg > 2)
		return result(OUT_LOCAL, "blob-leaves-bad: N is 1 or 2");
	if ((o = open_attach(&c)) != OUT_OK)
		return o;
	send_leaves_request(&c, opt.root, arg == 2 ? 5 : MERKLE_HASH, arg == 1 ? 1u << 20 : 0);
	return closed_and_alive(&c, what[arg - 1]);
}

int
scn_blob_ranges_liar(int arg)
{
	if (opt.chunks == 0)
		return result(OUT_LOCAL, "blob-ranges-liar needs --chunks");
	return liar(arg, LIAR_RANGES);
}

/* Ranges of --root that the daemon must refuse: past the end of the blob
 * (--chunks is its length in chunks; N 1, the default), or malformed (N 2:
 * an odd number of values, 3: overlapping runs, 4: too many runs). */
int
scn_blob_ranges_bad(int arg)
{
	static const char *what[] = { "ranges past the end of a blob", "an odd number of "
	    "run values", "overlapping runs", "more runs than allowed" };
	uint64_t bad[2 * (ATTACH_RUNS_MAX + 1)];
	size_t n = 2;
	struct conn c;
	int o;

	if (!opt.has_root || opt.chunks == 0)
		return result(OUT_LOCAL, "blob-ranges-bad needs --root and --chunks");
	if (arg < 1 || arg > 4)
		return result(OUT_LOCAL, "blob-ranges-bad: N is 1 to 4");
	bad[0] = opt.chunks - 1;
	bad[1] = 2;
	if (arg == 2) {
		bad[0] = 0;
		n = 1;
	} else if (arg == 3) {
		bad[0] = 0;
		bad[2] = 0;
		bad[3] = 1;
		n = 4;
	} else if (arg == 4) {
		for (n = 0; n < 2 * (ATTACH_RUNS_MAX + 1); n += 2) {
			bad[n] = n;   /* runs of 1, one apart */
			bad[n + 1] = 1;
		}
	}
	if ((o = open_attach(&c)) != OUT_OK)
		return o;
	send_ranges(&c, opt.root, bad, n);
	return closed_and_alive(&c, what[arg - 1]);
}

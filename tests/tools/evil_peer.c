/* evil_peer: a hostile peer for the end-to-end tests.
 *
 * Dials a running tesserad with an identity made by `tesserad init`, speaks
 * the peer protocol over a plain blocking socket with the sans-IO TLS engine
 * in between (tls.c never sees the socket), and then misbehaves in the one
 * way the scenario names. It prints one line saying what the daemon did and
 * exits with:
 *   0  the daemon did what a correct daemon does, as far as the wire shows
 *   1  the daemon misbehaved (stored a bad record, hung, kept a bad link)
 *   2  usage or local failure
 *   3  TLS failed (for instance our key is not pinned by the daemon)
 *   4  the daemon could not be reached
 * Whether a record was stored is seen on the wire: offered again after
 * being sent, a record the daemon stored is not wanted a second time.
 * docs/hostile-peers.md lists the scenarios; evil.h lists the parts. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evil.h"

struct options opt;

void
debug(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "evil_peer: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* The one line of output; returns its outcome as the exit status. */
int
result(enum outcome o, const char *fmt, ...)
{
	static const char *words[] = { "ok", "DAEMON MISBEHAVED", "error", "TLS failed",
		"unreachable" };
	va_list ap;

	printf("%s: %s: ", opt.scenario, words[o]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return o;
}

static const struct {
	const char *name;
	int (*fn)(int);
	const char *help;
} scenarios[] = {
	{ "hello", scn_hello, "TLS and hello only" },
	{ "forged-sig", scn_forged_sig, "a record with one signature bit flipped" },
	{ "other-author", scn_other_author,
	    "a record claiming --victim as author; an update of another's record (--target)" },
	{ "big-record", scn_big_record, "a signed record over the 64 KiB limit" },
	{ "unsolicited", scn_unsolicited, "records not wanted, then with no offer pending" },
	{ "oversize-frame", scn_oversize, "frame headers of max+1 and 0xFFFFFFFF bytes" },
	{ "garbage-frame", scn_garbage, "an undecodable frame; random frames" },
	{ "before-hello", scn_before_hello, "an offer before hello" },
	{ "bad-version", scn_bad_version, "hello with protocol 99" },
	{ "offer-flood", scn_offer_flood, "offers beyond flow control" },
	{ "honest", scn_honest, "N valid records (honest N)" },
	{ "unknown-type", scn_unknown_type, "a message type from a newer protocol, then an offer" },
	{ "stop-reading", scn_stop_reading, "want everything, then read nothing for N seconds" },
	{ "zero-frames", scn_zero_frames, "N empty frames, then an offer" },
	{ "truncated", scn_truncated, "a frame cut short by EOF; one left hanging" },
	{ "slow-handshake", scn_slow_handshake, "the TLS handshake one byte at a time" },
	{ "slow-drip", scn_slow_drip, "a message one byte at a time after hello" },
	{ "frame-flood", scn_frame_flood, "N pings as fast as possible, then an offer" },
	{ "want-flood", scn_want_flood, "a want for a million records; for unknown ids" },
	{ "bomb", scn_bomb, "protobuf bombs inside frames below max_frame" },
	{ "hijack", scn_hijack, "update and tombstones of another author's record (--target)" },
	{ "grab", scn_grab, "save the record --target to --record FILE" },
	{ "replay", scn_replay, "send the record in --record FILE again, offered as newer" },
	{ "equivocate", scn_equivocate, "two records, same author, id and version (--record)" },
	{ "record-bomb", scn_record_bomb, "a 64 KiB record body of 32k empty texts" },
	{ "bad-utf8", scn_bad_utf8, "signed records with invalid UTF-8 in text fields" },
	{ "outsiders", scn_outsiders, "N handshakes with a key the daemon does not pin" },
	{ "tiny-frame", scn_tiny_frame, "hello with max_frame 1024, below the protocol floor" },
	{ "want-repeat", scn_want_repeat, "a want naming one offered record N times (500)" },
	{ "push", scn_push, "pushed records: unannounced, forged, N duplicates, with an offer open" },
	{ "sybil", scn_sybil, "N made-up authors with 10 valid records each" },
	{ "forged-rotation", scn_forged_rotation,
	    "key rotations: new key's signature forged, to itself, of --victim's key" },
	{ "recon-order", scn_recon_order, "reconciliation ranges out of order" },
	{ "recon-inconsistent", scn_recon_inconsistent,
	  "fingerprints that differ at every split: bounded turns" },
	{ "recon-endless", scn_recon_endless, "splitting a listed range; turns after the end" },
	{ "recon-oversized", scn_recon_oversized, "a list over 4096 items; a turn of 3000 ranges" },
	{ "recon-unasked", scn_recon_unasked, "a reconciliation message nobody asked for" },
	{ "blob-liar", scn_blob_liar,
	  "claim every blob asked about, answer with bad chunks for N s (10)" },
	{ "blob-past-end", scn_blob_past_end, "chunks requested past the end of --root" },
	{ "blob-flood", scn_blob_flood, "chunk requests beyond the window, of --root" },
	{ "blob-ranges-liar", scn_blob_ranges_liar,
	  "claim all --chunks of every blob asked about as partial ranges, bad chunks for N s" },
	{ "blob-ranges-bad", scn_blob_ranges_bad,
	  "ranges of --root (--chunks long): N 1 past its end, 2 odd, 3 overlapping, 4 too many" },
	{ "blob-leaves-liar", scn_blob_leaves_liar,
	  "claim every blob asked about, answer with bad leaf hashes (--chunks) and chunks, N s" },
	{ "blob-leaves-bad", scn_blob_leaves_bad,
	  "leaf-block requests of --root: N 1 past its end, 2 a root of 5 bytes" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: evil_peer --data DIR --connect 127.0.0.1:PORT --id DAEMON_ID\n"
	    "                 [--victim ID] [--target RECORD_ID] [--ids FILE] [--record FILE]\n"
	    "                 [--root BLOB_ROOT] [--chunks N]\n"
	    "                 [--timeout MS] [--seed N] [-v] SCENARIO [N]\n"
	    "scenarios:\n");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(f, "  %-15s %s\n", scenarios[i].name, scenarios[i].help);
}

static int
parse_addr(const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return -EINVAL;
	memset(&opt.sa, 0, sizeof(opt.sa));
	opt.sa.sin_family = AF_INET;
	opt.sa.sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &opt.sa.sin_addr) == 1 ? 0 : -EINVAL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' }, { "connect", required_argument, NULL, 'c' },
		{ "id", required_argument, NULL, 'i' }, { "victim", required_argument, NULL, 'V' },
		{ "target", required_argument, NULL, 't' }, { "ids", required_argument, NULL, 'o' },
		{ "record", required_argument, NULL, 'r' }, { "root", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 'T' }, { "seed", required_argument, NULL, 's' },
		{ "chunks", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *data = NULL, *daemon_id = NULL, *victim_id = NULL, *why;
	char *cause = NULL;
	int ch, arg = 0, rc;

	opt.timeout_ms = 5000;
	opt.seed = (unsigned)getpid();
	opt.scenario = "evil_peer";
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'c': opt.addr = optarg; break;
		case 'i': daemon_id = optarg; break;
		case 'V': victim_id = optarg; break;
		case 'o': opt.ids_out = optarg; break;
		case 'r': opt.record_file = optarg; break;
		case 'T': opt.timeout_ms = atoi(optarg); break;
		case 'C': opt.chunks = strtoull(optarg, NULL, 10); break;
		case 's': opt.seed = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'v': opt.verbose++; break;
		case 't':
			if (hex_decode(optarg, opt.target, TESS_ID_LEN) != 0) {
				fprintf(stderr, "evil_peer: --target: expected 32 hex digits\n");
				return OUT_LOCAL;
			}
			opt.has_target = true;
			break;
		case 'R':
			if (hex_decode(optarg, opt.root, sizeof(opt.root)) != 0) {
				fprintf(stderr, "evil_peer: --root: expected 64 hex digits\n");
				return OUT_LOCAL;
			}
			opt.has_root = true;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return OUT_LOCAL;
		}
	}
	if (data == NULL || opt.addr == NULL || daemon_id == NULL || optind >= argc ||
	    optind + 2 < argc || opt.timeout_ms <= 0) {
		usage(stderr);
		return OUT_LOCAL;
	}
	opt.scenario = argv[optind];
	if (optind + 1 < argc && ((arg = atoi(argv[optind + 1])) <= 0 || arg > MAX_HONEST)) {
		fprintf(stderr, "evil_peer: N must be 1..%d\n", MAX_HONEST);
		return OUT_LOCAL;
	}
	if (parse_addr(opt.addr) != 0) {
		fprintf(stderr, "evil_peer: --connect: expected IPv4:PORT, got %s\n", opt.addr);
		return OUT_LOCAL;
	}
	if (nodeid_decode(daemon_id, opt.daemon, &why) != 0 ||
	    (victim_id != NULL && nodeid_decode(victim_id, opt.victim, &why) != 0)) {
		fprintf(stderr, "evil_peer: bad node ID: %s\n", why);
		return OUT_LOCAL;
	}
	if (victim_id == NULL)
		memcpy(opt.victim, opt.daemon, TESS_KEY_LEN);
	if (identity_load(data, &opt.me, &cause) != 0 || tls_ctx_new(opt.me, &opt.ctx, &cause) != 0) {
		fprintf(stderr, "evil_peer: %s\n", cause ? cause : "cannot load the identity");
		free(cause);
		return OUT_LOCAL;
	}
	srandom(opt.seed);
	/* Versions above any this identity used before, run after run. */
	opt.version = (uint64_t)now_ms() * 1000;
	rc = -1;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (strcmp(scenarios[i].name, opt.scenario) == 0)
			rc = scenarios[i].fn(arg > 0 ? arg : 1);
	if (rc < 0) {
		fprintf(stderr, "evil_peer: unknown scenario %s\n", opt.scenario);
		usage(stderr);
		rc = OUT_LOCAL;
	}
	tls_ctx_free(opt.ctx);
	identity_free(opt.me);
	return rc;
}

/* signrec: one validly signed record from a throwaway key, as a JSONL line
 * that `tessera import` stores verbatim (the export format). What a hostile
 * author can make: any name, any timestamp, control characters in any
 * field, and with --raw-title bytes that record_seal would never write (a
 * NUL, bytes that are not UTF-8), spliced into the signed body.
 *
 *   signrec KEYDIR [--kind K|NUMBER] [--name N] [--country C] [--languages a,b]
 *           [--lang L] [--title T] [--summary S] [--tag T]
 *           [--timestamp MS] [--raw-title HEX]
 *
 * KEYDIR holds the author's key (created on first use). Nothing is
 * validated: the point is to send what a daemon must refuse. */
#define _GNU_SOURCE     /* memmem */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "b64.h"
#include "core/identity.h"
#include "core/record.h"
#include "core/util.h"

#define SIG_CONTEXT "tessera-record-v1"   /* as record.c signs */
#define PLACEHOLDER '\x7e'

struct spec {
	int kind;
	char *name, *country, *lang, *title, *summary;
	char *langs[TESS_MAX_TEXTS], *tags[TESS_MAX_TAGS];
	size_t n_langs, n_tags;
	int64_t timestamp;
	uint8_t *raw;           /* --raw-title bytes */
	size_t raw_len;
};

static int
usage(const char *why)
{
	fprintf(stderr, "signrec: %s\nusage: signrec KEYDIR [--kind K] [--name N] "
	    "[--country C] [--languages a,b] [--lang L] [--title T] [--summary S] [--tag T] "
	    "[--timestamp MS] [--raw-title HEX]\n", why);
	return 2;
}

static int
parse(int argc, char **argv, struct spec *sp)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' }, { "name", required_argument, NULL, 'n' },
		{ "country", required_argument, NULL, 'c' },
		{ "languages", required_argument, NULL, 'L' },
		{ "lang", required_argument, NULL, 'l' }, { "title", required_argument, NULL, 't' },
		{ "summary", required_argument, NULL, 's' }, { "tag", required_argument, NULL, 'g' },
		{ "timestamp", required_argument, NULL, 'T' },
		{ "raw-title", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			/* A number: a kind newer than this version (forward compatibility). */
			sp->kind = optarg[0] >= '1' && optarg[0] <= '9' ? atoi(optarg) :
			    record_kind_parse(optarg);
			break;
		case 'n': sp->name = optarg; break;
		case 'c': sp->country = optarg; break;
		case 'l': sp->lang = optarg; break;
		case 't': sp->title = optarg; break;
		case 's': sp->summary = optarg; break;
		case 'T': sp->timestamp = strtoll(optarg, NULL, 10); break;
		case 'g':
			if (sp->n_tags < TESS_MAX_TAGS)
				sp->tags[sp->n_tags++] = optarg;
			break;
		case 'L':
			for (char *t = strtok(optarg, ","); t && sp->n_langs < TESS_MAX_TEXTS;
			    t = strtok(NULL, ","))
				sp->langs[sp->n_langs++] = t;
			break;
		case 'r':
			sp->raw_len = strlen(optarg) / 2;
			if (sp->raw_len < 8 || (sp->raw = malloc(sp->raw_len)) == NULL ||
			    hex_decode(optarg, sp->raw, sp->raw_len) != 0)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return sp->kind > 0 ? 0 : -EINVAL;
}

/* Signs r as its author would, splicing the --raw-title bytes over the
 * placeholder title of the same length first. */
static int
seal(const struct identity *me, const Tessera__Record *r, const struct spec *sp,
    uint8_t **body, size_t *len, uint8_t sig[TESS_SIG_LEN])
{
	size_t n = tessera__record__get_packed_size(r), mlen = sizeof(SIG_CONTEXT) - 1 + n;
	uint8_t *msg = malloc(mlen), *b = malloc(n), *at;
	char *ph = malloc(sp->raw_len + 1);
	int rc = -ENOMEM;

	if (msg != NULL && b != NULL && ph != NULL) {
		*len = tessera__record__pack(r, b);
		memset(ph, PLACEHOLDER, sp->raw_len);
		if (sp->raw != NULL && (at = memmem(b, *len, ph, sp->raw_len)) != NULL)
			memcpy(at, sp->raw, sp->raw_len);
		memcpy(msg, SIG_CONTEXT, sizeof(SIG_CONTEXT) - 1);
		memcpy(msg + sizeof(SIG_CONTEXT) - 1, b, *len);
		if ((rc = identity_sign(me, msg, mlen, sig)) == 0) {
			*body = b;
			b = NULL;
		}
	}
	free(msg);
	free(b);
	free(ph);
	return rc;
}

int
main(int argc, char **argv)
{
	struct spec sp = { .kind = TESSERA__KIND__KIND_INITIATIVE, .lang = "en" };
	Tessera__Record r = TESSERA__RECORD__INIT;
	Tessera__Text t = TESSERA__TEXT__INIT, *texts[1] = { &t };
	Tessera__Profile p = TESSERA__PROFILE__INIT;
	uint8_t nonce[TESS_NONCE_LEN], id[TESS_ID_LEN], sig[TESS_SIG_LEN], *body = NULL;
	struct identity *me = NULL;
	char *cause = NULL, *b64body, *b64sig, *ph = NULL;
	size_t len;

	if (argc < 2 || argv[1][0] == '-')
		return usage("KEYDIR first");
	if (parse(argc - 1, argv + 1, &sp) != 0)
		return usage("bad option");
	mkdir(argv[1], 0700);
	if (identity_load(argv[1], &me, &cause) != 0) {
		free(cause);
		cause = NULL;
		if (identity_create(argv[1], &me, &cause) != 0) {
			fprintf(stderr, "signrec: %s\n", cause ? cause : "no key");
			free(cause);
			return 1;
		}
	}
	if (record_new_id(me->pub, nonce, id) != 0)
		return 1;
	r.has_id = r.has_nonce = r.has_author = r.has_version = r.has_timestamp = r.has_kind = 1;
	r.id = (ProtobufCBinaryData){ TESS_ID_LEN, id };
	r.nonce = (ProtobufCBinaryData){ TESS_NONCE_LEN, nonce };
	r.author = (ProtobufCBinaryData){ TESS_KEY_LEN, me->pub };
	r.version = (uint64_t)now_ms() * 1000;
	r.timestamp = sp.timestamp != 0 ? sp.timestamp : now_ms();
	r.kind = (Tessera__Kind)sp.kind;
	if (sp.raw != NULL && (ph = calloc(1, sp.raw_len + 1)) != NULL)
		memset(ph, PLACEHOLDER, sp.raw_len);
	t.lang = sp.lang;
	t.title = ph != NULL ? ph : sp.title;
	t.summary = sp.summary;
	if (t.title != NULL || sp.kind != TESSERA__KIND__KIND_PROFILE) {
		r.texts = texts;
		r.n_texts = 1;
	}
	r.tags = sp.tags;
	r.n_tags = sp.n_tags;
	if (sp.kind == TESSERA__KIND__KIND_PROFILE) {
		p.name = sp.name;
		p.country = sp.country;
		p.languages = sp.langs;
		p.n_languages = sp.n_langs;
		r.profile = &p;
	}
	if (seal(me, &r, &sp, &body, &len, sig) != 0)
		return 1;
	b64body = b64_encode(body, len);
	b64sig = b64_encode(sig, TESS_SIG_LEN);
	if (b64body == NULL || b64sig == NULL)
		return 1;
	printf("{\"kind\": \"%s\", \"signed\": {\"body\": \"%s\", \"sig\": \"%s\"}}\n",
	    record_kind_name(sp.kind), b64body, b64sig);
	free(b64body);
	free(b64sig);
	free(body);
	free(ph);
	free(sp.raw);
	identity_free(me);
	return 0;
}

/* Texts tokenized ahead, and their recorded tokens (tokenizer_prep.h).
 * A token is recorded as its flags byte, then varints for its length,
 * its start and its end - start, then its bytes: about 3 bytes besides
 * the token's own for the short offsets of a text. */
#define _GNU_SOURCE   /* mremap */
#include "store/tokenizer_prep.h"

#include <errno.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How far past the next recorded text a text is looked for: a row deleted
 * between the batch and its slice takes its four columns out of step. */
#define PREP_LOOKAHEAD 16
/* The first mapping of a buffer; it doubles from there. */
#define PREP_MAP_MIN (256u << 10)

struct prep_text {
	size_t off;          /* in texts */
	int len;
	bool ok;             /* its tokens were recorded whole */
	size_t tok, tok_end; /* in toks */
};

struct tok_prep {
	unsigned char *texts;
	size_t texts_len, texts_cap;
	struct prep_text *v;
	size_t n, cap;
	unsigned char *toks;
	size_t toks_len, toks_cap;
	bool failed;         /* a token could not be recorded (out of memory) */
	size_t cur;          /* the next text expected by tok_prep_replay */
	size_t replayed;
	struct tok_sink words;
};

/* Makes room for need more elements of elem bytes in *buf (len used, *cap
 * allocated), on the heap. */
static int
grow(void *buf, size_t len, size_t *cap, size_t need, size_t elem)
{
	void **p = buf, *q;
	size_t c = *cap ? *cap : 64;

	if (need > SIZE_MAX / elem - len)
		return -ENOMEM;
	if (len + need <= *cap)
		return 0;
	while (c < len + need)
		c = c > SIZE_MAX / 4 / elem ? len + need : c * 2;
	if ((q = realloc(*p, c * elem)) == NULL)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* The same for bytes, in a mapping of their own: the token buffer grows on
 * a pool thread, and what that thread's malloc arena held at the top
 * stayed resident after the batch was freed (malloc_trim shrinks only
 * the main heap; 29 MB instead of 20 MB at rest after a 5,000-record sync,
 * e2e test_ops_idle_rss). A mapping goes back to the system when freed. */
static int
grow_mapped(unsigned char **buf, size_t len, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : PREP_MAP_MIN;
	void *q;

	if (need > SIZE_MAX / 4 - len)
		return -ENOMEM;
	if (len + need <= *cap)
		return 0;
	while (c < len + need)
		c *= 2;
	q = *buf == NULL ? mmap(NULL, c, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) :
	    mremap(*buf, *cap, c, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return -ENOMEM;
	*buf = q;
	*cap = c;
	return 0;
}

static void
unmap(void *buf, size_t cap)
{
	if (buf != NULL)
		munmap(buf, cap);
}

struct tok_prep *
tok_prep_new(void)
{
	return calloc(1, sizeof(struct tok_prep));
}

void
tok_prep_free(struct tok_prep *b)
{
	if (b == NULL)
		return;
	unmap(b->texts, b->texts_cap);
	free(b->v);
	unmap(b->toks, b->toks_cap);
	tok_sink_free(&b->words);
	free(b);
}

int
tok_prep_add(struct tok_prep *b, const char *text, int len)
{
	if (len < 0 || grow_mapped(&b->texts, b->texts_len, &b->texts_cap, (size_t)len) != 0 ||
	    grow(&b->v, b->n, &b->cap, 1, sizeof(*b->v)) != 0)
		return -ENOMEM;
	memcpy(b->texts + b->texts_len, text, (size_t)len);
	b->v[b->n++] = (struct prep_text){ .off = b->texts_len, .len = len };
	b->texts_len += (size_t)len;
	return 0;
}

size_t
tok_prep_count(const struct tok_prep *b)
{
	return b->n;
}

size_t
tok_prep_bytes(const struct tok_prep *b)
{
	return b->texts_cap + b->toks_cap + b->cap * sizeof(*b->v);
}

const char *
tok_prep_text(const struct tok_prep *b, size_t i, int *len)
{
	*len = b->v[i].len;
	return (const char *)b->texts + b->v[i].off;
}

struct tok_sink *
tok_prep_words(struct tok_prep *b)
{
	return &b->words;
}

size_t
tok_prep_replayed(const struct tok_prep *b)
{
	return b->replayed;
}

void
tok_prep_open(struct tok_prep *b, size_t i)
{
	b->failed = false;
	b->v[i].tok = b->toks_len;
}

void
tok_prep_close(struct tok_prep *b, size_t i, bool ok)
{
	b->v[i].ok = ok && !b->failed;
	b->v[i].tok_end = b->toks_len;
	if (!b->v[i].ok)   /* what was recorded of it is given back */
		b->toks_len = b->v[i].tok_end = b->v[i].tok;
}

static unsigned char *
put_varint(unsigned char *p, uint32_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static const unsigned char *
get_varint(const unsigned char *p, uint32_t *v)
{
	uint32_t x = 0;
	int shift = 0;

	do
		x |= (uint32_t)(*p & 0x7F) << shift, shift += 7;
	while (*p++ & 0x80);
	*v = x;
	return p;
}

int
tok_prep_emit(void *arg, int flags, const char *tok, int n, int start, int end)
{
	struct tok_prep *b = arg;
	unsigned char *p;

	/* The tokenizer's offsets and lengths are never negative. */
	if (b->failed || n < 0 || start < 0 || end < start ||
	    grow_mapped(&b->toks, b->toks_len, &b->toks_cap, 16 + (size_t)n) != 0) {
		b->failed = true;
		return 0;   /* the text is tokenized whole and simply not replayed */
	}
	p = b->toks + b->toks_len;
	*p++ = (unsigned char)flags;
	p = put_varint(p, (uint32_t)n);
	p = put_varint(p, (uint32_t)start);
	p = put_varint(p, (uint32_t)(end - start));
	memcpy(p, tok, (size_t)n);
	b->toks_len = (size_t)(p - b->toks) + (size_t)n;
	return 0;
}

/* Recorded text j is text[0..len). */
static bool
same_text(const struct tok_prep *b, size_t j, const char *text, int len)
{
	return b->v[j].ok && b->v[j].len == len &&
	    memcmp(b->texts + b->v[j].off, text, (size_t)len) == 0;
}

bool
tok_prep_replay(struct tok_prep *b, const char *text, int len, void *ctx,
    int (*emit)(void *, int, const char *, int, int, int), int *rc)
{
	const unsigned char *p, *end;
	size_t j;

	for (j = b->cur; j < b->n && j < b->cur + PREP_LOOKAHEAD; j++)
		if (same_text(b, j, text, len))
			break;
	if (j >= b->n || j >= b->cur + PREP_LOOKAHEAD)
		return false;
	b->cur = j + 1;
	b->replayed++;
	*rc = 0;
	p = b->toks + b->v[j].tok;
	end = b->toks + b->v[j].tok_end;
	while (p < end && *rc == 0) {
		uint32_t n, s, e;
		int flags = *p++;

		p = get_varint(p, &n);
		p = get_varint(p, &s);
		p = get_varint(p, &e);
		*rc = emit(ctx, flags, (const char *)p, (int)n, (int)s, (int)(s + e));
		p += n;
	}
	return true;
}

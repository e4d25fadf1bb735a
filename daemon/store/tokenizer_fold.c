/* Text normalisation for search: ICU's NFKC_Casefold one segment at a time
 * (so that every output byte maps back to the original text), and the
 * folds of a word that people make when they type. */
#include "store/tokenizer_fold.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>

/* A segment is a starter and the combining characters after it; longer runs
 * (a mark bomb) are cut here, which only costs them exact normalisation. */
#define SEG_MAX 32
/* NFKC expands one code unit to at most 18. */
#define SEG_OUT (SEG_MAX * 18)

int
fold_utf8_next(const unsigned char *s, int len, unsigned *cp)
{
	unsigned c = s[0], need, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		min = 0x80;
		c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		min = 0x800;
		c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		min = 0x10000;
		c &= 0x07;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	if ((int)need >= len) {
		*cp = 0xFFFD;
		return 1;
	}
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = c;
	return (int)need + 1;
}

int
fold_utf8_put(unsigned cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static int
ft_reserve(struct fold_text *ft, int more)
{
	if (ft->len + more + 1 <= ft->cap)
		return 0;
	int cap = ft->cap ? ft->cap : 256;

	while (cap < ft->len + more + 1)
		cap *= 2;
	char *out = realloc(ft->out, (size_t)cap);

	if (out == NULL)
		return -ENOMEM;
	ft->out = out;
	int *map = realloc(ft->map, (size_t)cap * sizeof(*map));

	if (map == NULL)
		return -ENOMEM;
	ft->map = map;
	ft->cap = cap;
	return 0;
}

/* Appends one code point produced by the segment starting at orig. */
static void
ft_put(struct fold_text *ft, unsigned cp, int orig)
{
	/* One spelling of Romanian: the cedilla letters become the comma ones. */
	if (cp == 0x015F)
		cp = 0x0219;
	else if (cp == 0x0163)
		cp = 0x021B;
	int n = fold_utf8_put(cp, ft->out + ft->len);

	for (int i = 0; i < n; i++)
		ft->map[ft->len + i] = orig;
	ft->len += n;
}

/* ICU's instance; it is owned by ICU and lives as long as the process.
 * Atomic: the loop and a pool thread tokenizing ahead both ask (ICU hands
 * both the same instance). */
static const UNormalizer2 *
nfkc_cf(void)
{
	static _Atomic(const UNormalizer2 *) inst;
	const UNormalizer2 *n = atomic_load_explicit(&inst, memory_order_relaxed);
	UErrorCode err = U_ZERO_ERROR;

	if (n == NULL && (n = unorm2_getNFKCCasefoldInstance(&err)) != NULL)
		atomic_store_explicit(&inst, n, memory_order_relaxed);
	return n;
}

/* Per BMP character, computed once: whether NFKC_Casefold leaves it alone
 * (most letters of a text: Cyrillic, accented Latin in NFC) and whether a
 * normalisation segment may start at it. Asking ICU for each character
 * cost a third of indexing. */
enum { CP_KNOWN = 1, CP_STABLE = 2, CP_BOUNDARY = 4 };

static unsigned
bmp_props(unsigned c)
{
	/* Filled by whichever thread asks first (the loop, or a pool thread
	 * tokenizing ahead): both compute the same byte. Relaxed atomics are
	 * plain byte loads and stores on the machines we run on. */
	static _Atomic uint8_t props[0x10000];
	UChar src[1], dst[4];
	UErrorCode err = U_ZERO_ERROR;
	int32_t nd;
	unsigned p;

	if (c >= 0x10000 || (c >= 0xD800 && c <= 0xDFFF))
		return unorm2_hasBoundaryBefore(nfkc_cf(), (UChar32)c) ? CP_BOUNDARY : 0;
	if ((p = atomic_load_explicit(&props[c], memory_order_relaxed)) & CP_KNOWN)
		return p;
	src[0] = (UChar)c;
	nd = unorm2_normalize(nfkc_cf(), src, 1, dst, 4, &err);
	p = CP_KNOWN;
	/* ş ţ and the middle dot are rewritten by ft_put and ft_catalan. */
	if (U_SUCCESS(err) && nd == 1 && dst[0] == src[0] && c != 0x015F && c != 0x0163 &&
	    c != 0xB7)
		p |= CP_STABLE;
	if (c < 0x300 || unorm2_hasBoundaryBefore(nfkc_cf(), (UChar32)c))
		p |= CP_BOUNDARY;
	atomic_store_explicit(&props[c], (uint8_t)p, memory_order_relaxed);
	return p;
}

/* Normalises one segment of cps (from the original offset orig). */
static int
ft_segment(struct fold_text *ft, const unsigned *cps, int n, int orig)
{
	UChar src[SEG_MAX * 2], dst[SEG_OUT];
	UErrorCode err = U_ZERO_ERROR;
	int32_t ns = 0, nd;

	if (n == 1 && cps[0] < 0x80) {
		unsigned c = cps[0];

		if (ft_reserve(ft, 1) != 0)
			return -ENOMEM;
		ft_put(ft, c >= 'A' && c <= 'Z' ? c + 32 : c, orig);
		return 0;
	}
	if (n == 1 && (bmp_props(cps[0]) & CP_STABLE)) {
		if (ft_reserve(ft, 3) != 0)
			return -ENOMEM;
		ft_put(ft, cps[0], orig);
		return 0;
	}
	if (nfkc_cf() == NULL)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		U16_APPEND_UNSAFE(src, ns, cps[i]);
	nd = unorm2_normalize(nfkc_cf(), src, ns, dst, SEG_OUT, &err);
	if (U_FAILURE(err)) {
		/* Cannot happen within SEG_OUT; a space keeps words apart. */
		dst[0] = ' ';
		nd = 1;
	}
	if (ft_reserve(ft, nd * 3) != 0)
		return -ENOMEM;
	for (int32_t i = 0; i < nd;) {
		UChar32 c;

		U16_NEXT(dst, i, nd, c);
		ft_put(ft, (unsigned)c, orig);
	}
	return 0;
}

static bool
is_letter_at(const struct fold_text *ft, int k)
{
	unsigned cp;

	if (k < 0 || k >= ft->len)
		return false;
	/* Back up to the start of the character ending before k + 1. */
	while (k > 0 && ((unsigned char)ft->out[k] & 0xC0) == 0x80)
		k--;
	fold_utf8_next((const unsigned char *)ft->out + k, ft->len - k, &cp);
	return u_isalpha((UChar32)cp);
}

/* Catalan l·l (the punt volat, typed also as l.l, or ŀl which NFKC makes
 * l·l): unicode61 would cut the word at the dot, so it is dropped. */
static void
ft_catalan(struct fold_text *ft)
{
	int o = 0;

	for (int i = 0; i < ft->len;) {
		int dot = 0;

		if (ft->out[i] == 'l') {
			if (i + 3 < ft->len && (unsigned char)ft->out[i + 1] == 0xC2 &&
			    (unsigned char)ft->out[i + 2] == 0xB7 && ft->out[i + 3] == 'l')
				dot = 2;
			else if (i + 2 < ft->len && ft->out[i + 1] == '.' && ft->out[i + 2] == 'l' &&
			    is_letter_at(ft, i - 1) && is_letter_at(ft, i + 3))
				dot = 1;
		}
		ft->out[o] = ft->out[i];
		ft->map[o++] = ft->map[i++];
		i += dot;
	}
	ft->map[o] = ft->map[ft->len];
	ft->len = o;
}

/* The length of the character at s[i] when NFKC_Casefold leaves it
 * alone and a normalisation segment starts after it, else 0. */
static int
stable_at(const unsigned char *s, int i, int len)
{
	unsigned cp, next;
	int n = fold_utf8_next(s + i, len - i, &cp);

	if (n < 2 || cp >= 0x10000 || !(bmp_props(cp) & CP_STABLE))
		return 0;
	if (i + n == len || s[i + n] < 0x80)
		return n;
	fold_utf8_next(s + i + n, len - i - n, &next);
	return next < 0x300 || (bmp_props(next) & CP_BOUNDARY) ? n : 0;
}

int
fold_text(struct fold_text *ft, const char *in, int len)
{
	const unsigned char *s = (const unsigned char *)in;
	unsigned seg[SEG_MAX];
	int nseg = 0, seg_at = 0;
	bool catalan = false;

	ft->len = 0;
	if (nfkc_cf() == NULL)
		return -ENOMEM;
	if (ft_reserve(ft, len + 1) != 0)
		return -ENOMEM;
	for (int i = 0; i <= len;) {
		unsigned cp = 0;
		int n = 0;

		/* A character that starts a segment ends the pending one here,
		 * so that the shortcuts below apply after it. */
		if (nseg > 0 && i < len) {
			fold_utf8_next(s + i, len - i, &cp);
			if (cp < 0x300 || (bmp_props(cp) & CP_BOUNDARY)) {
				if (ft_segment(ft, seg, nseg, seg_at) != 0)
					return -ENOMEM;
				nseg = 0;
			}
		}
		/* Plain ASCII followed by ASCII: no segment, no combining mark.
		 * A run of it at a time, lowered in place. */
		if (nseg == 0 && i + 1 < len && s[i] < 0x80 && s[i + 1] < 0x80) {
			int end = i + 1;

			while (end + 1 < len && s[end + 1] < 0x80)
				end++;
			if (ft_reserve(ft, end - i) != 0)
				return -ENOMEM;
			for (; i < end; i++) {
				unsigned char c = s[i];

				ft->map[ft->len] = i;
				ft->out[ft->len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
				/* Only "l." can start an l.l: a full stop elsewhere
				 * does not cost a second pass over the text. */
				catalan |= c == '.' && i > 0 && (s[i - 1] | 0x20) == 'l';
			}
			continue;
		}
		/* A letter NFKC_Casefold leaves alone (most of Cyrillic, accented
		 * Latin in NFC) before a boundary: its bytes as they are, without
		 * asking ICU. */
		if (nseg == 0 && s[i] >= 0x80 && (n = stable_at(s, i, len)) > 0) {
			if (ft_reserve(ft, n) != 0)
				return -ENOMEM;
			memcpy(ft->out + ft->len, s + i, (size_t)n);
			for (int k = 0; k < n; k++)
				ft->map[ft->len + k] = i;
			ft->len += n;
			i += n;
			continue;
		}

		if (i < len) {
			n = fold_utf8_next(s + i, len - i, &cp);
			if (cp == 0xFFFD && n == 1)
				cp = ' ';
		}
		/* A segment ends before the next starter, at the end, or when full. */
		if (nseg > 0 && (i == len || nseg == SEG_MAX || cp < 0x300 ||
		    (bmp_props(cp) & CP_BOUNDARY))) {
			if (ft_segment(ft, seg, nseg, seg_at) != 0)
				return -ENOMEM;
			nseg = 0;
		}
		if (i == len)
			break;
		if (nseg == 0)
			seg_at = i;
		seg[nseg++] = cp;
		catalan |= cp == 0xB7 || cp == 0x140 ||
		    (cp == '.' && i > 0 && (s[i - 1] | 0x20) == 'l');
		i += n;
	}
	ft->map[ft->len] = len;
	ft->out[ft->len] = '\0';
	if (catalan)
		ft_catalan(ft);
	ft->out[ft->len] = '\0';
	return 0;
}

void
fold_text_free(struct fold_text *ft)
{
	free(ft->out);
	free(ft->map);
	memset(ft, 0, sizeof(*ft));
}

/* Letters without a canonical decomposition, spelled as typed. */
static const char *
fold_special(unsigned cp)
{
	switch (cp) {
	case 0x0142: return "l";   /* ł */
	case 0x00F8: return "o";   /* ø */
	case 0x0111: return "d";   /* đ */
	case 0x00F0: return "d";   /* ð */
	case 0x00E6: return "ae";  /* æ */
	case 0x0153: return "oe";  /* œ */
	case 0x00FE: return "th";  /* þ */
	case 0x0131: return "i";   /* dotless ı */
	case 0x0127: return "h";   /* ħ */
	case 0x0167: return "t";   /* ŧ */
	case 0x0140: return "l";   /* ŀ */
	default: return NULL;
	}
}

int
fold_word(const char *w, int len, char *out, int cap)
{
	static const UNormalizer2 *nfd;
	UErrorCode err = U_ZERO_ERROR;
	const unsigned char *s = (const unsigned char *)w;
	int o = 0;

	if (nfd == NULL && (nfd = unorm2_getNFDInstance(&err)) == NULL)
		return -1;
	for (int i = 0; i < len;) {
		unsigned cp;
		int n = fold_utf8_next(s + i, len - i, &cp);
		const char *sp;
		UChar dec[8];
		int32_t nd;

		i += n;
		if (cp < 0x80) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)cp;
			continue;
		}
		if ((sp = fold_special(cp)) != NULL) {
			int sl = (int)strlen(sp);

			if (o + sl >= cap)
				return -1;
			memcpy(out + o, sp, (size_t)sl);
			o += sl;
			continue;
		}
		err = U_ZERO_ERROR;
		nd = unorm2_getDecomposition(nfd, (UChar32)cp, dec, 8, &err);
		if (nd <= 0 || U_FAILURE(err)) {
			if (u_charType((UChar32)cp) == U_NON_SPACING_MARK)
				continue;
			if (o + 4 >= cap)
				return -1;
			o += fold_utf8_put(cp, out + o);
			continue;
		}
		/* Keep the base letters, drop the marks: ё е, й и, ő o, ș s. */
		for (int32_t k = 0; k < nd;) {
			UChar32 c;

			U16_NEXT(dec, k, nd, c);
			if (u_charType(c) == U_NON_SPACING_MARK)
				continue;
			if (o + 4 >= cap)
				return -1;
			o += fold_utf8_put((unsigned)c, out + o);
		}
	}
	out[o] = '\0';
	return o;
}

void
fold_romanian_cedilla(char *w, int len)
{
	unsigned char *s = (unsigned char *)w;

	for (int i = 0; i + 1 < len; i++) {
		if (s[i] == 0xC8 && s[i + 1] == 0x99) {          /* ș -> ş */
			s[i] = 0xC5;
			s[i + 1] = 0x9F;
		} else if (s[i] == 0xC8 && s[i + 1] == 0x9B) {   /* ț -> ţ */
			s[i] = 0xC5;
			s[i + 1] = 0xA3;
		}
	}
}

/* Community names compared as a reader sees them (see names.h), with ICU. */
#include "core/names.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

static USpoofChecker *spoof;
static const UNormalizer2 *nfkc_cf;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Opened once for the process: both are read-only afterwards and ICU
 * allows their use from several threads. */
static void
names_init(void)
{
	UErrorCode err = U_ZERO_ERROR;

	nfkc_cf = unorm2_getNFKCCasefoldInstance(&err);
	if (U_FAILURE(err))
		nfkc_cf = NULL;
	err = U_ZERO_ERROR;
	spoof = uspoof_open(&err);
	if (U_FAILURE(err))
		spoof = NULL;
}

/* Runs one ICU transform from src into a new buffer, sized by a first try
 * and grown once to the length ICU asks for. */
typedef int32_t (*transform_fn)(const UChar *src, int32_t len, UChar *dst, int32_t cap,
    UErrorCode *err);

static int32_t
nfkc_run(const UChar *src, int32_t len, UChar *dst, int32_t cap, UErrorCode *err)
{
	return unorm2_normalize(nfkc_cf, src, len, dst, cap, err);
}

static int32_t
skeleton_run(const UChar *src, int32_t len, UChar *dst, int32_t cap, UErrorCode *err)
{
	return uspoof_getSkeleton(spoof, 0, src, len, dst, cap, err);
}

static UChar *
transform(transform_fn fn, const UChar *src, int32_t len, int32_t *outlen)
{
	int32_t cap = len * 2 + 16, n;
	UErrorCode err = U_ZERO_ERROR;
	UChar *dst = malloc((size_t)cap * sizeof(UChar));

	if (dst == NULL)
		return NULL;
	n = fn(src, len, dst, cap, &err);
	if (err == U_BUFFER_OVERFLOW_ERROR) {
		free(dst);
		cap = n + 1;
		if ((dst = malloc((size_t)cap * sizeof(UChar))) == NULL)
			return NULL;
		err = U_ZERO_ERROR;
		n = fn(src, len, dst, cap, &err);
	}
	if (U_FAILURE(err)) {
		free(dst);
		return NULL;
	}
	*outlen = n;
	return dst;
}

/* Drops what a reader cannot see (controls, default-ignorable code points:
 * zero-width characters, bidi controls, soft hyphens) and turns every run
 * of white space into one space, none at the ends. In place. */
static int32_t
strip_invisible(UChar *s, int32_t len)
{
	int32_t i = 0, o = 0;
	int space = 0;

	while (i < len) {
		UChar32 c;

		U16_NEXT(s, i, len, c);
		if (u_iscntrl(c) || u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
			continue;
		if (u_isUWhiteSpace(c)) {
			space = o > 0;
			continue;
		}
		if (space)
			s[o++] = ' ';
		space = 0;
		U16_APPEND_UNSAFE(s, o, c);
	}
	return o;
}

char *
names_key(const char *name)
{
	UErrorCode err = U_ZERO_ERROR;
	UChar *u, *folded, *skel, *key;
	int32_t len, n;
	char *out = NULL;

	pthread_once(&once, names_init);
	if (nfkc_cf == NULL || spoof == NULL || name == NULL)
		return NULL;
	u_strFromUTF8(NULL, 0, &len, name, -1, &err);
	if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
		return NULL;
	if ((u = malloc(((size_t)len + 1) * sizeof(UChar))) == NULL)
		return NULL;
	err = U_ZERO_ERROR;
	u_strFromUTF8(u, len + 1, &len, name, -1, &err);
	if (U_FAILURE(err)) {
		free(u);
		return NULL;
	}
	len = strip_invisible(u, len);
	/* Folding first, so that the skeleton sees one form per letter; and
	 * again after, as skeletons are in NFD and may bring back case. */
	folded = transform(nfkc_run, u, len, &n);
	skel = folded != NULL ? transform(skeleton_run, folded, n, &n) : NULL;
	key = skel != NULL ? transform(nfkc_run, skel, n, &n) : NULL;
	if (key != NULL) {
		n = strip_invisible(key, n);
		err = U_ZERO_ERROR;
		u_strToUTF8(NULL, 0, &len, key, n, &err);
		if ((err == U_BUFFER_OVERFLOW_ERROR || U_SUCCESS(err)) &&
		    (out = malloc((size_t)len + 1)) != NULL) {
			err = U_ZERO_ERROR;
			u_strToUTF8(out, len + 1, NULL, key, n, &err);
			if (U_FAILURE(err)) {
				free(out);
				out = NULL;
			}
		}
	}
	free(u);
	free(folded);
	free(skel);
	free(key);
	return out;
}

struct keyed {
	const char *key;
	size_t i;
};

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

int
names_alike(char *const *keys, size_t n, size_t *alike)
{
	struct keyed *k = calloc(n + 1, sizeof(*k));
	size_t m = 0;

	if (k == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		alike[i] = NAMES_NONE;
		if (keys[i] != NULL && keys[i][0] != '\0')
			k[m++] = (struct keyed){ keys[i], i };
	}
	/* Sorted by key, then by position: each run of one key is a group,
	 * whose first member is everyone else's look-alike. */
	qsort(k, m, sizeof(*k), keyed_cmp);
	for (size_t a = 0, b; a < m; a = b) {
		for (b = a + 1; b < m && strcmp(k[a].key, k[b].key) == 0; b++)
			alike[k[b].i] = k[a].i;
		if (b - a > 1)
			alike[k[a].i] = k[a + 1].i;
	}
	free(k);
	return 0;
}

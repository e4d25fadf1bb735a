/* gettext .mo catalogues, read without libintl (see web_i18n.h). */
#include "web/web_i18n.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define MO_MAGIC 0x950412deU
#define MO_MAGIC_SWAPPED 0xde120495U

const struct i18n_lang i18n_langs[] = {
	{ "en", "English" },
	{ "pt", "Português" },
	{ "hu", "Magyar" },
	{ "ro", "Română" },
};
const size_t i18n_nlangs = sizeof(i18n_langs) / sizeof(i18n_langs[0]);

struct i18n_pair {
	const char *id, *str;
};

struct i18n {
	uint8_t *data;                 /* the file, every string points into it */
	struct i18n_pair *pairs;       /* sorted by id (msgfmt sorts them) */
	size_t n;
};

static uint32_t
word(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* The string at table entry i: NUL-terminated inside the image, or NULL. */
static const char *
entry(const uint8_t *d, size_t len, uint32_t table, uint32_t i, bool swap)
{
	uint64_t at = (uint64_t)table + (uint64_t)i * 8;
	uint32_t slen, off;

	if (at + 8 > len)
		return NULL;
	slen = word(d + at, swap);
	off = word(d + at + 4, swap);
	if ((uint64_t)off + slen >= len || d[(uint64_t)off + slen] != '\0')
		return NULL;
	return (const char *)d + off;
}

/* The printf conversions of s in order ("%s%u"), at most outsz - 1 bytes;
 * false when there are more than fit. */
static bool
conversions(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *s; s++) {
		if (*s != '%')
			continue;
		s++;
		if (*s == '%')
			continue;
		while (*s != '\0' && strchr("0123456789.-+ #'lhzjt", *s) != NULL)
			s++;
		if (*s == '\0' || o + 2 >= outsz)
			return false;
		out[o++] = '%';
		out[o++] = *s;
	}
	out[o] = '\0';
	return true;
}

static bool
same_format(const char *id, const char *str)
{
	char a[64], b[64];

	return conversions(id, a, sizeof(a)) && conversions(str, b, sizeof(b)) &&
	    strcmp(a, b) == 0;
}

int
i18n_parse(const uint8_t *data, size_t len, struct i18n **out, const char **why)
{
	struct i18n *c;
	uint32_t magic, n, orig, trans;
	bool swap;

	*out = NULL;
	if (len < 20 || len > I18N_MAX_BYTES) {
		*why = len < 20 ? "too short for a .mo file" : "larger than 1 MiB";
		return -EINVAL;
	}
	memcpy(&magic, data, 4);
	if (magic != MO_MAGIC && magic != MO_MAGIC_SWAPPED) {
		*why = "not a .mo file (bad magic)";
		return -EINVAL;
	}
	swap = magic == MO_MAGIC_SWAPPED;
	if (word(data + 4, swap) >> 16 != 0) {
		*why = "unknown .mo major revision";
		return -EINVAL;
	}
	n = word(data + 8, swap);
	orig = word(data + 12, swap);
	trans = word(data + 16, swap);
	if ((uint64_t)n * 8 > len) {
		*why = "string count beyond the file";
		return -EINVAL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->data = malloc(len + 1)) == NULL ||
	    (c->pairs = calloc(n ? n : 1, sizeof(*c->pairs))) == NULL) {
		i18n_free(c);
		*why = "out of memory";
		return -ENOMEM;
	}
	memcpy(c->data, data, len);
	c->data[len] = '\0';
	for (uint32_t i = 0; i < n; i++) {
		const char *id = entry(c->data, len, orig, i, swap);
		const char *str = entry(c->data, len, trans, i, swap);

		if (id == NULL || str == NULL) {
			i18n_free(c);
			*why = "string table points outside the file";
			return -EINVAL;
		}
		if (c->n > 0 && strcmp(c->pairs[c->n - 1].id, id) >= 0) {
			i18n_free(c);
			*why = "messages not sorted";
			return -EINVAL;
		}
		/* The header (empty msgid), untranslated and mismatched entries
		 * fall back to the msgid. */
		if (*id == '\0' || *str == '\0' || !same_format(id, str))
			continue;
		c->pairs[c->n++] = (struct i18n_pair){ id, str };
	}
	*out = c;
	return 0;
}

int
i18n_load(const char *dir, const char *lang, struct i18n **out, char **cause)
{
	char *path;
	uint8_t *buf = NULL;
	size_t len = 0;
	const char *why;
	FILE *f;
	int rc;

	*out = NULL;
	if ((path = strfmt("%s/%s/LC_MESSAGES/%s.mo", dir, lang, I18N_DOMAIN)) == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	if ((f = fopen(path, "rbe")) == NULL) {
		rc = set_cause(cause, -errno, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	if ((buf = malloc(I18N_MAX_BYTES + 1)) != NULL)
		len = fread(buf, 1, I18N_MAX_BYTES + 1, f);
	if (buf == NULL)
		rc = set_cause(cause, -ENOMEM, "out of memory");
	else if (ferror(f))
		rc = set_cause(cause, -EIO, "%s: read error", path);
	else if ((rc = i18n_parse(buf, len, out, &why)) != 0)
		set_cause(cause, rc, "%s: %s", path, why);
	fclose(f);
	free(buf);
	free(path);
	return rc;
}

static int
cmp_pair(const void *key, const void *elem)
{
	return strcmp(key, ((const struct i18n_pair *)elem)->id);
}

const char *
i18n_get(const struct i18n *c, const char *msgid)
{
	const struct i18n_pair *p;

	if (c == NULL || c->n == 0)
		return msgid;
	p = bsearch(msgid, c->pairs, c->n, sizeof(*c->pairs), cmp_pair);
	return p != NULL ? p->str : msgid;
}

size_t
i18n_count(const struct i18n *c)
{
	return c != NULL ? c->n : 0;
}

void
i18n_free(struct i18n *c)
{
	if (c == NULL)
		return;
	free(c->data);
	free(c->pairs);
	free(c);
}

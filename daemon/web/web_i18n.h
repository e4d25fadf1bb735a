/* The web view's translations: gettext catalogues (.mo, compiled by msgfmt
 * from po/LANG.po at build time) read into memory once and looked up per
 * request.
 *
 * We read the .mo files ourselves instead of calling gettext(3): libintl
 * picks the language from the process locale and LANGUAGE, which is one
 * global setting, while every request may want another language; and a
 * daemon should not need the locales of its visitors generated on the
 * machine. The file format is gettext's, so translators keep their tools. */
#ifndef WEB_I18N_H
#define WEB_I18N_H

#include <stddef.h>
#include <stdint.h>

/* Marks a string for xgettext (keyword N_) without translating it here. */
#define N_(s) (s)

#define I18N_DOMAIN "tessera-web"
/* Largest catalogue read (a real one is a few KiB). */
#define I18N_MAX_BYTES (1024 * 1024)

struct i18n;

/* Parses a .mo image (len bytes; copied). A translation whose printf
 * conversions differ from its msgid's is dropped (the msgid is used), so a
 * broken catalogue cannot turn into a format-string bug. Returns 0, -ENOMEM
 * or -EINVAL with *why set (static). */
int i18n_parse(const uint8_t *data, size_t len, struct i18n **out, const char **why);
/* Reads DIR/LANG/LC_MESSAGES/tessera-web.mo. *cause on failure. */
int i18n_load(const char *dir, const char *lang, struct i18n **out, char **cause);
/* The translation of msgid, or msgid itself (also when c is NULL). */
const char *i18n_get(const struct i18n *c, const char *msgid);
/* How many usable translations c holds. */
size_t i18n_count(const struct i18n *c);
void i18n_free(struct i18n *c);

/* The interface languages: lowercase primary tag and own name. Index 0,
 * English, is the source language and needs no catalogue. */
struct i18n_lang {
	const char *tag;
	const char *name;
};
extern const struct i18n_lang i18n_langs[];
extern const size_t i18n_nlangs;

#endif

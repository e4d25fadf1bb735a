/* Publishing our own records: create, edit, delete, profile. Each builds a
 * Record, signs it and stores it in its own transaction unless the caller
 * holds one. */
#ifndef PUBLISH_H
#define PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "record.pb-c.h"
#include "core/tessera.h"

/* Content of a new record or of an edit. NULL/unset fields keep their value
 * on edit. */
struct publish_fields {
	int kind;
	const char *lang, *title, *summary, *body;
	int set_tags;
	char **tags;
	size_t n_tags;
	int set_links;
	Tessera__Link **links;
	size_t n_links;
	/* Adoptions. On add: the source (both required) and via (may be NULL).
	 * On add and edit: status (0 keeps) and dates and outcome (NULL keeps,
	 * "" clears). */
	const uint8_t *source_id, *source_author, *via;
	int status;
	const char *started, *ended, *outcome;
	/* Attachments added (replacing any of the same name), then removed
	 * by name. */
	Tessera__Attachment **attach;
	size_t n_attach;
	char **detach;
	size_t n_detach;
};

/* Signs tmpl (content only: kind, texts, tags, links, profile) as a new
 * record, or as a new version of id when id is not NULL. *out_id gets the id. */
int publish_record(struct store *st, const struct identity *me, const Tessera__Record *tmpl,
    const uint8_t *id, uint8_t out_id[TESS_ID_LEN], char **cause);
/* A new record from fields. */
int publish_add(struct store *st, const struct identity *me, const struct publish_fields *f,
    uint8_t out_id[TESS_ID_LEN], char **cause);
/* A new version of our record id with fields changed. -EPERM if not ours. */
int publish_edit(struct store *st, const struct identity *me, const uint8_t id[TESS_ID_LEN],
    const struct publish_fields *f, char **cause);
/* A signed tombstone for our record id. */
int publish_delete(struct store *st, const struct identity *me, const uint8_t id[TESS_ID_LEN],
    char **cause);
/* Loads and verifies a stored record: *out freed with record_free. */
int publish_load(struct store *st, const uint8_t id[TESS_ID_LEN], Tessera__Record **out,
    char **cause);
/* The profile record id of author me (stored in meta), or -ENOENT. */
int publish_profile_id(struct store *st, uint8_t id[TESS_ID_LEN]);
/* Creates or updates our profile from a template carrying profile + texts. */
int publish_profile(struct store *st, const struct identity *me, const Tessera__Record *tmpl,
    char **cause);
/* Caches our profile's id, name and languages in the store's metadata. */
int publish_profile_meta(struct store *st, const Tessera__Record *r);
/* Compares two records' content (kind, texts, tags, links, profile, deleted). */
int publish_same_content(const Tessera__Record *a, const Tessera__Record *b);

#endif

/* A minimal JSON reader for the search tests: enough for the import format,
 * and record templates built from one parsed line. */
#ifndef SEARCHJSON_H
#define SEARCHJSON_H

#include <stddef.h>

#include "core/record.h"

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	char *str;
	size_t n;
	char **keys;
	struct jval *items;
};

/* Storage for a record template built from one JSON line. */
struct searchjson_tmpl {
	Tessera__Record r;
	Tessera__Text *text, **texts;
	Tessera__Link *link, **links;
	Tessera__Profile profile;
	char **tags, **langs;
};

/* Parses one JSON value at *p, advancing *p; returns 0 or -1. */
int searchjson_value(const char **p, struct jval *v);
/* Frees what v holds and zeroes it. */
void searchjson_free(struct jval *v);
/* Builds a record template from one parsed import line. */
void searchjson_tmpl_build(struct searchjson_tmpl *t, const struct jval *line);
/* Frees the storage of a template (not the strings, owned by the JSON). */
void searchjson_tmpl_free(struct searchjson_tmpl *t);

#endif

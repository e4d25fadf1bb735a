/* A lineage tree drawn as SVG, for `tessera lineage --svg` and any page
 * that shows a practice's spread. Pure: no I/O, no clock. */
#ifndef LINEAGE_SVG_H
#define LINEAGE_SVG_H

#include <stddef.h>

struct lineage;

/* Renders l as a standalone SVG document: one row per record, indented by
 * depth, each under the one it was learned from. No script, no style
 * element, no external reference; every text from a record is escaped for
 * XML, and control, bidi and zero-width characters (which could hide or
 * reorder what is shown) are left out, as are bytes that are not UTF-8
 * (drawn as U+FFFD). *out (malloc'd, NUL-terminated) holds *len bytes.
 * Returns 0 or -ENOMEM. */
int lineage_svg(const struct lineage *l, char **out, size_t *len);

#endif

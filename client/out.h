/* Human output: table cells measured in code points, times, sizes. */
#ifndef OUT_H
#define OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "record.pb-c.h"

#define OUT_GAP "  "            /* between table columns */
#define OUT_ID_WIDTH 12         /* hex digits of a record ID in tables */

/* Width of s in columns: one per code point (wide scripts are rare enough in
 * titles that counting code points keeps tables aligned in practice), the
 * length of its escape for one shown escaped. */
size_t out_width(const char *s);
/* Prints s in a cell of width columns: control, bidi and invisible
 * characters are shown escaped ("\x1b", "\u202e", core/textsafe.h) and
 * longer text is cut between code points, ending in "…". The cell is padded
 * with spaces unless it is the last on its line. */
void out_cell(FILE *f, const char *s, size_t width, int last);
/* Prints s uncut, with the same characters escaped. */
void out_plain(FILE *f, const char *s);
/* Prints multi-line text, each line indented and word-wrapped at width
 * columns (tabs count as spaces), ending with a newline. */
void out_block(FILE *f, const char *s, const char *indent, size_t width);

/* "2024-05-01 12:34" (UTC), "-" for 0. */
void out_date(int64_t ms, char buf[32]);
/* "1.5 MiB" */
void out_size(uint64_t bytes, char buf[32]);
/* "3d 4h", "2h 5m", "42s" */
void out_duration(int64_t ms, char buf[32]);
/* Comma-separated list, cut to fit buf. */
void out_join(char **v, size_t n, char *buf, size_t size);
/* The record's languages, comma-separated. */
void out_langs(const Tessera__Record *r, char *buf, size_t size);
/* The title to show: the text in lang if any, else the first one, else the
 * profile name, else "". */
const char *out_title(const Tessera__Record *r, const char *lang);

#endif

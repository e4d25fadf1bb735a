/* The configuration tests' fixture: a temporary directory per test and a
 * tesserad.conf in it, written and loaded. */
#ifndef CONFFIX_H
#define CONFFIX_H

#include <limits.h>
#include <stddef.h>

#include "core/config.h"

#define CONFFIX_EXAMPLE TESSERA_TESTS_DIR "/../conf/tesserad.conf.example"

extern char conffix_dir[PATH_MAX];        /* realpath of this test's directory */
extern char conffix_path[PATH_MAX + 32];  /* conffix_dir/tesserad.conf */

/* cmocka setup and teardown: make and remove conffix_dir. */
int conffix_setup(void **state);
int conffix_teardown(void **state);
/* Writes len bytes to path (fails the test on error). */
void conffix_write(const char *path, const void *data, size_t len);
/* Writes text to conffix_path and loads it. */
int conffix_load(const char *text, struct config **c, char **cause);
/* Loads text and fails the test when it does not load. */
struct config *conffix_load_ok(const char *text);
/* Loads text, expects -EINVAL and the cause "conffix_path:" want. */
void conffix_expect_error(const char *text, const char *want);
/* The built-in defaults of the keys every configuration has. */
void conffix_assert_defaults(const struct config *c);

#endif

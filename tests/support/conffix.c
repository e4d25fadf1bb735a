/* The configuration tests' fixture (conffix.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conffix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

char conffix_dir[PATH_MAX];
char conffix_path[PATH_MAX + 32];

void
conffix_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

int
conffix_load(const char *text, struct config **c, char **cause)
{
	conffix_write(conffix_path, text, strlen(text));
	return config_load(conffix_path, c, cause);
}

struct config *
conffix_load_ok(const char *text)
{
	struct config *c = NULL;
	char *cause = NULL;
	int rc = conffix_load(text, &c, &cause);

	if (rc != 0)
		fail_msg("config_load: %s", cause);
	assert_non_null(c);
	return c;
}

void
conffix_expect_error(const char *text, const char *want)
{
	struct config *c = (struct config *)1;
	char *cause = NULL, *full = strfmt("%s:%s", conffix_path, want);

	assert_int_equal(conffix_load(text, &c, &cause), -EINVAL);
	assert_null(c);
	assert_non_null(cause);
	assert_string_equal(cause, full);
	free(cause);
	free(full);
}

void
conffix_assert_defaults(const struct config *c)
{
	assert_string_equal(c->data_dir, "/var/lib/tessera");
	assert_string_equal(c->control_socket, "/run/tessera/tesserad.sock");
	assert_int_equal(c->max_frame, 1024 * 1024);
	assert_int_equal(c->max_records_per_author, 100000);
	assert_int_equal(c->max_batch, 512);
	assert_int_equal(c->max_inflight_wants, 4096);
	assert_int_equal(c->send_soft_limit, 4 * 1024 * 1024);
	assert_int_equal(c->send_hard_limit, 16 * 1024 * 1024);
	assert_int_equal(c->handshake_timeout_ms, 10000);
	assert_int_equal(c->idle_timeout_ms, 120000);
	assert_int_equal(c->keepalive_ms, 30000);
	assert_int_equal(c->backoff_min_ms, 500);
	assert_int_equal(c->backoff_max_ms, 60000);
	assert_int_equal(c->peer_rate_limit, 2000);
	assert_int_equal(c->max_unauthenticated, 256);
	assert_int_equal(c->max_unauthenticated_per_address, 8);
	assert_int_equal(c->first_byte_timeout_ms, 2000);
}

int
conffix_setup(void **state)
{
	char tmpl[] = "/tmp/tessera-config-XXXXXX";

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, conffix_dir) == NULL)
		return -1;
	snprintf(conffix_path, sizeof(conffix_path), "%s/tesserad.conf", conffix_dir);
	return 0;
}

int
conffix_teardown(void **state)
{
	char *cmd = strfmt("rm -rf '%s'", conffix_dir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}


/* Config: defaults, paths, endpoints, peers, and every error with its file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffix.h"
#include "core/config.h"
#include "core/nodeid.h"
#include "core/util.h"

#define EXAMPLE CONFFIX_EXAMPLE
#define ID_A "EKAHYHE-IWDCOSY-53JOMOA-NCJH3C5-FBJJ6JE-66MGMCJ-ZODBK3R-QGG5JQ7"
#define ID_B "7MTQKSB-QSX4D2Z-DB4IAZK-5VUOVQ5-26VMNCR-3QSRMNA-HJSOSY7-6F2KEQ7"
/* ID_A with its first character mistyped. */
#define ID_TYPO "FKAHYHE-IWDCOSY-53JOMOA-NCJH3C5-FBJJ6JE-66MGMCJ-ZODBK3R-QGG5JQ7"

static void
test_example(void **state)
{
	struct config *c = NULL;
	char *cause = NULL;

	if (config_load(EXAMPLE, &c, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(c->path, EXAMPLE);
	assert_true(c->data_dir[0] == '/');
	assert_true(c->control_socket[0] == '/');
	conffix_assert_defaults(c);
	assert_int_equal(c->n_listen, 0);
	assert_int_equal(c->n_peers, 0);
	config_free(c);
}

/* Every "#key = value" line of the example, enabled, gives the defaults it claims. */
static void
test_example_enabled(void **state)
{
	FILE *in = fopen(EXAMPLE, "r"), *out = fopen(conffix_path, "w");
	char line[512];
	struct config *c = NULL;
	char *cause = NULL;
	uint8_t key[TESS_KEY_LEN];

	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		int setting = line[0] == '#' && (line[1] == '[' || (line[1] >= 'a' &&
		    line[1] <= 'z'));

		fputs(setting ? line + 1 : line, out);
	}
	fclose(in);
	fclose(out);
	if (config_load(conffix_path, &c, &cause) != 0)
		fail_msg("%s", cause);
	conffix_assert_defaults(c);
	assert_int_equal(c->n_listen, 2);
	assert_string_equal(c->listen[0].host, "0.0.0.0");
	assert_int_equal(c->listen[0].port, 7070);
	assert_string_equal(c->listen[1].host, "::");
	assert_int_equal(c->n_peers, 2);
	assert_string_equal(c->peers[0].name, "wales");
	assert_string_equal(c->peers[0].address, "wales.example.org:7070");
	assert_string_equal(c->peers[0].ep.host, "wales.example.org");
	assert_int_equal(c->peers[0].ep.port, 7070);
	assert_string_equal(c->peers[1].name, "evora");
	assert_null(c->peers[1].address);
	assert_null(c->peers[1].ep.host);
	assert_int_equal(nodeid_decode(ID_B, key, NULL), 0);
	assert_ptr_equal(config_find_peer(c, key), &c->peers[1]);
	config_free(c);
}

static void
test_defaults(void **state)
{
	struct config *c = conffix_load_ok("");

	conffix_assert_defaults(c);
	assert_string_equal(c->path, conffix_path);
	assert_int_equal(c->n_listen, 0);
	assert_null(c->listen);
	assert_int_equal(c->n_peers, 0);
	config_free(c);

	c = conffix_load_ok("# only comments\n; and sections\n[node]\n\n[limits]\n");
	conffix_assert_defaults(c);
	config_free(c);
}

static void
test_relative_paths(void **state)
{
	struct config *c = conffix_load_ok("[node]\ndata = state\ncontrol_socket = ./run/t.sock\n");
	char *want = strfmt("%s/state", conffix_dir), *cwd = getcwd(NULL, 0);

	assert_string_equal(c->data_dir, want);
	free(want);
	want = strfmt("%s/./run/t.sock", conffix_dir);
	assert_string_equal(c->control_socket, want);
	free(want);
	config_free(c);

	/* A config named relative to the working directory still yields absolute paths. */
	assert_non_null(cwd);
	assert_int_equal(chdir(conffix_dir), 0);
	assert_int_equal(config_load("tesserad.conf", &c, NULL), 0);
	assert_int_equal(chdir(cwd), 0);
	want = strfmt("%s/state", conffix_dir);
	assert_string_equal(c->data_dir, want);
	assert_string_equal(c->path, "tesserad.conf");
	free(want);
	free(cwd);
	config_free(c);

	c = conffix_load_ok("[node]\ndata = /srv/tessera\n");
	assert_string_equal(c->data_dir, "/srv/tessera");
	config_free(c);
}

static void
test_units(void **state)
{
	struct config *c = conffix_load_ok(
	    "[limits]\n"
	    "max_frame = 65K\n"
	    "send_soft_limit = 65536\n"
	    "send_hard_limit = 1G\n"
	    "max_batch = 4096\n"
	    "max_records_per_author = 1\n"
	    "handshake_timeout = 100ms\n"
	    "idle_timeout = 1h\n"
	    "keepalive = 2m\n"
	    "backoff_min = 250\n"
	    "backoff_max = 10S\n"
	    "peer_rate_limit = 1000000\n");

	assert_int_equal(c->max_frame, 65 * 1024);
	assert_int_equal(c->send_soft_limit, 65536);
	assert_int_equal(c->send_hard_limit, 1024 * 1024 * 1024);
	assert_int_equal(c->max_batch, 4096);
	assert_int_equal(c->max_records_per_author, 1);
	assert_int_equal(c->handshake_timeout_ms, 100);
	assert_int_equal(c->idle_timeout_ms, 3600000);
	assert_int_equal(c->keepalive_ms, 120000);
	assert_int_equal(c->backoff_min_ms, 250);
	assert_int_equal(c->backoff_max_ms, 10000);
	assert_int_equal(c->peer_rate_limit, 1000000);
	config_free(c);

	/* Equal soft and hard limits, and equal backoffs, are allowed. */
	c = conffix_load_ok("[limits]\nsend_soft_limit = 4M\nsend_hard_limit = 4M\n"
	    "backoff_min = 1s\nbackoff_max = 1000ms\n");
	assert_int_equal(c->send_hard_limit, c->send_soft_limit);
	config_free(c);
}

static void
test_listen(void **state)
{
	struct config *c = conffix_load_ok(
	    "[node]\n"
	    "listen = 127.0.0.1:7070, [::1]:7071 ,node.example.org:7072\n"
	    "listen = [fe80::1%eth0]:7073\n"
	    "listen: 0.0.0.0:65535 ; inline comment\n");

	assert_int_equal(c->n_listen, 5);
	assert_string_equal(c->listen[0].host, "127.0.0.1");
	assert_int_equal(c->listen[0].port, 7070);
	assert_string_equal(c->listen[1].host, "::1");
	assert_int_equal(c->listen[1].port, 7071);
	assert_string_equal(c->listen[2].host, "node.example.org");
	assert_int_equal(c->listen[2].port, 7072);
	assert_string_equal(c->listen[3].host, "fe80::1%eth0");
	assert_int_equal(c->listen[3].port, 7073);
	assert_string_equal(c->listen[4].host, "0.0.0.0");
	assert_int_equal(c->listen[4].port, 65535);
	config_free(c);
}

static void
test_parse_endpoint(void **state)
{
	static const struct {
		const char *text, *host;
		int port;
	} good[] = {
		{ "127.0.0.1:7070", "127.0.0.1", 7070 },
		{ "[::1]:1", "::1", 1 },
		{ "[2001:db8::7]:65535", "2001:db8::7", 65535 },
		{ "localhost:80", "localhost", 80 },
		{ "a-b_c.example:443", "a-b_c.example", 443 },
	};
	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", ":7070", "[::1]", "[::1]7070", "[::1:7070",
		"::1:7070", "[]:7070", "[1.2.3.4]:80", "[zz::1]:80", "host:0", "host:65536",
		"host:99999999999999999999", "host:-1", "host:+80", "host:80x", "ho st:80",
		"host :80", "host: 80",
	};
	struct endpoint ep;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&ep, 0, sizeof(ep));
		assert_int_equal(config_parse_endpoint(good[i].text, &ep), 0);
		assert_string_equal(ep.host, good[i].host);
		assert_int_equal(ep.port, good[i].port);
		free(ep.host);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&ep, 0, sizeof(ep));
		if (config_parse_endpoint(bad[i], &ep) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_null(ep.host);
	}
}

static void
test_peers(void **state)
{
	/* Indented keys: libinih alone would read "address" as part of id's value. */
	struct config *c = conffix_load_ok(
	    "[node]\n"
	    "listen = 0.0.0.0:7070\n"
	    "[peer \"wales\"]\n"
	    "    id = " ID_A "\n"
	    "    address = [2001:db8::1]:7070 ; inline comment\n"
	    "[ peer \"e.vora_2-x\" ]\n"
	    "id = 7mtqksb qsx4d2z db4iazk 5vuovq5 26vmncr 3qsrmna hjsosy7 6f2keq7\n");
	uint8_t a[TESS_KEY_LEN], b[TESS_KEY_LEN], other[TESS_KEY_LEN] = { 0 };

	assert_int_equal(nodeid_decode(ID_A, a, NULL), 0);
	assert_int_equal(nodeid_decode(ID_B, b, NULL), 0);
	assert_int_equal(c->n_peers, 2);
	assert_string_equal(c->peers[0].name, "wales");
	assert_int_equal(c->peers[0].line, 3);
	assert_memory_equal(c->peers[0].id, a, TESS_KEY_LEN);
	assert_string_equal(c->peers[0].address, "[2001:db8::1]:7070");
	assert_string_equal(c->peers[0].ep.host, "2001:db8::1");
	assert_int_equal(c->peers[0].ep.port, 7070);
	assert_string_equal(c->peers[1].name, "e.vora_2-x");
	assert_int_equal(c->peers[1].line, 6);
	assert_memory_equal(c->peers[1].id, b, TESS_KEY_LEN);
	assert_null(c->peers[1].address);
	assert_ptr_equal(config_find_peer(c, a), &c->peers[0]);
	assert_ptr_equal(config_find_peer(c, b), &c->peers[1]);
	assert_null(config_find_peer(c, other));
	config_free(c);

	/* A 64-character name is the longest allowed. */
	c = conffix_load_ok("[peer \"" "0123456789012345678901234567890123456789012345678901234567890123"
	    "\"]\nid = " ID_A "\n");
	assert_int_equal(strlen(c->peers[0].name), 64);
	config_free(c);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[node]\n\n\n\n\n\nlisen = 1.2.3.4:5\n", "7: unknown key 'lisen' in [node]" },
		{ "[node]\nmax_frame = 1M\n", "2: unknown key 'max_frame' in [node]" },
		{ "[limits]\nmax_frame = 5000000\n",
		  "2: max_frame: 5000000 is out of range (66560..1048576)" },
		{ "[limits]\nmax_frame = 66559\n", "2: max_frame: 66559 is out of range (66560..1048576)" },
		{ "[limits]\nmax_frame = 99999999999999999999999\n",
		  "2: max_frame: 99999999999999999999999 is out of range (66560..1048576)" },
		{ "[limits]\nmax_frame = 4X\n",
		  "2: max_frame: '4X' is not a size (bytes, or a number with K, M or G)" },
		{ "[limits]\nmax_frame = -1\n",
		  "2: max_frame: '-1' is not a size (bytes, or a number with K, M or G)" },
		{ "[limits]\nmax_batch = 0\n", "2: max_batch: 0 is out of range (1..4096)" },
		{ "[limits]\nmax_batch = 1K\n", "2: max_batch: '1K' is not a number" },
		{ "[limits]\nmax_batch = 5 \n\nmax_batch = 6\n",
		  "4: duplicate key 'max_batch' in [limits] (first at line 2)" },
		{ "[limits]\nmax_batch =\n", "2: max_batch: empty value" },
		{ "[limits]\nidle_timeout = 2h\n",
		  "2: idle_timeout: 2h is out of range (1000ms..3600000ms)" },
		{ "[limits]\nidle_timeout = 1.5s\n", "2: idle_timeout: '1.5s' is not a duration "
		  "(milliseconds, or a number with ms, s, m or h)" },
		{ "[limits]\nsend_hard_limit = 1M\n",
		  "2: send_soft_limit (4194304) must be at most send_hard_limit (1048576)" },
		{ "[limits]\nsend_hard_limit = 4M\nsend_soft_limit = 8M\n",
		  "3: send_soft_limit (8388608) must be at most send_hard_limit (4194304)" },
		{ "[limits]\nkeepalive = 120s\n",
		  "2: keepalive (120000ms) must be below idle_timeout (120000ms)" },
		{ "[limits]\nbackoff_max = 100ms\n",
		  "2: backoff_min (500ms) must be at most backoff_max (100ms)" },
		{ "max_batch = 5\n", "1: key 'max_batch' outside any section" },
		{ "[node]\n[nodes]\n", "2: unknown section [nodes]" },
		{ "[node]\nlisten = 1.2.3.4\n",
		  "2: listen: invalid address '1.2.3.4': missing port (HOST:PORT)" },
		{ "[node]\nlisten = 1.2.3.4:7070,,1.2.3.4:7071\n",
		  "2: listen: invalid address '': empty host" },
		{ "[node]\nlisten = 1.2.3.4:0\n", "2: listen: invalid address '1.2.3.4:0': port "
		  "must be 1..65535" },
		{ "[node]\nlisten = 1.2.3.4:65536\n", "2: listen: invalid address '1.2.3.4:65536': "
		  "port must be 1..65535" },
		{ "[node]\nlisten = :7070\n", "2: listen: invalid address ':7070': empty host" },
		{ "[node]\nlisten = ::1:7070\n", "2: listen: invalid address '::1:7070': an IPv6 "
		  "address needs brackets, as in [::1]:7070" },
		{ "[node]\ndata = a\ndata = b\n",
		  "3: duplicate key 'data' in [node] (first at line 2)" },
		{ "[node]\nmetrics_listen = localhost:9470\n", "2: metrics_listen: invalid "
		  "address 'localhost:9470': expected an IP address, not a name" },
		{ "[node]\nmetrics_listen = 127.0.0.1\n", "2: metrics_listen: invalid address "
		  "'127.0.0.1': missing port (HOST:PORT)" },
		{ "[node]\nmetrics_listen = 127.0.0.1:1\nmetrics_listen = 127.0.0.1:2\n",
		  "3: duplicate key 'metrics_listen' in [node] (first at line 2)" },
		{ "[node]\nweb_listen = 0.0.0.0:8080\n", "2: web_listen: 0.0.0.0 is not a loopback "
		  "address; add web_expose = yes to serve the web view beyond this machine (without "
		  "its operator-only parts)" },
		{ "[node]\nweb_expose = no\nweb_listen = [2001:db8::1]:8080\n", "3: web_listen: "
		  "2001:db8::1 is not a loopback address; add web_expose = yes to serve the web view "
		  "beyond this machine (without its operator-only parts)" },
		{ "[node]\nweb_listen = localhost:8080\n", "2: web_listen: invalid "
		  "address 'localhost:8080': expected an IP address, not a name" },
		{ "[node]\nweb_expose = true\n", "2: web_expose: 'true' is not yes or no" },
		{ "[node]\ncontrol_group = wheel staff\n",
		  "2: control_group: invalid name 'wheel staff' (1-32 of A-Z a-z 0-9 . _ -)" },
		{ "[peer \"wales\"]\nid = " ID_TYPO "\n",
		  "2: peer \"wales\": invalid id: check character mismatch (typo?)" },
		{ "[peer \"wales\"]\nid = ABC\n",
		  "2: peer \"wales\": invalid id: a node ID has 56 characters (8 groups of 7)" },
		{ "[node]\n[peer \"wales\"]\naddress = h:1\n[limits]\n",
		  "2: peer \"wales\": missing id" },
		{ "[peer \"wales\"]\n", "1: peer \"wales\": missing id" },
		{ "[peer \"a\"]\nid = " ID_A "\n[peer \"b\"]\nid = " ID_B "\n[peer \"a\"]\n",
		  "5: duplicate peer \"a\" (first at line 1)" },
		{ "[peer \"a\"]\nid = " ID_A "\n[peer \"b\"]\naddress = h:1\nid = " ID_A "\n",
		  "5: peer \"b\": id already used by peer \"a\" (line 1)" },
		{ "[peer \"a\"]\nid = " ID_A "\nid = " ID_B "\n",
		  "3: duplicate key 'id' in [peer \"a\"] (first at line 2)" },
		{ "[peer \"a\"]\nid = " ID_A "\naddress = h\n",
		  "3: peer \"a\": invalid address 'h': missing port (HOST:PORT)" },
		{ "[peer \"a\"]\nname = x\n", "2: unknown key 'name' in [peer \"a\"]" },
		{ "[peer]\n", "1: a peer section needs a quoted name, as in [peer \"wales\"]" },
		{ "[peer wales]\n", "1: a peer section needs a quoted name, as in [peer \"wales\"]" },
		{ "[peer \"\"]\n", "1: invalid peer name \"\" (1-64 of A-Z a-z 0-9 . _ -)" },
		{ "[peer \"new york\"]\n",
		  "1: invalid peer name \"new york\" (1-64 of A-Z a-z 0-9 . _ -)" },
		{ "[peer \"a\"b\"]\n", "1: invalid peer name \"a\"b\" (1-64 of A-Z a-z 0-9 . _ -)" },
		{ "[peer \"01234567890123456789012345678901234567890123456789012345678901234\"]\n",
		  "1: invalid peer name \"01234567890123456789012345678901234567890123456789012345678"
		  "901234\" (1-64 of A-Z a-z 0-9 . _ -)" },
		{ "[node]\nlisten\n", "2: syntax error" },
		{ "[node\nlisten = 1.2.3.4:5\n", "1: syntax error" },
		/* The first error in the file wins, whichever part of the parser found it. */
		{ "[node]\nbogus line\nlisen = x\n", "2: syntax error" },
		{ "[node]\nlisen = x\nbogus line\n", "2: unknown key 'lisen' in [node]" },
		{ "[node]\nbogus line\n[foo]\n", "2: syntax error" },
		{ "[limits]\nkeepalive = 1h\nbogus\n", "3: syntax error" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		conffix_expect_error(cases[i].text, cases[i].want);
}

/* The messages from the brief, with the file named relative to the working directory. */
static void
test_error_relative_name(void **state)
{
	struct config *c = NULL;
	const char *text = "[node]\ndata = x\n\n\n\n\nlisen = 1.2.3.4:5\n";
	char *cause = NULL, *cwd = getcwd(NULL, 0);

	conffix_write(conffix_path, text, strlen(text));
	assert_non_null(cwd);
	assert_int_equal(chdir(conffix_dir), 0);
	assert_int_equal(config_load("tesserad.conf", &c, &cause), -EINVAL);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	assert_null(c);
	assert_string_equal(cause, "tesserad.conf:7: unknown key 'lisen' in [node]");
	free(cause);
}

static void
test_long_line(void **state)
{
	char text[400], *want, *cause = strdup("stale");
	struct config *c;

	memset(text, 'a', sizeof(text));
	memcpy(text, "[node]\n# ", 9);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	/* Comments may be long: libinih only ever sees their first character. */
	c = conffix_load_ok(text);
	config_free(c);
	/* The error replaces a cause the caller already had. */
	memcpy(text, "[node]\ndata = /", 15);
	assert_int_equal(conffix_load(text, &c, &cause), -EINVAL);
	/* The limit is libinih's build-time line buffer. */
	want = strfmt("%s:2: line too long (over ", conffix_path);
	assert_memory_equal(cause, want, strlen(want));
	free(want);
	free(cause);
}

static void
test_unreadable(void **state)
{
	struct config *c = (struct config *)1;
	char *cause = NULL, *want, *missing = strfmt("%s/nope.conf", conffix_dir);

	assert_int_equal(config_load(missing, &c, &cause), -ENOENT);
	assert_null(c);
	want = strfmt("%s: No such file or directory", missing);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(missing);

	cause = NULL;
	assert_int_equal(config_load(conffix_dir, &c, &cause), -EISDIR);
	want = strfmt("%s: Is a directory", conffix_dir);
	assert_string_equal(cause, want);
	free(want);
	free(cause);

	/* No cause wanted: nothing leaks. */
	assert_int_equal(config_load("/nonexistent/tesserad.conf", &c, NULL), -ENOENT);
	assert_int_equal(conffix_load("[bogus]\n", &c, NULL), -EINVAL);
	assert_null(c);
}

static void
test_binary(void **state)
{
	static const unsigned char elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, '\n', 0xff };
	static const char latin1[] = "[node]\n# caf\xe9\n";
	struct config *c = NULL;
	char *cause = NULL, *want;

	conffix_write(conffix_path, elf, sizeof(elf));
	assert_int_equal(config_load(conffix_path, &c, &cause), -EINVAL);
	assert_null(c);
	want = strfmt("%s:1: not a text file (NUL byte or invalid UTF-8)", conffix_path);
	assert_string_equal(cause, want);
	free(want);
	free(cause);

	conffix_expect_error(latin1, "2: not a text file (NUL byte or invalid UTF-8)");

	/* A UTF-8 byte order mark is fine. */
	c = conffix_load_ok("\xef\xbb\xbf[limits]\nmax_batch = 7\n");
	assert_int_equal(c->max_batch, 7);
	config_free(c);
}

static void
test_free_null(void **state)
{
	config_free(NULL);
}

/* metrics_listen: an IP literal or nothing; control_group: a name or NULL. */
static void
test_ops_keys(void **state)
{
	struct config *c = conffix_load_ok("[node]\n");

	assert_null(c->metrics_listen.host);
	assert_null(c->control_group);
	config_free(c);
	c = conffix_load_ok("[node]\nmetrics_listen = [::1]:9470\ncontrol_group = tessera-admin\n");
	assert_string_equal(c->metrics_listen.host, "::1");
	assert_int_equal(c->metrics_listen.port, 9470);
	assert_string_equal(c->control_group, "tessera-admin");
	config_free(c);
}

/* web_listen: loopback unless web_expose; web_catalogues defaults to the
 * installed directory. */
static void
test_web_keys(void **state)
{
	struct config *c = conffix_load_ok("[node]\n");

	assert_null(c->web_listen.host);
	assert_false(c->web_expose);
	assert_string_equal(c->web_catalogues, TESSERA_LOCALEDIR);
	config_free(c);
	c = conffix_load_ok("[node]\nweb_listen = 127.8.9.10:8080\n");
	assert_string_equal(c->web_listen.host, "127.8.9.10");
	config_free(c);
	c = conffix_load_ok("[node]\nweb_listen = [::1]:8080\n");
	assert_int_equal(c->web_listen.port, 8080);
	config_free(c);
	c = conffix_load_ok("[node]\nweb_listen = 0.0.0.0:8080\nweb_expose = yes\n");
	assert_true(c->web_expose);
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_example_enabled),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_parse_endpoint),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_relative_name),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_ops_keys),
		cmocka_unit_test(test_web_keys),
	};

	return cmocka_run_group_tests(tests, conffix_setup, conffix_teardown);
}

/* Peer drop-ins: read after the main file in name order, [peer] sections
 * only, a bad one skipped whole with file:line while the others are kept,
 * names and IDs unique across files; peerfile writes and removes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/nodeid.h"
#include "core/peerfile.h"
#include "core/util.h"

#define ID_A "EKAHYHE-IWDCOSY-53JOMOA-NCJH3C5-FBJJ6JE-66MGMCJ-ZODBK3R-QGG5JQ7"
#define ID_B "7MTQKSB-QSX4D2Z-DB4IAZK-5VUOVQ5-26VMNCR-3QSRMNA-HJSOSY7-6F2KEQ7"

/* A fresh directory (realpath: config paths are absolute). */
static char *
mkdir_tmp(void)
{
	char tmpl[] = "/tmp/tessera-dropin-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return realpath(tmpl, NULL);
}

static void
rm_tree(const char *dir)
{
	char *cmd = strfmt("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char *path = strfmt("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static struct config *
load(const char *dir)
{
	char *path = strfmt("%s/tesserad.conf", dir), *cause = NULL;
	struct config *c = NULL;

	if (config_load(path, &c, &cause) != 0)
		fail_msg("config_load: %s", cause);
	free(path);
	return c;
}

static void
test_dropins(void **state)
{
	char *dir = mkdir_tmp(), *pd = strfmt("%s/peers.d", dir), *text;
	char idc[NODEID_STRLEN + 1];
	uint8_t key[32];
	struct config *c;

	put(dir, "tesserad.conf", "[node]\ndata = .\n[peer \"main\"]\nid = " ID_A "\n");
	c = load(dir);
	assert_int_equal(c->n_peers, 1);     /* no peers.d: nothing more */
	assert_null(c->peers[0].file);
	config_free(c);
	assert_int_equal(mkdir(pd, 0750), 0);
	put(pd, "b.conf", "[peer \"b\"]\naddress = 127.0.0.1:7070\nid = " ID_B "\n");
	put(pd, "a.conf", "[peer \"dup\"]\nid = " ID_A "\n");           /* ID of main */
	memset(key, 0x33, sizeof(key));
	nodeid_encode(key, idc);
	text = strfmt("[peer \"c\"]\nid = %s\n[node]\n", idc);
	put(pd, "c.conf", text);          /* a section other than [peer] */
	free(text);
	put(pd, "d.conf.bak", "garbage\n");                               /* not read */
	put(pd, ".e.conf.tmp", "garbage\n");
	c = load(dir);
	assert_int_equal(c->n_peers, 2);
	assert_string_equal(c->peers[1].name, "b");
	assert_non_null(strstr(c->peers[1].file, "peers.d/b.conf"));
	assert_string_equal(config_peer_file(c, &c->peers[0]), c->path);
	assert_int_equal(c->n_dropin_errors, 2);
	assert_non_null(strstr(c->dropin_errors[0], "peers.d/a.conf:2: peer \"dup\": id already "
	    "used by peer \"main\""));
	assert_non_null(strstr(c->dropin_errors[1], "peers.d/c.conf:3: only [peer"));
	assert_non_null(config_find_peer_name(c, "b"));
	assert_null(config_find_peer_name(c, "c"));
	config_free(c);
	rm_tree(dir);
	free(pd);
	free(dir);
}

static void
test_peerfile(void **state)
{
	char *dir = mkdir_tmp(), *pd = strfmt("%s/peers.d", dir), *cause = NULL;
	uint8_t id[32];
	const char *why;
	struct config *c;
	struct stat st;
	char *path;

	put(dir, "tesserad.conf", "[node]\ndata = .\n");
	assert_int_equal(nodeid_decode(ID_B, id, &why), 0);
	assert_int_equal(peerfile_write(pd, "wales", "[::1]:7070", id, "a test", &cause), 0);
	assert_int_equal(peerfile_write(pd, "in", NULL, id, "a test", &cause), 0);
	assert_int_equal(peerfile_write(pd, "bad name", NULL, id, "a test", &cause), -EINVAL);
	free(cause);
	cause = NULL;
	path = peerfile_path(pd, "wales");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(stat(pd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	c = load(dir);
	/* Both files pin one ID: the second in name order ("wales") is refused. */
	assert_int_equal(c->n_peers, 1);
	assert_string_equal(c->peers[0].name, "in");
	assert_null(c->peers[0].address);
	assert_int_equal(c->n_dropin_errors, 1);
	config_free(c);
	assert_int_equal(peerfile_remove(path, &cause), 0);
	assert_int_equal(peerfile_remove(path, &cause), -ENOENT);
	free(cause);
	c = load(dir);
	assert_int_equal(c->n_peers, 1);
	assert_int_equal(c->n_dropin_errors, 0);
	config_free(c);
	free(path);
	rm_tree(dir);
	free(pd);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dropins),
		cmocka_unit_test(test_peerfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

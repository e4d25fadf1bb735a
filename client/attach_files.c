/* The attachment files of export and import: a directory of files named by
 * their root (64 hex digits), beside the JSON Lines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach_files.h"
#include "core/util.h"

#define ROOT_LEN 32

struct blob_reply {
	char *path;
	uint8_t root[ROOT_LEN];
	int has_root;
};

static int
blob_reply(void *arg, const Tessera__Reply *r)
{
	struct blob_reply *b = arg;

	if (r->attachment == NULL)
		return cli_fail(CLI_EDAEMON, "daemon reply carries no attachment");
	free(b->path);
	b->path = r->attachment->path != NULL ? strdup(r->attachment->path) : NULL;
	if (r->attachment->root.len == ROOT_LEN) {
		memcpy(b->root, r->attachment->root.data, ROOT_LEN);
		b->has_root = 1;
	}
	return CLI_OK;
}

struct fetch {
	int fd;
	uint64_t bytes;
	bool streamed;
};

static int
fetch_reply(void *arg, const Tessera__Reply *r)
{
	struct fetch *f = arg;
	size_t off = 0;

	if (r->has_data)
		f->streamed = true;
	while (off < r->data.len) {
		ssize_t w = write(f->fd, r->data.data + off, r->data.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return cli_fail(CLI_EINVALID, "write error: %s", strerror(errno));
		off += (size_t)w;
	}
	f->bytes += r->data.len;
	return CLI_OK;
}

int
attach_files_fetch(struct cli *c, const Tessera__Request *req, const char *to, uint64_t *bytes)
{
	Tessera__Request q = *req;
	struct fetch f = { -1, 0, false };
	char *tmp;
	int rc;

	if ((tmp = malloc(strlen(to) + 8)) == NULL)
		return cli_fail(CLI_EDAEMON, "out of memory");
	sprintf(tmp, "%s.XXXXXX", to);
	if ((f.fd = mkstemp(tmp)) < 0) {
		rc = cli_fail(CLI_EINVALID, "%s: %s", to, strerror(errno));
		free(tmp);
		return rc;
	}
	fchmod(f.fd, 0644);
	q.has_data = q.data = 1;
	rc = cli_call(c, &q, fetch_reply, &f);
	if (rc == CLI_OK && !f.streamed)
		rc = cli_fail(CLI_ENOTFOUND, "the attachment is no longer here");
	if (fsync(f.fd) != 0 && rc == CLI_OK)
		rc = cli_fail(CLI_EINVALID, "%s: %s", to, strerror(errno));
	if (close(f.fd) != 0 && rc == CLI_OK)
		rc = cli_fail(CLI_EINVALID, "%s: %s", to, strerror(errno));
	if (rc == CLI_OK && rename(tmp, to) != 0)
		rc = cli_fail(CLI_EINVALID, "%s: %s", to, strerror(errno));
	if (rc != CLI_OK)
		unlink(tmp);
	free(tmp);
	*bytes = f.bytes;
	return rc;
}

int
attach_files_add(struct attach_roots *ar, const Tessera__Record *r)
{
	for (size_t i = 0; r != NULL && i < r->n_attachments; i++) {
		uint8_t (*v)[ROOT_LEN];

		if (r->attachments[i]->root.len != ROOT_LEN)
			continue;
		if (ar->n == ar->cap) {
			size_t cap = ar->cap ? ar->cap * 2 : 64;

			if ((v = realloc(ar->roots, cap * ROOT_LEN)) == NULL)
				return cli_fail(CLI_EDAEMON, "out of memory");
			ar->roots = v;
			ar->cap = cap;
		}
		memcpy(ar->roots[ar->n++], r->attachments[i]->root.data, ROOT_LEN);
	}
	return CLI_OK;
}

int
attach_files_export(struct cli *c, const struct attach_roots *ar, const char *dir,
    size_t *copied, size_t *missing)
{
	Tessera__Request req = TESSERA__REQUEST__INIT;
	char hex[2 * ROOT_LEN + 1], to[PATH_MAX];
	int rc = CLI_OK;

	*copied = *missing = 0;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return cli_fail(CLI_EINVALID, "%s: %s", dir, strerror(errno));
	req.has_op = req.has_root = 1;
	req.op = TESSERA__REQUEST__OP__BLOB;
	for (size_t i = 0; i < ar->n && rc == CLI_OK; i++) {
		struct blob_reply b = { 0 };
		struct stat sb;
		uint64_t got;

		hex_encode(ar->roots[i], ROOT_LEN, hex);
		snprintf(to, sizeof(to), "%s/%s", dir, hex);
		if (stat(to, &sb) == 0) {   /* held once, whoever attached it */
			(*copied)++;
			continue;
		}
		req.root = (ProtobufCBinaryData){ ROOT_LEN, (uint8_t *)ar->roots[i] };
		if ((rc = cli_call(c, &req, blob_reply, &b)) == CLI_OK) {
			if (b.path != NULL && (rc = attach_files_fetch(c, &req, to, &got)) == CLI_OK)
				(*copied)++;
			else if (b.path == NULL)
				(*missing)++;
		}
		free(b.path);
	}
	return rc;
}

int
attach_files_import(struct cli *c, const char *dir, size_t *added)
{
	Tessera__Request req = TESSERA__REQUEST__INIT;
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = CLI_OK;

	*added = 0;
	if (d == NULL)
		return cli_fail(CLI_EINVALID, "%s: %s", dir, strerror(errno));
	req.has_op = 1;
	req.op = TESSERA__REQUEST__OP__BLOB;
	while (rc == CLI_OK && (e = readdir(d)) != NULL) {
		struct blob_reply b = { 0 };
		uint8_t want[ROOT_LEN];
		char path[PATH_MAX], *abs;

		if (strlen(e->d_name) != 2 * ROOT_LEN || hex_decode(e->d_name, want, ROOT_LEN) != 0)
			continue;   /* not a blob of an export */
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((abs = realpath(path, NULL)) == NULL) {
			rc = cli_fail(CLI_EINVALID, "%s: %s", path, strerror(errno));
			break;
		}
		req.path = abs;
		rc = cli_call(c, &req, blob_reply, &b);
		free(abs);
		free(b.path);
		if (rc == CLI_OK && (!b.has_root || memcmp(b.root, want, ROOT_LEN) != 0))
			rc = cli_fail(CLI_EINVALID, "%s: the file does not match its name (damaged?)",
			    path);
		else if (rc == CLI_OK)
			(*added)++;
	}
	closedir(d);
	return rc;
}

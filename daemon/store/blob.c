/* Attachment data: the files under DATA/blobs (see blob.h). */
#include "store/blob_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

/* DATA/blobs/<hex root><suffix> */
void
blob_file(const struct blobs *b, const uint8_t root[MERKLE_HASH], const char *suffix,
    char path[PATH_LEN])
{
	char hex[2 * MERKLE_HASH + 1];

	hex_encode(root, MERKLE_HASH, hex);
	snprintf(path, PATH_LEN, "%s/%s%s", b->dir, hex, suffix);
}

int
blob_open(struct store *st, const char *dir, char **cause)
{
	struct blobs *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->dir = strfmt("%s/blobs", dir)) == NULL) {
		free(b);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	if (mkdir(b->dir, 0700) != 0 && errno != EEXIST) {
		int rc = set_cause(cause, -errno, "%s: %s", b->dir, strerror(errno));

		free(b->dir);
		free(b);
		return rc;
	}
	b->serve_fd = b->serve_tfd = -1;
	st->blobs = b;
	return 0;
}

void
blob_serve_close(struct blobs *b)
{
	if (b->serve_fd >= 0)
		close(b->serve_fd);
	if (b->serve_tfd >= 0)
		close(b->serve_tfd);
	b->serve_fd = b->serve_tfd = -1;
}

void
blob_part_close(struct blobs *b, size_t i)
{
	struct blob_part *p = &b->part[i];

	close(p->fd);
	close(p->tfd);
	free(p->bits);
	free(p->blocks);
	free(p->leaves);
	b->part[i] = b->part[--b->n_part];
}

void
blob_close(struct store *st)
{
	struct blobs *b = st->blobs;

	if (b == NULL)
		return;
	/* The loop runs until every job ended: one still listed would touch
	 * this store after its close. */
	if (b->finishing != NULL)
		log_warnx("store: closed with an attachment completion under way");
	blob_sync(st);
	while (b->n_part > 0)
		blob_part_close(b, b->n_part - 1);
	blob_serve_close(b);
	for (int i = 0; i < BS_COUNT; i++)
		sqlite3_finalize(b->stmt[i]);
	free(b->dir);
	free(b);
	st->blobs = NULL;
}

int
blob_write_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		off += (uint64_t)w;
		len -= (size_t)w;
	}
	return 0;
}

int
blob_read_all(int fd, uint8_t *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t r = pread(fd, p, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		p += r;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

int
blob_tree_write(const char *tmp, const uint8_t *tree, uint64_t nodes)
{
	int fd, rc;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -errno;
	rc = blob_write_all(fd, tree, nodes * MERKLE_HASH, 0);
	if (rc == 0 && fdatasync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* The tree file: written beside, synced, then renamed into place. */
int
blob_tree_save(struct blobs *b, const uint8_t root[MERKLE_HASH], const uint8_t *tree,
    uint64_t nodes)
{
	char path[PATH_LEN], tmp[PATH_LEN];
	int rc;

	blob_file(b, root, ".tree", path);
	blob_file(b, root, ".tree.tmp", tmp);
	if ((rc = blob_tree_write(tmp, tree, nodes)) == 0 && rename(tmp, path) != 0) {
		rc = -errno;
		unlink(tmp);
	}
	return rc;
}

/* Copies src to dst leaf by leaf, hashing each leaf into tree. */
static int
copy_hash(int src, int dst, uint64_t size, uint8_t *tree)
{
	uint8_t *buf = malloc(MERKLE_LEAF);
	uint64_t n = merkle_leaves(size);
	int rc = 0;

	if (buf == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < n && rc == 0; i++) {
		size_t len = merkle_leaf_len(size, i);

		if ((rc = blob_read_all(src, buf, len, i * MERKLE_LEAF)) == 0 &&
		    (rc = blob_write_all(dst, buf, len, i * MERKLE_LEAF)) == 0)
			merkle_leaf(buf, len, tree + i * MERKLE_HASH);
	}
	free(buf);
	return rc;
}

static void
part_forget(struct blobs *b, const uint8_t root[MERKLE_HASH])
{
	char path[PATH_LEN];

	blob_finish_cancel(b, root);   /* its end leaves the files alone */
	for (size_t i = 0; i < b->n_part; i++)
		if (memcmp(b->part[i].root, root, MERKLE_HASH) == 0) {
			blob_part_close(b, i);
			break;
		}
	blob_file(b, root, ".part", path);
	unlink(path);
}

int
blob_add_fd(struct store *st, int fd, uint64_t size, uint8_t root[MERKLE_HASH], char **cause)
{
	struct blobs *b = st->blobs;
	struct blob_info bi;
	char tmp[PATH_LEN], path[PATH_LEN];
	uint64_t nodes = merkle_tree_nodes(merkle_leaves(size));
	uint8_t *tree;
	int out, rc;

	if (size > MERKLE_MAX_SIZE)
		return set_cause(cause, -EFBIG, "file too large (at most 1 TiB)");
	snprintf(tmp, sizeof(tmp), "%s/add-XXXXXX", b->dir);
	if ((out = mkstemp(tmp)) < 0)
		return set_cause(cause, -errno, "%s: %s", b->dir, strerror(errno));
	if ((tree = malloc(nodes * MERKLE_HASH)) == NULL) {
		rc = set_cause(cause, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = copy_hash(fd, out, size, tree)) != 0) {
		set_cause(cause, rc, "reading the file: %s", rc == -EIO ? "it changed while read" :
		    strerror(-rc));
		goto out;
	}
	merkle_tree_build(tree, size, root);
	if (blob_get_info(st, root, &bi) == 0 && bi.state == BLOB_COMPLETE)
		goto out;   /* identical file held already: stored once */
	blob_file(b, root, "", path);
	if (fdatasync(out) != 0 || (rc = blob_tree_save(b, root, tree, nodes)) != 0 ||
	    rename(tmp, path) != 0) {
		rc = rc ? rc : -errno;
		set_cause(cause, rc, "%s: %s", b->dir, strerror(-rc));
		goto out;
	}
	tmp[0] = '\0';
	part_forget(b, root);
	if ((rc = blob_db_complete(st, root, size)) != 0)
		set_cause(cause, rc, "cannot record the attachment: %s", store_errmsg(st));
out:
	if (tmp[0] != '\0')
		unlink(tmp);
	close(out);
	free(tree);
	return rc;
}

int
blob_serve_open(struct blobs *b, const uint8_t root[MERKLE_HASH], uint64_t size)
{
	char path[PATH_LEN];

	if (b->serve_fd >= 0 && memcmp(b->serve_root, root, MERKLE_HASH) == 0)
		return 0;
	blob_serve_close(b);
	blob_file(b, root, "", path);
	if ((b->serve_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -ENOENT;
	blob_file(b, root, ".tree", path);
	if ((b->serve_tfd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		blob_serve_close(b);
		return -ENOENT;
	}
	memcpy(b->serve_root, root, MERKLE_HASH);
	b->serve_size = size;
	return 0;
}

int
blob_serve_find(struct store *st, const uint8_t root[MERKLE_HASH], struct blob_part **p,
    struct blob_info *bi)
{
	struct blobs *b = st->blobs;

	/* The blob being served stays open; a purge closes it (blob_refs_put),
	 * so only a new blob costs a look-up. A blob being written is open
	 * too (a part is closed when complete). */
	*p = NULL;
	if (b->serve_fd >= 0 && memcmp(b->serve_root, root, MERKLE_HASH) == 0) {
		bi->size = b->serve_size;
		bi->chunks = merkle_leaves(bi->size);
		bi->state = BLOB_COMPLETE;
		return 0;
	}
	if ((*p = blob_part_open(b, root)) != NULL)
		return 0;
	if (blob_get_info(st, root, bi) != 0)
		return -ENOENT;
	if (bi->state == BLOB_PARTIAL && (*p = blob_part_get(st, root)) != NULL)
		return 0;
	return bi->state == BLOB_COMPLETE ? 0 : -ENOENT;
}

int
blob_chunk_read(struct store *st, const uint8_t root[MERKLE_HASH], uint64_t index,
    uint8_t *buf, size_t *len, uint8_t *proof, size_t *proof_len)
{
	struct blobs *b = st->blobs;
	struct blob_part *p;
	struct blob_info bi;
	uint64_t slots[MERKLE_MAX_DEPTH];
	size_t k;
	int rc;

	if ((rc = blob_serve_find(st, root, &p, &bi)) != 0)
		return rc;
	if (p != NULL)
		return blob_part_read(st, p, index, buf, len, proof, proof_len);
	if (index >= bi.chunks)
		return -ERANGE;
	if ((rc = blob_serve_open(b, root, bi.size)) != 0)
		return rc;
	*len = merkle_leaf_len(bi.size, index);
	if ((rc = blob_read_all(b->serve_fd, buf, *len, index * MERKLE_LEAF)) != 0)
		goto fail;
	if (proof == NULL)
		return 0;   /* bare: the peer holds the leaf hashes */
	k = merkle_proof_slots(bi.chunks, index, slots);
	for (size_t i = 0; i < k; i++)
		if ((rc = blob_read_all(b->serve_tfd, proof + i * MERKLE_HASH, MERKLE_HASH,
		    slots[i] * MERKLE_HASH)) != 0)
			goto fail;
	*proof_len = k * MERKLE_HASH;
	return 0;
fail:
	log_warnx("store: attachment %02x%02x%02x%02x: read: %s", root[0], root[1], root[2],
	    root[3], strerror(-rc));
	blob_serve_close(b);
	return -EIO;
}

int
blob_gc(struct store *st, bool (*busy)(void *arg, const uint8_t root[MERKLE_HASH]), void *arg,
    uint64_t *freed)
{
	struct blobs *b = st->blobs;
	uint8_t roots[256][MERKLE_HASH];
	bool purged[256];
	size_t n;
	int rc;

	*freed = 0;
	b->gc_due = false;
	if ((rc = blob_db_garbage(st, roots, purged, 256, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const char *suffix[] = { "", ".part", ".tree" };
		char path[PATH_LEN];
		struct stat sb;

		if (!purged[i] && busy != NULL && busy(arg, roots[i]))
			continue;
		part_forget(b, roots[i]);
		if (memcmp(b->serve_root, roots[i], MERKLE_HASH) == 0)
			blob_serve_close(b);
		for (size_t k = 0; k < 3; k++) {
			blob_file(b, roots[i], suffix[k], path);
			if (stat(path, &sb) == 0 && unlink(path) == 0)
				*freed += (uint64_t)sb.st_size;
		}
		if ((rc = blob_db_forget(st, roots[i])) != 0)
			return rc;
	}
	return 0;
}

bool
blob_gc_due(const struct store *st)
{
	return st->blobs->gc_due;
}

char *
blob_path(struct store *st, const uint8_t root[MERKLE_HASH])
{
	char path[PATH_LEN];

	blob_file(st->blobs, root, "", path);
	return strdup(path);
}

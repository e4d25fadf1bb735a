/* Control requests on attachments: the files of add and edit, their state
 * in show, and get. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/record.h"
#include "core/util.h"
#include "ctl/ctl_int.h"
#include "ops/ops.h"
#include "store/blob.h"
#include "store/publish.h"
#include "store/store.h"
#include "sync/attach.h"

void
ctl_attach_free(struct ctl_attach *ca)
{
	for (size_t i = 0; i < ca->n; i++)
		free(ca->root[i]);
	free(ca->root);
	free(ca->att);
	free(ca->ptr);
	memset(ca, 0, sizeof(*ca));
}

/* Copies one file into the attachment store and describes it. */
static int
add_file(struct store *st, const Tessera__AttachFile *f, Tessera__Attachment *a, uint8_t **root,
    char **cause)
{
	struct stat sb;
	const char *name;
	int fd, rc;

	if (f->path == NULL || f->path[0] != '/')
		return set_cause(cause, -EINVAL, "attachment path must be absolute");
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
		return set_cause(cause, -errno, "%s: %s (the daemon opens the file itself)",
		    f->path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return set_cause(cause, -EINVAL, "%s: not a regular file", f->path);
	}
	if ((*root = malloc(MERKLE_HASH)) == NULL) {
		close(fd);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	rc = blob_add_fd(st, fd, (uint64_t)sb.st_size, *root, cause);
	close(fd);
	if (rc != 0)
		return rc;
	name = f->name != NULL ? f->name : strrchr(f->path, '/') + 1;
	tessera__attachment__init(a);
	a->name = (char *)name;
	a->media_type = f->media_type;
	a->has_size = a->has_root = 1;
	a->size = (uint64_t)sb.st_size;
	a->root = (ProtobufCBinaryData){ MERKLE_HASH, *root };
	return 0;
}

int
ctl_attach_files(struct store *st, Tessera__AttachFile **files, size_t n, struct ctl_attach *ca,
    char **cause)
{
	int rc;

	memset(ca, 0, sizeof(*ca));
	if (n == 0)
		return 0;
	if (n > TESS_MAX_ATTACH)
		return set_cause(cause, -EINVAL, "at most %d attachments", TESS_MAX_ATTACH);
	ca->att = calloc(n, sizeof(*ca->att));
	ca->ptr = calloc(n, sizeof(*ca->ptr));
	ca->root = calloc(n, sizeof(*ca->root));
	if (ca->att == NULL || ca->ptr == NULL || ca->root == NULL) {
		ctl_attach_free(ca);
		return set_cause(cause, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++, ca->n++) {
		if ((rc = add_file(st, files[i], &ca->att[i], &ca->root[i], cause)) != 0) {
			ca->n++;
			ctl_attach_free(ca);
			return rc;
		}
		ca->ptr[i] = &ca->att[i];
	}
	return 0;
}

/* The state of one attachment here, as show and get say it. */
static void
fill_view(const struct ctl_env *env, const Tessera__Attachment *a, Tessera__AttachView *v)
{
	struct blob_info bi;
	uint64_t held = 0, missing, part;

	tessera__attach_view__init(v);
	v->name = a->name;
	v->has_size = v->has_have = 1;
	v->size = a->size;
	v->state = "not fetched";
	if (blob_get_info(env->ops->store, a->root.data, &bi) != 0)
		return;
	/* Verified and written since the last sync: partial, not yet durable
	 * (a crash would fetch those chunks again), but held here now. */
	if (bi.state <= BLOB_PARTIAL && blob_part_have(env->ops->store, a->root.data,
	    &part) == 0 && part > bi.have) {
		bi.have = part;
		bi.state = BLOB_PARTIAL;
	}
	v->have = bi.state == BLOB_COMPLETE ? bi.size : bi.have * MERKLE_LEAF;
	if (v->have > bi.size)
		v->have = bi.size;
	if (bi.state == BLOB_COMPLETE)
		v->state = "here";
	else if (bi.state == BLOB_PURGED)
		v->state = "purged";
	else if (bi.state == BLOB_PARTIAL)
		v->state = "partial";
	else if (env->attach != NULL && attach_too_large(&env->attach->pol, a->size))
		v->state = "too large";
	else if (env->attach != NULL && blob_usage(env->ops->store, &held, &missing) == 0 &&
	    !attach_allowed(&env->attach->pol, a->size, true, held))
		v->state = "over budget";
}

int
ctl_attach_views(const struct ctl_env *env, Tessera__RecordView *v)
{
	const Tessera__Record *r = v->record;

	if (r == NULL || r->n_attachments == 0)
		return 0;
	v->attachments = calloc(r->n_attachments, sizeof(*v->attachments));
	if (v->attachments == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_attachments; i++) {
		if ((v->attachments[i] = malloc(sizeof(Tessera__AttachView))) == NULL)
			return -ENOMEM;
		v->n_attachments++;
		fill_view(env, r->attachments[i], v->attachments[i]);
	}
	return 0;
}

#define STREAM_PIECE (256 * 1024)

/* The next piece of the file being streamed; 1 once the last was sent. */
static int
stream_blob(struct ctl_client *c)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	uint8_t *buf = malloc(STREAM_PIECE);
	ssize_t n;
	int rc;

	if (buf == NULL)
		return -ENOMEM;
	while ((n = read(c->blob_fd, buf, STREAM_PIECE)) < 0 && errno == EINTR)
		;
	if (n < 0) {
		free(buf);
		return -errno;
	}
	r.has_code = r.has_more = r.has_data = 1;
	r.code = TESSERA__REPLY__CODE__OK;
	r.more = n > 0;
	r.data = (ProtobufCBinaryData){ (size_t)n, buf };
	rc = ctl_send(c, &r);
	free(buf);
	if (rc != 0)
		return rc;
	if (n == 0) {
		close(c->blob_fd);
		c->blob_fd = -1;
		return 1;
	}
	return 0;
}

/* Sends the state of an attachment (v), then, when asked and it is here,
 * its bytes: the CLI need not read the node's data directory. */
static void
reply_attach(struct ctl_client *c, const Tessera__Request *req, Tessera__AttachView *v)
{
	Tessera__Reply r = TESSERA__REPLY__INIT;
	bool stream = req->has_data && req->data && v->path != NULL;

	if (stream && (c->blob_fd = open(v->path, O_RDONLY | O_CLOEXEC)) < 0) {
		ctl_error(c, TESSERA__REPLY__CODE__ERROR, "cannot read the attachment: %s",
		    strerror(errno));
		return;
	}
	r.has_code = 1;
	r.code = TESSERA__REPLY__CODE__OK;
	r.attachment = v;
	r.has_more = stream;
	r.more = stream;
	ctl_send(c, &r);
	if (stream)
		ctl_stream(c, stream_blob);
}

void
ctl_get(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_env *env = ctl_client_env(c);
	Tessera__AttachView v;
	Tessera__Record *rec;
	const Tessera__Attachment *a = NULL;
	uint8_t id[TESS_ID_LEN];
	struct blob_info bi;
	char *cause = NULL, *path = NULL;
	int rc;

	if (ctl_resolve_id(c, req->id, id) != 0)
		return;
	if ((rc = publish_load(env->ops->store, id, &rec, &cause)) != 0) {
		ctl_fail(c, rc, cause);
		return;
	}
	for (size_t i = 0; i < rec->n_attachments; i++)
		if (req->attachment == NULL ? rec->n_attachments == 1 :
		    strcmp(rec->attachments[i]->name, req->attachment) == 0)
			a = rec->attachments[i];
	if (a == NULL) {
		ctl_error(c, TESSERA__REPLY__CODE__NOT_FOUND, rec->n_attachments == 0 ?
		    "the record has no attachment" : req->attachment == NULL ?
		    "the record has several attachments: name one" : "no attachment of that name");
		record_free(rec);
		return;
	}
	fill_view(env, a, &v);
	if (blob_get_info(env->ops->store, a->root.data, &bi) == 0) {
		if (bi.state == BLOB_COMPLETE)
			v.path = path = blob_path(env->ops->store, a->root.data);
		else if (bi.state != BLOB_PURGED && !bi.want) {
			blob_set_want(env->ops->store, a->root.data, true);
			if (env->on_fetch != NULL)
				env->on_fetch(env->hook_arg);
		}
	}
	reply_attach(c, req, &v);
	free(path);
	record_free(rec);
}

void
ctl_attach_status(const struct ctl_env *env, Tessera__Status *s)
{
	struct blob_info *bi;
	uint64_t held, missing, over = 0;
	size_t n;

	if (env->attach == NULL || blob_usage(env->ops->store, &held, &missing) != 0)
		return;
	s->has_attach_held = s->has_attach_missing = s->has_attach_budget = 1;
	s->has_attach_over_budget = 1;
	s->attach_held = held;
	s->attach_missing = missing;
	s->attach_budget = env->attach->pol.budget;
	s->has_attach_chunks_in = s->has_attach_chunks_out = 1;
	s->attach_chunks_in = env->attach->chunks_in;
	s->attach_chunks_out = env->attach->chunks_out;
	/* Missing blobs the budget keeps out, among the first 256. */
	if ((bi = calloc(256, sizeof(*bi))) == NULL)
		return;
	if (blob_list_missing(env->ops->store, bi, 256, &n) == 0)
		for (size_t i = 0; i < n; i++)
			over += held + bi[i].size > env->attach->pol.budget;
	free(bi);
	s->attach_over_budget = over;
}

void
ctl_blob(struct ctl_client *c, const Tessera__Request *req)
{
	const struct ctl_env *env = ctl_client_env(c);
	Tessera__AttachView v = TESSERA__ATTACH_VIEW__INIT;
	uint8_t root[MERKLE_HASH];
	struct blob_info bi;
	char *cause = NULL, *path = NULL;
	struct stat sb;
	int fd, rc;

	if (req->path != NULL) {   /* import: the file's bytes name the blob */
		if (req->path[0] != '/' || (fd = open(req->path, O_RDONLY | O_CLOEXEC)) < 0) {
			ctl_error(c, TESSERA__REPLY__CODE__INVALID, "%s: cannot open (absolute path "
			    "the daemon can read)", req->path);
			return;
		}
		rc = fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ? set_cause(&cause, -EINVAL,
		    "%s: not a regular file", req->path) :
		    blob_add_fd(env->ops->store, fd, (uint64_t)sb.st_size, root, &cause);
		close(fd);
		if (rc != 0) {
			ctl_fail(c, rc, cause);
			return;
		}
		v.has_root = 1;
		v.root = (ProtobufCBinaryData){ MERKLE_HASH, root };
		if (env->on_fetch != NULL)
			env->on_fetch(env->hook_arg);   /* peers may want it */
	} else if (req->root.len == MERKLE_HASH) {   /* export: where it is, if here */
		v.state = "not fetched";
		if (blob_get_info(env->ops->store, req->root.data, &bi) == 0) {
			v.state = (char *)blob_state_name(bi.state);
			if (bi.state == BLOB_COMPLETE)
				v.path = path = blob_path(env->ops->store, req->root.data);
		}
	} else {
		ctl_error(c, TESSERA__REPLY__CODE__INVALID, "blob: a root of 32 bytes or a path");
		return;
	}
	reply_attach(c, req, &v);
	free(path);
}

/* Attachments on the web view: the list on a record's page, and the
 * download /attachment/ID-N (the record's N-th attachment, counted from 0),
 * served from the blob store only when the file is complete and verified
 * here (store/blob.h); a partial or missing one is a page saying so. The
 * bytes go out as a download of opaque data (web.c, send_file). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/record.h"
#include "core/util.h"
#include "ops/ops.h"
#include "store/blob.h"
#include "web/web_int.h"

/* "1.2 MB", "340 kB", "12 bytes". */
static void
size_text(struct web_req *r, uint64_t n)
{
	char buf[32];

	if (n >= 1000000)
		snprintf(buf, sizeof(buf), "%.1f MB", (double)n / 1e6);
	else if (n >= 1000)
		snprintf(buf, sizeof(buf), "%.0f kB", (double)n / 1e3);
	else
		snprintf(buf, sizeof(buf), "%llu bytes", (unsigned long long)n);
	html_str(&r->out, buf);
}

void
web_attachments(struct web_req *r, const Tessera__Record *rec)
{
	char hex[2 * TESS_ID_LEN + 1], path[48 + sizeof(hex)];

	if (rec->n_attachments == 0)
		return;
	hex_encode(rec->id.data, TESS_ID_LEN, hex);
	html_raw(&r->out, "<section class=\"attachments\"><h2>");
	html_str(&r->out, _("Attached files"));
	html_raw(&r->out, "</h2><ul>");
	for (size_t i = 0; i < rec->n_attachments; i++) {
		const Tessera__Attachment *a = rec->attachments[i];
		struct blob_info bi;
		bool here = a->root.len == MERKLE_HASH &&
		    blob_get_info(r->w->env->store, a->root.data, &bi) == 0 &&
		    bi.state == BLOB_COMPLETE;

		html_raw(&r->out, "<li dir=\"auto\">");
		if (here) {
			snprintf(path, sizeof(path), "/attachment/%s-%zu", hex, i);
			html_raw(&r->out, "<a download href=\"");
			html_text(&r->out, path, strlen(path), true);
			html_raw(&r->out, "\">");
			html_str(&r->out, a->name);
			html_raw(&r->out, "</a>");
		} else {
			html_raw(&r->out, "<bdi>");
			html_str(&r->out, a->name);
			html_raw(&r->out, "</bdi>");
		}
		html_raw(&r->out, " · ");
		size_text(r, a->size);
		if (!here) {
			html_raw(&r->out, " · ");
			html_str(&r->out, _("not on this node yet"));
		}
		html_raw(&r->out, "</li>");
	}
	html_raw(&r->out, "</ul></section>");
}

/* Splits "ID-N": 0, or -ENOENT. */
static int
parse_arg(const char *arg, char hex[2 * TESS_ID_LEN + 1], size_t *index)
{
	const char *slash = strchr(arg, '-');
	char *end;
	unsigned long n;

	if (slash == NULL || slash - arg != 2 * TESS_ID_LEN || slash[1] < '0' || slash[1] > '9')
		return -ENOENT;
	n = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || n >= TESS_MAX_ATTACH)
		return -ENOENT;
	memcpy(hex, arg, 2 * TESS_ID_LEN);
	hex[2 * TESS_ID_LEN] = '\0';
	*index = n;
	return 0;
}

int
web_page_attachment(struct web_req *r, const char *arg)
{
	char hex[2 * TESS_ID_LEN + 1], *path = NULL;
	Tessera__Record *rec = NULL;
	const Tessera__Attachment *a;
	struct blob_info bi;
	struct stat sb;
	size_t i;
	int rc, fd = -1;

	if (parse_arg(arg, hex, &i) != 0 || (rc = web_record_get(r, hex, &rec)) == -ENOENT) {
		web_message_page(r, 404, _("This node holds no such record."));
		return 0;
	}
	if (rc != 0)
		return rc;
	if (rec->deleted || i >= rec->n_attachments) {
		record_free(rec);
		web_message_page(r, 404, _("This record has no such attached file."));
		return 0;
	}
	a = rec->attachments[i];
	if (blob_get_info(r->w->env->store, a->root.data, &bi) != 0 || bi.state != BLOB_COMPLETE ||
	    (path = blob_path(r->w->env->store, a->root.data)) == NULL ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0 ||
	    (uint64_t)sb.st_size != a->size) {
		if (fd >= 0)
			close(fd);
		free(path);
		record_free(rec);
		web_message_page(r, 404, _("This file is not on this node yet: it is fetched from "
		    "peers that hold it."));
		return 0;
	}
	free(path);
	if ((r->file_name = strdup(a->name)) == NULL) {
		close(fd);
		record_free(rec);
		return -ENOMEM;
	}
	r->file_fd = fd;
	r->file_size = a->size;
	record_free(rec);
	return 0;
}

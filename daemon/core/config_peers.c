/* The peers of a configuration: managed drop-in files (peers_dir), one
 * [peer] section each, read after the main file; lookups; and freeing a
 * configuration, peers and all. A drop-in that
 * does not parse is skipped whole and reported, so that one bad file (a full
 * disk, a hand edit) cannot take the node's other peers with it. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_int.h"
#include "core/util.h"

void
config_drop_peers(struct config *c, size_t keep)
{
	for (size_t i = keep; i < c->n_peers; i++) {
		free(c->peers[i].name);
		free(c->peers[i].address);
		free(c->peers[i].ep.host);
		free(c->peers[i].file);
	}
	if (keep < c->n_peers)
		c->n_peers = keep;
	if (keep == 0) {
		free(c->peers);
		c->peers = NULL;
	}
}

/* Drop-ins are "*.conf"; editors' backups, temporary files of our own
 * atomic writes (".NAME.conf.tmp") and dotfiles are not read. */
static int
dropin_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".conf") == 0;
}

static int
dropin_refused(struct config *c, char *cause)
{
	char **n = realloc(c->dropin_errors, (c->n_dropin_errors + 1) * sizeof(*n));

	if (n == NULL) {
		free(cause);
		return -ENOMEM;
	}
	c->dropin_errors = n;
	n[c->n_dropin_errors++] = cause;
	return 0;
}

int
config_load_dropins(struct config *c, char **cause)
{
	struct dirent **list = NULL;
	int n, rc = 0;

	if (c->peers_dir == NULL)
		return 0;
	if ((n = scandir(c->peers_dir, &list, dropin_filter, alphasort)) < 0) {
		if (errno == ENOENT)
			return 0;   /* no peer was ever added by command */
		return dropin_refused(c, strfmt("%s: %s", c->peers_dir, strerror(errno)));
	}
	for (int i = 0; i < n; i++) {
		char *path = rc == 0 ? strfmt("%s/%s", c->peers_dir, list[i]->d_name) : NULL;
		size_t keep = c->n_peers;
		char *why = NULL;

		free(list[i]);
		if (rc != 0)
			continue;
		if (path == NULL) {
			rc = set_cause(cause, -ENOMEM, "out of memory");
			continue;
		}
		if (config_parse(c, path, true, &why) == -ENOMEM) {
			rc = set_cause(cause, -ENOMEM, "out of memory");
			free(why);
		} else if (why != NULL) {
			config_drop_peers(c, keep);
			if (dropin_refused(c, why) != 0)
				rc = set_cause(cause, -ENOMEM, "out of memory");
		}
		free(path);
	}
	free(list);
	return rc;
}

const struct peer_conf *
config_find_peer(const struct config *c, const uint8_t id[TESS_KEY_LEN])
{
	for (size_t i = 0; i < c->n_peers; i++)
		if (memcmp(c->peers[i].id, id, TESS_KEY_LEN) == 0)
			return &c->peers[i];
	return NULL;
}

const struct peer_conf *
config_find_peer_name(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n_peers; i++)
		if (strcmp(c->peers[i].name, name) == 0)
			return &c->peers[i];
	return NULL;
}

const char *
config_peer_file(const struct config *c, const struct peer_conf *pc)
{
	return pc->file != NULL ? pc->file : c->path;
}

bool
config_peer_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 64 && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_listen; i++)
		free(c->listen[i].host);
	config_drop_peers(c, 0);
	for (size_t i = 0; i < c->n_dropin_errors; i++)
		free(c->dropin_errors[i]);
	free(c->dropin_errors);
	free(c->peers_dir);
	free(c->listen);
	free(c->peers);
	free(c->data_dir);
	free(c->control_socket);
	free(c->control_group);
	free(c->metrics_listen.host);
	free(c->web_listen.host);
	free(c->web_catalogues);
	free(c->path);
	free(c);
}

/* tesserad: argv, subcommands (init, id), config check, run. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/check.h"
#include "core/config.h"
#include "core/identity.h"
#include "core/log.h"
#include "core/process.h"
#include "node.h"
#include "rotate_key.h"
#include "store/publish.h"
#include "core/record.h"
#include "store/store.h"
#include "core/util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tesserad [-v[v]] -c FILE     run the node in the foreground (-v debug, -vv trace)\n"
	    "       tesserad -n -c FILE          check a configuration file and exit\n"
	    "       tesserad init --data DIR --name NAME [--country CC] [--languages pt,en]\n"
	    "                                    create a node: key, certificate, database\n"
	    "       tesserad id --data DIR       print the node ID\n"
	    "       tesserad check --data DIR    check a stopped node: the key file's mode,\n"
	    "                                    SQLite integrity, every stored record's signature\n"
	    "       tesserad rotate-key --data DIR  with tesserad stopped: a new key, and the\n"
	    "                                    statement that the community continues under it\n"
	    "       tesserad --version\n");
}

static int
split_langs(char *list, char **out, size_t max, size_t *n)
{
	*n = 0;
	for (char *tok = strtok(list, ", "); tok; tok = strtok(NULL, ", ")) {
		if (*n == max || strlen(tok) > 35 || !utf8_valid(tok, strlen(tok)))
			return -EINVAL;
		out[(*n)++] = tok;
	}
	return 0;
}

/* Refuses a directory that already holds any part of a node. */
static int
check_fresh(const char *dir)
{
	const char *files[] = { IDENTITY_KEY_FILE, IDENTITY_CERT_FILE, STORE_DB_FILE };
	struct stat sb;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = strfmt("%s/%s", dir, files[i]);
		int exists = p != NULL && stat(p, &sb) == 0;

		free(p);
		if (exists) {
			fprintf(stderr, "tesserad: %s already holds a node (%s); refusing to overwrite it\n",
			    dir, files[i]);
			return -EEXIST;
		}
	}
	return 0;
}

static int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' }, { "name", required_argument, NULL, 'N' },
		{ "country", required_argument, NULL, 'C' },
		{ "languages", required_argument, NULL, 'L' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *name = NULL, *country = NULL;
	char *langs_arg = NULL, *langs[TESS_MAX_TEXTS], *cause = NULL;
	struct identity *id = NULL;
	struct store *st = NULL;
	size_t n_langs = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'N': name = optarg; break;
		case 'C': country = optarg; break;
		case 'L': langs_arg = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (dir == NULL || name == NULL || optind != argc) {
		fprintf(stderr, "tesserad: init needs --data DIR and --name NAME\n");
		return 2;
	}
	if (langs_arg != NULL && split_langs(langs_arg, langs, TESS_MAX_TEXTS, &n_langs) != 0) {
		fprintf(stderr, "tesserad: --languages: expected a list like pt,en\n");
		return 2;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "tesserad: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (check_fresh(dir) != 0)
		return 1;
	if (access(dir, W_OK) != 0) {
		fprintf(stderr, "tesserad: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if ((rc = identity_create(dir, &id, &cause)) != 0 ||
	    (rc = store_open(dir, true, &st, &cause)) != 0)
		goto fail;

	Tessera__Record tmpl = TESSERA__RECORD__INIT;
	Tessera__Profile prof = TESSERA__PROFILE__INIT;
	Tessera__Text text = TESSERA__TEXT__INIT, *texts[1] = { &text };

	prof.name = (char *)name;
	prof.country = (char *)country;
	prof.languages = langs;
	prof.n_languages = n_langs;
	text.lang = n_langs > 0 ? langs[0] : "en";
	text.title = (char *)name;
	tmpl.has_kind = 1;
	tmpl.kind = TESSERA__KIND__KIND_PROFILE;
	tmpl.profile = &prof;
	tmpl.texts = texts;
	tmpl.n_texts = 1;
	if ((rc = publish_profile(st, id, &tmpl, &cause)) != 0)
		goto fail;
	printf("%s\n", id->id);
	store_close(st);
	identity_free(id);
	return 0;
fail:
	fprintf(stderr, "tesserad: init: %s\n", cause ? cause : "failed");
	free(cause);
	store_close(st);
	/* Leave nothing half-made behind, so that init can simply be rerun. */
	if (id != NULL) {
		char *paths[] = { strfmt("%s/%s", dir, IDENTITY_KEY_FILE),
			strfmt("%s/%s", dir, IDENTITY_CERT_FILE), strfmt("%s/%s", dir, STORE_DB_FILE),
			strfmt("%s/%s-wal", dir, STORE_DB_FILE), strfmt("%s/%s-shm", dir, STORE_DB_FILE) };

		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			if (paths[i] != NULL)
				unlink(paths[i]);
			free(paths[i]);
		}
	}
	identity_free(id);
	return 1;
}

static int
cmd_id(int argc, char **argv)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct identity *id;
	const char *dir = NULL;
	char *cause = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c != 'd') {
			usage(stderr);
			return 2;
		}
		dir = optarg;
	}
	if (dir == NULL) {
		fprintf(stderr, "tesserad: id needs --data DIR\n");
		return 2;
	}
	if (identity_load(dir, &id, &cause) != 0) {
		fprintf(stderr, "tesserad: %s\n", cause);
		free(cause);
		return 1;
	}
	printf("%s\n", id->id);
	identity_free(id);
	return 0;
}

static int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 } };
	const char *dir = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd') {
			usage(stderr);
			return 2;
		}
		dir = optarg;
	}
	if (dir == NULL || optind != argc) {
		fprintf(stderr, "tesserad: check needs --data DIR\n");
		return 2;
	}
	return check_store(dir, stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *path = NULL;
	struct config *conf;
	char *cause = NULL;
	int c, check = 0, verbose = 0, rc;

	log_init(0, "tesserad");
	/* Before any key is created or read, whatever the command. */
	if (process_harden(&cause) != 0) {
		fprintf(stderr, "tesserad: %s\n", cause);
		free(cause);
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "id") == 0)
		return cmd_id(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "rotate-key") == 0)
		return rotate_key_main(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "c:nvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose++; break;
		case 'V': printf("tesserad %s\n", TESSERA_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init(verbose, "tesserad");
	if (config_load(path, &conf, &cause) != 0) {
		fprintf(stderr, "%s\n", cause ? cause : "configuration error");
		free(cause);
		return 1;
	}
	if (check) {
		/* The daemon would skip a bad drop-in and run; a check says so. */
		for (size_t i = 0; i < conf->n_dropin_errors; i++)
			fprintf(stderr, "%s\n", conf->dropin_errors[i]);
		if (conf->n_dropin_errors == 0)
			printf("%s: ok (%zu peers, %zu listeners)\n", path, conf->n_peers,
			    conf->n_listen);
		rc = conf->n_dropin_errors == 0 ? 0 : 1;
		config_free(conf);
		return rc;
	}
	/* Strangers may hold max_unauthenticated descriptors; then two per
	 * peer (a session and a dial), the control clients, and the database,
	 * listeners and libuv's own. */
	process_nofile((size_t)conf->max_unauthenticated + 2 * conf->n_peers + 64 + 64);
	return node_run(conf);
}

/* Configuration: libinih feeds one table of typed options into a new struct. */
#include "core/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config_int.h"
#include "core/nodeid.h"
#include "core/util.h"

static const char *const sectnames[] = { "", "node", "limits", "peer" };
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#define PATH_MAX_WHERE 320     /* "FILE:LINE" in messages (cut if longer) */


/* Pairs whose values must be ordered: lo < hi if strict, else lo <= hi. */
static const struct order {
	const char *lo, *hi;
	bool strict;
} orders[] = {
	{ "send_soft_limit", "send_hard_limit", false },
	{ "keepalive", "idle_timeout", true },
	{ "backoff_min", "backoff_max", false },
};

/* Suffixes of numeric types; a bare number is bytes, milliseconds or items. */
static const struct unit {
	enum opt_type type;
	const char *suffix;
	uint64_t mult;
} units[] = {
	{ OPT_SIZE, "", 1 }, { OPT_SIZE, "K", KiB }, { OPT_SIZE, "M", MiB }, { OPT_SIZE, "G", GiB },
	{ OPT_SIZE64, "", 1 }, { OPT_SIZE64, "K", KiB }, { OPT_SIZE64, "M", MiB },
	{ OPT_SIZE64, "G", GiB }, { OPT_SIZE64, "T", 1024 * GiB },
	{ OPT_DURATION, "", 1 }, { OPT_DURATION, "ms", 1 }, { OPT_DURATION, "s", 1000 },
	{ OPT_DURATION, "m", 60000 }, { OPT_DURATION, "h", 3600000 }, { OPT_COUNT, "", 1 },
};
static const char *const hints[] = {
	[OPT_SIZE] = "size (bytes, or a number with K, M or G)",
	[OPT_SIZE64] = "size (bytes, or a number with K, M, G or T)",
	[OPT_DURATION] = "duration (milliseconds, or a number with ms, s, m or h)",
	[OPT_COUNT] = "number",
};

struct parse {
	struct config *c;
	const char *path;      /* the file being read: the main one or a drop-in */
	bool peers_only;       /* a drop-in: [peer] sections only */
	FILE *f;
	char *buf;             /* getline's buffer */
	size_t bufsz;
	char *base;            /* absolute directory of the file, for relative paths */
	int line;
	enum sect sect;
	int seen[CONFIG_NOPTS];       /* line each option was set on, 0 if not */
	int handler_line;      /* line whose key we refused, to tell libinih's errors apart */
	int err;               /* first failure; later ones are not reported */
	char *cause;
};

/* Records the first failure as "path:line: message" ("path: message" without a line). */
static int __attribute__((format(printf, 4, 5)))
parse_fail(struct parse *p, int rc, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->err != 0)
		return p->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err = rc;
	if (line > 0)
		set_cause(&p->cause, rc, "%s:%d: %s", p->path, line, msg);
	else
		set_cause(&p->cause, rc, "%s: %s", p->path, msg);
	return rc;
}

static int
parse_nomem(struct parse *p)
{
	return parse_fail(p, -ENOMEM, 0, "%s", strerror(ENOMEM));
}

/* Digits, then one of the type's suffixes, case-insensitively. */
static int
parse_number(const char *s, enum opt_type type, uint64_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	for (size_t i = 0; i < nitems(units); i++) {
		if (units[i].type != type || strcasecmp(s, units[i].suffix) != 0)
			continue;
		if (v > UINT64_MAX / units[i].mult)
			return -ERANGE;
		*out = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

static int
set_path(struct parse *p, char **field, const char *value)
{
	bool root = strcmp(p->base, "/") == 0;
	char *s;

	if (value[0] == '/')
		s = strdup(value);
	else
		s = strfmt("%s/%s", root ? "" : p->base, value);
	if (s == NULL)
		return parse_nomem(p);
	free(*field);
	*field = s;
	return 0;
}

/* Comma-separated entries; the key may also be repeated. */
static int
add_endpoints(struct parse *p, const char *label, const char *value)
{
	struct config *c = p->c;
	struct endpoint *n;
	char *copy, *item, *next, *end;
	const char *why;
	int rc = 0;

	if ((copy = strdup(value)) == NULL)
		return parse_nomem(p);
	for (item = copy; item != NULL && rc == 0; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		while (isspace((unsigned char)*item))
			item++;
		for (end = item + strlen(item); end > item && isspace((unsigned char)end[-1]);)
			*--end = '\0';
		if ((n = realloc(c->listen, (c->n_listen + 1) * sizeof(*n))) == NULL) {
			rc = parse_nomem(p);
			break;
		}
		c->listen = n;
		if ((rc = config_endpoint_parse(item, &n[c->n_listen], &why)) == 0)
			c->n_listen++;
		else if (rc == -ENOMEM)
			parse_nomem(p);
		else
			parse_fail(p, rc, p->line, "%s: invalid address '%s': %s", label, item, why);
	}
	free(copy);
	return rc;
}

/* Where an earlier peer was set: "line N" in this file, else "FILE:N". */
static const char *
peer_where(const struct parse *p, const struct peer_conf *q, char *buf, size_t n)
{
	const char *file = config_peer_file(p->c, q);

	if (strcmp(file, p->path) == 0)
		snprintf(buf, n, "line %d", q->line);
	else
		snprintf(buf, n, "%s:%d", file, q->line);
	return buf;
}

static bool
endpoint_numeric(const struct endpoint *ep)
{
	struct in6_addr a;

	return inet_pton(AF_INET, ep->host, &a) == 1 || inet_pton(AF_INET6, ep->host, &a) == 1;
}

static int
opt_set(struct parse *p, const struct opt *o, void *base, const char *label, const char *value)
{
	struct config *c = p->c;
	struct peer_conf *peer = base;
	void *field = (char *)base + o->off;
	const char *why, *ms = o->type == OPT_DURATION ? "ms" : "";
	char where[PATH_MAX_WHERE];
	uint64_t v;
	int rc;

	if (*value == '\0')
		return parse_fail(p, -EINVAL, p->line, "%s: empty value", label);
	switch (o->type) {
	case OPT_PATH:
		return set_path(p, field, value);
	case OPT_ENDPOINTS:
		return add_endpoints(p, label, value);
	case OPT_ADDRESS:
		if ((rc = config_endpoint_parse(value, &peer->ep, &why)) == -ENOMEM)
			return parse_nomem(p);
		if (rc != 0)
			return parse_fail(p, rc, p->line, "%s: invalid address '%s': %s", label,
			    value, why);
		if ((peer->address = strdup(value)) == NULL)
			return parse_nomem(p);
		return 0;
	case OPT_LOCAL:
		/* An IP literal: the metrics endpoint binds before any resolver
		 * could be consulted, and a name would hide which interface it is. */
		if ((rc = config_endpoint_parse(value, field, &why)) == -ENOMEM)
			return parse_nomem(p);
		if (rc == 0 && !endpoint_numeric(field))
			why = "expected an IP address, not a name";
		if (rc != 0 || !endpoint_numeric(field)) {
			free(((struct endpoint *)field)->host);
			((struct endpoint *)field)->host = NULL;
			return parse_fail(p, -EINVAL, p->line, "%s: invalid address '%s': %s", label,
			    value, why);
		}
		return 0;
	case OPT_NAME:
		if (strlen(value) > 32 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789._-") < strlen(value))
			return parse_fail(p, -EINVAL, p->line,
			    "%s: invalid name '%s' (1-32 of A-Z a-z 0-9 . _ -)", label, value);
		free(*(char **)field);
		if ((*(char **)field = strdup(value)) == NULL)
			return parse_nomem(p);
		return 0;
	case OPT_BOOL:
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
			return parse_fail(p, -EINVAL, p->line, "%s: '%s' is not yes or no", label,
			    value);
		*(bool *)field = strcmp(value, "yes") == 0;
		return 0;
	case OPT_NODEID:
		if (nodeid_decode(value, peer->id, &why) != 0)
			return parse_fail(p, -EINVAL, p->line, "%s: invalid id: %s", label, why);
		for (struct peer_conf *q = c->peers; q < peer; q++)
			if (memcmp(q->id, peer->id, TESS_KEY_LEN) == 0)
				return parse_fail(p, -EINVAL, p->line, "%s: id already used by "
				    "peer \"%s\" (%s)", label, q->name,
				    peer_where(p, q, where, sizeof(where)));
		return 0;
	default:
		break;
	}
	if ((rc = parse_number(value, o->type, &v)) == -EINVAL)
		return parse_fail(p, rc, p->line, "%s: '%s' is not a %s", label, value,
		    hints[o->type]);
	if (rc != 0 || v < o->min || v > o->max)
		return parse_fail(p, -EINVAL, p->line, "%s: %s is out of range (%llu%s..%llu%s)",
		    label, value, (unsigned long long)o->min, ms, (unsigned long long)o->max, ms);
	if (o->type == OPT_SIZE64)
		*(uint64_t *)field = v;
	else
		*(uint32_t *)field = (uint32_t)v;
	return 0;
}

static size_t
opt_index(const char *key)
{
	size_t i;

	for (i = 0; i < CONFIG_NOPTS && strcmp(config_opts[i].key, key) != 0; i++)
		;
	return i;
}

/* Ends the current section: a peer without a pinned key is of no use. */
static int
section_close(struct parse *p)
{
	struct peer_conf *peer;

	if (p->sect != SECT_PEER || p->seen[opt_index("id")] != 0)
		return 0;
	peer = &p->c->peers[p->c->n_peers - 1];
	return parse_fail(p, -EINVAL, peer->line, "peer \"%s\": missing id", peer->name);
}

/* arg: what follows "peer" in the header, which must be a quoted name. */
static int
peer_open(struct parse *p, const char *arg)
{
	struct config *c = p->c;
	struct peer_conf *n;
	char where[PATH_MAX_WHERE];
	size_t len;

	arg += strspn(arg, " \t");
	len = strlen(arg);
	if (len < 2 || arg[0] != '"' || arg[len - 1] != '"')
		return parse_fail(p, -EINVAL, p->line,
		    "a peer section needs a quoted name, as in [peer \"wales\"]");
	arg++;
	len -= 2;
	if (len == 0 || len > 64 || strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") < len)
		return parse_fail(p, -EINVAL, p->line,
		    "invalid peer name \"%.*s\" (1-64 of A-Z a-z 0-9 . _ -)", (int)len, arg);
	for (size_t i = 0; i < c->n_peers; i++)
		if (strncmp(c->peers[i].name, arg, len) == 0 && c->peers[i].name[len] == '\0')
			return parse_fail(p, -EINVAL, p->line,
			    "duplicate peer \"%s\" (first at %s)", c->peers[i].name,
			    peer_where(p, &c->peers[i], where, sizeof(where)));
	if ((n = realloc(c->peers, (c->n_peers + 1) * sizeof(*n))) == NULL)
		return parse_nomem(p);
	c->peers = n;
	n = memset(&n[c->n_peers], 0, sizeof(*n));
	c->n_peers++;
	if ((n->name = strndup(arg, len)) == NULL ||
	    (p->peers_only && (n->file = strdup(p->path)) == NULL))
		return parse_nomem(p);
	n->line = p->line;
	for (size_t i = 0; i < CONFIG_NOPTS; i++)
		if (config_opts[i].sect == SECT_PEER)
			p->seen[i] = 0;
	p->sect = SECT_PEER;
	return 0;
}

/* A "[...]" line. Malformed headers are left for libinih to report. */
static int
section_open(struct parse *p, const char *s)
{
	const char *end, *start;
	char *name;
	bool space = false;
	int rc = 0;

	/* Where libinih ends the name: at ']' or at a ';' comment after a blank. */
	for (end = s + 1; *end != '\0' && *end != ']' && !(space && *end == ';'); end++)
		space = isspace((unsigned char)*end);
	if (*end != ']')
		return 0;
	if (section_close(p) != 0)
		return p->err;
	for (start = s + 1; isspace((unsigned char)*start); start++)
		;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	/* libinih still needs the line, so the name is a copy. */
	if ((name = strndup(start, (size_t)(end - start))) == NULL)
		return parse_nomem(p);
	if (strncmp(name, "peer", 4) == 0 && (name[4] == '\0' || name[4] == '"' ||
	    isspace((unsigned char)name[4])))
		rc = peer_open(p, name + 4);
	else if (p->peers_only)
		rc = parse_fail(p, -EINVAL, p->line, "only [peer \"name\"] sections belong in a "
		    "drop-in file, not [%s]", name);
	else if (strcmp(name, "node") == 0)
		p->sect = SECT_NODE;
	else if (strcmp(name, "limits") == 0)
		p->sect = SECT_LIMITS;
	else
		rc = parse_fail(p, -EINVAL, p->line, "unknown section [%s]", name);
	free(name);
	return rc;
}

/* libinih's fgets-style reader: counts lines, vets bytes and tracks sections. */
static char *
parse_read(char *str, int num, void *arg)
{
	struct parse *p = arg;
	ssize_t n;
	size_t len;
	char *s;

	if (p->err != 0)
		return NULL;
	if ((n = getline(&p->buf, &p->bufsz, p->f)) < 0) {
		if (ferror(p->f))
			parse_fail(p, -errno, 0, "%s", strerror(errno));
		return NULL;
	}
	p->line++;
	if (memchr(p->buf, '\0', (size_t)n) != NULL || !utf8_valid(p->buf, (size_t)n)) {
		parse_fail(p, -EINVAL, p->line, "not a text file (NUL byte or invalid UTF-8)");
		return NULL;
	}
	s = p->buf;
	if (p->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	/* Leading blanks go, or libinih would take an indented key for a
	 * continuation of the value above it. */
	while (isspace((unsigned char)*s))
		s++;
	for (len = strlen(s); len > 0 && isspace((unsigned char)s[len - 1]);)
		s[--len] = '\0';
	/* A comment of any length is still a comment. */
	if (*s == '#' || *s == ';') {
		s[1] = '\0';
		len = 1;
	}
	if (len + 1 > (size_t)num) {
		parse_fail(p, -EINVAL, p->line, "line too long (over %d bytes)", num - 1);
		return NULL;
	}
	if (*s == '[' && section_open(p, s) != 0)
		return NULL;
	return memcpy(str, s, len + 1);
}

static int
parse_key(struct parse *p, const char *key, const char *value)
{
	struct config *c = p->c;
	struct peer_conf *peer = c->n_peers > 0 ? &c->peers[c->n_peers - 1] : NULL;
	char label[96];
	size_t i;

	if (p->sect == SECT_NONE)
		return parse_fail(p, -EINVAL, p->line, "key '%s' outside any section", key);
	if (p->sect == SECT_PEER)
		snprintf(label, sizeof(label), "peer \"%s\"", peer->name);
	else
		snprintf(label, sizeof(label), "%s", sectnames[p->sect]);
	for (i = 0; i < CONFIG_NOPTS; i++)
		if (config_opts[i].sect == p->sect && strcmp(config_opts[i].key, key) == 0)
			break;
	if (i == CONFIG_NOPTS)
		return parse_fail(p, -EINVAL, p->line, "unknown key '%s' in [%s]", key, label);
	if (p->seen[i] != 0 && config_opts[i].type != OPT_ENDPOINTS)
		return parse_fail(p, -EINVAL, p->line,
		    "duplicate key '%s' in [%s] (first at line %d)", key, label, p->seen[i]);
	p->seen[i] = p->line;
	if (p->sect == SECT_PEER)
		return opt_set(p, &config_opts[i], peer, label, value);
	return opt_set(p, &config_opts[i], c, key, value);
}

static int
parse_handler(void *arg, const char *section, const char *key, const char *value)
{
	struct parse *p = arg;

	if (parse_key(p, key, value) == 0)
		return 1;
	p->handler_line = p->line;
	return 0;
}

/* Loopback only, unless the operator says the web view is for others too. */
static int
web_check(struct parse *p)
{
	const struct endpoint *ep = &p->c->web_listen;
	struct in6_addr a;
	struct in_addr a4;

	if (ep->host == NULL || p->c->web_expose)
		return 0;
	if (inet_pton(AF_INET, ep->host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127)
		return 0;
	if (inet_pton(AF_INET6, ep->host, &a) == 1 && IN6_IS_ADDR_LOOPBACK(&a))
		return 0;
	return parse_fail(p, -EINVAL, p->seen[opt_index("web_listen")],
	    "web_listen: %s is not a loopback address; add web_expose = yes to serve the web "
	    "view beyond this machine (without its operator-only parts)", ep->host);
}

/* The later of the two lines is blamed, as that is where the conflict appeared. */
static int
config_check(struct parse *p)
{
	if (web_check(p) != 0)
		return p->err;
	for (size_t i = 0; i < nitems(orders); i++) {
		size_t a = opt_index(orders[i].lo), b = opt_index(orders[i].hi);
		uint32_t lo = *(uint32_t *)((char *)p->c + config_opts[a].off);
		uint32_t hi = *(uint32_t *)((char *)p->c + config_opts[b].off);
		const char *ms = config_opts[a].type == OPT_DURATION ? "ms" : "";

		if (lo < hi || (lo == hi && !orders[i].strict))
			continue;
		return parse_fail(p, -EINVAL, p->seen[a] > p->seen[b] ? p->seen[a] : p->seen[b],
		    "%s (%u%s) must be %s %s (%u%s)", config_opts[a].key, lo, ms,
		    orders[i].strict ? "below" : "at most", config_opts[b].key, hi, ms);
	}
	return 0;
}

static int
parse_file(struct parse *p)
{
	char *copy;
	int rc;

	if ((p->f = fopen(p->path, "re")) == NULL)
		return parse_fail(p, -errno, 0, "%s", strerror(errno));
	if ((copy = strdup(p->path)) == NULL)
		return parse_nomem(p);
	p->base = realpath(dirname(copy), NULL);
	free(copy);
	if (p->base == NULL)
		return parse_fail(p, -errno, 0, "%s", strerror(errno));
	for (size_t i = 0; i < CONFIG_NOPTS && !p->peers_only; i++)
		if (config_opts[i].def != NULL && opt_set(p, &config_opts[i], p->c, config_opts[i].key, config_opts[i].def))
			return p->err;
	rc = ini_parse_stream(parse_read, p, parse_handler, p);
	if (rc == -2)
		return parse_nomem(p);
	if (rc > 0 && rc != p->handler_line) {
		/* libinih could not read a line before anything we refused. */
		p->err = 0;
		return parse_fail(p, -EINVAL, rc, "syntax error");
	}
	if (p->err == 0 && section_close(p) == 0 && !p->peers_only)
		config_check(p);
	return p->err;
}

int
config_parse(struct config *c, const char *path, bool peers_only, char **cause)
{
	struct parse p;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.path = path;
	p.peers_only = peers_only;
	parse_file(&p);
	if (p.f != NULL)
		fclose(p.f);
	free(p.buf);
	free(p.base);
	if (p.err != 0 && cause != NULL) {
		free(*cause);
		*cause = p.cause;
	} else
		free(p.cause);
	return p.err;
}

int
config_load(const char *path, struct config **out, char **cause)
{
	struct config *c;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		return set_cause(cause, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
	}
	if ((rc = config_parse(c, path, false, cause)) != 0 ||
	    (rc = config_load_dropins(c, cause)) != 0) {
		config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* Managed peer drop-ins, written atomically (peerfile.h). */
#include "core/peerfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/atomicfile.h"
#include "core/config.h"
#include "core/nodeid.h"
#include "core/util.h"

char *
peerfile_path(const char *dir, const char *name)
{
	return strfmt("%s/%s.conf", dir, name);
}

int
peerfile_write(const char *dir, const char *name, const char *address,
    const uint8_t id[TESS_KEY_LEN], const char *why, char **cause)
{
	char idtext[NODEID_STRLEN + 1], stamp[32];
	char *path, *text;
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	if (!config_peer_name_ok(name))
		return set_cause(cause, -EINVAL, "invalid peer name '%s' (1-64 of A-Z a-z 0-9 . _ -)",
		    name);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return set_cause(cause, -errno, "%s: %s", dir, strerror(errno));
	nodeid_encode(id, idtext);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm);
	path = peerfile_path(dir, name);
	text = strfmt("# Managed by tesserad: %s on %s.\n"
	    "# Change it with `tessera peer add` and `tessera peer remove`.\n"
	    "[peer \"%s\"]\n%s%s%sid = %s\n", why, stamp, name, address ? "address = " : "",
	    address ? address : "", address ? "\n" : "", idtext);
	if (path == NULL || text == NULL)
		rc = set_cause(cause, -ENOMEM, "out of memory");
	else
		rc = atomicfile_write(path, text, 0640, cause);
	free(path);
	free(text);
	return rc;
}

int
peerfile_remove(const char *path, char **cause)
{
	return atomicfile_remove(path, cause);
}

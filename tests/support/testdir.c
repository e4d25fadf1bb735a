/* Temporary directories for unit tests. */
#include "testdir.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
testdir_make(char *dir, size_t sz, const char *name)
{
	snprintf(dir, sz, "/tmp/%s.XXXXXX", name);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

int
testdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		/* A store keeps its attachments in a folder (blobs/). */
		if (e->d_type == DT_DIR)
			testdir_remove(path);
		else
			unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}

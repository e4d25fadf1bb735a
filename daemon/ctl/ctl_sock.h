/* The control socket's file: created with its final mode and group before
 * anyone can reach it by its path. */
#ifndef CTL_SOCK_H
#define CTL_SOCK_H

#include <uv.h>

/* Binds h (uv_pipe_init'ed) to a Unix socket at path, mode 0660, group
 * group (NULL: ours), replacing a stale socket left by a crash but nothing
 * else. The socket is bound in a private directory next to path, given its
 * mode and group there, then renamed to path: the path never names it with
 * other permissions, and nothing in a directory others may write is changed
 * through a path they could swap for a symlink. On failure *cause says
 * why and no file is left behind. */
int ctl_sock_bind(uv_pipe_t *h, const char *path, const char *group, char **cause);

#endif

/* The node's status as `tessera status` shows it, built once for every
 * reader: the control socket's status reply and the web view's health page. */
#ifndef STATUS_H
#define STATUS_H

#include <stdint.h>

#include "control.pb-c.h"
#include "core/tessera.h"
#include "ops/health.h"

struct ops_env;

/* reply.status points at s; reply.peers holds the peers' views. */
struct status_view {
	Tessera__Reply reply;
	Tessera__Status s;
	struct health_items attention;
	char *name;                    /* this node's name, NULL if none */
};

/* Fills v from env for the node whose key is id. Returns 0, -EIO (the
 * store cannot be read) or -ENOMEM; on failure nothing is left to free. */
int status_fill(const struct ops_env *env, const uint8_t id[TESS_KEY_LEN],
    struct status_view *v);
void status_view_free(struct status_view *v);

#endif

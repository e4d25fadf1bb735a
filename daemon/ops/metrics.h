/* Opt-in Prometheus endpoint (metrics_listen in [node]): GET /metrics
 * answers with the text exposition format, rendered in the loop thread. */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

struct node;
struct endpoint;
struct config;
struct metrics;

/* Binds ep and serves from n's loop. */
int metrics_start(struct node *n, const struct endpoint *ep, struct metrics **out,
    char **cause);
/* Closes the socket and handles; frees once libuv is done with them. */
void metrics_stop(struct metrics *m);
/* SIGHUP: a changed metrics_listen rebinds (the old endpoint stays on if
 * the new address cannot be bound); removing the key turns it off. */
void metrics_reload(struct node *n, const struct config *old, const struct config *nc);

/* Communities shown by name in tessera_community_records; the others are
 * summed, so the text does not grow with the number of authors. */
#define METRICS_TOP_COMMUNITIES 10

/* The exposition text (malloc'd, *len bytes, NUL-terminated). */
int metrics_render(struct node *n, char **out, size_t *len);

#endif

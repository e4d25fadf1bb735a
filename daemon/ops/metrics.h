/* Opt-in Prometheus endpoint (metrics_listen in [node]): GET /metrics
 * answers with the text exposition format, rendered in the loop thread. */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

struct endpoint;
struct metrics;
struct ops_env;

/* Binds ep and serves env's state from env's loop; env outlives the
 * endpoint. */
int metrics_start(const struct ops_env *env, const struct endpoint *ep, struct metrics **out,
    char **cause);
/* Closes the socket and handles; frees once libuv is done with them. */
void metrics_stop(struct metrics *m);
/* SIGHUP: *m is the running endpoint (NULL: off) and ep the one the new
 * configuration asks for (host NULL: off). A changed address rebinds (the
 * old endpoint stays on if the new one cannot be bound); no address turns
 * it off. */
void metrics_reload(struct metrics **m, const struct ops_env *env, const struct endpoint *ep);

/* Communities shown by name in tessera_community_records; the others are
 * summed, so the text does not grow with the number of authors. */
#define METRICS_TOP_COMMUNITIES 10

/* The exposition text (malloc'd, *len bytes, NUL-terminated). */
int metrics_render(const struct ops_env *env, char **out, size_t *len);

#endif

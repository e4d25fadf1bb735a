/* The local web view (web_listen in [node]): read-only HTML pages over the
 * store and the node's health for the people at a community centre, served
 * on the daemon's loop (ops/httpd.c). docs/web.md. */
#ifndef WEB_H
#define WEB_H

#include <stdint.h>

#include "core/tessera.h"

struct endpoint;
struct ops_env;
struct web;

/* Binds ep and serves env's store and status from env's loop; env and id
 * (this node's key) outlive the server. Loads the translations from
 * env->conf->web_catalogues (a missing one: that language is not offered,
 * logged). */
int web_start(const struct ops_env *env, const uint8_t id[TESS_KEY_LEN],
    const struct endpoint *ep, struct web **out, char **cause);
/* Closes the socket; frees once libuv is done. NULL ok. */
void web_stop(struct web *w);
/* SIGHUP: rebinds when web_listen changed (NULL/host NULL: off), reloads
 * the translations; web_expose is read per request. */
void web_reload(struct web **w, const struct ops_env *env, const uint8_t id[TESS_KEY_LEN],
    const struct endpoint *ep);

#endif

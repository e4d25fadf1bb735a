/* A blocking connection to the daemon's control socket: frames out, replies in. */
#ifndef CONN_H
#define CONN_H

#include "control.pb-c.h"

struct conn;

/* Connects to the Unix socket at path; every later read waits at most
 * timeout_s seconds. Returns 0, or a negative errno with *cause set. */
int conn_open(const char *path, int timeout_s, struct conn **out, char **cause);
void conn_close(struct conn *cn);
/* Sends one request frame. Returns 0, or negative with *cause set
 * (-EMSGSIZE when the request exceeds the frame limit). */
int conn_send(struct conn *cn, const Tessera__Request *req, char **cause);
/* Waits for the next reply; free it with tessera__reply__free_unpacked.
 * Returns 0, or negative with *cause set. */
int conn_recv(struct conn *cn, Tessera__Reply **out, char **cause);

#endif

/* libmicrohttpd driven from the libuv loop, shared by the metrics endpoint
 * and the web view: one listening address, a request handler that runs in
 * the loop thread, rebinding on reload. */
#ifndef HTTPD_H
#define HTTPD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct endpoint;
struct httpd;

/* What an HTTP server needs besides its address: MHD's access handler
 * (called with cls), a label for logs and causes ("metrics_listen"), a
 * bound on simultaneous clients and their idle timeout. */
struct httpd_conf {
	const char *label;
	MHD_AccessHandlerCallback handler;
	void *cls;
	unsigned int max_clients;
	unsigned int timeout_s;
	/* Handlers may MHD_suspend_connection (then httpd_kick after resuming). */
	bool suspend;
	/* Longest request line and headers MHD buffers, bytes (0: 32 KiB). */
	size_t memory_limit;
	/* Optional: sees the raw request target first; what it returns is the
	 * handler's *con_cls, released by completed (both NULL: unused). */
	void *(*uri_log)(void *cls, const char *uri, struct MHD_Connection *c);
	void (*completed)(void *cls, struct MHD_Connection *c, void **con_cls,
	    enum MHD_RequestTerminationCode why);
};

/* Binds ep (an IP literal) and serves from loop. */
int httpd_start(uv_loop_t *loop, const struct httpd_conf *hc, const struct endpoint *ep,
    struct httpd **out, char **cause);
/* Closes the socket and handles; frees once libuv is done with them. NULL ok. */
void httpd_stop(struct httpd *h);
/* Lets MHD process what is due now: after MHD_resume_connection, which
 * epoll does not announce. */
void httpd_kick(struct httpd *h);
/* "127.0.0.1:9470" or "[::1]:8080", for logs. */
const char *httpd_where(const struct httpd *h);
/* SIGHUP: *hp is the running server (NULL: off), ep the address the new
 * configuration asks for (host NULL: off). A changed address rebinds (the
 * old server stays on if the new one cannot be bound); no address turns it
 * off. Returns true when *hp changed. */
bool httpd_reload(struct httpd **hp, uv_loop_t *loop, const struct httpd_conf *hc,
    const struct endpoint *ep);

/* Queues a small constant text/plain answer. */
enum MHD_Result httpd_plain(struct MHD_Connection *c, unsigned int status, const char *text);

#endif

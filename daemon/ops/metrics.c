/* Prometheus endpoint: GET /metrics on the loop's HTTP server (ops/httpd.c),
 * so the handler reads the store and peer state directly. */
#include "ops/metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "ops/httpd.h"
#include "ops/ops.h"

#define METRICS_MAX_CLIENTS 8
#define METRICS_CLIENT_TIMEOUT_S 10

struct metrics {
	struct httpd *h;
};

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	const struct ops_env *env = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text;
	size_t len;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return httpd_plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (strcmp(url, "/metrics") != 0)
		return httpd_plain(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	if (metrics_render(env, &text, &len) != 0)
		return httpd_plain(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot read the node's state\n");
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void
metrics_conf(const struct ops_env *env, struct httpd_conf *hc)
{
	*hc = (struct httpd_conf){ .label = "metrics_listen", .handler = on_request,
	    .cls = (void *)env, .max_clients = METRICS_MAX_CLIENTS,
	    .timeout_s = METRICS_CLIENT_TIMEOUT_S };
}

int
metrics_start(const struct ops_env *env, const struct endpoint *ep, struct metrics **out,
    char **cause)
{
	struct httpd_conf hc;
	struct metrics *m;
	int rc;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return set_cause(cause, -ENOMEM, "out of memory");
	metrics_conf(env, &hc);
	if ((rc = httpd_start(env->loop, &hc, ep, &m->h, cause)) != 0) {
		free(m);
		return rc;
	}
	log_info("metrics on http://%s/metrics", httpd_where(m->h));
	*out = m;
	return 0;
}

void
metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	httpd_stop(m->h);
	free(m);
}

void
metrics_reload(struct metrics **mp, const struct ops_env *env, const struct endpoint *ep)
{
	struct httpd_conf hc;
	char *cause = NULL;

	if (*mp == NULL) {
		if (ep->host == NULL)
			return;
		if (metrics_start(env, ep, mp, &cause) != 0) {
			log_warnx("reload: %s; the metrics endpoint stays off", cause);
			free(cause);
		}
		return;
	}
	metrics_conf(env, &hc);
	if (httpd_reload(&(*mp)->h, env->loop, &hc, ep) && (*mp)->h == NULL) {
		free(*mp);
		*mp = NULL;
	}
}

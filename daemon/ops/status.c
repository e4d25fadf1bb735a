/* The status view shared by the control socket and the web view. */
#include "ops/status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "net/peers.h"
#include "ops/ops.h"
#include "store/store.h"

int
status_fill(const struct ops_env *env, const uint8_t id[TESS_KEY_LEN], struct status_view *v)
{
	Tessera__Status *s = &v->s;
	struct store_stats stats;
	const char *why;

	memset(v, 0, sizeof(*v));
	tessera__reply__init(&v->reply);
	tessera__status__init(s);
	if (store_stats(env->store, &stats) != 0)
		return -EIO;
	store_meta_get(env->store, "name", &v->name);
	s->has_node_id = s->has_started = s->has_records = s->has_db_bytes = s->has_epoch = 1;
	s->has_seq = s->has_peers_configured = s->has_peers_connected = 1;
	s->node_id = (ProtobufCBinaryData){ TESS_KEY_LEN, (uint8_t *)id };
	s->name = v->name;
	s->version = TESSERA_VERSION;
	s->started = env->started;
	s->records = stats.records;
	s->db_bytes = stats.db_bytes;
	s->data_dir = env->conf->data_dir;
	s->epoch = (ProtobufCBinaryData){ TESS_EPOCH_LEN, (uint8_t *)store_epoch(env->store) };
	s->seq = stats.seq;
	s->peers_configured = (uint32_t)env->conf->n_peers;
	s->peers_connected = peers_connected(env->peers);
	s->has_storage_full = 1;
	s->storage_full = store_full(env->store, &why);
	s->storage_error = (char *)why;
	if (env->push_duplicates != NULL) {
		s->has_push_duplicates = 1;
		s->push_duplicates = *env->push_duplicates;
	}
	if (env->push_forwarded != NULL) {
		s->has_push_forwarded = 1;
		s->push_forwarded = *env->push_forwarded;
	}
	v->reply.status = s;
	/* Disk, peers and attention items: after every other field is set. */
	if (health_status(env, &stats, s, &v->reply, &v->attention) != 0) {
		free(v->name);
		v->name = NULL;
		return -ENOMEM;
	}
	return 0;
}

void
status_view_free(struct status_view *v)
{
	health_status_free(&v->reply, &v->attention);
	free(v->name);
	v->name = NULL;
}

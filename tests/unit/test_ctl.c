/* The control socket alone, without a node: a real store, a private loop
 * and CLI-like clients on a Unix socket. Checks the request table's flags
 * (writes wait for another client's import) and the news ctl sends up
 * through struct ctl_env's hooks, counted by this test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "control.pb-c.h"
#include "core/config.h"
#include "core/identity.h"
#include "core/nodeid.h"
#include "core/tessera.h"
#include "core/util.h"
#include "core/wire.h"
#include "ctl/ctl.h"
#include "ops/health.h"
#include "ops/ops.h"
#include "store/search.h"
#include "store/store.h"
#include "storefix.h"

#define PUMP_ROUNDS 500          /* of at most 10 ms: a reply within 5 s */
#define MAX_REPLIES 16

/* What came up through the hooks. */
struct seen {
	int committed, held, released, blocked, unblocked;
	uint8_t author[TESS_KEY_LEN];
};

struct tctl {
	struct storefix *fx;
	uv_loop_t loop;
	struct config conf;
	struct health health;
	struct ops_env ops;
	struct ctl_env env;
	struct ctl *ctl;
	char path[96];                /* fits sockaddr_un's sun_path */
	struct seen seen;
};

struct client {
	int fd;
	struct wire_reader rd;
	Tessera__Reply *replies[MAX_REPLIES];
	size_t n;
};

static void
on_committed(void *arg)
{
	((struct seen *)arg)->committed++;
}

static void
on_import(void *arg, bool holding)
{
	struct seen *s = arg;

	if (holding)
		s->held++;
	else
		s->released++;
}

static void
on_blocked(void *arg, const uint8_t author[TESS_KEY_LEN], bool blocked)
{
	struct seen *s = arg;

	memcpy(s->author, author, TESS_KEY_LEN);
	if (blocked)
		s->blocked++;
	else
		s->unblocked++;
}

static int
setup(void **state)
{
	struct storefix *fx;
	struct tctl *t;
	char *cause = NULL;

	if (storefix_setup(state) != 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	fx = *state;
	t->fx = fx;
	uv_loop_init(&t->loop);
	t->conf.data_dir = fx->dir;
	snprintf(t->path, sizeof(t->path), "%s/ctl.sock", fx->dir);
	t->ops = (struct ops_env){ .loop = &t->loop, .store = fx->st, .health = &t->health,
		.conf = &t->conf, .started = now_ms() };
	t->env = (struct ctl_env){ .ops = &t->ops, .id = fx->a, .on_committed = on_committed,
		.on_import = on_import, .on_blocked = on_blocked, .hook_arg = &t->seen };
	store_set_local(fx->st, fx->a->pub);
	if (ctl_start(&t->env, t->path, &t->ctl, &cause) != 0) {
		fprintf(stderr, "ctl_start: %s\n", cause);
		free(cause);
		return -1;
	}
	*state = t;
	return 0;
}

/* Stops the ctl and checks that every handle it opened is closed. */
static int
teardown(void **state)
{
	struct tctl *t = *state;
	int rc;

	ctl_stop(t->ctl);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&t->loop);
	*state = t->fx;
	free(t);
	storefix_teardown(state);
	return rc == 0 ? 0 : -1;
}

static void
client_open(struct tctl *t, struct client *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	wire_reader_init(&c->rd, TESS_MAX_FRAME);
}

static void
client_close(struct client *c)
{
	for (size_t i = 0; i < c->n; i++)
		tessera__reply__free_unpacked(c->replies[i], NULL);
	wire_reader_free(&c->rd);
	close(c->fd);
}

static int
on_reply(void *arg, const uint8_t *payload, size_t len)
{
	struct client *c = arg;
	Tessera__Reply *r = tessera__reply__unpack(NULL, len, payload);

	if (r == NULL || c->n == MAX_REPLIES)
		return -1;
	c->replies[c->n++] = r;
	return 0;
}

/* Sends req, runs the loop until a reply arrives and returns it (owned by
 * c until client_close). */
static const Tessera__Reply *
call(struct tctl *t, struct client *c, const Tessera__Request *req)
{
	size_t before = c->n, len;
	uint8_t *frame, buf[4096];

	assert_int_equal(wire_pack(&req->base, TESS_MAX_FRAME, &frame, &len), 0);
	assert_int_equal(write(c->fd, frame, len), (ssize_t)len);
	free(frame);
	for (int i = 0; i < PUMP_ROUNDS && c->n == before; i++) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		uv_run(&t->loop, UV_RUN_NOWAIT);
		if (poll(&p, 1, 10) != 1)
			continue;
		n = read(c->fd, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(wire_reader_feed(&c->rd, buf, (size_t)n, on_reply, c), 0);
	}
	assert_true(c->n > before);
	return c->replies[before];
}

static void
op_request(Tessera__Request *req, Tessera__Request__Op op)
{
	tessera__request__init(req);
	req->has_op = 1;
	req->op = op;
}

/* An ADD of one resource titled title. */
static const Tessera__Reply *
add(struct tctl *t, struct client *c, const char *title)
{
	Tessera__Request req;
	Tessera__AddRequest a = TESSERA__ADD_REQUEST__INIT;
	Tessera__Text text = TESSERA__TEXT__INIT;

	text.lang = "en";
	text.title = (char *)title;
	a.has_kind = 1;
	a.kind = TESSERA__KIND__KIND_RESOURCE;
	a.text = &text;
	op_request(&req, TESSERA__REQUEST__OP__ADD);
	req.add = &a;
	return call(t, c, &req);
}

/* One IMPORT chunk: a resource titled title, or nothing (title NULL). */
static const Tessera__Reply *
import(struct tctl *t, struct client *c, const char *title, bool final)
{
	Tessera__Request req;
	Tessera__ImportRequest im = TESSERA__IMPORT_REQUEST__INIT;
	Tessera__ImportItem item = TESSERA__IMPORT_ITEM__INIT, *items[] = { &item };
	Tessera__Record content = TESSERA__RECORD__INIT;
	Tessera__Text text = TESSERA__TEXT__INIT, *texts[] = { &text };

	text.lang = "en";
	text.title = (char *)title;
	content.has_kind = 1;
	content.kind = TESSERA__KIND__KIND_RESOURCE;
	content.texts = texts;
	content.n_texts = 1;
	item.has_line = 1;
	item.line = 1;
	item.content = &content;
	im.items = items;
	im.n_items = title != NULL;
	im.has_final = 1;
	im.final = final;
	op_request(&req, TESSERA__REQUEST__OP__IMPORT);
	req.import = &im;
	return call(t, c, &req);
}

static uint64_t
records(struct tctl *t)
{
	struct store_stats st;

	assert_int_equal(store_stats(t->fx->st, &st), 0);
	return st.records;
}

static void
test_add_tells_committed(void **state)
{
	struct tctl *t = *state;
	const Tessera__Reply *r;
	struct client c;

	client_open(t, &c);
	r = add(t, &c, "Open data workshop");
	assert_false(r->has_code);
	assert_int_equal(r->n_records, 1);
	assert_int_equal(t->seen.committed, 1);
	assert_int_equal(records(t), 1);
	client_close(&c);
}

/* An ADD of an adoption of source (an ID prefix), started on date. */
static const Tessera__Reply *
adopt(struct tctl *t, struct client *c, char *source, char *date)
{
	Tessera__Request req;
	Tessera__AddRequest a = TESSERA__ADD_REQUEST__INIT;
	Tessera__Text text = TESSERA__TEXT__INIT;

	text.lang = "ro";
	text.title = "Adoptat";
	a.has_kind = a.has_status = 1;
	a.kind = TESSERA__KIND__KIND_ADOPTION;
	a.status = TESSERA__ADOPTION__STATUS__RUNNING;
	a.text = &text;
	a.source = source;
	a.started = date;
	op_request(&req, TESSERA__REQUEST__OP__ADD);
	req.add = &a;
	return call(t, c, &req);
}

/* ADD of an adoption, EDIT of its status, LINEAGE as a tree and as SVG,
 * and what they refuse. */
static void
test_adopt_and_lineage(void **state)
{
	struct tctl *t = *state;
	const Tessera__Reply *r;
	Tessera__Request req;
	Tessera__EditRequest e = TESSERA__EDIT_REQUEST__INIT;
	char src[2 * TESS_ID_LEN + 1], id[2 * TESS_ID_LEN + 1];
	struct client c;

	client_open(t, &c);
	r = add(t, &c, "Community profile tool");
	hex_encode(r->records[0]->record->id.data, TESS_ID_LEN, src);
	r = adopt(t, &c, src, "2024-13-01");
	assert_int_equal(r->code, TESSERA__REPLY__CODE__INVALID);
	r = adopt(t, &c, NULL, NULL);
	assert_int_equal(r->code, TESSERA__REPLY__CODE__INVALID);
	r = adopt(t, &c, "ffffffffffff", NULL);
	assert_int_equal(r->code, TESSERA__REPLY__CODE__NOT_FOUND);
	src[12] = '\0';
	r = adopt(t, &c, src, "2024-03-01");
	assert_false(r->has_code);
	assert_non_null(r->records[0]->record->adoption);
	assert_string_equal(r->records[0]->record->adoption->started, "2024-03-01");
	hex_encode(r->records[0]->record->id.data, TESS_ID_LEN, id);

	op_request(&req, TESSERA__REQUEST__OP__EDIT);
	e.id = src;
	e.has_status = 1;
	e.status = TESSERA__ADOPTION__STATUS__ENDED;
	req.edit = &e;
	assert_int_equal(call(t, &c, &req)->code, TESSERA__REPLY__CODE__INVALID);
	e.id = id;
	e.ended = "2025-06-30";
	r = call(t, &c, &req);
	assert_false(r->has_code);
	assert_int_equal(r->records[0]->record->adoption->status,
	    TESSERA__ADOPTION__STATUS__ENDED);

	op_request(&req, TESSERA__REQUEST__OP__LINEAGE);
	req.id = id;
	r = call(t, &c, &req);
	assert_non_null(r->lineage);
	assert_int_equal(r->lineage->n_nodes, 2);
	assert_int_equal(r->lineage->start, 1);
	assert_int_equal(r->lineage->nodes[1]->parent, 0);
	assert_string_equal(r->lineage->nodes[1]->ended, "2025-06-30");
	req.has_svg = req.svg = 1;
	r = call(t, &c, &req);
	assert_null(r->lineage);
	assert_non_null(r->svg);
	assert_non_null(strstr(r->svg, "Community profile tool"));
	client_close(&c);
}

static void
test_import_holds_other_writes(void **state)
{
	struct tctl *t = *state;
	const Tessera__Reply *r;
	Tessera__Request list;
	struct client a, b;

	client_open(t, &a);
	client_open(t, &b);
	r = import(t, &a, "first chunk", false);
	assert_false(r->has_code);
	assert_int_equal(t->seen.held, 1);
	assert_int_equal(t->seen.released, 0);
	/* Another client's writes, a second import among them, wait... */
	r = add(t, &b, "would join the import");
	assert_int_equal(r->code, TESSERA__REPLY__CODE__BUSY);
	assert_non_null(strstr(r->error, "an import is in progress"));
	r = import(t, &b, "a second import", true);
	assert_int_equal(r->code, TESSERA__REPLY__CODE__BUSY);
	assert_int_equal(t->seen.held, 1);
	/* ...its reads do not... */
	op_request(&list, TESSERA__REQUEST__OP__STATUS);
	r = call(t, &b, &list);
	assert_false(r->has_code);
	assert_non_null(r->status);
	/* ...and the importing client goes on. */
	r = import(t, &a, "second chunk", true);
	assert_false(r->has_code);
	assert_non_null(r->import);
	assert_int_equal(r->import->created, 2);
	assert_int_equal(t->seen.released, 1);
	assert_int_equal(records(t), 2);
	r = add(t, &b, "after the import");
	assert_false(r->has_code);
	assert_int_equal(t->seen.committed, 1);
	client_close(&a);
	client_close(&b);
}

static void
test_import_released_when_client_leaves(void **state)
{
	struct tctl *t = *state;
	const Tessera__Reply *r;
	struct client a, b;

	client_open(t, &a);
	client_open(t, &b);
	r = import(t, &a, "never committed", false);
	assert_false(r->has_code);
	assert_int_equal(t->seen.held, 1);
	client_close(&a);
	for (int i = 0; i < PUMP_ROUNDS && t->seen.released == 0; i++) {
		uv_run(&t->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	assert_int_equal(t->seen.released, 1);
	assert_int_equal(records(t), 0);   /* rolled back */
	r = add(t, &b, "writes again");
	assert_false(r->has_code);
	client_close(&b);
}

static void
test_block_tells_author(void **state)
{
	struct tctl *t = *state;
	const Tessera__Reply *r;
	Tessera__Request req;
	char who[NODEID_STRLEN + 1];
	struct client c;

	client_open(t, &c);
	nodeid_encode(t->fx->b->pub, who);
	op_request(&req, TESSERA__REQUEST__OP__BLOCK);
	req.community = who;
	r = call(t, &c, &req);
	assert_false(r->has_code);
	assert_int_equal(t->seen.blocked, 1);
	assert_memory_equal(t->seen.author, t->fx->b->pub, TESS_KEY_LEN);
	op_request(&req, TESSERA__REQUEST__OP__UNBLOCK);
	req.community = who;
	r = call(t, &c, &req);
	assert_false(r->has_code);
	assert_int_equal(t->seen.unblocked, 1);
	/* Our own community cannot be blocked: nothing is told. */
	nodeid_encode(t->fx->a->pub, who);
	op_request(&req, TESSERA__REQUEST__OP__BLOCK);
	req.community = who;
	r = call(t, &c, &req);
	assert_int_equal(r->code, TESSERA__REPLY__CODE__INVALID);
	assert_int_equal(t->seen.blocked, 1);
	client_close(&c);
}

/* LIST streams (CTL_STREAMS): reading pauses until its last frame, then
 * the next request is read and answered. */
static void
test_list_streams_then_reads_again(void **state)
{
	struct tctl *t = *state;
	const Tessera__Reply *r;
	Tessera__Request req;
	struct client c;

	client_open(t, &c);
	add(t, &c, "one");
	add(t, &c, "two");
	op_request(&req, TESSERA__REQUEST__OP__LIST);
	r = call(t, &c, &req);
	assert_false(r->has_code);
	assert_int_equal(r->n_records, 2);
	assert_true(r->has_more);
	assert_false(r->more);
	op_request(&req, TESSERA__REQUEST__OP__STATUS);
	r = call(t, &c, &req);
	assert_non_null(r->status);
	assert_int_equal(r->status->records, 2);
	client_close(&c);
}

/* SEARCH right after more texts arrived than a query indexes first (a
 * large sync or import): the reply says how many are not searchable yet;
 * the next search, which indexes them, says nothing. */
static void
test_search_tells_index_behind(void **state)
{
	struct tctl *t = *state;
	const Tessera__Reply *r;
	Tessera__Request req;
	Tessera__Filter one = TESSERA__FILTER__INIT;
	struct client c;
	char title[64];

	assert_int_equal(store_begin(t->fx->st), 0);
	for (int i = 0; i < SEARCH_INDEX_MAX + 50; i++) {
		snprintf(title, sizeof(title), "Seed library %d", i);
		assert_int_equal(storefix_put_new(t->fx->st, t->fx->a, title, 1, NULL),
		    STORE_STORED);
	}
	assert_int_equal(store_commit(t->fx->st), 0);
	client_open(t, &c);
	one.has_limit = 1;
	one.limit = 1;          /* one reply, no stream left behind */
	op_request(&req, TESSERA__REQUEST__OP__SEARCH);
	req.query = "library";
	req.filter = &one;
	r = call(t, &c, &req);
	assert_int_equal(r->n_records, 1);
	assert_true(r->has_index_behind);
	assert_true(r->index_behind > 0);
	assert_int_equal(r->index_behind, store_index_behind(t->fx->st));
	r = call(t, &c, &req);
	assert_int_equal(r->n_records, 1);
	assert_false(r->has_index_behind);
	assert_int_equal(store_index_behind(t->fx->st), 0);
	client_close(&c);
}

static void
test_unknown_request(void **state)
{
	struct tctl *t = *state;
	const Tessera__Reply *r;
	Tessera__Request req;
	struct client c;

	client_open(t, &c);
	tessera__request__init(&req);   /* no op at all */
	r = call(t, &c, &req);
	assert_int_equal(r->code, TESSERA__REPLY__CODE__INVALID);
	op_request(&req, (Tessera__Request__Op)99);
	r = call(t, &c, &req);
	assert_int_equal(r->code, TESSERA__REPLY__CODE__INVALID);
	assert_string_equal(r->error, "unknown request");
	client_close(&c);
}

/* A control socket that cannot be bound is stopped like a running one:
 * every handle is closed (the loop closes) and nothing leaks. */
static void
test_stop_after_failed_start(void **state)
{
	struct tctl *t = *state;
	struct ctl *bad = NULL;
	char *cause = NULL, path[192];

	snprintf(path, sizeof(path), "%s/no/such/dir/ctl.sock", t->fx->dir);
	assert_true(ctl_start(&t->env, path, &bad, &cause) < 0);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "control socket"));
	free(cause);
	assert_non_null(bad);
	ctl_stop(bad);
	ctl_stop(t->ctl);
	t->ctl = NULL;
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	uv_loop_init(&t->loop);   /* for teardown */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_tells_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopt_and_lineage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_holds_other_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_released_when_client_leaves, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_block_tells_author, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_streams_then_reads_again, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_search_tells_index_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_after_failed_start, setup, teardown),
	};

	return cmocka_run_group_tests(tests, storefix_group_setup, storefix_group_teardown);
}

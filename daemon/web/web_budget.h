/* The web view's share of the loop. Pages are rendered in the loop thread
 * (no lock, no snapshot), so a steady stream of searches could starve
 * sync and the control socket; a token bucket of rendering time keeps
 * pages to a fraction of each second, and requests over it wait
 * (suspended, in arrival order) instead. Pure: the caller gives the time. */
#ifndef WEB_BUDGET_H
#define WEB_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

/* Pages may use this many thousandths of the loop's time... */
#define WEB_SHARE_PERMILLE 200
/* ...in bursts of at most this much (microseconds). */
#define WEB_BURST_US 40000
/* The most one page is charged, and the most ever owed (microseconds). */
#define WEB_MAX_CHARGE_US 1000000

struct web_budget {
	int64_t tokens_us;             /* rendering time available; negative: owed */
	uint64_t last_us;              /* when tokens were last refilled */
};

void web_budget_init(struct web_budget *b, uint64_t now_us);
/* Refills up to now; true when a page may be rendered. */
bool web_budget_ready(struct web_budget *b, uint64_t now_us);
/* Charges a page that took used_us to render. */
void web_budget_spend(struct web_budget *b, uint64_t used_us);
/* Microseconds until web_budget_ready turns true (0: it is). */
uint64_t web_budget_wait(const struct web_budget *b);

#endif

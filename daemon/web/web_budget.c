/* Token bucket of rendering time (web_budget.h). */
#include "web/web_budget.h"

void
web_budget_init(struct web_budget *b, uint64_t now_us)
{
	b->tokens_us = WEB_BURST_US;
	b->last_us = now_us;
}

bool
web_budget_ready(struct web_budget *b, uint64_t now_us)
{
	if (now_us > b->last_us) {
		uint64_t gain = (now_us - b->last_us) * WEB_SHARE_PERMILLE / 1000;
		int64_t t;

		/* Never more owed than web_budget_spend charges, so this bounds it. */
		if (gain > WEB_BURST_US + WEB_MAX_CHARGE_US)
			gain = WEB_BURST_US + WEB_MAX_CHARGE_US;
		t = b->tokens_us + (int64_t)gain;
		b->tokens_us = t > WEB_BURST_US ? WEB_BURST_US : t;
		b->last_us = now_us;
	}
	return b->tokens_us > 0;
}

void
web_budget_spend(struct web_budget *b, uint64_t used_us)
{
	/* A page that took longer than a second is charged a second: a clock
	 * jump or a stopped process must not silence the view for long. */
	if (used_us > WEB_MAX_CHARGE_US)
		used_us = WEB_MAX_CHARGE_US;
	b->tokens_us -= (int64_t)used_us;
	if (b->tokens_us < -WEB_MAX_CHARGE_US)
		b->tokens_us = -WEB_MAX_CHARGE_US;
}

uint64_t
web_budget_wait(const struct web_budget *b)
{
	if (b->tokens_us > 0)
		return 0;
	/* Until the refill (WEB_SHARE_PERMILLE per thousand, rounded down)
	 * brings one microsecond more than is owed. */
	return (((uint64_t)(-b->tokens_us) + 1) * 1000 + WEB_SHARE_PERMILLE - 1) /
	    WEB_SHARE_PERMILLE;
}

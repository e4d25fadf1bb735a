/* Flap suppression for repeated peer failures. */
#include "core/flap.h"

#include <stdio.h>
#include <string.h>

/* Remembers reason as logged; returns whether it already was. */
static int
seen(struct flap *f, const char *reason)
{
	for (int i = 0; i < FLAP_REASONS; i++)
		if (strcmp(f->logged[i], reason) == 0)
			return 1;
	snprintf(f->logged[f->next_logged], sizeof(f->logged[0]), "%s", reason);
	f->next_logged = (f->next_logged + 1) % FLAP_REASONS;
	return 0;
}

enum flap_verdict
flap_fail(struct flap *f, const char *reason, uint64_t now)
{
	enum flap_verdict v;

	if (f->failures++ == 0) {
		f->first_ms = now;
		f->interval_ms = FLAP_FIRST_MS;
		f->next_ms = now + f->interval_ms;
		seen(f, reason);
		v = FLAP_FIRST;
	} else if (strcmp(f->reason, reason) != 0 &&
	    (!seen(f, reason) || now >= f->last_log_ms + FLAP_CHANGE_MS)) {
		/* A new symptom is news at once; one already reported in this
		 * run comes back at most once per FLAP_CHANGE_MS. */
		v = FLAP_CHANGED;
	} else if (now >= f->next_ms) {
		if (f->interval_ms < FLAP_MAX_MS)
			f->interval_ms *= 2;
		if (f->interval_ms > FLAP_MAX_MS)
			f->interval_ms = FLAP_MAX_MS;
		f->next_ms = now + f->interval_ms;
		v = FLAP_STILL;
	} else {
		v = FLAP_QUIET;
	}
	if (v != FLAP_QUIET)
		f->last_log_ms = now;
	snprintf(f->reason, sizeof(f->reason), "%s", reason);
	return v;
}

uint32_t
flap_recover(struct flap *f, uint64_t now, uint64_t *down_ms)
{
	uint32_t n = f->failures;

	*down_ms = n > 0 && now > f->first_ms ? now - f->first_ms : 0;
	memset(f, 0, sizeof(*f));
	return n;
}

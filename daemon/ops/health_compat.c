/* TEMPORARY: the old sync_apply.c reports a refused record as text. This
 * file classifies that text into an enum sync_reject; it is deleted, with
 * health_rejected_text(), when sync/ reports the enum itself through
 * session_env.on_rejected (sync/session.h). */
#include "ops/health.h"

#include <string.h>

/* The texts are the fixed strings of record.c and sync_apply.c. */
static enum sync_reject
reject_class(const char *why)
{
	if (strstr(why, "signature") != NULL)
		return SYNC_REJECT_SIGNATURE;
	if (strcmp(why, "not asked for") == 0)
		return SYNC_REJECT_UNSOLICITED;
	if (strstr(why, "same author and version") != NULL)
		return SYNC_REJECT_CONFLICT;
	if (strstr(why, "quota") != NULL)
		return SYNC_REJECT_QUOTA;
	if (strstr(why, "belongs to another author") != NULL)
		return SYNC_REJECT_NOT_AUTHOR;
	return SYNC_REJECT_INVALID;
}

void
health_rejected_text(struct health *h, const char *peer, const char *why)
{
	health_rejected(h, peer, reject_class(why), why);
}

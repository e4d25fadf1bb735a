/* The health half of `tessera status`: storage, peers, rejected records
 * and what needs attention, as text or as JSON members. */
#ifndef STATUS_HEALTH_H
#define STATUS_HEALTH_H

#include <jansson.h>

#include "control.pb-c.h"

/* Prints the health lines for a STATUS reply. */
void status_health_print(const Tessera__Reply *r);
/* Adds the same as members of o. */
void status_health_json(json_t *o, const Tessera__Reply *r);

#endif

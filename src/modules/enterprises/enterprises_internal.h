/* modules/enterprises/enterprises_internal — what the module's files share (private).
 *
 * enterprises.c declares the entities, their write rules, routes and migrations; code.c
 * holds the credit code, QR code, public summary and 一企一档 document; demo.c the demo
 * data. The enum tables live in enterprises.c. */
#ifndef YJ_MODULES_ENTERPRISES_INTERNAL_H
#define YJ_MODULES_ENTERPRISES_INTERNAL_H

#include "modules/enterprises/enterprises.h"

extern const EnumValue ent_industries[];
extern const EnumValue ent_scales[];
extern const EnumValue ent_risk_classes[];
extern const EnumValue ent_statuses[];
extern const EnumValue ent_hazard_levels[];
extern const EnumValue ent_duties[];

/* Label of an enum value, or NULL when value is NULL or not a member. */
const char *ent_label(const EnumValue *values, const char *value);
/* Display colour of a risk class ("#RRGGBB"), or NULL. */
const char *ent_risk_colour(const char *risk_class);

/* The date `days` from today in Asia/Shanghai (UTC+8), "YYYY-MM-DD" (11 bytes). */
void ent_date_in(int days, char out[11]);

/* The deployment's public URL (YINGJI_PUBLIC_URL), "" when not configured. */
const char *ent_public_url(void);

#endif

/* modules/search — 全文检索: one search box over every registry with Chinese full-text fields.
 *
 * Owns no tables: it queries the search index (search/search.h) that the entity engine keeps
 * in step with every entity declaring FIELD_FULLTEXT fields, and finds those entities among
 * the ones registered with the HTTP layer (http_entities()), so a module that declares
 * full-text fields is searchable here without telling this one. Listed last in app.c so that
 * every other module has registered its entities.
 *
 * Route (ROLE_ANY, SCOPE_JURISDICTION: only documents inside the actor's jurisdiction, an
 * enterprise user only its enterprise's records of entities with an enterprise_id field, and
 * only entities whose list route the actor's role may use — naming another is 403):
 *   GET /api/v1/search?q=暴雨 预警&kinds=plans,cases (default: every searchable entity)
 *       &page=P (default 1)&page_size=S (default 20, at most 100)
 *       → {"items": [{"kind": plural, "id", "title", "snippet", "highlights": [[start,
 *          length], …] (characters of snippet), "rank"}], "total", "page", "page_size"},
 *          best first. Query syntax: search/search.h (terms all match; "…" for a phrase).
 * A blank or over-long q (more than 100 characters) is 422 validation_failed naming q, with a
 * Chinese and an English message; an unknown kind is 422, a bad page 400. */
#ifndef YJ_MODULES_SEARCH_H
#define YJ_MODULES_SEARCH_H

#include "modules/module.h"

extern const Module search_module;

#endif

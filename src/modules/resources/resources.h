/* modules/resources — the registries of emergency resources (应急资源, SPEC C7): rescue teams
 * and their members, experts, equipment, heavy machinery, helicopter landing points,
 * transport capacity and shelters, plus the per-capita shelter area analysis.
 *
 * Owns the tables `teams` (救援队伍: kind 消防/专业/企业/社会/军警民兵, specialties, base,
 * readiness and live status, member count), `team_members` (队员 with certificates),
 * `experts` (专家), `equipment` (装备), `machinery` (重型机械), `helipads` (直升机起降点),
 * `transport` (运力) and `shelters` (避难场所). Each is an Entity of the model engine, so each
 * has list/q/filter/sort/paging, CSV import (all-or-nothing) and export, audit and change
 * events, and jurisdiction by its `division_code`. Every registry except team_members is
 * located (lon/lat, WGS-84): the engine keeps it in the spatial index, so it is a map layer
 * (title: name or owner; colour: its state field) and answers nearby queries.
 *
 * Promises:
 *   - teams.member_count is the number of team_members rows of the team, kept in the same
 *     transaction as every member create, move between teams, delete and CSV import (the
 *     team's row is locked first, so concurrent writers never lose a count);
 *     team_members.division_code is always the team's, and follows the team when it moves;
 *     a member can only be put into a team inside the writer's jurisdiction.
 *   - teams.status_updated_at is the time readiness or the live status last changed.
 *   - A team is deleted only without members and equipment (409 otherwise, saying which).
 *   - equipment may name a team inside the writer's jurisdiction; the owner defaults to it.
 *   - shelters: a shelter that is not open (standby/closed) holds nobody (occupancy 0); an
 *     open shelter whose occupancy reaches its capacity becomes full.
 *   - Shelter analysis (resources_shelter_analysis): for each child division of a parent,
 *     the summed area_m2 of the shelters that are not closed whose division code starts with
 *     the child's code, against the child's population and the 1.5 ㎡ per person target
 *     (000 第四章第四节); limited to the actor's jurisdiction.
 *
 * Routes (one table): the standard entity routes at /api/v1/{teams, team_members, experts,
 * equipment, machinery, helipads, transport, shelters} — everyone reads inside their
 * jurisdiction; administrators, duty officers and commanders write (team members report
 * through the dispatch workflows, not by editing registries); GeoJSON import/export of the
 * located ones; GET /api/v1/shelters/analysis?parent=CODE.
 *
 * Demo (Module.demo): the rescue forces and resources of the demo county 云岭县 at the seed
 * plans' scale (6 teams with 334 people, 277 experts, 27 shelters, ~120 pieces of equipment,
 * ~40 heavy machines, 4 helipads, ~20 transport owners), deterministic.
 *
 * Returned json_t values are new references owned by the caller. */
#ifndef YJ_MODULES_RESOURCES_H
#define YJ_MODULES_RESOURCES_H

#include "flow/tx.h"
#include "model/entity.h"
#include "modules/module.h"

extern const Module resources_module;

extern const Entity teams_entity;
extern const Entity team_members_entity;
extern const Entity experts_entity;
extern const Entity equipment_entity;
extern const Entity machinery_entity;
extern const Entity helipads_entity;
extern const Entity transport_entity;
extern const Entity shelters_entity;

/* The target of 000 第四章第四节: 1.5 ㎡ of shelter per person. */
#define RESOURCES_SHELTER_TARGET_M2 1.5

/* Per-capita shelter area of the children of `parent` (a division code; NULL or "" = the
 * actor's own jurisdiction, and for an all-seeing actor the provinces). The parent must lie
 * inside the actor's jurisdiction (else 404) and exist (404); a malformed code is 422.
 * *out = {"target_m2": 1.5,
 *         "total": {code, name, population, shelter_count, capacity_people, shelter_area_m2,
 *                   per_capita_m2, meets_target, shortfall_m2},
 *         "items": [the same per child division, by code]}
 * A row's population is the division's (the total's: the parent's, or the children's sum
 * when the parent has none); per_capita_m2 and meets_target are null without a population;
 * shortfall_m2 is the area still missing to reach the target (0 when met). The total counts
 * every shelter under the parent, also those recorded at the parent's own code. */
int resources_shelter_analysis(StoreConn *c, Arena *arena, const Actor *actor, const char *parent,
                               json_t **out, Error *err);

/* Recounts team_members of team `team_id` into teams.member_count inside tx (locking the
 * team's row first on PostgreSQL). exclude_member (0 = none) is left out of the count and
 * `plus` added: hooks call it before their own row is written. */
int resources_team_recount(Tx *tx, json_int_t team_id, json_int_t exclude_member, int plus,
                           Error *err);

#endif

/* modules/supplies — 应急物资: warehouses, the supply catalogue, the stock ledger, balances,
 * supplier production capacity, per-capita standards, demand estimates and allocation
 * (SPEC C7; seeds 000 第六章 and 专栏5.1, 001 专栏4, 003 五(七)).
 *
 * Owns the tables
 *   warehouses         物资储备库: four levels (市/县/乡/村), kinds 政府实物储备 / 协议储备
 *                      (企业代储, holder = the company) / 产能储备; located (lon/lat), so the
 *                      entity engine keeps them on the map (一张图);
 *   supply_items       物资目录: code, name, category of 001 专栏4, unit, spec, shelf life;
 *   supply_movements   出入库台账 — the ledger, append-only: 入库 receive, 出库 issue,
 *                      调拨 transfer (warehouse → to_warehouse), 轮换 rotate (batch →
 *                      new_batch in the same warehouse), 报废 scrap. No route changes or
 *                      deletes an entry; a mistake is corrected by a reversing entry
 *                      (reverses_id names the entry it corrects);
 *   supply_stock       balances per (warehouse, item, batch), derived from the ledger only;
 *   supplier_capacity  产能储备 / 产能动态台账: what a company can produce per day and how
 *                      soon it can start;
 *   supply_standards   需求标准: quantity per person or per household (editable).
 *
 * Promises:
 *   - Every ledger entry is written by the entity engine (validation, audit entry, change
 *     event) and its effect on supply_stock is applied by the entity's before_write hook in
 *     the SAME transaction — whichever path creates it (API, CSV import, allocation
 *     confirm, demo). Nothing else writes supply_stock except the rebuild.
 *   - No balance ever goes below zero: an entry that would is refused (409
 *     insufficient_stock) and nothing is written. Decrements are conditional
 *     (`UPDATE … SET quantity = quantity - n WHERE … AND quantity >= n`, row count
 *     checked); on PostgreSQL every transaction first touches all the balance rows it will
 *     change in one canonical order (warehouse, item, batch), so concurrent movements and
 *     allocations lock rows without deadlocks; on SQLite BEGIN IMMEDIATE serialises writers.
 *   - Jurisdiction: an entry's division_code is its (source) warehouse's; both warehouses
 *     of an entry must lie inside the actor's jurisdiction — one outside it does not exist
 *     for the actor (422, like any unknown reference). Balances carry their warehouse's
 *     division code, so lists, the expiring view, proposals and the rebuild are limited to
 *     the actor's area.
 *   - A transfer and a rotation are two effects of one entry, in one transaction; an
 *     allocation confirm books all its entries in one transaction (all or nothing).
 *   - supplies_rebuild() recomputes the balances from the ledger, reports every difference
 *     and corrects it (each correction audited as action "rebuild").
 *   - Audit: the ledger entry's audit record holds the whole movement (kind, item,
 *     warehouses, batch, quantity); since a balance is a pure function of the ledger, the
 *     maintained balance changes are not audited again (that would double the chain for no
 *     information). Only rebuild corrections — the one way a balance changes without an
 *     entry — get their own audit records.
 *   - Expiry: a daily scheduler job ("supplies.expiry", 00:00 UTC) raises a change event
 *     ("supply_stock", "", "expiring") per division holding batches that expire within
 *     SUPPLIES_EXPIRY_ALERT_DAYS, for the live views of that jurisdiction.
 *   - Quantities are whole numbers in the item's unit. A batch of an item has one expiry
 *     date wherever it lies; an outgoing entry without a batch takes the batch that expires
 *     first and can cover it (FEFO) and records it.
 *
 * Routes (reads: every role but enterprise; writes: admin, duty officer, commander):
 *   /api/v1/warehouses, /api/v1/supply-items, /api/v1/supply-standards,
 *   /api/v1/supplier-capacity                      the seven entity routes each
 *                                                  (warehouses also export.geojson and
 *                                                  import.geojson);
 *   /api/v1/supply-movements                       list, get, export, import, create (no
 *                                                  PATCH, no DELETE);
 *   POST /api/v1/supply-movements/:id/reverse      the reversing entry (冲正);
 *   /api/v1/supply-stock                           list, get, export (read-only);
 *   POST /api/v1/supply-stock/rebuild              (admin) recompute from the ledger;
 *   GET  /api/v1/supplies/expiring?days=30         batches expiring within N days;
 *   POST /api/v1/supplies/demand                   required quantity per item;
 *   POST /api/v1/supplies/allocation/propose       allocations sorted by arrival time;
 *   POST /api/v1/supplies/allocation/confirm       books the movements in one transaction.
 *
 * Memory: returned json_t values are new references owned by the caller. */
#ifndef YJ_MODULES_SUPPLIES_H
#define YJ_MODULES_SUPPLIES_H

#include "flow/tx.h"
#include "model/entity.h"
#include "modules/module.h"

#include <jansson.h>

extern const Module supplies_module;
extern const Entity warehouses_entity;
extern const Entity supply_items_entity;
extern const Entity supply_movements_entity;
extern const Entity supply_stock_entity;
extern const Entity supplier_capacity_entity;
extern const Entity supply_standards_entity;

/* Default allocation parameters: straight-line speed and the 2-hour target (000 专栏5.1). */
#define SUPPLIES_DEFAULT_SPEED_KMH 40.0
#define SUPPLIES_DEFAULT_TARGET_MINUTES 120.0
/* People per household when neither the request nor the division says (3–4 per tent). */
#define SUPPLIES_DEFAULT_HOUSEHOLD_SIZE 3.0
/* The daily expiry alert looks this many days ahead. */
#define SUPPLIES_EXPIRY_ALERT_DAYS 30

/* Books one ledger entry (fields as POST /api/v1/supply-movements takes them) with its
 * stock effect in tx. *out (may be NULL) receives the stored entry. */
int supplies_book(Tx *tx, json_t *movement, json_t **out, Error *err);

/* Books the reversing entry (冲正) of ledger entry id, inside the actor's jurisdiction:
 * receive -> issue, issue/scrap -> receive, transfer -> transfer back, rotate -> rotate
 * back; same item, quantity and batch; reverses_id = id (an entry is reversed at most
 * once: 422 when it already was). body may hold {"reason"}. */
int supplies_reverse(Tx *tx, const char *id, json_t *body, json_t **out, Error *err);

/* Recomputes the balances inside the actor's jurisdiction from the ledger. *report:
 * {"checked": rows, "differences": [{warehouse_id, item_id, batch_no, stored, ledger}],
 *  "corrected": n}; with fix = 0 nothing is written. */
int supplies_rebuild(Tx *tx, int fix, json_t **report, Error *err);

/* Batches with stock expiring by today + days inside the actor's jurisdiction (expired
 * ones included, flagged): {"days", "as_of", "until", "total", "items": [{stock_id,
 * warehouse_id, warehouse_name, division_code, item_id, item_code, item_name, unit,
 * category, batch_no, quantity, expiry_date, days_left, expired}]}, earliest first. */
int supplies_expiring(StoreConn *c, Arena *arena, const Actor *actor, int days, json_t **out,
                      Error *err);

/* Demand for an incident: body {lon?, lat?, households?, people?, division_code?} ->
 * {"households", "people", "items": [{item_id, code, name, unit, category, basis, per,
 * quantity}]}. */
int supplies_demand(StoreConn *c, Arena *arena, const Actor *actor, json_t *body, json_t **out,
                    Error *err);

/* Allocation proposal (see allocation.c): body {lon, lat, households?, people?,
 * division_code?, speed_kmh?, target_minutes?}. */
int supplies_propose(StoreConn *c, Arena *arena, const Actor *actor, json_t *body, json_t **out,
                     Error *err);

/* Books an allocation: body {incident_ref, to_warehouse_id | destination, lines: [...]}. */
int supplies_confirm(Tx *tx, json_t *body, json_t **out, Error *err);

/* Haversine distance in km between two WGS-84 points. */
double supplies_distance_km(double lon1, double lat1, double lon2, double lat2);

#endif

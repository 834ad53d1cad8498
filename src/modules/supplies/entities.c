/* modules/supplies/entities — the six entities of the supplies module; see supplies.h. */
#include "modules/supplies/supplies_internal.h"

#include <stddef.h>

#define F_END                                                                                      \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL                                       \
    }

/* ---- warehouses (物资储备库) -------------------------------------------------------------- */

static const EnumValue warehouse_levels[] = {
    {"city", "市级"}, {"county", "县级"}, {"town", "乡级"}, {"village", "村级"}, {NULL, NULL},
};

static const EnumValue warehouse_kinds[] = {
    {"government", "政府实物储备"},
    {"agreement", "协议储备（企业代储）"},
    {"capacity", "产能储备"},
    {NULL, NULL},
};

static const EnumValue warehouse_statuses[] = {
    {"active", "在用"},
    {"maintenance", "维护中"},
    {"closed", "停用"},
    {NULL, NULL},
};

static const Field warehouse_fields[] = {
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "名称", "name", NULL, NULL, 100,
     0, 0, 0, NULL},
    {"level", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "级别", "level",
     warehouse_levels, NULL, 0, 0, 0, 0, NULL},
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "储备方式", "kind",
     warehouse_kinds, NULL, 0, 0, 0, 0, "'government'"},
    {"holder", FT_TEXT, FIELD_SEARCH, "代储单位", "holder (company for agreement stock)", NULL,
     NULL, 100, 0, 0, 0, NULL},
    {"manager", FT_TEXT, FIELD_SEARCH, "负责人", "manager", NULL, NULL, 50, 0, 0, 0, NULL},
    {"phone", FT_TEXT, FIELD_SEARCH, "联系电话", "phone", NULL, NULL, 30, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION,
     FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT | FIELD_INDEX | FIELD_IMMUTABLE, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"address", FT_TEXT, FIELD_SEARCH, "地址", "address", NULL, NULL, 200, 0, 0, 0, NULL},
    {"lon", FT_REAL, FIELD_REQUIRED, "经度", "longitude", NULL, NULL, 0, 1, -180, 180, NULL},
    {"lat", FT_REAL, FIELD_REQUIRED, "纬度", "latitude", NULL, NULL, 0, 1, -90, 90, NULL},
    {"area_m2", FT_REAL, FIELD_SORT, "面积（平方米）", "area (m²)", NULL, NULL, 0, 1, 0, 1e7, NULL},
    {"status", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "状态", "status",
     warehouse_statuses, NULL, 0, 0, 0, 0, "'active'"},
    F_END,
};

const Entity warehouses_entity = {
    .table = "warehouses",
    .plural = "warehouses",
    .label_zh = "物资储备库",
    .label_en = "warehouse",
    .fields = warehouse_fields,
    .division_field = "division_code",
    .default_sort = "division_code",
    .lon_field = "lon",
    .lat_field = "lat",
    .title_field = "name",
    .state_field = "status",
};

/* ---- supply_items (物资目录) -------------------------------------------------------------- */

/* The five kinds of 001 专栏4 (应急物资储备种类), plus 其他. */
static const EnumValue item_categories[] = {
    {"living", "生活类救灾物资"},
    {"fire", "综合性消防救援应急物资"},
    {"forest", "森林草原防灭火物资"},
    {"flood", "防汛抗旱物资"},
    {"mine", "非煤矿山事故应急救援物资"},
    {"other", "其他"},
    {NULL, NULL},
};

static const Field item_fields[] = {
    {"code", FT_TEXT, FIELD_REQUIRED | FIELD_UNIQUE | FIELD_SEARCH | FIELD_SORT, "物资编码", "code",
     NULL, NULL, 32, 0, 0, 0, NULL},
    {"name", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "物资名称", "name", NULL, NULL,
     100, 0, 0, 0, NULL},
    {"category", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "物资类别", "category",
     item_categories, NULL, 0, 0, 0, 0, NULL},
    {"unit", FT_TEXT, FIELD_REQUIRED, "计量单位", "unit", NULL, NULL, 10, 0, 0, 0, NULL},
    {"spec", FT_TEXT, FIELD_SEARCH, "规格型号", "specification", NULL, NULL, 100, 0, 0, 0, NULL},
    {"shelf_life_days", FT_INT, FIELD_SORT, "保质期（天）", "shelf life (days)", NULL, NULL, 0, 1,
     1, 36500, NULL},
    F_END,
};

const Entity supply_items_entity = {
    .table = "supply_items",
    .plural = "supply-items",
    .label_zh = "物资目录",
    .label_en = "supply item",
    .fields = item_fields,
    .division_field = NULL,
    .default_sort = "code",
};

/* ---- supply_movements (出入库台账) ------------------------------------------------------- */

static const EnumValue movement_kinds[] = {
    {"receive", "入库"}, {"issue", "出库"}, {"transfer", "调拨"},
    {"rotate", "轮换"},  {"scrap", "报废"}, {NULL, NULL},
};

static const Field movement_fields[] = {
    {"kind", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT, "业务类型", "kind",
     movement_kinds, NULL, 0, 0, 0, 0, NULL},
    {"item_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER, "物资", "item", NULL, "supply_items", 0, 0,
     0, 0, NULL},
    {"warehouse_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER, "储备库", "warehouse", NULL,
     "warehouses", 0, 0, 0, 0, NULL},
    {"to_warehouse_id", FT_REF, FIELD_FILTER, "调入库", "destination warehouse", NULL, "warehouses",
     0, 0, 0, 0, NULL},
    {"batch_no", FT_TEXT, FIELD_FILTER | FIELD_SEARCH, "批次号", "batch", NULL, NULL, 50, 0, 0, 0,
     NULL},
    {"new_batch_no", FT_TEXT, FIELD_SEARCH, "轮换入库批次号", "new batch (rotation)", NULL, NULL,
     50, 0, 0, 0, NULL},
    {"quantity", FT_INT, FIELD_REQUIRED | FIELD_SORT, "数量", "quantity", NULL, NULL, 0, 1, 1, 1e12,
     NULL},
    {"expiry_date", FT_DATE, FIELD_SORT, "有效期至", "expiry date", NULL, NULL, 0, 0, 0, 0, NULL},
    {"unit_cost", FT_REAL, 0, "单价（元）", "unit cost (CNY)", NULL, NULL, 0, 1, 0, 1e9, NULL},
    {"reason", FT_TEXT, FIELD_SEARCH, "事由", "reason", NULL, NULL, 200, 0, 0, 0, NULL},
    {"incident_ref", FT_TEXT, FIELD_FILTER | FIELD_SEARCH, "关联事件", "incident", NULL, NULL, 100,
     0, 0, 0, NULL},
    {"reverses_id", FT_REF, FIELD_FILTER | FIELD_UNIQUE, "冲正的台账记录", "reverses entry", NULL,
     "supply_movements", 0, 0, 0, 0, NULL},
    {"created_by", FT_TEXT, FIELD_READONLY | FIELD_FILTER, "经办人", "booked by", NULL, NULL, 64, 0,
     0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_READONLY | FIELD_FILTER | FIELD_INDEX, "所属区划",
     "division", NULL, NULL, 0, 0, 0, 0, NULL},
    F_END,
};

const Entity supply_movements_entity = {
    .table = "supply_movements",
    .plural = "supply-movements",
    .label_zh = "出入库台账",
    .label_en = "stock movement",
    .fields = movement_fields,
    .division_field = "division_code",
    .default_sort = "-id",
    .before_write = supplies_movement_hook,
};

/* ---- supply_stock (库存余额, derived) ------------------------------------------------------ */

static const Field stock_fields[] = {
    {"warehouse_id", FT_REF, FIELD_REQUIRED | FIELD_READONLY | FIELD_FILTER, "储备库", "warehouse",
     NULL, "warehouses", 0, 0, 0, 0, NULL},
    {"item_id", FT_REF, FIELD_REQUIRED | FIELD_READONLY | FIELD_FILTER, "物资", "item", NULL,
     "supply_items", 0, 0, 0, 0, NULL},
    {"batch_no", FT_TEXT, FIELD_REQUIRED | FIELD_READONLY | FIELD_FILTER, "批次号", "batch", NULL,
     NULL, 50, 0, 0, 0, "''"},
    {"quantity", FT_INT, FIELD_REQUIRED | FIELD_READONLY | FIELD_SORT, "库存数量", "quantity", NULL,
     NULL, 0, 0, 0, 0, "0"},
    {"expiry_date", FT_DATE, FIELD_READONLY | FIELD_SORT, "有效期至", "expiry date", NULL, NULL, 0,
     0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_READONLY | FIELD_FILTER | FIELD_INDEX,
     "所属区划", "division", NULL, NULL, 0, 0, 0, 0, NULL},
    F_END,
};

const Entity supply_stock_entity = {
    .table = "supply_stock",
    .plural = "supply-stock",
    .label_zh = "库存余额",
    .label_en = "stock balance",
    .fields = stock_fields,
    .division_field = "division_code",
    .default_sort = "id",
};

/* ---- supplier_capacity (产能储备) ---------------------------------------------------------- */

static const Field capacity_fields[] = {
    {"company", FT_TEXT, FIELD_REQUIRED | FIELD_SEARCH | FIELD_SORT, "企业名称", "company", NULL,
     NULL, 100, 0, 0, 0, NULL},
    {"item_id", FT_REF, FIELD_REQUIRED | FIELD_FILTER, "物资", "item", NULL, "supply_items", 0, 0,
     0, 0, NULL},
    {"capacity_per_day", FT_INT, FIELD_REQUIRED | FIELD_SORT, "日产能", "capacity per day", NULL,
     NULL, 0, 1, 0, 1e12, NULL},
    {"lead_time_hours", FT_REAL, FIELD_SORT, "转产/启动时间（小时）", "lead time (hours)", NULL,
     NULL, 0, 1, 0, 8760, NULL},
    {"contact", FT_TEXT, FIELD_SEARCH, "联系人", "contact", NULL, NULL, 50, 0, 0, 0, NULL},
    {"phone", FT_TEXT, FIELD_SEARCH, "联系电话", "phone", NULL, NULL, 30, 0, 0, 0, NULL},
    {"division_code", FT_DIVISION, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORT | FIELD_INDEX,
     "所属区划", "division", NULL, NULL, 0, 0, 0, 0, NULL},
    {"designated", FT_BOOL, FIELD_FILTER, "定点保供企业", "designated supplier", NULL, NULL, 0, 0,
     0, 0, "0"},
    {"note", FT_TEXT, 0, "备注", "note", NULL, NULL, 500, 0, 0, 0, NULL},
    F_END,
};

const Entity supplier_capacity_entity = {
    .table = "supplier_capacity",
    .plural = "supplier-capacity",
    .label_zh = "产能储备",
    .label_en = "supplier capacity",
    .fields = capacity_fields,
    .division_field = "division_code",
    .default_sort = "company",
};

/* ---- supply_standards (需求标准) ----------------------------------------------------------- */

static const EnumValue standard_bases[] = {
    {"person", "每人"},
    {"household", "每户"},
    {NULL, NULL},
};

static const Field standard_fields[] = {
    {"item_id", FT_REF, FIELD_REQUIRED | FIELD_UNIQUE | FIELD_FILTER, "物资", "item", NULL,
     "supply_items", 0, 0, 0, 0, NULL},
    {"basis", FT_ENUM, FIELD_REQUIRED | FIELD_FILTER, "计算基数", "basis", standard_bases, NULL, 0,
     0, 0, 0, NULL},
    {"quantity", FT_REAL, FIELD_REQUIRED, "标准数量", "quantity per basis", NULL, NULL, 0, 1, 0,
     1000, NULL},
    {"note", FT_TEXT, 0, "依据说明", "note", NULL, NULL, 500, 0, 0, 0, NULL},
    F_END,
};

const Entity supply_standards_entity = {
    .table = "supply_standards",
    .plural = "supply-standards",
    .label_zh = "物资需求标准",
    .label_en = "supply standard",
    .fields = standard_fields,
    .division_field = NULL,
    .default_sort = "id",
};

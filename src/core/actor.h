/* core/actor — who is acting: the authenticated user of a request, or the system.
 *
 * Roles are bits so a route can allow several. The jurisdiction is a division-code prefix
 * (行政区划代码前缀): "" for the whole deployment, "6203" for a city, "620321" for a county,
 * "620321100" for a town. A record is inside the jurisdiction when its division code starts
 * with the prefix. An enterprise user is further limited to its enterprise_id. */
#ifndef YJ_CORE_ACTOR_H
#define YJ_CORE_ACTOR_H

#include <stdint.h>
#include <string.h>

typedef enum {
    ROLE_ADMIN = 1 << 0,        /* 系统管理员 */
    ROLE_DUTY_OFFICER = 1 << 1, /* 值班员 */
    ROLE_COMMANDER = 1 << 2,    /* 指挥长 */
    ROLE_INSPECTOR = 1 << 3,    /* 执法人员 */
    ROLE_ENTERPRISE = 1 << 4,   /* 企业用户 */
    ROLE_INFO_OFFICER = 1 << 5, /* 灾害信息员 */
    ROLE_TEAM_MEMBER = 1 << 6,  /* 救援队员 */
    ROLE_VIEWER = 1 << 7,       /* 只读用户 */
} Role;

#define ROLE_ANY 0xff
#define ROLE_STAFF (ROLE_ADMIN | ROLE_DUTY_OFFICER | ROLE_COMMANDER | ROLE_INSPECTOR)

typedef struct RoleInfo {
    Role role;
    const char *name;     /* stored value, e.g. "duty_officer" */
    const char *label_zh; /* e.g. "值班员" */
    const char *label_en;
} RoleInfo;

extern const RoleInfo role_table[];
extern const int role_count;
Role role_from_name(const char *name); /* 0 when unknown */
const RoleInfo *role_info(Role role);

typedef struct Actor {
    int64_t user_id; /* 0 for the system (scheduler, import from the command line) */
    const char *username;
    Role role;
    const char *jurisdiction; /* division-code prefix, "" = everything */
    int64_t enterprise_id;    /* for ROLE_ENTERPRISE; 0 otherwise */
} Actor;

extern const Actor actor_system; /* all-seeing, used by CLI and background jobs */

/* True when a record with this division code lies inside the actor's jurisdiction. */
static inline int actor_covers(const Actor *a, const char *division_code)
{
    size_t n = strlen(a->jurisdiction);
    return n == 0 || (division_code && strncmp(division_code, a->jurisdiction, n) == 0);
}

#endif

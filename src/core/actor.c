#include "core/actor.h"

const RoleInfo role_table[] = {
    {ROLE_ADMIN, "admin", "系统管理员", "administrator"},
    {ROLE_DUTY_OFFICER, "duty_officer", "值班员", "duty officer"},
    {ROLE_COMMANDER, "commander", "指挥长", "commander"},
    {ROLE_INSPECTOR, "inspector", "执法人员", "safety inspector"},
    {ROLE_ENTERPRISE, "enterprise", "企业用户", "enterprise user"},
    {ROLE_INFO_OFFICER, "info_officer", "灾害信息员", "disaster information officer"},
    {ROLE_TEAM_MEMBER, "team_member", "救援队员", "rescue team member"},
    {ROLE_VIEWER, "viewer", "只读用户", "viewer"},
};
const int role_count = (int)(sizeof role_table / sizeof role_table[0]);

const Actor actor_system = {0, "system", ROLE_ADMIN, "", 0};

Role role_from_name(const char *name)
{
    for (int i = 0; name && i < role_count; i++)
        if (strcmp(role_table[i].name, name) == 0)
            return role_table[i].role;
    return 0;
}

const RoleInfo *role_info(Role role)
{
    for (int i = 0; i < role_count; i++)
        if (role_table[i].role == role)
            return &role_table[i];
    return NULL;
}

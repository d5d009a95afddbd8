package tools

import "github.com/mark3labs/mcp-go/mcp"

// Users, departments and groups: zscaler-sdk-go zscaler/zia/services/usermanagement/
// {users,departments,groups} and zscaler-sdk-python zscaler/zia/user_management.py
// (GET /users?name=&dept=&group=&page=&pageSize=, starts-with matches;
// /departments and /groups take search).

const (
	ziaUsersPath       = ziaAPI + "/users"
	ziaDepartmentsPath = ziaAPI + "/departments"
	ziaGroupsPath      = ziaAPI + "/groups"
)

func ziaUserSpecs() []Spec {
	const ts = "zia_users"
	return []Spec{
		ziaPagedList("zia_list_users", "List ZIA users",
			"List ZIA users with their email, department and groups, filtered by the start of the user name (search), department name (dept) or group name (group).",
			ts, ziaUsersPath, "name", "Only users whose name starts with this text (the API's name filter).",
			map[string]string{"dept": "dept", "group": "group"},
			mcp.WithString("dept", mcp.Description("Only users of a department whose name starts with this text.")),
			mcp.WithString("group", mcp.Description("Only users in a group whose name starts with this text."))),
		ziaGetByID("zia_get_user", "Get a ZIA user",
			"Get one ZIA user by id with department, groups and admin flag.", ts, ziaUsersPath, "User id (zia_list_users)."),
		ziaPagedList("zia_list_departments", "List ZIA departments",
			"List ZIA departments (used as criteria in policy rules).",
			ts, ziaDepartmentsPath, "search", "Case-insensitive substring of the department name (searched by the API).", nil),
		ziaGetByID("zia_get_department", "Get a ZIA department",
			"Get one ZIA department by id: name, IdP id and comments.", ts, ziaDepartmentsPath, "Department id (zia_list_departments)."),
		ziaGetByID("zia_get_group", "Get a ZIA group",
			"Get one ZIA user group by id: name, IdP id and comments.", ts, ziaGroupsPath, "Group id (zia_list_groups)."),
		ziaPagedList("zia_list_groups", "List ZIA groups",
			"List ZIA user groups (used as criteria in policy rules).",
			ts, ziaGroupsPath, "search", "Case-insensitive substring of the group name (searched by the API).", nil),
	}
}

package tools

import (
	"context"
	"net/url"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// ZIdentity toolsets.
const (
	zidToolsetUsers  = "zidentity_users"
	zidToolsetGroups = "zidentity_groups"
)

// zidIDPattern is the pattern of ZIdentity ids (alphanumeric strings such
// as "ihln05leh07e2").
const zidIDPattern = `^[A-Za-z0-9_-]{1,64}$`

// zidentitySpecs returns the zidentity tools. Paths follow zscaler-sdk-go
// zscaler/zidentity/services/users/users.go and services/common/common.go
// (offset/limit paging, records + next_link) and zscaler-sdk-python
// zscaler/zidentity/groups.py (groups and their users), below /ziam.
func zidentitySpecs() []Spec {
	specs := []Spec{
		zpaSpec(Spec{
			Name: "zidentity_list_users", Title: "List ZIdentity users", Toolset: zidToolsetUsers, Kind: Read,
			Description: "Lists ZIdentity users (login name, display name, email, status, department, IdP), optionally filtered by case-insensitive partial matches. Follows every page.",
			Params:      append(zidUserFilterParams(), zpaMaxItemsParam()),
		}, func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
			return zidCollect(ctx, c, zidPath("users"), zidUserFilters(a), a.maxItems())
		}),
		zpaSpec(Spec{
			Name: "zidentity_get_user", Title: "Get a ZIdentity user", Toolset: zidToolsetUsers, Kind: Read,
			Description: "Returns one ZIdentity user by id: login name, names, emails, status, department, IdP and custom attributes.",
			Params:      []mcp.ToolOption{zidIDParam("id", "user", "zidentity_list_users")},
		}, zidGetRun("users")),
		zpaSpec(Spec{
			Name: "zidentity_list_user_groups", Title: "List a ZIdentity user's groups", Toolset: zidToolsetUsers, Kind: Read,
			Description: "Lists the ZIdentity groups a user belongs to. Follows every page.",
			Params:      []mcp.ToolOption{zidIDParam("id", "user", "zidentity_list_users"), zpaMaxItemsParam()},
		}, func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
			return zidCollect(ctx, c, zidPath("users", a.str("id"), "groups"), nil, a.maxItems())
		}),
		zpaSpec(Spec{
			Name: "zidentity_list_groups", Title: "List ZIdentity groups", Toolset: zidToolsetGroups, Kind: Read,
			Description: "Lists ZIdentity groups (name, description, source, whether dynamic, entitlements, IdP). Follows every page.",
			Params: []mcp.ToolOption{
				mcp.WithString("name_like", mcp.MaxLength(255), mcp.Description("Only groups whose name contains this text (case-insensitive).")),
				mcp.WithBoolean("exclude_dynamic_groups", mcp.DefaultBool(false), mcp.Description("Leave out dynamic (rule-based) groups.")),
				zpaMaxItemsParam(),
			},
		}, func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
			q := url.Values{}
			if s := a.str("name_like"); s != "" {
				q.Set("name[like]", s)
			}
			if a.boolOr("exclude_dynamic_groups", false) {
				q.Set("excludedynamicgroups", "true")
			}
			return zidCollect(ctx, c, zidPath("groups"), q, a.maxItems())
		}),
		zpaSpec(Spec{
			Name: "zidentity_get_group", Title: "Get a ZIdentity group", Toolset: zidToolsetGroups, Kind: Read,
			Description: "Returns one ZIdentity group by id: name, description, source (e.g. SCIM), whether it is dynamic, its admin/service entitlements and IdP.",
			Params:      []mcp.ToolOption{zidIDParam("id", "group", "zidentity_list_groups")},
		}, zidGetRun("groups")),
		zpaSpec(Spec{
			Name: "zidentity_list_group_members", Title: "List ZIdentity group members", Toolset: zidToolsetGroups, Kind: Read,
			Description: "Lists the users of one ZIdentity group, optionally filtered by case-insensitive partial matches. Follows every page.",
			Params:      append([]mcp.ToolOption{zidIDParam("id", "group", "zidentity_list_groups")}, append(zidUserFilterParams(), zpaMaxItemsParam())...),
		}, func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
			return zidCollect(ctx, c, zidPath("groups", a.str("id"), "users"), zidUserFilters(a), a.maxItems())
		}),
	}
	for i := range specs {
		specs[i].Service = "zidentity"
	}
	return specs
}

func zidIDParam(name, what, listTool string) mcp.ToolOption {
	return mcp.WithString(name, mcp.Required(), mcp.Pattern(zidIDPattern),
		mcp.Description("The ZIdentity "+what+" id, e.g. \"ihln05leh07e2\" (from "+listTool+")."))
}

func zidUserFilterParams() []mcp.ToolOption {
	return []mcp.ToolOption{
		mcp.WithString("login_name_like", mcp.MaxLength(255), mcp.Description("Only users whose login name contains this text.")),
		mcp.WithString("display_name_like", mcp.MaxLength(255), mcp.Description("Only users whose display name contains this text.")),
		mcp.WithString("primary_email_like", mcp.MaxLength(255), mcp.Description("Only users whose primary email contains this text.")),
	}
}

func zidUserFilters(a zpaArgs) url.Values {
	q := url.Values{}
	for arg, param := range map[string]string{"login_name_like": "loginname[like]", "display_name_like": "displayname[like]", "primary_email_like": "primaryemail[like]"} {
		if s := a.str(arg); s != "" {
			q.Set(param, s)
		}
	}
	return q
}

func zidPath(segments ...string) string {
	p := "/ziam/admin/api/v1"
	for _, s := range segments {
		p += "/" + url.PathEscape(s)
	}
	return p
}

func zidGetRun(collection string) func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	return func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
		var out map[string]any
		err := c.Do(ctx, zscaler.Request{Service: "zidentity", Path: zidPath(collection, a.str("id"))}, &out)
		return out, err
	}
}

package tools

import (
	"context"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// URL filtering rules: zscaler-sdk-go zscaler/zia/services/urlfilteringpolicies/urlfilteringpolicies.go
// (paged list, CRUD on /urlFilteringRules/{id}, full-object PUT).

const ziaURLFilteringPath = ziaAPI + "/urlFilteringRules"

var (
	// ziaURLFilteringActions excludes ISOLATE (it needs a Cloud Browser
	// Isolation profile) and ICAP_RESPONSE (needs an ICAP server).
	ziaURLFilteringActions = []string{"ALLOW", "CAUTION", "BLOCK"}
	ziaRuleStates          = []string{"ENABLED", "DISABLED"}
	ziaURLProtocols        = []string{"ANY_RULE", "HTTP_RULE", "HTTPS_RULE", "FTP_RULE", "TUNNEL_RULE", "TUNNELSSL_RULE", "HTTP_PROXY", "FOHTTP_RULE", "SSL_RULE", "DOHTTPS_RULE"}
	ziaRequestMethods      = []string{"OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT", "OTHER"}
	// ziaRuleRefs maps id-list arguments to the rule's criteria fields.
	ziaRuleRefs = []struct{ arg, field, help string }{
		{"location_ids", "locations", "Ids of locations the rule applies to (zia_list_locations)."},
		{"group_ids", "groups", "Ids of user groups the rule applies to (zia_list_groups)."},
		{"department_ids", "departments", "Ids of departments the rule applies to (zia_list_departments)."},
		{"user_ids", "users", "Ids of users the rule applies to (zia_list_users)."},
		{"label_ids", "labels", "Ids of rule labels to tag the rule with (zia_list_rule_labels)."},
	}
)

func ziaURLRuleParams(create bool) []mcp.ToolOption {
	req := func(opts ...mcp.PropertyOption) []mcp.PropertyOption {
		if create {
			return append(opts, mcp.Required())
		}
		return opts
	}
	out := []mcp.ToolOption{
		mcp.WithString("name", req(mcp.MinLength(1), mcp.Description("Rule name, unique among URL filtering rules."))...),
		mcp.WithInteger("order", req(mcp.Min(1), mcp.Description("Evaluation order (1 = first). Rules with a lower order are evaluated first."))...),
		mcp.WithString("action", req(mcp.Enum(ziaURLFilteringActions...), mcp.Description("What happens to matching traffic: ALLOW, CAUTION (warn page) or BLOCK."))...),
		mcp.WithString("state", mcp.Enum(ziaRuleStates...), mcp.Description("ENABLED (default on create) or DISABLED.")),
		mcp.WithArray("url_categories", mcp.WithStringItems(mcp.MinLength(1)), mcp.Description("URL category ids the rule matches (zia_list_url_categories), e.g. GAMBLING or CUSTOM_01.")),
		mcp.WithArray("protocols", mcp.WithStringEnumItems(ziaURLProtocols), mcp.Description("Protocols matched (default on create: ANY_RULE).")),
		mcp.WithArray("request_methods", mcp.WithStringEnumItems(ziaRequestMethods), mcp.Description("HTTP methods matched (default: all).")),
		mcp.WithString("description", mcp.MaxLength(10240), mcp.Description("Free-text description.")),
		mcp.WithInteger("rank", mcp.Min(0), mcp.Max(7), mcp.Description("Admin rank of the rule, 0-7 (default on create: 7).")),
		mcp.WithBoolean("block_override", mcp.Description("Let users override a BLOCK (default false).")),
	}
	for _, r := range ziaRuleRefs {
		out = append(out, mcp.WithArray(r.arg, mcp.WithIntegerItems(mcp.Min(1)), mcp.Description(r.help)))
	}
	return out
}

// ziaURLRuleFields reads the given rule arguments into API fields.
func ziaURLRuleFields(a ziaArgs, create bool) (map[string]any, error) {
	body := map[string]any{}
	if name, err := a.str("name", create); err != nil {
		return nil, err
	} else if name != "" {
		body["name"] = name
	}
	if a.has("order") || create {
		n, err := a.int("order", create, 0, 1, 1<<20)
		if err != nil {
			return nil, err
		}
		body["order"] = n
	}
	if v, err := a.enum("action", create, ziaURLFilteringActions...); err != nil {
		return nil, err
	} else if v != "" {
		body["action"] = v
	}
	if v, err := a.enum("state", false, ziaRuleStates...); err != nil {
		return nil, err
	} else if v != "" {
		body["state"] = v
	}
	lists := []struct {
		arg, field string
		values     []string
	}{{"url_categories", "urlCategories", nil}, {"protocols", "protocols", ziaURLProtocols}, {"request_methods", "requestMethods", ziaRequestMethods}}
	for _, l := range lists {
		if !a.has(l.arg) {
			continue
		}
		v, err := a.strs(l.arg, l.values...)
		if err != nil {
			return nil, err
		}
		body[l.field] = v
	}
	if a.has("description") {
		d, err := a.str("description", false)
		if err != nil {
			return nil, err
		}
		body["description"] = d
	}
	if a.has("rank") {
		n, err := a.int("rank", false, 7, 0, 7)
		if err != nil {
			return nil, err
		}
		body["rank"] = n
	}
	if a.has("block_override") {
		b, err := a.bool("block_override", false)
		if err != nil {
			return nil, err
		}
		body["blockOverride"] = b
	}
	for _, r := range ziaRuleRefs {
		if !a.has(r.arg) {
			continue
		}
		refs, err := a.idRefs(r.arg)
		if err != nil {
			return nil, err
		}
		body[r.field] = refs
	}
	return body, nil
}

func ziaURLFilteringSpecs() []Spec {
	const ts = "zia_url_filtering"
	return []Spec{
		ziaPagedList("zia_list_url_filtering_rules", "List ZIA URL filtering rules",
			"List ZIA URL filtering rules in evaluation order with their action, state, URL categories and criteria (users, groups, locations...).",
			ts, ziaURLFilteringPath, "", "Case-insensitive substring of the rule name.", nil),
		ziaGetByID("zia_get_url_filtering_rule", "Get a ZIA URL filtering rule",
			"Get one ZIA URL filtering rule by id with all its criteria.", ts, ziaURLFilteringPath, "URL filtering rule id (zia_list_url_filtering_rules)."),
		{
			Name: "zia_create_url_filtering_rule", Title: "Create a ZIA URL filtering rule", Service: "zia", Toolset: ts, Kind: Write,
			Description: "Create a ZIA URL filtering rule that allows, cautions or blocks URL categories for the given users, groups, departments or locations (none given: everyone). Returns the rule with its id." + ziaActivationNote,
			Params:      ziaURLRuleParams(true),
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				body, err := ziaURLRuleFields(ziaArgsOf(req), true)
				if err != nil {
					return nil, err
				}
				if body["state"] == nil {
					body["state"] = "ENABLED"
				}
				if body["protocols"] == nil {
					body["protocols"] = []string{"ANY_RULE"}
				}
				if body["rank"] == nil {
					body["rank"] = 7
				}
				if body["urlCategories"] == nil {
					body["urlCategories"] = []string{}
				}
				return ziaSend(ctx, c, "zia", http.MethodPost, ziaURLFilteringPath, nil, body)
			},
		},
		{
			Name: "zia_update_url_filtering_rule", Title: "Update a ZIA URL filtering rule", Service: "zia", Toolset: ts, Kind: Write, Idempotent: true,
			Description: "Update a ZIA URL filtering rule by id, changing only the fields given (a list given replaces the current list; the rest of the rule is kept)." + ziaActivationNote,
			Params:      append([]mcp.ToolOption{mcp.WithInteger("id", mcp.Required(), mcp.Min(1), mcp.Description("URL filtering rule id."))}, ziaURLRuleParams(false)...),
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				a := ziaArgsOf(req)
				id, err := a.id("id")
				if err != nil {
					return nil, err
				}
				change, err := ziaURLRuleFields(a, false)
				if err != nil {
					return nil, err
				}
				if len(change) == 0 {
					return nil, Argf("give at least one field to change")
				}
				path := ziaIDPath(ziaURLFilteringPath, id)
				cur, err := ziaGet(ctx, c, "zia", path)
				if err != nil {
					return nil, err
				}
				for k, v := range change {
					cur[k] = v
				}
				return ziaSend(ctx, c, "zia", http.MethodPut, path, nil, cur)
			},
		},
		ziaDeleteByID("zia_delete_url_filtering_rule", "Delete a ZIA URL filtering rule",
			"Delete a ZIA URL filtering rule by id."+ziaActivationNote, ts, ziaURLFilteringPath, "URL filtering rule id."),
	}
}

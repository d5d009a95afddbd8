package tools

import (
	"context"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// Cloud firewall: zscaler-sdk-go zscaler/zia/services/firewallpolicies/filteringrules/filteringrules.go
// (paged /firewallFilteringRules) and .../ipdestinationgroups/ipdestinationgroups.go
// (unpaged /ipDestinationGroups); rule labels: zscaler/zia/services/rule_labels.

const (
	ziaFirewallRulesPath = ziaAPI + "/firewallFilteringRules"
	ziaIPDestGroupsPath  = ziaAPI + "/ipDestinationGroups"
	ziaRuleLabelsPath    = ziaAPI + "/ruleLabels"
)

func ziaFirewallSpecs() []Spec {
	const ts = "zia_firewall"
	return []Spec{
		ziaPagedList("zia_list_cloud_firewall_rules", "List ZIA cloud firewall rules",
			"List ZIA cloud firewall filtering rules in evaluation order with their action (ALLOW, BLOCK_DROP, BLOCK_RESET, ...), state, network services and source/destination criteria.",
			ts, ziaFirewallRulesPath, "", "Case-insensitive substring of the rule name.", nil),
		ziaGetByID("zia_get_cloud_firewall_rule", "Get a ZIA cloud firewall rule",
			"Get one ZIA cloud firewall filtering rule by id with all its criteria.", ts, ziaFirewallRulesPath, "Firewall filtering rule id (zia_list_cloud_firewall_rules)."),
		{
			Name: "zia_list_ip_destination_groups", Title: "List ZIA IP destination groups", Service: "zia", Toolset: ts, Kind: Read,
			Description: "List ZIA IP destination groups (named sets of IPs, FQDNs or countries used by firewall rules) with their type and addresses.",
			Params: []mcp.ToolOption{
				mcp.WithString("search", mcp.Description("Case-insensitive substring of the group name.")),
				mcp.WithInteger("max_items", mcp.Min(1), mcp.Max(zscaler.DefaultMaxItems), mcp.Description("Return at most this many groups (default 1000).")),
			},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				a := ziaArgsOf(req)
				search, err := a.str("search", false)
				if err != nil {
					return nil, err
				}
				max, err := a.int("max_items", false, zscaler.DefaultMaxItems, 1, zscaler.DefaultMaxItems)
				if err != nil {
					return nil, err
				}
				var all []map[string]any
				if err := c.Do(ctx, zscaler.Request{Service: "zia", Path: ziaIPDestGroupsPath}, &all); err != nil {
					return nil, err
				}
				return ziaTrim(all, ziaNameMatches(search, "name"), max), nil
			},
		},
		ziaGetByID("zia_get_ip_destination_group", "Get a ZIA IP destination group",
			"Get one ZIA IP destination group by id with its type and addresses.", ts, ziaIPDestGroupsPath, "IP destination group id (zia_list_ip_destination_groups)."),
		ziaPagedList("zia_list_rule_labels", "List ZIA rule labels",
			"List ZIA rule labels (tags that group policy rules) with how many rules reference each.",
			"zia_rule_labels", ziaRuleLabelsPath, "search", "Case-insensitive substring of the label name.", nil),
		ziaGetByID("zia_get_rule_label", "Get a ZIA rule label",
			"Get one ZIA rule label by id with how many rules reference it.", "zia_rule_labels", ziaRuleLabelsPath, "Rule label id (zia_list_rule_labels)."),
		{
			Name: "zia_create_rule_label", Title: "Create a ZIA rule label", Service: "zia", Toolset: "zia_rule_labels", Kind: Write,
			Description: "Create a ZIA rule label (a tag to group policy rules, e.g. by project or change ticket); returns it with its id." + ziaActivationNote,
			Params: []mcp.ToolOption{
				mcp.WithString("name", mcp.Required(), mcp.MinLength(1), mcp.Description("Label name, unique in the tenant.")),
				mcp.WithString("description", mcp.Description("Free-text description.")),
			},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				a := ziaArgsOf(req)
				name, err := a.str("name", true)
				if err != nil {
					return nil, err
				}
				desc, err := a.str("description", false)
				if err != nil {
					return nil, err
				}
				return ziaSend(ctx, c, "zia", http.MethodPost, ziaRuleLabelsPath, nil, map[string]any{"name": name, "description": desc})
			},
		},
		ziaDeleteByID("zia_delete_rule_label", "Delete a ZIA rule label",
			"Delete a ZIA rule label by id (rules keep working, they just lose the label)."+ziaActivationNote, "zia_rule_labels", ziaRuleLabelsPath, "Rule label id."),
	}
}

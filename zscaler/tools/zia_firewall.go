package tools

import (
	"context"

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
		ziaPagedList("zia_list_rule_labels", "List ZIA rule labels",
			"List ZIA rule labels (tags that group policy rules) with how many rules reference each.",
			"zia_rule_labels", ziaRuleLabelsPath, "search", "Case-insensitive substring of the label name.", nil),
	}
}

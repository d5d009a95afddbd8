package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// Access policy rules follow zscaler-sdk-go
// zscaler/zpa/services/policysetcontroller/policysetcontroller.go:
// GetAllByType lists GET /policySet/rules/policyType/ACCESS_POLICY (paged),
// GetByPolicyType reads GET /policySet/policyType/ACCESS_POLICY for the
// policy set id, and GetPolicyRule reads GET /policySet/{setId}/rule/{ruleId}.

const zpaAccessPolicy = "ACCESS_POLICY"

func zpaPolicySpecs() []Spec {
	return []Spec{
		zpaSpec(Spec{
			Name: "zpa_list_access_policy_rules", Title: "List ZPA access policy rules", Toolset: zpaToolsetPolicy, Kind: Read,
			Description: "Lists the rules of the ZPA access policy in evaluation order (ruleOrder): action (ALLOW/DENY), conditions (segment groups, segments, IdP groups, posture...) and bound connector/server groups. Follows every page.",
			Params:      zpaListParams(),
		}, func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
			path, err := zpaPath(c, "v1", "policySet", "rules", "policyType", zpaAccessPolicy)
			if err != nil {
				return nil, err
			}
			return zpaList(ctx, c, path, zpaSearch(a), a.maxItems())
		}),
		zpaSpec(Spec{
			Name: "zpa_get_access_policy_rule", Title: "Get a ZPA access policy rule", Toolset: zpaToolsetPolicy, Kind: Read,
			Description: "Returns one rule of the ZPA access policy by id, with its action, order and conditions.",
			Params:      []mcp.ToolOption{zpaIDParam("id", "access policy rule")},
		}, zpaGetAccessRule),
	}
}

func zpaGetAccessRule(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	var set struct {
		ID string `json:"id"`
	}
	if err := zpaDo(ctx, c, "GET", nil, nil, &set, "policySet", "policyType", zpaAccessPolicy); err != nil {
		return nil, err
	}
	if set.ID == "" {
		return nil, fmt.Errorf("zpa: the %s policy set has no id", zpaAccessPolicy)
	}
	return zpaGetObject(ctx, c, "policySet", set.ID, "rule", a.str("id"))
}

package tools

import (
	"context"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// Activation: zscaler-sdk-go zscaler/zia/services/activation/activation.go
// (GET /status, POST /status/activate; {"status": "ACTIVE"|"PENDING"|"INPROGRESS"}).

func ziaActivationSpecs() []Spec {
	const ts = "zia_activation"
	return []Spec{
		{
			Name: "zia_get_activation_status", Title: "Get ZIA activation status", Service: "zia", Toolset: ts, Kind: Read,
			Description: "Get the ZIA configuration activation status: ACTIVE (nothing pending), PENDING (saved changes not yet in effect) or INPROGRESS.",
			Run: func(ctx context.Context, c *zscaler.Client, _ mcp.CallToolRequest) (any, error) {
				return ziaGet(ctx, c, "zia", ziaAPI+"/status")
			},
		},
		{
			Name: "zia_activate_changes", Title: "Activate ZIA changes", Service: "zia", Toolset: ts, Kind: Write, Idempotent: true,
			Description: "Activate all saved ZIA configuration changes of this API client's session so they take effect in the cloud; returns the new activation status.",
			Run: func(ctx context.Context, c *zscaler.Client, _ mcp.CallToolRequest) (any, error) {
				return ziaSend(ctx, c, "zia", http.MethodPost, ziaAPI+"/status/activate", nil, nil)
			},
		},
	}
}

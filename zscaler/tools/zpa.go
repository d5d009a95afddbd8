package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// ZPA toolsets.
const (
	zpaToolsetApps       = "zpa_applications" // application segments, segment groups, server groups
	zpaToolsetConnectors = "zpa_connectors"   // app connectors, connector groups, provisioning keys
	zpaToolsetPolicy     = "zpa_policy"       // access policy rules
)

// zpaSpecs returns the zpa tools. Paths follow zscaler-sdk-go
// zscaler/zpa/services/* (each file names the SDK file it follows).
func zpaSpecs() []Spec {
	var out []Spec
	for _, f := range []func() []Spec{zpaAppSegmentSpecs, zpaSegmentGroupSpecs, zpaServerGroupSpecs, zpaConnectorSpecs, zpaPolicySpecs} {
		for _, s := range f() {
			s.Service = "zpa"
			out = append(out, s)
		}
	}
	return out
}

// zpaSpec completes s with run reading arguments the framework already
// checked against the schema (checkArgs). It serves the zpa, zdx and
// zidentity tools.
func zpaSpec(s Spec, run func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error)) Spec {
	s.Run = func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
		return run(ctx, c, zpaArgsOf(req))
	}
	return s
}

// zpaListParams are the arguments of ZPA list tools.
func zpaListParams() []mcp.ToolOption {
	return []mcp.ToolOption{
		mcp.WithString("search", mcp.MaxLength(255), mcp.Description("Only objects whose name contains this text (ZPA's search parameter).")),
		zpaMaxItemsParam(),
	}
}

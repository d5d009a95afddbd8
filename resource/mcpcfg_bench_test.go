package resource

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

func BenchmarkMCPConfig(b *testing.B) {
	reg := NewRegistry()
	_ = reg.Add(WhoamiTool())
	none := auth.Middleware(auth.Options{AllowNone: true})
	for _, tc := range []struct {
		name string
		opts []server.ServerOption
		res  bool
	}{
		{"bare", nil, false},
		{"recovery", []server.ServerOption{server.WithRecovery()}, false},
		{"filter", []server.ServerOption{server.WithToolFilter(reg.filter(nil))}, false},
		{"resolver", nil, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := server.NewMCPServer("b", "1", append([]server.ServerOption{server.WithToolCapabilities(false)}, tc.opts...)...)
			s.AddTool(WhoamiTool().Def, func(ctx context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) { return whoami(ctx, r) })
			var o []server.StreamableHTTPOption
			if tc.res {
				o = append(o, server.WithSessionIdManagerResolver(resolver{NewSessions(100, 3600e9)}))
			}
			runHandlerBench(b, none(server.NewStreamableHTTPServer(s, o...)), "")
		})
	}
}

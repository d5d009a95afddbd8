package resource

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
	"github.com/zscalermcp/zscaler-mcp/resource/jsonguard"
)

// BenchmarkLayers adds our layers one at a time on top of mcp-go, to show
// what each costs per tools/call.
func BenchmarkLayers(b *testing.B) {
	reg := NewRegistry()
	_ = reg.Add(WhoamiTool())
	mk := func(n int) http.Handler {
		sess := NewSessions(1000, 3600e9)
		mcpS := NewMCPServer("b", "1", reg, nil)
		st := server.NewStreamableHTTPServer(mcpS, server.WithDisableLocalhostProtection(true), server.WithSessionIdManagerResolver(resolver{sess}))
		m := NewMetrics()
		all := []func(http.Handler) http.Handler{
			middleware.Recoverer, m.Middleware,
			hardening.ClientIP(hardening.IPConfig{}),
			hardening.HostAllowlist([]string{"localhost"}),
			hardening.Origins(hardening.OriginConfig{Allowed: []string{"http://localhost:8000"}}),
			hardening.RequireClientCert(false),
			hardening.BodyLimit(4 << 20),
			jsonguard.Middleware(jsonguard.Options{}),
			auth.Middleware(auth.Options{AllowNone: true}),
			requireScopes(reg, auth.Challenge{}),
			sess.Guard,
		}
		if n == 0 {
			// identity is needed by the filter and the session resolver
			return auth.Middleware(auth.Options{AllowNone: true})(st)
		}
		r := chi.NewRouter()
		r.Use(all[:n]...)
		if n < 9 {
			r.Use(auth.Middleware(auth.Options{AllowNone: true}))
		}
		r.Handle("/mcp", st)
		return r
	}
	for _, n := range []int{0, 1, 2, 3, 5, 7, 8, 9, 10, 11} {
		b.Run(string(rune('a'+n)), func(b *testing.B) { runHandlerBench(b, mk(n), "") })
	}
}

package resource

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
	"github.com/zscalermcp/zscaler-mcp/resource/jsonguard"
)

func BenchmarkMiddleware(b *testing.B) {
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"noop", noop},
		{"auth-none", auth.Middleware(auth.Options{AllowNone: true})(noop)},
		{"jsonguard", jsonguard.Middleware(jsonguard.Options{})(noop)},
		{"host", hardening.HostAllowlist([]string{"localhost"})(noop)},
		{"origins", hardening.Origins(hardening.OriginConfig{Allowed: []string{"http://localhost:8000"}})(noop)},
		{"clientip", hardening.ClientIP(hardening.IPConfig{})(noop)},
		{"metrics", NewMetrics().Middleware(noop)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tc.h.ServeHTTP(httptest.NewRecorder(), benchRequest(benchCall, "sid", ""))
			}
		})
	}
}

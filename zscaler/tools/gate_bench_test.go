package tools

import (
	"context"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// BenchmarkCallerFilterVisible is the per-caller filter's work for one
// tool of a known caller (the memoised path: what every tools/call and
// every listed tool pays).
func BenchmarkCallerFilterVisible(b *testing.B) {
	var f CallerFilter
	id := &auth.Identity{Mode: auth.ModeZscaler, Subject: "zscaler:c", Claims: serviceInfo("ZIA", "ZPA", "ZDX")}
	t := resource.Tool{Service: "zpa"}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !f.Visible(ctx, id, t) {
				b.Error("hidden")
			}
		}
	})
}

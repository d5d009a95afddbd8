package tools

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

func serviceInfo(prds ...string) map[string]any {
	info := []any{}
	for _, p := range prds {
		info = append(info, map[string]any{"prd": p, "rnm": "admin", "tnt": "acme"})
	}
	return map[string]any{"service-info": info}
}

func TestFilterEntitled(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   string
		hidden []string
	}{
		{"zia only", serviceInfo("ZIA"), "zia_list_url_categories,zia_list_locations", []string{"zpa"}},
		{"both", serviceInfo("ZPA", "ZIA"), "zia_list_url_categories,zia_list_locations,zpa_list_segment_groups", nil},
		{"no claim hides nothing", map[string]any{}, "zia_list_url_categories,zia_list_locations,zpa_list_segment_groups", nil},
		{"unknown code hides nothing by itself", serviceInfo("ZIA", "ZNEW"), "zia_list_url_categories,zia_list_locations", []string{"zpa"}},
	} {
		reads, _ := Selection{}.Apply(testCatalogue())
		got, hidden := FilterEntitled(reads, zscaler.ParseEntitlements(tc.claims))
		if names(got) != tc.want || len(hidden) != len(tc.hidden) || (len(hidden) > 0 && hidden[0] != tc.hidden[0]) {
			t.Errorf("%s: kept %s hidden %v; want %s hidden %v", tc.name, names(got), hidden, tc.want, tc.hidden)
		}
	}
}

func TestCallerFilter(t *testing.T) {
	var logs strings.Builder
	f := CallerFilter{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx := context.Background()
	zia := resource.Tool{Service: "zia"}
	zpa := resource.Tool{Service: "zpa"}
	whoami := resource.Tool{}
	ziaOnly := &auth.Identity{Mode: auth.ModeZscaler, Subject: "a", Claims: serviceInfo("ZIA")}
	noClaim := &auth.Identity{Mode: auth.ModeZscaler, Subject: "b"}
	apiKey := &auth.Identity{Mode: auth.ModeAPIKey, Subject: "k", Claims: serviceInfo("ZIA")}
	for _, tc := range []struct {
		id   *auth.Identity
		t    resource.Tool
		want bool
	}{
		{ziaOnly, zia, true}, {ziaOnly, zpa, false}, {ziaOnly, whoami, true},
		{noClaim, zpa, true},
		{apiKey, zpa, true}, // the per-caller filter is for the zscaler mode only
	} {
		if got := f.Visible(ctx, tc.id, tc.t); got != tc.want {
			t.Errorf("%s/%s sees %q: %v, want %v", tc.id.Mode, tc.id.Subject, tc.t.Service, got, tc.want)
		}
	}
	if n := f.cached(); n != 2 {
		t.Errorf("%d identities memoised, want 2 (one per zscaler identity)", n)
	}

	// Concurrent callers with their own identities (run with -race).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := &auth.Identity{Mode: auth.ModeZscaler, Subject: "c", Claims: serviceInfo("ZPA")}
			for range 100 {
				if f.Visible(ctx, id, zia) || !f.Visible(ctx, id, zpa) || !f.Visible(ctx, ziaOnly, zia) {
					t.Errorf("goroutine %d: wrong visibility", i)
					return
				}
			}
		}()
	}
	wg.Wait()
	runtime.KeepAlive(ziaOnly)
	runtime.KeepAlive(noClaim)

	// Unknown product codes are logged once per identity and hide nothing.
	odd := &auth.Identity{Mode: auth.ModeZscaler, ClientID: "odd-client", Claims: serviceInfo("ZIA", "ZFUTURE")}
	for range 3 {
		if !f.Visible(ctx, odd, zia) || f.Visible(ctx, odd, zpa) {
			t.Fatal("unknown product changed what a ZIA caller sees")
		}
	}
	if n := strings.Count(logs.String(), "unknown_products=ZFUTURE"); n != 1 || !strings.Contains(logs.String(), "client_id=odd-client") {
		t.Errorf("unknown products logged %d times:\n%s", n, logs.String())
	}
}

// TestCallerFilterForgetsDroppedIdentities: memoised entitlements go away
// with the identity, so rotating credentials do not grow the cache.
func TestCallerFilterForgetsDroppedIdentities(t *testing.T) {
	var f CallerFilter
	for range 50 {
		id := &auth.Identity{Mode: auth.ModeZscaler, Subject: "tmp", Claims: serviceInfo("ZIA")}
		f.Visible(context.Background(), id, resource.Tool{Service: "zia"})
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.cached() > 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.cached(); n > 0 {
		t.Fatalf("%d entries left after their identities were collected", n)
	}
}

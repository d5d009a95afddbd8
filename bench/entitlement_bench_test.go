package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/zscalerauth"
	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
	"github.com/zscalermcp/zscaler-mcp/zscaler"
	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// The cost of the per-caller entitlement filter (zscaler client-auth mode):
// tools/call of a read tool that calls the loopback OneAPI stand-in, with
// the filter on and off, everything else equal (issue 5: ≤ 5 %):
//
//	go test -run '^$' -bench BenchmarkEntitlementFilter -count 6 -cpu 2 ./bench/

// entitlementRig is a resource server in zscaler mode with one zia and one
// zpa read tool against the stand-in, and a caller entitled to ZIA only.
type entitlementRig struct {
	c      *client
	header http.Header
}

func newEntitlementRig(tb testing.TB, filter bool) *entitlementRig {
	tb.Helper()
	si := zscalertest.New(tb)
	// ZIA URL categories (zscaler-sdk-go zscaler/zia/services/urlcategories):
	// a bare JSON array.
	si.Handle("GET /zia/api/v1/urlCategories", func(w http.ResponseWriter, _ *http.Request) {
		zscalertest.WriteJSON(w, http.StatusOK, []map[string]any{{"id": "CUSTOM_01", "configuredName": "Finance"}, {"id": "CUSTOM_02", "configuredName": "Travel"}})
	})
	clients := si.Clients(tb)
	id, secret := clients.Add("ZIA")

	zc, err := zscaler.New(context.Background(), zscaler.Config{ClientID: si.ClientID, ClientSecret: si.ClientSecret, TokenURL: si.TokenURL, BaseURL: si.URL, CustomerID: si.CustomerID,
		RateLimits: zscaler.NoRateLimits()}) // the filter is measured, not the tenant quota
	if err != nil {
		tb.Fatal(err)
	}
	list := func(svc, path string) func(context.Context, *zscaler.Client, mcp.CallToolRequest) (any, error) {
		return func(ctx context.Context, c *zscaler.Client, _ mcp.CallToolRequest) (any, error) {
			var out []map[string]any
			err := c.Do(ctx, zscaler.Request{Service: svc, Path: path}, &out)
			return map[string]any{"items": out}, err
		}
	}
	specs := []tools.Spec{
		{Name: "zia_list_url_categories", Title: "List URL categories", Description: "List URL categories.", Service: "zia", Toolset: "zia_url_categories", Run: list("zia", "/zia/api/v1/urlCategories")},
		{Name: "zpa_list_segment_groups", Title: "List segment groups", Description: "List segment groups.", Service: "zpa", Toolset: "zpa_segment_groups", Run: list("zpa", "/zpa/mgmtconfig/v1/admin/customers/"+si.CustomerID+"/segmentGroup")},
	}
	conf, err := tools.NewConfirmer(0)
	if err != nil {
		tb.Fatal(err)
	}
	reg := resource.NewRegistry()
	if err := reg.Add(resource.WhoamiTool()); err != nil {
		tb.Fatal(err)
	}
	for _, t := range tools.Build(specs, zc, conf.Middleware) {
		if err := reg.Add(t); err != nil {
			tb.Fatal(err)
		}
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	v, err := zscalerauth.New(zscalerauth.Config{TokenURL: clients.TokenURL, Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	public := "http://localhost:" + base[strings.LastIndexByte(base, ':')+1:]
	cfg := resource.Config{
		Name: "zscaler-mcp", Version: "bench",
		Identity:       resource.Identity{PublicURL: public, LoopbackBind: true},
		Auth:           auth.Options{Logger: logger, Validators: []auth.Validator{v}, Challenge: auth.Challenge{Basic: true}},
		AllowedHosts:   hardening.DefaultAllowedHosts(public, true),
		AllowedOrigins: hardening.DefaultAllowedOrigins(public, true),
		Logger:         logger,
		Registry:       reg,
	}
	if filter {
		f := &tools.CallerFilter{}
		cfg.Visible, cfg.HiddenReason = f.Visible, f.Reason
	}
	srv, err := resource.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts.Config.Handler = srv.Handler
	ts.Start()
	tb.Cleanup(ts.Close)
	h := http.Header{}
	h.Set("Authorization", basic(id, secret))
	c := newClient(base, 64, h)
	tb.Cleanup(c.close)
	return &entitlementRig{c: c}
}

// TestEntitlementRig checks what the benchmark measures: with the filter
// on, the ZIA-only caller's zia tool works and the zpa tool is refused;
// with it off, both run.
func TestEntitlementRig(t *testing.T) {
	for _, filter := range []bool{true, false} {
		r := newEntitlementRig(t, filter)
		s, _, err := r.c.initialize(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.callTool(context.Background(), "zia_list_url_categories")
		if err != nil || !strings.Contains(string(p), "Finance") {
			t.Fatalf("filter=%v: zia tool: %v %s", filter, err, p)
		}
		_, err = s.callTool(context.Background(), "zpa_list_segment_groups")
		if filter && (err == nil || !strings.Contains(err.Error(), "hidden from this caller")) {
			t.Fatalf("filter on: zpa tool not refused: %v", err)
		}
		if !filter && err != nil && strings.Contains(err.Error(), "hidden") {
			t.Fatalf("filter off: zpa tool refused: %v", err)
		}
	}
}

// BenchmarkEntitlementFilter is one tools/call of a read tool (which
// itself calls the stand-in) per op, 4 sessions per GOMAXPROCS in
// parallel, with the per-caller entitlement filter off and on.
func BenchmarkEntitlementFilter(b *testing.B) {
	for _, filter := range []bool{false, true} {
		name := "filter=off"
		if filter {
			name = "filter=on"
		}
		b.Run(name, func(b *testing.B) {
			r := newEntitlementRig(b, filter)
			var mu sync.Mutex
			var firstErr error
			fail := func(err error) {
				mu.Lock()
				defer mu.Unlock()
				if firstErr == nil {
					firstErr = err
				}
			}
			b.SetParallelism(4)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				s, _, err := r.c.initialize(context.Background(), nil)
				if err != nil {
					fail(err)
					for pb.Next() {
					}
					return
				}
				for pb.Next() {
					if _, err := s.callTool(context.Background(), "zia_list_url_categories"); err != nil {
						fail(err)
					}
				}
			})
			if firstErr != nil {
				b.Fatal(firstErr)
			}
		})
	}
}

// BenchmarkEntitlementFilterPaired runs the same tools/call against two
// servers, filter off and on, alternating call by call on one goroutine,
// so load from elsewhere on the machine hits both alike. It reports each
// side's median wall time per call (medians shrug off the scheduling
// outliers of a shared machine) and the filter's overhead on the median,
// in percent. One op is one pair of calls.
func BenchmarkEntitlementFilterPaired(b *testing.B) {
	ctx := context.Background()
	var sessions [2]*session
	for i, filter := range []bool{false, true} {
		s, _, err := newEntitlementRig(b, filter).c.initialize(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		sessions[i] = s
	}
	samples := [2][]time.Duration{make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		// Alternate which side goes first, so neither always runs warm.
		for k := range 2 {
			side := (i + k) % 2
			t0 := time.Now()
			if _, err := sessions[side].callTool(ctx, "zia_list_url_categories"); err != nil {
				b.Fatal(err)
			}
			samples[side] = append(samples[side], time.Since(t0))
		}
	}
	b.StopTimer()
	var med [2]float64
	for side := range samples {
		slices.Sort(samples[side])
		med[side] = float64(percentile(samples[side], 0.5))
	}
	b.ReportMetric(med[0], "off-p50-ns")
	b.ReportMetric(med[1], "on-p50-ns")
	b.ReportMetric(100*(med[1]-med[0])/med[0], "overhead-%")
}

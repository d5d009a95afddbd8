package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestPercentileIsExactNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i))
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 500}, {0.99, 990}, {0.999, 999}, {1, 1000}, {0.0001, 1}} {
		if got := percentile(d, tc.p); got != tc.want {
			t.Errorf("p%v = %d, want %d", tc.p*100, got, tc.want)
		}
	}
	if got := percentile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("single sample: %d", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("no samples: %d", got)
	}
	// 101 samples: p50 is the 51st.
	if got := percentile(d[:101], 0.5); got != 51 {
		t.Errorf("p50 of 101 = %d, want 51", got)
	}
}

func TestSSEData(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"event: message\ndata: {\"id\":1}\n\n", `{"id":1}`},
		{"id: 5\r\nevent: message\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\ndata: {\"b\":2}\n\n", "{\"a\":\n1}"},
		{": comment\n\ndata:{\"x\":true}", `{"x":true}`},
		{"event: ping\n\n", ""},
	} {
		if got := string(sseData([]byte(tc.in))); got != tc.want {
			t.Errorf("sseData(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCheckRPC(t *testing.T) {
	ok := `{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"{}"}]}}`
	if err := checkRPC([]byte(ok), true); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"nope"}}`,
		`{"jsonrpc":"2.0","id":2,"result":{"isError":true,"content":[]}}`,
		`{"jsonrpc":"2.0","id":2}`,
		`not json`,
	} {
		if err := checkRPC([]byte(bad), true); err == nil {
			t.Errorf("checkRPC(%s) = nil", bad)
		}
	}
}

func TestParseBench(t *testing.T) {
	out := []byte("goos: linux\nBenchmarkVerifyCold     \t   31077\t     64123 ns/op\t    3776 B/op\t      73 allocs/op\nBenchmarkX-2 10 5.5 ns/op\nPASS\n")
	got := parseBench(out)
	if len(got) != 2 || got[0].Name != "BenchmarkVerifyCold" || got[0].N != 31077 || got[0].NsPerOp != 64123 ||
		got[0].BytesPerOp != 3776 || got[0].AllocsPerOp != 73 || got[1].NsPerOp != 5.5 {
		t.Fatalf("parseBench = %+v", got)
	}
}

func TestMedianRoundsAndTargets(t *testing.T) {
	r := func(mode string, rps, cpu float64) modeResult {
		return modeResult{Mode: mode, ReqPerSec: rps, ServerCPUUs: cpu, RSSIdleKB: 20 << 10, RSSPeakKB: 30 << 10}
	}
	rounds := [][]modeResult{
		{r("plain", 100, 10), r("none", 95, 11)},
		{r("plain", 120, 10), r("none", 80, 12)},
		{r("plain", 110, 10), r("none", 99, 11)},
	}
	got := medianRounds(rounds, []string{"plain", "none"})
	if got[0].ReqPerSec != 110 || got[1].ReqPerSec != 95 {
		t.Fatalf("medians = %v, %v", got[0].ReqPerSec, got[1].ReqPerSec)
	}
	if want := 95.0 / 110; got[1].Ratio != want {
		t.Errorf("ratio = %v, want %v", got[1].Ratio, want)
	}
	tc := checkTargets(got, nil)
	if !tc.AllMet && (len(tc.Failures) != 1 || got[1].Ratio >= targetRatio) {
		t.Errorf("targets: %+v", tc)
	}
	got[1].RSSPeakKB = 200 << 10
	if tc := checkTargets(got, nil); tc.AllMet {
		t.Errorf("a 200 MB peak met the target")
	}
}

// TestSmoke runs the whole harness with tiny durations: it builds both
// binaries, so it only runs with ZSCALER_MCP_BENCH=1 (about 20 s):
//
//	ZSCALER_MCP_BENCH=1 go test -run TestSmoke -v ./bench/
func TestSmoke(t *testing.T) {
	if os.Getenv("ZSCALER_MCP_BENCH") != "1" {
		t.Skip("set ZSCALER_MCP_BENCH=1 to run the benchmark smoke test")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	out := filepath.Join(t.TempDir(), "out.json")
	o, err := parseFlags([]string{
		"-duration", "300ms", "-warmup", "100ms", "-idle-wait", "50ms",
		"-rss-concurrency", "8", "-rss-duration", "200ms",
		"-cold-samples", "2", "-benchtime", "20x", "-as-codes", "160",
		"-pin=false", "-noise-limit", "0", "-json", out, "-q",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout bytes.Buffer
	rep, err := run(ctx, o, &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + stdout.String())
	if len(rep.Results) != len(allModes) {
		t.Fatalf("%d results, want %d", len(rep.Results), len(allModes))
	}
	for _, r := range rep.Results {
		if r.Errors != 0 {
			t.Errorf("%s: %d errors: %s", r.Mode, r.Errors, r.FirstErr)
		}
		if r.ReqPerSec <= 0 || r.P50 <= 0 || r.P99 < r.P50 || r.RSSIdleKB <= 0 || r.RSSPeakKB <= 0 || r.Ratio <= 0 {
			t.Errorf("%s: implausible result %+v", r.Mode, r)
		}
		if r.Conns != int64(o.Concurrency) || r.RSSPhase == nil || r.RSSPhase.Conns != int64(o.RSSConcurrency) {
			t.Errorf("%s: connections %d (RSS phase %+v), want one per worker", r.Mode, r.Conns, r.RSSPhase)
		}
		if (r.Mode == "jwt" || r.Mode == "zscaler") && (r.Cold == nil || r.Cold.ColdP50 <= 0) {
			t.Errorf("%s: no cold first-request measurement", r.Mode)
		}
		if r.Mode == "zscaler" && r.UpstreamCalls != 0 {
			t.Errorf("zscaler: %d token requests during the measured phase, want 0 (cache hits)", r.UpstreamCalls)
		}
	}
	if rep.AS == nil || len(rep.AS.Phases) != 4 || rep.AS.CodesPrepared < 160 {
		t.Fatalf("authorization server: %+v", rep.AS)
	}
	for _, p := range rep.AS.Phases {
		if p.Errors != 0 || p.Ops <= 0 || p.OpsPerSec <= 0 || p.P99 < p.P50 || p.Target <= 0 {
			t.Errorf("as %s: %+v", p.Name, p)
		}
	}
	if got := rep.AS.Phases[1]; got.Name != "code exchanges" || got.Ops+got.Ops/9 < 160*9/10 {
		t.Errorf("code exchanges: %d of 160 prepared codes exchanged in the timed phase", got.Ops)
	}
	names := []string{}
	for _, b := range rep.Cold {
		names = append(names, b.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"BenchmarkValidateCold", "BenchmarkVerifyCold"}) {
		t.Errorf("cold benchmarks = %v", names)
	}
	var back report
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("-json output: %v", err)
	}
	if len(back.Results) != len(allModes) {
		t.Errorf("-json output has %d results", len(back.Results))
	}
}

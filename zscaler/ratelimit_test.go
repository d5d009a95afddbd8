package zscaler

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// limited returns a config mod with the given limits over the unlimited set.
func limited(over map[string]ServiceLimits) func(*Config) {
	return func(c *Config) {
		m := map[string]ServiceLimits{}
		for k, v := range unlimited {
			m[k] = v
		}
		for k, v := range over {
			m[k] = v
		}
		c.RateLimits = m
	}
}

func TestRateLimiterSpacesRequests(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	// 20/s with no burst beyond one: 5 calls need at least 4 × 50 ms.
	c := newClient(t, s, limited(map[string]ServiceLimits{"zia": {Read: Limit{20, 1}}}))
	start := time.Now()
	for range 5 {
		getStatus(t, c, req)
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Fatalf("5 calls took %s, want ≥ 200 ms at 20/s", d)
	}
}

func TestRateLimitersArePerServiceAndWeight(t *testing.T) {
	s := zscalertest.New(t)
	zia := statusRoute(s)
	s.Handle("GET /zpa/mgmtconfig/v1/admin/customers/{cid}/segmentGroup", func(w http.ResponseWriter, r *http.Request) {
		zscalertest.WriteJSON(w, http.StatusOK, map[string]any{"list": []any{}})
	})
	s.Handle("POST /zia/api/v1/urlCategories", func(w http.ResponseWriter, r *http.Request) {
		zscalertest.WriteJSON(w, http.StatusOK, map[string]any{"id": 1})
	})
	zpa := Request{Service: "zpa", Path: "/zpa/mgmtconfig/v1/admin/customers/" + s.CustomerID + "/segmentGroup"}
	// ZIA reads: one per 10 s. Everything else unlimited.
	c := newClient(t, s, limited(map[string]ServiceLimits{"zia": {Read: Limit{0.1, 1}}}))
	getStatus(t, c, zia) // uses the only ZIA read slot

	start := time.Now()
	for range 5 {
		if err := c.Do(context.Background(), zpa, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Do(context.Background(), Request{Service: "zia", Method: http.MethodPost, Path: "/zia/api/v1/urlCategories", Body: map[string]any{}}, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("ZPA reads and a ZIA write took %s: they waited for the ZIA read limiter", d)
	}

	// The next ZIA read would wait ~10 s: with a 200 ms deadline it fails at
	// once, without being sent.
	sent := len(s.Requests())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	err := c.Do(ctx, zia, nil)
	if !errors.Is(err, ErrRateLimited) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrRateLimited and DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("took %s, want an immediate refusal", d)
	}
	if len(s.Requests()) != sent {
		t.Error("the refused request was sent anyway")
	}

	// Without a deadline, waiting ends with the caller's cancel.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	if err := c.Do(ctx2, zia, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(s.Requests()) != sent {
		t.Error("a cancelled call was sent")
	}
}

func TestServiceDerivedFromPath(t *testing.T) {
	for path, want := range map[string]string{
		"/zia/api/v1/status":                 "zia",
		"/zpa/mgmtconfig/v1/admin/customers": "zpa",
		"/ziam/admin/api/v1/users":           "zidentity",
		"/zcc/papi/public/v1/getDevices":     "zcc",
		"/zdx/v1/devices":                    "zdx",
		"/":                                  DefaultServiceKey,
	} {
		if got := serviceOf(path); got != want {
			t.Errorf("serviceOf(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestDefaultRateLimitsWithinDocumentedQuotas checks the claim of
// DefaultRateLimits' comment: in any window of the quota's length, a full
// bucket (b requests at once) plus one request per 1/r afterwards, that is
// b + ⌈r·T⌉ − 1, never exceeds the documented number of requests.
func TestDefaultRateLimitsWithinDocumentedQuotas(t *testing.T) {
	d := DefaultRateLimits()
	for _, tc := range []struct {
		name   string
		limit  Limit
		window time.Duration
		quota  float64
	}{
		{"zia GET 2/s", d["zia"].Read, time.Second, 2},
		{"zia POST/PUT 1/s", d["zia"].Write, time.Second, 1},
		{"zia DELETE 1/min", d["zia"].Delete, time.Minute, 1},
		{"zpa GET 20/10 s", d["zpa"].Read, 10 * time.Second, 20},
		{"zpa writes 10/10 s", d["zpa"].Write, 10 * time.Second, 10},
		{"zpa deletes 10/10 s", d["zpa"].Delete, 10 * time.Second, 10},
		{"zcc 100/h", d["zcc"].Read, time.Hour, 100},
	} {
		worst := float64(tc.limit.Burst) + math.Ceil(tc.limit.Rate*tc.window.Seconds()-1e-9) - 1
		if worst > tc.quota+1e-9 {
			t.Errorf("%s: up to %.1f requests per %s, quota %.0f", tc.name, worst, tc.window, tc.quota)
		}
		if tc.limit.Rate <= 0 || tc.limit.Burst < 1 {
			t.Errorf("%s: limit %+v is not a usable bucket", tc.name, tc.limit)
		}
	}
}

func TestParseRateLimits(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    map[string]ServiceLimits
		wantErr string
	}{
		{"zia.read=2:4,zia.delete=0.5:1", map[string]ServiceLimits{"zia": {Read: Limit{2, 4}, Delete: Limit{0.5, 1}}}, ""},
		{"zpa=5", map[string]ServiceLimits{"zpa": {Limit{5, 5}, Limit{5, 5}, Limit{5, 5}}}, ""},
		{" zdx = off , ", map[string]ServiceLimits{"zdx": {Limit{-1, 0}, Limit{-1, 0}, Limit{-1, 0}}}, ""},
		{"ZIA.Write=0.2", map[string]ServiceLimits{"zia": {Write: Limit{0.2, 1}}}, ""},
		{"zia", nil, "want SERVICE"},
		{"zia.read=fast", nil, "not a positive number"},
		{"zia.read=0", nil, "not a positive number"},
		{"zia.read=1:0", nil, "burst"},
		{"zia.list=1", nil, "not read, write or delete"},
		{"=1", nil, "missing service"},
	} {
		got, err := ParseRateLimits(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseRateLimits(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRateLimits(%q): %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("ParseRateLimits(%q) = %v, want %v", tc.in, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("ParseRateLimits(%q)[%s] = %+v, want %+v", tc.in, k, got[k], v)
			}
		}
	}
}

func TestOverridesKeepUnsetWeights(t *testing.T) {
	ls := newLimiters(map[string]ServiceLimits{"zia": {Read: Limit{7, 3}}, "zdx": {Write: Limit{4, 2}}})
	if l := ls.limiter("zia", http.MethodGet); float64(l.Limit()) != 7 || l.Burst() != 3 {
		t.Errorf("zia read = %v/%d, want the override 7/3", l.Limit(), l.Burst())
	}
	def := DefaultRateLimits()
	if l := ls.limiter("zia", http.MethodDelete); float64(l.Limit()) != def["zia"].Delete.Rate {
		t.Errorf("zia delete = %v, want the default %v", l.Limit(), def["zia"].Delete.Rate)
	}
	if l := ls.limiter("zdx", http.MethodGet); float64(l.Limit()) != def[DefaultServiceKey].Read.Rate {
		t.Errorf("zdx read = %v, want the generic default", l.Limit())
	}
	if l := ls.limiter("zdx", http.MethodPut); float64(l.Limit()) != 4 {
		t.Errorf("zdx write = %v, want the override 4", l.Limit())
	}
}

func TestLongLimiterWaitFailsFast(t *testing.T) {
	// The documented ZIA DELETE quota is 1 per minute: a second delete right
	// after the first is refused at once with a clear message, not held.
	s := zscalertest.New(t)
	s.Handle("DELETE /zia/api/v1/urlCategories/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c := newClient(t, s, func(c *Config) { c.RateLimits = nil }) // the defaults
	del := Request{Service: "zia", Method: http.MethodDelete, Path: "/zia/api/v1/urlCategories/CUSTOM_01"}
	if err := c.Do(context.Background(), del, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := c.Do(context.Background(), del, nil)
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("took %s, want an immediate refusal", d)
	}
	for _, want := range []string{"zia delete", "1 per minute", "next slot is in"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not say %q", err, want)
		}
	}
	if n := len(s.Requests()); n != 1 {
		t.Fatalf("sent %d deletes, want 1", n)
	}
}

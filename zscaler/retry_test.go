package zscaler

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// countPath is how many requests for path the stand-in received.
func countPath(s *zscalertest.Server, method, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func TestRetryAfterHonoured(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	c := newClient(t, s)
	s.Fail(http.MethodGet, req.Path, http.StatusTooManyRequests, 1, "1")
	start := time.Now()
	getStatus(t, c, req)
	d := time.Since(start)
	if d < 950*time.Millisecond || d > 2500*time.Millisecond {
		t.Fatalf("took %s, want about the 1 s the API asked for", d)
	}
	if n := countPath(s, http.MethodGet, req.Path); n != 2 {
		t.Fatalf("sent %d times, want 2", n)
	}
}

func TestRetryAfterBeyondLimitsReturnsAtOnce(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	c := newClient(t, s)
	for _, tc := range []struct {
		name       string
		retryAfter string
		ctxTimeout time.Duration
	}{
		{"longer than MaxRetryDelay", "120", 0},
		{"past the caller's deadline", "5", 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.Fail(http.MethodGet, req.Path, http.StatusTooManyRequests, 1, tc.retryAfter)
			ctx := context.Background()
			if tc.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
				defer cancel()
			}
			start := time.Now()
			err := c.Do(ctx, req, nil)
			if d := time.Since(start); d > 800*time.Millisecond {
				t.Errorf("took %s, want an immediate answer", d)
			}
			var ae *APIError
			if !errors.As(err, &ae) || !errors.Is(err, ErrRateLimited) || ae.Status != 429 {
				t.Fatalf("err = %v, want a 429 *APIError matching ErrRateLimited", err)
			}
			if !strings.Contains(err.Error(), "retry after") || !strings.Contains(err.Error(), "injected failure 429") {
				t.Errorf("message %q does not carry the API message and the wait", err)
			}
		})
	}
}

func TestServerErrorsRetriedUpToTheBound(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	c := newClient(t, s)

	s.Fail(http.MethodGet, req.Path, http.StatusServiceUnavailable, 2, "")
	getStatus(t, c, req) // two failures, third attempt succeeds

	s.Fail(http.MethodGet, req.Path, http.StatusBadGateway, 10, "")
	before := countPath(s, http.MethodGet, req.Path)
	err := c.Do(context.Background(), req, nil)
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want an *APIError matching ErrUnavailable", err)
	}
	if n := countPath(s, http.MethodGet, req.Path) - before; n != DefaultMaxAttempts || ae.Attempts != DefaultMaxAttempts {
		t.Fatalf("sent %d times (Attempts %d), want %d", n, ae.Attempts, DefaultMaxAttempts)
	}
	if want := "zia API GET /zia/api/v1/status: 502 INJECTED: injected failure 502"; err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
}

func TestRetryPolicyByMethod(t *testing.T) {
	const path = "/zia/api/v1/urlCategories"
	for _, tc := range []struct {
		method   string
		status   int
		wantSent int // with one injected failure, then success
		wantOK   bool
	}{
		{http.MethodPost, http.StatusInternalServerError, 1, false}, // may have been processed: never twice
		{http.MethodPatch, http.StatusBadGateway, 1, false},
		{http.MethodPost, http.StatusTooManyRequests, 2, true}, // refused, not processed: safe
		{http.MethodPut, http.StatusServiceUnavailable, 2, true},
		{http.MethodDelete, http.StatusGatewayTimeout, 2, true},
		{http.MethodGet, http.StatusInternalServerError, 2, true},
		{http.MethodGet, http.StatusNotImplemented, 1, false}, // not transient
	} {
		t.Run(tc.method+" "+http.StatusText(tc.status), func(t *testing.T) {
			s := zscalertest.New(t)
			s.Handle(tc.method+" "+path, func(w http.ResponseWriter, r *http.Request) {
				zscalertest.WriteJSON(w, http.StatusOK, map[string]any{"id": 1})
			})
			c := newClient(t, s)
			s.Fail(tc.method, path, tc.status, 1, "0")
			body := map[string]string{"name": "x"}
			err := c.Do(context.Background(), Request{Service: "zia", Method: tc.method, Path: path, Body: body}, nil)
			if (err == nil) != tc.wantOK {
				t.Fatalf("err = %v, want ok=%v", err, tc.wantOK)
			}
			reqs := s.Requests()
			if len(reqs) != tc.wantSent {
				t.Fatalf("sent %d times, want %d", len(reqs), tc.wantSent)
			}
			for _, r := range reqs {
				if !bytes.Equal(r.Body, []byte(`{"name":"x"}`)) {
					t.Errorf("attempt body = %q, want the same JSON every time", r.Body)
				}
			}
		})
	}
}

func TestAttemptTimeout(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	fast := func(c *Config) { c.Timeout = 200 * time.Millisecond }

	// A GET whose first attempt hangs is retried and succeeds.
	c := newClient(t, s, fast)
	getStatus(t, c, req) // token fetched before the delay is armed
	s.Delay(http.MethodGet, req.Path, 2*time.Second, 1)
	start := time.Now()
	getStatus(t, c, req)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %s: the hanging attempt was not cut at 200 ms", d)
	}

	// With one attempt allowed the timeout is the error.
	one := newClient(t, s, fast, func(c *Config) { c.MaxAttempts = 1 })
	getStatus(t, one, req)
	s.Delay(http.MethodGet, req.Path, 2*time.Second, 1)
	start = time.Now()
	err := one.Do(context.Background(), req, nil)
	var re *RequestError
	if !errors.As(err, &re) || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "timed out after 200ms") {
		t.Fatalf("err = %v, want a *RequestError saying the attempt timed out", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %s", d)
	}

	// A POST that timed out may have been processed: not sent again.
	const p = "/zia/api/v1/urlCategories"
	s.Handle("POST "+p, func(w http.ResponseWriter, r *http.Request) { zscalertest.WriteJSON(w, 200, map[string]any{}) })
	s.Delay(http.MethodPost, p, 2*time.Second, 1)
	err = c.Do(context.Background(), Request{Service: "zia", Method: http.MethodPost, Path: p, Body: map[string]any{}}, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if n := countPath(s, http.MethodPost, p); n != 1 {
		t.Fatalf("POST sent %d times, want 1", n)
	}
}

func TestConnectionRefusedRetriedEvenForPOST(t *testing.T) {
	// Nothing listens on the API address: the request was never written,
	// so retrying is safe for every method.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	s := zscalertest.New(t)
	c := newClient(t, s, func(c *Config) { c.BaseURL = dead })
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		err := c.Do(context.Background(), Request{Service: "zia", Method: m, Path: "/zia/api/v1/status"}, nil)
		var re *RequestError
		if !errors.As(err, &re) || !errors.Is(err, ErrUnavailable) || re.Attempts != DefaultMaxAttempts {
			t.Fatalf("%s: err = %#v, want a *RequestError after %d attempts", m, err, DefaultMaxAttempts)
		}
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	c := newClient(t, s, func(c *Config) { c.RetryBaseDelay = 5 * time.Second })
	s.Fail(http.MethodGet, req.Path, http.StatusServiceUnavailable, 1, "")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	err := c.Do(ctx, req, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want the 503 that was being retried", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %s, want to stop soon after the cancel", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header string
		body   string
		want   time.Duration
		ok     bool
	}{
		{"seconds", "3", "", 3 * time.Second, true},
		{"zero", "0", "", 0, true},
		{"HTTP date", now.Add(7 * time.Second).Format(http.TimeFormat), "", 7 * time.Second, true},
		{"date in the past", now.Add(-time.Minute).Format(http.TimeFormat), "", 0, true},
		{"negative", "-1", "", 0, false},
		{"garbage", "soon", "", 0, false},
		{"absent", "", "", 0, false},
		{"ZIA body", "", `{"message":"Rate Limit (1/SECOND) exceeded","Retry-After":"2 seconds"}`, 2 * time.Second, true},
		{"header wins over body", "1", `{"Retry-After":"9 seconds"}`, time.Second, true},
		{"huge is capped at a day", "99999999999", "", 24 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Retry-After", tc.header)
			}
			got, ok := parseRetryAfter(h, []byte(tc.body), now)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("= %s, %v; want %s, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	base, capd := 100*time.Millisecond, time.Second
	for n, lo := range []time.Duration{50, 100, 200, 400, 500, 500} {
		lo *= time.Millisecond
		for range 50 {
			d := backoff(base, capd, n+1)
			if d < lo || d > 2*lo {
				t.Fatalf("backoff(attempt %d) = %s, want in [%s, %s]", n+1, d, lo, 2*lo)
			}
		}
	}
}

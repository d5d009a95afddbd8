package oauthserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/time/rate"

	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// limitedServer serves the AS behind the hardening layer's client-IP
// resolution with 127.0.0.1 as a trusted proxy, so X-Forwarded-For picks
// the client address, and with the token endpoints limited to burst
// requests per hour.
func limitedServer(t *testing.T, burst int) (base string, clock *fakeClock) {
	t.Helper()
	st := openTestStore(t)
	r := chi.NewRouter()
	r.Use(hardening.ClientIP(hardening.IPConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}))
	ts := httptest.NewServer(r)
	t.Cleanup(ts.Close)
	clock = &fakeClock{}
	srv, err := New(context.Background(), Config{
		PublicURL: "http://localhost:" + ts.URL[strings.LastIndexByte(ts.URL, ':')+1:], LoopbackBind: true,
		Store: st, Authenticator: approveAll, Now: clock.Now,
		TokenEndpointRate: rate.Every(time.Hour), TokenEndpointBurst: burst,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount(r)
	return ts.URL, clock
}

// postFrom POSTs a form to path as client ip (X-Forwarded-For via the
// trusted loopback proxy; "" sends none); "GET /path" sends a GET.
func postFrom(t *testing.T, base, path, ip string) (int, http.Header, map[string]string) {
	t.Helper()
	method := http.MethodPost
	if m, p, ok := strings.Cut(path, " "); ok {
		method, path = m, p
	}
	req, _ := http.NewRequest(method, base+path, strings.NewReader(url.Values{"token": {"x"}, "grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"nobody"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header, body
}

// TestTokenEndpointRateLimits: past its burst, one client IP gets 429 with
// Retry-After and an OAuth error body at /token, /revoke, /introspect and
// /register/{client_id} (each its own budget), while another IP, another endpoint and the
// metadata documents are unaffected; the budget refills with time.
func TestTokenEndpointRateLimits(t *testing.T) {
	const burst = 3
	for _, path := range []string{"/token", "/revoke", "/introspect", "GET /register/some-client"} {
		t.Run(path, func(t *testing.T) {
			base, clock := limitedServer(t, burst)
			for i := range burst {
				if code, _, body := postFrom(t, base, path, "203.0.113.7"); code == http.StatusTooManyRequests {
					t.Fatalf("request %d within the burst: 429 %v", i+1, body)
				}
			}
			code, h, body := postFrom(t, base, path, "203.0.113.7")
			ra, _ := strconv.Atoi(h.Get("Retry-After"))
			if code != http.StatusTooManyRequests || ra < 1 || ra > 3600 || body["error"] != "too_many_requests" ||
				body["error_description"] == "" || h.Get("Cache-Control") != "no-store" || h.Get("Content-Type") != "application/json" {
				t.Fatalf("past the burst: %d Retry-After %q %v %v, want 429 with Retry-After and an OAuth error", code, h.Get("Retry-After"), h, body)
			}
			if h.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("429 without CORS: a browser client could not read it")
			}
			for _, other := range []struct{ path, ip, why string }{
				{path, "203.0.113.8", "another IPv4 address"},
				{path, "2001:db8:1::1", "an IPv6 client"},
				{otherEndpoint(path), "203.0.113.7", "another endpoint, same IP"},
			} {
				if code, _, body := postFrom(t, base, other.path, other.ip); code == http.StatusTooManyRequests {
					t.Errorf("%s: 429 %v", other.why, body)
				}
			}
			for _, doc := range []string{"/.well-known/oauth-authorization-server", "/jwks.json"} {
				for range burst + 2 {
					req, _ := http.NewRequest(http.MethodGet, base+doc, nil)
					req.Header.Set("X-Forwarded-For", "203.0.113.7")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("GET %s: %d, want 200 (never limited)", doc, resp.StatusCode)
					}
				}
			}
			clock.Advance(time.Hour)
			if code, _, body := postFrom(t, base, path, "203.0.113.7"); code == http.StatusTooManyRequests {
				t.Errorf("after the refill period: 429 %v", body)
			}
		})
	}
}

func otherEndpoint(path string) string {
	if path == "/token" {
		return "/revoke"
	}
	return "/token"
}

// TestTokenEndpointRateLimitIgnoresUntrustedForwarding: X-Forwarded-For
// from a peer that is not a trusted proxy does not buy a fresh budget.
func TestTokenEndpointRateLimitIgnoresUntrustedForwarding(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/as.db", sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := chi.NewRouter()
	r.Use(hardening.ClientIP(hardening.IPConfig{})) // no trusted proxies
	ts := httptest.NewServer(r)
	defer ts.Close()
	srv, err := New(context.Background(), Config{PublicURL: "http://localhost:" + ts.URL[strings.LastIndexByte(ts.URL, ':')+1:],
		LoopbackBind: true, Store: st, Authenticator: approveAll, TokenEndpointRate: rate.Every(time.Hour), TokenEndpointBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount(r)
	for i := range 5 {
		code, _, _ := postFrom(t, ts.URL, "/token", fmt.Sprintf("198.51.100.%d", i+1))
		if want := i >= 2; (code == http.StatusTooManyRequests) != want {
			t.Fatalf("request %d with a spoofed X-Forwarded-For: %d, want 429=%v", i+1, code, want)
		}
	}
}

// TestIPLimiterKeysAndBound: IPv6 clients share their /64, IPv4-mapped
// addresses count as IPv4, and the bucket table never exceeds its bound.
func TestIPLimiterKeysAndBound(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"fe80::1%eth0", "fe80::2"},
	} {
		if limiterKey(tc.a) != limiterKey(tc.b) {
			t.Errorf("%s and %s have different buckets", tc.a, tc.b)
		}
	}
	for _, tc := range []struct{ a, b string }{{"2001:db8:1:2::1", "2001:db8:1:3::1"}, {"192.0.2.1", "192.0.2.2"}} {
		if limiterKey(tc.a) == limiterKey(tc.b) {
			t.Errorf("%s and %s share a bucket", tc.a, tc.b)
		}
	}
	l, err := newIPLimiter(rate.Every(time.Hour), 1, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxRateLimitedIPs + 500 {
		l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String())
	}
	if n := l.limiters.Len(); n > maxRateLimitedIPs {
		t.Errorf("%d buckets, bound %d", n, maxRateLimitedIPs)
	}
}

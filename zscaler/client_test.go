package zscaler

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource/auth/zscalerauth"
	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// unlimited turns the client-side rate limiters off, so tests that are not
// about them run at full speed.
var unlimited = NoRateLimits()

// newClient returns a client of the stand-in s with fast retries and no
// rate limits; mods adjust the config.
func newClient(t *testing.T, s *zscalertest.Server, mods ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		ClientID: s.ClientID, ClientSecret: s.ClientSecret, TokenURL: s.TokenURL,
		BaseURL: s.URL, CustomerID: s.CustomerID,
		RetryBaseDelay: 10 * time.Millisecond, RateLimits: unlimited,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// statusRoute registers GET /zia/api/v1/status answering {"status":"ACTIVE"}.
func statusRoute(s *zscalertest.Server) Request {
	s.Handle("GET /zia/api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		zscalertest.WriteJSON(w, http.StatusOK, map[string]string{"status": "ACTIVE"})
	})
	return Request{Service: "zia", Path: "/zia/api/v1/status"}
}

func getStatus(t *testing.T, c *Client, req Request) {
	t.Helper()
	var out struct{ Status string }
	if err := c.Do(context.Background(), req, &out); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if out.Status != "ACTIVE" {
		t.Fatalf("decoded %+v, want status ACTIVE", out)
	}
}

func TestTokenReusedAcrossCalls(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	c := newClient(t, s)
	for range 5 {
		getStatus(t, c, req)
	}
	if n := s.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want 1 for 5 calls", n)
	}
	reqs := s.Requests()
	if len(reqs) != 5 {
		t.Fatalf("API requests = %d, want 5", len(reqs))
	}
	for _, r := range reqs {
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "zscaler-mcp/") {
			t.Errorf("User-Agent = %q, want zscaler-mcp/<version>", ua)
		}
		if r.Header.Get("Authorization") != reqs[0].Header.Get("Authorization") {
			t.Errorf("calls used different tokens")
		}
	}
	// The form is the one the Zscaler SDKs send: secret in the body.
	f := s.TokenForms()[0]
	if f.Get("client_id") != s.ClientID || f.Get("client_secret") != s.ClientSecret || f.Get("audience") != Audience || f.Get("grant_type") != "client_credentials" {
		t.Errorf("token form = %v", f)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	s := zscalertest.New(t)
	s.SetTokenTTL(time.Hour)
	req := statusRoute(s)
	c := newClient(t, s)
	var shift atomic.Int64
	c.now = func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }

	getStatus(t, c, req)
	shift.Store(int64(58 * time.Minute)) // well within the lifetime: reuse
	getStatus(t, c, req)
	if n := s.TokenRequests(); n != 1 {
		t.Fatalf("token requests at 58 min = %d, want 1", n)
	}
	shift.Store(int64(59*time.Minute + 30*time.Second)) // inside the last minute: refresh
	getStatus(t, c, req)
	getStatus(t, c, req)
	if n := s.TokenRequests(); n != 2 {
		t.Fatalf("token requests at 59.5 min = %d, want 2 (refreshed once, before expiry)", n)
	}
	if n := s.Unauthorized(); n != 0 {
		t.Fatalf("%d requests were refused: the token was not replaced before it expired", n)
	}
	reqs := s.Requests()
	if reqs[1].Header.Get("Authorization") == reqs[2].Header.Get("Authorization") {
		t.Fatal("the call after the refresh point still used the old token")
	}
	if reqs[2].Header.Get("Authorization") != reqs[3].Header.Get("Authorization") {
		t.Fatal("the refreshed token was not reused")
	}
}

func TestTokenShortLifetimeRefreshedEarly(t *testing.T) {
	// A real 2 s token: the client replaces it after 90 % of its life
	// (1.8 s), so a call at 1.85 s already carries a new one.
	s := zscalertest.New(t)
	s.SetTokenTTL(2 * time.Second)
	req := statusRoute(s)
	c := newClient(t, s)
	getStatus(t, c, req)
	time.Sleep(1850 * time.Millisecond)
	getStatus(t, c, req)
	if n := s.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
	if n := s.Unauthorized(); n != 0 {
		t.Fatalf("%d requests were refused with 401", n)
	}
}

func TestConcurrentCallersShareOneTokenRequest(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	s.Delay(http.MethodPost, "/oauth2/v1/token", 200*time.Millisecond, 1)
	c := newClient(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			errs <- c.Do(context.Background(), req, nil)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
	}
	if n := s.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want 1 for 16 concurrent callers", n)
	}
}

func TestWaitingForTokenRespectsContext(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	s.Delay(http.MethodPost, "/oauth2/v1/token", time.Second, 1)
	c := newClient(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Do(ctx, req, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 700*time.Millisecond {
		t.Fatalf("returned after %s, want soon after the 100 ms deadline", d)
	}
}

func TestUnauthorizedDropsTokenAndRetriesOnce(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	c := newClient(t, s)
	getStatus(t, c, req)
	s.ExpireTokens() // revoked server-side while still cached here
	getStatus(t, c, req)
	if n := s.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2 (one fresh token after the 401)", n)
	}
	if n := s.Unauthorized(); n != 1 {
		t.Fatalf("401s = %d, want 1", n)
	}

	// A 401 that a fresh token does not cure is returned after one retry.
	s.Fail(http.MethodGet, req.Path, http.StatusUnauthorized, 5, "")
	before := len(s.Requests())
	err := c.Do(context.Background(), req, nil)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if n := len(s.Requests()) - before; n != 2 {
		t.Fatalf("sent %d times, want 2 (one retry with a fresh token)", n)
	}
	if n := s.TokenRequests(); n != 3 {
		t.Fatalf("token requests = %d, want 3", n)
	}
}

func TestTokenEndpointRefusesCredentials(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	c := newClient(t, s, func(c *Config) { c.ClientSecret = "wrong-secret-value" })
	err := c.Do(context.Background(), req, nil)
	var te *TokenError
	if !errors.As(err, &te) || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %#v, want a *TokenError matching ErrUnauthorized", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "refused the client credentials") || !strings.Contains(msg, "invalid_client") {
		t.Errorf("message %q does not say the credentials were refused", msg)
	}
	if strings.Contains(msg, "wrong-secret-value") {
		t.Errorf("message %q leaks the secret", msg)
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d API requests were sent without a token", n)
	}
}

func TestTokenEndpointOutage(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	c := newClient(t, s)

	// One failure is retried.
	s.Fail(http.MethodPost, "/oauth2/v1/token", http.StatusServiceUnavailable, 1, "")
	getStatus(t, c, req)

	// A lasting outage is a clear "unavailable", after the attempt bound.
	s.ExpireTokens()
	c.tokens.invalidate(c.tokens.tok)
	s.Fail(http.MethodPost, "/oauth2/v1/token", http.StatusServiceUnavailable, 10, "")
	err := c.Do(context.Background(), req, nil)
	var te *TokenError
	if !errors.As(err, &te) || !errors.Is(err, ErrUnavailable) || te.Status != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want a *TokenError with status 503 matching ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("message %q does not give the status", err)
	}
}

func TestEntitlementsFromOwnToken(t *testing.T) {
	s := zscalertest.New(t, "ZIA", "ZPA", "ZNEWPRODUCT")
	req := statusRoute(s)
	c := newClient(t, s)
	getStatus(t, c, req)
	e, err := c.Entitlements(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !e.Present || strings.Join(e.Services, ",") != "zia,zpa" || strings.Join(e.Unknown, ",") != "ZNEWPRODUCT" {
		t.Fatalf("entitlements = %+v, want zia,zpa and unknown ZNEWPRODUCT", e)
	}
	if !e.Allows("zia") || e.Allows("zdx") {
		t.Fatalf("Allows is wrong for %+v", e)
	}
	if n := s.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want 1 (the cached token is read)", n)
	}

	// Asked first, Entitlements fetches the token the calls then reuse.
	s2 := zscalertest.New(t, "ZDX")
	req2 := statusRoute(s2)
	c2 := newClient(t, s2)
	e2, err := c2.Entitlements(context.Background())
	if err != nil || strings.Join(e2.Services, ",") != "zdx" {
		t.Fatalf("entitlements = %+v, %v; want zdx", e2, err)
	}
	getStatus(t, c2, req2)
	if n := s2.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
}

func TestEntitlementsOfOpaqueToken(t *testing.T) {
	if e := ParseEntitlements(zscalerauth.UnverifiedClaims("opaque-token")); e.Present {
		t.Fatalf("an opaque token gave %+v; the filter must then hide nothing", e)
	}
	if e := ParseEntitlements(zscalerauth.UnverifiedClaims("a.%%%.c")); e.Present {
		t.Fatalf("a malformed token gave %+v", e)
	}
}

func TestTokenSourceViewSharesTheCache(t *testing.T) {
	s := zscalertest.New(t)
	req := statusRoute(s)
	c := newClient(t, s)
	getStatus(t, c, req)
	tok, err := c.token.Token()
	if err != nil {
		t.Fatal(err)
	}
	if "Bearer "+tok.AccessToken != s.Requests()[0].Header.Get("Authorization") || s.TokenRequests() != 1 {
		t.Fatalf("the TokenSource view did not return the cached token (token requests %d)", s.TokenRequests())
	}
}

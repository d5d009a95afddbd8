package zscalerauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

const (
	testID     = "api-client-0001"
	testSecret = "s3cr3t-VALUE-never-shown-1"
	clientIP   = "198.51.100.7"
	otherIP    = "203.0.113.9"
)

// TestValidateOutcomes drives each IdP answer through the real middleware
// and checks the response a client sees, how many token requests it took,
// and whether a repeat of the same request asks the IdP again (success and
// refusal are cached, outages never are).
func TestValidateOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		header     credHeader
		secret     string // presented secret (testSecret is the accepted one)
		idp        func(f *fakeIdP)
		closed     bool // the IdP is not listening at all
		wantStatus int
		wantReason string
		// wantRetry is the Retry-After header expected ("" for none).
		wantRetry string
		// wantRepeatCalls is how many token requests a repeat costs.
		wantRepeatCalls int64
	}{
		{name: "valid via Basic", header: basicHeader, secret: testSecret,
			wantStatus: 200, wantRepeatCalls: 0},
		{name: "valid via X-Zscaler headers", header: zscalerHeader, secret: testSecret,
			wantStatus: 200, wantRepeatCalls: 0},
		{name: "wrong secret: IdP 401", header: basicHeader, secret: "wrong-secret",
			wantStatus: 401, wantReason: "invalid Zscaler credentials", wantRepeatCalls: 0},
		{name: "IdP 400", header: zscalerHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode, f.status = "status", 400 },
			wantStatus: 401, wantReason: "invalid Zscaler credentials", wantRepeatCalls: 0},
		{name: "IdP 403", header: basicHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode, f.status = "status", 403 },
			wantStatus: 401, wantReason: "invalid Zscaler credentials", wantRepeatCalls: 0},
		{name: "IdP 200 with an OAuth error body", header: basicHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode = "error-200" },
			wantStatus: 401, wantReason: "invalid Zscaler credentials", wantRepeatCalls: 0},
		{name: "IdP 500 is an outage, not cached", header: basicHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode, f.status = "status", 500 },
			wantStatus: 503, wantReason: "Zscaler identity provider unavailable", wantRetry: "30", wantRepeatCalls: 1},
		{name: "IdP 502", header: zscalerHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode, f.status = "status", 502 },
			wantStatus: 503, wantReason: "Zscaler identity provider unavailable", wantRetry: "30", wantRepeatCalls: 1},
		{name: "IdP 503 passes its Retry-After on", header: basicHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode, f.status = "status", 503 },
			wantStatus: 503, wantReason: "Zscaler identity provider unavailable", wantRetry: "7", wantRepeatCalls: 1},
		{name: "IdP 429 is an outage for us", header: basicHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode, f.status = "status", 429 },
			wantStatus: 503, wantReason: "Zscaler identity provider unavailable", wantRetry: "7", wantRepeatCalls: 1},
		{name: "unparseable response", header: basicHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode = "garbage" },
			wantStatus: 503, wantReason: "Zscaler identity provider unavailable", wantRetry: "30", wantRepeatCalls: 1},
		{name: "response without access_token", header: basicHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode = "no-token" },
			wantStatus: 503, wantReason: "Zscaler identity provider unavailable", wantRetry: "30", wantRepeatCalls: 1},
		{name: "redirect is not followed", header: basicHeader, secret: testSecret,
			idp:        func(f *fakeIdP) { f.mode = "redirect" },
			wantStatus: 503, wantReason: "Zscaler identity provider unavailable", wantRetry: "30", wantRepeatCalls: 1},
		{name: "IdP not listening", header: basicHeader, secret: testSecret, closed: true,
			wantStatus: 503, wantReason: "Zscaler identity provider unavailable", wantRetry: "30", wantRepeatCalls: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.allow(testID, testSecret)
			if tc.idp != nil {
				f.set(tc.idp)
			}
			if tc.closed {
				f.srv.Close()
			}
			v, _ := newValidator(t, f, nil)

			rec := serve(v, newRequest(clientIP, tc.header(testID, tc.secret)))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			wantCalls := int64(1)
			if tc.closed {
				wantCalls = 0
			}
			if got := f.calls.Load(); got != wantCalls {
				t.Errorf("token requests = %d, want %d", got, wantCalls)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tc.wantRetry)
			}
			if tc.wantStatus == 401 {
				if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="zscaler-mcp"` {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if tc.wantStatus == 200 {
				if body["mode"] != auth.ModeZscaler || body["subject"] != "zscaler:"+testID {
					t.Errorf("identity = %v", body)
				}
			} else if got, _ := body["error_description"].(string); got != tc.wantReason {
				t.Errorf("error_description = %q, want %q", got, tc.wantReason)
			}
			if strings.Contains(rec.Body.String(), tc.secret) {
				t.Errorf("response body contains the secret: %s", rec.Body)
			}

			before := f.calls.Load()
			rec2 := serve(v, newRequest(clientIP, tc.header(testID, tc.secret)))
			if rec2.Code != tc.wantStatus {
				t.Errorf("repeat status = %d, want %d", rec2.Code, tc.wantStatus)
			}
			if got := f.calls.Load() - before; got != tc.wantRepeatCalls {
				t.Errorf("repeat cost %d token requests, want %d", got, tc.wantRepeatCalls)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	tests := []struct {
		name       string
		scopes     []string
		opaque     bool
		wantScopes []string
		wantClaims bool
	}{
		{name: "default scopes, JWT claims", wantScopes: auth.DefaultScopes, wantClaims: true},
		{name: "configured scopes", scopes: []string{auth.ScopeRead}, wantScopes: []string{auth.ScopeRead}, wantClaims: true},
		{name: "opaque token has no claims", opaque: true, wantScopes: auth.DefaultScopes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.allow(testID, testSecret)
			f.set(func(f *fakeIdP) { f.opaque = tc.opaque })
			v, clk := newValidator(t, f, func(c *Config) { c.Scopes = tc.scopes })
			start := clk.Now()

			id, err := validate(t, v, clientIP, basicHeader(testID, testSecret))
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if id.Mode != auth.ModeZscaler || id.Subject != "zscaler:"+testID || id.ClientID != testID {
				t.Errorf("identity = %+v", id)
			}
			if !slices.Equal(id.Scopes, tc.wantScopes) {
				t.Errorf("scopes = %v, want %v", id.Scopes, tc.wantScopes)
			}
			if want := start.Add(3600 * time.Second); !id.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %v, want %v", id.ExpiresAt, want)
			}
			if !tc.wantClaims {
				if id.Claims != nil {
					t.Errorf("claims = %v, want nil", id.Claims)
				}
			} else {
				svc, ok := id.Claims["service-info"].([]any)
				if !ok || len(svc) != 2 {
					t.Fatalf("service-info claim = %#v", id.Claims["service-info"])
				}
				if first, _ := svc[0].(map[string]any); first["svc"] != "zia" {
					t.Errorf("service-info[0] = %v", svc[0])
				}
				if id.Claims["client_id"] != testID || id.Issuer != "https://acme.zslogin.net" {
					t.Errorf("claims = %v, issuer %q", id.Claims, id.Issuer)
				}
			}

			// The cached answer is the same identity, and neither carries the
			// secret or the access token.
			again, err := validate(t, v, clientIP, zscalerHeader(testID, testSecret))
			if err != nil {
				t.Fatalf("second Validate: %v", err)
			}
			for _, got := range []*auth.Identity{id, again} {
				b, err := json.Marshal(got)
				if err != nil {
					t.Fatal(err)
				}
				for _, bad := range []string{testSecret, testAccessTokenMarker, "opaque-"} {
					if bytes.Contains(b, []byte(bad)) {
						t.Errorf("identity JSON contains %q: %s", bad, b)
					}
				}
				if s := fmt.Sprintf("%+v", *got); strings.Contains(s, testSecret) {
					t.Errorf("identity contains the secret: %s", s)
				}
			}
			if again.Subject != id.Subject || !again.ExpiresAt.Equal(id.ExpiresAt) {
				t.Errorf("cached identity %+v differs from %+v", again, id)
			}
			if again != id {
				t.Error("a cached credential should return the cached (read-only) identity, not a new allocation")
			}
		})
	}
}

func TestNotMine(t *testing.T) {
	f := newFakeIdP(t)
	v, _ := newValidator(t, f, nil)
	for _, c := range []auth.Credential{
		{},
		{Kind: auth.KindBearer, Token: "abc"},
		{Kind: auth.KindAPIKey, Token: "abc"},
	} {
		r := newRequest(clientIP, nil)
		if _, err := v.Validate(r.Context(), r, c); !errors.Is(err, auth.ErrNotMine) {
			t.Errorf("kind %d: err = %v, want ErrNotMine", c.Kind, err)
		}
	}
	if v.Name() != auth.ModeZscaler {
		t.Errorf("Name = %q", v.Name())
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}

func TestConcurrentFirstRequestsShareOneTokenRequest(t *testing.T) {
	f := newFakeIdP(t)
	f.allow(testID, testSecret)
	f.set(func(f *fakeIdP) { f.delay = 50 * time.Millisecond })
	v, _ := newValidator(t, f, nil)

	const n = 100
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			h := basicHeader(testID, testSecret)
			if i%2 == 1 {
				h = zscalerHeader(testID, testSecret)
			}
			_, errs[i] = validate(t, v, clientIP, h)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("token requests = %d, want exactly 1", got)
	}
	if s := v.Stats(); s.UpstreamCalls != 1 || s.CacheHits+s.CacheMisses != n {
		t.Errorf("stats = %+v", s)
	}
}

func TestRotatedSecret(t *testing.T) {
	f := newFakeIdP(t)
	const oldSecret, newSecret = "old-secret-AAAA", "new-secret-BBBB"
	f.allow(testID, oldSecret)
	v, _ := newValidator(t, f, nil)

	steps := []struct {
		name      string
		do        func()
		secret    string
		wantCode  int
		wantCalls int64 // token requests this step costs
	}{
		{name: "old secret proven", secret: oldSecret, wantCode: 200, wantCalls: 1},
		{name: "old secret cached", secret: oldSecret, wantCode: 200, wantCalls: 0},
		{name: "rotated secret misses the cache", secret: newSecret, wantCode: 200, wantCalls: 1,
			do: func() { f.revoke(testID, oldSecret); f.allow(testID, newSecret) }},
		{name: "new secret cached", secret: newSecret, wantCode: 200, wantCalls: 0},
		{name: "old secret re-proven and refused", secret: oldSecret, wantCode: 401, wantCalls: 1},
		{name: "old secret refused from the negative cache", secret: oldSecret, wantCode: 401, wantCalls: 0},
		{name: "new secret still cached", secret: newSecret, wantCode: 200, wantCalls: 0},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		before := f.calls.Load()
		_, err := validate(t, v, clientIP, basicHeader(testID, s.secret))
		if got := status(err); got != s.wantCode {
			t.Errorf("%s: status %d (%v), want %d", s.name, got, err, s.wantCode)
		}
		if got := f.calls.Load() - before; got != s.wantCalls {
			t.Errorf("%s: %d token requests, want %d", s.name, got, s.wantCalls)
		}
	}
}

func TestOverlappingSecretsBothStayCached(t *testing.T) {
	// During a rotation both secrets may be valid: after each is proven once
	// more, neither may force the other to be re-proven again.
	f := newFakeIdP(t)
	f.allow(testID, "secret-one")
	f.allow(testID, "secret-two")
	v, _ := newValidator(t, f, nil)
	for _, s := range []string{"secret-one", "secret-two", "secret-one"} {
		if _, err := validate(t, v, clientIP, basicHeader(testID, s)); err != nil {
			t.Fatal(err)
		}
	}
	before := f.calls.Load()
	for range 10 {
		for _, s := range []string{"secret-one", "secret-two"} {
			if _, err := validate(t, v, clientIP, basicHeader(testID, s)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := f.calls.Load() - before; got != 0 {
		t.Errorf("alternating two valid secrets cost %d token requests, want 0", got)
	}
}

func TestNegativeCache(t *testing.T) {
	f := newFakeIdP(t)
	f.allow(testID, testSecret)
	v, clk := newValidator(t, f, nil)

	check := func(step string, wantCalls int64) {
		t.Helper()
		before := f.calls.Load()
		_, err := validate(t, v, clientIP, zscalerHeader(testID, "bad-secret"))
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Status != 401 || ae.Reason != "invalid Zscaler credentials" {
			t.Errorf("%s: err = %v, want 401 invalid Zscaler credentials", step, err)
		}
		if got := f.calls.Load() - before; got != wantCalls {
			t.Errorf("%s: %d token requests, want %d", step, got, wantCalls)
		}
	}
	check("first refusal", 1)
	check("negative hit", 0)
	clk.Advance(29 * time.Second)
	check("still negative", 0)
	clk.Advance(2 * time.Second)
	check("negative entry expired", 1)
	if s := v.Stats(); s.NegativeHits != 2 || s.UpstreamCalls != 2 {
		t.Errorf("stats = %+v", s)
	}
	// The good secret of the same id is unaffected.
	if _, err := validate(t, v, clientIP, zscalerHeader(testID, testSecret)); err != nil {
		t.Errorf("good secret: %v", err)
	}
}

func TestOutagesAreNotCachedNorCharged(t *testing.T) {
	f := newFakeIdP(t)
	f.allow(testID, testSecret)
	f.set(func(f *fakeIdP) { f.mode, f.status = "status", 500 })
	v, _ := newValidator(t, f, func(c *Config) { c.FailureBurst = 2 })

	for i := range 6 {
		_, err := validate(t, v, clientIP, basicHeader(testID, testSecret))
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Status != 503 || ae.RetryAfter <= 0 {
			t.Fatalf("attempt %d: err = %v, want 503 with Retry-After", i, err)
		}
	}
	if got := f.calls.Load(); got != 6 {
		t.Errorf("token requests = %d, want 6 (outages are never cached)", got)
	}
	// The IdP recovers: the outages did not spend the address's failure
	// budget, and the credential was not remembered as bad.
	f.set(func(f *fakeIdP) { f.mode = "" })
	if _, err := validate(t, v, clientIP, basicHeader(testID, testSecret)); err != nil {
		t.Errorf("after recovery: %v", err)
	}
}

func TestUpstreamTimeout(t *testing.T) {
	f := newFakeIdP(t)
	f.allow(testID, testSecret)
	f.set(func(f *fakeIdP) { f.delay = 3 * time.Second })
	v, _ := newValidator(t, f, func(c *Config) { c.Timeout = 150 * time.Millisecond })

	start := time.Now()
	rec := serve(v, newRequest(clientIP, basicHeader(testID, testSecret)))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("status = %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v; the timeout was not applied", took)
	}
}

func TestCallerContextCancelled(t *testing.T) {
	f := newFakeIdP(t)
	f.allow(testID, testSecret)
	f.set(func(f *fakeIdP) { f.delay = 300 * time.Millisecond })
	v, _ := newValidator(t, f, nil)

	// The first caller gives up; the shared token request still completes
	// and fills the cache for everyone else.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	r := newRequest(clientIP, nil).WithContext(ctx)
	_, err := v.Validate(ctx, r, auth.Credential{Kind: auth.KindBasic, ID: testID, Secret: testSecret})
	if status(err) != 503 {
		t.Fatalf("cancelled caller: err = %v, want 503", err)
	}
	if _, err := validate(t, v, clientIP, basicHeader(testID, testSecret)); err != nil {
		t.Fatalf("second caller: %v", err)
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

func TestFailureRateLimitPerIP(t *testing.T) {
	f := newFakeIdP(t)
	f.allow(testID, testSecret)
	f.allow("other-client", testSecret)
	v, clk := newValidator(t, f, func(c *Config) { c.FailureBurst = 5; c.FailureEvery = 10 * time.Second })

	// A good credential proven before the limit kicks in.
	if _, err := validate(t, v, clientIP, basicHeader(testID, testSecret)); err != nil {
		t.Fatal(err)
	}
	attempt := func(ip, id, secret string) (int, int64, *auth.Error) {
		t.Helper()
		before := f.calls.Load()
		_, err := validate(t, v, ip, basicHeader(id, secret))
		var ae *auth.Error
		errors.As(err, &ae)
		return status(err), f.calls.Load() - before, ae
	}
	for i := range 5 {
		if code, calls, _ := attempt(clientIP, testID, fmt.Sprintf("guess-%d", i)); code != 401 || calls != 1 {
			t.Fatalf("guess %d: status %d with %d token requests, want 401 with 1", i, code, calls)
		}
	}
	code, calls, ae := attempt(clientIP, testID, "guess-5")
	if code != 429 || calls != 0 {
		t.Fatalf("guess over budget: status %d with %d token requests, want 429 with 0", code, calls)
	}
	if ae.RetryAfter <= 0 || ae.RetryAfter > 10*time.Second {
		t.Errorf("RetryAfter = %v, want (0, 10s]", ae.RetryAfter)
	}
	rec := serve(v, newRequest(clientIP, basicHeader(testID, "guess-6")))
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "10" {
		t.Errorf("middleware: status %d Retry-After %q, want 429 and 10", rec.Code, rec.Header().Get("Retry-After"))
	}

	rows := []struct {
		name      string
		ip, id    string
		secret    string
		wantCode  int
		wantCalls int64
	}{
		{"cached good credential still works from the limited IP", clientIP, testID, testSecret, 200, 0},
		{"uncached credential from the limited IP is limited", clientIP, "other-client", testSecret, 429, 0},
		{"negative-cached guess is a plain 401", clientIP, testID, "guess-0", 401, 0},
		{"another IP still reaches the IdP", otherIP, testID, "guess-from-elsewhere", 401, 1},
		{"another IP proves a good credential", otherIP, "other-client", testSecret, 200, 1},
	}
	for _, r := range rows {
		code, calls, _ := attempt(r.ip, r.id, r.secret)
		if code != r.wantCode || calls != r.wantCalls {
			t.Errorf("%s: status %d with %d token requests, want %d with %d", r.name, code, calls, r.wantCode, r.wantCalls)
		}
	}

	// One more failure is allowed every FailureEvery.
	clk.Advance(10 * time.Second)
	if code, calls, _ := attempt(clientIP, testID, "guess-after-refill"); code != 401 || calls != 1 {
		t.Errorf("after refill: status %d with %d token requests, want 401 with 1", code, calls)
	}
	if code, calls, _ := attempt(clientIP, testID, "guess-after-refill-2"); code != 429 || calls != 0 {
		t.Errorf("refill spent: status %d with %d token requests, want 429 with 0", code, calls)
	}
	if s := v.Stats(); s.RateLimited < 3 {
		t.Errorf("stats = %+v, want RateLimited >= 3", s)
	}
}

func TestConcurrentGuessesCannotOverrunBudget(t *testing.T) {
	f := newFakeIdP(t)
	f.set(func(f *fakeIdP) { f.delay = 50 * time.Millisecond })
	v, _ := newValidator(t, f, func(c *Config) { c.FailureBurst = 5 })

	const n = 40
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := validate(t, v, clientIP, zscalerHeader(testID, fmt.Sprintf("guess-%d", i)))
			codes[i] = status(err)
		}()
	}
	wg.Wait()
	if got := f.calls.Load(); got > 5 {
		t.Errorf("%d concurrent guesses cost %d token requests, want at most the burst of 5", n, got)
	}
	var refused, limited int
	for _, c := range codes {
		switch c {
		case 401:
			refused++
		case 429:
			limited++
		default:
			t.Errorf("unexpected status %d", c)
		}
	}
	if int64(refused) != f.calls.Load() || refused+limited != n {
		t.Errorf("refused %d, limited %d, token requests %d", refused, limited, f.calls.Load())
	}
}

func TestCacheExpiry(t *testing.T) {
	tests := []struct {
		name    string
		expires int // expires_in; 0 omits it
		margin  time.Duration
		hitAt   time.Duration // still cached at this offset
		missAt  time.Duration // asked again at this offset
	}{
		{name: "expires_in minus margin", expires: 3600, margin: 60 * time.Second,
			hitAt: 3539 * time.Second, missAt: 3541 * time.Second},
		{name: "custom margin", expires: 600, margin: 5 * time.Minute,
			hitAt: 299 * time.Second, missAt: 301 * time.Second},
		{name: "no expires_in: default TTL", expires: 0, margin: 0,
			hitAt: 299 * time.Second, missAt: 301 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIdP(t)
			f.allow(testID, testSecret)
			f.set(func(f *fakeIdP) { f.expires = tc.expires })
			v, clk := newValidator(t, f, func(c *Config) { c.ExpiryMargin = tc.margin })
			start := clk.Now()
			at := func(off time.Duration, wantCalls int64) {
				t.Helper()
				clk.Advance(start.Add(off).Sub(clk.Now()))
				before := f.calls.Load()
				if _, err := validate(t, v, clientIP, basicHeader(testID, testSecret)); err != nil {
					t.Fatalf("at %v: %v", off, err)
				}
				if got := f.calls.Load() - before; got != wantCalls {
					t.Errorf("at +%v: %d token requests, want %d", off, got, wantCalls)
				}
			}
			at(0, 1)
			at(tc.hitAt, 0)
			at(tc.missAt, 1)
		})
	}
}

func TestShortLivedTokensAreNotCached(t *testing.T) {
	f := newFakeIdP(t)
	f.allow(testID, testSecret)
	f.set(func(f *fakeIdP) { f.expires = 30 }) // shorter than the 60s margin
	v, _ := newValidator(t, f, nil)
	for range 2 {
		if _, err := validate(t, v, clientIP, basicHeader(testID, testSecret)); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}
}

// TestSecretNeverLeaks collects every error and log line produced while the
// IdP echoes the presented secret in its error bodies.
func TestSecretNeverLeaks(t *testing.T) {
	modes := []func(f *fakeIdP){
		func(f *fakeIdP) { f.mode = "" }, // refused: 401 echoing the secret
		func(f *fakeIdP) { f.mode, f.status = "status", 400 },
		func(f *fakeIdP) { f.mode, f.status = "status", 500 },
		func(f *fakeIdP) { f.mode, f.status = "status", 429 },
		func(f *fakeIdP) { f.mode = "garbage" },
		func(f *fakeIdP) { f.mode = "error-200" },
	}
	f := newFakeIdP(t)
	var logs bytes.Buffer
	v, clk := newValidator(t, f, func(c *Config) {
		c.FailureBurst = 100
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for i, m := range modes {
		f.set(m)
		clk.Advance(time.Minute) // past the negative cache
		_, err := validate(t, v, clientIP, basicHeader(testID, testSecret))
		if err == nil {
			t.Fatalf("mode %d: no error", i)
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
				if strings.Contains(s, testSecret) {
					t.Errorf("mode %d: error text contains the secret: %s", i, s)
				}
			}
		}
	}
	if logs.Len() == 0 {
		t.Error("no log lines were written")
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Errorf("logs contain the secret:\n%s", logs.String())
	}
}

func TestCacheKeyIsKeyedPerProcess(t *testing.T) {
	f := newFakeIdP(t)
	a, _ := newValidator(t, f, nil)
	b, _ := newValidator(t, f, nil)
	ka, kb := a.credKey(testID, testSecret), b.credKey(testID, testSecret)
	if ka == kb {
		t.Error("two validators derived the same cache key: the HMAC key is not random")
	}
	if ka != a.credKey(testID, testSecret) {
		t.Error("cache key is not deterministic within a validator")
	}
	for _, other := range []credKey{
		a.credKey(testID, testSecret+"x"),
		a.credKey(testID+"x", testSecret),
	} {
		if other == ka {
			t.Error("distinct credentials share a cache key")
		}
	}
	if a.credKey("ab", "c") == a.credKey("a", "bc") {
		t.Error("id/secret boundary is not part of the cache key")
	}
	if bytes.Contains(ka[:], []byte(testSecret[:8])) {
		t.Error("cache key contains secret bytes")
	}
}

func TestMalformedCredential(t *testing.T) {
	f := newFakeIdP(t)
	v, _ := newValidator(t, f, nil)
	for _, c := range []auth.Credential{
		{Kind: auth.KindBasic, ID: "", Secret: "x"},
		{Kind: auth.KindZscaler, ID: "x", Secret: ""},
		{Kind: auth.KindZscaler, ID: "a\x00b", Secret: "c"},
	} {
		r := newRequest(clientIP, nil)
		if _, err := v.Validate(r.Context(), r, c); status(err) != 401 {
			t.Errorf("%q: err = %v, want 401", c.ID, err)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "ok", cfg: Config{TokenURL: "https://acme.zslogin.net/oauth2/v1/token"}},
		{name: "no token URL", cfg: Config{}, wantErr: "ZSCALER_VANITY_DOMAIN"},
		{name: "relative token URL", cfg: Config{TokenURL: "/oauth2/v1/token"}, wantErr: "absolute http(s)"},
		{name: "ftp token URL", cfg: Config{TokenURL: "ftp://x/y"}, wantErr: "absolute http(s)"},
		{name: "negative timeout", cfg: Config{TokenURL: "https://x/y", Timeout: -1}, wantErr: "Timeout"},
		{name: "negative cache size", cfg: Config{TokenURL: "https://x/y", CacheSize: -1}, wantErr: "CacheSize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if v.cfg.Audience != DefaultAudience || v.cfg.Timeout != DefaultTimeout || v.cfg.CacheSize != DefaultCacheSize ||
					v.cfg.ExpiryMargin != DefaultExpiryMargin || v.cfg.NegativeTTL != DefaultNegativeTTL ||
					v.cfg.FailureBurst != DefaultFailureBurst || v.cfg.FailureEvery != DefaultFailureEvery ||
					!slices.Equal(v.cfg.Scopes, auth.DefaultScopes) || v.client.Timeout != DefaultTimeout {
					t.Errorf("defaults not applied: %+v", v.cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func BenchmarkValidateCacheHit(b *testing.B) {
	f := newFakeIdP(b)
	f.allow(testID, testSecret)
	v, _ := newValidator(b, f, nil)
	r := newRequest(clientIP, nil)
	c := auth.Credential{Kind: auth.KindBasic, ID: testID, Secret: testSecret}
	if _, err := v.Validate(r.Context(), r, c); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Validate(r.Context(), r, c); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := f.calls.Load(); n != 1 {
		b.Fatalf("token requests = %d, want 1", n)
	}
}

func BenchmarkValidateCold(b *testing.B) {
	f := newFakeIdP(b)
	f.set(func(f *fakeIdP) { f.prefix = "bench-" })
	v, _ := newValidator(b, f, nil)
	r := newRequest(clientIP, nil)
	i := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		i++
		c := auth.Credential{Kind: auth.KindZscaler, ID: testID, Secret: fmt.Sprintf("bench-%d", i)}
		if _, err := v.Validate(r.Context(), r, c); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := f.calls.Load(); n != int64(i) {
		b.Fatalf("token requests = %d, want %d", n, i)
	}
}

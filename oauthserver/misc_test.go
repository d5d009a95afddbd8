package oauthserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// TestHeaders: CORS on the JSON endpoints (preflight included), framing
// and caching headers on /authorize.
func TestHeaders(t *testing.T) {
	e := newEnv(t, nil)
	req, _ := http.NewRequest(http.MethodOptions, e.base+"/token", nil)
	req.Header.Set("Origin", "https://inspector.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	q, _ := e.authzQuery()
	resp = e.get(e.base + "/authorize?" + q.Encode())
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if resp.Header.Get(k) != want {
			t.Errorf("/authorize %s = %q, want %q", k, resp.Header.Get(k), want)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("/authorize CSP = %q", resp.Header.Get("Content-Security-Policy"))
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("/authorize answers CORS")
	}
}

// TestConcurrentRefreshNoGrace: with the grace window disabled, N
// concurrent refreshes of one token: exactly one 200, the others 400, no
// 500 (RFC 9700 §4.14.2: reuse revokes the family).
func TestConcurrentRefreshNoGrace(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RefreshGraceWindow = -1 })
	code, verifier := e.authorize(e.conf)
	_, tok := e.exchange(e.conf, code, verifier, nil)
	const n = 16
	var wg sync.WaitGroup
	stats := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stats[i], _ = e.refresh(e.conf, str(tok, "refresh_token"), nil)
		}()
	}
	wg.Wait()
	ok := 0
	for i, s := range stats {
		switch s {
		case 200:
			ok++
		case 400:
		default:
			t.Errorf("refresh %d: status %d", i, s)
		}
	}
	if ok != 1 {
		t.Errorf("%d refreshes succeeded, want 1", ok)
	}
}

// TestRunKeyRotation: the maintenance loop rotates a key older than the
// rotation period.
func TestRunKeyRotation(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.KeyRotationPeriod = 24 * time.Hour })
	before := kids(e.fetchJWKS())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.srv.RunKeyRotation(ctx, 10*time.Millisecond); close(done) }()
	e.clock.Advance(25 * time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for len(kids(e.fetchJWKS())) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	after := kids(e.fetchJWKS())
	if len(before) != 1 || len(after) != 2 || after[1] != before[0] {
		t.Errorf("JWKS kids before %v after %v, want a new key first and the old one still published", before, after)
	}
}

// TestAuthorizePOST: the authorization request may be sent as a form POST.
func TestAuthorizePOST(t *testing.T) {
	e := newEnv(t, nil)
	q, verifier := e.authzQuery()
	resp, err := e.noRedir.PostForm(e.base+"/authorize", q)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := e.redirectOf(resp)
	if s, b := e.exchange(e.conf, loc.Query().Get("code"), verifier, nil); s != 200 {
		t.Errorf("exchange: %d %v", s, b)
	}
}

// TestRefreshPolicy: a policy refusal at refresh is invalid_grant and
// revokes the grant.
func TestRefreshPolicy(t *testing.T) {
	var mu sync.Mutex
	allowed := true
	e := newEnv(t, func(c *Config) {
		c.RefreshPolicy = func(_ context.Context, sess *store.Session) error {
			mu.Lock()
			defer mu.Unlock()
			if sess.Subject != testUser || sess.IdP != "test" {
				return fmt.Errorf("unexpected session %+v", sess)
			}
			if !allowed {
				return errors.New("user left the allowed domain")
			}
			return nil
		}
	})
	code, verifier := e.authorize(e.conf)
	_, tok := e.exchange(e.conf, code, verifier, nil)
	s, tok2 := e.refresh(e.conf, str(tok, "refresh_token"), nil)
	if s != 200 {
		t.Fatalf("allowed refresh: %d %v", s, tok2)
	}
	mu.Lock()
	allowed = false
	mu.Unlock()
	if s, b := e.refresh(e.conf, str(tok2, "refresh_token"), nil); s != 400 || str(b, "error") != "invalid_grant" {
		t.Errorf("refused refresh: %d %v, want 400 invalid_grant", s, b)
	}
	if e.active(str(tok2, "access_token")) {
		t.Error("grant not revoked after a policy refusal")
	}
}

// TestNewClientIDNoLeadingDash: generated client ids never start with '-'
// or '_' (admin commands take them as positional arguments).
func TestNewClientIDNoLeadingDash(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		id, err := newClientID()
		if err != nil {
			t.Fatal(err)
		}
		if id[0] == '-' || id[0] == '_' || len(id) != 32 || seen[id] {
			t.Fatalf("client id %q", id)
		}
		seen[id] = true
	}
}

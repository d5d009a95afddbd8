package oauthserver

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// TestRefreshReuseWithPolicy: with a RefreshPolicy (whose read of the
// refresh token is handed to fosite), a rotated token presented again
// outside the grace window is still reuse: invalid_grant, and the whole
// family is revoked (RFC 6819 §5.2.2.3).
func TestRefreshReuseWithPolicy(t *testing.T) {
	calls := 0
	e := newEnv(t, func(c *Config) {
		c.RefreshGraceWindow = -1
		c.RefreshPolicy = func(context.Context, *store.Session) error { calls++; return nil }
	})
	code, verifier := e.authorize(e.conf)
	status, body := e.exchange(e.conf, code, verifier, nil)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, body)
	}
	rt1 := str(body, "refresh_token")
	status, body = e.refresh(e.conf, rt1, nil)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, body)
	}
	rt2, at2 := str(body, "refresh_token"), str(body, "access_token")
	if calls != 1 {
		t.Errorf("policy ran %d times, want 1", calls)
	}
	status, body = e.refresh(e.conf, rt1, nil)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("reuse of the rotated token: %d %v, want invalid_grant", status, body)
	}
	if status, body := e.refresh(e.conf, rt2, nil); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("the family's newest token after reuse: %d %v, want invalid_grant (family revoked)", status, body)
	}
	if e.active(at2) {
		t.Errorf("the family's access token is still active after reuse")
	}
}

// TestIntrospectionOfACachedToken: repeated introspection of one access
// token (its signature check is cached) still follows revocation and
// expiry.
func TestIntrospectionOfACachedToken(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AccessTokenTTL = time.Second })
	code, verifier := e.authorize(e.conf)
	status, body := e.exchange(e.conf, code, verifier, nil)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, body)
	}
	at := str(body, "access_token")
	for range 3 {
		if !e.active(at) {
			t.Fatal("a fresh access token is inactive")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.active(at) {
		if time.Now().After(deadline) {
			t.Fatal("still active 5 s after its 1 s lifetime")
		}
		time.Sleep(100 * time.Millisecond)
	}

	code, verifier = e.authorize(e.conf)
	_, body = e.exchange(e.conf, code, verifier, nil)
	at = str(body, "access_token")
	if !e.active(at) || !e.active(at) {
		t.Fatal("a fresh access token is inactive")
	}
	if status, _, _ := e.post("/revoke", url.Values{"token": {at}}, e.conf.ID, e.confSec); status != http.StatusOK {
		t.Fatalf("revoke: %d", status)
	}
	if e.active(at) {
		t.Error("a revoked access token is still active")
	}
}

package oauthserver

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/ory/fosite"
	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// TestPKCERowIsSpent: whatever the outcome of a code exchange that reached
// the PKCE check, the code's PKCE row is gone afterwards (it is deleted in
// the token transaction on success, right after the request otherwise), so
// a wrong code_verifier spends the code as in plain fosite (RFC 7636 §4.6).
func TestPKCERowIsSpent(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	pkceRow := func(code string) bool {
		t.Helper()
		_, err := e.st.GetPKCERequestSession(ctx, e.srv.strategy.AuthorizeCodeSignature(ctx, code), &store.Session{})
		if err != nil && !errors.Is(err, fosite.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	for _, tc := range []struct {
		name      string
		verifier  func(right string) string
		wantOK    bool
		retryWant int // status of a second attempt with the right verifier
	}{
		{"right verifier", func(v string) string { return v }, true, http.StatusBadRequest},
		{"wrong verifier", func(string) string { return oauth2.GenerateVerifier() }, false, http.StatusBadRequest},
		{"verifier too short", func(string) string { return "short" }, false, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, verifier := e.authorize(e.conf)
			if !pkceRow(code) {
				t.Fatal("no PKCE row after /authorize")
			}
			status, body := e.exchange(e.conf, code, tc.verifier(verifier), nil)
			if (status == http.StatusOK) != tc.wantOK {
				t.Fatalf("exchange: %d %v, want ok=%v", status, body, tc.wantOK)
			}
			if pkceRow(code) {
				t.Errorf("PKCE row still there after the exchange")
			}
			status, body = e.exchange(e.conf, code, verifier, nil)
			if status != tc.retryWant || body["error"] != "invalid_grant" {
				t.Errorf("second attempt with the right verifier: %d %v, want %d invalid_grant", status, body, tc.retryWant)
			}
		})
	}
}

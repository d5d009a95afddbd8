package jwtauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/resource/auth/jwtauth"
)

func TestDiscover(t *testing.T) {
	doc := func(issuer, jwks string) string {
		return fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q,"authorization_endpoint":"x"}`, issuer, jwks)
	}
	rows := []struct {
		name string
		// docs maps a path to its body, given the server's base URL.
		docs       map[string]func(base string) string
		configURL  func(base string) string
		wantIssuer func(base string) string
		wantJWKS   func(base string) string
		wantErr    string
	}{
		{
			name:       "issuer URL",
			docs:       map[string]func(string) string{"/.well-known/openid-configuration": func(b string) string { return doc(b, b+"/keys") }},
			configURL:  func(b string) string { return b },
			wantIssuer: func(b string) string { return b },
			wantJWKS:   func(b string) string { return b + "/keys" },
		},
		{
			name:       "issuer URL with trailing slash",
			docs:       map[string]func(string) string{"/.well-known/openid-configuration": func(b string) string { return doc(b, b+"/keys") }},
			configURL:  func(b string) string { return b + "/" },
			wantIssuer: func(b string) string { return b },
			wantJWKS:   func(b string) string { return b + "/keys" },
		},
		{
			name:       "document issuer with trailing slash is returned verbatim",
			docs:       map[string]func(string) string{"/.well-known/openid-configuration": func(b string) string { return doc(b+"/", b+"/keys") }},
			configURL:  func(b string) string { return b },
			wantIssuer: func(b string) string { return b + "/" },
			wantJWKS:   func(b string) string { return b + "/keys" },
		},
		{
			name:       "full well-known URL",
			docs:       map[string]func(string) string{"/realms/r/.well-known/openid-configuration": func(b string) string { return doc(b+"/realms/r", b+"/realms/r/certs") }},
			configURL:  func(b string) string { return b + "/realms/r/.well-known/openid-configuration" },
			wantIssuer: func(b string) string { return b + "/realms/r" },
			wantJWKS:   func(b string) string { return b + "/realms/r/certs" },
		},
		{
			name:       "RFC 8414 fallback for an issuer with a path",
			docs:       map[string]func(string) string{"/.well-known/oauth-authorization-server/tenant": func(b string) string { return doc(b+"/tenant", b+"/jwks") }},
			configURL:  func(b string) string { return b + "/tenant" },
			wantIssuer: func(b string) string { return b + "/tenant" },
			wantJWKS:   func(b string) string { return b + "/jwks" },
		},
		{
			name:       "full RFC 8414 URL",
			docs:       map[string]func(string) string{"/.well-known/oauth-authorization-server/tenant": func(b string) string { return doc(b+"/tenant", b+"/jwks") }},
			configURL:  func(b string) string { return b + "/.well-known/oauth-authorization-server/tenant" },
			wantIssuer: func(b string) string { return b + "/tenant" },
			wantJWKS:   func(b string) string { return b + "/jwks" },
		},
		{
			name:      "issuer mismatch",
			docs:      map[string]func(string) string{"/.well-known/openid-configuration": func(b string) string { return doc("https://evil.test", b+"/keys") }},
			configURL: func(b string) string { return b },
			wantErr:   "expected",
		},
		{
			name:      "missing jwks_uri",
			docs:      map[string]func(string) string{"/.well-known/openid-configuration": func(b string) string { return fmt.Sprintf(`{"issuer":%q}`, b) }},
			configURL: func(b string) string { return b },
			wantErr:   "jwks_uri",
		},
		{
			name:      "jwks_uri not http(s)",
			docs:      map[string]func(string) string{"/.well-known/openid-configuration": func(b string) string { return doc(b, "file:///etc/passwd") }},
			configURL: func(b string) string { return b },
			wantErr:   "jwks_uri",
		},
		{
			name:      "not found",
			docs:      map[string]func(string) string{},
			configURL: func(b string) string { return b },
			wantErr:   "HTTP status 404",
		},
		{
			name:      "not JSON",
			docs:      map[string]func(string) string{"/.well-known/openid-configuration": func(string) string { return "<html>" }},
			configURL: func(b string) string { return b },
			wantErr:   "not a JSON discovery document",
		},
		{
			name: "oversized",
			docs: map[string]func(string) string{"/.well-known/openid-configuration": func(b string) string {
				return `{"pad":"` + strings.Repeat("A", jwtauth.MaxDiscoveryBytes) + `"}`
			}},
			configURL: func(b string) string { return b },
			wantErr:   "larger than",
		},
		{
			name:      "config URL not http(s)",
			configURL: func(string) string { return "ldap://idp.test" },
			wantErr:   "discovery URL",
		},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, ok := tc.docs[r.URL.Path]
				if !ok {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(body("http://" + r.Host)))
			}))
			defer srv.Close()
			base := srv.URL
			iss, jwks, err := jwtauth.Discover(context.Background(), srv.Client(), tc.configURL(base))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if iss != tc.wantIssuer(base) || jwks != tc.wantJWKS(base) {
				t.Fatalf("got (%q, %q), want (%q, %q)", iss, jwks, tc.wantIssuer(base), tc.wantJWKS(base))
			}
		})
	}
}

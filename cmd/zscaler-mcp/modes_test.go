package main

import (
	"strings"
	"testing"
)

// TestModesEndToEnd drives a real mcp-go client through initialize →
// tools/list → tools/call whoami over streamable HTTP and SSE in each mode.
func TestModesEndToEnd(t *testing.T) {
	key := strings.Repeat("ab", 32)
	idp := newTestIdP(t)
	jwtEnv := map[string]string{"ZSCALER_MCP_AUTH_JWKS_URI": idp.URL + "/jwks", "ZSCALER_MCP_AUTH_ISSUER": idp.URL, "ZSCALER_MCP_AUTH_AUDIENCE": "other,zscaler-mcp"}
	oidcEnv := map[string]string{"ZSCALER_MCP_AUTH_MODE": "oidc", "OIDCPROXY_CONFIG_URL": idp.URL, "OIDCPROXY_CLIENT_ID": "zscaler-mcp"}
	zsEnv := map[string]string{"ZSCALER_MCP_AUTH_MODE": "zscaler", "ZSCALER_TOKEN_URL": idp.URL + "/oauth2/v1/token"}
	modes := []struct {
		name        string
		env         map[string]string
		headers     map[string]string
		wantMode    string
		wantSubject string
	}{
		{"none", map[string]string{}, nil, "none", "anonymous"},
		{"api-key", map[string]string{"ZSCALER_MCP_AUTH_API_KEY": key}, map[string]string{"Authorization": "Bearer " + key}, "api-key", ""},
		{"jwt", jwtEnv, map[string]string{"Authorization": "Bearer " + idp.token(t, nil)}, "jwt", "user-1"},
		{"oidc", oidcEnv, map[string]string{"Authorization": "Bearer " + idp.token(t, map[string]any{"sub": "user-2"})}, "oidc", "user-2"},
		{"zscaler via Basic", zsEnv, map[string]string{"Authorization": basic("client-a", "secret-a")}, "zscaler", "zscaler:client-a"},
		{"zscaler via X-Zscaler headers", zsEnv, map[string]string{"X-Zscaler-Client-ID": "client-b", "X-Zscaler-Client-Secret": "secret-b"}, "zscaler", "zscaler:client-b"},
		{"api-key via X-Api-Key", map[string]string{"ZSCALER_MCP_AUTH_API_KEY": "other-key-0123456789," + key}, map[string]string{"X-Api-Key": key}, "api-key", ""},
	}
	for _, m := range modes {
		for _, tr := range []string{"streamable-http", "sse"} {
			t.Run(m.name+"/"+tr, func(t *testing.T) {
				srv := start(t, m.env, "--transport", tr)
				c, err := connect(t, srv.URL, tr, m.headers)
				if err != nil {
					t.Fatalf("initialize: %v\n%s", err, srv.Stderr)
				}
				w := whoami(t, c)
				mustEqual(t, "mode", w.Mode, m.wantMode)
				if m.wantSubject != "" {
					mustEqual(t, "subject", w.Subject, m.wantSubject)
				}
				if len(w.Scopes) != 2 {
					t.Errorf("scopes = %v, want both", w.Scopes)
				}
				if strings.Contains(srv.Stderr.String(), key) {
					t.Errorf("the API key appears in the logs")
				}
				// Without credentials the same server refuses (except none).
				if m.wantMode != "none" {
					if _, err := connect(t, srv.URL, tr, nil); err == nil {
						t.Errorf("connected without credentials")
					}
				}
			})
		}
	}
}

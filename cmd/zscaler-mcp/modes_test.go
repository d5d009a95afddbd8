package main

import (
	"strings"
	"sync"
	"testing"
	"time"
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

// TestTokenModeRejections checks the challenges and outage handling of the
// token modes through the real server.
func TestTokenModeRejections(t *testing.T) {
	idp := newTestIdP(t)
	t.Run("jwt", func(t *testing.T) {
		srv := start(t, map[string]string{"ZSCALER_MCP_AUTH_JWKS_URI": idp.URL + "/jwks", "ZSCALER_MCP_AUTH_ISSUER": idp.URL, "ZSCALER_MCP_AUTH_AUDIENCE": "zscaler-mcp"}, "--transport", "streamable-http")
		for name, tc := range map[string]struct {
			tok  string
			www  string
			code int
		}{
			"expired":        {idp.token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}), `Bearer realm="zscaler-mcp", error="invalid_token"`, 401},
			"wrong audience": {idp.token(t, map[string]any{"aud": "someone-else"}), `Bearer realm="zscaler-mcp", error="invalid_token"`, 401},
			"no token":       {"", `Bearer realm="zscaler-mcp"`, 401},
			"valid":          {idp.token(t, nil), "", 200},
		} {
			h := map[string]string{}
			if tc.tok != "" {
				h["Authorization"] = "Bearer " + tc.tok
			}
			resp, body := do(t, "POST", srv.URL+"/mcp", h, initBody)
			if resp.StatusCode != tc.code || resp.Header.Get("WWW-Authenticate") != tc.www {
				t.Errorf("%s: %d %q (%s), want %d %q", name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, tc.code, tc.www)
			}
		}
	})
	t.Run("jwt JWKS down and nothing cached → 503", func(t *testing.T) {
		dead := newTestIdP(t)
		tok := dead.token(t, nil)
		jwks := dead.URL + "/jwks"
		srv := start(t, map[string]string{"ZSCALER_MCP_AUTH_JWKS_URI": jwks + "-gone", "ZSCALER_MCP_AUTH_ISSUER": dead.URL, "ZSCALER_MCP_AUTH_AUDIENCE": "zscaler-mcp"}, "--transport", "streamable-http")
		resp, body := do(t, "POST", srv.URL+"/mcp", map[string]string{"Authorization": "Bearer " + tok}, initBody)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%d Retry-After=%q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	})
	t.Run("oidc advertises the upstream IdP", func(t *testing.T) {
		srv := start(t, map[string]string{"ZSCALER_MCP_AUTH_MODE": "oidc", "OIDCPROXY_CONFIG_URL": idp.URL, "OIDCPROXY_CLIENT_ID": "zscaler-mcp"}, "--transport", "streamable-http")
		resp, _ := do(t, "POST", srv.URL+"/mcp", nil, initBody)
		want := `Bearer realm="zscaler-mcp", resource_metadata="` + srv.URL + `/.well-known/oauth-protected-resource/mcp", scope="zscaler.read"`
		if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || got != want {
			t.Fatalf("%d %q, want %q", resp.StatusCode, got, want)
		}
		_, doc := do(t, "GET", srv.URL+"/.well-known/oauth-protected-resource/mcp", nil, "")
		if !strings.Contains(doc, `"authorization_servers":["`+idp.URL+`"]`) || !strings.Contains(doc, `"resource":"`+srv.URL+`/mcp"`) {
			t.Fatalf("PRM: %s", doc)
		}
	})
	t.Run("zscaler", func(t *testing.T) {
		srv := start(t, map[string]string{"ZSCALER_MCP_AUTH_MODE": "zscaler", "ZSCALER_TOKEN_URL": idp.URL + "/oauth2/v1/token"}, "--transport", "streamable-http")
		good := map[string]string{"Authorization": basic("client-a", "secret-a")}
		idp.tokenCalls.Store(0)
		var wg sync.WaitGroup
		codes := make(chan int, 100)
		for range 100 {
			wg.Go(func() {
				resp, _ := do(t, "POST", srv.URL+"/mcp", good, initBody)
				codes <- resp.StatusCode
			})
		}
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != 200 {
				t.Fatalf("concurrent first request: %d", c)
			}
		}
		mustEqual(t, "upstream calls for 100 concurrent first requests", idp.tokenCalls.Load(), int64(1))
		do(t, "POST", srv.URL+"/mcp", good, initBody)
		mustEqual(t, "upstream calls after a cached request", idp.tokenCalls.Load(), int64(1))

		resp, body := do(t, "POST", srv.URL+"/mcp", map[string]string{"Authorization": basic("client-a", "wrong")}, initBody)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="zscaler-mcp"` || !strings.Contains(body, "invalid Zscaler credentials") {
			t.Fatalf("bad secret: %d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
		idp.tokenStatus.Store(500)
		defer idp.tokenStatus.Store(0)
		resp, body = do(t, "POST", srv.URL+"/mcp", map[string]string{"Authorization": basic("client-b", "secret-b")}, initBody)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("upstream 500: %d Retry-After=%q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		resp, _ = do(t, "POST", srv.URL+"/mcp", good, initBody)
		mustEqual(t, "cached credential during an outage", resp.StatusCode, 200)
	})
}

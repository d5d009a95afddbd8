package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestOIDCProxyZscalerFallback: with ZSCALER_MCP_AUTH_FALLBACKS=zscaler,
// oidcproxy mode also accepts Zscaler client credentials (validated at a
// loopback token endpoint), while its tokens keep working and every 401
// stays the Bearer challenge that starts the browser flow. Without the
// setting the same token URL opens no second way in.
func TestOIDCProxyZscalerFallback(t *testing.T) {
	idp := newTestIdP(t)
	env := map[string]string{"ZSCALER_MCP_AUTH_FALLBACKS": "zscaler", "ZSCALER_TOKEN_URL": idp.URL + "/oauth2/v1/token"}
	srv := start(t, env, "--transport", "streamable-http", "--config", devIdPConfig(t))
	if !strings.Contains(srv.Stderr.String(), "validators=oidcproxy,zscaler") {
		t.Errorf("start-up summary: %s", srv.Stderr)
	}
	bearer := `Bearer realm="zscaler-mcp", resource_metadata="` + srv.URL + `/.well-known/oauth-protected-resource/mcp", scope="zscaler.read"`
	invalid := `Bearer realm="zscaler-mcp", error="invalid_token", resource_metadata="` + srv.URL + `/.well-known/oauth-protected-resource/mcp", scope="zscaler.read"`

	for _, tc := range []struct {
		name    string
		headers map[string]string
		subject string
	}{
		{"Basic", map[string]string{"Authorization": basic("client-a", "secret-a")}, "zscaler:client-a"},
		{"X-Zscaler headers", map[string]string{"X-Zscaler-Client-ID": "client-b", "X-Zscaler-Client-Secret": "secret-b"}, "zscaler:client-b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := connect(t, srv.URL, "streamable-http", tc.headers)
			if err != nil {
				t.Fatalf("initialize: %v\n%s", err, srv.Stderr)
			}
			w := whoami(t, c)
			mustEqual(t, "mode", w.Mode, "zscaler")
			mustEqual(t, "subject", w.Subject, tc.subject)
		})
	}

	for _, tc := range []struct {
		name    string
		headers map[string]string
		www     string
	}{
		{"no credential", nil, bearer},
		{"wrong Zscaler secret", map[string]string{"Authorization": basic("client-a", "wrong")}, invalid},
		{"garbage bearer", map[string]string{"Authorization": "Bearer not-a-token-of-ours-0123456789"}, invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, http.MethodPost, srv.URL+"/mcp", tc.headers, initBody)
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != tc.www {
				t.Fatalf("%d %q (%s), want 401 %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, tc.www)
			}
			if strings.Contains(body, "secret-a") || strings.Contains(body, "wrong") {
				t.Errorf("the body echoes the credential: %s", body)
			}
		})
	}

	// Our own tokens still come first.
	_, tok, _ := oidcLogin(t, srv.URL, "carol")
	c, err := connect(t, srv.URL, "streamable-http", map[string]string{"Authorization": "Bearer " + tok.AccessToken})
	if err != nil {
		t.Fatalf("initialize with our token: %v", err)
	}
	mustEqual(t, "mode with our token", whoami(t, c).Mode, "oidcproxy")

	t.Run("not named in ZSCALER_MCP_AUTH_FALLBACKS", func(t *testing.T) {
		calls := idp.tokenCalls.Load()
		off := start(t, map[string]string{"ZSCALER_TOKEN_URL": idp.URL + "/oauth2/v1/token"}, "--transport", "streamable-http", "--config", devIdPConfig(t))
		if !strings.Contains(off.Stderr.String(), "validators=oidcproxy ") {
			t.Errorf("start-up summary: %s", off.Stderr)
		}
		resp, body := do(t, http.MethodPost, off.URL+"/mcp", map[string]string{"Authorization": basic("client-a", "secret-a")}, initBody)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Fatalf("%d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
		mustEqual(t, "token endpoint calls", idp.tokenCalls.Load(), calls)
	})
}

// TestFallbackSettingErrors: ZSCALER_MCP_AUTH_FALLBACKS is refused where
// it cannot apply, with a message naming the setting.
func TestFallbackSettingErrors(t *testing.T) {
	cfg := devIdPConfig(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"outside oidcproxy mode", map[string]string{"ZSCALER_MCP_AUTH_FALLBACKS": "zscaler", "ZSCALER_MCP_AUTH_API_KEY": strings.Repeat("a", 32), "ZSCALER_TOKEN_URL": "http://127.0.0.1:9/t"},
			nil, []string{"ZSCALER_MCP_AUTH_FALLBACKS", "only to oidcproxy"}},
		{"unknown fallback", map[string]string{"ZSCALER_MCP_AUTH_FALLBACKS": "zscaler,api-key", "ZSCALER_TOKEN_URL": "http://127.0.0.1:9/t"},
			[]string{"--config", cfg}, []string{"ZSCALER_MCP_AUTH_FALLBACKS", `"api-key"`, "ZSCALER_MCP_AUTH_API_KEY"}},
		{"zscaler without a token URL", map[string]string{"ZSCALER_MCP_AUTH_FALLBACKS": "zscaler"},
			[]string{"--config", cfg}, []string{"ZSCALER_MCP_AUTH_FALLBACKS", "ZSCALER_VANITY_DOMAIN"}},
		{"flag spelling", nil, []string{"--config", cfg, "--auth-fallbacks", "ZSCALER"}, []string{"--auth-fallbacks", "ZSCALER_VANITY_DOMAIN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resolve(t, tc.env, append([]string{"--transport", "streamable-http"}, tc.args...)...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	c, err := resolve(t, map[string]string{"ZSCALER_MCP_AUTH_FALLBACKS": "Zscaler", "ZSCALER_VANITY_DOMAIN": "acme"}, "--transport", "streamable-http", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !c.hasFallback("zscaler") {
		t.Errorf("fallbacks = %v", c.Fallbacks)
	}
}

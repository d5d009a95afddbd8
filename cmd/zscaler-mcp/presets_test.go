package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

// TestOIDCProxyPreset starts the server with a keycloak-preset IdP (a real
// OpenID provider on loopback with a realm issuer and a groups mapper
// claim): the registry cmd uses opens presets, a member of the allowed
// group reaches the consent page, and anyone else sees a page naming the
// rule.
func TestOIDCProxyPreset(t *testing.T) {
	op := idptest.New(t, idptest.Options{IssuerPath: "/realms/acme", Users: []idptest.User{
		{ID: "u-alice", Username: "alice", Password: "pw", Email: "alice@example.com", EmailVerified: true,
			Claims: map[string]any{"kc_groups": []string{"mcp-users"}}},
		{ID: "u-bob", Username: "bob", Password: "pw", Email: "bob@example.com", EmailVerified: true,
			Claims: map[string]any{"kc_groups": []string{"staff"}}},
	}})
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	body := fmt.Sprintf(`idps:
  - id: kc
    type: keycloak
    name: Sign in with Acme SSO
    base_url: %s
    realm: acme
    groups_claim: kc_groups
    client_id: mcp
    client_secret: ${KC_SECRET}
    allowed_groups: [mcp-users]
`, strings.TrimSuffix(op.Issuer, "/realms/acme"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := start(t, map[string]string{"KC_SECRET": "kc-secret"}, "--transport", "streamable-http", "--config", cfg)
	if !strings.Contains(srv.Stderr.String(), "idps=kc") {
		t.Errorf("start-up summary lacks idps=kc:\n%s", srv.Stderr)
	}
	// The app registration at the IdP: our callback on the public URL.
	public := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	op.AddClient(idptest.Client{ID: "mcp", Secret: "kc-secret", RedirectURIs: []string{public + "/auth/callback"}})

	for _, tt := range []struct {
		user, wantPath, wantText string
	}{
		{user: "alice", wantPath: "/consent", wantText: `name="decision"`},
		{user: "bob", wantPath: "/auth/callback", wantText: "allowed_groups"},
	} {
		t.Run(tt.user, func(t *testing.T) {
			op.SetAutoLogin(tt.user)
			authURL := registerAndAuthorize(t, public)
			b := newBrowser(t)
			atClient := func(u *url.URL) bool { return u.Host == "127.0.0.1:9" }
			_, body, at := b.Follow(authURL, atClient)
			if at.Path != tt.wantPath || !strings.Contains(html.UnescapeString(body), tt.wantText) {
				t.Fatalf("ended at %s, want %s with %q: %.600s", at, tt.wantPath, tt.wantText, body)
			}
		})
	}
}

// registerAndAuthorize registers a public client at our AS and returns an
// authorization URL for it.
func registerAndAuthorize(t *testing.T, base string) string {
	t.Helper()
	const redirect = "http://127.0.0.1:9/callback"
	reg, _ := json.Marshal(map[string]any{"client_name": "test", "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}})
	resp, err := http.Post(base+"/register", "application/json", bytes.NewReader(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var client struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&client); err != nil || client.ClientID == "" {
		t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	oc := &oauth2.Config{ClientID: client.ClientID, RedirectURL: redirect, Scopes: []string{"zscaler.read"},
		Endpoint: oauth2.Endpoint{AuthURL: base + "/authorize"}}
	return oc.AuthCodeURL("st-1", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
}

// TestOIDCProxyPresetConfigErrors: preset mistakes are start-up errors
// naming the file, the IdP and the field.
func TestOIDCProxyPresetConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ name, entry, field string }{
		{"entra without tenant", "type: entra\n    client_id: c\n    client_secret: s\n", "tenant"},
		{"cognito pool of another region", "type: cognito\n    region: eu-west-1\n    user_pool_id: us-east-1_Abc\n    client_id: c\n    client_secret: s\n", "user_pool_id"},
		{"okta unknown key", "type: okta\n    domain: acme.okta.com\n    auth_server: default\n    client_id: c\n    client_secret: s\n", "auth_server"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			if err := os.WriteFile(p, []byte("idps:\n  - id: corp\n    "+tt.entry), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := resolve(t, nil, "--transport", "streamable-http", "--config", p)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range []string{p, `idp "corp"`, tt.field + ":"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

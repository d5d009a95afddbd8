//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

// chooserIdP is one upstream IdP of the chooser test: a real OpenID
// provider on loopback, shaped like the preset it is registered as.
type chooserIdP struct {
	id, typ, name, clientID string
	issuerPath              string
	// entry returns the preset-specific YAML lines for the OP's origin.
	entry func(origin string) string
	op    *idptest.Server
}

// TestChooserThreeIdPs runs zscaler-mcp in oidcproxy mode with three
// upstream IdPs of three preset types (keycloak, auth0, okta), each a real
// OpenID provider on its own loopback port, and drives headless Chromium
// through the chooser: /authorize shows the three buttons, and each button
// leads to its own IdP's sign-in page, where that IdP accepted an
// authorization request for its own client and our callback.
func TestChooserThreeIdPs(t *testing.T) {
	chromiumPath := os.Getenv("CHROMIUM")
	if chromiumPath == "" {
		chromiumPath = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s (apt-get install chromium, or set CHROMIUM): %v", chromiumPath, err)
	}

	idps := []*chooserIdP{
		{id: "acme-sso", typ: "keycloak", name: "Acme SSO (Keycloak)", clientID: "mcp-keycloak", issuerPath: "/realms/acme",
			entry: func(o string) string { return "base_url: " + o + "\n    realm: acme\n" }},
		{id: "partners", typ: "auth0", name: "Partners (Auth0)", clientID: "mcp-auth0", issuerPath: "/",
			entry: func(o string) string { return "domain: " + o + "\n    audience: https://mcp.example.com/mcp\n" }},
		{id: "staff", typ: "okta", name: "Staff (Okta)", clientID: "mcp-okta", issuerPath: "/oauth2/default",
			entry: func(o string) string { return "domain: " + o + "\n    authorization_server: default\n" }},
	}
	var cfg strings.Builder
	cfg.WriteString("idps:\n")
	for _, p := range idps {
		p.op = idptest.New(t, idptest.Options{IssuerPath: p.issuerPath, Users: []idptest.User{
			{ID: "u-alice", Username: "alice", Password: "pw", Email: "alice@example.com", EmailVerified: true}}})
		origin := strings.TrimSuffix(p.op.Issuer, p.issuerPath)
		fmt.Fprintf(&cfg, "  - id: %s\n    type: %s\n    name: %s\n    client_id: %s\n    client_secret: secret-%s\n    %s",
			p.id, p.typ, p.name, p.clientID, p.id, p.entry(origin))
	}
	cfgPath := filepath.Join(t.TempDir(), "zscaler-mcp.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", "streamable-http", map[string]string{"ZSCALER_MCP_CONFIG": cfgPath})
	public := fmt.Sprintf("http://localhost:%d", srv.Port)
	callback := public + "/auth/callback"
	// Each IdP's app registration: its own client, our callback.
	for _, p := range idps {
		p.op.AddClient(idptest.Client{ID: p.clientID, Secret: "secret-" + p.id, RedirectURIs: []string{callback}})
	}

	authURL := registerPublicClient(t, public)
	shots := artifactsDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, "chooser.js", authURL, shots)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node chooser.js: %v\n--- stdout:\n%s\n--- stderr:\n%s\n--- zscaler-mcp:\n%s", err, &stdout, &stderr, srv.Stderr)
	}
	var out struct {
		Buttons []string `json:"buttons"`
		Visits  []struct {
			Button, URL, Title, Text string
		} `json:"visits"`
		PageErrors []string `json:"pageErrors"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("chooser.js output %q: %v", &stdout, err)
	}
	t.Logf("headless Chromium visited %d IdPs from the chooser (screenshots in %s)", len(out.Visits), shots)

	var names []string
	for _, p := range idps {
		names = append(names, p.name)
	}
	if strings.Join(out.Buttons, "|") != strings.Join(names, "|") {
		t.Errorf("chooser buttons = %q, want %q in config order", out.Buttons, names)
	}
	if len(out.PageErrors) > 0 {
		t.Errorf("script errors on our pages: %v", out.PageErrors)
	}
	if len(out.Visits) != len(idps) {
		t.Fatalf("visits = %+v", out.Visits)
	}
	for i, p := range idps {
		v := out.Visits[i]
		loginPage := strings.TrimSuffix(p.op.Issuer, "/") + "/login?authRequestID="
		if v.Button != p.name || !strings.HasPrefix(v.URL, loginPage) {
			t.Errorf("button %q led to %s, want %s's sign-in page %s...", v.Button, v.URL, p.id, loginPage)
		}
		if !strings.Contains(v.Text, p.op.Issuer) {
			t.Errorf("button %q: the page does not name the issuer %s: %q", v.Button, p.op.Issuer, v.Text)
		}
		ars := p.op.AuthRequests()
		if len(ars) != 1 {
			t.Errorf("%s received %d authorization requests, want exactly 1 (its own button's)", p.id, len(ars))
			continue
		}
		if ar := ars[0]; ar.ClientID != p.clientID || ar.RedirectURI != callback || ar.CodeChallengeMethod != "S256" {
			t.Errorf("%s's authorization request = %+v", p.id, ar)
		}
		if p.typ == "auth0" && ars[0].Query.Get("audience") != "https://mcp.example.com/mcp" {
			t.Errorf("auth0 authorization request without the audience: %v", ars[0].Query)
		}
	}
	for _, f := range []string{"0-chooser.png", "1-acme-sso-keycloak.png", "2-partners-auth0.png", "3-staff-okta.png"} {
		if fi, err := os.Stat(filepath.Join(shots, f)); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s missing or empty: %v", f, err)
		}
	}
}

// registerPublicClient registers a public client with a loopback redirect
// at our AS (RFC 7591) and returns an authorization URL for it.
func registerPublicClient(t *testing.T, public string) string {
	t.Helper()
	const redirect = "http://127.0.0.1:9/callback"
	body, _ := json.Marshal(map[string]any{"client_name": "chooser e2e", "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}})
	resp, err := http.Post(public+"/register", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reg struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reg); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	oc := &oauth2.Config{ClientID: reg.ClientID, RedirectURL: redirect, Scopes: []string{"zscaler.read"},
		Endpoint: oauth2.Endpoint{AuthURL: public + "/authorize"}}
	return oc.AuthCodeURL("chooser-state", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
}

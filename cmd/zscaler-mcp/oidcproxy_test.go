package main

import (
	"bytes"
	"context"
	"encoding/json"

	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/oauthserver/oauthtest"
)

// devIdPConfig writes a config file with one dev IdP and short lifetimes.
func devIdPConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	body := "oauth:\n  access_token_ttl: 10m\n  refresh_token_ttl: 24h\n  grant_max_lifetime: 48h\nidps:\n  - id: dev\n    type: dev\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// getJSON GETs u and decodes the JSON body into out.
func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// newBrowser plays the user's browser (a cookie jar, one hop at a time).
func newBrowser(t *testing.T) *oauthtest.Browser { return oauthtest.NewBrowser(t) }

var reHiddenInput = regexp.MustCompile(`name="(pending|csrf_token|state)" value="([^"]*)"`)

func hiddenInputs(body string) url.Values {
	v := url.Values{}
	for _, m := range reHiddenInput.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

// TestOIDCProxyEndToEnd runs the whole oidcproxy flow against the real
// server with a dev IdP: discovery, dynamic registration, login, consent,
// code exchange, MCP calls with the access token, and refresh.
func TestOIDCProxyEndToEnd(t *testing.T) {
	srv := start(t, nil, "--transport", "streamable-http", "--config", devIdPConfig(t))
	for _, want := range []string{"auth_mode=oidcproxy", "validators=oidcproxy", "idps=dev"} {
		if !strings.Contains(srv.Stderr.String(), want) {
			t.Errorf("start-up summary lacks %s:\n%s", want, srv.Stderr)
		}
	}

	oc, tok, clientID := oidcLogin(t, srv.URL, "alice")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A real MCP client with the access token.
	c, err := connect(t, srv.URL, "streamable-http", map[string]string{"Authorization": "Bearer " + tok.AccessToken})
	if err != nil {
		t.Fatalf("initialize: %v\n%s", err, srv.Stderr)
	}
	w := whoami(t, c)
	mustEqual(t, "mode", w.Mode, "oidcproxy")
	mustEqual(t, "subject", w.Subject, "dev|alice")
	mustEqual(t, "client id", w.ClientID, clientID)
	mustEqual(t, "idp", w.IdP, "dev")
	if len(w.Scopes) != 1 || w.Scopes[0] != "zscaler.read" {
		t.Errorf("scopes = %v, want [zscaler.read]", w.Scopes)
	}

	// Refresh: a new access token that works too.
	tok2, err := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if tok2.AccessToken == tok.AccessToken || tok2.RefreshToken == tok.RefreshToken {
		t.Error("refresh did not rotate the tokens")
	}
	c2, err := connect(t, srv.URL, "streamable-http", map[string]string{"Authorization": "Bearer " + tok2.AccessToken})
	if err != nil {
		t.Fatalf("initialize with the refreshed token: %v", err)
	}
	mustEqual(t, "subject after refresh", whoami(t, c2).Subject, "dev|alice")
}

// TestOIDCProxyChallengeAndFallback: a 401 names the PRM and the default
// scope; a static API key stays accepted beside our tokens.
func TestOIDCProxyChallengeAndFallback(t *testing.T) {
	key := strings.Repeat("cd", 32)
	srv := start(t, map[string]string{"ZSCALER_MCP_AUTH_API_KEY": key}, "--transport", "streamable-http", "--config", devIdPConfig(t))
	if !strings.Contains(srv.Stderr.String(), "validators=oidcproxy,api-key") {
		t.Errorf("start-up summary: %s", srv.Stderr)
	}

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mustEqual(t, "status", resp.StatusCode, http.StatusUnauthorized)
	ch := resp.Header.Get("WWW-Authenticate")
	for _, want := range []string{`resource_metadata="`, `scope="zscaler.read"`} {
		if !strings.Contains(ch, want) {
			t.Errorf("WWW-Authenticate %q lacks %s", ch, want)
		}
	}

	c, err := connect(t, srv.URL, "streamable-http", map[string]string{"Authorization": "Bearer " + key})
	if err != nil {
		t.Fatalf("initialize with the API key: %v\n%s", err, srv.Stderr)
	}
	mustEqual(t, "mode", whoami(t, c).Mode, "api-key")
}

// TestOIDCProxyConfigErrors: IdP mistakes are start-up errors naming the
// file, the IdP and the field.
func TestOIDCProxyConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknownType := write("type.yaml", "idps:\n  - id: corp\n    type: magic\n")
	noClient := write("client.yaml", "idps:\n  - id: corp\n    type: oidc\n    issuer: https://idp.example.com\n    client_secret: s\n")
	typo := write("typo.yaml", "idps:\n  - id: corp\n    type: oidc\n    issuer: https://idp.example.com\n    client_id: c\n    client_secret: s\n    clientsecret: s\n")
	dev := write("dev.yaml", "idps:\n  - id: local\n    type: dev\n")
	badTTL := write("ttl.yaml", "oauth:\n  access_token_ttl: soon\nidps:\n  - id: local\n    type: dev\n")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown type", []string{"--config", unknownType}, []string{unknownType, `idp "corp"`, "type"}},
		{"missing client_id", []string{"--config", noClient}, []string{noClient, `idp "corp"`, "client_id"}},
		{"unknown key", []string{"--config", typo}, []string{typo, `idp "corp"`, "clientsecret"}},
		{"dev IdP off loopback", []string{"--config", dev, "--host", "0.0.0.0", "--public-url", "https://mcp.example.com"}, []string{dev, `idp "local"`, "type", "loopback"}},
		{"bad oauth duration", []string{"--config", badTTL}, []string{badTTL, "oauth.access_token_ttl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolve(t, nil, append([]string{"--transport", "streamable-http"}, tt.args...)...)
			if err == nil {
				t.Fatal("no error")
			}
			if testing.Verbose() {
				t.Log(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestOIDCProxyShortcut: OIDCPROXY_* make one oidc IdP entry.
func TestOIDCProxyShortcut(t *testing.T) {
	c, err := resolve(t, map[string]string{
		"OIDCPROXY_CONFIG_URL":      "https://idp.example.com/tenant/.well-known/openid-configuration",
		"OIDCPROXY_CLIENT_ID":       "cid",
		"OIDCPROXY_CLIENT_SECRET":   "sec",
		"OIDCPROXY_REQUIRED_SCOPES": "openid,email groups",
	}, "--transport", "streamable-http")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "mode", c.Mode, "oidcproxy")
	if len(c.IdPs) != 1 {
		t.Fatalf("idps = %v", c.IdPs)
	}
	e := c.IdPs[0]
	mustEqual(t, "id", e.ID, "oidc")
	mustEqual(t, "type", e.Type, "oidc")
	mustEqual(t, "issuer", e.Issuer, "https://idp.example.com/tenant")
	mustEqual(t, "client id", e.ClientID, "cid")
	mustEqual(t, "client secret", e.ClientSecret, "sec")
	mustEqual(t, "scopes", strings.Join(e.Scopes, " "), "openid email groups")
}

// oidcLogin runs discovery, dynamic registration, the dev IdP login as
// username, consent and the code exchange against the server at base, and
// returns the client's OAuth config, its tokens and its client id.
func oidcLogin(t *testing.T, base, username string) (*oauth2.Config, *oauth2.Token, string) {
	t.Helper()
	// Discovery: the PRM names our AS, byte for byte its metadata issuer.
	var prm struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
	}
	getJSON(t, base+"/.well-known/oauth-protected-resource/mcp", &prm)
	if len(prm.AuthorizationServers) != 1 {
		t.Fatalf("authorization_servers = %v", prm.AuthorizationServers)
	}
	var meta struct {
		Issuer                string `json:"issuer"`
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		RegistrationEndpoint  string `json:"registration_endpoint"`
	}
	getJSON(t, prm.AuthorizationServers[0]+"/.well-known/oauth-authorization-server", &meta)
	mustEqual(t, "issuer", meta.Issuer, prm.AuthorizationServers[0])

	// Dynamic client registration: a public client with a loopback redirect.
	const redirect = "http://127.0.0.1:9/callback"
	reg, _ := json.Marshal(map[string]any{"client_name": "test", "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}})
	resp, err := http.Post(meta.RegistrationEndpoint, "application/json", bytes.NewReader(reg))
	if err != nil {
		t.Fatal(err)
	}
	var client struct {
		ClientID string `json:"client_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&client)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || client.ClientID == "" {
		t.Fatalf("register: %d %v %+v", resp.StatusCode, err, client)
	}

	// Browser flow: /authorize → /login/dev → dev form → /auth/callback → consent.
	oc := &oauth2.Config{ClientID: client.ClientID, RedirectURL: redirect, Scopes: []string{"zscaler.read"},
		Endpoint: oauth2.Endpoint{AuthURL: meta.AuthorizationEndpoint, TokenURL: meta.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	b := newBrowser(t)
	atClient := func(u *url.URL) bool { return strings.HasPrefix(u.String(), redirect) }
	resp, body, at := b.Follow(oc.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier)), atClient)
	if resp.StatusCode != http.StatusOK || !strings.Contains(at.Path, "/auth/dev/") {
		t.Fatalf("expected the dev form, got %d at %s: %.400s", resp.StatusCode, at, body)
	}
	form := hiddenInputs(body)
	form.Set("username", username)
	form.Set("action", "signin")
	resp, body = b.Post(at.String(), form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dev form POST: %d %.400s", resp.StatusCode, body)
	}
	next, _ := at.Parse(resp.Header.Get("Location"))
	resp, body, at = b.Follow(next.String(), atClient)
	if resp.StatusCode != http.StatusOK || at.Path != "/consent" {
		t.Fatalf("expected the consent page, got %d at %s: %.400s", resp.StatusCode, at, body)
	}
	form = hiddenInputs(body)
	if form.Get("csrf_token") == "" {
		t.Fatalf("consent page without csrf_token: %.400s", body)
	}
	form.Set("decision", "approve")
	resp, body = b.Post(at.String(), form)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || !atClient(loc) {
		t.Fatalf("consent POST: %d to %s: %.400s", resp.StatusCode, loc, body)
	}
	q := loc.Query()
	if q.Get("state") != "st-1" || q.Get("iss") != meta.Issuer || q.Get("code") == "" {
		t.Fatalf("authorization response %s", loc)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}

	return oc, tok, client.ClientID
}

// TestOIDCProxyRestart: signing keys, clients and grants live in the data
// dir, so an access token and a refresh token survive a restart on the same
// public URL.
func TestOIDCProxyRestart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	dataDir, cfgFile := t.TempDir(), devIdPConfig(t)
	env := map[string]string{"ZSCALER_MCP_DATA_DIR": dataDir}
	args := []string{"--transport", "streamable-http", "--config", cfgFile, "--port", port}
	srv := start(t, env, args...)
	oc, tok, _ := oidcLogin(t, srv.URL, "bob")
	if code := srv.Stop(t); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, srv.Stderr)
	}

	srv = start(t, env, args...)
	c, err := connect(t, srv.URL, "streamable-http", map[string]string{"Authorization": "Bearer " + tok.AccessToken})
	if err != nil {
		t.Fatalf("initialize with a token from before the restart: %v\n%s", err, srv.Stderr)
	}
	mustEqual(t, "subject", whoami(t, c).Subject, "dev|bob")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Fatalf("refresh after the restart: %v", err)
	}
}

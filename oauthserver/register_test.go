package oauthserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
)

// unlimited disables the registration rate limit for tests that register
// many clients.
func unlimited(c *Config) { c.RegistrationRate = rate.Inf }

// do sends a request with an optional JSON body and bearer token and
// returns the status, the decoded JSON body (nil when empty) and the
// headers.
func (e *env) do(method, path, body, bearer string) (int, map[string]any, http.Header) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			e.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, m, resp.Header
}

// register registers a client and fails the test unless it gets 201.
func (e *env) register(body string) map[string]any {
	e.t.Helper()
	status, m, h := e.do(http.MethodPost, "/register", body, "")
	if status != http.StatusCreated {
		e.t.Fatalf("register: %d %v", status, m)
	}
	if h.Get("Cache-Control") != "no-store" {
		e.t.Errorf("register Cache-Control = %q, want no-store", h.Get("Cache-Control"))
	}
	return m
}

// codeFlow runs authorize → token → refresh for a registered client with a
// real golang.org/x/oauth2 client.
func (e *env) codeFlow(conf *oauth2.Config) {
	e.t.Helper()
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	loc := e.redirectOf(e.get(conf.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier))))
	code := loc.Query().Get("code")
	if code == "" {
		e.t.Fatalf("authorize: no code in %s", loc)
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatalf("exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		e.t.Fatalf("token response lacks a token: %+v", tok)
	}
	e.verifyAccessToken(tok.AccessToken, conf.ClientID, e.resource, ScopeRead+" "+ScopeWrite)
	tok.Expiry = time.Now().Add(-time.Hour)
	next, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		e.t.Fatalf("refresh: %v", err)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		e.t.Errorf("refresh did not rotate the refresh token")
	}
}

// TestRegisterFlow registers a public and a confidential client (RFC 7591
// §3.1) and runs the whole code flow with each; the confidential one
// omitted token_endpoint_auth_method, gets client_secret_basic (RFC 7591
// §2) and authenticates with Basic.
func TestRegisterFlow(t *testing.T) {
	e := newEnv(t, nil)
	scopes := []string{ScopeRead, ScopeWrite}

	t.Run("public", func(t *testing.T) {
		e.t = t
		m := e.register(`{"redirect_uris":["http://localhost/callback"],"token_endpoint_auth_method":"none",
			"client_name":"Public MCP client","scope":"openid zscaler.read zscaler.write offline_access","x-unknown":1}`)
		if m["client_secret"] != nil || m["client_secret_expires_at"] != nil {
			t.Errorf("public client got a secret: %v", m)
		}
		for k, want := range map[string]any{"token_endpoint_auth_method": "none", "client_name": "Public MCP client",
			"scope": "zscaler.read zscaler.write", "registration_client_uri": e.public + "/register/" + str(m, "client_id")} {
			if m[k] != want {
				t.Errorf("%s = %v, want %v", k, m[k], want)
			}
		}
		if str(m, "registration_access_token") == "" || m["client_id_issued_at"] == nil || m["x-unknown"] != nil {
			t.Errorf("response %v: want registration_access_token, client_id_issued_at and no unknown field", m)
		}
		if fmt.Sprint(m["grant_types"]) != "[authorization_code refresh_token]" || fmt.Sprint(m["response_types"]) != "[code]" {
			t.Errorf("grant_types %v response_types %v", m["grant_types"], m["response_types"])
		}
		e.codeFlow(&oauth2.Config{
			ClientID:    str(m, "client_id"),
			Endpoint:    oauth2.Endpoint{AuthURL: e.base + "/authorize", TokenURL: e.base + "/token", AuthStyle: oauth2.AuthStyleInParams},
			RedirectURL: "http://localhost:49152/callback", // RFC 8252 §7.3: any port
			Scopes:      scopes,
		})
	})

	t.Run("confidential default auth method", func(t *testing.T) {
		e.t = t
		m := e.register(`{"redirect_uris":["https://app.example.com/cb"],"grant_types":["authorization_code"]}`)
		if m["token_endpoint_auth_method"] != "client_secret_basic" {
			t.Errorf("token_endpoint_auth_method = %v, want client_secret_basic (RFC 7591 §2)", m["token_endpoint_auth_method"])
		}
		if len(str(m, "client_secret")) < 32 || m["client_secret_expires_at"] != float64(0) {
			t.Errorf("client_secret %q expires_at %v, want a high-entropy secret and 0", str(m, "client_secret"), m["client_secret_expires_at"])
		}
		conf := &oauth2.Config{
			ClientID:     str(m, "client_id"),
			ClientSecret: str(m, "client_secret"),
			Endpoint:     oauth2.Endpoint{AuthURL: e.base + "/authorize", TokenURL: e.base + "/token", AuthStyle: oauth2.AuthStyleInHeader},
			RedirectURL:  "https://app.example.com/cb",
			Scopes:       scopes,
		}
		e.codeFlow(conf)
		// Without its secret, the client is refused (RFC 6749 §5.2).
		status, body, _ := e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {conf.ClientID}}, "", "")
		if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("token without secret: %d %v, want 401 invalid_client", status, body)
		}
		stored, err := e.st.LookupClient(context.Background(), conf.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		if string(stored.Origin) != "dcr" || len(stored.SecretHash) != 32 || len(stored.Audience) == 0 {
			t.Errorf("stored client origin %q, secret hash %d bytes, audience %v", stored.Origin, len(stored.SecretHash), stored.Audience)
		}
	})
}

// TestRegisterSecretPost runs the code flow with a client registered for
// client_secret_post (RFC 7591 §2), authenticating with form parameters.
func TestRegisterSecretPost(t *testing.T) {
	e := newEnv(t, nil)
	m := e.register(`{"redirect_uris":["https://post.example.com/cb"],"token_endpoint_auth_method":"client_secret_post","scope":"zscaler.read zscaler.write"}`)
	if m["token_endpoint_auth_method"] != "client_secret_post" || str(m, "client_secret") == "" {
		t.Fatalf("registration: %v", m)
	}
	e.codeFlow(&oauth2.Config{
		ClientID:     str(m, "client_id"),
		ClientSecret: str(m, "client_secret"),
		Endpoint:     oauth2.Endpoint{AuthURL: e.base + "/authorize", TokenURL: e.base + "/token", AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL:  "https://post.example.com/cb",
		Scopes:       []string{ScopeRead, ScopeWrite},
	})
}

// TestRegisterAccepts covers redirect URIs real MCP clients register.
func TestRegisterAccepts(t *testing.T) {
	e := newEnv(t, unlimited)
	for _, uri := range []string{
		"cursor://anysphere.cursor-mcp/oauth/callback",
		"claude://claude.ai/mcp-auth-callback/sdk",
		"http://127.0.0.1:33418/",
		"http://[::1]/cb",
		"https://claude.ai/api/mcp/auth_callback",
	} {
		e.register(`{"redirect_uris":["` + uri + `"],"token_endpoint_auth_method":"none"}`)
	}
}

// TestRegisterAbuse checks that bad registrations are refused with the
// RFC 7591 §3.2.2 error (and 413 for an oversized body).
func TestRegisterAbuse(t *testing.T) {
	e := newEnv(t, unlimited)
	reg := func(uris ...string) string {
		b, _ := json.Marshal(map[string]any{"redirect_uris": uris, "token_endpoint_auth_method": "none"})
		return string(b)
	}
	many := make([]string, 11)
	for i := range many {
		many[i] = fmt.Sprintf("https://app.example.com/cb%d", i)
	}
	tests := []struct {
		name, rfc, body string
		status          int
		code            string
	}{
		{"javascript redirect", "RFC 9700 §4.1, RFC 7591 §2", reg("javascript:alert(1)"), 400, "invalid_redirect_uri"},
		{"data redirect", "RFC 9700 §4.1, RFC 7591 §2", reg("data:text/html,<script>x</script>"), 400, "invalid_redirect_uri"},
		{"file redirect", "RFC 9700 §4.1, RFC 7591 §2", reg("file:///etc/passwd"), 400, "invalid_redirect_uri"},
		{"vbscript redirect", "RFC 9700 §4.1, RFC 7591 §2", reg("vbscript:msgbox"), 400, "invalid_redirect_uri"},
		{"fragment", "RFC 6749 §3.1.2", reg("https://app.example.com/cb#frag"), 400, "invalid_redirect_uri"},
		{"userinfo", "RFC 9700 §4.1", reg("https://user:pw@app.example.com/cb"), 400, "invalid_redirect_uri"},
		{"relative URI", "RFC 6749 §3.1.2", reg("/cb"), 400, "invalid_redirect_uri"},
		{"http non-loopback", "RFC 8252 §7.3, OAuth 2.1 §2.3", reg("http://app.example.com/cb"), 400, "invalid_redirect_uri"},
		{"no redirect URIs", "RFC 7591 §2", `{"token_endpoint_auth_method":"none"}`, 400, "invalid_redirect_uri"},
		{"11 redirect URIs", "RFC 7591 §3.2.2 (server limit)", reg(many...), 400, "invalid_redirect_uri"},
		{"over-long redirect URI", "RFC 7591 §3.2.2 (server limit)", reg("https://app.example.com/" + strings.Repeat("a", 2000)), 400, "invalid_redirect_uri"},
		{"oversized body", "RFC 9110 §15.5.14", `{"client_name":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "invalid_client_metadata"},
		{"over-long client_name", "RFC 7591 §3.2.2 (server limit)", `{"redirect_uris":["https://a.example/cb"],"client_name":"` + strings.Repeat("n", 201) + `"}`, 400, "invalid_client_metadata"},
		{"control character in client_name", "RFC 7591 §2 (server policy)", `{"redirect_uris":["https://a.example/cb"],"client_name":"a\u202eb"}`, 400, "invalid_client_metadata"},
		{"unknown grant type", "RFC 7591 §2, §3.2.2", `{"redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code","password"]}`, 400, "invalid_client_metadata"},
		{"implicit grant", "RFC 7591 §2, OAuth 2.1 §10.1", `{"redirect_uris":["https://a.example/cb"],"grant_types":["implicit"]}`, 400, "invalid_client_metadata"},
		{"unknown auth method", "RFC 7591 §2, §3.2.2", `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, 400, "invalid_client_metadata"},
		{"response_type token", "RFC 7591 §2, OAuth 2.1 §10.1", `{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}`, 400, "invalid_client_metadata"},
		{"unknown scope", "RFC 7591 §2, §3.2.2", `{"redirect_uris":["https://a.example/cb"],"scope":"admin"}`, 400, "invalid_client_metadata"},
		{"javascript client_uri", "RFC 7591 §2", `{"redirect_uris":["https://a.example/cb"],"client_uri":"javascript:alert(1)"}`, 400, "invalid_client_metadata"},
		{"invalid JSON", "RFC 7591 §3.2.2", `{"redirect_uris":`, 400, "invalid_client_metadata"},
		{"wrong JSON type", "RFC 7591 §3.2.2", `{"redirect_uris":"https://a.example/cb"}`, 400, "invalid_client_metadata"},
		{"JSON array", "RFC 7591 §3.1", `[]`, 400, "invalid_client_metadata"},
	}
	before, err := e.st.ListClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			status, body, h := e.do(http.MethodPost, "/register", tt.body, "")
			if status != tt.status || body["error"] != tt.code {
				t.Errorf("%s: %d %v, want %d %s", tt.rfc, status, body, tt.status, tt.code)
			}
			if h.Get("Cache-Control") != "no-store" || h.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("%s: Cache-Control %q, CORS %q", tt.rfc, h.Get("Cache-Control"), h.Get("Access-Control-Allow-Origin"))
			}
		})
	}
	e.t = t
	after, err := e.st.ListClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("refused registrations stored %d clients", len(after)-len(before))
	}
}

// TestRegistrationManagement covers RFC 7592 read, update and delete with
// the right and wrong registration access token.
func TestRegistrationManagement(t *testing.T) {
	e := newEnv(t, nil)
	m := e.register(`{"redirect_uris":["https://app.example.com/cb"],"client_name":"Before"}`)
	id, rat, secret := str(m, "client_id"), str(m, "registration_access_token"), str(m, "client_secret")
	path := "/register/" + id
	other := e.register(`{"redirect_uris":["https://other.example.com/cb"],"token_endpoint_auth_method":"none"}`)

	denied := []struct{ name, method, path, token, rfc string }{
		{"read without token", http.MethodGet, path, "", "RFC 7592 §3"},
		{"read with wrong token", http.MethodGet, path, "wrong", "RFC 7592 §3"},
		{"read with another client's token", http.MethodGet, path, str(other, "registration_access_token"), "RFC 7592 §3"},
		{"read unknown client", http.MethodGet, "/register/nope", rat, "RFC 7592 §3 (existence not revealed)"},
		{"update with wrong token", http.MethodPut, path, "wrong", "RFC 7592 §2.2"},
		{"delete with wrong token", http.MethodDelete, path, "wrong", "RFC 7592 §2.3"},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			body := ""
			if tt.method == http.MethodPut {
				body = `{"client_id":"` + id + `","redirect_uris":["https://evil.example/cb"]}`
			}
			status, resp, h := e.do(tt.method, tt.path, body, tt.token)
			if status != http.StatusUnauthorized || resp["error"] != "invalid_token" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: %d %v (WWW-Authenticate %q), want 401 invalid_token", tt.rfc, status, resp, h.Get("WWW-Authenticate"))
			}
		})
	}
	e.t = t

	status, got, _ := e.do(http.MethodGet, path, "", rat)
	if status != http.StatusOK || got["client_id"] != id || got["client_name"] != "Before" ||
		got["token_endpoint_auth_method"] != "client_secret_basic" || got["client_secret"] != nil ||
		got["registration_access_token"] != rat || got["registration_client_uri"] != e.public+path {
		t.Errorf("read: %d %v", status, got)
	}

	updates := []struct {
		name, body string
		status     int
		code       string
	}{
		{"client_id mismatch (RFC 7592 §2.2)", `{"client_id":"x","redirect_uris":["https://app.example.com/cb"]}`, 400, "invalid_client_metadata"},
		{"wrong client_secret (RFC 7592 §2.2)", `{"client_id":"` + id + `","client_secret":"nope","redirect_uris":["https://app.example.com/cb"]}`, 400, "invalid_client_metadata"},
		{"invalid redirect (RFC 7591 §3.2.2)", `{"client_id":"` + id + `","redirect_uris":["javascript:alert(1)"]}`, 400, "invalid_redirect_uri"},
		{"valid replacement (RFC 7592 §2.2)", `{"client_id":"` + id + `","client_secret":"` + secret + `","redirect_uris":["https://app.example.com/new"],"client_name":"After"}`, 200, ""},
	}
	var lastPut map[string]any
	for _, tt := range updates {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			status, resp, _ := e.do(http.MethodPut, path, tt.body, rat)
			lastPut = resp
			if status != tt.status || (tt.code != "" && resp["error"] != tt.code) {
				t.Errorf("%d %v, want %d %s", status, resp, tt.status, tt.code)
			}
		})
	}
	e.t = t
	if lastPut["client_secret"] != secret || lastPut["registration_access_token"] != rat || lastPut["client_name"] != "After" {
		t.Errorf("update response %v: want the secret, the registration token and the new metadata echoed", lastPut)
	}
	c, err := e.st.LookupClient(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "After" || fmt.Sprint(c.RedirectURIs) != "[https://app.example.com/new]" {
		t.Errorf("after update: name %q redirects %v", c.Name, c.RedirectURIs)
	}
	// The secret is kept: the client still authenticates with it.
	if status, body, _ := e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, id, secret); body["error"] == "invalid_client" {
		t.Errorf("secret after update: %d %v, want the client authenticated", status, body)
	}

	if status, _, _ := e.do(http.MethodDelete, path, "", rat); status != http.StatusNoContent {
		t.Fatalf("delete: %d, want 204 (RFC 7592 §2.3)", status)
	}
	if status, _, _ := e.do(http.MethodGet, path, "", rat); status != http.StatusUnauthorized {
		t.Errorf("read after delete: %d, want 401", status)
	}
	if status, body, _ := e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, id, secret); status != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("deleted client at /token: %d %v, want 401 invalid_client", status, body)
	}
}

// TestRegistrationUpdateAuthMethod checks RFC 7592 §2.2 updates that
// change token_endpoint_auth_method: confidential → public drops the
// secret, public → confidential issues a new one (returned once).
func TestRegistrationUpdateAuthMethod(t *testing.T) {
	e := newEnv(t, nil)
	m := e.register(`{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"client_secret_post"}`)
	id, rat, secret := str(m, "client_id"), str(m, "registration_access_token"), str(m, "client_secret")
	path := "/register/" + id
	put := func(method string) map[string]any {
		t.Helper()
		status, resp, _ := e.do(http.MethodPut, path, `{"client_id":"`+id+`","redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"`+method+`"}`, rat)
		if status != http.StatusOK || resp["token_endpoint_auth_method"] != method {
			t.Fatalf("update to %s: %d %v", method, status, resp)
		}
		return resp
	}
	if resp := put("none"); resp["client_secret"] != nil || resp["client_secret_expires_at"] != nil {
		t.Errorf("public after update: %v", resp)
	}
	if c, _ := e.st.LookupClient(context.Background(), id); c == nil || !c.IsPublic() || c.SecretHash != nil {
		t.Errorf("stored client after update to none: %+v", c)
	}
	resp := put("client_secret_basic")
	newSecret := str(resp, "client_secret")
	if newSecret == "" || newSecret == secret || resp["client_secret_expires_at"] != float64(0) {
		t.Errorf("confidential again: client_secret %q expires %v, want a new secret", newSecret, resp["client_secret_expires_at"])
	}
	if _, body, _ := e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, id, newSecret); body["error"] == "invalid_client" {
		t.Errorf("new secret refused: %v", body)
	}
	if _, body, _ := e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, id, secret); body["error"] != "invalid_client" {
		t.Errorf("old secret after it was dropped: %v, want invalid_client", body)
	}
}

// TestRegistrationRateLimit checks the per-IP limit: 429 with Retry-After
// after the burst (RFC 6585 §4).
func TestRegistrationRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RegistrationRate = rate.Every(time.Hour); c.RegistrationBurst = 3 })
	body := `{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"none"}`
	for range 3 {
		e.register(body)
	}
	status, resp, h := e.do(http.MethodPost, "/register", body, "")
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || h.Get("Retry-After") == "0" {
		t.Fatalf("4th registration: %d %v Retry-After %q, want 429 with Retry-After", status, resp, h.Get("Retry-After"))
	}
	// The budget refills with time.
	e.clock.Advance(time.Hour)
	e.register(body)
}

// TestIPLimiter checks that buckets are per IP.
func TestIPLimiter(t *testing.T) {
	clock := &fakeClock{}
	l, err := newIPLimiter(rate.Every(time.Minute), 2, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip   string
		want bool
	}{
		{"192.0.2.1", true}, {"192.0.2.1", true}, {"192.0.2.1", false},
		{"192.0.2.2", true}, {"192.0.2.2", true}, {"192.0.2.2", false},
	}
	for i, tt := range tests {
		ok, wait := l.allow(tt.ip)
		if ok != tt.want || (!ok && (wait <= 0 || wait > time.Minute)) {
			t.Errorf("row %d (%s): allow = %v, wait %v; want %v", i, tt.ip, ok, wait, tt.want)
		}
	}
	clock.Advance(time.Minute)
	if ok, _ := l.allow("192.0.2.1"); !ok {
		t.Errorf("no token after a minute")
	}
}

// TestGCClients checks that a registered client unused for ClientTTL is
// deleted (its later use gets invalid_client, RFC 6749 §5.2) while a
// client holding a live grant is kept.
func TestGCClients(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ClientTTL = time.Hour })
	stale := e.register(`{"redirect_uris":["https://stale.example.com/cb"]}`)
	live := e.register(`{"redirect_uris":["https://live.example.com/cb"]}`)
	e.codeFlow(&oauth2.Config{
		ClientID:     str(live, "client_id"),
		ClientSecret: str(live, "client_secret"),
		Endpoint:     oauth2.Endpoint{AuthURL: e.base + "/authorize", TokenURL: e.base + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL:  "https://live.example.com/cb",
		Scopes:       []string{ScopeRead, ScopeWrite},
	})

	if ids, err := e.srv.GCClients(context.Background()); err != nil || len(ids) != 0 {
		t.Fatalf("GCClients before the TTL = %v, %v; want nothing deleted", ids, err)
	}
	e.clock.Advance(2 * time.Hour)
	ids, err := e.srv.GCClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := str(stale, "client_id")
	if !slices.Contains(ids, want) || slices.Contains(ids, str(live, "client_id")) {
		t.Errorf("GCClients = %v, want %s deleted and %s (live grant) kept", ids, want, str(live, "client_id"))
	}
	status, body, _ := e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, want, str(stale, "client_secret"))
	if status != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("stale client at /token: %d %v, want 401 invalid_client", status, body)
	}
}

// TestRegisterCORS checks the preflight of the management endpoint.
func TestRegisterCORS(t *testing.T) {
	e := newEnv(t, nil)
	status, _, h := e.do(http.MethodOptions, "/register/abc", "", "")
	if status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "DELETE") || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight: %d %v", status, h)
	}
}

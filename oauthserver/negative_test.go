package oauthserver

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// authzQuery is a valid authorization request of the confidential client.
func (e *env) authzQuery() (url.Values, string) {
	verifier := oauth2.GenerateVerifier()
	u, _ := url.Parse(e.oauthConfig(e.conf).AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))
	return u.Query(), verifier
}

// TestAuthorizeErrorsRedirect: errors after the client and redirect URI
// are validated go to the redirect URI with error, state and iss.
func TestAuthorizeErrorsRedirect(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		rfc     string
		name    string
		mod     func(q url.Values)
		wantErr string
	}{
		{"RFC 7636 §4.4.1, OAuth 2.1 §4.1.1", "missing PKCE", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request"},
		{"RFC 7636 §4.2, OAuth 2.1 §4.1.1", "plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"RFC 7636 §4.3", "PKCE method missing (defaults to plain)", func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"OAuth 2.1 §4.1.1, RFC 9700 §2.1.2", "response_type=token", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		{"OAuth 2.1 §4.1.1", "response_type=code id_token", func(q url.Values) { q.Set("response_type", "code id_token") }, "unsupported_response_type"},
		{"RFC 9207 §2 (query only)", "response_mode=fragment", func(q url.Values) { q.Set("response_mode", "fragment") }, "unsupported_response_mode"},
		{"RFC 8707 §2", "resource not ours", func(q url.Values) { q.Set("resource", "https://evil.example.com/mcp") }, "invalid_target"},
		{"RFC 8707 §2", "resource with a trailing slash", func(q url.Values) { q.Set("resource", e.resource+"/") }, "invalid_target"},
		{"RFC 8707 §2", "resource with a query", func(q url.Values) { q.Set("resource", e.resource+"?x=1") }, "invalid_target"},
		{"RFC 8707 §2", "resource with a fragment", func(q url.Values) { q.Set("resource", e.resource+"#x") }, "invalid_target"},
		{"RFC 8707 §2", "resource on another port", func(q url.Values) { q.Set("resource", "http://localhost:1/mcp") }, "invalid_target"},
		{"RFC 8707 §2", "relative resource", func(q url.Values) { q.Set("resource", "/mcp") }, "invalid_target"},
		{"RFC 6749 §3.3", "unknown scope", func(q url.Values) { q.Set("scope", "zscaler.read admin") }, "invalid_scope"},
		{"RFC 6749 §3.1", "duplicate parameter", func(q url.Values) { q.Add("scope", ScopeRead) }, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			q, _ := e.authzQuery()
			tt.mod(q)
			resp := e.get(e.base + "/authorize?" + q.Encode())
			loc := e.redirectOf(resp)
			got := loc.Query()
			if loc.Scheme+"://"+loc.Host+loc.Path != confRedirect {
				t.Errorf("%s: redirected to %s, want %s", tt.rfc, loc, confRedirect)
			}
			if got.Get("error") != tt.wantErr || got.Get("iss") != e.public || got.Get("state") != "state-0123456789" || got.Get("code") != "" {
				t.Errorf("%s: redirect query %v, want error=%s with state and iss=%s (RFC 9207 §2)", tt.rfc, got, tt.wantErr, e.public)
			}
			if loc.Fragment != "" {
				t.Errorf("%s: fragment %q in an error redirect", tt.rfc, loc.Fragment)
			}
		})
	}
}

// TestAuthorizeNeverRedirects: an unknown client or an unregistered
// redirect URI gets an error page, never a redirect (RFC 6749 §4.1.2.1,
// RFC 9700 §4.1.3).
func TestAuthorizeNeverRedirects(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct{ name, clientID, redirect string }{
		{"unknown client", "no-such-client", confRedirect},
		{"missing client_id", "", confRedirect},
		{"redirect: other host", e.conf.ID, "https://evil.example.com/cb"},
		{"redirect: case", e.conf.ID, "https://client.example.com/CB"},
		{"redirect: host case", e.conf.ID, "https://CLIENT.example.com/cb"},
		{"redirect: trailing slash", e.conf.ID, confRedirect + "/"},
		{"redirect: port", e.conf.ID, "https://client.example.com:8443/cb"},
		{"redirect: query", e.conf.ID, confRedirect + "?x=1"},
		{"redirect: fragment", e.conf.ID, confRedirect + "#x"},
		{"redirect: dot segments", e.conf.ID, "https://client.example.com/x/../cb"},
		{"redirect: userinfo", e.conf.ID, "https://evil@client.example.com/cb"},
		{"redirect: suffix domain", e.conf.ID, "https://client.example.com.evil.net/cb"},
		{"redirect: http downgrade", e.conf.ID, "http://client.example.com/cb"},
		{"redirect: javascript", e.conf.ID, "javascript:alert(1)"},
		{"public client: other loopback host", e.pub.ID, "http://127.0.0.1:53123/cb"},
		{"public client: other path", e.pub.ID, "http://localhost:53123/cb2"},
		{"public client: https", e.pub.ID, "https://localhost:53123/cb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			q, _ := e.authzQuery()
			q.Set("client_id", tt.clientID)
			q.Set("redirect_uri", tt.redirect)
			for _, accept := range []string{"text/html", "application/json"} {
				req, _ := http.NewRequest(http.MethodGet, e.base+"/authorize?"+q.Encode(), nil)
				req.Header.Set("Accept", accept)
				resp, err := e.noRedir.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode < 400 || resp.Header.Get("Location") != "" {
					t.Errorf("Accept %s: status %d Location %q, want an error page and no redirect", accept, resp.StatusCode, resp.Header.Get("Location"))
				}
				if !strings.Contains(resp.Header.Get("Content-Type"), strings.Split(accept, "/")[1]) {
					t.Errorf("Accept %s: Content-Type %q", accept, resp.Header.Get("Content-Type"))
				}
			}
		})
	}
}

// TestTokenErrors: the negative rows of the token endpoint.
func TestTokenErrors(t *testing.T) {
	e := newEnv(t, nil)
	other := e.newClient("other-client", "other-secret-0123456789abcdef0123", confRedirect)
	tests := []struct {
		rfc, name string
		run       func(t *testing.T) (int, map[string]any)
		status    int
		wantErr   string
	}{
		{"RFC 7636 §4.6", "wrong verifier", func(t *testing.T) (int, map[string]any) {
			code, _ := e.authorize(e.conf)
			return e.exchange(e.conf, code, oauth2.GenerateVerifier(), nil)
		}, 400, "invalid_grant"},
		{"RFC 7636 §4.5", "missing verifier", func(t *testing.T) (int, map[string]any) {
			code, _ := e.authorize(e.conf)
			return e.exchange(e.conf, code, "", nil)
		}, 400, "invalid_grant"},
		{"RFC 6749 §4.1.3", "cross-client code", func(t *testing.T) (int, map[string]any) {
			code, verifier := e.authorize(e.conf)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {confRedirect}}
			status, body, _ := e.post("/token", form, other.ID, "other-secret-0123456789abcdef0123")
			return status, body
		}, 400, "invalid_grant"},
		{"RFC 6749 §4.1.3", "redirect_uri differs from the authorization request", func(t *testing.T) (int, map[string]any) {
			code, verifier := e.authorize(e.conf)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {confRedirect + "x"}}
			status, body, _ := e.post("/token", form, e.conf.ID, e.confSec)
			return status, body
		}, 400, "invalid_grant"},
		{"RFC 6749 §4.1.3", "redirect_uri sent at /authorize but missing at /token", func(t *testing.T) (int, map[string]any) {
			code, verifier := e.authorize(e.conf)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}}
			status, body, _ := e.post("/token", form, e.conf.ID, e.confSec)
			return status, body
		}, 400, "invalid_grant"},
		{"OAuth 2.1 §1.3 (password grant removed), RFC 9700 §2.4", "grant_type=password", func(t *testing.T) (int, map[string]any) {
			status, body, _ := e.post("/token", url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}}, e.conf.ID, e.confSec)
			return status, body
		}, 400, "unsupported_grant_type"},
		{"RFC 6749 §5.2", "wrong client secret", func(t *testing.T) (int, map[string]any) {
			code, verifier := e.authorize(e.conf)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {confRedirect}}
			status, body, _ := e.post("/token", form, e.conf.ID, "wrong")
			return status, body
		}, 401, "invalid_client"},
		{"RFC 8707 §2", "resource not ours at /token", func(t *testing.T) (int, map[string]any) {
			code, verifier := e.authorize(e.conf)
			return e.exchange(e.conf, code, verifier, url.Values{"resource": {"https://evil.example.com/mcp"}})
		}, 400, "invalid_target"},
		{"RFC 8707 §2.2", "resource at /token not granted", func(t *testing.T) (int, map[string]any) {
			code, verifier := e.authorize(e.conf, oauth2.SetAuthURLParam("resource", e.resource))
			return e.exchange(e.conf, code, verifier, url.Values{"resource": {e.public + "/sse"}})
		}, 400, "invalid_target"},
		{"RFC 8707 §2.2", "resource at refresh not granted", func(t *testing.T) (int, map[string]any) {
			code, verifier := e.authorize(e.conf)
			_, body := e.exchange(e.conf, code, verifier, nil)
			return e.refresh(e.conf, str(body, "refresh_token"), url.Values{"resource": {e.public + "/sse"}})
		}, 400, "invalid_target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			status, body := tt.run(t)
			if status != tt.status || str(body, "error") != tt.wantErr {
				t.Errorf("%s: %d %v, want %d %s", tt.rfc, status, body, tt.status, tt.wantErr)
			}
		})
	}
}

// TestCodeReuseRevokes: a second redemption of a code fails and revokes
// what the first issued (RFC 6749 §4.1.2, RFC 9700 §4.5).
func TestCodeReuseRevokes(t *testing.T) {
	e := newEnv(t, nil)
	code, verifier := e.authorize(e.conf)
	status, first := e.exchange(e.conf, code, verifier, nil)
	if status != http.StatusOK {
		t.Fatalf("first exchange: %d %v", status, first)
	}
	status, body := e.exchange(e.conf, code, verifier, nil)
	if status != http.StatusBadRequest || str(body, "error") != "invalid_grant" {
		t.Fatalf("RFC 6749 §4.1.2: second exchange %d %v, want 400 invalid_grant", status, body)
	}
	if e.active(str(first, "access_token")) || e.active(str(first, "refresh_token")) {
		t.Error("RFC 6749 §4.1.2: tokens of the first redemption still active after code reuse")
	}
	if status, body := e.refresh(e.conf, str(first, "refresh_token"), nil); status != http.StatusBadRequest {
		t.Errorf("refresh with a revoked token: %d %v", status, body)
	}
}

// TestRefreshGraceWindow: a second refresh with the same token within the
// window gets the first response replayed (no second family); outside the
// window it is reuse and revokes the family (RFC 9700 §4.14.2).
func TestRefreshGraceWindow(t *testing.T) {
	e := newEnv(t, nil)
	start := func() map[string]any {
		code, verifier := e.authorize(e.conf)
		status, body := e.exchange(e.conf, code, verifier, nil)
		if status != http.StatusOK {
			t.Fatalf("exchange: %d %v", status, body)
		}
		return body
	}

	t.Run("within the window: same response replayed", func(t *testing.T) {
		e.t = t
		tok := start()
		s1, r1 := e.refresh(e.conf, str(tok, "refresh_token"), nil)
		e.clock.Advance(2 * time.Second)
		s2, r2 := e.refresh(e.conf, str(tok, "refresh_token"), nil)
		if s1 != 200 || s2 != 200 {
			t.Fatalf("refreshes: %d %v / %d %v", s1, r1, s2, r2)
		}
		if str(r1, "access_token") != str(r2, "access_token") || str(r1, "refresh_token") != str(r2, "refresh_token") {
			t.Error("second refresh within the window issued new tokens, want the first response replayed")
		}
		if !e.active(str(r1, "access_token")) {
			t.Error("replayed access token not active")
		}
		if s3, r3 := e.refresh(e.conf, str(r1, "refresh_token"), nil); s3 != 200 {
			t.Errorf("refresh with the replacement token: %d %v", s3, r3)
		}
	})

	t.Run("within the window, another client: no replay", func(t *testing.T) {
		e.t = t
		tok := start()
		if s, b := e.refresh(e.conf, str(tok, "refresh_token"), nil); s != 200 {
			t.Fatalf("refresh: %d %v", s, b)
		}
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(tok, "refresh_token")}, "client_id": {e.pub.ID}}
		if s, b, _ := e.post("/token", form, "", ""); s == 200 {
			t.Errorf("another client got the replay: %v", b)
		}
	})

	t.Run("concurrent refreshes within the window: one family", func(t *testing.T) {
		e.t = t
		tok := start()
		const n = 8
		var wg sync.WaitGroup
		results := make([]map[string]any, n)
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], results[i] = e.refresh(e.conf, str(tok, "refresh_token"), nil)
			}()
		}
		wg.Wait()
		for i := range n {
			if statuses[i] != 200 || str(results[i], "refresh_token") != str(results[0], "refresh_token") {
				t.Errorf("refresh %d: %d %v, want the same 200 response as the first", i, statuses[i], results[i])
			}
		}
		if !e.active(str(results[0], "access_token")) {
			t.Error("access token of the single family not active")
		}
	})

	t.Run("outside the window: reuse revokes the family", func(t *testing.T) {
		e.t = t
		tok := start()
		s1, r1 := e.refresh(e.conf, str(tok, "refresh_token"), nil)
		if s1 != 200 {
			t.Fatalf("refresh: %d %v", s1, r1)
		}
		e.clock.Advance(6 * time.Second)
		s2, r2 := e.refresh(e.conf, str(tok, "refresh_token"), nil)
		if s2 != http.StatusBadRequest || str(r2, "error") != "invalid_grant" {
			t.Fatalf("RFC 9700 §4.14.2: reuse after the window: %d %v, want 400 invalid_grant", s2, r2)
		}
		if e.active(str(r1, "access_token")) || e.active(str(r1, "refresh_token")) {
			t.Error("RFC 9700 §4.14.2: the family's tokens are still active after reuse")
		}
	})
}

// TestConcurrentCodeExchange: N goroutines redeem one code: exactly one
// 200, the others 400 invalid_grant, never a 500 (RFC 6749 §4.1.2).
func TestConcurrentCodeExchange(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RefreshGraceWindow = -1 })
	for round := range 3 {
		code, verifier := e.authorize(e.conf)
		const n = 16
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			stats = make([]int, n)
			errs  = make([]string, n)
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var body map[string]any
				stats[i], body = e.exchange(e.conf, code, verifier, nil)
				errs[i] = str(body, "error")
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i := range n {
			switch {
			case stats[i] == 200:
				ok++
			case stats[i] != 400 || errs[i] != "invalid_grant":
				t.Errorf("round %d: loser %d got %d %s, want 400 invalid_grant", round, i, stats[i], errs[i])
			}
		}
		if ok != 1 {
			t.Errorf("round %d: %d exchanges succeeded, want exactly 1", round, ok)
		}
	}
}

// TestIntrospectionConfidentialOnly: RFC 7662 §2.1 — the endpoint needs
// client authentication; public clients are refused.
func TestIntrospectionConfidentialOnly(t *testing.T) {
	e := newEnv(t, nil)
	code, verifier := e.authorize(e.conf)
	_, tok := e.exchange(e.conf, code, verifier, nil)
	at := str(tok, "access_token")
	if s, b, _ := e.post("/introspect", url.Values{"token": {at}, "client_id": {e.pub.ID}}, "", ""); s != 401 || str(b, "error") != "invalid_client" {
		t.Errorf("public client: %d %v, want 401 invalid_client", s, b)
	}
	if s, b, h := e.post("/introspect", url.Values{"token": {at}}, "", ""); s != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("no credentials: %d %v %v, want 401 with a Basic challenge", s, b, h)
	}
	s, b, h := e.post("/introspect", url.Values{"token": {at}}, e.conf.ID, e.confSec)
	if s != 200 || b["active"] != true || b["sub"] != testUser || b["client_id"] != e.conf.ID || b["grant_id"] == nil {
		t.Errorf("confidential client: %d %v", s, b)
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("introspection Cache-Control = %q", h.Get("Cache-Control"))
	}

	// RFC 7009: revoking the refresh token revokes the grant.
	if s, b, _ := e.post("/revoke", url.Values{"token": {str(tok, "refresh_token")}}, e.conf.ID, e.confSec); s != 200 {
		t.Fatalf("revoke: %d %v", s, b)
	}
	if e.active(at) {
		t.Error("RFC 7009 §2.1: access token still active after its refresh token was revoked")
	}
	if s, _, _ := e.post("/revoke", url.Values{"token": {"nonsense"}}, e.conf.ID, e.confSec); s != 200 {
		t.Errorf("RFC 7009 §2.2: revoking an unknown token: %d, want 200", s)
	}
}

// TestTokenErrorHeaders: RFC 6749 §5.2 errors are JSON with no-store.
func TestTokenErrorHeaders(t *testing.T) {
	e := newEnv(t, nil)
	s, b, h := e.post("/token", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, e.conf.ID, e.confSec)
	if s != 400 || str(b, "error") == "" || h.Get("Cache-Control") != "no-store" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("error response %d %v headers %v", s, b, h)
	}
}

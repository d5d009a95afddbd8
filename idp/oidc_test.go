package idp

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

// TestOIDCLogin runs the whole upstream login against a real OpenID
// provider: LoginURL → the OP's authorize endpoint and login → our callback
// → HandleCallback, and checks what the OP received on the way.
func TestOIDCLogin(t *testing.T) {
	tests := []struct {
		name       string
		authStyle  string
		wantAuth   string // client authentication the token endpoint saw
		formLogin  bool   // sign in through the OP's login form instead of auto-login
		extra      map[string]string
		scopes     []string
		wantScopes []string
	}{
		{name: "auto-detected client auth", authStyle: "", wantAuth: "basic", wantScopes: []string{"openid", "email", "profile"}},
		{name: "client_secret_basic", authStyle: "basic", wantAuth: "basic", wantScopes: []string{"openid", "email", "profile"}},
		{name: "client_secret_post", authStyle: "post", wantAuth: "post", wantScopes: []string{"openid", "email", "profile"}},
		{name: "login form, extra params, own scopes", formLogin: true, wantAuth: "basic",
			extra: map[string]string{"audience": "https://mcp.example.com/mcp", "prompt": "login"}, scopes: []string{"email"}, wantScopes: []string{"openid", "email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := idptest.Options{AutoLogin: "alice"}
			if tt.formLogin {
				o.AutoLogin = ""
			}
			up := newUpstream(t, o)
			c := up.config()
			c.AuthStyle, c.ExtraAuthParams, c.Scopes = tt.authStyle, tt.extra, tt.scopes
			p := up.open(t, c, up.options())
			if p.ID() != "corp" || p.DisplayName() != "Sign in with Corp" {
				t.Errorf("ID, DisplayName = %q, %q", p.ID(), p.DisplayName())
			}

			req := newLoginRequest(t)
			b := newBrowser(up.op.Client())
			var cb *http.Request
			if tt.formLogin {
				u, err := p.LoginURL(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				resp, body := browse(t, b, u)
				if resp.Request.URL.Path != "/login" || !strings.Contains(body, `name="password"`) {
					t.Fatalf("expected the OP's login form, got %s: %.200s", resp.Request.URL, body)
				}
				postForm(t, b, up.op.Issuer+"/login", url.Values{
					"authRequestID": {resp.Request.URL.Query().Get("authRequestID")},
					"username":      {"alice"}, "password": {"alice-pw"}, "action": {"login"}})
				if cb = up.cb.takeCallback(); cb == nil {
					t.Fatal("the login form did not lead to the callback")
				}
			} else {
				cb = up.cb.login(t, b, p, req)
			}

			id, err := p.HandleCallback(context.Background(), cb, req.LoginState())
			if err != nil {
				t.Fatalf("HandleCallback: %v", err)
			}
			if id.ProviderID != "corp" || id.Subject != "u-alice" || id.UserID() != "corp|u-alice" ||
				id.Email != "alice@example.com" || id.EmailVerified == nil || !*id.EmailVerified {
				t.Errorf("identity = %+v", id)
			}
			if slices.Contains(tt.wantScopes, "profile") && id.Name != "Alice Example" {
				t.Errorf("name = %q", id.Name)
			}
			if !slices.Equal(id.Groups, []string{"ops", "dev"}) || id.Claims["department"] != "it" || id.Claims["iss"] != up.op.Issuer {
				t.Errorf("groups, claims = %v, %v", id.Groups, id.Claims)
			}

			// What the OP received: PKCE S256 with the challenge of our verifier, our nonce and state.
			ars := up.op.AuthRequests()
			if len(ars) != 1 {
				t.Fatalf("auth requests = %d", len(ars))
			}
			ar := ars[0]
			if ar.CodeChallengeMethod != "S256" || ar.CodeChallenge != oauth2.S256ChallengeFromVerifier(req.PKCEVerifier) {
				t.Errorf("PKCE at authorize = %q %q", ar.CodeChallengeMethod, ar.CodeChallenge)
			}
			if ar.Nonce != req.Nonce || ar.State != req.State || ar.ClientID != testClientID || ar.RedirectURI != up.cb.callbackURL {
				t.Errorf("auth request = %+v", ar)
			}
			if !slices.Equal(ar.Scopes, tt.wantScopes) {
				t.Errorf("scopes = %v, want %v", ar.Scopes, tt.wantScopes)
			}
			for k, v := range tt.extra {
				if got := ar.Query.Get(k); got != v {
					t.Errorf("extra param %s = %q, want %q", k, got, v)
				}
			}
			if ar.Query.Has("code_verifier") || ar.Query.Has("client_secret") {
				t.Errorf("secret material in the authorize URL: %v", ar.Query)
			}
			trs := up.op.TokenRequests()
			if len(trs) == 0 {
				t.Fatal("no token request")
			}
			tr := trs[len(trs)-1]
			if tr.Status != http.StatusOK || tr.GrantType != "authorization_code" || tr.CodeVerifier != req.PKCEVerifier || tr.RedirectURI != up.cb.callbackURL {
				t.Errorf("token request = %+v", tr)
			}
			if tr.ClientAuth != tt.wantAuth {
				t.Errorf("client auth = %q, want %q", tr.ClientAuth, tt.wantAuth)
			}
		})
	}
}

// TestOIDCCallbackRefusals lists what HandleCallback must refuse, each
// against the real OP.
func TestOIDCCallbackRefusals(t *testing.T) {
	type env struct {
		up  upstream
		p   Provider
		req LoginRequest
		b   *http.Client
	}
	// tokenFor runs a login for another registered client and returns the
	// ID token the OP issued to it, with the given nonce.
	tokenFor := func(t *testing.T, e env, clientID, nonce string) string {
		c := e.up.config()
		c.ClientID, c.ClientSecret = clientID, "other-secret"
		other := e.up.open(t, c, e.up.options())
		req := newLoginRequest(t)
		req.Nonce = nonce
		cb := e.up.cb.login(t, e.b, other, req)
		if _, err := other.HandleCallback(context.Background(), cb, req.LoginState()); err != nil {
			t.Fatalf("login of %s: %v", clientID, err)
		}
		trs := e.up.op.TokenRequests()
		return trs[len(trs)-1].IDToken
	}

	tests := []struct {
		name string
		// section names the rule the row checks.
		section  string
		clients  []idptest.Client
		config   func(*Config)
		opts     func(*Options)
		before   func(t *testing.T, e env) // before the login
		tamper   func(t *testing.T, e env, cb *http.Request, st *LoginState)
		wantKind error  // errors.Is target, or nil when wantType is set
		wantType string // "callback" or "policy"
		wantText string
	}{
		{
			name: "wrong nonce", section: "OIDC Core §3.1.3.7 (11)",
			tamper:   func(_ *testing.T, _ env, _ *http.Request, st *LoginState) { st.Nonce = "another-login" },
			wantKind: ErrInvalidIDToken, wantText: "nonce",
		},
		{
			name: "wrong PKCE verifier (the OP checks it)", section: "RFC 7636 §4.6",
			tamper: func(_ *testing.T, _ env, _ *http.Request, st *LoginState) {
				st.PKCEVerifier = oauth2.GenerateVerifier()
			},
			wantKind: ErrExchange, wantText: "invalid_grant",
		},
		{
			name: "expired code (the OP refuses it)", section: "RFC 6749 §4.1.2",
			tamper:   func(_ *testing.T, e env, _ *http.Request, _ *LoginState) { e.up.op.Advance(2 * time.Minute) },
			wantKind: ErrExchange, wantText: "invalid_grant",
		},
		{
			name: "code used twice", section: "RFC 6749 §4.1.2",
			tamper: func(t *testing.T, e env, cb *http.Request, st *LoginState) {
				if _, err := e.p.HandleCallback(context.Background(), cb, *st); err != nil {
					t.Fatalf("first use: %v", err)
				}
			},
			wantKind: ErrExchange, wantText: "invalid_grant",
		},
		{
			name: "upstream error=access_denied", section: "RFC 6749 §4.1.2.1",
			before:   func(_ *testing.T, e env) { e.up.op.SetDeny("access_denied", "The user said no.") },
			wantType: "callback", wantText: "access_denied: The user said no.",
		},
		{
			name: "callback state differs from the stored login", section: "RFC 6749 §10.12",
			tamper:   func(_ *testing.T, _ env, _ *http.Request, st *LoginState) { st.State = "other-state" },
			wantKind: ErrInvalidCallback, wantText: "state",
		},
		{
			name: "no code", section: "RFC 6749 §4.1.2",
			tamper: func(_ *testing.T, _ env, cb *http.Request, _ *LoginState) {
				q := cb.URL.Query()
				q.Del("code")
				cb.URL.RawQuery = q.Encode()
			},
			wantKind: ErrInvalidCallback, wantText: "no code",
		},
		{
			name: "callback names another issuer", section: "RFC 9207 §2.4",
			tamper: func(_ *testing.T, _ env, cb *http.Request, _ *LoginState) {
				cb.URL.RawQuery += "&iss=" + url.QueryEscape("https://attacker.example")
			},
			wantKind: ErrInvalidCallback, wantText: "issuer",
		},
		{
			// Token substitution: the token endpoint's answer carries an ID
			// token the same OP issued to another client.
			name: "ID token issued to another client (aud)", section: "OIDC Core §3.1.3.7 (3)",
			clients: []idptest.Client{{ID: "other-app", Secret: "other-secret"}},
			before: func(t *testing.T, e env) {
				foreign := tokenFor(t, e, "other-app", "shared-nonce")
				e.up.op.SetTokenResponseShim(func(body map[string]any) { body["id_token"] = foreign })
			},
			tamper:   func(_ *testing.T, _ env, _ *http.Request, st *LoginState) { st.Nonce = "shared-nonce" },
			wantKind: ErrInvalidIDToken, wantText: "audience",
		},
		{
			// The foreign token lists our client in aud too, but azp names the other one.
			name: "azp names another client", section: "OIDC Core §3.1.3.7 (4, 5)",
			clients: []idptest.Client{{ID: "other-app", Secret: "other-secret", ExtraAudience: []string{testClientID}}},
			before: func(t *testing.T, e env) {
				foreign := tokenFor(t, e, "other-app", "shared-nonce")
				e.up.op.SetTokenResponseShim(func(body map[string]any) { body["id_token"] = foreign })
			},
			tamper:   func(_ *testing.T, _ env, _ *http.Request, st *LoginState) { st.Nonce = "shared-nonce" },
			wantKind: ErrInvalidIDToken, wantText: "azp",
		},
		{
			name: "ID token expired", section: "OIDC Core §3.1.3.7 (9)",
			opts:     func(o *Options) { o.Now = func() time.Time { return time.Now().Add(3 * time.Hour) } },
			wantKind: ErrInvalidIDToken, wantText: "expired",
		},
		{
			name: "wrong client secret", section: "RFC 6749 §5.2",
			config:   func(c *Config) { c.ClientSecret = "not-the-secret"; c.AuthStyle = AuthStyleBasic },
			wantKind: ErrExchange, wantText: "invalid_client",
		},
		{
			name: "token endpoint unreachable", section: "(IdP outage: a retryable error page, not a 500)",
			tamper:   func(_ *testing.T, e env, _ *http.Request, _ *LoginState) { e.up.op.Close() },
			wantKind: ErrUnavailable, wantText: "token endpoint",
		},
		{
			name: "access policy refuses the user", section: "issue 4, access policy",
			config:   func(c *Config) { c.Policy.AllowedEmailDomains = []string{"contoso.com"} },
			wantType: "policy", wantText: "allowed_email_domains",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, idptest.Options{AutoLogin: "alice"}, tt.clients...)
			c := up.config()
			if tt.config != nil {
				tt.config(&c)
			}
			o := up.options()
			if tt.opts != nil {
				tt.opts(&o)
			}
			e := env{up: up, p: up.open(t, c, o), req: newLoginRequest(t), b: newBrowser(up.op.Client())}
			if tt.before != nil {
				tt.before(t, e)
			}
			cb := up.cb.login(t, e.b, e.p, e.req)
			st := e.req.LoginState()
			if tt.tamper != nil {
				tt.tamper(t, e, cb, &st)
			}
			id, err := e.p.HandleCallback(context.Background(), cb, st)
			if err == nil {
				t.Fatalf("%s: HandleCallback accepted: %+v", tt.section, id)
			}
			t.Logf("%s: %v", tt.section, err)
			switch tt.wantType {
			case "callback":
				var ce *CallbackError
				if !errors.As(err, &ce) || ce.ProviderID != "corp" {
					t.Fatalf("%s: error %v is not a *CallbackError", tt.section, err)
				}
			case "policy":
				var pe *PolicyError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: error %v is not a *PolicyError", tt.section, err)
				}
			default:
				if !errors.Is(err, tt.wantKind) {
					t.Fatalf("%s: error %v is not %v", tt.section, err, tt.wantKind)
				}
			}
			mustContain(t, err.Error(), tt.wantText)
			mustContain(t, err.Error(), `idp "corp"`)
			for _, secret := range []string{testClientSecret, st.PKCEVerifier, cb.URL.Query().Get("code")} {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks a secret: %v", err)
				}
			}
		})
	}
}

// TestOIDCSeveralAudiences: an ID token with several audiences is accepted
// when azp is our client id.
func TestOIDCSeveralAudiences(t *testing.T) {
	up := newUpstream(t, idptest.Options{AutoLogin: "alice"})
	up.op.AddClient(idptest.Client{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{up.cb.callbackURL},
		ExtraAudience: []string{"https://api.example.com"}})
	p := up.open(t, up.config(), up.options())
	req := newLoginRequest(t)
	cb := up.cb.login(t, newBrowser(up.op.Client()), p, req)
	id, err := p.HandleCallback(context.Background(), cb, req.LoginState())
	if err != nil {
		t.Fatal(err)
	}
	if aud, _ := id.Claims["aud"].([]any); len(aud) != 2 || id.Claims["azp"] != testClientID {
		t.Errorf("aud, azp = %v, %v", id.Claims["aud"], id.Claims["azp"])
	}
}

// TestOIDCUserInfo: with a thin ID token, email and name come from userinfo
// only when get_user_info is set.
func TestOIDCUserInfo(t *testing.T) {
	for _, getUserInfo := range []bool{false, true} {
		up := newUpstream(t, idptest.Options{AutoLogin: "alice"})
		up.op.AddClient(idptest.Client{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{up.cb.callbackURL}, ThinIDToken: true})
		c := up.config()
		c.GetUserInfo = getUserInfo
		p := up.open(t, c, up.options())
		req := newLoginRequest(t)
		cb := up.cb.login(t, newBrowser(up.op.Client()), p, req)
		id, err := p.HandleCallback(context.Background(), cb, req.LoginState())
		if err != nil {
			t.Fatal(err)
		}
		wantEmail, wantName := "", ""
		if getUserInfo {
			wantEmail, wantName = "alice@example.com", "Alice Example"
		}
		if id.Email != wantEmail || id.Name != wantName || id.Subject != "u-alice" {
			t.Errorf("get_user_info=%v: identity = %+v", getUserInfo, id)
		}
	}
}

// TestOIDCOpen covers discovery at Open: failures name the IdP id.
func TestOIDCOpen(t *testing.T) {
	up := newUpstream(t, idptest.Options{AutoLogin: "alice"})
	docBody := func(t *testing.T) string {
		resp, err := up.op.Client().Get(up.op.Issuer + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	// serveDoc is a discovery document on another host (a named shim: some
	// IdPs publish discovery away from the issuer).
	serveDoc := func(t *testing.T, body string) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/tenant/.well-known/openid-configuration" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		}))
		t.Cleanup(s.Close)
		return s.URL + "/tenant"
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(hang) })

	tests := []struct {
		name      string
		config    func(t *testing.T, c *Config)
		opts      func(o *Options)
		wantErr   string // "" = opens and a login works
		wantKind  error
		wantField string
	}{
		{name: "discovery down", config: func(_ *testing.T, c *Config) { c.Issuer = down.URL }, wantErr: "OpenID discovery", wantKind: ErrUnavailable},
		{name: "discovery hangs (bounded)", config: func(_ *testing.T, c *Config) { c.Issuer = slow.URL },
			opts: func(o *Options) { o.DiscoveryTimeout = 200 * time.Millisecond }, wantErr: "deadline exceeded", wantKind: ErrUnavailable},
		{name: "issuer differs by a trailing slash", config: func(_ *testing.T, c *Config) { c.Issuer += "/" }, wantErr: "names issuer", wantField: "issuer"},
		{name: "discovery_url on another host, full document URL", config: func(t *testing.T, c *Config) {
			c.DiscoveryURL = serveDoc(t, docBody(t)) + "/.well-known/openid-configuration"
		}},
		{name: "discovery_url base URL", config: func(t *testing.T, c *Config) { c.DiscoveryURL = serveDoc(t, docBody(t)) }},
		{name: "discovery_url document names another issuer", config: func(t *testing.T, c *Config) {
			c.DiscoveryURL = serveDoc(t, strings.Replace(docBody(t), `"issuer":"`+up.op.Issuer+`"`, `"issuer":"https://evil.example.com"`, 1))
		}, wantErr: "names issuer", wantField: "issuer"},
		{name: "invalid config is refused before the network", config: func(_ *testing.T, c *Config) { c.ClientID = "" }, wantErr: "client_id: required", wantField: "client_id"},
		{name: "missing redirect URI", opts: func(o *Options) { o.RedirectURI = "" }, wantErr: "RedirectURI is required"},
		{name: "root_ca file missing", config: func(_ *testing.T, c *Config) { c.RootCA = filepath.Join(t.TempDir(), "none.pem") }, wantErr: "no such file", wantField: "root_ca"},
		{name: "root_ca without certificates", config: func(t *testing.T, c *Config) {
			c.RootCA = filepath.Join(t.TempDir(), "empty.pem")
			_ = os.WriteFile(c.RootCA, []byte("not a cert"), 0o600)
		}, wantErr: "no PEM certificate", wantField: "root_ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := up.config()
			if tt.config != nil {
				tt.config(t, &c)
			}
			o := up.options()
			if tt.opts != nil {
				tt.opts(&o)
			}
			start := time.Now()
			p, err := NewRegistry().Open(context.Background(), c, o)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				req := newLoginRequest(t)
				cb := up.cb.login(t, newBrowser(up.op.Client()), p, req)
				if _, err := p.HandleCallback(context.Background(), cb, req.LoginState()); err != nil {
					t.Fatalf("HandleCallback: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("Open took %v", time.Since(start))
			}
			mustContain(t, err.Error(), `idp "corp"`)
			mustContain(t, err.Error(), tt.wantErr)
			if tt.wantKind != nil && !errors.Is(err, tt.wantKind) {
				t.Errorf("error %v is not %v", err, tt.wantKind)
			}
			if tt.wantField != "" {
				var ce *ConfigError
				if !errors.As(err, &ce) || ce.Field != tt.wantField {
					t.Errorf("error %v: want a *ConfigError on %s", err, tt.wantField)
				}
			}
		})
	}
}

// TestOIDCRootCA: an IdP behind a private CA is reachable only with root_ca.
func TestOIDCRootCA(t *testing.T) {
	cb := newCatcher(t)
	op := idptest.New(t, idptest.Options{TLS: true, AutoLogin: "alice", Users: []idptest.User{alice},
		Clients: []idptest.Client{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{cb.callbackURL}}}})
	c := Config{ID: "corp", Type: TypeOIDC, Issuer: op.Issuer, ClientID: testClientID, ClientSecret: testClientSecret}
	o := Options{RedirectURI: cb.callbackURL, DiscoveryTimeout: 5 * time.Second}

	if _, err := NewRegistry().Open(context.Background(), c, o); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Open without root_ca = %v, want a certificate error", err)
	}
	c.RootCA = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: op.Server().Certificate().Raw})
	if err := os.WriteFile(c.RootCA, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := NewRegistry().Open(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Open with root_ca: %v", err)
	}
	req := newLoginRequest(t)
	got := cb.login(t, newBrowser(op.Client()), p, req)
	if id, err := p.HandleCallback(context.Background(), got, req.LoginState()); err != nil || id.Subject != "u-alice" {
		t.Fatalf("HandleCallback = %+v, %v", id, err)
	}
}

// TestOIDCLoginURL checks the authorization URL itself.
func TestOIDCLoginURL(t *testing.T) {
	up := newUpstream(t, idptest.Options{})
	c := up.config()
	c.ExtraAuthParams = map[string]string{"hd": "example.com"}
	p := up.open(t, c, up.options())
	req := newLoginRequest(t)
	u, err := p.LoginURL(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(u)
	q := pu.Query()
	want := map[string]string{
		"response_type": "code", "client_id": testClientID, "redirect_uri": up.cb.callbackURL,
		"scope": "openid email profile", "state": req.State, "nonce": req.Nonce,
		"code_challenge": oauth2.S256ChallengeFromVerifier(req.PKCEVerifier), "code_challenge_method": "S256", "hd": "example.com",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if strings.Contains(u, req.PKCEVerifier) || strings.Contains(u, testClientSecret) {
		t.Errorf("login URL leaks the verifier or the secret: %s", u)
	}
	// A per-login redirect URI overrides the configured one.
	req.RedirectURI = "http://localhost:1/auth/callback"
	u, _ = p.LoginURL(context.Background(), req)
	if pu, _ := url.Parse(u); pu.Query().Get("redirect_uri") != req.RedirectURI {
		t.Errorf("redirect_uri override ignored: %s", u)
	}
	for _, bad := range []func(*LoginRequest){
		func(r *LoginRequest) { r.State = "" },
		func(r *LoginRequest) { r.Nonce = "" },
		func(r *LoginRequest) { r.PKCEVerifier = "" },
	} {
		r := newLoginRequest(t)
		bad(&r)
		if _, err := p.LoginURL(context.Background(), r); err == nil {
			t.Errorf("LoginURL(%+v) accepted", r)
		}
	}
}

// TestOIDCConcurrentLogins runs logins in parallel on one provider (for
// the race detector: the shared oauth2 config, verifier and key set).
func TestOIDCConcurrentLogins(t *testing.T) {
	up := newUpstream(t, idptest.Options{AutoLogin: "alice"})
	p := up.open(t, up.config(), up.options())
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			req, err := NewLoginRequest()
			if err != nil {
				errs <- err
				return
			}
			u, err := p.LoginURL(context.Background(), req)
			if err != nil {
				errs <- err
				return
			}
			// Stop at the callback: the catcher keeps only the last request.
			b := newBrowser(up.op.Client())
			b.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
				if r.URL.Path == "/auth/callback" {
					return http.ErrUseLastResponse
				}
				return nil
			}
			resp, err := b.Get(u)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			loc, err := resp.Location()
			if err != nil {
				errs <- err
				return
			}
			_, err = p.HandleCallback(context.Background(), httptest.NewRequest(http.MethodGet, loc.String(), nil), req.LoginState())
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

package oauthserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/idp"
	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// The login tests run the whole browser side of the oidcproxy mode against
// real components on 127.0.0.1: the sqlite store, a zitadel OpenID
// provider (idptest) as the "corp" IdP, the dev IdP's own form, and a
// golang.org/x/oauth2 client. The "browser" is an http.Client with a cookie
// jar that follows redirects on our origin and the OP's and stops at the
// client's redirect URI.
//
// The public URL is http://127.0.0.1:PORT, so the binding cookie is
// zmcp_login without Secure (see LoginAuthenticator).

const (
	loginClientRedirect = "https://client.example.com/cb"
	loginClientName     = `<script>alert("x")</script> Evil & Co`
	upstreamClientID    = "zscaler-mcp"
	upstreamSecret      = "upstream-secret-0123456789"
	loginState          = "client-state-0123"
)

var loginAlice = idptest.User{
	ID: "u-alice", Username: "alice", Password: "alice-pw",
	Email: "alice@example.com", EmailVerified: true, Name: "Alice <b>Example</b>",
}

type loginEnvOpts struct {
	single bool       // only the corp IdP (no chooser)
	policy idp.Policy // corp's access policy
}

type loginEnv struct {
	t      *testing.T
	base   string
	op     *idptest.Server
	st     *sqlite.Store
	srv    *Server
	login  *LoginAuthenticator
	clock  *fakeClock // the login table's clock (LoginTTL)
	client *store.Client
}

func newLoginEnv(t *testing.T, o loginEnvOpts) *loginEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/as.db", sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	r := chi.NewRouter()
	ts := httptest.NewUnstartedServer(r)
	base := fmt.Sprintf("http://127.0.0.1:%d", ts.Listener.Addr().(*net.TCPAddr).Port)
	callback := base + "/auth/callback"

	op := idptest.New(t, idptest.Options{
		Users:     []idptest.User{loginAlice},
		Clients:   []idptest.Client{{ID: upstreamClientID, Secret: upstreamSecret, RedirectURIs: []string{callback}}},
		AutoLogin: "alice",
	})
	cfgs := []idp.Config{{ID: "corp", Type: idp.TypeOIDC, Name: "Sign in with Corp", Issuer: op.Issuer,
		ClientID: upstreamClientID, ClientSecret: upstreamSecret, Policy: o.policy}}
	if !o.single {
		cfgs = append(cfgs, idp.Config{ID: "dev", Type: idp.TypeDev, Name: "Dev sign-in"})
	}
	set, err := idp.NewRegistry().OpenAll(ctx, cfgs, idp.Options{RedirectURI: callback, HTTPClient: op.Client(),
		LoopbackBind: true, DiscoveryTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("OpenAll: %v", err)
	}
	clock := &fakeClock{}
	login, err := NewLoginAuthenticator(LoginConfig{Providers: set, Store: st, PublicURL: base, Now: clock.Now})
	if err != nil {
		t.Fatalf("NewLoginAuthenticator: %v", err)
	}
	srv, err := New(ctx, Config{PublicURL: base, LoopbackBind: true, Store: st, Authenticator: login,
		RefreshPolicy: login.RefreshPolicy, Debug: true})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Mount(r)
	login.Mount(r, srv)
	ts.Start()
	t.Cleanup(ts.Close)

	c := &store.Client{
		ID: "login-client", RedirectURIs: []string{loginClientRedirect},
		GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scopes: []string{ScopeRead, ScopeWrite}, TokenEndpointAuthMethod: store.AuthMethodNone,
		Name: loginClientName, Origin: store.OriginDCR,
	}
	if err := st.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	return &loginEnv{t: t, base: base, op: op, st: st, srv: srv, login: login, clock: clock, client: c}
}

// register replaces the test client by one registered through RFC 7591
// dynamic client registration, with the same name and redirect URI.
func (e *loginEnv) register() {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"client_name": loginClientName, "redirect_uris": []string{loginClientRedirect},
		"token_endpoint_auth_method": "none", "scope": ScopeRead + " " + ScopeWrite})
	resp, err := http.Post(e.base+"/register", "application/json", strings.NewReader(string(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	c, err := e.st.LookupClient(context.Background(), got.ClientID)
	if err != nil {
		e.t.Fatal(err)
	}
	e.client = c
}

func (e *loginEnv) oauthConfig(scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    e.client.ID,
		Endpoint:    oauth2.Endpoint{AuthURL: e.base + "/authorize", TokenURL: e.base + "/token", AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: loginClientRedirect,
		Scopes:      scopes,
	}
}

// browser is a user agent with a cookie jar.
type browser struct {
	t    *testing.T
	e    *loginEnv
	c    *http.Client
	seen []*url.URL // every URL requested, in order
}

func (e *loginEnv) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is a response with its body.
type page struct {
	resp *http.Response
	body string
	url  *url.URL // the URL that answered
}

// location is the Location of a redirect page.
func (p page) location() *url.URL {
	u, _ := url.Parse(p.resp.Header.Get("Location"))
	return p.url.ResolveReference(u)
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	b.seen = append(b.seen, req.URL)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{resp: resp, body: string(body), url: req.URL}
}

// follow GETs u and follows redirects on our origin and the OP's, until
// a page, a redirect elsewhere (the client), or stop(u) for the next URL.
func (b *browser) follow(u string, stop func(*url.URL) bool) page {
	b.t.Helper()
	for range 20 {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		p := b.do(req)
		if p.resp.StatusCode < 300 || p.resp.StatusCode >= 400 {
			return p
		}
		next := p.location()
		if !b.ours(next) || (stop != nil && stop(next)) {
			return p
		}
		u = next.String()
	}
	b.t.Fatal("too many redirects")
	return page{}
}

func (b *browser) ours(u *url.URL) bool {
	op, _ := url.Parse(b.e.op.Issuer)
	base, _ := url.Parse(b.e.base)
	return u.Host == base.Host || u.Host == op.Host
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func atCallback(u *url.URL) bool { return u.Path == "/auth/callback" }

var (
	reChooserLink = regexp.MustCompile(`href="(/login/([a-z]+)\?pending=[^"]+)"`)
	reHidden      = regexp.MustCompile(`name="(pending|csrf_token|state)" value="([^"]*)"`)
)

func hidden(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range reHidden.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

// start runs /authorize and, with a chooser, picks idpID; it returns the
// page after following (stop limits the following) and the PKCE verifier.
func (e *loginEnv) start(b *browser, idpID string, stop func(*url.URL) bool, scopes ...string) (page, string) {
	e.t.Helper()
	verifier := oauth2.GenerateVerifier()
	p := b.follow(e.oauthConfig(scopes...).AuthCodeURL(loginState, oauth2.S256ChallengeOption(verifier)), stop)
	if p.url.Path != "/login" {
		return p, verifier
	}
	if p.resp.StatusCode != http.StatusOK {
		e.t.Fatalf("chooser: %d %s", p.resp.StatusCode, p.body)
	}
	for _, m := range reChooserLink.FindAllStringSubmatch(p.body, -1) {
		if m[2] == idpID {
			return b.follow(e.base+m[1], stop), verifier
		}
	}
	e.t.Fatalf("chooser has no %s: %s", idpID, p.body)
	return page{}, ""
}

// devSignIn submits the dev IdP's form on p and follows to the next page.
func (b *browser) devSignIn(p page, username, email string) page {
	b.t.Helper()
	if !strings.HasPrefix(p.url.Path, idp.DevPathPrefix) || p.resp.StatusCode != http.StatusOK {
		b.t.Fatalf("not the dev form: %s %d", p.url, p.resp.StatusCode)
	}
	f := hidden(b.t, p.body)
	f.Set("username", username)
	f.Set("email", email)
	f.Set("action", "signin")
	r := b.post(p.url.String(), f)
	if r.resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("dev form POST: %d %s", r.resp.StatusCode, r.body)
	}
	return b.follow(r.location().String(), nil)
}

// consent answers the consent page p and returns the response (a 303 to
// the client on success).
func (b *browser) consent(p page, decision string) page {
	b.t.Helper()
	if p.url.Path != "/consent" || p.resp.StatusCode != http.StatusOK {
		b.t.Fatalf("not the consent page: %s %d %.400s", p.url, p.resp.StatusCode, p.body)
	}
	f := hidden(b.t, p.body)
	f.Set("decision", decision)
	return b.post(b.e.base+"/consent", f)
}

// codeOf checks a successful authorization response and returns its code.
func (e *loginEnv) codeOf(p page) string {
	e.t.Helper()
	if p.resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("status %d, want 303 to the client: %.400s", p.resp.StatusCode, p.body)
	}
	loc := p.location()
	q := loc.Query()
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != loginClientRedirect {
		e.t.Fatalf("redirected to %s, want %s", got, loginClientRedirect)
	}
	if q.Get("code") == "" || q.Get("iss") != e.base || q.Get("state") != loginState {
		e.t.Fatalf("authorization response %s: want code, iss=%s (RFC 9207) and state", loc, e.base)
	}
	return q.Get("code")
}

// exchange redeems code with x/oauth2 and returns the access token's claims.
func (e *loginEnv) exchange(code, verifier string) map[string]any {
	e.t.Helper()
	tok, err := e.oauthConfig().Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatalf("Exchange: %v", err)
	}
	return e.claims(tok)
}

// refresh refreshes tok (through Config.RefreshPolicy) and returns the
// new access token's claims.
func (e *loginEnv) refresh(tok *oauth2.Token) map[string]any {
	e.t.Helper()
	tok.Expiry = time.Now().Add(-time.Minute)
	nt, err := e.oauthConfig().TokenSource(context.Background(), tok).Token()
	if err != nil {
		e.t.Fatalf("refresh: %v", err)
	}
	return e.claims(nt)
}

func (e *loginEnv) claims(tok *oauth2.Token) map[string]any {
	e.t.Helper()
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		e.t.Fatalf("access token is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		e.t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		e.t.Fatal(err)
	}
	return claims
}

func assertSecurityHeaders(t *testing.T, p page) {
	t.Helper()
	h := p.resp.Header
	for k, want := range map[string]string{
		"X-Frame-Options": "DENY", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
	} {
		if h.Get(k) != want {
			t.Errorf("%s %s: %s = %q, want %q", p.url.Path, p.resp.Status, k, h.Get(k), want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"frame-ancestors 'none'", "script-src 'self'", "style-src 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("%s: CSP %q lacks %q", p.url.Path, csp, d)
		}
	}
	if strings.Contains(p.body, "<script") || strings.Contains(p.body, "style=") || strings.Contains(p.body, "<style") {
		t.Errorf("%s: inline script or style in the page", p.url.Path)
	}
}

func mustContainAll(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, body)
		}
	}
}

// TestLoginFlow runs the full flow through each IdP: /authorize (PKCE) →
// chooser → /login/{idp} → upstream login → /auth/callback → consent →
// approve → code with iss → /token → sub = the IdP-qualified user id.
func TestLoginFlow(t *testing.T) {
	for _, tc := range []struct {
		idp, wantSub, wantUser string
		single, dcr            bool
	}{
		{idp: "corp", dcr: true, single: true, wantSub: "corp|u-alice", wantUser: "Alice &lt;b&gt;Example&lt;/b&gt; (alice@example.com)"},
		{idp: "corp", wantSub: idp.Identity{ProviderID: "corp", Subject: "u-alice"}.UserID(), wantUser: "Alice &lt;b&gt;Example&lt;/b&gt; (alice@example.com)"},
		{idp: "dev", wantSub: "dev|dave", wantUser: "dave (dave@example.com)"},
		{idp: "corp", single: true, wantSub: "corp|u-alice", wantUser: "Alice &lt;b&gt;Example&lt;/b&gt; (alice@example.com)"},
	} {
		t.Run(fmt.Sprintf("%s/single=%v/dcr=%v", tc.idp, tc.single, tc.dcr), func(t *testing.T) {
			e := newLoginEnv(t, loginEnvOpts{single: tc.single})
			if tc.dcr {
				e.register()
			}
			b := e.newBrowser()
			p, verifier := e.start(b, tc.idp, nil, ScopeRead, ScopeWrite, "openid")
			if tc.idp == "dev" {
				p = b.devSignIn(p, "dave", "dave@example.com")
			}
			if tc.single || tc.dcr {
				for _, u := range b.seen {
					if u.Path == "/login" && e.base == u.Scheme+"://"+u.Host {
						t.Errorf("one IdP: the chooser was shown")
					}
				}
			}
			assertSecurityHeaders(t, p)
			mustContainAll(t, "consent page", p.body,
				"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Evil &amp; Co", // the client name, escaped
				`https://<strong class="host">client.example.com</strong>/cb`,   // the redirect URI, host emphasised
				ScopeRead, ScopeWrite, scopeWords[ScopeRead], scopeWords[ScopeWrite],
				"dynamic client registration",
				tc.wantUser,
				`name="decision" value="approve"`, `name="decision" value="deny"`, `name="csrf_token"`,
				`<link rel="stylesheet" href="/static/style.css">`)
			if strings.Contains(p.body, "<script>alert") {
				t.Error("the client name is not escaped")
			}
			tok, err := e.oauthConfig().Exchange(context.Background(), e.codeOf(b.consent(p, "approve")), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			claims := e.claims(tok)
			if rc := e.refresh(tok); rc["sub"] != tc.wantSub {
				t.Errorf("refreshed token sub %v", rc["sub"])
			}
			if claims["sub"] != tc.wantSub || claims["idp"] != tc.idp || claims["scope"] != ScopeRead+" "+ScopeWrite {
				t.Errorf("access token claims %v: want sub %q, idp %q and both scopes", claims, tc.wantSub, tc.idp)
			}
			c, err := e.st.GetConsent(context.Background(), tc.wantSub, e.client.ID)
			if err != nil || !coversScopes(c.Scopes, []string{ScopeRead, ScopeWrite}) {
				t.Errorf("remembered consent %+v, %v", c, err)
			}
		})
	}
}

// TestLoginStatic checks the style sheet the pages reference is served.
func TestLoginStatic(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{single: true})
	p := e.newBrowser().follow(e.base+"/static/style.css", nil)
	if p.resp.StatusCode != http.StatusOK || !strings.HasPrefix(p.resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("style sheet: %d %s", p.resp.StatusCode, p.resp.Header.Get("Content-Type"))
	}
	if p := e.newBrowser().follow(e.base+"/static/", nil); p.resp.StatusCode != http.StatusNotFound {
		t.Errorf("directory listing: %d", p.resp.StatusCode)
	}
}

// TestLoginNegative lists what must end on an error page (never a 500 and
// never a code) or on access_denied at the client.
func TestLoginNegative(t *testing.T) {
	rows := []struct {
		name       string
		opts       loginEnvOpts
		run        func(t *testing.T, e *loginEnv) page
		wantStatus int
		wantText   string
	}{
		{
			// RFC 6749 §10.12 / OIDC state: single use.
			name: "state replay", wantStatus: http.StatusBadRequest, wantText: "no longer valid",
			run: func(t *testing.T, e *loginEnv) page {
				b := e.newBrowser()
				p, _ := e.start(b, "corp", atCallback, ScopeRead)
				cb := p.location().String()
				if first := b.follow(cb, nil); first.url.Path != "/consent" {
					t.Fatalf("first callback ended at %s", first.url)
				}
				return b.follow(cb, nil)
			},
		},
		{
			// Login CSRF: the callback must come back in the browser that started.
			name: "callback without the cookie", wantStatus: http.StatusForbidden, wantText: "another browser",
			run: func(t *testing.T, e *loginEnv) page {
				p, _ := e.start(e.newBrowser(), "corp", atCallback, ScopeRead)
				return e.newBrowser().follow(p.location().String(), nil)
			},
		},
		{
			name: "wrong csrf_token", wantStatus: http.StatusForbidden, wantText: "Request refused",
			run: func(t *testing.T, e *loginEnv) page {
				b := e.newBrowser()
				p, _ := e.start(b, "corp", nil, ScopeRead)
				f := hidden(t, p.body)
				f.Set("csrf_token", flipFirst(f.Get("csrf_token")))
				f.Set("decision", "approve")
				return b.post(e.base+"/consent", f)
			},
		},
		{
			name: "missing csrf_token", wantStatus: http.StatusForbidden, wantText: "Request refused",
			run: func(t *testing.T, e *loginEnv) page {
				b := e.newBrowser()
				p, _ := e.start(b, "corp", nil, ScopeRead)
				f := hidden(t, p.body)
				f.Del("csrf_token")
				f.Set("decision", "approve")
				return b.post(e.base+"/consent", f)
			},
		},
		{
			name: "consent POST from another browser", wantStatus: http.StatusForbidden, wantText: "another browser",
			run: func(t *testing.T, e *loginEnv) page {
				p, _ := e.start(e.newBrowser(), "corp", nil, ScopeRead)
				f := hidden(t, p.body)
				f.Set("decision", "approve")
				return e.newBrowser().post(e.base+"/consent", f)
			},
		},
		{
			name: "cross-origin consent POST", wantStatus: http.StatusForbidden, wantText: "own pages",
			run: func(t *testing.T, e *loginEnv) page {
				b := e.newBrowser()
				p, _ := e.start(b, "corp", nil, ScopeRead)
				f := hidden(t, p.body)
				f.Set("decision", "approve")
				req, _ := http.NewRequest(http.MethodPost, e.base+"/consent", strings.NewReader(f.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				return b.do(req)
			},
		},
		{
			name: "upstream access_denied", wantStatus: http.StatusForbidden, wantText: "cancelled or refused at Sign in with Corp",
			run: func(t *testing.T, e *loginEnv) page {
				e.op.SetDeny("access_denied", "The user said <no>")
				p, _ := e.start(e.newBrowser(), "corp", nil, ScopeRead)
				mustContainAll(t, "error page", p.body, "The user said &lt;no&gt;")
				return p
			},
		},
		{
			name: "dev IdP cancel", wantStatus: http.StatusForbidden, wantText: "cancelled or refused at Dev sign-in",
			run: func(t *testing.T, e *loginEnv) page {
				b := e.newBrowser()
				p, _ := e.start(b, "dev", nil, ScopeRead)
				f := hidden(t, p.body)
				f.Set("action", "cancel")
				return b.follow(b.post(p.url.String(), f).location().String(), nil)
			},
		},
		{
			name: "policy refusal", opts: loginEnvOpts{policy: idp.Policy{AllowedEmailDomains: []string{"corp.example"}}},
			wantStatus: http.StatusForbidden, wantText: "allowed_email_domains",
			run: func(t *testing.T, e *loginEnv) page {
				p, _ := e.start(e.newBrowser(), "corp", nil, ScopeRead)
				return p
			},
		},
		{
			name: "upstream down at the callback", wantStatus: http.StatusBadGateway, wantText: "Try again",
			run: func(t *testing.T, e *loginEnv) page {
				b := e.newBrowser()
				p, _ := e.start(b, "corp", atCallback, ScopeRead)
				e.op.Close()
				return b.follow(p.location().String(), nil)
			},
		},
		{
			name: "consent after LoginTTL", wantStatus: http.StatusBadRequest, wantText: "expired",
			run: func(t *testing.T, e *loginEnv) page {
				b := e.newBrowser()
				p, _ := e.start(b, "corp", nil, ScopeRead)
				e.clock.Advance(11 * time.Minute)
				return b.consent(p, "approve")
			},
		},
		{
			name: "unknown pending id", wantStatus: http.StatusBadRequest, wantText: "expired",
			run: func(t *testing.T, e *loginEnv) page {
				return e.newBrowser().follow(e.base+"/login?pending=nope", nil)
			},
		},
		{
			name: "unknown IdP", wantStatus: http.StatusNotFound, wantText: "no identity provider",
			run: func(t *testing.T, e *loginEnv) page {
				return e.newBrowser().follow(e.base+"/login/nope?pending=x", nil)
			},
		},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			e := newLoginEnv(t, tc.opts)
			p := tc.run(t, e)
			if p.resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d: %.600s", p.resp.StatusCode, tc.wantStatus, p.body)
			}
			if p.resp.StatusCode >= 300 && p.resp.StatusCode < 400 {
				t.Fatalf("redirected to %s", p.location())
			}
			mustContainAll(t, "error page", p.body, tc.wantText)
			assertSecurityHeaders(t, p)
			grants, err := e.st.ListGrants(context.Background(), store.GrantFilter{})
			if err != nil || len(grants) != 0 {
				t.Errorf("grants %v, %v: want none (no code issued)", grants, err)
			}
		})
	}
}

// TestLoginDeny: deny → access_denied at the exact registered redirect URI
// with iss and state, and no consent remembered.
func TestLoginDeny(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{})
	b := e.newBrowser()
	p, _ := e.start(b, "corp", nil, ScopeRead)
	r := b.consent(p, "deny")
	if r.resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", r.resp.StatusCode)
	}
	loc := r.location()
	q := loc.Query()
	if loc.Scheme+"://"+loc.Host+loc.Path != loginClientRedirect || q.Get("error") != "access_denied" ||
		q.Get("iss") != e.base || q.Get("state") != loginState || q.Get("code") != "" {
		t.Errorf("deny redirected to %s; want access_denied with iss and state at %s", loc, loginClientRedirect)
	}
	if _, err := e.st.GetConsent(context.Background(), "corp|u-alice", e.client.ID); err == nil {
		t.Error("a denied consent was remembered")
	}
	// The login is over: the same form again is refused.
	f := hidden(t, p.body)
	f.Set("decision", "approve")
	if r := b.post(e.base+"/consent", f); r.resp.StatusCode != http.StatusBadRequest {
		t.Errorf("second answer: %d, want 400", r.resp.StatusCode)
	}
}

// TestLoginRememberedConsent: a remembered consent skips the page for the
// same user, client and scopes (or fewer), not for new scopes nor for
// another user.
func TestLoginRememberedConsent(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{})
	b := e.newBrowser()
	p, verifier := e.start(b, "corp", nil, ScopeRead)
	e.exchange(e.codeOf(b.consent(p, "approve")), verifier)

	for _, tc := range []struct {
		name        string
		idp         string
		scopes      []string
		wantConsent bool
	}{
		{name: "same user, client and scopes", idp: "corp", scopes: []string{ScopeRead}},
		{name: "new scope", idp: "corp", scopes: []string{ScopeRead, ScopeWrite}, wantConsent: true},
		{name: "another user (dev IdP)", idp: "dev", scopes: []string{ScopeRead}, wantConsent: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, verifier := e.start(b, tc.idp, nil, tc.scopes...)
			if tc.idp == "dev" {
				p = b.devSignIn(p, "dave", "")
			}
			if tc.wantConsent {
				if p.url.Path != "/consent" || p.resp.StatusCode != http.StatusOK {
					t.Fatalf("ended at %s (%d), want the consent page", p.url, p.resp.StatusCode)
				}
				return
			}
			claims := e.exchange(e.codeOf(p), verifier)
			if claims["sub"] != "corp|u-alice" {
				t.Errorf("sub %v", claims["sub"])
			}
		})
	}
}

func TestSplitRedirect(t *testing.T) {
	for _, tc := range []struct {
		in                 string
		before, host, rest string
	}{
		{"https://client.example.com/cb?x=1", "https://", "client.example.com", "/cb?x=1"},
		{"http://localhost:8080/cb", "http://", "localhost:8080", "/cb"},
		{"cursor://anysphere.cursor-mcp/oauth/callback", "cursor://", "anysphere.cursor-mcp", "/oauth/callback"},
		{"com.example.app:/cb", "", "com.example.app:", "/cb"},
	} {
		p := splitRedirect(tc.in)
		if p.Before != tc.before || p.Host != tc.host || p.After != tc.rest || p.Before+p.Host+p.After != tc.in {
			t.Errorf("splitRedirect(%q) = %+v", tc.in, p)
		}
	}
}

// TestLoginRefreshPolicy: what LoginAuthenticator.RefreshPolicy re-checks
// at every refresh.
func TestLoginRefreshPolicy(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{policy: idp.Policy{AllowedSubjects: []string{"u-alice"}}})
	for _, tc := range []struct {
		name, sub, idp string
		ok             bool
	}{
		{name: "admitted", sub: "corp|u-alice", idp: "corp", ok: true},
		{name: "dev user (no policy)", sub: "dev|dave", idp: "dev", ok: true},
		{name: "IdP no longer configured", sub: "gone|u-alice", idp: "gone"},
		{name: "subject of another IdP", sub: "dev|u-alice", idp: "corp"},
		{name: "malformed subject", sub: "u-alice", idp: "corp"},
		{name: "allowed_subjects no longer admits", sub: "corp|u-bob", idp: "corp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.login.RefreshPolicy(context.Background(), &store.Session{Subject: tc.sub, IdP: tc.idp})
			if (err == nil) != tc.ok {
				t.Errorf("RefreshPolicy = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestLoginCookie checks the binding cookie's attributes: __Host- and
// Secure on an https public URL; on plain-http loopback the same cookie
// without the prefix and without Secure.
func TestLoginCookie(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{})
	set, err := idp.NewRegistry().OpenAll(context.Background(), []idp.Config{{ID: "dev", Type: idp.TypeDev}},
		idp.Options{RedirectURI: "https://mcp.example.com/auth/callback", LoopbackBind: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		public, name string
		secure       bool
	}{
		{"https://mcp.example.com", "__Host-zmcp_login", true},
		{"http://127.0.0.1:8000", "zmcp_login", false},
	} {
		t.Run(tc.public, func(t *testing.T) {
			a, err := NewLoginAuthenticator(LoginConfig{Providers: set, Store: e.st, PublicURL: tc.public})
			if err != nil {
				t.Fatal(err)
			}
			a.Mount(chi.NewRouter(), e.srv)
			w := httptest.NewRecorder()
			sub, err := a.Authenticate(w, httptest.NewRequest(http.MethodGet, "/authorize", nil),
				&AuthorizationRequest{PendingID: "p1", Client: e.client, RedirectURI: loginClientRedirect, Scopes: []string{ScopeRead}})
			if sub != nil || err != nil {
				t.Fatalf("Authenticate = %v, %v", sub, err)
			}
			if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/login/dev?pending=p1" {
				t.Errorf("one IdP: %d to %q, want 303 to /login/dev", w.Code, loc)
			}
			cs := w.Result().Cookies()
			if len(cs) != 1 {
				t.Fatalf("cookies %v", cs)
			}
			c := cs[0]
			if c.Name != tc.name || c.Secure != tc.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
				c.Path != "/" || c.Domain != "" || len(c.Value) != 43 {
				t.Errorf("cookie %+v", c)
			}
		})
	}
}

// TestLoginTwoTabs: two logins in one browser (one cookie) both complete.
func TestLoginTwoTabs(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{})
	b := e.newBrowser()
	p1, v1 := e.start(b, "corp", nil, ScopeRead)
	p2, v2 := e.start(b, "dev", nil, ScopeRead, ScopeWrite)
	p2 = b.devSignIn(p2, "dave", "")
	c2 := e.exchange(e.codeOf(b.consent(p2, "approve")), v2)
	c1 := e.exchange(e.codeOf(b.consent(p1, "approve")), v1)
	if c1["sub"] != "corp|u-alice" || c2["sub"] != "dev|dave" {
		t.Errorf("subjects %v and %v", c1["sub"], c2["sub"])
	}
}

func TestNewLoginAuthenticatorConfig(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{single: true})
	set, err := idp.NewRegistry().OpenAll(context.Background(), []idp.Config{{ID: "dev", Type: idp.TypeDev}},
		idp.Options{RedirectURI: "http://localhost:8000/auth/callback", LoopbackBind: true})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := idp.NewRegistry().OpenAll(context.Background(), nil, idp.Options{RedirectURI: "http://localhost:8000/auth/callback"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  LoginConfig
		ok   bool
	}{
		{"http loopback", LoginConfig{Providers: set, Store: e.st, PublicURL: "http://localhost:8000"}, true},
		{"https", LoginConfig{Providers: set, Store: e.st, PublicURL: "https://mcp.example.com"}, true},
		{"http off loopback", LoginConfig{Providers: set, Store: e.st, PublicURL: "http://mcp.example.com"}, false},
		{"no providers", LoginConfig{Store: e.st, PublicURL: "https://mcp.example.com"}, false},
		{"empty provider set", LoginConfig{Providers: empty, Store: e.st, PublicURL: "https://mcp.example.com"}, false},
		{"no store", LoginConfig{Providers: set, PublicURL: "https://mcp.example.com"}, false},
		{"relative public URL", LoginConfig{Providers: set, Store: e.st, PublicURL: "/x"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewLoginAuthenticator(tc.cfg); (err == nil) != tc.ok {
				t.Errorf("NewLoginAuthenticator: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// flipFirst returns s with its first byte changed, so the result always
// differs from s (a fixed replacement letter equals it one time in 64).
func flipFirst(s string) string {
	c := byte('A')
	if s[0] == c {
		c = 'B'
	}
	return string(c) + s[1:]
}

package oauthserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

const (
	testUser        = "user-1"
	confRedirect    = "https://client.example.com/cb"
	publicRedirect  = "http://localhost/cb"       // registered without a port
	publicRequested = "http://localhost:53123/cb" // RFC 8252 §7.3: any port
)

// fakeClock is a settable clock for the grace window and pending requests.
type fakeClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// approveAll is the test Authenticator: it approves every request at once
// as testUser.
var approveAll = AuthenticatorFunc(func(http.ResponseWriter, *http.Request, *AuthorizationRequest) (*Subject, error) {
	return &Subject{ID: testUser, Username: "Test User", IdP: "test"}, nil
})

type env struct {
	t        *testing.T
	srv      *Server
	st       *sqlite.Store
	ts       *httptest.Server
	clock    *fakeClock
	public   string // the public URL (issuer): http://localhost:PORT
	base     string // the URL the tests dial: http://127.0.0.1:PORT
	resource string // <public>/mcp
	noRedir  *http.Client
	conf     *store.Client // confidential client
	confSec  string
	pub      *store.Client // public client
}

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/as.db", sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	r := chi.NewRouter()
	ts := httptest.NewUnstartedServer(r)
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	e := &env{t: t, st: st, ts: ts, clock: &fakeClock{},
		public: fmt.Sprintf("http://localhost:%d", port), base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	e.resource = e.public + "/mcp"
	cfg := Config{
		PublicURL:          e.public,
		LoopbackBind:       true,
		Store:              st,
		Authenticator:      approveAll,
		RefreshGraceWindow: 5 * time.Second,
		Now:                e.clock.Now,
		Debug:              true,
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.srv = srv
	srv.Mount(r)
	r.Get("/test/resume/{id}", func(w http.ResponseWriter, r *http.Request) {
		srv.Resume(w, r, chi.URLParam(r, "id"), &Subject{ID: testUser, IdP: "test"})
	})
	r.Get("/test/deny/{id}", func(w http.ResponseWriter, r *http.Request) {
		srv.Deny(w, r, chi.URLParam(r, "id"), nil)
	})
	ts.Start()
	t.Cleanup(ts.Close)
	e.noRedir = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	e.confSec = "conf-secret-0123456789abcdef0123456789"
	e.conf = e.newClient("conf-client", e.confSec, confRedirect)
	e.pub = e.newClient("public-client", "", publicRedirect)
	return e
}

func (e *env) newClient(id, secret string, redirects ...string) *store.Client {
	e.t.Helper()
	c := &store.Client{
		ID:                      id,
		RedirectURIs:            redirects,
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scopes:                  []string{ScopeRead, ScopeWrite},
		TokenEndpointAuthMethod: store.AuthMethodNone,
		Name:                    "client " + id,
		Origin:                  store.OriginDCR,
	}
	if secret != "" {
		c.SecretHash = store.HashSecret(secret)
		c.TokenEndpointAuthMethod = store.AuthMethodClientSecretBasic
	}
	if err := e.st.CreateClient(context.Background(), c); err != nil {
		e.t.Fatalf("CreateClient: %v", err)
	}
	return c
}

// oauthConfig is a golang.org/x/oauth2 configuration for one of the
// clients.
func (e *env) oauthConfig(c *store.Client) *oauth2.Config {
	conf := &oauth2.Config{
		ClientID: c.ID,
		Endpoint: oauth2.Endpoint{AuthURL: e.base + "/authorize", TokenURL: e.base + "/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{ScopeRead, ScopeWrite, "openid", "offline_access"},
	}
	if c == e.conf {
		conf.ClientSecret = e.confSec
		conf.RedirectURL = confRedirect
	} else {
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		conf.RedirectURL = publicRequested
	}
	return conf
}

// authorize runs /authorize (the test authenticator approves at once) and
// returns the code and the PKCE verifier.
func (e *env) authorize(c *store.Client, extra ...oauth2.AuthCodeOption) (code, verifier string) {
	e.t.Helper()
	verifier = oauth2.GenerateVerifier()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, extra...)
	loc := e.redirectOf(e.get(e.oauthConfig(c).AuthCodeURL("state-0123456789", opts...)))
	q := loc.Query()
	if q.Get("code") == "" {
		e.t.Fatalf("authorize: no code in %s", loc)
	}
	if q.Get("iss") != e.public || q.Get("state") != "state-0123456789" {
		e.t.Errorf("authorize response iss=%q state=%q, want %q and the state (RFC 9207 §2)", q.Get("iss"), q.Get("state"), e.public)
	}
	return q.Get("code"), verifier
}

func (e *env) get(u string) *http.Response {
	e.t.Helper()
	resp, err := e.noRedir.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// redirectOf returns the Location of a 302/303 response.
func (e *env) redirectOf(resp *http.Response) *url.URL {
	e.t.Helper()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		e.t.Fatalf("status %d, want a redirect", resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// post sends a form to path with optional Basic credentials and returns
// the status and the decoded JSON body.
func (e *env) post(path string, form url.Values, user, pass string) (int, map[string]any, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			e.t.Fatalf("%s: body %q is not JSON: %v", path, raw, err)
		}
	}
	return resp.StatusCode, body, resp.Header
}

// exchange redeems a code as the confidential client (or the public one
// when c is e.pub).
func (e *env) exchange(c *store.Client, code, verifier string, extra url.Values) (int, map[string]any) {
	e.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}}
	for k, v := range extra {
		form[k] = v
	}
	user, pass := e.creds(c, form)
	if c == e.conf {
		form.Set("redirect_uri", confRedirect)
	} else {
		form.Set("redirect_uri", publicRequested)
	}
	status, body, _ := e.post("/token", form, user, pass)
	return status, body
}

func (e *env) creds(c *store.Client, form url.Values) (user, pass string) {
	if c == e.conf {
		return e.conf.ID, e.confSec
	}
	form.Set("client_id", c.ID)
	return "", ""
}

func (e *env) refresh(c *store.Client, rt string, extra url.Values) (int, map[string]any) {
	e.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	for k, v := range extra {
		form[k] = v
	}
	user, pass := e.creds(c, form)
	status, body, _ := e.post("/token", form, user, pass)
	return status, body
}

// active introspects token as the confidential client.
func (e *env) active(token string) bool {
	e.t.Helper()
	status, body, _ := e.post("/introspect", url.Values{"token": {token}}, e.conf.ID, e.confSec)
	if status != http.StatusOK {
		e.t.Fatalf("introspect: %d %v", status, body)
	}
	return body["active"] == true
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

package idp

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

// catcher plays the AS's /auth/callback: it records the request the
// browser brings back and answers 200. Handlers mounted with handle share
// its origin (the dev form lives there).
type catcher struct {
	srv         *httptest.Server
	mux         *http.ServeMux
	callbackURL string

	mu   sync.Mutex
	last *http.Request
}

func newCatcher(t *testing.T) *catcher {
	t.Helper()
	c := &catcher{mux: http.NewServeMux()}
	c.mux.HandleFunc("/auth/callback", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.last = r.Clone(context.Background())
		c.mu.Unlock()
		_, _ = io.WriteString(w, "callback received")
	})
	c.srv = httptest.NewServer(c.mux)
	t.Cleanup(c.srv.Close)
	c.callbackURL = c.srv.URL + "/auth/callback"
	return c
}

func (c *catcher) handle(path string, h http.Handler) { c.mux.Handle(path, h) }

func (c *catcher) takeCallback() *http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.last
	c.last = nil
	return r
}

// newBrowser is a user agent with a cookie jar, trusting what base trusts.
func newBrowser(base *http.Client) *http.Client {
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if base != nil {
		b.Transport = base.Transport
	}
	return b
}

// browse GETs u following redirects and returns the final response with its body.
func browse(t *testing.T, b *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return readAll(t, resp)
}

func postForm(t *testing.T, b *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := b.PostForm(u, form)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	return readAll(t, resp)
}

func readAll(t *testing.T, resp *http.Response) (*http.Response, string) {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// login drives a browser from LoginURL to our callback and returns the
// callback request.
func (c *catcher) login(t *testing.T, b *http.Client, p Provider, req LoginRequest) *http.Request {
	t.Helper()
	u, err := p.LoginURL(context.Background(), req)
	if err != nil {
		t.Fatalf("LoginURL: %v", err)
	}
	resp, body := browse(t, b, u)
	cb := c.takeCallback()
	if cb == nil {
		t.Fatalf("the browser ended at %s (%d), not at the callback: %.300s", resp.Request.URL, resp.StatusCode, body)
	}
	return cb
}

func newLoginRequest(t *testing.T) LoginRequest {
	t.Helper()
	req, err := NewLoginRequest()
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// alice is the test OP's main user.
var alice = idptest.User{
	ID: "u-alice", Username: "alice", Password: "alice-pw",
	Email: "alice@example.com", EmailVerified: true, Name: "Alice Example",
	Groups: []string{"ops", "dev"}, Claims: map[string]any{"department": "it"},
}

const (
	testClientID     = "mcp-server"
	testClientSecret = "test-client-secret"
)

// upstream is a test OP with alice and our client registered for the
// catcher's callback.
type upstream struct {
	op *idptest.Server
	cb *catcher
}

func newUpstream(t *testing.T, o idptest.Options, clients ...idptest.Client) upstream {
	t.Helper()
	cb := newCatcher(t)
	if len(o.Users) == 0 {
		o.Users = []idptest.User{alice}
	}
	o.Clients = append(o.Clients, idptest.Client{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{cb.callbackURL}})
	for _, c := range clients {
		if len(c.RedirectURIs) == 0 {
			c.RedirectURIs = []string{cb.callbackURL}
		}
		o.Clients = append(o.Clients, c)
	}
	return upstream{op: idptest.New(t, o), cb: cb}
}

func (u upstream) config() Config {
	return Config{ID: "corp", Type: TypeOIDC, Name: "Sign in with Corp", Issuer: u.op.Issuer,
		ClientID: testClientID, ClientSecret: testClientSecret}
}

func (u upstream) options() Options {
	return Options{RedirectURI: u.cb.callbackURL, HTTPClient: u.op.Client(), DiscoveryTimeout: 5 * time.Second}
}

func (u upstream) open(t *testing.T, c Config, o Options) Provider {
	t.Helper()
	p, err := NewRegistry().Open(context.Background(), c, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return p
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%q does not contain %q", s, sub)
	}
}

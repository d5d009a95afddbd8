package zscalertest

import (
	"crypto/subtle"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Clients is a second client-credentials token endpoint for tests of the
// zscaler client-auth mode, where each MCP client presents its own OneAPI
// credential: it accepts the stand-in's own credential (ClientID /
// ClientSecret, with the stand-in's products) and every credential made
// with Add, each with its own service-info products. Tokens it issues are
// valid bearer tokens at the stand-in's API, like the core endpoint's.
//
// Point ZSCALER_TOKEN_URL at Clients.TokenURL to use one endpoint for both
// the server's own credential and its callers'.
type Clients struct {
	// TokenURL is the token endpoint (…/oauth2/v1/token).
	TokenURL string

	s     *Server
	mu    sync.Mutex
	creds map[string]cred
	n     map[string]int // tokens issued per client id
}

type cred struct {
	secret   string
	products []string
}

// Clients starts the multi-client token endpoint on 127.0.0.1; it stops
// when the test ends.
func (s *Server) Clients(t testing.TB) *Clients {
	t.Helper()
	c := &Clients{s: s, creds: map[string]cred{}, n: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(c.issue))
	t.Cleanup(srv.Close)
	c.TokenURL = srv.URL + "/oauth2/v1/token"
	return c
}

// Add registers a new client credential whose tokens entitle products
// (e.g. "ZIA"; none means a token with an empty service-info claim) and
// returns it.
func (c *Clients) Add(products ...string) (id, secret string) {
	id, secret = "client-"+randHex(6), randHex(16)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.creds[id] = cred{secret: secret, products: append([]string(nil), products...)}
	return id, secret
}

// TokenRequests is the number of tokens issued to client id.
func (c *Clients) TokenRequests(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}

// issue answers like the core token endpoint (same form, same errors).
func (c *Clients) issue(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/oauth2/v1/token" {
		WriteJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, _, ok := clientCredentialsRequest(w, r)
	if !ok {
		return
	}
	c.s.mu.Lock()
	want := cred{secret: c.s.ClientSecret, products: c.s.products}
	c.s.mu.Unlock()
	c.mu.Lock()
	if id != c.s.ClientID {
		want = c.creds[id]
	}
	c.mu.Unlock()
	if want.secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(want.secret)) != 1 {
		WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	c.mu.Lock()
	c.n[id]++
	c.mu.Unlock()
	c.s.grantToken(w, want.products)
}

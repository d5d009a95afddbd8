// Package zscalertest is a loopback stand-in for the Zscaler OneAPI, for
// tests: a ZIdentity-style client-credentials token endpoint and the API
// routes the tools call, answering 404 to anything it does not know so a
// wrong path fails a test.
//
// The core (this file, clientauth.go and collection.go) serves the token
// endpoint (client secret, or private-key JWT once a key is registered with
// RegisterPublicKey), checks the bearer token on every API call (401 for
// unknown or expired tokens; ExpireTokens revokes them all), records
// requests and token forms, and injects faults (Fail, Delay), on the token
// endpoint too. Each service's
// routes and in-memory data live in their own file (zia.go, zpa.go, ...),
// each naming the public reference its shapes follow.
package zscalertest

import (
	"crypto"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// tokenPath is the token endpoint's path (as on <vanity>.zslogin.net).
const tokenPath = "/oauth2/v1/token"

// Server is the stand-in. Its zero value is not usable: call [New].
type Server struct {
	// URL is the base URL: the OneAPI base (ZSCALER_API_BASE_URL).
	URL string
	// TokenURL is the client-credentials token endpoint (ZSCALER_TOKEN_URL).
	TokenURL string
	// ClientID and ClientSecret are the credentials the token endpoint accepts.
	ClientID, ClientSecret string
	// CustomerID is the ZPA customer id the ZPA routes expect.
	CustomerID string

	srv *httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	products []string // service-info prd values of issued tokens
	ttl      time.Duration
	tokens   map[string]time.Time
	tokenN   int
	reqs     []Recorded
	faults   []*fault
	// private-key JWT client authentication (RegisterPublicKey)
	pubKeys []crypto.PublicKey
	seenJTI map[string]bool
	forms   []url.Values
	unauthN int
}

// Recorded is one API request the stand-in received.
type Recorded struct {
	Method string
	Path   string
	Query  string
	Body   []byte
	// Header holds the request headers (Authorization included).
	Header http.Header
}

type fault struct {
	method, path string
	status       int
	retryAfter   string
	left         int
	delay        time.Duration
}

// New starts a stand-in on 127.0.0.1 and stops it when the test ends.
// Issued tokens carry a service-info claim entitling every product of
// products (e.g. "ZIA", "ZPA"); none means ZIA, ZPA, ZDX, ZCC and ZIDENTITY.
func New(t testing.TB, products ...string) *Server {
	t.Helper()
	if len(products) == 0 {
		products = []string{"ZIA", "ZPA", "ZDX", "ZCC", "ZIDENTITY"}
	}
	s := &Server{
		ClientID: "client-" + randHex(4), ClientSecret: randHex(16),
		CustomerID: "216196257331281920",
		mux:        http.NewServeMux(), products: products, ttl: time.Hour,
		tokens: map[string]time.Time{}, seenJTI: map[string]bool{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.TokenURL = s.srv.URL + tokenPath
	return s
}

// Handle registers an API route with a net/http ServeMux pattern such as
// "GET /zia/api/v1/urlCategories/{id}". Only requests with a valid bearer
// token reach h.
func (s *Server) Handle(pattern string, h http.HandlerFunc) { s.mux.HandleFunc(pattern, h) }

// SetTokenTTL sets the expires_in of tokens issued from now on.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = d
}

// TokenRequests is the number of tokens issued so far.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenN
}

// TokenForms returns the form of every token request received so far
// (secrets included: this is a test double).
func (s *Server) TokenForms() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]url.Values, len(s.forms))
	for i, f := range s.forms {
		out[i] = cloneValues(f)
	}
	return out
}

// ExpireTokens makes every token issued so far invalid at once, as if
// revoked: API calls bearing one get 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.tokens {
		s.tokens[tok] = time.Time{}
	}
}

// Unauthorized is the number of API requests refused with 401 for a
// missing, unknown or expired bearer token.
func (s *Server) Unauthorized() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unauthN
}

// Requests returns the API requests received so far (not token requests).
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.reqs...)
}

// Fail makes the next n requests matching method and path (exact path, no
// query) answer status, with a Retry-After header when retryAfter is not
// empty, before reaching the route. The token endpoint ("POST",
// "/oauth2/v1/token") can be made to fail too.
func (s *Server) Fail(method, path string, status, n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, path: path, status: status, left: n, retryAfter: retryAfter})
}

// Delay makes the next n requests matching method and path wait d before
// answering (the token endpoint included).
func (s *Server) Delay(method, path string, d time.Duration, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, path: path, left: n, delay: d})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == tokenPath {
		if s.injectFault(w, r) {
			return
		}
		s.issueToken(w, r)
		return
	}
	if !s.authorized(r) {
		s.mu.Lock()
		s.unauthN++
		s.mu.Unlock()
		WriteJSON(w, http.StatusUnauthorized, map[string]string{"code": "UNAUTHORIZED", "message": "missing or invalid bearer token"})
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	s.mu.Lock()
	s.reqs = append(s.reqs, Recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Header: r.Header.Clone()})
	s.mu.Unlock()
	if s.injectFault(w, r) {
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		WriteJSON(w, http.StatusNotFound, map[string]string{"code": "RESOURCE_NOT_FOUND", "message": "no such API: " + r.Method + " " + r.URL.Path})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// injectFault applies the first pending fault matching r: it waits the
// fault's delay and, when the fault has a status, answers it and reports
// true.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	var hit *fault
	for _, f := range s.faults {
		if f.left > 0 && f.method == r.Method && f.path == r.URL.Path {
			f.left--
			hit = f
			break
		}
	}
	s.mu.Unlock()
	if hit == nil {
		return false
	}
	if hit.delay > 0 {
		t := time.NewTimer(hit.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	if hit.status == 0 {
		return false
	}
	if hit.retryAfter != "" {
		w.Header().Set("Retry-After", hit.retryAfter)
	}
	WriteJSON(w, hit.status, map[string]string{"code": "INJECTED", "message": "injected failure " + strconv.Itoa(hit.status)})
	return true
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && time.Now().Before(exp)
}

// issueToken is the client-credentials grant of ZIdentity
// (https://help.zscaler.com/oneapi/understanding-oneapi-authentication):
// form grant_type=client_credentials, audience=https://api.zscaler.com, and
// one client authentication method: client_id + client_secret in the form
// or Basic, or (once a key is registered with RegisterPublicKey) an RFC 7523
// private-key JWT in client_assertion (the form the Zscaler SDKs send:
// zscaler-sdk-go zscaler/oneapiclient.go authenticateWithCert).
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	s.mu.Lock()
	s.forms = append(s.forms, cloneValues(r.PostForm))
	s.mu.Unlock()
	id, secret, basic, ok := clientCredentialsRequest(w, r)
	if !ok {
		return
	}
	assertion := r.PostForm.Get("client_assertion")
	switch {
	case assertion != "" && (basic || secret != ""):
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "more than one client authentication method"})
		return
	case assertion != "":
		if why := s.checkAssertion(r.PostForm); why != "" {
			WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": why})
			return
		}
	case subtle.ConstantTimeCompare([]byte(id), []byte(s.ClientID)) != 1 || subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) != 1:
		WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	s.mu.Lock()
	products := s.products
	s.tokenN++
	s.mu.Unlock()
	s.grantToken(w, products)
}

// clientCredentialsRequest checks the grant of a parsed token request
// (grant_type=client_credentials, audience=https://api.zscaler.com) and
// returns the client id and secret from Basic or the form. On a bad grant
// it answers the OAuth error itself and returns ok false.
func clientCredentialsRequest(w http.ResponseWriter, r *http.Request) (id, secret string, basic, ok bool) {
	if r.PostForm.Get("grant_type") != "client_credentials" {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return "", "", false, false
	}
	if r.PostForm.Get("audience") != "https://api.zscaler.com" {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "audience must be https://api.zscaler.com"})
		return "", "", false, false
	}
	id, secret, basic = r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	return id, secret, basic, true
}

// grantToken mints a token entitling products with the current TTL, makes
// it valid at the API and answers the token response.
func (s *Server) grantToken(w http.ResponseWriter, products []string) {
	s.mu.Lock()
	ttl := s.ttl
	s.mu.Unlock()
	tok := s.mintToken(products, ttl)
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(ttl)
	s.mu.Unlock()
	WriteJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(ttl / time.Second)})
}

// mintToken returns a JWT-shaped token whose payload carries the
// service-info claim ({"prd": "ZIA", ...} entries) OneAPI tokens carry.
func (s *Server) mintToken(products []string, ttl time.Duration) string {
	info := make([]map[string]any, 0, len(products))
	for _, p := range products {
		info = append(info, map[string]any{"prd": p, "rnm": "Super Admin", "tnt": "acme"})
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": "https://acme.zslogin.net", "sub": s.ClientID, "aud": "https://api.zscaler.com",
		"exp": time.Now().Add(ttl).Unix(), "jti": randHex(8), "service-info": info,
	}) + "." + base64.RawURLEncoding.EncodeToString([]byte(randHex(16)))
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

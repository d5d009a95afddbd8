package zscalerauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// fakeIdP is a loopback Zscaler token endpoint. It counts calls, checks the
// form the validator sends and answers like ZIdentity: a JWT-shaped access
// token with claims and expires_in for accepted credentials, 401
// invalid_client otherwise. Error bodies echo the presented secret so the
// tests can prove it never leaks into our errors.
type fakeIdP struct {
	srv   *httptest.Server
	calls atomic.Int64

	mu       sync.Mutex
	secrets  map[string]map[string]bool // client id -> accepted secrets
	prefix   string                     // if set, any secret with this prefix is accepted
	mode     string                     // "" normal; see serve for the others
	status   int                        // answer status for mode "status"
	delay    time.Duration              // before answering
	expires  int                        // expires_in; 0 omits it
	opaque   bool                       // access_token is not a JWT
	problems []string                   // form violations seen
}

// testAccessTokenMarker is inside every access token the fake IdP issues, so
// tests can check the token never reaches the Identity.
const testAccessTokenMarker = "ACCESS-TOKEN-SIGNATURE-MARKER"

func newFakeIdP(t testing.TB) *fakeIdP {
	t.Helper()
	f := &fakeIdP{secrets: map[string]map[string]bool{}, expires: 3600}
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, p := range f.problems {
			t.Errorf("fake IdP: %s", p)
		}
	})
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) url() string { return f.srv.URL + "/oauth2/v1/token" }

// allow makes the IdP accept secret for id.
func (f *fakeIdP) allow(id, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.secrets[id] == nil {
		f.secrets[id] = map[string]bool{}
	}
	f.secrets[id][secret] = true
}

// revoke makes the IdP refuse secret for id.
func (f *fakeIdP) revoke(id, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets[id], secret)
}

func (f *fakeIdP) set(fn func(f *fakeIdP)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeIdP) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
}

func (f *fakeIdP) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	f.mu.Lock()
	mode, status, delay, expires, opaque, prefix := f.mode, f.status, f.delay, f.expires, f.opaque, f.prefix
	f.mu.Unlock()

	if r.Method != http.MethodPost || r.URL.Path != "/oauth2/v1/token" {
		f.problem("unexpected %s %s", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.problem("Content-Type %q", ct)
	}
	if r.Header.Get("Authorization") != "" {
		f.problem("client authenticated in the Authorization header; ZIdentity expects the form body")
	}
	if err := r.ParseForm(); err != nil {
		f.problem("parse form: %v", err)
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	// Delay only after reading the body: net/http notices a client that
	// hung up (and cancels r.Context()) only once the body is consumed.
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if got := r.PostForm.Get("grant_type"); got != "client_credentials" {
		f.problem("grant_type %q", got)
	}
	if got := r.PostForm.Get("audience"); got != DefaultAudience {
		f.problem("audience %q", got)
	}
	if id == "" || secret == "" {
		f.problem("client_id or client_secret missing from the form")
	}
	if len(r.URL.Query()) > 0 {
		f.problem("credentials or parameters in the query string: %q", r.URL.RawQuery)
	}

	refuse := func(status int) {
		writeJSON(w, status, map[string]any{
			"error":             "invalid_client",
			"error_description": "client " + id + " presented secret " + secret,
		})
	}
	switch mode {
	case "status":
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "7")
		}
		refuse(status)
		return
	case "garbage":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "<html>oops %s</html>", secret)
		return
	case "no-token":
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600})
		return
	case "error-200":
		refuse(http.StatusOK)
		return
	case "redirect":
		http.Redirect(w, r, "https://elsewhere.invalid/token", http.StatusTemporaryRedirect)
		return
	}

	f.mu.Lock()
	ok := f.secrets[id][secret] || prefix != "" && strings.HasPrefix(secret, prefix)
	f.mu.Unlock()
	if !ok {
		refuse(http.StatusUnauthorized)
		return
	}
	body := map[string]any{"access_token": testJWT(id, opaque), "token_type": "Bearer"}
	if expires > 0 {
		body["expires_in"] = expires
	}
	writeJSON(w, http.StatusOK, body)
}

// testJWT returns a JWT-shaped OneAPI token for id (unsigned: the
// validator does not verify it).
func testJWT(id string, opaque bool) string {
	if opaque {
		return "opaque-" + testAccessTokenMarker
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "test"}) + "." +
		enc(map[string]any{
			"iss":       "https://acme.zslogin.net",
			"sub":       id,
			"aud":       DefaultAudience,
			"client_id": id,
			"exp":       time.Now().Add(time.Hour).Unix(),
			"service-info": []any{
				map[string]any{"svc": "zia", "tid": "1234"},
				map[string]any{"svc": "zpa", "tid": "5678"},
			},
		}) + "." + base64.RawURLEncoding.EncodeToString([]byte(testAccessTokenMarker))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeClock is an injectable Config.Clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newValidator returns a validator against f with a fake clock; mod may
// adjust the config.
func newValidator(t testing.TB, f *fakeIdP, mod func(*Config)) (*Validator, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	cfg := Config{TokenURL: f.url(), Clock: clk.Now, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v, clk
}

// credHeader builds the request headers a client would send.
type credHeader func(id, secret string) http.Header

func basicHeader(id, secret string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	return h
}

func zscalerHeader(id, secret string) http.Header {
	h := http.Header{}
	h.Set("X-Zscaler-Client-ID", id)
	h.Set("X-Zscaler-Client-Secret", secret)
	return h
}

// newRequest returns an MCP request from ip carrying h.
func newRequest(ip string, h http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://mcp.example.com/mcp", nil)
	r.RemoteAddr = ip + ":40000"
	for k, vs := range h {
		r.Header[k] = vs
	}
	return r
}

// validate parses the credential from the headers, as the middleware does,
// and runs v on it.
func validate(t testing.TB, v *Validator, ip string, h http.Header) (*auth.Identity, error) {
	t.Helper()
	r := newRequest(ip, h)
	c, err := auth.ParseCredential(r.Header)
	if err != nil {
		t.Fatalf("ParseCredential: %v", err)
	}
	return v.Validate(r.Context(), r, c)
}

// serve runs the request through the auth middleware as the zscaler mode
// configures it and returns the recorded response.
func serve(v *Validator, r *http.Request) *httptest.ResponseRecorder {
	h := auth.Middleware(auth.Options{
		Validators: []auth.Validator{v},
		Challenge:  auth.Challenge{Basic: true},
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.FromContext(r.Context())
		_ = json.NewEncoder(w).Encode(id)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// status returns the HTTP status an error would produce (200 for nil).
func status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		return ae.Status
	}
	return -1
}

package oauthserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// cimdHost is an https server (httptest's TLS, trusted through
// Config.HTTPClient) serving metadata documents and counting fetches.
type cimdHost struct {
	ts *httptest.Server

	mu      sync.Mutex
	fetches map[string]int
	docs    map[string]func(w http.ResponseWriter, r *http.Request)
}

func newCIMDHost(t *testing.T) *cimdHost {
	t.Helper()
	h := &cimdHost{fetches: map[string]int{}, docs: map[string]func(http.ResponseWriter, *http.Request){}}
	h.ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.fetches[r.URL.Path]++
		fn := h.docs[r.URL.Path]
		h.mu.Unlock()
		if fn == nil {
			http.NotFound(w, r)
			return
		}
		fn(w, r)
	}))
	t.Cleanup(h.ts.Close)
	return h
}

func (h *cimdHost) url(path string) string { return h.ts.URL + path }

func (h *cimdHost) count(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fetches[path]
}

// serve registers a JSON document at path with the given Cache-Control.
func (h *cimdHost) serve(path, cacheControl string, doc map[string]any) {
	body, _ := json.Marshal(doc)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.docs[path] = func(w http.ResponseWriter, _ *http.Request) {
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

func (h *cimdHost) handle(path string, fn func(w http.ResponseWriter, r *http.Request)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.docs[path] = fn
}

// goodDoc is a valid document for the client id u.
func goodDoc(u string) map[string]any {
	return map[string]any{
		"client_id":                  u,
		"client_name":                "Metadata Client",
		"redirect_uris":              []string{publicRedirect},
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": "none",
	}
}

func newCIMDEnv(t *testing.T, h *cimdHost, allowLoopback bool) *env {
	t.Helper()
	return newEnv(t, func(c *Config) {
		c.HTTPClient = h.ts.Client()
		c.cimdAllowLoopback = allowLoopback
	})
}

func (e *env) cimdConfig(clientID, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    clientID,
		Endpoint:    oauth2.Endpoint{AuthURL: e.base + "/authorize", TokenURL: e.base + "/token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes:      []string{ScopeRead},
		RedirectURL: redirect,
	}
}

// authorizeRaw runs /authorize and returns the response and its body.
func (e *env) authorizeRaw(conf *oauth2.Config, verifier string) (*http.Response, string) {
	e.t.Helper()
	resp, err := e.noRedir.Get(conf.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestCIMDFlow: a client identified by its metadata document URL runs the
// whole flow (authorize, token, refresh); the document is cached for its
// max-age and refetched after.
func TestCIMDFlow(t *testing.T) {
	h := newCIMDHost(t)
	id := h.url("/clients/good.json")
	h.serve("/clients/good.json", "public, max-age=60", goodDoc(id))
	e := newCIMDEnv(t, h, true)
	ctx := context.Background()
	conf := e.cimdConfig(id, publicRequested)

	verifier := oauth2.GenerateVerifier()
	resp, body := e.authorizeRaw(conf, verifier)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	e.verifyAccessToken(tok.AccessToken, id, e.resource, ScopeRead)
	c, err := e.st.LookupClient(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != store.OriginCIMD || c.Name != "Metadata Client" || !c.IsPublic() {
		t.Errorf("stored client origin=%q name=%q public=%v, want cimd, the document's name, public", c.Origin, c.Name, c.IsPublic())
	}
	e.clock.Advance(10 * time.Second)
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if n := h.count("/clients/good.json"); n != 1 {
		t.Errorf("fetches within max-age = %d, want 1", n)
	}

	// A second authorization within max-age does not refetch.
	if resp, body := e.authorizeRaw(conf, oauth2.GenerateVerifier()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second authorize: %d %s", resp.StatusCode, body)
	}
	if n := h.count("/clients/good.json"); n != 1 {
		t.Errorf("fetches after a second authorize = %d, want 1", n)
	}
	// After max-age the document is fetched again, and changes apply.
	doc := goodDoc(id)
	doc["client_name"] = "Renamed"
	h.serve("/clients/good.json", "max-age=60", doc)
	e.clock.Advance(61 * time.Second)
	if resp, body := e.authorizeRaw(conf, oauth2.GenerateVerifier()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize after max-age: %d %s", resp.StatusCode, body)
	}
	if n := h.count("/clients/good.json"); n != 2 {
		t.Errorf("fetches after max-age = %d, want 2", n)
	}
	if c, _ := e.st.LookupClient(ctx, id); c == nil || c.Name != "Renamed" {
		t.Errorf("client not refreshed from the new document: %+v", c)
	}

	// stale-if-error: a known client keeps working while its host fails
	// (5xx); a document that is gone (404) ends it.
	h.handle("/clients/good.json", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	e.clock.Advance(61 * time.Second)
	if resp, body := e.authorizeRaw(conf, oauth2.GenerateVerifier()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize while the host fails: %d %s", resp.StatusCode, body)
	}
	h.handle("/clients/good.json", http.NotFound)
	e.clock.Advance(cimdStaleTTL + time.Second)
	if resp, body := e.authorizeRaw(conf, oauth2.GenerateVerifier()); resp.StatusCode < 400 || !strings.Contains(body, "404") {
		t.Fatalf("authorize after the document is gone: %d %s, want an error page", resp.StatusCode, body)
	}
	h.serve("/clients/good.json", "max-age=60", doc)

	// A client row deleted meanwhile (administrator, other replica) is
	// fetched again, although the document is still fresh.
	if err := e.st.DeleteClient(ctx, id); err != nil {
		t.Fatal(err)
	}
	if resp, body := e.authorizeRaw(conf, oauth2.GenerateVerifier()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize after the row was deleted: %d %s", resp.StatusCode, body)
	}
	if n := h.count("/clients/good.json"); n != 5 {
		t.Errorf("fetches after the row was deleted = %d, want 5", n)
	}
}

// TestCIMDRefused: documents and client ids that must not yield a client.
// Every refusal is an error page (never a redirect: the redirect URIs are
// unknown).
func TestCIMDRefused(t *testing.T) {
	h := newCIMDHost(t)
	big := goodDoc(h.url("/big.json"))
	big["padding"] = strings.Repeat("x", cimdMaxBytes)
	h.serve("/big.json", "", big)
	mismatch := goodDoc(h.url("/other.json"))
	h.serve("/mismatch.json", "", mismatch)
	h.serve("/good.json", "", goodDoc(h.url("/good.json")))
	secret := goodDoc(h.url("/secret.json"))
	secret["client_secret"] = "s3cret"
	h.serve("/secret.json", "", secret)
	confidential := goodDoc(h.url("/confidential.json"))
	confidential["token_endpoint_auth_method"] = "client_secret_basic"
	h.serve("/confidential.json", "", confidential)
	badRedirect := goodDoc(h.url("/badredirect.json"))
	badRedirect["redirect_uris"] = []string{"javascript:alert(1)"}
	h.serve("/badredirect.json", "", badRedirect)
	h.handle("/redirect.json", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/good.json", http.StatusFound)
	})
	h.handle("/slow.json", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})

	e := newCIMDEnv(t, h, true)
	e.srv.cimd.timeout = 300 * time.Millisecond
	strict := newCIMDEnv(t, h, false)

	for _, c := range []struct {
		name     string
		env      *env
		clientID string
		redirect string
		want     string // in the error body
		fetch    string // path that must not have been fetched ("" = skip)
	}{
		{"document client_id differs from its URL", e, h.url("/mismatch.json"), publicRequested, "not the document URL", ""},
		{"redirect_uri not in the document", e, h.url("/good.json"), "http://localhost:1/other", "redirect_uri is not registered", ""},
		{"document larger than 5 KiB", e, h.url("/big.json"), publicRequested, "larger than", ""},
		{"redirect from the document host", e, h.url("/redirect.json"), publicRequested, "redirect", ""},
		{"slow document times out", e, h.url("/slow.json"), publicRequested, "fetch failed", ""},
		{"document with a client secret", e, h.url("/secret.json"), publicRequested, "client secret", ""},
		{"confidential auth method", e, h.url("/confidential.json"), publicRequested, "not supported", ""},
		{"invalid redirect URI in the document", e, h.url("/badredirect.json"), publicRequested, "invalid_redirect_uri", ""},
		{"http client_id", e, strings.Replace(h.url("/good.json"), "https://", "http://", 1), publicRequested, "must be an https URL", ""},
		{"client_id without a path", e, h.ts.URL, publicRequested, "has no path", ""},
		{"client_id with a fragment", e, h.url("/good.json#x"), publicRequested, "fragment", ""},
		{"client_id not in canonical form", e, strings.Replace(h.url("/good.json"), "https://", "HTTPS://", 1), publicRequested, "canonical", ""},
		{"client_id with a dot segment", e, h.url("/a/../good.json"), publicRequested, "dot segment", ""},
		{"loopback address refused without the test option", strict, h.url("/good.json"), publicRequested, "not public", "/good.json"},
		{"name resolving to loopback refused", strict, strings.Replace(h.url("/good.json"), "127.0.0.1", "localhost", 1), publicRequested, "not public", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.env.t = t
			before := 0
			if c.fetch != "" {
				before = h.count(c.fetch)
			}
			start := time.Now()
			resp, body := c.env.authorizeRaw(c.env.cimdConfig(c.clientID, c.redirect), oauth2.GenerateVerifier())
			if resp.StatusCode < 400 || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d Location %q, want an error page", resp.StatusCode, resp.Header.Get("Location"))
			}
			if !strings.Contains(body, c.want) {
				t.Errorf("body %s, want it to mention %q", body, c.want)
			}
			if time.Since(start) > 2*time.Second {
				t.Errorf("refusal took %v", time.Since(start))
			}
			if c.fetch != "" && h.count(c.fetch) != before {
				t.Errorf("%s was fetched although the address is refused", c.fetch)
			}
			if _, err := c.env.st.LookupClient(context.Background(), c.clientID); c.want != "redirect_uri is not registered" && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a client row exists for a refused document (err %v)", err)
			}
		})
	}

	// /token refuses a refused document too, before fosite runs.
	t.Run("token endpoint", func(t *testing.T) {
		e.t = t
		status, body, _ := e.post("/token", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "code_verifier": {"y"}, "client_id": {h.url("/mismatch.json")}}, "", "")
		if status != http.StatusUnauthorized || str(body, "error") != "invalid_client" {
			t.Errorf("token: %d %v, want 401 invalid_client", status, body)
		}
	})
}

// TestCIMDCacheHeaders: the freshness taken from Cache-Control.
func TestCIMDCacheHeaders(t *testing.T) {
	for _, c := range []struct {
		cc   string
		want time.Duration
	}{
		{"", cimdDefaultTTL},
		{"public, max-age=120", 2 * time.Minute},
		{"max-age=999999999", cimdMaxTTL},
		{"no-store", 0},
		{"no-cache, max-age=60", 0},
		{"max-age=0", 0},
		{"max-age=abc", cimdDefaultTTL},
	} {
		h := http.Header{}
		if c.cc != "" {
			h.Set("Cache-Control", c.cc)
		}
		if got := cacheTTL(h); got != c.want {
			t.Errorf("cacheTTL(%q) = %v, want %v", c.cc, got, c.want)
		}
	}
}

// TestIsPublicAddr: SSRF address classification, IPv4 and IPv6.
func TestIsPublicAddr(t *testing.T) {
	for _, c := range []struct {
		ip     string
		public bool
	}{
		{"8.8.8.8", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true},
		{"127.0.0.1", false},
		{"127.1.2.3", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"::ffff:10.0.0.1", false},
		{"169.254.169.254", false},
		{"fe80::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"100.64.0.1", false},
		{"192.0.2.1", false},
		{"255.255.255.255", false},
		{"64:ff9b::a00:1", false},
		{"2002:a00:1::1", false},
		{"2001:db8::1", false},
		{"fec0::1", false},
	} {
		if got := isPublicAddr(netip.MustParseAddr(c.ip)); got != c.public {
			t.Errorf("isPublicAddr(%s) = %v, want %v", c.ip, got, c.public)
		}
	}
}

// TestSafeDialerRefusesLoopback: the dialer itself refuses a loopback
// address (as a literal and through the resolver).
func TestSafeDialerRefusesLoopback(t *testing.T) {
	d := &safeDialer{}
	for _, addr := range []string{"127.0.0.1:443", "[::1]:443", "localhost:443", "[::ffff:127.0.0.1]:443"} {
		if _, err := d.DialContext(context.Background(), "tcp", addr); !errors.Is(err, errNonPublicAddress) {
			t.Errorf("dial %s: %v, want errNonPublicAddress", addr, err)
		}
	}
	if err := d.control("tcp", "10.0.0.1:443", nil); !errors.Is(err, errNonPublicAddress) {
		t.Errorf("control 10.0.0.1: %v, want errNonPublicAddress", err)
	}
}

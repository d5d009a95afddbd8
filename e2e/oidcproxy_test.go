//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/oauthserver/oauthtest"
)

// browserTimeout bounds how long mcp-remote may take to ask for a browser
// (discovery and dynamic client registration happen first).
const browserTimeout = 30 * time.Second

// accessTokenTTL is the access-token lifetime the oidcproxy tests configure,
// short enough that a test can wait for it and see mcp-remote refresh.
const accessTokenTTL = 10 * time.Second

// devIdPConfig writes a zscaler-mcp config with one dev IdP (loopback
// only: it signs in anyone under any user name) and a short access-token
// lifetime.
func devIdPConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "zscaler-mcp.yaml")
	yaml := fmt.Sprintf("idps:\n  - id: dev\n    type: dev\noauth:\n  access_token_ttl: %s\n", accessTokenTTL)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitBrowser waits for mcp-remote to hand the fake browser a URL.
func waitBrowser(t *testing.T, p *proxy, srv *server) *url.URL {
	t.Helper()
	deadline := time.Now().Add(browserTimeout)
	for {
		if got := p.browserOpened(); got != "" {
			u, err := url.Parse(strings.Fields(got)[0])
			if err != nil {
				t.Fatalf("the fake browser got %q: %v", got, err)
			}
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("mcp-remote did not open a browser within %s\n--- mcp-remote stderr:\n%s\n--- zscaler-mcp stderr:\n%s", browserTimeout, p.Stderr, srv.Stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var (
	reHidden     = regexp.MustCompile(`<input[^>]*type="hidden"[^>]*>`)
	reInputName  = regexp.MustCompile(`name="([^"]*)"`)
	reInputValue = regexp.MustCompile(`value="([^"]*)"`)
	reFormAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
)

// formOf returns the first form's action (resolved against at) and its
// hidden fields.
func formOf(t *testing.T, at *url.URL, body string) (*url.URL, url.Values) {
	t.Helper()
	action := at
	if m := reFormAction.FindStringSubmatch(body); m != nil {
		a, err := at.Parse(htmlUnescape(m[1]))
		if err != nil {
			t.Fatalf("form action %q: %v", m[1], err)
		}
		action = a
	}
	v := url.Values{}
	for _, in := range reHidden.FindAllString(body, -1) {
		n, val := reInputName.FindStringSubmatch(in), reInputValue.FindStringSubmatch(in)
		if n == nil {
			continue
		}
		value := ""
		if val != nil {
			value = htmlUnescape(val[1])
		}
		v.Set(n[1], value)
	}
	return action, v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// signIn plays the user: authorization URL → dev form (POST username) →
// /auth/callback → consent page (POST approve) → 303 to mcp-remote's
// loopback callback, which it follows so mcp-remote receives the code.
// It returns the authorization response URL.
func signIn(t *testing.T, authURL *url.URL, username string) *url.URL {
	t.Helper()
	b := oauthtest.NewBrowser(t)
	never := func(*url.URL) bool { return false }

	resp, body, at := b.Follow(authURL.String(), never)
	if resp.StatusCode != http.StatusOK || !strings.Contains(at.Path, "/auth/dev/") {
		t.Fatalf("expected the dev IdP's form, got %d at %s: %.400s", resp.StatusCode, at, body)
	}
	action, form := formOf(t, at, body)
	form.Set("username", username)
	form.Set("action", "signin")
	resp, body = b.Post(action.String(), form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dev form POST to %s: %d %.400s", action, resp.StatusCode, body)
	}
	next, err := action.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp, body, at = b.Follow(next.String(), never)
	if resp.StatusCode != http.StatusOK || at.Path != "/consent" {
		t.Fatalf("expected the consent page, got %d at %s: %.400s", resp.StatusCode, at, body)
	}
	action, form = formOf(t, at, body)
	if form.Get("csrf_token") == "" {
		t.Fatalf("consent page without csrf_token: %.400s", body)
	}
	form.Set("decision", "approve")
	resp, body = b.Post(action.String(), form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent POST: %d %.400s", resp.StatusCode, body)
	}
	cb, err := action.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	// The browser lands on mcp-remote's own callback server.
	resp, body, _ = b.Follow(cb.String(), never)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mcp-remote's callback %s answered %d: %.400s", cb, resp.StatusCode, body)
	}
	return cb
}

// TestMCPRemoteOIDCProxy lets the real mcp-remote run the whole OAuth flow
// against oidcproxy mode with a dev IdP: 401 → RFC 9728 / RFC 8414
// discovery → dynamic client registration → browser (played here) →
// code exchange → MCP calls with the access token. A second mcp-remote
// with the same token store then connects without a browser.
func TestMCPRemoteOIDCProxy(t *testing.T) {
	for _, r := range []route{httpOnly, sseOnly} {
		t.Run(r.Name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			srv := startServer(t, "", r.ServerTransport, map[string]string{"ZSCALER_MCP_CONFIG": devIdPConfig(t)})
			if !strings.Contains(srv.Stderr.String(), "auth_mode=oidcproxy") {
				t.Fatalf("the server is not in oidcproxy mode:\n%s", srv.Stderr)
			}
			cbPort := freePort(t)
			store := filepath.Join(t.TempDir(), "mcp-auth")
			// mcp-remote URL [callback-port] flags...
			args := append([]string{fmt.Sprintf(r.URL, srv.Port), fmt.Sprint(cbPort)}, r.Flags...)
			args = append(args, "--auth-timeout", "60")
			const user = "alice"

			p := startProxy(t, args, "MCP_REMOTE_CONFIG_DIR="+store)
			authURL := waitBrowser(t, p, srv)
			t.Logf("mcp-remote opened %s", authURL)
			q := authURL.Query()
			wantRedirect := fmt.Sprintf("http://localhost:%d/oauth/callback", cbPort)
			if got := q.Get("redirect_uri"); got != wantRedirect {
				t.Errorf("redirect_uri = %q, want %q", got, wantRedirect)
			}
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
				t.Errorf("authorization request without PKCE S256: %s", authURL)
			}
			// RFC 8707: the resource is the URL mcp-remote was given.
			if got, want := q.Get("resource"), fmt.Sprintf(r.URL, srv.Port); got != want {
				t.Errorf("resource = %q, want %q", got, want)
			}
			clientID := q.Get("client_id")
			if clientID == "" {
				t.Fatalf("authorization request without client_id: %s", authURL)
			}
			if browserMode(t) == "chromium" {
				signInChromium(t, authURL, user, artifactsDir(t))
			} else {
				cb := signIn(t, authURL, user)
				t.Logf("consent redirected to %s://%s%s (code, state, iss, scope)", cb.Scheme, cb.Host, cb.Path)
				if cb.Query().Get("code") == "" || cb.Query().Get("state") != q.Get("state") {
					t.Errorf("authorization response %s does not answer state %q", cb, q.Get("state"))
				}
			}

			check := func(w whoamiResult) {
				t.Helper()
				eq := func(what, got, want string) {
					t.Helper()
					if got != want {
						t.Errorf("whoami %s = %q, want %q (full result %+v)", what, got, want, w)
					}
				}
				eq("mode", w.Mode, "oidcproxy")
				eq("subject", w.Subject, "dev|"+user)
				eq("idp", w.IdP, "dev")
				eq("client_id", w.ClientID, clientID)
				if len(w.Scopes) == 0 {
					t.Errorf("whoami scopes empty: %+v", w)
				}
			}
			w := session(t, p, srv)
			check(w)
			t.Logf("whoami: %+v", w)

			// Let the access token expire; the next call gets a 401 and
			// mcp-remote must use the refresh grant, not the browser.
			exp, err := time.Parse(time.RFC3339, w.Expires)
			if err != nil {
				t.Fatalf("whoami expires_at %q: %v", w.Expires, err)
			}
			if left := time.Until(exp); left > accessTokenTTL+time.Second {
				t.Fatalf("the access token expires in %s, want at most %s", left, accessTokenTTL)
			}
			// mcp-remote 0.15.1 also refreshes ahead of expiry ("Refreshed the
			// access token before it expired"), which with a 10 s lifetime
			// happens on nearly every request: count from here.
			before, firstToken := tokenRequests(t, srv), storedAccessToken(t, store)
			if before < 1 {
				t.Errorf("%d successful POST /token before the refresh, want >= 1 (the code exchange)", before)
			}
			wait := time.Until(exp) + time.Second
			t.Logf("waiting %s for the access token to expire", wait.Round(time.Millisecond))
			time.Sleep(wait)
			w2 := callWhoami(t, p, srv)
			check(w2)
			if w2.Expires == w.Expires {
				t.Errorf("whoami after expiry still reports the old token (expires_at %s)", w.Expires)
			}
			if after := tokenRequests(t, srv); after < 2 || after <= before {
				t.Errorf("%d successful POST /token after the token expired (%d before), want a refresh: >= 2 and more than before\n%s", after, before, p.Stderr)
			}
			if storedAccessToken(t, store) == firstToken {
				t.Errorf("mcp-remote's token store still holds the first access token after the refresh")
			}
			if got := p.browserOpened(); strings.Count(got, "\n") != 0 {
				t.Errorf("mcp-remote opened the browser again instead of refreshing:\n%s", got)
			}
			if !strings.Contains(p.Stderr.String(), "Refreshed the access token") {
				t.Logf("note: mcp-remote logged no refresh:\n%s", p.Stderr)
			}
			t.Logf("after expiry: whoami expires_at %s (was %s), successful POST /token %d (was %d)", w2.Expires, w.Expires, tokenRequests(t, srv), before)
			if want := "between local STDIO and remote " + r.Remote; !strings.Contains(p.Stderr.String(), want) {
				t.Errorf("mcp-remote did not use %s:\n%s", r.Remote, p.Stderr)
			}
			// Over streamable HTTP, mcp-remote's tool calls take the direct
			// path (resource/direct.go); over SSE there is none.
			direct := metricSum(t, srv, "zscaler_mcp_direct_tool_calls_total")
			if wantDirect := r.Remote == streamableClass; (direct > 0) != wantDirect {
				t.Errorf("%d tool calls served by the direct path over %s", direct, r.Remote)
			}
			if err := p.Close(); err != nil {
				t.Errorf("mcp-remote did not exit cleanly when its stdin closed: %v\n%s", err, p.Stderr)
			}
			t.Logf("first run (with sign-in) took %s", time.Since(start).Round(time.Millisecond))

			// Same token store: the stored tokens are reused, no browser.
			p2 := startProxy(t, args, "MCP_REMOTE_CONFIG_DIR="+store)
			check(session(t, p2, srv))
			if !strings.Contains(srv.Stderr.String(), `client_name="MCP CLI Proxy"`) {
				t.Errorf("the server logged no dynamic registration of mcp-remote:\n%s", srv.Stderr)
			}
			if n := strings.Count(srv.Stderr.String(), "oauthserver: client registered"); n != 1 {
				t.Errorf("%d client registrations, want 1 (the second run reuses the first):\n%s", n, srv.Stderr)
			}
			if got := p2.browserOpened(); got != "" {
				t.Errorf("the second mcp-remote opened a browser at %s\n%s", got, p2.Stderr)
			}
			if err := p2.Close(); err != nil {
				t.Errorf("the second mcp-remote did not exit cleanly: %v\n%s", err, p2.Stderr)
			}
		})
	}
}

// --- the real browser ---------------------------------------------------

// browserMode is how the tests play the user's browser:
// ZSCALER_MCP_E2E_BROWSER=chromium runs a real headless Chromium
// (browser.js, playwright-core), =http an http.Client. The default is
// chromium under CI (CI set) and http otherwise.
func browserMode(t *testing.T) string {
	t.Helper()
	switch m := os.Getenv("ZSCALER_MCP_E2E_BROWSER"); m {
	case "chromium", "http":
		return m
	case "":
		if os.Getenv("CI") != "" {
			return "chromium"
		}
		return "http"
	default:
		t.Fatalf("ZSCALER_MCP_E2E_BROWSER=%q: want chromium or http", m)
		return ""
	}
}

// artifactsDir is where screenshots are kept: $ZSCALER_MCP_ARTIFACTS, or
// e2e/artifacts (gitignored), under a directory named after the test.
func artifactsDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("ZSCALER_MCP_ARTIFACTS")
	if base == "" {
		base = "artifacts" // go test runs in e2e/
	}
	dir, err := filepath.Abs(filepath.Join(base, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())))
	if err != nil {
		t.Fatal(err)
	}
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserRunTimeout bounds node browser.js (it gives up after 60 s itself).
const browserRunTimeout = 90 * time.Second

// signInChromium runs e2e/browser.js: headless Chromium opens authURL,
// signs in on the dev form as username, approves consent and lands on
// mcp-remote's loopback callback page. Screenshots go to shots.
func signInChromium(t *testing.T, authURL *url.URL, username, shots string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserRunTimeout)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, nodeBin, "browser.js", authURL.String(), shots, username)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node browser.js: %v\n--- stdout:\n%s\n--- stderr:\n%s", err, &stdout, &stderr)
	}
	t.Logf("headless Chromium signed in and approved in %s: %s (screenshots in %s)",
		time.Since(start).Round(time.Millisecond), strings.TrimSpace(stdout.String()), shots)
	for _, f := range []string{"1-dev-form.png", "2-consent.png", "3-callback.png"} {
		if fi, err := os.Stat(filepath.Join(shots, f)); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s missing or empty: %v", f, err)
		}
	}
}

// callWhoami runs tools/call whoami through an initialized mcp-remote.
func callWhoami(t *testing.T, p *proxy, srv *server) whoamiResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
	defer cancel()
	res, err := p.Client.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "whoami"}})
	if err != nil || res.IsError {
		t.Fatalf("tools/call whoami: %v %+v\n--- mcp-remote stderr:\n%s\n--- zscaler-mcp stderr:\n%s", err, res, p.Stderr, srv.Stderr)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	var w whoamiResult
	if err := json.Unmarshal([]byte(text.String()), &w); err != nil {
		t.Fatalf("whoami result %q: %v", text.String(), err)
	}
	return w
}

// tokenRequests reads the server's /metrics and returns how many POST
// /token requests it answered with 200.
func tokenRequests(t *testing.T, srv *server) int {
	t.Helper()
	return metricSum(t, srv, "zscaler_mcp_http_requests_total{", `route="/token"`, `method="POST"`, `status="200"`)
}

// metricSum reads the server's /metrics and adds up the series whose line
// starts with prefix and contains every one of labels.
func metricSum(t *testing.T, srv *server, prefix string, labels ...string) int {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", srv.Port))
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	n := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
lines:
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue lines
			}
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		n += int(v)
	}
	return n
}

// storedAccessToken returns the access token mcp-remote keeps in its token
// store (MCP_REMOTE_CONFIG_DIR/mcp-remote-VERSION/HASH_tokens.json).
func storedAccessToken(t *testing.T, store string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(store, "*", "*_tokens.json"))
	if len(files) != 1 {
		t.Fatalf("want one token file in %s, found %v", store, files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil {
		t.Fatalf("%s: %v", files[0], err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("%s holds no access and refresh token", files[0])
	}
	return tok.AccessToken
}

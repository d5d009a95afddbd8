//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// Bounds on every wait, so no test hangs.
const (
	serverStartTimeout = 10 * time.Second
	serverStopTimeout  = 5 * time.Second // the server runs with --shutdown-timeout 3s
	// sessionTimeout bounds one whole mcp-remote session: start-up,
	// initialize, tools/list and tools/call. Closing mcp-remote takes at
	// most 8 s more (mcp-go's stdio transport: stdin EOF, SIGTERM, SIGKILL).
	sessionTimeout = 20 * time.Second
	// failTimeout bounds how long mcp-remote may take to give up on
	// credentials the server refuses (it takes well under a second).
	failTimeout = 15 * time.Second
)

// Set by TestMain.
var (
	serverBin        string // zscaler-mcp built from this tree
	nodeBin          string
	proxyJS          string // mcp-remote's "mcp-remote" bin entry
	mcpRemoteVersion string
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "zscaler-mcp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := setup(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: mcp-remote %s (%s) on %s\n", mcpRemoteVersion, proxyJS, nodeBin)
	return m.Run()
}

// setup finds node and mcp-remote and builds zscaler-mcp into dir.
func setup(dir string) error {
	var err error
	if nodeBin = os.Getenv("NODE"); nodeBin == "" {
		if nodeBin, err = exec.LookPath("node"); err != nil {
			return fmt.Errorf("node is not on PATH (Node >= 18 is needed; or set NODE): %v", err)
		}
	}
	base := os.Getenv("MCP_REMOTE_DIR")
	if base == "" {
		base = "." // go test runs in e2e/, where setup.sh installs
	}
	pkgDir, err := filepath.Abs(filepath.Join(base, "node_modules", "mcp-remote"))
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return fmt.Errorf("mcp-remote not found (run bash e2e/setup.sh, or set MCP_REMOTE_DIR to a directory holding node_modules/mcp-remote): %v", err)
	}
	var pkg struct {
		Version string            `json:"version"`
		Bin     map[string]string `json:"bin"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(pkgDir, "package.json"), err)
	}
	if pkg.Bin["mcp-remote"] == "" {
		return fmt.Errorf("%s has no mcp-remote bin entry", filepath.Join(pkgDir, "package.json"))
	}
	mcpRemoteVersion = pkg.Version
	proxyJS = filepath.Join(pkgDir, pkg.Bin["mcp-remote"])
	if _, err := os.Stat(proxyJS); err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	serverBin = filepath.Join(dir, "zscaler-mcp")
	build := exec.CommandContext(ctx, "go", "build", "-o", serverBin, "github.com/zscalermcp/zscaler-mcp/cmd/zscaler-mcp")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/zscaler-mcp: %v\n%s", err, out)
	}
	return nil
}

// syncBuffer is a goroutine-safe bytes.Buffer for captured output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// --- zscaler-mcp --------------------------------------------------------

type server struct {
	Port   int
	Stderr *syncBuffer
}

var bindRE = regexp.MustCompile(`bind=http://(?:127\.0\.0\.1|\[::1\]):([0-9]+)`)

// startServer runs the built binary with --transport tr on an ephemeral
// port of host (127.0.0.1 when ""). Its environment is env alone (plus
// PATH and a scratch HOME), so nothing from the developer's shell changes
// the auth mode.
func startServer(t *testing.T, host, tr string, env map[string]string) *server {
	t.Helper()
	home := t.TempDir()
	if host == "" {
		host = "127.0.0.1"
	}
	cmd := exec.Command(serverBin, "--transport", tr, "--host", host, "--port", "0", "--shutdown-timeout", "3s", "--data-dir", filepath.Join(home, "data"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &server{Stderr: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = s.Stderr, s.Stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start zscaler-mcp: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("zscaler-mcp exited with %v on SIGTERM:\n%s", err, s.Stderr)
			}
		case <-time.After(serverStopTimeout):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("zscaler-mcp did not stop within %s of SIGTERM:\n%s", serverStopTimeout, s.Stderr)
		}
	})
	deadline := time.After(serverStartTimeout)
	for {
		if m := bindRE.FindStringSubmatch(s.Stderr.String()); m != nil {
			s.Port, _ = strconv.Atoi(m[1])
			return s
		}
		select {
		case err := <-done:
			done <- err // for the cleanup
			t.Fatalf("zscaler-mcp exited (%v) before starting:\n%s", err, s.Stderr)
		case <-deadline:
			t.Fatalf("zscaler-mcp did not print its bind address within %s:\n%s", serverStartTimeout, s.Stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// --- mcp-remote ---------------------------------------------------------

type proxy struct {
	Client *client.Client
	Stderr *syncBuffer
	// browserMarker is written by the fake browser if mcp-remote tries to
	// open one.
	browserMarker string
	closeOnce     sync.Once
	closeErr      error
}

// startProxy spawns `node <mcp-remote> args...` the way a stdio MCP host
// does and wraps its stdin/stdout in an mcp-go stdio client. mcp-remote
// gets a scratch HOME and MCP_REMOTE_CONFIG_DIR (no token store is shared
// between tests or with the developer's ~/.mcp-auth) and a BROWSER that
// only records that it was called, so nothing is ever opened.
func startProxy(t *testing.T, args []string, extraEnv ...string) *proxy {
	t.Helper()
	home := t.TempDir()
	p := &proxy{Stderr: &syncBuffer{}, browserMarker: filepath.Join(home, "browser-was-opened")}
	browser := filepath.Join(home, "fake-browser")
	script := "#!/bin/sh\necho \"$@\" >> '" + p.browserMarker + "'\nexit 0\n"
	if err := os.WriteFile(browser, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"MCP_REMOTE_CONFIG_DIR=" + filepath.Join(home, "mcp-auth"),
		"BROWSER=" + browser,
	}
	env = append(env, extraEnv...)
	cmdFunc := func(_ context.Context, command string, env []string, args []string) (*exec.Cmd, error) {
		cmd := exec.Command(command, args...)
		cmd.Env = env // exactly these: no DISPLAY, no proxy settings, no real HOME
		cmd.Stderr = p.Stderr
		cmd.WaitDelay = 2 * time.Second
		return cmd, nil
	}
	c, err := client.NewStdioMCPClientWithOptions(nodeBin, env, append([]string{proxyJS}, args...),
		transport.WithCommandFunc(cmdFunc))
	if err != nil {
		t.Fatalf("spawn mcp-remote: %v", err)
	}
	p.Client = c
	t.Cleanup(func() { p.Close() })
	return p
}

// Close closes mcp-remote's stdin and waits for it to exit (the transport
// sends SIGTERM after 2 s and SIGKILL after 3 s more). It returns the exit
// error of the process.
func (p *proxy) Close() error {
	p.closeOnce.Do(func() { p.closeErr = p.Client.Close() })
	return p.closeErr
}

// browserOpened returns what the fake browser was asked to open, if anything.
func (p *proxy) browserOpened() string {
	b, _ := os.ReadFile(p.browserMarker)
	return strings.TrimSpace(string(b))
}

func initRequest() mcp.InitializeRequest {
	return mcp.InitializeRequest{Params: mcp.InitializeParams{
		// What current desktop hosts send; mcp-remote (--protocol legacy,
		// its default) passes initialize through unchanged.
		ProtocolVersion: mcp.LATEST_LEGACY_PROTOCOL_VERSION,
		ClientInfo:      mcp.Implementation{Name: "zscaler-mcp-e2e", Version: "1"},
	}}
}

// whoamiResult mirrors resource.WhoamiResult (kept separate so this package
// tests the wire format, not the Go type).
type whoamiResult struct {
	Mode     string   `json:"mode"`
	Subject  string   `json:"subject"`
	ClientID string   `json:"client_id"`
	Issuer   string   `json:"issuer"`
	Scopes   []string `json:"scopes"`
	Expires  string   `json:"expires_at"`
	IdP      string   `json:"idp"`
}

// session runs initialize → tools/list → tools/call whoami through p.
func session(t *testing.T, p *proxy, srv *server) whoamiResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
	defer cancel()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\n--- mcp-remote stderr:\n%s\n--- zscaler-mcp stderr:\n%s", fmt.Sprintf(format, args...), p.Stderr, srv.Stderr)
	}
	ir, err := p.Client.Initialize(ctx, initRequest())
	if err != nil {
		fail("initialize through mcp-remote: %v", err)
	}
	if ir.ServerInfo.Name != "zscaler-mcp" {
		fail("serverInfo.name = %q, want zscaler-mcp", ir.ServerInfo.Name)
	}
	if ir.ProtocolVersion != mcp.LATEST_LEGACY_PROTOCOL_VERSION {
		fail("negotiated protocol %q, want %q", ir.ProtocolVersion, mcp.LATEST_LEGACY_PROTOCOL_VERSION)
	}
	tools, err := p.Client.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		fail("tools/list: %v", err)
	}
	if !slices.ContainsFunc(tools.Tools, func(tl mcp.Tool) bool { return tl.Name == "whoami" }) {
		fail("whoami not in tools/list: %+v", tools.Tools)
	}
	res, err := p.Client.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "whoami"}})
	if err != nil {
		fail("tools/call whoami: %v", err)
	}
	if res.IsError {
		fail("whoami returned a tool error: %+v", res.Content)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	var w whoamiResult
	if err := json.Unmarshal([]byte(text.String()), &w); err != nil {
		fail("whoami result %q: %v", text.String(), err)
	}
	return w
}

// --- fixtures: one per client-auth mode ---------------------------------

// identity is what whoami must report ("" fields are not checked, except
// that issuer and client id must then be absent).
type identity struct {
	Mode, Subject, ClientID, Issuer string
}

// fixture is a configured auth mode: the server's environment, and the
// mcp-remote arguments (and environment) a user passes to authenticate.
type fixture struct {
	ServerEnv map[string]string
	Args      []string
	ProxyEnv  []string
	Want      identity
	// Secrets must appear in no log of the server.
	Secrets []string
}

// A fixed, valid API key (64 hex chars as --generate-auth-token makes).
var (
	apiKey      = strings.Repeat("0123456789abcdef", 4)
	otherAPIKey = strings.Repeat("fedcba9876543210", 4)
)

// apiKeySubject is the subject the api-key validator reports for key.
func apiKeySubject(key string) string {
	h := sha256.Sum256([]byte(key))
	return "api-key:" + hex.EncodeToString(h[:4])
}

func fixtureNone(*testing.T) fixture {
	return fixture{Want: identity{Mode: "none", Subject: "anonymous"}}
}

// fixtureAPIKeyBearer is the README's form: --header "Authorization: Bearer KEY".
func fixtureAPIKeyBearer(*testing.T) fixture {
	return fixture{
		ServerEnv: map[string]string{"ZSCALER_MCP_AUTH_API_KEY": apiKey},
		Args:      []string{"--header", "Authorization: Bearer " + apiKey},
		Want:      identity{Mode: "api-key", Subject: apiKeySubject(apiKey)},
		Secrets:   []string{apiKey},
	}
}

// fixtureAPIKeyHeader uses the second key of a list, sent as X-Api-Key in
// mcp-remote's compact "Name:value" form.
func fixtureAPIKeyHeader(*testing.T) fixture {
	return fixture{
		ServerEnv: map[string]string{"ZSCALER_MCP_AUTH_API_KEY": otherAPIKey + "," + apiKey},
		Args:      []string{"--header", "X-Api-Key:" + apiKey},
		Want:      identity{Mode: "api-key", Subject: apiKeySubject(apiKey)},
		Secrets:   []string{apiKey, otherAPIKey},
	}
}

// fixtureAPIKeyEnvHeader is the workaround mcp-remote documents for hosts
// that mangle spaces in args: "Authorization:${VAR}" with VAR="Bearer KEY"
// in the host's env block. mcp-remote expands ${VAR} itself.
func fixtureAPIKeyEnvHeader(*testing.T) fixture {
	return fixture{
		ServerEnv: map[string]string{"ZSCALER_MCP_AUTH_API_KEY": apiKey},
		Args:      []string{"--header", "Authorization:${ZSCALER_MCP_AUTH_HEADER}"},
		ProxyEnv:  []string{"ZSCALER_MCP_AUTH_HEADER=Bearer " + apiKey},
		Want:      identity{Mode: "api-key", Subject: apiKeySubject(apiKey)},
		Secrets:   []string{apiKey},
	}
}

// fixtureAPIKeyHeaderFile keeps the key out of the process list with
// --header-file.
func fixtureAPIKeyHeaderFile(t *testing.T) fixture {
	path := filepath.Join(t.TempDir(), "headers.txt")
	body := "# zscaler-mcp credentials\nAuthorization: Bearer " + apiKey + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return fixture{
		ServerEnv: map[string]string{"ZSCALER_MCP_AUTH_API_KEY": apiKey},
		Args:      []string{"--header-file", path},
		Want:      identity{Mode: "api-key", Subject: apiKeySubject(apiKey)},
		Secrets:   []string{apiKey},
	}
}

// idp is a loopback JWKS publisher that mints tokens with its key.
type idp struct {
	URL    string
	signer jose.Signer
}

const (
	jwtIssuer   = "https://idp.e2e.test"
	jwtAudience = "zscaler-mcp-e2e"
)

// newIdP serves a JWKS with one key (RS256 or ES256) on 127.0.0.1.
func newIdP(t *testing.T, alg jose.SignatureAlgorithm) *idp {
	t.Helper()
	var key crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("unsupported alg %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	kid := "e2e-" + strings.ToLower(string(alg))
	jwk := jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg), Use: "sig"}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jwk}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(set)
	}))
	t.Cleanup(srv.Close)
	return &idp{URL: srv.URL + "/jwks.json", signer: signer}
}

func (i *idp) mint(t *testing.T, sub, clientID string) string {
	t.Helper()
	now := time.Now()
	claims := struct {
		jwt.Claims
		ClientID string `json:"client_id"`
	}{
		Claims: jwt.Claims{
			Issuer: jwtIssuer, Subject: sub, Audience: jwt.Audience{jwtAudience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			Expiry: jwt.NewNumericDate(now.Add(10 * time.Minute)),
		},
		ClientID: clientID,
	}
	tok, err := jwt.Signed(i.signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func jwtServerEnv(i *idp) map[string]string {
	return map[string]string{
		"ZSCALER_MCP_AUTH_JWKS_URI": i.URL,
		"ZSCALER_MCP_AUTH_ISSUER":   jwtIssuer,
		"ZSCALER_MCP_AUTH_AUDIENCE": jwtAudience,
	}
}

func fixtureJWT(alg jose.SignatureAlgorithm) func(*testing.T) fixture {
	return func(t *testing.T) fixture {
		i := newIdP(t, alg)
		sub := "user-" + strings.ToLower(string(alg)) + "@e2e.test"
		tok := i.mint(t, sub, "e2e-desktop")
		return fixture{
			ServerEnv: jwtServerEnv(i),
			Args:      []string{"--header", "Authorization: Bearer " + tok},
			Want:      identity{Mode: "jwt", Subject: sub, ClientID: "e2e-desktop", Issuer: jwtIssuer},
			Secrets:   []string{tok},
		}
	}
}

// zscalerIdP is a loopback stand-in for the ZIdentity token endpoint: it
// answers client_credentials requests for one client.
type zscalerIdP struct {
	URL              string
	ClientID, Secret string
	Issuer           string
	requests         atomic.Int64
}

func newZscalerIdP(t *testing.T) *zscalerIdP {
	t.Helper()
	z := &zscalerIdP{ClientID: "e2e-client-42", Secret: "e2e-secret-" + strings.Repeat("s", 24), Issuer: "https://e2e.zslogin.test"}
	seg := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	access := seg(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." +
		seg(map[string]any{"iss": z.Issuer, "sub": z.ClientID, "aud": "https://api.zscaler.com", "exp": time.Now().Add(time.Hour).Unix()}) +
		".c2lnbmF0dXJl"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		z.requests.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/oauth2/v1/token" {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.PostForm.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
			return
		}
		if r.PostForm.Get("client_id") != z.ClientID || r.PostForm.Get("client_secret") != z.Secret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"bad client credentials"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(srv.Close)
	z.URL = srv.URL + "/oauth2/v1/token"
	return z
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func zscalerServerEnv(z *zscalerIdP) map[string]string {
	return map[string]string{"ZSCALER_MCP_AUTH_MODE": "zscaler", "ZSCALER_TOKEN_URL": z.URL}
}

func fixtureZscaler(t *testing.T) fixture {
	z := newZscalerIdP(t)
	return fixture{
		ServerEnv: zscalerServerEnv(z),
		Args:      []string{"--header", "Authorization: " + basic(z.ClientID, z.Secret)},
		Want:      identity{Mode: "zscaler", Subject: "zscaler:" + z.ClientID, ClientID: z.ClientID, Issuer: z.Issuer},
		Secrets:   []string{z.Secret},
	}
}

// --- transports ---------------------------------------------------------

// route is how mcp-remote reaches the server: the server's bind address
// and transport, the URL a user writes, and the mcp-remote flags.
type route struct {
	Name            string
	ServerHost      string // "" = 127.0.0.1
	ServerTransport string
	URL             string   // with %d for the port
	Flags           []string // mcp-remote flags after the URL
	// Remote is the mcp-remote transport class that must carry the session.
	Remote string
}

const (
	streamableClass = "StreamableHTTPClientTransport"
	sseClass        = "SSEClientTransport"
)

var (
	httpOnly = route{Name: "http-only", ServerTransport: "streamable-http", URL: "http://localhost:%d/mcp",
		Flags: []string{"--transport", "http-only"}, Remote: streamableClass}
	sseOnly = route{Name: "sse-only", ServerTransport: "sse", URL: "http://localhost:%d/sse",
		Flags: []string{"--transport", "sse-only"}, Remote: sseClass}
	// sseOnlyIP is the same with the IP literal a user may copy from the
	// server's start-up line.
	sseOnlyIP = route{Name: "sse-only-127.0.0.1", ServerTransport: "sse", URL: "http://127.0.0.1:%d/sse",
		Flags: []string{"--transport", "sse-only"}, Remote: sseClass}
	// No --transport at all, as in `npx -y mcp-remote URL --header ...`:
	// mcp-remote's default http-first strategy. On /sse its first POST gets
	// 405 and it falls back to SSE.
	defaultMCP = route{Name: "default-strategy-mcp", ServerTransport: "streamable-http", URL: "http://localhost:%d/mcp",
		Remote: streamableClass}
	defaultSSE = route{Name: "default-strategy-sse", ServerTransport: "sse", URL: "http://localhost:%d/sse",
		Remote: sseClass}
	// mcp-remote takes plain http:// only for the host names localhost and
	// 127.0.0.1; the IPv6 loopback literal needs --allow-http.
	ipv6AllowHTTP = route{Name: "http-only-[::1]-allow-http", ServerHost: "::1", ServerTransport: "streamable-http",
		URL: "http://[::1]:%d/mcp", Flags: []string{"--transport", "http-only", "--allow-http"}, Remote: streamableClass}
	ipv6NoAllowHTTP = route{Name: "http-only-[::1]", ServerHost: "::1", ServerTransport: "streamable-http",
		URL: "http://[::1]:%d/mcp", Flags: []string{"--transport", "http-only"}}
)

func (r route) args(port int) []string {
	return append([]string{fmt.Sprintf(r.URL, port)}, r.Flags...)
}

// --- tests --------------------------------------------------------------

// TestMCPRemote drives the real mcp-remote through initialize → tools/list
// → tools/call whoami against every client-auth mode over both HTTP
// transports, and checks the identity the server saw.
func TestMCPRemote(t *testing.T) {
	type tc struct {
		name    string
		fixture func(*testing.T) fixture
		routes  []route
	}
	both := []route{httpOnly, sseOnly}
	cases := []tc{
		{"none", fixtureNone, both},
		{"api-key-bearer", fixtureAPIKeyBearer, []route{httpOnly, sseOnly, sseOnlyIP, defaultMCP, defaultSSE, ipv6AllowHTTP}},
		{"api-key-x-api-key", fixtureAPIKeyHeader, both},
		{"api-key-env-header", fixtureAPIKeyEnvHeader, []route{httpOnly}},
		{"api-key-header-file", fixtureAPIKeyHeaderFile, []route{httpOnly}},
		{"jwt-rs256", fixtureJWT(jose.RS256), both},
		{"jwt-es256", fixtureJWT(jose.ES256), both},
		{"zscaler", fixtureZscaler, both},
	}
	for _, c := range cases {
		for _, r := range c.routes {
			t.Run(c.name+"/"+r.Name, func(t *testing.T) {
				t.Parallel()
				f := c.fixture(t)
				srv := startServer(t, r.ServerHost, r.ServerTransport, f.ServerEnv)
				p := startProxy(t, append(r.args(srv.Port), f.Args...), f.ProxyEnv...)
				w := session(t, p, srv)
				if want := "between local STDIO and remote " + r.Remote; !strings.Contains(p.Stderr.String(), want) {
					t.Errorf("mcp-remote did not use %s:\n%s", r.Remote, p.Stderr)
				}

				check := func(what, got, want string) {
					t.Helper()
					if got != want {
						t.Errorf("whoami %s = %q, want %q (full result %+v)", what, got, want, w)
					}
				}
				check("mode", w.Mode, f.Want.Mode)
				check("subject", w.Subject, f.Want.Subject)
				check("client_id", w.ClientID, f.Want.ClientID)
				check("issuer", w.Issuer, f.Want.Issuer)
				if !slices.Equal(w.Scopes, []string{"zscaler.read", "zscaler.write"}) {
					t.Errorf("whoami scopes = %v, want [zscaler.read zscaler.write]", w.Scopes)
				}
				if got := p.browserOpened(); got != "" {
					t.Errorf("mcp-remote tried to open a browser at %s", got)
				}
				// A clean shutdown: closing stdin ends mcp-remote by itself.
				if err := p.Close(); err != nil {
					t.Errorf("mcp-remote did not exit cleanly when its stdin closed: %v\n%s", err, p.Stderr)
				}
				for _, s := range f.Secrets {
					if strings.Contains(srv.Stderr.String(), s) {
						t.Errorf("a credential appears in the server's logs:\n%s", srv.Stderr)
					}
				}
			})
		}
	}
}

// Messages mcp-remote 0.15.1 prints on the failures below.
const (
	// After a 401 it tries OAuth: discovery, then dynamic client
	// registration at the server's /register, which zscaler-mcp does not
	// serve in these modes (it is no authorization server).
	msgRefused = "Dynamic Client Registration rejected (HTTP 404)"
	// Plain http:// to anything but localhost or 127.0.0.1.
	msgNeedsAllowHTTP = "Non-HTTPS URLs are only allowed for localhost or when --allow-http flag is provided"
)

// TestMCPRemoteRefused checks that mcp-remote fails fast and cleanly when
// the server refuses its credentials (or it refuses the URL): the host's
// initialize gets an error because the transport closed (it is not left
// waiting), the process exits with status 1 on its own, no browser is
// launched, and the log says why.
func TestMCPRemoteRefused(t *testing.T) {
	type tc struct {
		name    string
		route   route
		setup   func(*testing.T) (serverEnv map[string]string, args []string)
		wantLog []string // the first one is logged
	}
	wrongKey := func(*testing.T) (map[string]string, []string) {
		return map[string]string{"ZSCALER_MCP_AUTH_API_KEY": apiKey},
			[]string{"--header", "Authorization: Bearer " + otherAPIKey}
	}
	cases := []tc{
		{"api-key-wrong-key", httpOnly, wrongKey, []string{msgRefused}},
		{"api-key-wrong-key", sseOnly, wrongKey, []string{msgRefused}},
		{"api-key-wrong-key", defaultSSE, wrongKey, []string{msgRefused}},
		{"api-key-wrong-x-api-key", httpOnly, func(*testing.T) (map[string]string, []string) {
			return map[string]string{"ZSCALER_MCP_AUTH_API_KEY": apiKey}, []string{"--header", "X-Api-Key:" + otherAPIKey}
		}, []string{msgRefused}},
		{"api-key-no-header", httpOnly, func(*testing.T) (map[string]string, []string) {
			return map[string]string{"ZSCALER_MCP_AUTH_API_KEY": apiKey}, nil
		}, []string{msgRefused}},
		{"api-key-header-with-space-in-name", httpOnly, func(*testing.T) (map[string]string, []string) {
			// "Name : value" is not mcp-remote's Name:value form: it warns
			// and sends no header at all.
			return map[string]string{"ZSCALER_MCP_AUTH_API_KEY": apiKey}, []string{"--header", "Authorization : Bearer " + apiKey}
		}, []string{msgRefused, "ignoring a --header argument that is not in Name:Value form"}},
		{"jwt-foreign-key", httpOnly, func(t *testing.T) (map[string]string, []string) {
			trusted, attacker := newIdP(t, jose.ES256), newIdP(t, jose.ES256)
			return jwtServerEnv(trusted), []string{"--header", "Authorization: Bearer " + attacker.mint(t, "mallory", "e2e")}
		}, []string{msgRefused}},
		{"zscaler-wrong-secret", sseOnly, func(t *testing.T) (map[string]string, []string) {
			z := newZscalerIdP(t)
			return zscalerServerEnv(z), []string{"--header", "Authorization: " + basic(z.ClientID, "not-the-secret")}
		}, []string{msgRefused}},
		{"api-key", ipv6NoAllowHTTP, func(*testing.T) (map[string]string, []string) {
			return map[string]string{"ZSCALER_MCP_AUTH_API_KEY": apiKey}, []string{"--header", "Authorization: Bearer " + apiKey}
		}, []string{msgNeedsAllowHTTP}},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+c.route.Name, func(t *testing.T) {
			t.Parallel()
			env, args := c.setup(t)
			srv := startServer(t, c.route.ServerHost, c.route.ServerTransport, env)
			p := startProxy(t, append(c.route.args(srv.Port), args...))
			ctx, cancel := context.WithTimeout(context.Background(), failTimeout)
			defer cancel()
			start := time.Now()
			_, err := p.Client.Initialize(ctx, initRequest())
			elapsed := time.Since(start)
			if err == nil {
				t.Fatalf("initialize succeeded through mcp-remote\n--- mcp-remote stderr:\n%s", p.Stderr)
			}
			if !errors.Is(err, transport.ErrTransportClosed) {
				t.Fatalf("initialize failed with %v after %s, want mcp-remote to exit (transport closed)\n--- mcp-remote stderr:\n%s\n--- zscaler-mcp stderr:\n%s",
					err, elapsed.Round(time.Millisecond), p.Stderr, srv.Stderr)
			}
			// It exited by itself, with status 1, before we closed stdin.
			closeErr := p.Close()
			var exit *exec.ExitError
			if !errors.As(closeErr, &exit) || exit.ExitCode() != 1 {
				t.Errorf("mcp-remote exit = %v, want exit status 1\n%s", closeErr, p.Stderr)
			}
			if got := p.browserOpened(); got != "" {
				t.Errorf("mcp-remote tried to open a browser at %s", got)
			}
			for _, want := range c.wantLog {
				if !strings.Contains(p.Stderr.String(), want) {
					t.Errorf("mcp-remote's stderr does not say %q:\n%s", want, p.Stderr)
				}
			}
			t.Logf("mcp-remote gave up after %s: %s", elapsed.Round(time.Millisecond), firstLineWith(p.Stderr.String(), c.wantLog[0]))
		})
	}
}

// firstLineWith returns the first line of s containing sub.
func firstLineWith(s, sub string) string {
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

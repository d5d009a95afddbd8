package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// binary is the zscaler-mcp binary built once for tests that need a real
// process (stdio, signals).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zscaler-mcp-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "zscaler-mcp")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestStdio runs the real binary over stdio with mcp-go's stdio client:
// stdout carries JSON-RPC only, logs go to stderr.
func TestStdio(t *testing.T) {
	stderrFile := filepath.Join(t.TempDir(), "stderr")
	// Wrap in sh to capture stderr separately from the JSON-RPC stream.
	c, err := client.NewStdioMCPClient("/bin/sh", []string{"HOME=" + t.TempDir()}, "-c", `exec "$0" --log-level debug 2>"$1"`, binary, stderrFile)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{ProtocolVersion: "2025-06-18", ClientInfo: mcp.Implementation{Name: "t", Version: "1"}}}); err != nil {
		t.Fatal(err)
	}
	w := whoami(t, c)
	mustEqual(t, "mode", w.Mode, "stdio")
	c.Close()
	b, _ := os.ReadFile(stderrFile)
	if !strings.Contains(string(b), "zscaler-mcp started") {
		t.Errorf("start-up summary not on stderr: %q", b)
	}
}

// TestStdioStdoutIsJSONRPCOnly feeds raw lines and checks every stdout line
// is a JSON-RPC message.
func TestStdioStdoutIsJSONRPCOnly(t *testing.T) {
	cmd := exec.Command(binary, "--log-level", "debug")
	cmd.Env = []string{"HOME=" + t.TempDir()}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// Keep stdin open until both answers are read: tool calls run
	// asynchronously, and closing stdin ends the session.
	_, _ = io.WriteString(stdin, initBody+"\n"+`{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"+`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami"}}`+"\n")
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for i := range 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stdout closed after %d responses\n%s", i, stderr)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil || m["jsonrpc"] != "2.0" {
				t.Fatalf("stdout line is not JSON-RPC: %q", l)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no response %d on stdout\n%s", i+1, stderr)
		}
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr)
	}
	for l := range lines {
		t.Fatalf("unexpected stdout after the session: %q", l)
	}
	if !strings.Contains(stderr.String(), "zscaler-mcp started") {
		t.Errorf("no summary on stderr: %q", stderr.String())
	}
}

// startProcess runs the binary as an HTTP server and returns its base URL.
func startProcess(t *testing.T, env []string, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--port", "0", "--data-dir", t.TempDir()}, args...)...)
	cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
	stderr := &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := bindRE.FindStringSubmatch(sc.Text()); m != nil {
				scheme := "http"
				if strings.Contains(m[0], "https") {
					scheme = "https"
				}
				found <- scheme + "://" + m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case u := <-found:
		return cmd, u, stderr
	case <-time.After(15 * time.Second):
		t.Fatalf("server did not start: %s", stderr)
	}
	return nil, "", nil
}

// TestGracefulShutdown: on SIGTERM an open SSE stream is closed, the
// process exits 0 promptly and says it stopped.
func TestGracefulShutdown(t *testing.T) {
	cmd, base, stderr := startProcess(t, nil, "--transport", "sse", "--shutdown-timeout", "5s")
	resp, err := http.Get(base + "/sse") // an open stream that never ends by itself
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	started := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not exit after SIGTERM")
	}
	if d := time.Since(started); d > 4*time.Second {
		t.Errorf("shutdown took %v: open streams should be closed, not waited for", d)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no stop message: %s", stderr)
	}
	if _, err := io.ReadAll(resp.Body); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Logf("stream ended with %v", err)
	}
}

// TestMutualTLS: with a CA configured, the MCP routes need a verified client
// certificate; ops routes only request one.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := mkCert(t, nil, nil, "test CA", true)
	srvCert, srvKey := mkCert(t, ca, caKey, "localhost", false)
	cliCert, cliKey := mkCert(t, ca, caKey, "client", false)
	write := func(name string, blocks ...*pem.Block) string {
		p := filepath.Join(dir, name)
		var b []byte
		for _, bl := range blocks {
			b = append(b, pem.EncodeToMemory(bl)...)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyPEM := func(k *ecdsa.PrivateKey) *pem.Block {
		der, _ := x509.MarshalECPrivateKey(k)
		return &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	}
	certPEM := func(c *x509.Certificate) *pem.Block { return &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw} }
	env := []string{
		"ZSCALER_MCP_TLS_CERTFILE=" + write("srv.pem", certPEM(srvCert)),
		"ZSCALER_MCP_TLS_KEYFILE=" + write("srv.key", keyPEM(srvKey)),
		"ZSCALER_MCP_TLS_CA_CERTS=" + write("ca.pem", certPEM(ca)),
	}
	_, base, stderr := startProcess(t, env, "--transport", "streamable-http")
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("not TLS: %s", base)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	clientFor := func(withCert bool) *http.Client {
		tc := &tls.Config{RootCAs: pool, ServerName: "localhost"}
		if withCert {
			tc.Certificates = []tls.Certificate{{Certificate: [][]byte{cliCert.Raw}, PrivateKey: cliKey}}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 5 * time.Second}
	}
	postInit := func(c *http.Client) int {
		req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(initBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := postInit(clientFor(false)); code != 403 {
		t.Errorf("MCP route without client certificate: %d, want 403", code)
	}
	if code := postInit(clientFor(true)); code != 200 {
		t.Errorf("MCP route with client certificate: %d, want 200\n%s", code, stderr)
	}
	resp, err := clientFor(false).Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz without client certificate: %v %v", resp, err)
	}
}

func mkCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:        isCA, BasicConstraintsValid: true,
		DNSNames: []string{cn}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/resource"
)

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

// running is a server started in-process by run(), on an ephemeral port.
type running struct {
	URL    string // http://127.0.0.1:PORT
	Stderr *syncBuffer
	Stdout *syncBuffer
	stop   context.CancelFunc
	done   chan int
}

var bindRE = regexp.MustCompile(`bind=https?://([0-9.:\[\]]+)`)

// start runs zscaler-mcp in-process with env (nothing else from the real
// environment) and args, and waits for its start-up summary.
func start(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	if _, ok := env["ZSCALER_MCP_DATA_DIR"]; !ok {
		args = append(args, "--data-dir", t.TempDir())
	}
	return launch(t, env, append([]string{"--port", "0"}, args...), run)
}

// launch runs runFn (run, or runWith a catalogue) in-process with env and
// args, and waits for its start-up summary.
func launch(t *testing.T, env map[string]string, args []string,
	runFn func(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Stderr: &syncBuffer{}, Stdout: &syncBuffer{}, stop: cancel, done: make(chan int, 1)}
	getenv := func(k string) string { return env[k] }
	go func() {
		r.done <- runFn(ctx, args, getenv, strings.NewReader(""), r.Stdout, r.Stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := bindRE.FindStringSubmatch(r.Stderr.String()); m != nil {
			scheme := "http"
			if strings.Contains(m[0], "https") {
				scheme = "https"
			}
			r.URL = scheme + "://" + m[1]
			t.Cleanup(func() { r.Stop(t) })
			return r
		}
		select {
		case code := <-r.done:
			t.Fatalf("server exited with %d before starting:\n%s", code, r.Stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start:\n%s", r.Stderr)
	return nil
}

// Stop sends the equivalent of SIGTERM and returns the exit code.
func (r *running) Stop(t *testing.T) int {
	r.stop()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not stop")
		return -1
	}
}

// connect opens an MCP client over transport ("streamable-http" or "sse")
// with headers, and runs initialize (pinned to a sessionful revision, as
// mcp-remote uses).
func connect(t *testing.T, base, transportName string, headers map[string]string) (*client.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var c *client.Client
	var err error
	switch transportName {
	case "sse":
		c, err = client.NewSSEMCPClient(base+"/sse", transport.WithHeaders(headers))
	default:
		c, err = client.NewStreamableHttpClient(base+"/mcp", transport.WithHTTPHeaders(headers))
	}
	if err != nil {
		return nil, err
	}
	// The SSE stream lives as long as the context given to Start.
	if err := c.Start(context.Background()); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	_, err = c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{
		ProtocolVersion: "2025-06-18",
		ClientInfo:      mcp.Implementation{Name: "zscaler-mcp-test", Version: "1"},
	}})
	return c, err
}

// whoami runs tools/list then tools/call whoami and returns the result.
func whoami(t *testing.T, c *client.Client) resource.WhoamiResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	found := false
	for _, tl := range tools.Tools {
		found = found || tl.Name == "whoami"
	}
	if !found {
		t.Fatalf("whoami not listed: %+v", tools.Tools)
	}
	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "whoami"}})
	if err != nil {
		t.Fatalf("tools/call whoami: %v", err)
	}
	if res.IsError {
		t.Fatalf("whoami returned an error: %+v", res.Content)
	}
	text := ""
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			text += tc.Text
		}
	}
	var w resource.WhoamiResult
	if err := json.Unmarshal([]byte(text), &w); err != nil {
		t.Fatalf("whoami result %q: %v", text, err)
	}
	return w
}

func mustEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

var _ = fmt.Sprintf

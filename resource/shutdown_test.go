package resource

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// TestServeShutdown: when the context ends, a tool call in flight still
// gets its answer, an open SSE stream is closed rather than waited for, and
// Serve returns within the grace period.
func TestServeShutdown(t *testing.T) {
	reg := NewRegistry()
	started := make(chan struct{})
	if err := reg.Add(Tool{Def: mcp.NewTool("slow"), Handler: func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		close(started)
		time.Sleep(500 * time.Millisecond)
		return mcp.NewToolResultText("finished"), nil
	}}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	s, err := New(Config{Name: "t", Version: "1", Identity: Identity{PublicURL: base, LoopbackBind: true},
		Auth: auth.Options{AllowNone: true}, AllowedHosts: []string{"*"}, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, &http.Server{Handler: s.Handler}, ln, 5*time.Second) }()

	stream, err := http.Get(base + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()

	resp, _ := send(t, base+"/mcp", "", "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	sid := resp.Header.Get("Mcp-Session-Id")
	answer := make(chan string, 1)
	go func() {
		_, body := send(t, base+"/mcp", "", sid, call("slow"))
		answer <- body
	}()
	<-started
	begin := time.Now()
	cancel()
	select {
	case body := <-answer:
		if !strings.Contains(body, "finished") {
			t.Fatalf("in-flight call got %q", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight call got no answer")
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if d := time.Since(begin); d > 3*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
}

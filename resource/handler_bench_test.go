package resource

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// These benchmarks measure the server side of one tools/call whoami with no
// network in between: plain mcp-go (the ceiling) against our full handler,
// so the cost of our layers per request is the difference.

const benchInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`
const benchCall = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`

func benchRequest(body, sid, token string) *http.Request {
	r := httptest.NewRequest("POST", "http://localhost:8000/mcp", strings.NewReader(body))
	r.RemoteAddr = "127.0.0.1:40000"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	if sid != "" {
		r.Header.Set("Mcp-Session-Id", sid)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func runHandlerBench(b *testing.B, h http.Handler, token string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, benchRequest(benchInit, "", token))
	sid := rec.Header().Get("Mcp-Session-Id")
	if rec.Code != 200 || sid == "" {
		b.Fatalf("initialize: %d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, benchRequest(benchCall, sid, token))
		if rec.Code != 200 {
			b.Fatalf("tools/call: %d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkHandlerPlainMCPGo(b *testing.B) {
	s := server.NewMCPServer("plain", "1", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("whoami"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultJSON(WhoamiResult{Mode: "none", Subject: "anonymous", Scopes: auth.DefaultScopes})
	})
	runHandlerBench(b, server.NewStreamableHTTPServer(s), "")
}

func BenchmarkHandlerOurs(b *testing.B) {
	key := strings.Repeat("k", 40)
	apikey, err := auth.NewAPIKeyValidator([]string{key}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		opts  auth.Options
		token string
	}{
		{"none", auth.Options{AllowNone: true}, ""},
		{"api-key", auth.Options{Validators: []auth.Validator{apikey}}, key},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := New(Config{Name: "b", Version: "1",
				Identity:       Identity{PublicURL: "http://localhost:8000", LoopbackBind: true},
				Auth:           tc.opts,
				AllowedHosts:   []string{"localhost", "127.0.0.1", "::1"},
				AllowedOrigins: []string{"http://localhost:8000"},
			})
			if err != nil {
				b.Fatal(err)
			}
			runHandlerBench(b, s.Handler, tc.token)
		})
	}
}

package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// do sends one request with headers (a "Host" entry sets the Host header).
func do(t *testing.T, method, url string, headers map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestHardeningRules checks each guard of the MCP route group through the
// real server (DESIGN.md §3 "Routes, and what guards each group").
func TestHardeningRules(t *testing.T) {
	key := strings.Repeat("k", 40)
	auth := map[string]string{"Authorization": "Bearer " + key}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"Authorization": "Bearer " + key}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	base := map[string]string{"ZSCALER_MCP_AUTH_API_KEY": key}
	env := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		method     string
		path       string
		headers    map[string]string
		body       string
		wantStatus int
		wantInBody string
		check      func(t *testing.T, resp *http.Response)
	}{
		{name: "authenticated initialize works", env: base, method: "POST", path: "/mcp", headers: auth, body: initBody, wantStatus: 200},
		{name: "foreign Host → 421 (DNS rebinding)", env: base, method: "POST", path: "/mcp", headers: with(map[string]string{"Host": "evil.example"}), body: initBody, wantStatus: 421, wantInBody: "DNS rebinding"},
		{name: "loopback alias Host accepted", env: base, method: "POST", path: "/mcp", headers: with(map[string]string{"Host": "127.0.0.1"}), body: initBody, wantStatus: 200},
		{name: "extra allowed host", env: env(map[string]string{"ZSCALER_MCP_ALLOWED_HOSTS": "mcp.internal"}), method: "POST", path: "/mcp", headers: with(map[string]string{"Host": "mcp.internal"}), body: initBody, wantStatus: 200},
		{name: "disallowed Origin → 403 (MCP transport spec)", env: base, method: "POST", path: "/mcp", headers: with(map[string]string{"Origin": "https://evil.example"}), body: initBody, wantStatus: 403, wantInBody: "origin"},
		{name: "allowed Origin gets CORS headers", env: env(map[string]string{"ZSCALER_MCP_ALLOWED_ORIGINS": "https://app.example"}), method: "POST", path: "/mcp",
			headers: with(map[string]string{"Origin": "https://app.example"}), body: initBody, wantStatus: 200,
			check: func(t *testing.T, r *http.Response) {
				if r.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
					t.Errorf("ACAO = %q", r.Header.Get("Access-Control-Allow-Origin"))
				}
			}},
		{name: "preflight answered before auth", env: env(map[string]string{"ZSCALER_MCP_ALLOWED_ORIGINS": "https://app.example"}), method: "OPTIONS", path: "/mcp",
			headers: map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}, wantStatus: 204,
			check: func(t *testing.T, r *http.Response) {
				ah := r.Header.Get("Access-Control-Allow-Headers")
				if !strings.Contains(ah, "Authorization") || !strings.Contains(ah, "Mcp-Session-Id") {
					t.Errorf("Access-Control-Allow-Headers = %q", ah)
				}
			}},
		{name: "cross-origin 401 exposes WWW-Authenticate and Mcp-Session-Id", env: env(map[string]string{"ZSCALER_MCP_ALLOWED_ORIGINS": "https://app.example"}), method: "POST", path: "/mcp",
			headers: map[string]string{"Origin": "https://app.example"}, body: initBody, wantStatus: 401,
			check: func(t *testing.T, r *http.Response) {
				exp := r.Header.Get("Access-Control-Expose-Headers")
				if !strings.Contains(exp, "WWW-Authenticate") || !strings.Contains(exp, "Mcp-Session-Id") || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
					t.Errorf("Access-Control-Expose-Headers = %q, ACAO = %q", exp, r.Header.Get("Access-Control-Allow-Origin"))
				}
			}},
		{name: "source IP not in ACL → 403 before auth", env: env(map[string]string{"ZSCALER_MCP_ALLOWED_SOURCE_IPS": "10.0.0.0/8"}), method: "POST", path: "/mcp", body: initBody, wantStatus: 403, wantInBody: "source address"},
		{name: "ACL applies to ops routes too", env: env(map[string]string{"ZSCALER_MCP_ALLOWED_SOURCE_IPS": "10.0.0.0/8"}), method: "GET", path: "/healthz", wantStatus: 403},
		{name: "X-Forwarded-For ignored from an untrusted peer", env: env(map[string]string{"ZSCALER_MCP_ALLOWED_SOURCE_IPS": "203.0.113.0/24"}), method: "POST", path: "/mcp",
			headers: with(map[string]string{"X-Forwarded-For": "203.0.113.7"}), body: initBody, wantStatus: 403},
		{name: "X-Forwarded-For honoured from a trusted proxy", env: env(map[string]string{"ZSCALER_MCP_ALLOWED_SOURCE_IPS": "203.0.113.0/24", "ZSCALER_MCP_TRUSTED_PROXIES": "127.0.0.1/32"}), method: "POST", path: "/mcp",
			headers: with(map[string]string{"X-Forwarded-For": "203.0.113.7"}), body: initBody, wantStatus: 200},
		{name: "body over the limit → 413", env: base, args: []string{"--max-body-bytes", "2048"}, method: "POST", path: "/mcp", headers: auth,
			body: `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 4096) + `"}}`, wantStatus: 413},
		{name: "duplicate key at top level → 400", env: base, method: "POST", path: "/mcp", headers: auth,
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","Method":"tools/call"}`, wantStatus: 400, wantInBody: "duplicate key"},
		{name: "nested case-variant key → 400", env: base, method: "POST", path: "/mcp", headers: auth,
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","Name":"other"}}`, wantStatus: 400, wantInBody: "duplicate key"},
		{name: "deeply nested case-variant key → 400", env: base, method: "POST", path: "/mcp", headers: auth,
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{"a":[{"b":{"x":1,"X":2}}]}}}`, wantStatus: 400},
		{name: "Mcp-Method header must match the body", env: base, method: "POST", path: "/mcp", headers: with(map[string]string{"Mcp-Method": "tools/list"}),
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}`, wantStatus: 400},
		{name: "Mcp-Name header must match params.name", env: base, method: "POST", path: "/mcp", headers: with(map[string]string{"Mcp-Method": "tools/call", "Mcp-Name": "other"}),
			body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}`, wantStatus: 400},
		{name: "duplicate keys rejected on the SSE message endpoint too", env: base, method: "POST", path: "/messages/?sessionId=x", headers: auth,
			body: `{"jsonrpc":"2.0","id":1,"method":"ping","Method":"tools/call"}`, wantStatus: 400},
		{name: "unknown session id → 404", env: base, method: "POST", path: "/mcp", headers: with(map[string]string{"Mcp-Session-Id": "made-up"}),
			body: `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, wantStatus: 404},
		{name: "healthz needs no auth", env: base, method: "GET", path: "/healthz", wantStatus: 200},
		{name: "readyz needs no auth", env: base, method: "GET", path: "/readyz", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, tt.env, append([]string{"--transport", "streamable-http"}, tt.args...)...)
			resp, body := do(t, tt.method, srv.URL+tt.path, tt.headers, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantInBody != "" && !strings.Contains(body, tt.wantInBody) {
				t.Errorf("body %q does not mention %q", body, tt.wantInBody)
			}
			if strings.Contains(body, key) {
				t.Errorf("response echoes the key")
			}
			if tt.check != nil {
				tt.check(t, resp)
			}
		})
	}
}

// TestSessionBinding: a session created with one credential cannot be used
// with another (404, as if it did not exist), over streamable HTTP and SSE.
func TestSessionBinding(t *testing.T) {
	keyA, keyB := strings.Repeat("a", 40), strings.Repeat("b", 40)
	srv := start(t, map[string]string{"ZSCALER_MCP_AUTH_API_KEY": keyA + "," + keyB}, "--transport", "streamable-http")

	resp, body := do(t, "POST", srv.URL+"/mcp", map[string]string{"Authorization": "Bearer " + keyA}, initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || sid == "" {
		t.Fatalf("initialize: %d %q %s", resp.StatusCode, sid, body)
	}
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	if r, b := do(t, "POST", srv.URL+"/mcp", map[string]string{"Authorization": "Bearer " + keyA, "Mcp-Session-Id": sid}, list); r.StatusCode != 200 {
		t.Fatalf("owner's tools/list: %d %s", r.StatusCode, b)
	}
	if r, b := do(t, "POST", srv.URL+"/mcp", map[string]string{"Authorization": "Bearer " + keyB, "Mcp-Session-Id": sid}, list); r.StatusCode != 404 {
		t.Fatalf("other key on the session: %d %s, want 404", r.StatusCode, b)
	}
	if r, _ := do(t, "DELETE", srv.URL+"/mcp", map[string]string{"Authorization": "Bearer " + keyB, "Mcp-Session-Id": sid}, ""); r.StatusCode != 404 {
		t.Fatalf("other key deleting the session: %d, want 404", r.StatusCode)
	}

	// SSE: open the stream with key A, read the endpoint, post with key B.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/sse", nil)
	req.Header.Set("Authorization", "Bearer "+keyA)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	endpoint := ""
	sc := bufio.NewScanner(stream.Body)
	for sc.Scan() {
		if after, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			endpoint = after
			break
		}
	}
	if !strings.Contains(endpoint, "sessionId=") || !strings.HasPrefix(endpoint, srv.URL) {
		t.Fatalf("SSE endpoint event %q does not name %s", endpoint, srv.URL)
	}
	if r, b := do(t, "POST", endpoint, map[string]string{"Authorization": "Bearer " + keyB}, initBody); r.StatusCode != 404 {
		t.Fatalf("other key on the SSE session: %d %s, want 404", r.StatusCode, b)
	}
	if r, b := do(t, "POST", endpoint, map[string]string{"Authorization": "Bearer " + keyA}, initBody); r.StatusCode != 202 {
		t.Fatalf("owner on the SSE session: %d %s, want 202", r.StatusCode, b)
	}
}

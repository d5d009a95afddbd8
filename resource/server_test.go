package resource

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// scopedValidator maps bearer tokens to identities with given scopes.
type scopedValidator map[string]*auth.Identity

func (s scopedValidator) Name() string { return "test" }
func (s scopedValidator) Validate(_ context.Context, _ *http.Request, c auth.Credential) (*auth.Identity, error) {
	if id, ok := s[c.Token]; ok {
		return id, nil
	}
	return nil, auth.ErrNotMine
}

func newTestServer(t *testing.T, visible VisibleFunc, prm *PRM) *httptest.Server {
	t.Helper()
	ts, _ := startTestServer(t, []Tool{
		WhoamiTool(),
		{Def: mcp.NewTool("zia_delete_thing"), Handler: okHandler, Service: "zia", Write: true},
		{Def: mcp.NewTool("zpa_list_things"), Handler: okHandler, Service: "zpa"},
	}, scopedValidator{
		"reader": {Mode: "test", Subject: "r", Scopes: []string{auth.ScopeRead}},
		"writer": {Mode: "test", Subject: "w", Scopes: []string{auth.ScopeRead, auth.ScopeWrite}},
		"none":   {Mode: "test", Subject: "n", Scopes: nil},
		"zpa":    {Mode: "test", Subject: "z", Scopes: auth.DefaultScopes, Claims: map[string]any{"svc": "zpa"}},
	}, func(c *Config) {
		c.PRM = prm
		c.Visible = visible
	})
	return ts
}

// startTestServer starts a resource server on loopback with tools and the
// bearer tokens of tokens (any Host allowed); edit, if set, adjusts the
// config first.
func startTestServer(t *testing.T, tools []Tool, tokens scopedValidator, edit func(*Config)) (*httptest.Server, *Server) {
	t.Helper()
	reg := NewRegistry()
	for _, tl := range tools {
		if err := reg.Add(tl); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	cfg := Config{
		Name: "t", Version: "1",
		Identity:     Identity{PublicURL: ts.URL, LoopbackBind: true},
		Auth:         auth.Options{Validators: []Validator{tokens}},
		AllowedHosts: []string{"*"},
		Registry:     reg,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s.Handler
	return ts, s
}

// Validator is a local alias so the table above reads well.
type Validator = auth.Validator

func okHandler(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewToolResultText("ok"), nil
}

// post sends body with token; on /mcp it first initializes a session for
// token (legacy revisions need one) and sends its id.
func post(t *testing.T, url, token, body string) (*http.Response, string) {
	t.Helper()
	sid := ""
	if strings.HasSuffix(url, "/mcp") && token != "" {
		resp, _ := send(t, url, token, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
		sid = resp.Header.Get("Mcp-Session-Id")
	}
	return send(t, url, token, sid, body)
}

func send(t *testing.T, url, token, sid, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func call(name string) string {
	return `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"` + name + `","arguments":{}}}`
}

// TestScopes: DESIGN.md §3 "Scopes" — read needed for everything, write for
// write tools (403 insufficient_scope with the step-up scope).
func TestScopes(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	tests := []struct {
		name, token, body string
		status            int
		www               string
	}{
		{"reader calls a read tool", "reader", call("whoami"), 200, ""},
		{"reader lists tools, write tools included", "reader", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, 200, ""},
		{"reader calls a write tool: step-up", "reader", call("zia_delete_thing"), 403, `Bearer realm="zscaler-mcp", error="insufficient_scope", scope="zscaler.read zscaler.write"`},
		{"writer calls a write tool", "writer", call("zia_delete_thing"), 200, ""},
		{"no scopes at all", "none", call("whoami"), 403, `Bearer realm="zscaler-mcp", error="insufficient_scope", scope="zscaler.read"`},
		{"write tool hidden in a batch", "reader", `[` + call("whoami") + `,` + call("zia_delete_thing") + `]`, 403, `Bearer realm="zscaler-mcp", error="insufficient_scope", scope="zscaler.read zscaler.write"`},
		{"case-variant name cannot smuggle a write tool", "reader", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","Name":"zia_delete_thing"}}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, ts.URL+"/mcp", tt.token, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tt.www {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.www)
			}
			if tt.status == 200 && strings.Contains(tt.name, "lists") && !strings.Contains(body, "zia_delete_thing") {
				t.Errorf("enabled write tool not listed to a reader: %s", body)
			}
		})
	}
}

// TestPerCallerFilter: a tool hidden from a caller is absent from tools/list
// and refused at tools/call.
func TestPerCallerFilter(t *testing.T) {
	visible := func(_ context.Context, id *auth.Identity, tl Tool) bool {
		return tl.Service == "" || id.Claims["svc"] == tl.Service
	}
	ts := newTestServer(t, visible, nil)
	_, list := post(t, ts.URL+"/mcp", "zpa", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	if !strings.Contains(list, "zpa_list_things") || strings.Contains(list, "zia_delete_thing") || !strings.Contains(list, "whoami") {
		t.Fatalf("zpa caller's tools/list: %s", list)
	}
	_, res := post(t, ts.URL+"/mcp", "writer", call("zpa_list_things"))
	var msg struct {
		Result *mcp.CallToolResult `json:"result"`
		Error  *struct{ Message string }
	}
	if err := json.Unmarshal([]byte(sseData(res)), &msg); err != nil {
		t.Fatalf("%s: %v", res, err)
	}
	if msg.Error == nil && (msg.Result == nil || !msg.Result.IsError) {
		t.Fatalf("hidden tool was callable: %s", res)
	}
	_, res = post(t, ts.URL+"/mcp", "zpa", call("zpa_list_things"))
	if !strings.Contains(res, `"ok"`) {
		t.Fatalf("visible tool not callable: %s", res)
	}
}

// sseData returns the JSON of a single-event SSE body, or body itself.
func sseData(body string) string {
	for line := range strings.SplitSeq(body, "\n") {
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			return d
		}
	}
	return body
}

// TestProtectedResourceMetadata: RFC 9728 documents name the resource the
// client uses (loopback aliases included) and the 401 points at them.
func TestProtectedResourceMetadata(t *testing.T) {
	prm := &PRM{AuthorizationServers: func(*http.Request) []string { return []string{"https://idp.example"} }}
	ts := newTestServer(t, nil, prm)
	alias := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
	for path, want := range map[string]string{
		"/.well-known/oauth-protected-resource":     "/mcp",
		"/.well-known/oauth-protected-resource/mcp": "/mcp",
		"/.well-known/oauth-protected-resource/sse": "/sse",
	} {
		for _, base := range []string{ts.URL, alias} {
			req, _ := http.NewRequest("GET", ts.URL+path, nil)
			req.Host = strings.TrimPrefix(base, "http://")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if doc["resource"] != base+want || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("%s via %s: resource %v, ACAO %q", path, base, doc["resource"], resp.Header.Get("Access-Control-Allow-Origin"))
			}
			if as, _ := doc["authorization_servers"].([]any); len(as) != 1 || as[0] != "https://idp.example" {
				t.Errorf("authorization_servers = %v", doc["authorization_servers"])
			}
		}
	}
	resp, _ := post(t, ts.URL+"/sse", "", "")
	want := `Bearer realm="zscaler-mcp", resource_metadata="` + ts.URL + `/.well-known/oauth-protected-resource/sse", scope="zscaler.read"`
	if got := resp.Header.Get("WWW-Authenticate"); got != want {
		t.Errorf("WWW-Authenticate = %q\nwant %q", got, want)
	}
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	post(t, ts.URL+"/mcp", "reader", call("whoami"))
	post(t, ts.URL+"/mcp", "bogus", call("whoami"))
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`zscaler_mcp_auth_total{mode="test",result="ok"} 2`,
		`zscaler_mcp_auth_total{mode="unknown",result="invalid"} 2`,
		`zscaler_mcp_http_requests_total{method="POST",route="/mcp",status="200"} 2`,
		`zscaler_mcp_http_requests_total{method="POST",route="/mcp",status="401"} 2`,
		`zscaler_mcp_http_request_duration_seconds_bucket{route="/mcp"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestRoutesMatchExactly: the MCP routes are served before the router, so
// check that they match exactly the paths chi would route to them (the
// escaped form included) and that every other path still goes to chi.
func TestRoutesMatchExactly(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	for _, tc := range []struct {
		method, path string
		token        string
		want         int
	}{
		{"POST", "/mcp", "", http.StatusUnauthorized}, // guarded
		{"POST", "/mcp", "reader", http.StatusOK},
		{"POST", "/mcp?x=1", "reader", http.StatusOK},
		{"POST", "/messages", "", http.StatusUnauthorized},
		{"POST", "/messages/", "", http.StatusUnauthorized},
		{"GET", "/sse", "", http.StatusUnauthorized},
		{"POST", "/m%63p", "reader", http.StatusNotFound}, // chi routes the escaped path
		{"POST", "/mcp/", "reader", http.StatusNotFound},
		{"POST", "/MCP", "reader", http.StatusNotFound},
		{"POST", "//mcp", "reader", http.StatusNotFound},
		{"GET", "/healthz", "", http.StatusOK}, // the router's routes
		{"GET", "/nope", "", http.StatusNotFound},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			body := ""
			if tc.method == "POST" {
				body = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
			}
			req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

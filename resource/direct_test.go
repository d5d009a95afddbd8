package resource

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// directServer starts a resource server with tools for comparing the direct
// path with mcp-go's: echo returns its arguments and one request header,
// fail returns a tool error, confirm elicits (Interactive), and
// quiet_interactive is marked Interactive without eliciting.
func directServer(t *testing.T, direct bool) (*httptest.Server, *Server) {
	t.Helper()
	echo := func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultStructured(map[string]any{"args": req.GetArguments(), "x_test": req.Header.Get("X-Test")}, "echo"), nil
	}
	fail := func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError("it failed"), nil
	}
	confirm := func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := server.ServerFromContext(ctx).RequestElicitation(ctx, mcp.ElicitationRequest{
			Params: mcp.ElicitationParams{Message: "sure?", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}},
		})
		if err != nil {
			return mcp.NewToolResultError("elicitation: " + err.Error()), nil
		}
		return mcp.NewToolResultText("answer: " + string(res.Action)), nil
	}
	return startTestServer(t, []Tool{
		WhoamiTool(),
		{Def: mcp.NewTool("echo"), Handler: echo},
		{Def: mcp.NewTool("fail"), Handler: fail},
		{Def: mcp.NewTool("confirm"), Handler: confirm, Interactive: true},
		{Def: mcp.NewTool("quiet_interactive"), Handler: okHandler, Interactive: true},
	}, scopedValidator{
		"alice": {Mode: "test", Subject: "alice", Scopes: auth.DefaultScopes},
		"bob":   {Mode: "test", Subject: "bob", Scopes: auth.DefaultScopes},
	}, func(c *Config) { c.noDirect = !direct })
}

// rawMCP sends one POST to /mcp with the given headers.
func rawMCP(t *testing.T, url, body string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/mcp", strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// initSession initializes a 2025-06-18 session for token and returns its id.
func initSession(t *testing.T, url, token string) string {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream", "Authorization": "Bearer " + token}
	code, hdr, body := rawMCP(t, url, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, h)
	sid := hdr.Get("Mcp-Session-Id")
	if code != 200 || sid == "" {
		t.Fatalf("initialize: %d %s", code, body)
	}
	h["Mcp-Session-Id"], h["MCP-Protocol-Version"] = sid, "2025-06-18"
	if code, _, body := rawMCP(t, url, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, h); code != 202 {
		t.Fatalf("initialized: %d %s", code, body)
	}
	return sid
}

// TestDirectCallsMatchMCPGo sends the same requests to a server with the
// direct path and to one without, and requires the same status,
// Content-Type and body; it also checks which requests took the direct
// path.
func TestDirectCallsMatchMCPGo(t *testing.T) {
	const v = "2025-06-18"
	callBody := func(name, args string) string {
		return `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"` + name + `","arguments":` + args + `}}`
	}
	tests := []struct {
		name   string
		body   string
		hdr    map[string]string // on top of the session's headers; "" deletes
		direct bool              // served by the direct path
	}{
		{name: "whoami", body: callBody("whoami", `{}`), direct: true},
		{name: "arguments and the request header reach the tool", body: callBody("echo", `{"a":[1,"x",{"b":null}]}`), hdr: map[string]string{"X-Test": "seen"}, direct: true},
		{name: "string id", body: `{"jsonrpc":"2.0","id":"abc","method":"tools/call","params":{"name":"whoami"}}`, direct: true},
		{name: "tool error result", body: callBody("fail", `{}`), direct: true},
		{name: "wrong jsonrpc version", body: `{"jsonrpc":"1.0","id":7,"method":"tools/call","params":{"name":"whoami"}}`, direct: true},
		{name: "method and result: a response, answered 202", body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami"},"result":{}}`, direct: true},
		{name: "unknown tool", body: callBody("nope", `{}`)},
		{name: "interactive tool", body: callBody("quiet_interactive", `{}`)},
		{name: "params._meta", body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami","_meta":{"progressToken":"p"}}}`},
		{name: "id null", body: `{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"whoami"}}`},
		{name: "no id", body: `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"whoami"}}`},
		{name: "batch of one", body: `[` + callBody("whoami", `{}`) + `]`},
		{name: "tools/list", body: `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`},
		{name: "Content-Type with a charset", body: callBody("whoami", `{}`), hdr: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		{name: "Content-Type text/plain", body: callBody("whoami", `{}`), hdr: map[string]string{"Content-Type": "text/plain"}},
		{name: "no protocol version header", body: callBody("whoami", `{}`), hdr: map[string]string{"MCP-Protocol-Version": ""}},
		{name: "unsupported protocol version", body: callBody("whoami", `{}`), hdr: map[string]string{"MCP-Protocol-Version": "1999-01-01"}},
		{name: "2026-07-28 header", body: callBody("whoami", `{}`), hdr: map[string]string{"MCP-Protocol-Version": "2026-07-28"}},
		{name: "unknown session", body: callBody("whoami", `{}`), hdr: map[string]string{"Mcp-Session-Id": "not-a-session"}},
		{name: "no session", body: callBody("whoami", `{}`), hdr: map[string]string{"Mcp-Session-Id": ""}},
		{name: "another caller's session", body: callBody("whoami", `{}`), hdr: map[string]string{"Authorization": "Bearer bob"}},
	}
	type answer struct {
		code int
		ct   string
		body string
	}
	run := func(direct bool) ([]answer, []int64) {
		ts, s := directServer(t, direct)
		sid := initSession(t, ts.URL, "alice")
		var out []answer
		var served []int64
		for _, tt := range tests {
			h := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
				"Authorization": "Bearer alice", "Mcp-Session-Id": sid, "MCP-Protocol-Version": v}
			for k, val := range tt.hdr {
				if val == "" {
					delete(h, k)
				} else {
					h[k] = val
				}
			}
			before := s.direct.served.Load()
			code, hdr, body := rawMCP(t, ts.URL, tt.body, h)
			out = append(out, answer{code, hdr.Get("Content-Type"), body})
			served = append(served, s.direct.served.Load()-before)
		}
		return out, served
	}
	viaMCPGo, none := run(false)
	viaDirect, served := run(true)
	for i, tt := range tests {
		if none[i] != 0 {
			t.Fatalf("%s: direct path used with it off", tt.name)
		}
		if got := served[i] == 1; got != tt.direct {
			t.Errorf("%s: served directly = %v, want %v", tt.name, got, tt.direct)
		}
		if viaDirect[i] != viaMCPGo[i] {
			t.Errorf("%s: direct path answered %+v, mcp-go %+v", tt.name, viaDirect[i], viaMCPGo[i])
		}
	}
	// The rows are not all trivially alike.
	if viaDirect[1].code != 200 || !strings.Contains(viaDirect[1].body, `"x_test":"seen"`) || !strings.Contains(viaDirect[1].body, `"b":null`) {
		t.Errorf("echo through the direct path: %+v", viaDirect[1])
	}
	if viaDirect[5].code != http.StatusAccepted {
		t.Errorf("a response message: %+v, want 202", viaDirect[5])
	}
}

// TestDirectCallsSessions: only live streamable HTTP sessions take the
// direct path; a deleted session is refused as before, and an SSE
// session id sent as Mcp-Session-Id goes to mcp-go.
func TestDirectCallsSessions(t *testing.T) {
	ts, s := directServer(t, true)
	sid := initSession(t, ts.URL, "alice")
	h := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer alice", "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"}
	whoami := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami"}}`
	if code, _, body := rawMCP(t, ts.URL, whoami, h); code != 200 || s.direct.served.Load() != 1 || !strings.Contains(body, `\"subject\":\"alice\"`) {
		t.Fatalf("live session: %d %s (served directly %d)", code, body, s.direct.served.Load())
	}

	req, _ := http.NewRequest(http.MethodDelete, ts.URL+"/mcp", nil)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if _, ok := s.direct.sessions.Load(sid); ok {
		t.Fatal("deleted session still known to the direct path")
	}
	if code, _, body := rawMCP(t, ts.URL, whoami, h); code != 404 || s.direct.served.Load() != 1 {
		t.Fatalf("deleted session: %d %s (served directly %d)", code, body, s.direct.served.Load())
	}

	// An SSE session: registered with mcp-go, bound to alice, but not a
	// streamable HTTP session.
	sreq, _ := http.NewRequest(http.MethodGet, ts.URL+"/sse", nil)
	sreq.Header.Set("Authorization", "Bearer alice")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sresp, err := http.DefaultClient.Do(sreq.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	buf := make([]byte, 4096)
	n, _ := sresp.Body.Read(buf)
	_, after, ok := strings.Cut(string(buf[:n]), "sessionId=")
	if !ok {
		t.Fatalf("no SSE endpoint event: %q", buf[:n])
	}
	sseID, _, _ := strings.Cut(after, "\n")
	sseID = strings.TrimSpace(sseID)
	h["Mcp-Session-Id"] = sseID
	rawMCP(t, ts.URL, whoami, h)
	if s.direct.served.Load() != 1 {
		t.Fatalf("an SSE session id took the direct path")
	}
}

// TestDirectCallsWithClient runs a real mcp-go client over streamable HTTP:
// whoami takes the direct path, and an interactive tool still reaches the
// client's elicitation handler on the POST stream.
func TestDirectCallsWithClient(t *testing.T) {
	ts, s := directServer(t, true)
	tr, err := transport.NewStreamableHTTP(ts.URL+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer alice"}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithElicitationHandler(accept{}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = "2025-06-18"
	init.Params.ClientInfo = mcp.Implementation{Name: "t", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "whoami"}})
		if err != nil || res.IsError {
			t.Fatalf("whoami: %v %+v", err, res)
		}
		var who WhoamiResult
		if b, _ := json.Marshal(res.StructuredContent); json.Unmarshal(b, &who) != nil || who.Subject != "alice" {
			t.Fatalf("whoami result: %+v", res.StructuredContent)
		}
	}
	if got := s.direct.served.Load(); got != 3 {
		t.Fatalf("whoami calls served directly: %d, want 3 (does the client send MCP-Protocol-Version?)", got)
	}
	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "confirm"}})
	if err != nil || res.IsError || len(res.Content) != 1 || res.Content[0].(mcp.TextContent).Text != "answer: accept" {
		t.Fatalf("interactive tool: %v %+v", err, res)
	}
	if got := s.direct.served.Load(); got != 3 {
		t.Fatalf("the interactive tool took the direct path")
	}
}

// accept answers every elicitation with accept.
type accept struct{}

func (accept) Elicit(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{}}}, nil
}

// FuzzEncodeToolResponse: writeToolResponse writes exactly what
// json.NewEncoder(w).Encode writes for a tools/call response, whatever the
// text, the structured content and the id hold.
func FuzzEncodeToolResponse(f *testing.F) {
	f.Add("plain", `{"a":1}`, "7", false)
	f.Add("<a href='x'>&amp;</a>\u2028\u2029 \xff\x00\"\\", `{ "html" : "<>&", "ls" : "\u2028", "n" : [1.50, -0, 1e400] }`, `"id-<&>"`, true)
	f.Add("", ``, `-12`, false)
	f.Add("\t\n", `"just a string"`, `"é"`, true)
	f.Fuzz(func(t *testing.T, text, structured, id string, isErr bool) {
		res := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(text)}, IsError: isErr}
		if json.Valid([]byte(structured)) {
			res.RawStructuredContent = json.RawMessage(structured)
		} else {
			res.StructuredContent = map[string]any{"text": text}
		}
		var idv any
		if json.Unmarshal([]byte(id), &idv) != nil {
			idv = id
		}
		if _, isNum := idv.(float64); isNum {
			idv = int64(idv.(float64))
		}
		resp := mcp.NewJSONRPCResultResponse(mcp.NewRequestId(idv), res)
		var want strings.Builder
		wantErr := json.NewEncoder(&want).Encode(resp)
		var got strings.Builder
		ok := writeToolResponse(&got, resp)
		if wantErr != nil {
			if ok {
				t.Fatalf("wrote %q where encoding/json fails: %v", got.String(), wantErr)
			}
			return
		}
		if !ok || got.String() != want.String() {
			t.Fatalf("writeToolResponse = %q, %v\nencoding/json       = %q", got.String(), ok, want.String())
		}
	})
}

// TestEncodeToolResponseOthers: responses other than a tool result are left
// to encoding/json.
func TestEncodeToolResponseOthers(t *testing.T) {
	for _, resp := range []mcp.JSONRPCMessage{
		mcp.NewJSONRPCResultResponse(mcp.NewRequestId(1), &mcp.ListToolsResult{}),
		mcp.NewJSONRPCResultResponse(mcp.NewRequestId(1), (*mcp.CallToolResult)(nil)),
		mcp.JSONRPCError{JSONRPC: "2.0", ID: mcp.NewRequestId(1)},
	} {
		var b strings.Builder
		if writeToolResponse(&b, resp) || b.Len() > 0 {
			t.Errorf("%T written directly: %s", resp, b.String())
		}
	}
}

// TestNoIdentityNoTools: a caller without an identity sees no tool and
// cannot call one, with or without a per-caller filter; with an identity
// it sees and calls them.
func TestNoIdentityNoTools(t *testing.T) {
	reg := NewRegistry()
	if err := reg.Add(WhoamiTool()); err != nil {
		t.Fatal(err)
	}
	all := func(context.Context, *auth.Identity, Tool) bool { return true }
	for _, visible := range []VisibleFunc{nil, all} {
		for _, withID := range []bool{false, true} {
			c, err := client.NewInProcessClient(NewMCPServer("t", "1", reg, visible, nil))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if withID {
				ctx = StdioContext(ctx)
			}
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			init := mcp.InitializeRequest{}
			init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
			init.Params.ClientInfo = mcp.Implementation{Name: "t", Version: "1"}
			if _, err := c.Initialize(ctx, init); err != nil {
				t.Fatal(err)
			}
			list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "whoami"}})
			called := err == nil && !res.IsError
			if got := len(list.Tools) == 1 && called; got != withID || (!withID && (len(list.Tools) != 0 || called)) {
				t.Errorf("filter %v, identity %v: listed %d tools, whoami callable %v (%v)", visible != nil, withID, len(list.Tools), called, err)
			}
			c.Close()
		}
	}
}

// TestExpiredSessionsEnd: a streamable HTTP session whose binding expired
// is ended in mcp-go too (as a DELETE would), so sessions never deleted by
// their clients do not pile up; an SSE binding's expiry ends nothing.
func TestExpiredSessionsEnd(t *testing.T) {
	ts, s := directServer(t, true)
	now := time.Now()
	s.Sessions.now = func() time.Time { return now }
	old := initSession(t, ts.URL, "alice")
	if _, ok := s.direct.sessions.Load(old); !ok {
		t.Fatal("session not registered")
	}
	now = now.Add(25 * time.Hour)   // past the default 24 h idle, past the sweep interval
	initSession(t, ts.URL, "alice") // binding a new session sweeps
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := s.direct.sessions.Load(old); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("expired session still registered with mcp-go")
		}
		time.Sleep(10 * time.Millisecond)
	}
	h := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer alice", "Mcp-Session-Id": old, "MCP-Protocol-Version": "2025-06-18"}
	if code, _, body := rawMCP(t, ts.URL, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami"}}`, h); code != 404 {
		t.Fatalf("expired session answered %d %s", code, body)
	}
}

func TestSweepEndsOnlyStreamable(t *testing.T) {
	s := NewSessions(100, time.Hour)
	now := time.Now()
	s.now = func() time.Time { return now }
	ended := make(chan []string, 4)
	s.onEnd = func(sids []string) { ended <- sids }
	id := &auth.Identity{Mode: "test", Subject: "a"}
	streamable, sse := s.bind(id, true), s.Bind(id)
	now = now.Add(2 * time.Hour)
	s.Bind(id)
	select {
	case got := <-ended:
		if len(got) != 1 || got[0] != streamable {
			t.Fatalf("ended %v, want only the streamable session %s (not the SSE one %s)", got, streamable, sse)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no session ended")
	}
	// Eviction when full ends the evicted streamable session too.
	small := NewSessions(2, time.Hour)
	small.now = s.now
	small.onEnd = s.onEnd
	first := small.bind(id, true)
	now = now.Add(time.Second)
	small.bind(id, true)
	now = now.Add(time.Second)
	small.bind(id, true)
	select {
	case got := <-ended:
		if len(got) != 1 || got[0] != first {
			t.Fatalf("evicted %v, want %s", got, first)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no session ended on eviction")
	}
}

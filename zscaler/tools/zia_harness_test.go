package tools

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// ziaHarness is a loopback OneAPI stand-in serving the ZIA and ZCC routes,
// a real zscaler.Client for it, and a real mcp-go server carrying the
// built ZIA and ZCC tools, reached through mcp-go's in-process client.
type ziaHarness struct {
	t   *testing.T
	srv *zscalertest.Server
	zia *zscalertest.ZIA
	zcc *zscalertest.ZCC
	cli *client.Client
}

// newZIAHarness starts a harness. With validate, mcp-go also checks every
// call's arguments against the tool's input schema before Run sees them
// (production does not turn that on, so Run validates on its own; the
// valid-call tests use it to prove the schemas accept what they send).
func newZIAHarness(t *testing.T, validate bool) *ziaHarness {
	t.Helper()
	ctx := context.Background()
	s := zscalertest.New(t)
	h := &ziaHarness{t: t, srv: s, zia: zscalertest.ServeZIA(s), zcc: zscalertest.ServeZCC(s)}
	c, err := zscaler.New(ctx, ziaTestConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	opts := []server.ServerOption{server.WithToolCapabilities(false)}
	if validate {
		opts = append(opts, server.WithInputSchemaValidation())
	}
	ms := server.NewMCPServer("zia-test", "1", opts...)
	for _, tl := range Build(append(ziaSpecs(), zccSpecs()...), c) {
		ms.AddTool(tl.Def, tl.Handler)
	}
	cli, err := client.NewInProcessClient(ms)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	if err := cli.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{
		ProtocolVersion: "2025-06-18", ClientInfo: mcp.Implementation{Name: "zia-test", Version: "1"},
	}}); err != nil {
		t.Fatal(err)
	}
	h.cli = cli
	return h
}

// ziaTestConfig points a client at the stand-in. Every case builds its own
// client, so the client-side rate limiter's burst covers most cases; the
// paged ones wait for it briefly.
func ziaTestConfig(s *zscalertest.Server) zscaler.Config {
	return zscaler.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, TokenURL: s.TokenURL, BaseURL: s.URL, Timeout: 5 * time.Second,
		RateLimits: zscaler.NoRateLimits()}
}

// call runs a tool through the MCP client and returns the result, its
// text and the API requests the call caused.
func (h *ziaHarness) call(ctx context.Context, name string, args map[string]any) (*mcp.CallToolResult, string, []zscalertest.Recorded) {
	h.t.Helper()
	before := len(h.srv.Requests())
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := h.cli.CallTool(ctx, req)
	if err != nil {
		h.t.Fatalf("%s: CallTool: %v", name, err)
	}
	var text string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			text += tc.Text
		}
	}
	return res, text, h.srv.Requests()[before:]
}

// ziaReq is an API request a tool call must make.
type ziaReq struct {
	method, path string
	// query is the exact expected query (nil: no query).
	query url.Values
	// body, when set, checks the decoded JSON body.
	body func(t *testing.T, b map[string]any)
	// bodyJSON, when set, is the exact expected JSON body (any JSON value).
	bodyJSON string
}

func ziaCheckRequests(t *testing.T, got []zscalertest.Recorded, want []ziaReq) {
	t.Helper()
	if len(got) != len(want) {
		var lines []string
		for _, g := range got {
			lines = append(lines, g.Method+" "+g.Path+"?"+g.Query)
		}
		t.Fatalf("API requests: got %d, want %d:\n%s", len(got), len(want), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		g := got[i]
		if g.Method != w.method || g.Path != w.path {
			t.Errorf("request %d: got %s %s, want %s %s", i, g.Method, g.Path, w.method, w.path)
		}
		q, err := url.ParseQuery(g.Query)
		if err != nil {
			t.Fatalf("request %d: query %q: %v", i, g.Query, err)
		}
		if len(q) == 0 {
			q = nil
		}
		if !reflect.DeepEqual(q, w.query) {
			t.Errorf("request %d %s %s: query %v, want %v", i, g.Method, g.Path, q, w.query)
		}
		if w.bodyJSON != "" {
			var gotV, wantV any
			if json.Unmarshal(g.Body, &gotV) != nil || json.Unmarshal([]byte(w.bodyJSON), &wantV) != nil || !reflect.DeepEqual(gotV, wantV) {
				t.Errorf("request %d: body %s, want %s", i, g.Body, w.bodyJSON)
			}
		}
		if w.body != nil {
			var b map[string]any
			if err := json.Unmarshal(g.Body, &b); err != nil {
				t.Fatalf("request %d: body %q is not a JSON object: %v", i, g.Body, err)
			}
			w.body(t, b)
		}
	}
}

// ziaObject decodes a successful tool result's text into an object.
func ziaObject(t *testing.T, res *mcp.CallToolResult, text string) map[string]any {
	t.Helper()
	if res.IsError {
		t.Fatalf("unexpected isError result: %s", text)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("result %q is not a JSON object: %v", text, err)
	}
	return out
}

// ziaNames returns the field f of each item of a list result.
func ziaNames(t *testing.T, out map[string]any, f string) []string {
	t.Helper()
	items, ok := out["items"].([]any)
	if !ok {
		t.Fatalf("result has no items array: %v", out)
	}
	if n, _ := out["count"].(float64); int(n) != len(items) {
		t.Errorf("count %v, but %d items", out["count"], len(items))
	}
	var names []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		s, _ := m[f].(string)
		names = append(names, s)
	}
	return names
}

func ziaPage(page, size string, extra ...string) url.Values {
	q := url.Values{"page": {page}, "pageSize": {size}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

// ziaCtx bounds a tool call. The deadline also makes a client with
// retries give up at once on an injected fault whose Retry-After is longer.
func ziaCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

package tools_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/zscaler"
	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// zpaEnv is a stand-in, a real client pointed at it and the built tools of
// the services under test (the zpa, zdx and zidentity tool tests share it).
type zpaEnv struct {
	s     *zscalertest.Server
	tools map[string]resource.Tool
}

// zpaNewEnv starts a stand-in, lets serve register routes on it and builds
// every tool of service against a client with the stand-in's credentials
// (customerID overrides the ZPA customer id when not nil).
func zpaNewEnv(t *testing.T, service string, customerID *string, serve func(*zscalertest.Server)) *zpaEnv {
	t.Helper()
	s := zscalertest.New(t)
	serve(s)
	cid := s.CustomerID
	if customerID != nil {
		cid = *customerID
	}
	c, err := zscaler.New(context.Background(), zscaler.Config{
		ClientID: s.ClientID, ClientSecret: s.ClientSecret, TokenURL: s.TokenURL, BaseURL: s.URL, CustomerID: cid,
		RateLimits: zscaler.NoRateLimits(), // the stand-in needs no protection from the client-side limiter
	})
	if err != nil {
		t.Fatalf("zscaler.New: %v", err)
	}
	var specs []tools.Spec
	for _, sp := range tools.All() {
		if sp.Service == service {
			specs = append(specs, sp)
		}
	}
	env := &zpaEnv{s: s, tools: map[string]resource.Tool{}}
	for _, tl := range tools.Build(specs, c) {
		env.tools[tl.Def.Name] = tl
	}
	return env
}

// zpaCallResult is what one tool call did.
type zpaCallResult struct {
	isError bool
	text    string
	json    map[string]any
	reqs    []zscalertest.Recorded
}

// call runs the tool's built handler and returns its result with the API
// requests the stand-in received during the call.
func (e *zpaEnv) call(t *testing.T, name string, args any) zpaCallResult {
	t.Helper()
	tl, ok := e.tools[name]
	if !ok {
		t.Fatalf("no tool %q", name)
	}
	before := len(e.s.Requests())
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := tl.Handler(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: handler error: %v", name, err)
	}
	if len(res.Content) != 1 {
		t.Fatalf("%s: %d content items", name, len(res.Content))
	}
	tc, ok := res.Content[0].(mcp.TextContent)
	if !ok {
		t.Fatalf("%s: content is %T", name, res.Content[0])
	}
	out := zpaCallResult{isError: res.IsError, text: tc.Text, reqs: e.s.Requests()[before:]}
	if !res.IsError {
		if err := json.Unmarshal([]byte(tc.Text), &out.json); err != nil {
			t.Fatalf("%s: result is not a JSON object: %v\n%s", name, err, tc.Text)
		}
	}
	return out
}

// zpaWantReq checks one recorded request's method, path and query.
func zpaWantReq(t *testing.T, r zscalertest.Recorded, method, path string, query url.Values) {
	t.Helper()
	if r.Method != method || r.Path != path {
		t.Errorf("request = %s %s, want %s %s", r.Method, r.Path, method, path)
	}
	got, err := url.ParseQuery(r.Query)
	if err != nil {
		t.Fatalf("query %q: %v", r.Query, err)
	}
	if query == nil {
		query = url.Values{}
	}
	if got.Encode() != query.Encode() {
		t.Errorf("%s %s query = %q, want %q", r.Method, r.Path, got.Encode(), query.Encode())
	}
}

// zpaBody decodes a recorded JSON body.
func zpaBody(t *testing.T, r zscalertest.Recorded) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s body %q: %v", r.Method, r.Path, r.Body, err)
	}
	return m
}

// zpaJSON re-encodes v for comparisons that ignore Go types.
func zpaJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// zpaItems returns the items of a list tool's answer.
func zpaItems(t *testing.T, res zpaCallResult) []map[string]any {
	t.Helper()
	raw, ok := res.json["items"].([]any)
	if !ok {
		t.Fatalf("answer has no items: %s", res.text)
	}
	out := make([]map[string]any, len(raw))
	for i, it := range raw {
		out[i], _ = it.(map[string]any)
	}
	if n, _ := res.json["count"].(float64); int(n) != len(out) {
		t.Errorf("count = %v, items = %d", res.json["count"], len(out))
	}
	return out
}

// zpaNames lists the name fields of items.
func zpaNames(items []map[string]any, field string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it[field].(string)
	}
	return out
}

// zpaWantError checks an isError result mentions every part.
func zpaWantError(t *testing.T, res zpaCallResult, parts ...string) {
	t.Helper()
	if !res.isError {
		t.Fatalf("want an isError result, got %s", res.text)
	}
	for _, p := range parts {
		if !strings.Contains(res.text, p) {
			t.Errorf("error %q does not mention %q", res.text, p)
		}
	}
}

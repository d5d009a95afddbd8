package main

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// postMCP sends one raw JSON-RPC body to /mcp with the api key.
func postMCP(t *testing.T, base, key, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestWriteToolScopeStepUp: enabled write tools are listed to every
// caller; calling one without zscaler.write is 403 insufficient_scope with
// the step-up scope, before the tool runs; read tools work with
// zscaler.read. The tool name the check reads is the one mcp-go would run,
// whatever its key's case.
func TestWriteToolScopeStepUp(t *testing.T) {
	si := newStandIn(t)
	srv := startCat(t, si.env(map[string]string{"ZSCALER_MCP_AUTH_SCOPES": "zscaler.read"}), testCatalogue(), "--enable-write-tools", "--write-tools", "*")
	c, err := connect(t, srv.URL, "streamable-http", bearer())
	if err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, c); !slices.Contains(got, "zia_create_url_category") || !slices.Contains(got, "zpa_delete_segment_group") {
		t.Errorf("write tools not listed to a read-only caller: %v", got)
	}
	res, text, err := call(t, c, "zia_list_url_categories", nil)
	if err != nil || res.IsError || !strings.Contains(text, "Finance") {
		t.Fatalf("read tool with zscaler.read: %v %q", err, text)
	}
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"zia_create_url_category","arguments":{"name":"x"}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"zpa_delete_segment_group","arguments":{"id":"7"}}}`,
		// A case-variant key alone is read as mcp-go reads it: still the write tool.
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"Name":"zia_create_url_category","arguments":{"name":"x"}}}`,
		`{"jsonrpc":"2.0","id":4,"Method":"tools/call","params":{"NAME":"zia_create_url_category","arguments":{"name":"x"}}}`,
	} {
		resp, out := postMCP(t, srv.URL, testAPIKey, body)
		wa := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(wa, `error="insufficient_scope"`) || !strings.Contains(wa, `scope="zscaler.read zscaler.write"`) {
			t.Errorf("%s: %d %q %s; want 403 insufficient_scope with the step-up scope", body, resp.StatusCode, wa, out)
		}
	}
	if n := si.requests("POST", "/zia/") + si.requests("DELETE", "/zpa/"); n != 0 {
		t.Fatalf("%d write requests reached the API without zscaler.write", n)
	}
}

// TestToolNameKeyConfusionRefused: a tools/call whose params carry the
// name twice, or once more in another case, is refused 400 by the JSON
// guard before auth, scope checks or any tool runs, so the per-tool scope
// check and mcp-go can never read different tool names.
func TestToolNameKeyConfusionRefused(t *testing.T) {
	si := newStandIn(t)
	for _, scopes := range []string{"zscaler.read", "zscaler.read,zscaler.write"} {
		srv := startCat(t, si.env(map[string]string{"ZSCALER_MCP_AUTH_SCOPES": scopes}), testCatalogue(), "--enable-write-tools", "--write-tools", "*")
		for _, body := range []string{
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"zia_list_url_categories","Name":"zia_create_url_category","arguments":{"name":"x"}}}`,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"Name":"zia_create_url_category","name":"zia_list_url_categories","arguments":{"name":"x"}}}`,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"zia_list_url_categories","name":"zia_create_url_category","arguments":{"name":"x"}}}`,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"zia_create_url_category","arguments":{"name":"x"}},"Params":{"name":"zia_list_url_categories"}}`,
		} {
			resp, out := postMCP(t, srv.URL, testAPIKey, body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(out, `"code":-32600`) {
				t.Errorf("scopes %s, %s: %d %s; want 400 -32600", scopes, body, resp.StatusCode, out)
			}
		}
	}
	if n := len(si.Requests()); n != 0 {
		t.Fatalf("%d API requests from refused bodies", n)
	}
}

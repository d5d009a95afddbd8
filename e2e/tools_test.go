//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// TestMCPRemoteZscalerTools is the README's Claude Desktop / Cursor setup
// for the Zscaler tools: the real binary holding OneAPI credentials (for
// the loopback stand-in), api-key client auth, and the real mcp-remote in
// front. Through it: the tools are listed, with write tools only as far as
// both write flags allow; a read tool answers from the API; a delete goes
// through the confirmation-token round trip (mcp-remote passes the
// structured result and the token through unchanged).
func TestMCPRemoteZscalerTools(t *testing.T) {
	s := zscalertest.New(t)
	zscalertest.ServeZIA(s)
	env := map[string]string{
		"ZSCALER_CLIENT_ID": s.ClientID, "ZSCALER_CLIENT_SECRET": s.ClientSecret,
		"ZSCALER_TOKEN_URL": s.TokenURL, "ZSCALER_API_BASE_URL": s.URL,
		"ZSCALER_MCP_AUTH_API_KEY":      apiKey,
		"ZSCALER_MCP_WRITE_ENABLED":     "true",
		"ZSCALER_MCP_WRITE_TOOLS":       "zia_delete_url_category",
		"ZSCALER_MCP_API_RATE_LIMITS":   "zia=off",
		"ZSCALER_MCP_CONFIRMATION_TTL":  "1m",
		"ZSCALER_MCP_DISABLED_SERVICES": "zcc",
	}
	srv := startServer(t, "", "streamable-http", env)
	p := startProxy(t, append(httpOnly.args(srv.Port), "--header", "Authorization: Bearer "+apiKey))
	ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
	defer cancel()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\n--- mcp-remote stderr:\n%s\n--- zscaler-mcp stderr:\n%s", fmt.Sprintf(format, args...), p.Stderr, srv.Stderr)
	}
	if _, err := p.Client.Initialize(ctx, initRequest()); err != nil {
		fail("initialize: %v", err)
	}
	tl, err := p.Client.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		fail("tools/list: %v", err)
	}
	var names []string
	for _, tool := range tl.Tools {
		names = append(names, tool.Name)
	}
	for _, want := range []string{"whoami", "zia_list_url_categories", "zia_delete_url_category"} {
		if !slices.Contains(names, want) {
			fail("%s not listed: %v", want, names)
		}
	}
	for _, never := range []string{"zia_create_url_category", "zia_delete_url_filtering_rule", "zcc_list_devices"} {
		if slices.Contains(names, never) {
			fail("%s listed although not enabled: %v", never, names)
		}
	}

	text := func(r *mcp.CallToolResult) string {
		var b strings.Builder
		for _, c := range r.Content {
			if tc, ok := c.(mcp.TextContent); ok {
				b.WriteString(tc.Text)
			}
		}
		return b.String()
	}
	callTool := func(name string, args map[string]any) *mcp.CallToolResult {
		t.Helper()
		r, err := p.Client.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: name, Arguments: args}})
		if err != nil {
			fail("tools/call %s: %v", name, err)
		}
		return r
	}
	if r := callTool("zia_list_url_categories", nil); r.IsError || !strings.Contains(text(r), "CUSTOM_01") {
		fail("read tool: %s", text(r))
	}

	r := callTool("zia_delete_url_category", map[string]any{"id": "CUSTOM_01"})
	if r.IsError || !strings.Contains(text(r), "nothing was deleted") {
		fail("first delete call: %s", text(r))
	}
	var cr struct {
		Token string `json:"confirmation_token"`
	}
	b, _ := json.Marshal(r.StructuredContent)
	if err := json.Unmarshal(b, &cr); err != nil || cr.Token == "" {
		fail("no confirmation token in the structured result %s", b)
	}
	r = callTool("zia_delete_url_category", map[string]any{"id": "CUSTOM_01", "confirmation_token": cr.Token})
	if r.IsError || !strings.Contains(text(r), "CUSTOM_01") {
		fail("confirmed delete: %s", text(r))
	}
	if r := callTool("zia_get_url_category", map[string]any{"id": "CUSTOM_01"}); !r.IsError {
		fail("the category is still there: %s", text(r))
	}
	if err := p.Close(); err != nil {
		t.Errorf("mcp-remote did not exit cleanly: %v\n%s", err, p.Stderr)
	}
}

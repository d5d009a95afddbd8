package tools_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/zscaler"
	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// zpaMyServices are the services whose tools these tests cover.
var zpaMyServices = map[string]bool{"zpa": true, "zdx": true, "zidentity": true}

// TestZPACatalogue checks the zpa, zdx and zidentity specs: naming, kinds
// matching verbs, toolsets, descriptions, and the required counts.
func TestZPACatalogue(t *testing.T) {
	name := regexp.MustCompile(`^(zpa|zdx|zidentity)_(list|get|create|update|delete)_[a-z_]+[a-z]$`)
	counts := map[string]int{}
	writes := map[string]int{}
	for _, s := range tools.All() {
		if !zpaMyServices[s.Service] {
			continue
		}
		counts[s.Service]++
		if s.Write() {
			writes[s.Service]++
		}
		m := name.FindStringSubmatch(s.Name)
		if m == nil || m[1] != s.Service {
			t.Errorf("%s: name does not follow <service>_<verb>_<object> for service %q", s.Name, s.Service)
			continue
		}
		wantKind := map[string]tools.Kind{"list": tools.Read, "get": tools.Read, "create": tools.Write, "update": tools.Write, "delete": tools.Delete}[m[2]]
		if s.Kind != wantKind {
			t.Errorf("%s: kind %v, want %v", s.Name, s.Kind, wantKind)
		}
		if (m[2] == "update") != s.Idempotent {
			t.Errorf("%s: idempotent = %v (only updates are)", s.Name, s.Idempotent)
		}
		if !strings.HasPrefix(s.Toolset, s.Service+"_") || s.Title == "" || len(s.Description) < 40 {
			t.Errorf("%s: toolset %q, title %q, description %q", s.Name, s.Toolset, s.Title, s.Description)
		}
		def := s.Def()
		if def.InputSchema.AdditionalProperties != false {
			t.Errorf("%s: schema allows unknown arguments", s.Name)
		}
		for p, raw := range def.InputSchema.Properties {
			if prop, _ := raw.(map[string]any); prop["description"] == nil {
				t.Errorf("%s: argument %s has no description", s.Name, p)
			}
		}
		if (m[2] == "get" || m[2] == "update" || m[2] == "delete") && !slices.Contains(def.InputSchema.Required, "id") {
			t.Errorf("%s: id is not required", s.Name)
		}
	}
	if counts["zpa"] < 14 || writes["zpa"] < 5 {
		t.Errorf("zpa: %d tools, %d write; want ≥ 14 and ≥ 5", counts["zpa"], writes["zpa"])
	}
	if counts["zdx"] < 3 || counts["zidentity"] < 3 {
		t.Errorf("zdx %d, zidentity %d tools; want ≥ 3 each", counts["zdx"], counts["zidentity"])
	}
}

// TestZPAThroughMCPClient drives the tools through a real in-process
// mcp-go client and the project's MCP server: tools/list shows the
// annotations and schemas, and tools/call (JSON on the wire) reaches the
// stand-in.
func TestZPAThroughMCPClient(t *testing.T) {
	s := zscalertest.New(t)
	zscalertest.ServeZPA(s)
	zscalertest.ServeZDX(s)
	zscalertest.ServeZIdentity(s)
	zc, err := zscaler.New(context.Background(), zscaler.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, TokenURL: s.TokenURL, BaseURL: s.URL, CustomerID: s.CustomerID,
		RateLimits: zscaler.NoRateLimits()}) // the stand-in needs no protection from the client-side limiter
	if err != nil {
		t.Fatal(err)
	}
	var specs []tools.Spec
	for _, sp := range tools.All() {
		if zpaMyServices[sp.Service] {
			specs = append(specs, sp)
		}
	}
	reg := resource.NewRegistry()
	for _, tl := range tools.Build(specs, zc) {
		if err := reg.Add(tl); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.NewInProcessClient(resource.NewMCPServer("zscaler-mcp-test", "0", reg, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := resource.StdioContext(t.Context())
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}

	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]mcp.Tool{}
	for _, tl := range list.Tools {
		byName[tl.Name] = tl
	}
	if len(byName) != len(specs) {
		t.Errorf("tools/list has %d tools, want %d", len(byName), len(specs))
	}
	for _, tt := range []struct {
		name                              string
		readOnly, destructive, idempotent bool
	}{
		{"zpa_list_application_segments", true, false, true},
		{"zpa_create_application_segment", false, false, false},
		{"zpa_update_application_segment", false, false, true},
		{"zpa_delete_application_segment", false, true, true},
		{"zdx_list_devices", true, false, true},
		{"zidentity_get_user", true, false, true},
	} {
		a := byName[tt.name].Annotations
		if a.ReadOnlyHint == nil || *a.ReadOnlyHint != tt.readOnly || *a.DestructiveHint != tt.destructive || *a.IdempotentHint != tt.idempotent || a.Title == "" {
			t.Errorf("%s annotations = %+v", tt.name, a)
		}
	}
	schema, _ := json.Marshal(byName["zpa_create_application_segment"].InputSchema)
	for _, want := range []string{`"required":["name","domain_names","segment_group_id","server_group_ids"]`, `"enum":["NEVER","ALWAYS","ON_NET"]`, `"additionalProperties":false`} {
		if !strings.Contains(string(schema), want) {
			t.Errorf("create schema lacks %s: %s", want, schema)
		}
	}

	call := func(name string, args any) *mcp.CallToolResult {
		t.Helper()
		var req mcp.CallToolRequest
		req.Params.Name = name
		req.Params.Arguments = args
		res, err := c.CallTool(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	text := func(r *mcp.CallToolResult) string { return r.Content[0].(mcp.TextContent).Text }

	if r := call("zpa_get_application_segment", map[string]any{"id": "216196257331291966"}); r.IsError || !strings.Contains(text(r), `"name":"Finance ERP"`) {
		t.Errorf("zpa_get_application_segment: %s", text(r))
	}
	if r := call("zdx_get_device", map[string]any{"id": 132559214}); r.IsError || !strings.Contains(text(r), `"name":"LT-tom.brown-01"`) {
		t.Errorf("zdx_get_device: %s", text(r))
	}
	r := call("zidentity_list_groups", map[string]any{"max_items": 2})
	var got struct {
		Items     []map[string]any `json:"items"`
		Truncated bool             `json:"truncated"`
	}
	if r.IsError || json.Unmarshal([]byte(text(r)), &got) != nil || len(got.Items) != 2 || !got.Truncated {
		t.Errorf("zidentity_list_groups: %s", text(r))
	}
	if r := call("zpa_get_segment_group", map[string]any{"id": 216196257331291952.0}); !r.IsError || !strings.Contains(text(r), "invalid arguments: id must be a string") {
		t.Errorf("numeric ZPA id: %s", text(r))
	}
	if r := call("zpa_list_segment_groups", []any{"Finance"}); !r.IsError || !strings.Contains(text(r), "invalid arguments: arguments must be a JSON object") {
		t.Errorf("array arguments: %s", text(r))
	}
}

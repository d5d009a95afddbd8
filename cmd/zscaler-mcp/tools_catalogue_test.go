package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// TestRealCatalogueWiring runs the binary's own catalogue (tools.All())
// through the wiring against the full stand-in: the write gate picks the
// allowed write tools, every registered delete tool offers
// confirmation_token, and a real delete tool deletes only after its
// confirmation token comes back.
func TestRealCatalogueWiring(t *testing.T) {
	s := zscalertest.New(t)
	zscalertest.ServeZIA(s)
	zscalertest.ServeZPA(s)
	zscalertest.ServeZDX(s)
	zscalertest.ServeZCC(s)
	zscalertest.ServeZIdentity(s)
	si := &standIn{Server: s}
	srv := startCat(t, si.env(nil), tools.All(), "--enable-write-tools", "--write-tools", "*_delete_*")
	c, err := connect(t, srv.URL, "streamable-http", bearer())
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]tools.Kind{}
	for _, sp := range tools.All() {
		kinds[sp.Name] = sp.Kind
	}
	var listed []string
	deletes := 0
	for _, tl := range res.Tools {
		listed = append(listed, tl.Name)
		_, hasToken := tl.InputSchema.Properties[tools.ConfirmationArg]
		switch kinds[tl.Name] {
		case tools.Write:
			t.Errorf("write tool %s registered outside --write-tools *_delete_*", tl.Name)
		case tools.Delete:
			deletes++
			if !hasToken {
				t.Errorf("delete tool %s has no %s parameter", tl.Name, tools.ConfirmationArg)
			}
		default:
			if hasToken {
				t.Errorf("%s is not a delete tool but offers %s", tl.Name, tools.ConfirmationArg)
			}
		}
	}
	if deletes == 0 || !slices.Contains(listed, "zia_list_url_categories") {
		t.Fatalf("catalogue not wired: %v", listed)
	}

	args := map[string]any{"id": "CUSTOM_01"}
	r, text, err := call(t, c, "zia_delete_url_category", args)
	if err != nil || r.IsError {
		t.Fatalf("first delete call: %v %s", err, text)
	}
	var cr tools.ConfirmationRequired
	structured(t, r, &cr)
	if si.requests("DELETE", "/zia/api/v1/urlCategories/") != 0 || cr.ConfirmationToken == "" {
		t.Fatalf("deleted before confirmation, or no token: %s", text)
	}
	args[tools.ConfirmationArg] = cr.ConfirmationToken
	r, text, err = call(t, c, "zia_delete_url_category", args)
	if err != nil || r.IsError || !strings.Contains(text, "CUSTOM_01") {
		t.Fatalf("confirmed delete: %v %s", err, text)
	}
	if n := si.requests("DELETE", "/zia/api/v1/urlCategories/CUSTOM_01"); n != 1 {
		t.Fatalf("%d DELETE requests, want 1", n)
	}
	r, text, _ = call(t, c, "zia_get_url_category", map[string]any{"id": "CUSTOM_01"})
	if r == nil || !r.IsError || !strings.Contains(text, "404") {
		t.Errorf("deleted category still there: %s", text)
	}
}

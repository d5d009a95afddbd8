package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// testAPIKey is the api-key the tool tests authenticate with.
const testAPIKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// testCatalogue is a small catalogue standing in for tools.All(): read,
// write and delete tools of zia and zpa calling routes the stand-in
// serves (registered by newStandIn).
func testCatalogue() []tools.Spec {
	id := func(req mcp.CallToolRequest) (string, error) {
		v, err := req.RequireString("id")
		if err != nil || v == "" || strings.Trim(v, "0123456789") != "" {
			return "", tools.Argf("id must be a numeric string")
		}
		return url.PathEscape(v), nil
	}
	return []tools.Spec{
		{Name: "zia_list_url_categories", Title: "List URL categories", Description: "List the URL categories. Returns id and name.",
			Service: "zia", Toolset: "zia_url_categories", Kind: tools.Read,
			Run: func(ctx context.Context, c *zscaler.Client, _ mcp.CallToolRequest) (any, error) {
				var out []map[string]any
				err := c.Do(ctx, zscaler.Request{Service: "zia", Path: "/zia/api/v1/urlCategories"}, &out)
				return map[string]any{"items": out}, err
			}},
		{Name: "zia_create_url_category", Title: "Create URL category", Description: "Create a custom URL category.",
			Service: "zia", Toolset: "zia_url_categories", Kind: tools.Write,
			Params: []mcp.ToolOption{mcp.WithString("name", mcp.Required())},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				name, err := req.RequireString("name")
				if err != nil {
					return nil, tools.Argf("name is required")
				}
				var out map[string]any
				err = c.Do(ctx, zscaler.Request{Service: "zia", Method: http.MethodPost, Path: "/zia/api/v1/urlCategories", Body: map[string]any{"configuredName": name}}, &out)
				return out, err
			}},
		{Name: "zia_delete_url_category", Title: "Delete URL category", Description: "Delete a custom URL category.",
			Service: "zia", Toolset: "zia_url_categories", Kind: tools.Delete,
			Params: []mcp.ToolOption{mcp.WithString("id", mcp.Required())},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				v, err := id(req)
				if err != nil {
					return nil, err
				}
				err = c.Do(ctx, zscaler.Request{Service: "zia", Method: http.MethodDelete, Path: "/zia/api/v1/urlCategories/" + v}, nil)
				return map[string]any{"deleted": v}, err
			}},
		{Name: "zpa_list_segment_groups", Title: "List segment groups", Description: "List the ZPA segment groups.",
			Service: "zpa", Toolset: "zpa_segment_groups", Kind: tools.Read,
			Run: func(ctx context.Context, c *zscaler.Client, _ mcp.CallToolRequest) (any, error) {
				var out map[string]any
				err := c.Do(ctx, zscaler.Request{Service: "zpa", Path: "/zpa/mgmtconfig/v1/admin/customers/" + url.PathEscape(c.CustomerID()) + "/segmentGroup"}, &out)
				return out, err
			}},
		{Name: "zpa_update_segment_group", Title: "Update segment group", Description: "Rename a ZPA segment group.",
			Service: "zpa", Toolset: "zpa_segment_groups", Kind: tools.Write, Idempotent: true,
			Params: []mcp.ToolOption{mcp.WithString("id", mcp.Required()), mcp.WithString("name", mcp.Required())},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				v, err := id(req)
				if err != nil {
					return nil, err
				}
				err = c.Do(ctx, zscaler.Request{Service: "zpa", Method: http.MethodPut, Path: "/zpa/mgmtconfig/v1/admin/customers/" + url.PathEscape(c.CustomerID()) + "/segmentGroup/" + v, Body: map[string]any{"name": req.GetString("name", "")}}, nil)
				return map[string]any{"updated": v}, err
			}},
		{Name: "zpa_delete_segment_group", Title: "Delete segment group", Description: "Delete a ZPA segment group.",
			Service: "zpa", Toolset: "zpa_segment_groups", Kind: tools.Delete,
			Params: []mcp.ToolOption{mcp.WithString("id", mcp.Required())},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				v, err := id(req)
				if err != nil {
					return nil, err
				}
				err = c.Do(ctx, zscaler.Request{Service: "zpa", Method: http.MethodDelete, Path: "/zpa/mgmtconfig/v1/admin/customers/" + url.PathEscape(c.CustomerID()) + "/segmentGroup/" + v}, nil)
				return map[string]any{"deleted": v}, err
			}},
	}
}

// standIn is the OneAPI stand-in with the test catalogue's routes.
type standIn struct {
	*zscalertest.Server
	URLCategories *zscalertest.Collection
	SegmentGroups *zscalertest.Collection
}

// newStandIn starts the stand-in; products are the service-info of the
// server credential's tokens (none: all).
func newStandIn(t *testing.T, products ...string) *standIn {
	t.Helper()
	s := &standIn{
		Server:        zscalertest.New(t, products...),
		URLCategories: zscalertest.NewCollection("id", false, map[string]any{"id": 1, "configuredName": "Finance"}, map[string]any{"id": 2, "configuredName": "Travel"}),
		SegmentGroups: zscalertest.NewCollection("id", true, map[string]any{"id": "7", "name": "Web apps"}),
	}
	// ZIA URL categories, shapes after zscaler-sdk-go
	// zscaler/zia/services/urlcategories/urlcategories.go (/urlCategories,
	// /urlCategories/{id}).
	s.Handle("GET /zia/api/v1/urlCategories", func(w http.ResponseWriter, _ *http.Request) {
		zscalertest.WriteJSON(w, http.StatusOK, s.URLCategories.List())
	})
	s.Handle("POST /zia/api/v1/urlCategories", func(w http.ResponseWriter, r *http.Request) {
		if o, ok := zscalertest.DecodeObject(w, r); ok {
			zscalertest.WriteJSON(w, http.StatusOK, s.URLCategories.Create(o))
		}
	})
	s.Handle("DELETE /zia/api/v1/urlCategories/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !s.URLCategories.Delete(r.PathValue("id")) {
			zscalertest.WriteJSON(w, http.StatusNotFound, map[string]string{"code": "RESOURCE_NOT_FOUND", "message": "no URL category " + r.PathValue("id")})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	// ZPA segment groups, shapes after zscaler-sdk-go
	// zscaler/zpa/services/segmentgroup/segmentgroup.go
	// (/mgmtconfig/v1/admin/customers/{customerId}/segmentGroup, paged
	// {totalPages, list}).
	base := "/zpa/mgmtconfig/v1/admin/customers/" + s.CustomerID + "/segmentGroup"
	s.Handle("GET "+base, func(w http.ResponseWriter, _ *http.Request) {
		zscalertest.WriteJSON(w, http.StatusOK, map[string]any{"totalPages": "1", "list": s.SegmentGroups.List()})
	})
	s.Handle("PUT "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		if o, ok := zscalertest.DecodeObject(w, r); ok {
			if _, found := s.SegmentGroups.Update(r.PathValue("id"), o); !found {
				zscalertest.WriteJSON(w, http.StatusNotFound, map[string]string{"id": "resource.not.found", "reason": "no segment group"})
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}
	})
	s.Handle("DELETE "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !s.SegmentGroups.Delete(r.PathValue("id")) {
			zscalertest.WriteJSON(w, http.StatusNotFound, map[string]string{"id": "resource.not.found", "reason": "no segment group"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return s
}

// env is the environment of a server using the stand-in as its OneAPI,
// with api-key client auth (testAPIKey), plus extra.
func (s *standIn) env(extra map[string]string) map[string]string {
	env := map[string]string{
		"ZSCALER_CLIENT_ID": s.ClientID, "ZSCALER_CLIENT_SECRET": s.ClientSecret,
		"ZSCALER_TOKEN_URL": s.TokenURL, "ZSCALER_API_BASE_URL": s.URL,
		"ZSCALER_CUSTOMER_ID": s.CustomerID, "ZSCALER_MCP_AUTH_API_KEY": testAPIKey,
	}
	for k, v := range extra {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	return env
}

// requests counts the stand-in's API requests with this method and path prefix.
func (s *standIn) requests(method, prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// startCat is start with the given tool catalogue instead of tools.All().
func startCat(t *testing.T, env map[string]string, catalogue []tools.Spec, args ...string) *running {
	t.Helper()
	args = append([]string{"--port", "0", "--transport", "streamable-http", "--data-dir", t.TempDir()}, args...)
	return launch(t, env, args, func(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
		return runWith(ctx, args, getenv, stdin, stdout, stderr, catalogue)
	})
}

// bearer is the header set of the api-key test client.
func bearer() map[string]string { return map[string]string{"Authorization": "Bearer " + testAPIKey} }

// listNames returns the names tools/list shows c.
func listNames(t *testing.T, c *client.Client) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	out := make([]string, 0, len(res.Tools))
	for _, tl := range res.Tools {
		out = append(out, tl.Name)
	}
	return out
}

// call runs tools/call and returns the result's text and structured content.
func call(t *testing.T, c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: name, Arguments: args}})
	if err != nil {
		return nil, "", err
	}
	text := ""
	for _, ct := range res.Content {
		if tc, ok := ct.(mcp.TextContent); ok {
			text += tc.Text
		}
	}
	return res, text, nil
}

// structured decodes a result's structured content into out.
func structured(t *testing.T, res *mcp.CallToolResult, out any) {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
}

package tools

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// ZIA tools (service "zia"). Paths follow zscaler-sdk-go v3
// zscaler/zia/services/...; each area lives in its own zia_*.go file.

const ziaAPI = "/zia/api/v1"

// ziaSpecs returns the zia tools.
func ziaSpecs() []Spec {
	var out []Spec
	for _, f := range []func() []Spec{
		ziaURLCategorySpecs, ziaURLFilteringSpecs, ziaFirewallSpecs,
		ziaLocationSpecs, ziaUserSpecs, ziaActivationSpecs,
	} {
		out = append(out, f()...)
	}
	return ziaConverted(out)
}

// ziaPagedList is a read tool listing a paged ZIA collection (page/pageSize,
// bare array). serverSearch names the query parameter the API searches
// with; when empty, search filters names client-side. extra adds more
// query parameters read from arguments (argument name → query name).
func ziaPagedList(name, title, desc, toolset, path, serverSearch, searchHelp string, extra map[string]string, extraParams ...mcp.ToolOption) Spec {
	return Spec{
		Name: name, Title: title, Description: desc, Service: "zia", Toolset: toolset, Kind: Read,
		Params: append(ziaListParams(searchHelp, ziaMaxPageSize), extraParams...),
		Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
			a := ziaArgsOf(req)
			o, err := a.listOpts(ziaMaxPageSize)
			if err != nil {
				return nil, err
			}
			q := url.Values{}
			for arg, param := range extra {
				v, err := a.str(arg, false)
				if err != nil {
					return nil, err
				}
				if v != "" {
					q.Set(param, v)
				}
			}
			var keep func(map[string]any) bool
			if serverSearch != "" && o.search != "" {
				q.Set(serverSearch, o.search)
			} else {
				keep = ziaNameMatches(o.search, "name")
			}
			return ziaCollect(ctx, c, "zia", path, q, o, keep)
		},
	}
}

// ziaGetByID is a read tool fetching path/{id} for a numeric id.
func ziaGetByID(name, title, desc, toolset, path, idHelp string) Spec {
	return Spec{
		Name: name, Title: title, Description: desc, Service: "zia", Toolset: toolset, Kind: Read,
		Params: []mcp.ToolOption{mcp.WithInteger("id", mcp.Required(), mcp.Min(1), mcp.Description(idHelp))},
		Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
			id, err := ziaArgsOf(req).id("id")
			if err != nil {
				return nil, err
			}
			return ziaGet(ctx, c, "zia", ziaIDPath(path, id))
		},
	}
}

// ziaDeleteByID is a delete tool removing path/{id} for a numeric id.
func ziaDeleteByID(name, title, desc, toolset, path, idHelp string) Spec {
	return Spec{
		Name: name, Title: title, Description: desc, Service: "zia", Toolset: toolset, Kind: Delete,
		Params: []mcp.ToolOption{mcp.WithInteger("id", mcp.Required(), mcp.Min(1), mcp.Description(idHelp))},
		Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
			id, err := ziaArgsOf(req).id("id")
			if err != nil {
				return nil, err
			}
			if err := c.Do(ctx, zscaler.Request{Service: "zia", Method: http.MethodDelete, Path: ziaIDPath(path, id)}, nil); err != nil {
				return nil, err
			}
			return deletedResult{Deleted: true, ID: strconv.Itoa(id)}, nil
		},
	}
}

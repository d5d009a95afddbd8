package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// ZCC tools (service "zcc"). Paths follow zscaler-sdk-go v3
// zscaler/zcc/services/... and zscaler-sdk-python zscaler/zcc/...; they
// share the list helpers of zia_helpers.go.

const (
	zccAPI = "/zcc/papi/public/v1"
	// zccMaxPageSize is the ZCC API's largest page (zscaler-sdk-go
	// zcc/services/common: MaxPageSize 5000). ZCC allows few requests per
	// hour, so the tools ask for full pages.
	zccMaxPageSize = 5000
)

// zccOSTypes maps os_type values to the API's osType codes
// (zscaler-sdk-python zscaler/utils.py zcc_param_map).
var zccOSTypes = map[string]string{"ios": "1", "android": "2", "windows": "3", "macos": "4", "linux": "5"}

// zccSpecs returns the zcc tools.
func zccSpecs() []Spec {
	return ziaConverted([]Spec{
		{
			Name: "zcc_list_devices", Title: "List ZCC devices", Service: "zcc", Toolset: "zcc_devices", Kind: Read,
			Description: "List devices enrolled in Zscaler Client Connector with their user, hostname, OS, agent version, registration state and last-seen time. " +
				"Filter by username (exact enrolled user name) and/or os_type.",
			Params: append(ziaListParams("", zccMaxPageSize)[1:],
				mcp.WithString("username", mcp.Description("Enrolled user name to filter by, e.g. jdoe@acme.com (exact match).")),
				mcp.WithString("os_type", mcp.Enum("ios", "android", "windows", "macos", "linux"), mcp.Description("Device operating system to filter by."))),
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				a := ziaArgsOf(req)
				o, err := a.listOpts(zccMaxPageSize)
				if err != nil {
					return nil, err
				}
				if o.search != "" {
					return nil, Argf("search is not supported here: filter with username or os_type")
				}
				q := url.Values{}
				user, err := a.str("username", false)
				if err != nil {
					return nil, err
				}
				if user != "" {
					q.Set("username", user)
				}
				os, err := a.enum("os_type", false, "ios", "android", "windows", "macos", "linux")
				if err != nil {
					return nil, err
				}
				if os != "" {
					q.Set("osType", zccOSTypes[os])
				}
				return ziaCollect(ctx, c, "zcc", zccAPI+"/getDevices", q, o, nil)
			},
		},
		{
			Name: "zcc_get_device_details", Title: "Get ZCC device details", Service: "zcc", Toolset: "zcc_devices", Kind: Read,
			Description: "Get the details of one Zscaler Client Connector device (hostname, user, OS and agent versions, tunnel version, policy, last seen, rooted) by its udid and/or enrolled username.",
			Params: []mcp.ToolOption{
				mcp.WithString("udid", mcp.Description("Device udid, from zcc_list_devices.")),
				mcp.WithString("username", mcp.Description("Enrolled user name, e.g. jdoe@acme.com.")),
			},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				a := ziaArgsOf(req)
				q := url.Values{}
				for _, f := range []string{"udid", "username"} {
					v, err := a.str(f, false)
					if err != nil {
						return nil, err
					}
					if v != "" {
						q.Set(f, v)
					}
				}
				if len(q) == 0 {
					return nil, Argf("give udid or username")
				}
				var raw json.RawMessage
				if err := c.Do(ctx, zscaler.Request{Service: "zcc", Path: zccAPI + "/getDeviceDetails", Query: q}, &raw); err != nil {
					return nil, err
				}
				return zccObjectOrList(raw)
			},
		},
		{
			Name: "zcc_list_trusted_networks", Title: "List ZCC trusted networks", Service: "zcc", Toolset: "zcc_forwarding", Kind: Read,
			Description: "List Zscaler Client Connector trusted networks (the DNS servers, subnets, gateways, SSIDs or egress IPs that tell ZCC it is on a corporate network).",
			Params:      ziaListParams("Case-insensitive substring of the network name (searched by the API).", zccMaxPageSize),
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				o, err := ziaArgsOf(req).listOpts(zccMaxPageSize)
				if err != nil {
					return nil, err
				}
				return ziaCollectWith(ctx, o, nil, func(ctx context.Context, page int) ([]map[string]any, bool, error) {
					q := url.Values{"page": {strconv.Itoa(page)}, "pageSize": {strconv.Itoa(o.pageSize)}}
					if o.search != "" {
						q.Set("search", o.search)
					}
					var out struct {
						TotalCount int              `json:"totalCount"`
						Items      []map[string]any `json:"trustedNetworkContracts"`
					}
					if err := c.Do(ctx, zscaler.Request{Service: "zcc", Path: zccAPI + "/webTrustedNetwork/listByCompany", Query: q}, &out); err != nil {
						return nil, false, err
					}
					return out.Items, page*o.pageSize < out.TotalCount, nil
				})
			},
		},
		{
			Name: "zcc_list_forwarding_profiles", Title: "List ZCC forwarding profiles", Service: "zcc", Toolset: "zcc_forwarding", Kind: Read,
			Description: "List Zscaler Client Connector forwarding profiles: how ZCC forwards traffic (tunnel, PAC, none) on trusted, off-trusted and VPN networks.",
			Params:      ziaListParams("Case-insensitive substring of the profile name (searched by the API).", zccMaxPageSize),
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				o, err := ziaArgsOf(req).listOpts(zccMaxPageSize)
				if err != nil {
					return nil, err
				}
				q := url.Values{}
				if o.search != "" {
					q.Set("search", o.search)
				}
				return ziaCollect(ctx, c, "zcc", zccAPI+"/webForwardingProfile/listByCompany", q, o, nil)
			},
		},
	})
}

// zccObjectOrList returns an object answer as is and wraps an array answer
// in a list result (MCP structured content must be an object).
func zccObjectOrList(raw json.RawMessage) (any, error) {
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err == nil && obj != nil {
		return obj, nil
	}
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("zcc: unexpected answer: %w", err)
	}
	return listOf(list, false), nil
}

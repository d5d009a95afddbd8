package tools

import (
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

func TestZCCTools(t *testing.T) {
	const devices = "/zcc/papi/public/v1/getDevices"
	const networks = "/zcc/papi/public/v1/webTrustedNetwork/listByCompany"
	const profiles = "/zcc/papi/public/v1/webForwardingProfile/listByCompany"
	hosts := func(want ...string) func(t *testing.T, h *ziaHarness, out map[string]any) {
		return func(t *testing.T, h *ziaHarness, out map[string]any) {
			t.Helper()
			if got := ziaNames(t, out, "machineHostname"); !reflect.DeepEqual(got, want) {
				t.Errorf("hosts %q, want %q", got, want)
			}
		}
	}
	ziaRunCases(t, []ziaCase{
		{
			name: "devices: all, one full page", tool: "zcc_list_devices", args: map[string]any{},
			reqs:  []ziaReq{{method: "GET", path: devices, query: ziaPage("1", "5000")}},
			check: hosts("alice-mbp", "alice-iphone", "bob-thinkpad", "carol-pixel", "dan-ubuntu"),
		},
		{
			name: "devices: os_type is sent as the API's osType code", tool: "zcc_list_devices", args: map[string]any{"os_type": "macos"},
			reqs:  []ziaReq{{method: "GET", path: devices, query: ziaPage("1", "5000", "osType", "4")}},
			check: hosts("alice-mbp"),
		},
		{
			name: "devices: username", tool: "zcc_list_devices", args: map[string]any{"username": "alice@acme.example"},
			reqs:  []ziaReq{{method: "GET", path: devices, query: ziaPage("1", "5000", "username", "alice@acme.example")}},
			check: hosts("alice-mbp", "alice-iphone"),
		},
		{
			name: "devices: pages are followed (7 devices, pages of 3)", tool: "zcc_list_devices", args: map[string]any{"page_size": 3},
			setup: func(h *ziaHarness) {
				h.zcc.Devices.Create(zscalertest.ZCCDevice("erin@acme.example", "erin-mbp", 4, "macOS 15.0"))
				h.zcc.Devices.Create(zscalertest.ZCCDevice("frank@acme.example", "frank-win", 3, "Windows 11"))
			},
			reqs: []ziaReq{
				{method: "GET", path: devices, query: ziaPage("1", "3")},
				{method: "GET", path: devices, query: ziaPage("2", "3")},
				{method: "GET", path: devices, query: ziaPage("3", "3")},
			},
			check: hosts("alice-mbp", "alice-iphone", "bob-thinkpad", "carol-pixel", "dan-ubuntu", "erin-mbp", "frank-win"),
		},
		{
			name: "device details by udid", tool: "zcc_get_device_details", args: map[string]any{"udid": "UDID-BOBTHINKPAD"},
			reqs: []ziaReq{{method: "GET", path: "/zcc/papi/public/v1/getDeviceDetails", query: url.Values{"udid": {"UDID-BOBTHINKPAD"}}}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				ziaWantField("user_name", "bob@acme.example")(t, h, out)
				ziaWantField("os_version", "Windows 11 23H2")(t, h, out)
			},
		},
		{
			name: "device details by username and udid", tool: "zcc_get_device_details",
			args:  map[string]any{"username": "alice@acme.example", "udid": "UDID-ALICEIPHONE"},
			reqs:  []ziaReq{{method: "GET", path: "/zcc/papi/public/v1/getDeviceDetails", query: url.Values{"udid": {"UDID-ALICEIPHONE"}, "username": {"alice@acme.example"}}}},
			check: ziaWantField("machineHostname", "alice-iphone"),
		},
		{
			name: "device details: 404", tool: "zcc_get_device_details", args: map[string]any{"udid": "UDID-NOPE"},
			reqs: []ziaReq{{method: "GET", path: "/zcc/papi/public/v1/getDeviceDetails", query: url.Values{"udid": {"UDID-NOPE"}}}},
			errs: []string{"404", "no device matches udid"},
		},
		{
			name: "trusted networks: paged by totalCount", tool: "zcc_list_trusted_networks", args: map[string]any{"page_size": 1},
			reqs: []ziaReq{
				{method: "GET", path: networks, query: ziaPage("1", "1")},
				{method: "GET", path: networks, query: ziaPage("2", "1")},
			},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				if got := ziaNames(t, out, "networkName"); !reflect.DeepEqual(got, []string{"HQ Wired", "London Office Wi-Fi"}) {
					t.Errorf("networks %q", got)
				}
			},
		},
		{
			name: "trusted networks: search", tool: "zcc_list_trusted_networks", args: map[string]any{"search": "london"},
			reqs: []ziaReq{{method: "GET", path: networks, query: ziaPage("1", "5000", "search", "london")}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				if got := ziaNames(t, out, "networkName"); !reflect.DeepEqual(got, []string{"London Office Wi-Fi"}) {
					t.Errorf("networks %q", got)
				}
			},
		},
		{
			name: "forwarding profiles: search", tool: "zcc_list_forwarding_profiles", args: map[string]any{"search": "remote"},
			reqs:  []ziaReq{{method: "GET", path: profiles, query: ziaPage("1", "5000", "search", "remote")}},
			check: ziaWantNames("Remote Workers"),
		},
		{
			name: "forwarding profiles: max_items", tool: "zcc_list_forwarding_profiles", args: map[string]any{"max_items": 1},
			reqs: []ziaReq{{method: "GET", path: profiles, query: ziaPage("1", "5000")}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				ziaWantNames("Default")(t, h, out)
				ziaWantField("truncated", true)(t, h, out)
			},
		},
		{
			name: "devices: 429 surfaces with the API's message", tool: "zcc_list_devices", args: map[string]any{},
			setup: func(h *ziaHarness) { h.srv.Fail(http.MethodGet, devices, 429, 100, "3600") },
			reqs:  []ziaReq{{method: "GET", path: devices, query: ziaPage("1", "5000")}},
			errs:  []string{"429", "injected failure 429"},
		},
		{
			name: "trusted networks: 502", tool: "zcc_list_trusted_networks", args: map[string]any{},
			setup: func(h *ziaHarness) { h.srv.Fail(http.MethodGet, networks, 502, 100, "3600") },
			reqs:  []ziaReq{{method: "GET", path: networks, query: url.Values{"page": {"1"}, "pageSize": {"5000"}}}},
			errs:  []string{"502", "injected failure 502"},
		},
	})
}

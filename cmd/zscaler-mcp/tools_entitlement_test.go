package main

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// TestPerCallerEntitlements: in zscaler client-auth mode each caller sees
// and may call only the tools of services its own OneAPI credential's
// service-info lists, read from the claims the auth layer cached (no
// second token request); hidden tools are refused at tools/call with a
// message saying why, before anything reaches the API. whoami stays.
func TestPerCallerEntitlements(t *testing.T) {
	si := newStandIn(t) // the server's own credential: every product
	clients := si.Clients(t)
	ziaID, ziaSecret := clients.Add("ZIA")
	zpaID, zpaSecret := clients.Add("ZPA")
	env := si.env(map[string]string{
		"ZSCALER_MCP_AUTH_API_KEY": "", "ZSCALER_MCP_AUTH_MODE": "zscaler",
		"ZSCALER_TOKEN_URL": clients.TokenURL, // the callers' and the server's token endpoint
	})
	basic := func(id, secret string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))}
	}
	srv := startCat(t, env, testCatalogue(), "--enable-write-tools", "--write-tools", "*_update_*,*_create_*")
	for _, tc := range []struct {
		name, id, secret string
		sees             []string
		hidden           string // a tool it must not call
		hiddenService    string
		callable         string
		apiPrefix        string // where the hidden tool would have gone
	}{
		{"zia caller", ziaID, ziaSecret, []string{"whoami", "zia_create_url_category", "zia_list_url_categories"},
			"zpa_list_segment_groups", "zpa", "zia_list_url_categories", "/zpa/"},
		{"zpa caller", zpaID, zpaSecret, []string{"whoami", "zpa_list_segment_groups", "zpa_update_segment_group"},
			"zia_list_url_categories", "zia", "zpa_list_segment_groups", "/zia/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The legacy SSE transport filters and explains the same way.
			sse, err := connect(t, srv.URL, "sse", basic(tc.id, tc.secret))
			if err != nil {
				t.Fatal(err)
			}
			if got := listNames(t, sse); slices.Contains(got, tc.hidden) {
				t.Errorf("sse: tools/list shows %s: %v", tc.hidden, got)
			}
			if _, _, err := call(t, sse, tc.hidden, nil); err == nil || !strings.Contains(err.Error(), "is hidden from this caller") {
				t.Errorf("sse: hidden tool call: %v", err)
			}
			c, err := connect(t, srv.URL, "streamable-http", basic(tc.id, tc.secret))
			if err != nil {
				t.Fatal(err)
			}
			got := listNames(t, c)
			slices.Sort(got)
			if !slices.Equal(got, tc.sees) {
				t.Errorf("tools/list = %v, want %v", got, tc.sees)
			}
			before := si.requests("GET", tc.apiPrefix)
			_, text, err := call(t, c, tc.hidden, nil)
			if err == nil {
				t.Fatalf("calling hidden %s succeeded: %q", tc.hidden, text)
			}
			for _, w := range []string{`tool "` + tc.hidden + `" is hidden from this caller`, "your Zscaler credential is not entitled to " + strings.ToUpper(tc.hiddenService)} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q does not say %q", err, w)
				}
			}
			if si.requests("GET", tc.apiPrefix) != before {
				t.Error("the hidden tool reached the API")
			}
			res, text, err := call(t, c, tc.callable, nil)
			if err != nil || res.IsError {
				t.Fatalf("entitled tool %s: %v %q", tc.callable, err, text)
			}
			w := whoami(t, c)
			if w.Mode != "zscaler" || w.ClientID != tc.id {
				t.Errorf("whoami = %+v", w)
			}
			// Several requests, one token: the filter reads the cached claims.
			if n := clients.TokenRequests(tc.id); n != 1 {
				t.Errorf("%d token requests for this caller, want 1", n)
			}
		})
	}

	// --no-entitlement-filter: every caller sees and may call every tool.
	off := startCat(t, env, testCatalogue(), "--no-entitlement-filter")
	c, err := connect(t, off.URL, "streamable-http", basic(ziaID, ziaSecret))
	if err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, c); !slices.Contains(got, "zpa_list_segment_groups") {
		t.Errorf("filter off: tools/list = %v", got)
	}
	if res, text, err := call(t, c, "zpa_list_segment_groups", nil); err != nil || res.IsError || !strings.Contains(text, "Web apps") {
		t.Errorf("filter off: zpa tool: %v %q", err, text)
	}
}

package zscalertest_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// zpaStandIn starts a stand-in with the ZPA, ZDX and ZIdentity routes and a
// real client for it.
func zpaStandIn(t *testing.T) (*zscalertest.Server, *zscaler.Client) {
	t.Helper()
	s := zscalertest.New(t)
	zscalertest.ServeZPA(s)
	zscalertest.ServeZDX(s)
	zscalertest.ServeZIdentity(s)
	c, err := zscaler.New(context.Background(), zscaler.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, TokenURL: s.TokenURL, BaseURL: s.URL, CustomerID: s.CustomerID,
		RateLimits: zscaler.NoRateLimits()}) // the stand-in needs no protection from the client-side limiter
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// TestZPAStandInRefusals: the stand-ins answer bad requests the way the
// services do (status and error code), so tools are tested against them.
func TestZPAStandInRefusals(t *testing.T) {
	s, c := zpaStandIn(t)
	zpa := "/zpa/mgmtconfig/v1/admin/customers/" + s.CustomerID
	tests := []struct {
		name   string
		req    zscaler.Request
		status int
		code   string
		msg    string
	}{
		{"zpa body not an object", zscaler.Request{Method: "POST", Path: zpa + "/segmentGroup", Body: []int{1}}, 400, "invalid.input.body", "JSON object"},
		{"zpa body without name", zscaler.Request{Method: "POST", Path: zpa + "/segmentGroup", Body: map[string]any{"enabled": true}}, 400, "invalid.input.body", "name is required"},
		{"zpa segment without ports", zscaler.Request{Method: "POST", Path: zpa + "/application", Body: map[string]any{
			"name": "x", "segmentGroupId": "216196257331291951", "domainNames": []string{"x"}}}, 400, "invalid.input.body", "port range"},
		{"zpa put with another id", zscaler.Request{Method: "PUT", Path: zpa + "/segmentGroup/216196257331291951", Body: map[string]any{"id": "1", "name": "x"}}, 400, "invalid.input.parameter", "does not match"},
		{"zpa pagesize over 500", zscaler.Request{Path: zpa + "/application", Query: url.Values{"pagesize": {"501"}}}, 400, "invalid.input.parameter", "pagesize"},
		{"zpa page zero", zscaler.Request{Path: zpa + "/connector", Query: url.Values{"page": {"0"}}}, 400, "invalid.input.parameter", "page"},
		{"zpa other customer", zscaler.Request{Path: "/zpa/mgmtconfig/v1/admin/customers/123/application"}, 401, "api.customer.mismatch", "123"},
		{"zpa unknown id", zscaler.Request{Method: "DELETE", Path: zpa + "/application/9"}, 404, "resource.not.found", "application segment 9"},
		{"zpa connectors are read-only", zscaler.Request{Method: "POST", Path: zpa + "/connector", Body: map[string]any{"name": "x"}}, 404, "RESOURCE_NOT_FOUND", "no such API: POST"},
		{"zpa unknown policy type", zscaler.Request{Path: zpa + "/policySet/policyType/NOPE"}, 400, "invalid.input.parameter", "NOPE"},
		{"zpa unknown association type", zscaler.Request{Path: zpa + "/associationType/NOPE/provisioningKey"}, 400, "invalid.input.parameter", "associationType"},
		{"zdx forged offset", zscaler.Request{Path: "/zdx/v1/devices", Query: url.Values{"offset": {"eHl6OjM"}}}, 400, "INVALID_PARAM", "offset"},
		{"zdx to before from", zscaler.Request{Path: "/zdx/v1/apps", Query: url.Values{"from": {"20"}, "to": {"10"}}}, 400, "INVALID_PARAM", "after from"},
		{"zidentity limit over 1000", zscaler.Request{Path: "/ziam/admin/api/v1/users", Query: url.Values{"limit": {"1001"}}}, 400, "invalid_request", "limit"},
		{"unknown route", zscaler.Request{Path: "/zpa/mgmtconfig/v1/admin/customers/" + s.CustomerID + "/nothing"}, 404, "RESOURCE_NOT_FOUND", "no such API"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Service = "test"
			err := c.Do(context.Background(), tt.req, nil)
			var ae *zscaler.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an APIError", err)
			}
			if ae.Status != tt.status || ae.Code != tt.code || !strings.Contains(ae.Message, tt.msg) {
				t.Errorf("got %d %q %q, want %d %q containing %q", ae.Status, ae.Code, ae.Message, tt.status, tt.code, tt.msg)
			}
		})
	}
}

// TestZPAStandInPageShapes: ZPA counts are strings and an empty page has no
// list; ZDX ends with a null next_offset; ZIdentity links are absolute.
func TestZPAStandInPageShapes(t *testing.T) {
	s, c := zpaStandIn(t)
	ctx := context.Background()

	var zp map[string]any
	if err := c.Do(ctx, zscaler.Request{Path: "/zpa/mgmtconfig/v1/admin/customers/" + s.CustomerID + "/application", Query: url.Values{"pagesize": {"3"}, "page": {"3"}}}, &zp); err != nil {
		t.Fatal(err)
	}
	if zp["totalPages"] != "3" || zp["totalCount"] != "7" || len(zp["list"].([]any)) != 1 {
		t.Errorf("ZPA page 3 of 3 = %v", zp)
	}
	zp = nil
	if err := c.Do(ctx, zscaler.Request{Path: "/zpa/mgmtconfig/v1/admin/customers/" + s.CustomerID + "/segmentGroup", Query: url.Values{"search": {"zzz"}}}, &zp); err != nil {
		t.Fatal(err)
	}
	if _, has := zp["list"]; has || zp["totalPages"] != "0" {
		t.Errorf("empty ZPA page = %v", zp)
	}

	var zd map[string]any
	if err := c.Do(ctx, zscaler.Request{Path: "/zdx/v1/devices", Query: url.Values{"limit": {"20"}}}, &zd); err != nil {
		t.Fatal(err)
	}
	if n, has := zd["next_offset"]; !has || n != nil || len(zd["devices"].([]any)) != 14 {
		t.Errorf("ZDX whole list: next_offset %v, %d devices", zd["next_offset"], len(zd["devices"].([]any)))
	}

	var zi map[string]any
	if err := c.Do(ctx, zscaler.Request{Path: "/ziam/admin/api/v1/users", Query: url.Values{"limit": {"5"}, "offset": {"2"}}}, &zi); err != nil {
		t.Fatal(err)
	}
	if zi["next_link"] != s.URL+"/ziam/admin/api/v1/users?limit=5&offset=7" || zi["prev_link"] != s.URL+"/ziam/admin/api/v1/users?limit=5&offset=0" ||
		zi["results_total"] != 9.0 || len(zi["records"].([]any)) != 5 {
		t.Errorf("ZIdentity page = %v", zi)
	}
}

package tools_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// zpaPrefix is the ZPA path of the stand-in's customer.
const zpaPrefix = "/zpa/mgmtconfig/v1/admin/customers/216196257331281920"

func zpaEnvOf(t *testing.T) (*zpaEnv, *zscalertest.ZPA) {
	t.Helper()
	var z *zscalertest.ZPA
	env := zpaNewEnv(t, "zpa", nil, func(s *zscalertest.Server) { z = zscalertest.ServeZPA(s) })
	return env, z
}

func zpaPageQuery(page, size string, extra ...string) url.Values {
	q := url.Values{"page": {page}, "pagesize": {size}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

func TestZPAListTools(t *testing.T) {
	env, _ := zpaEnvOf(t)
	tests := []struct {
		tool      string
		args      map[string]any
		path      string
		query     url.Values
		wantNames []string
	}{
		{"zpa_list_application_segments", nil, "/application", zpaPageQuery("1", "500"),
			[]string{"Intranet Portal", "Jira", "GitLab", "SSH Bastions", "RDP Jump Hosts", "Finance ERP", "APAC File Shares"}},
		{"zpa_list_application_segments", map[string]any{"search": "jump"}, "/application", zpaPageQuery("1", "500", "search", "jump"),
			[]string{"RDP Jump Hosts"}},
		{"zpa_list_application_segments", map[string]any{"search": "no such app"}, "/application", zpaPageQuery("1", "500", "search", "no such app"),
			[]string{}},
		{"zpa_list_segment_groups", map[string]any{}, "/segmentGroup", zpaPageQuery("1", "500"),
			[]string{"Corporate Apps", "Engineering", "Finance"}},
		{"zpa_list_server_groups", map[string]any{"max_items": 10}, "/serverGroup", zpaPageQuery("1", "10"),
			[]string{"US Datacenter Servers", "EU Datacenter Servers", "APAC Datacenter Servers"}},
		{"zpa_list_app_connectors", map[string]any{"search": "euc1"}, "/connector", zpaPageQuery("1", "500", "search", "euc1"),
			[]string{"euc1-ac-01", "euc1-ac-02"}},
		{"zpa_list_app_connector_groups", nil, "/appConnectorGroup", zpaPageQuery("1", "500"),
			[]string{"US-East Connectors", "EU-Central Connectors", "APAC Connectors"}},
		{"zpa_list_provisioning_keys", nil, "/associationType/CONNECTOR_GRP/provisioningKey", zpaPageQuery("1", "500"),
			[]string{"US-East Connector Key", "EU-Central Connector Key", "APAC Connector Key"}},
		{"zpa_list_provisioning_keys", map[string]any{"association_type": "SERVICE_EDGE_GRP"}, "/associationType/SERVICE_EDGE_GRP/provisioningKey", zpaPageQuery("1", "500"),
			[]string{"Private Service Edge Key"}},
		{"zpa_list_access_policy_rules", nil, "/policySet/rules/policyType/ACCESS_POLICY", zpaPageQuery("1", "500"),
			[]string{"Engineering Access", "Finance Access", "Corporate Apps for Everyone", "Block Contractors from Finance"}},
		{"zpa_list_access_policy_rules", map[string]any{"search": "finance"}, "/policySet/rules/policyType/ACCESS_POLICY", zpaPageQuery("1", "500", "search", "finance"),
			[]string{"Finance Access", "Block Contractors from Finance"}},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			res := env.call(t, tt.tool, tt.args)
			if res.isError {
				t.Fatalf("isError: %s", res.text)
			}
			if len(res.reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(res.reqs))
			}
			zpaWantReq(t, res.reqs[0], "GET", zpaPrefix+tt.path, tt.query)
			items := zpaItems(t, res)
			if got := zpaNames(items, "name"); !slices.Equal(got, tt.wantNames) {
				t.Errorf("names = %q, want %q", got, tt.wantNames)
			}
			if res.json["truncated"] != false {
				t.Errorf("truncated = %v", res.json["truncated"])
			}
			for _, it := range items {
				if _, leaked := it["provisioningKey"]; leaked {
					t.Errorf("provisioning key value leaked: %v", it)
				}
			}
		})
	}
}

func TestZPAGetTools(t *testing.T) {
	env, _ := zpaEnvOf(t)
	tests := []struct {
		tool  string
		id    string
		paths []string
		name  string
	}{
		{"zpa_get_application_segment", "216196257331291963", []string{"/application/216196257331291963"}, "GitLab"},
		{"zpa_get_segment_group", "216196257331291952", []string{"/segmentGroup/216196257331291952"}, "Engineering"},
		{"zpa_get_server_group", "216196257331291942", []string{"/serverGroup/216196257331291942"}, "EU Datacenter Servers"},
		{"zpa_get_app_connector", "216196257331291934", []string{"/connector/216196257331291934"}, "euc1-ac-02"},
		{"zpa_get_app_connector_group", "216196257331291923", []string{"/appConnectorGroup/216196257331291923"}, "APAC Connectors"},
		{"zpa_get_access_policy_rule", "216196257331292002", []string{"/policySet/policyType/ACCESS_POLICY", "/policySet/216196257331282092/rule/216196257331292002"}, "Finance Access"},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			res := env.call(t, tt.tool, map[string]any{"id": tt.id})
			if res.isError {
				t.Fatalf("isError: %s", res.text)
			}
			if len(res.reqs) != len(tt.paths) {
				t.Fatalf("%d requests, want %d", len(res.reqs), len(tt.paths))
			}
			for i, p := range tt.paths {
				zpaWantReq(t, res.reqs[i], "GET", zpaPrefix+p, nil)
			}
			if res.json["id"] != tt.id || res.json["name"] != tt.name {
				t.Errorf("got id %v name %v, want %s %s", res.json["id"], res.json["name"], tt.id, tt.name)
			}
		})
	}
}

// TestZPAPagination proves list tools follow totalPages (a string in ZPA)
// when the API serves fewer items per page than asked, and that max_items
// stops early and says so.
func TestZPAPagination(t *testing.T) {
	env, z := zpaEnvOf(t)
	z.SetMaxPageSize(2)

	res := env.call(t, "zpa_list_application_segments", nil)
	if res.isError {
		t.Fatalf("isError: %s", res.text)
	}
	if len(res.reqs) != 4 {
		t.Fatalf("%d requests, want 4 (7 segments, 2 per page)", len(res.reqs))
	}
	for i, r := range res.reqs {
		zpaWantReq(t, r, "GET", zpaPrefix+"/application", zpaPageQuery(string(rune('1'+i)), "500"))
	}
	var ids []string
	for _, it := range zpaItems(t, res) {
		ids = append(ids, it["id"].(string))
	}
	want := []string{"216196257331291961", "216196257331291962", "216196257331291963", "216196257331291964", "216196257331291965", "216196257331291966", "216196257331291967"}
	if !slices.Equal(ids, want) {
		t.Errorf("ids = %q, want %q", ids, want)
	}
	if res.json["truncated"] != false {
		t.Errorf("truncated = %v, want false", res.json["truncated"])
	}

	res = env.call(t, "zpa_list_application_segments", map[string]any{"max_items": 3})
	if len(res.reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(res.reqs))
	}
	zpaWantReq(t, res.reqs[1], "GET", zpaPrefix+"/application", zpaPageQuery("2", "3"))
	if got := zpaNames(zpaItems(t, res), "name"); !slices.Equal(got, []string{"Intranet Portal", "Jira", "GitLab"}) {
		t.Errorf("names = %q", got)
	}
	if res.json["truncated"] != true {
		t.Errorf("truncated = %v, want true", res.json["truncated"])
	}
}

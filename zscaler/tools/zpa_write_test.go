package tools_test

import (
	"net/url"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

func TestZPACreateApplicationSegment(t *testing.T) {
	env, z := zpaEnvOf(t)
	res := env.call(t, "zpa_create_application_segment", map[string]any{
		"name": "Grafana", "description": "dashboards",
		"domain_names":     []any{"grafana.acme.internal"},
		"segment_group_id": "216196257331291952", "server_group_ids": []any{"216196257331291941"},
		"tcp_ports": []any{"443", "3000-3001"}, "bypass_type": "ON_NET",
	})
	if res.isError {
		t.Fatalf("isError: %s", res.text)
	}
	if len(res.reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(res.reqs))
	}
	zpaWantReq(t, res.reqs[0], "POST", zpaPrefix+"/application", nil)
	body := zpaBody(t, res.reqs[0])
	for field, want := range map[string]string{
		"name": `"Grafana"`, "description": `"dashboards"`, "enabled": `true`,
		"domainNames": `["grafana.acme.internal"]`, "segmentGroupId": `"216196257331291952"`,
		"serverGroups": `[{"id":"216196257331291941"}]`, "bypassType": `"ON_NET"`, "healthReporting": `"ON_ACCESS"`,
		"tcpPortRanges": `["443","443","3000","3001"]`, "tcpPortRange": `[{"from":"443","to":"443"},{"from":"3000","to":"3001"}]`,
		"udpPortRanges": `[]`, "doubleEncrypt": `false`,
	} {
		if got := zpaJSON(t, body[field]); got != want {
			t.Errorf("body %s = %s, want %s", field, got, want)
		}
	}
	id, _ := res.json["id"].(string)
	stored, ok := z.Applications.Get(id)
	if !ok || stored["name"] != "Grafana" || stored["segmentGroupName"] != "Engineering" {
		t.Fatalf("created segment %q not stored as answered: %v", id, stored)
	}
	got := env.call(t, "zpa_get_application_segment", map[string]any{"id": id})
	if got.json["name"] != "Grafana" {
		t.Errorf("get after create = %s", got.text)
	}
}

func TestZPAUpdateApplicationSegment(t *testing.T) {
	env, z := zpaEnvOf(t)
	const id = "216196257331291962" // Jira
	res := env.call(t, "zpa_update_application_segment", map[string]any{
		"id": id, "udp_ports": []any{"5000-5010"}, "enabled": false,
	})
	if res.isError {
		t.Fatalf("isError: %s", res.text)
	}
	if len(res.reqs) != 3 {
		t.Fatalf("%d requests, want GET, PUT, GET", len(res.reqs))
	}
	zpaWantReq(t, res.reqs[0], "GET", zpaPrefix+"/application/"+id, nil)
	zpaWantReq(t, res.reqs[1], "PUT", zpaPrefix+"/application/"+id, nil)
	zpaWantReq(t, res.reqs[2], "GET", zpaPrefix+"/application/"+id, nil)
	body := zpaBody(t, res.reqs[1])
	// Changed fields are set; the others are sent back unchanged.
	for field, want := range map[string]string{
		"id": `"` + id + `"`, "name": `"Jira"`, "enabled": `false`, "domainNames": `["jira.acme.internal"]`,
		"udpPortRanges": `["5000","5010"]`, "udpPortRange": `[{"from":"5000","to":"5010"}]`,
		"tcpPortRanges": `["443","443"]`, "segmentGroupId": `"216196257331291951"`,
	} {
		if got := zpaJSON(t, body[field]); got != want {
			t.Errorf("PUT body %s = %s, want %s", field, got, want)
		}
	}
	stored, _ := z.Applications.Get(id)
	if stored["enabled"] != false || zpaJSON(t, stored["udpPortRanges"]) != `["5000","5010"]` {
		t.Errorf("stored after update = %v", stored)
	}
	if res.json["enabled"] != false || res.json["name"] != "Jira" {
		t.Errorf("answer = %s", res.text)
	}
}

func TestZPADeleteTools(t *testing.T) {
	tests := []struct {
		tool, id string
		args     map[string]any
		path     string
		query    url.Values
		gone     func(z *zscalertest.ZPA, id string) bool
	}{
		{"zpa_delete_application_segment", "216196257331291964", nil, "/application/", nil,
			func(z *zscalertest.ZPA, id string) bool { _, ok := z.Applications.Get(id); return !ok }},
		{"zpa_delete_application_segment", "216196257331291965", map[string]any{"force_delete": true}, "/application/", url.Values{"forceDelete": {"true"}},
			func(z *zscalertest.ZPA, id string) bool { _, ok := z.Applications.Get(id); return !ok }},
		{"zpa_delete_segment_group", "216196257331291953", nil, "/segmentGroup/", nil,
			func(z *zscalertest.ZPA, id string) bool { _, ok := z.SegmentGroups.Get(id); return !ok }},
		{"zpa_delete_server_group", "216196257331291943", nil, "/serverGroup/", nil,
			func(z *zscalertest.ZPA, id string) bool { _, ok := z.ServerGroups.Get(id); return !ok }},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			env, z := zpaEnvOf(t)
			args := map[string]any{"id": tt.id}
			for k, v := range tt.args {
				args[k] = v
			}
			res := env.call(t, tt.tool, args)
			if res.isError {
				t.Fatalf("isError: %s", res.text)
			}
			if len(res.reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(res.reqs))
			}
			zpaWantReq(t, res.reqs[0], "DELETE", zpaPrefix+tt.path+tt.id, tt.query)
			if res.json["deleted"] != true || res.json["id"] != tt.id {
				t.Errorf("answer = %s", res.text)
			}
			if !tt.gone(z, tt.id) {
				t.Errorf("object %s still stored", tt.id)
			}
			again := env.call(t, tt.tool, map[string]any{"id": tt.id})
			zpaWantError(t, again, "404", "resource.not.found", tt.id)
		})
	}
}

func TestZPACreateTools(t *testing.T) {
	tests := []struct {
		tool string
		args map[string]any
		path string
		body map[string]string
	}{
		{"zpa_create_segment_group", map[string]any{"name": "Marketing"}, "/segmentGroup",
			map[string]string{"name": `"Marketing"`, "enabled": `true`, "description": `""`, "applications": `[]`}},
		{"zpa_create_server_group", map[string]any{"name": "DR Servers", "app_connector_group_ids": []any{"216196257331291922", "216196257331291923"}, "dynamic_discovery": false}, "/serverGroup",
			map[string]string{"name": `"DR Servers"`, "dynamicDiscovery": `false`, "enabled": `true`,
				"appConnectorGroups": `[{"id":"216196257331291922"},{"id":"216196257331291923"}]`}},
		{"zpa_create_app_connector_group", map[string]any{"name": "Sao Paulo", "location": "Sao Paulo, BR", "latitude": -23.5505, "longitude": -46.6333, "country_code": "BR", "upgrade_day": "TUESDAY"}, "/appConnectorGroup",
			map[string]string{"name": `"Sao Paulo"`, "location": `"Sao Paulo, BR"`, "latitude": `"-23.5505"`, "longitude": `"-46.6333"`,
				"countryCode": `"BR"`, "upgradeDay": `"TUESDAY"`, "upgradeTimeInSecs": `"66600"`, "dnsQueryType": `"IPV4_IPV6"`, "enabled": `true`}},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			env, _ := zpaEnvOf(t)
			res := env.call(t, tt.tool, tt.args)
			if res.isError {
				t.Fatalf("isError: %s", res.text)
			}
			if len(res.reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(res.reqs))
			}
			zpaWantReq(t, res.reqs[0], "POST", zpaPrefix+tt.path, nil)
			body := zpaBody(t, res.reqs[0])
			for field, want := range tt.body {
				if got := zpaJSON(t, body[field]); got != want {
					t.Errorf("body %s = %s, want %s", field, got, want)
				}
			}
			id, _ := res.json["id"].(string)
			if id == "" || res.json["name"] != tt.args["name"] {
				t.Fatalf("answer = %s", res.text)
			}
			getTool := map[string]string{"/segmentGroup": "zpa_get_segment_group", "/serverGroup": "zpa_get_server_group", "/appConnectorGroup": "zpa_get_app_connector_group"}[tt.path]
			if got := env.call(t, getTool, map[string]any{"id": id}); got.isError || got.json["name"] != tt.args["name"] {
				t.Errorf("%s after create: %s", getTool, got.text)
			}
		})
	}
}

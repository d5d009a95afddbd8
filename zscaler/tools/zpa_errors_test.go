package tools_test

import (
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// TestZPAInvalidArguments: arguments that do not fit the schema (or the
// tool's own rules) are refused as "invalid arguments: ..." naming the
// argument, before any API request.
func TestZPAInvalidArguments(t *testing.T) {
	env, _ := zpaEnvOf(t)
	okSegment := func(over map[string]any) map[string]any {
		m := map[string]any{"name": "X", "domain_names": []any{"x.acme.internal"}, "segment_group_id": "216196257331291951", "server_group_ids": []any{"216196257331291941"}, "tcp_ports": []any{"443"}}
		for k, v := range over {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name, tool string
		args       any
		want       []string
	}{
		{"missing id", "zpa_get_application_segment", map[string]any{}, []string{"id is required"}},
		{"no arguments", "zpa_get_segment_group", nil, []string{"id is required"}},
		{"arguments not an object", "zpa_list_segment_groups", []any{"x"}, []string{"arguments must be a JSON object, not an array"}},
		{"id as a number", "zpa_get_app_connector", map[string]any{"id": 216196257331291934.0}, []string{"id must be a string, not a number"}},
		{"id not numeric", "zpa_get_server_group", map[string]any{"id": "../connector"}, []string{"id", "does not match"}},
		{"unknown argument", "zpa_list_application_segments", map[string]any{"serch": "jira"}, []string{`unknown argument "serch"`, "search"}},
		{"max_items too big", "zpa_list_app_connectors", map[string]any{"max_items": 5000}, []string{"max_items must be at most 1000"}},
		{"max_items fraction", "zpa_list_app_connectors", map[string]any{"max_items": 2.5}, []string{"max_items must be an integer"}},
		{"enum", "zpa_list_provisioning_keys", map[string]any{"association_type": "EDGE"}, []string{"association_type must be one of CONNECTOR_GRP, SERVICE_EDGE_GRP"}},
		{"create without ports", "zpa_create_application_segment", okSegment(map[string]any{"tcp_ports": nil}), []string{"tcp_ports or udp_ports"}},
		{"create without server groups", "zpa_create_application_segment", okSegment(map[string]any{"server_group_ids": nil}), []string{"server_group_ids is required"}},
		{"empty domain list", "zpa_create_application_segment", okSegment(map[string]any{"domain_names": []any{}}), []string{"domain_names must have at least 1 item"}},
		{"port out of range", "zpa_create_application_segment", okSegment(map[string]any{"tcp_ports": []any{"70000"}}), []string{`tcp_ports[0] "70000"`, "1-65535"}},
		{"port range reversed", "zpa_create_application_segment", okSegment(map[string]any{"udp_ports": []any{"53", "90-80"}}), []string{`udp_ports[1] "90-80"`}},
		{"port not a string", "zpa_create_application_segment", okSegment(map[string]any{"tcp_ports": []any{443.0}}), []string{"tcp_ports[0] must be a string"}},
		{"bad bypass", "zpa_create_application_segment", okSegment(map[string]any{"bypass_type": "SOMETIMES"}), []string{"bypass_type must be one of NEVER, ALWAYS, ON_NET"}},
		{"enabled as string", "zpa_create_segment_group", map[string]any{"name": "G", "enabled": "yes"}, []string{"enabled must be true or false"}},
		{"empty name", "zpa_create_segment_group", map[string]any{"name": ""}, []string{"name must be at least 1 character"}},
		{"latitude out of range", "zpa_create_app_connector_group", map[string]any{"name": "G", "location": "L", "latitude": 91, "longitude": 0}, []string{"latitude must be at most 90"}},
		{"country code", "zpa_create_app_connector_group", map[string]any{"name": "G", "location": "L", "latitude": 1, "longitude": 0, "country_code": "usa"}, []string{"country_code"}},
		{"update nothing", "zpa_update_application_segment", map[string]any{"id": "216196257331291962"}, []string{"nothing to update"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := env.call(t, tt.tool, tt.args)
			zpaWantError(t, res, append([]string{"invalid arguments: "}, tt.want...)...)
			// "update nothing" reads the segment before it knows; every
			// other refusal happens before any request.
			if tt.name != "update nothing" && len(res.reqs) != 0 {
				t.Errorf("%d API requests for invalid arguments", len(res.reqs))
			}
		})
	}
}

// TestZPAAPIErrors: the API's status, error id and reason reach the agent
// as an isError result.
func TestZPAAPIErrors(t *testing.T) {
	env, _ := zpaEnvOf(t)
	tests := []struct {
		name, tool string
		args       map[string]any
		want       []string
	}{
		{"unknown segment", "zpa_get_application_segment", map[string]any{"id": "42"}, []string{"404", "resource.not.found", "application segment 42 does not exist"}},
		{"unknown rule", "zpa_get_access_policy_rule", map[string]any{"id": "42"}, []string{"404", "resource.not.found"}},
		{"update unknown", "zpa_update_application_segment", map[string]any{"id": "42", "name": "n"}, []string{"404", "resource.not.found"}},
		{"delete unknown", "zpa_delete_server_group", map[string]any{"id": "42"}, []string{"404", "server group 42 does not exist"}},
		{"create in unknown segment group", "zpa_create_application_segment", map[string]any{
			"name": "X", "domain_names": []any{"x.acme.internal"}, "segment_group_id": "99", "server_group_ids": []any{"216196257331291941"}, "tcp_ports": []any{"443"},
		}, []string{"400", "invalid.input.body", "segment group 99 does not exist"}},
		{"server group with unknown connector group", "zpa_create_server_group", map[string]any{"name": "S", "app_connector_group_ids": []any{"7"}},
			[]string{"400", "app connector group 7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zpaWantError(t, env.call(t, tt.tool, tt.args), tt.want...)
		})
	}
}

// TestZPANoCustomerID: without ZSCALER_CUSTOMER_ID every ZPA tool says
// what to set instead of calling a wrong path.
func TestZPANoCustomerID(t *testing.T) {
	empty := ""
	env := zpaNewEnv(t, "zpa", &empty, func(s *zscalertest.Server) { zscalertest.ServeZPA(s) })
	args := map[string]map[string]any{
		"zpa_create_application_segment": {"name": "X", "domain_names": []any{"x.acme.internal"}, "segment_group_id": "1", "server_group_ids": []any{"1"}, "tcp_ports": []any{"443"}},
		"zpa_create_segment_group":       {"name": "X"},
		"zpa_create_server_group":        {"name": "X", "app_connector_group_ids": []any{"1"}},
		"zpa_create_app_connector_group": {"name": "X", "location": "L", "latitude": 1, "longitude": 1},
		"zpa_update_application_segment": {"id": "1", "name": "X"},
	}
	for name := range env.tools {
		t.Run(name, func(t *testing.T) {
			a, ok := args[name]
			if !ok {
				a = map[string]any{"id": "1"}
				if len(name) > 8 && name[:8] == "zpa_list" {
					a = map[string]any{}
				}
			}
			res := env.call(t, name, a)
			zpaWantError(t, res, "ZSCALER_CUSTOMER_ID")
			if len(res.reqs) != 0 {
				t.Errorf("%d API requests without a customer id", len(res.reqs))
			}
		})
	}
}

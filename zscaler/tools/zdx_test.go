package tools_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

func zdxEnvOf(t *testing.T) (*zpaEnv, *zscalertest.ZDX) {
	t.Helper()
	var z *zscalertest.ZDX
	env := zpaNewEnv(t, "zdx", nil, func(s *zscalertest.Server) { z = zscalertest.ServeZDX(s) })
	return env, z
}

// TestZDXListDevices: the device list follows next_offset across batches
// (14 devices, 10 per batch) and passes the range and email filters.
func TestZDXListDevices(t *testing.T) {
	env, _ := zdxEnvOf(t)

	res := env.call(t, "zdx_list_devices", map[string]any{"from": 1732500000, "to": 1732507200})
	if res.isError {
		t.Fatalf("isError: %s", res.text)
	}
	if len(res.reqs) != 2 {
		t.Fatalf("%d requests, want 2 batches", len(res.reqs))
	}
	zpaWantReq(t, res.reqs[0], "GET", "/zdx/v1/devices", url.Values{"from": {"1732500000"}, "to": {"1732507200"}})
	q1, _ := url.ParseQuery(res.reqs[1].Query)
	if q1.Get("offset") == "" || q1.Get("from") != "1732500000" || q1.Get("to") != "1732507200" {
		t.Errorf("second batch query = %q, want the next_offset and the same range", res.reqs[1].Query)
	}
	items := zpaItems(t, res)
	if len(items) != 14 {
		t.Fatalf("%d devices, want 14", len(items))
	}
	ids := map[float64]bool{}
	for _, d := range items {
		ids[d["id"].(float64)] = true
	}
	if len(ids) != 14 {
		t.Errorf("device ids repeat across batches: %v", ids)
	}

	res = env.call(t, "zdx_list_devices", map[string]any{"emails": []any{"priya.patel@acme.com", "tom.brown@acme.com"}})
	zpaWantReq(t, res.reqs[0], "GET", "/zdx/v1/devices", url.Values{"emails": {"priya.patel@acme.com", "tom.brown@acme.com"}})
	if got := zpaNames(zpaItems(t, res), "name"); !slices.Equal(got, []string{"LT-priya.patel-01", "LT-priya.patel-02", "LT-tom.brown-01"}) {
		t.Errorf("devices = %q", got)
	}

	res = env.call(t, "zdx_list_alert_affected_devices", map[string]any{"id": 7346401})
	if n := len(zpaItems(t, res)); n != 12 || len(res.reqs) != 2 {
		t.Errorf("affected devices of a 12-device alert: %d in %d requests, want 12 in 2", n, len(res.reqs))
	}

	res = env.call(t, "zdx_list_devices", map[string]any{"max_items": 12})
	if n := len(zpaItems(t, res)); n != 12 || res.json["truncated"] != true {
		t.Errorf("max_items 12: %d items, truncated %v", n, res.json["truncated"])
	}
}

func TestZDXReadTools(t *testing.T) {
	env, _ := zdxEnvOf(t)
	tests := []struct {
		tool  string
		args  map[string]any
		path  string
		query url.Values
		check func(t *testing.T, res zpaCallResult)
	}{
		{"zdx_get_device", map[string]any{"id": 132559203}, "/zdx/v1/devices/132559203", nil, func(t *testing.T, res zpaCallResult) {
			sw, _ := res.json["software"].(map[string]any)
			if res.json["name"] != "LT-john.smith-01" || sw["os_name"] != "Microsoft Windows 11 Enterprise" {
				t.Errorf("device = %s", res.text)
			}
		}},
		{"zdx_list_application_scores", map[string]any{"from": 1732500000, "to": 1732503600}, "/zdx/v1/apps", url.Values{"from": {"1732500000"}, "to": {"1732503600"}}, func(t *testing.T, res zpaCallResult) {
			items := zpaItems(t, res)
			if got := zpaNames(items, "name"); !slices.Equal(got, []string{"Microsoft Teams", "Salesforce", "Zoom", "ServiceNow", "Box"}) {
				t.Errorf("apps = %q", got)
			}
			if items[2]["score"] != 64.0 {
				t.Errorf("Zoom score = %v, want 64", items[2]["score"])
			}
		}},
		{"zdx_get_application", map[string]any{"id": 9}, "/zdx/v1/apps/9", nil, func(t *testing.T, res zpaCallResult) {
			if res.json["name"] != "Box" || res.json["score"] != 47.0 {
				t.Errorf("app = %s", res.text)
			}
		}},
		{"zdx_get_application_score_trend", map[string]any{"id": 5, "from": 1732500000, "to": 1732507200}, "/zdx/v1/apps/5/score", url.Values{"from": {"1732500000"}, "to": {"1732507200"}}, func(t *testing.T, res zpaCallResult) {
			metrics, _ := res.json["metrics"].([]any)
			if len(metrics) != 1 || res.json["app_id"] != 5.0 {
				t.Fatalf("trend = %s", res.text)
			}
			m := metrics[0].(map[string]any)
			points, _ := m["datapoints"].([]any)
			if m["metric"] != "score" || len(points) == 0 {
				t.Errorf("metric = %v", m)
			}
			for _, p := range points {
				ts := p.(map[string]any)["timestamp"].(float64)
				if ts < 1732500000 || ts > 1732507200 {
					t.Errorf("datapoint at %v outside the range", ts)
				}
			}
		}},
		{"zdx_list_alerts", nil, "/zdx/v1/alerts/ongoing", nil, func(t *testing.T, res zpaCallResult) {
			if got := zpaNames(zpaItems(t, res), "rule_name"); !slices.Equal(got, []string{"Zoom Poor Score APAC", "Box Web Probe Failures", "Teams Latency San Jose"}) {
				t.Errorf("alerts = %q", got)
			}
		}},
		{"zdx_list_alerts", map[string]any{"status": "historical", "from": 1731000000, "to": 1732000000}, "/zdx/v1/alerts/historical", url.Values{"from": {"1731000000"}, "to": {"1732000000"}}, func(t *testing.T, res zpaCallResult) {
			if got := zpaNames(zpaItems(t, res), "rule_name"); !slices.Equal(got, []string{"Salesforce DNS Time", "Zoom Poor Score EU"}) {
				t.Errorf("alerts = %q", got)
			}
		}},
		{"zdx_get_alert", map[string]any{"id": 7346402}, "/zdx/v1/alerts/7346402", nil, func(t *testing.T, res zpaCallResult) {
			if res.json["rule_name"] != "Box Web Probe Failures" || res.json["alert_status"] != "ONGOING" {
				t.Errorf("alert = %s", res.text)
			}
		}},
		{"zdx_list_alert_affected_devices", map[string]any{"id": 7346403, "to": 1732507200}, "/zdx/v1/alerts/7346403/affected_devices", url.Values{"to": {"1732507200"}}, func(t *testing.T, res zpaCallResult) {
			if got := zpaNames(zpaItems(t, res), "userEmail"); !slices.Equal(got, []string{"jane.doe@acme.com", "jane.doe@acme.com", "john.smith@acme.com"}) {
				t.Errorf("affected devices of users %q", got)
			}
		}},
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
			zpaWantReq(t, res.reqs[0], "GET", tt.path, tt.query)
			tt.check(t, res)
		})
	}
}

func TestZDXErrors(t *testing.T) {
	env, _ := zdxEnvOf(t)
	tests := []struct {
		name, tool string
		args       map[string]any
		want       []string
		requests   int
	}{
		{"unknown device", "zdx_get_device", map[string]any{"id": 1}, []string{"404", "device 1 not found"}, 1},
		{"unknown alert", "zdx_list_alert_affected_devices", map[string]any{"id": 5}, []string{"404", "alert 5 not found"}, 1},
		{"unknown app trend", "zdx_get_application_score_trend", map[string]any{"id": 2}, []string{"404", "application 2 not found"}, 1},
		{"id as string", "zdx_get_device", map[string]any{"id": "132559203"}, []string{"invalid arguments: id must be a number"}, 0},
		{"id zero", "zdx_get_application", map[string]any{"id": 0}, []string{"invalid arguments: id must be at least 1"}, 0},
		{"to before from", "zdx_list_devices", map[string]any{"from": 1732507200, "to": 1732500000}, []string{"invalid arguments: to (1732500000) must be after from (1732507200)"}, 0},
		{"range over 14 days", "zdx_list_alerts", map[string]any{"status": "historical", "from": 1700000000, "to": 1702000000}, []string{"invalid arguments: ", "14 days"}, 0},
		{"bad status", "zdx_list_alerts", map[string]any{"status": "open"}, []string{"invalid arguments: status must be one of ongoing, historical"}, 0},
		{"bad email", "zdx_list_devices", map[string]any{"emails": []any{"not-an-email"}}, []string{"invalid arguments: emails[0]"}, 0},
		{"unknown argument", "zdx_list_application_scores", map[string]any{"since": 3600}, []string{`invalid arguments: unknown argument "since"`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := env.call(t, tt.tool, tt.args)
			zpaWantError(t, res, tt.want...)
			if len(res.reqs) != tt.requests {
				t.Errorf("%d requests, want %d", len(res.reqs), tt.requests)
			}
		})
	}
}

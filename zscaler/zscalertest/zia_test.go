package zscalertest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// ziaStandInCall sends one raw request to the stand-in with a valid token
// and returns the status and decoded body.
func ziaStandInCall(t *testing.T, s *Server, method, path, body string) (int, any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.zscaler.com"},
		"client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}
	tr, err := http.PostForm(s.TokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(tr.Body).Decode(&tok)
	tr.Body.Close()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: answer %q is not JSON", method, path, data)
		}
	}
	return resp.StatusCode, out
}

// TestZIAStandIn checks the stand-in's own contract: the error answers the
// tools' tests rely on, and that ids and pages behave like the API.
func TestZIAStandIn(t *testing.T) {
	s := New(t)
	ServeZIA(s)
	ServeZCC(s)
	cases := []struct {
		name, method, path, body string
		status                   int
		// code is the error code (or, on success, a substring of the JSON answer).
		code string
	}{
		{"unknown rule", "GET", "/zia/api/v1/urlFilteringRules/999", "", 404, "RESOURCE_NOT_FOUND"},
		{"non-numeric id", "GET", "/zia/api/v1/users/abc", "", 404, "RESOURCE_NOT_FOUND"},
		{"unknown category", "GET", "/zia/api/v1/urlCategories/CUSTOM_99", "", 404, "RESOURCE_NOT_FOUND"},
		{"unknown route", "GET", "/zia/api/v1/nothing", "", 404, "RESOURCE_NOT_FOUND"},
		{"body not JSON", "POST", "/zia/api/v1/urlFilteringRules", "{", 400, "INVALID_INPUT_ARGUMENT"},
		{"body an array", "POST", "/zia/api/v1/urlCategories", "[]", 400, "INVALID_INPUT_ARGUMENT"},
		{"rule without action", "POST", "/zia/api/v1/urlFilteringRules", `{"name":"x","order":1}`, 400, "INVALID_INPUT_ARGUMENT"},
		{"rule with bad state", "PUT", "/zia/api/v1/urlFilteringRules/101", `{"name":"x","order":1,"action":"BLOCK","state":"ON"}`, 400, "INVALID_INPUT_ARGUMENT"},
		{"ISOLATE without profile", "POST", "/zia/api/v1/urlFilteringRules", `{"name":"x","order":1,"action":"ISOLATE"}`, 400, "INVALID_INPUT_ARGUMENT"},
		{"update of an unknown rule", "PUT", "/zia/api/v1/urlFilteringRules/999", `{"name":"x","order":1,"action":"BLOCK"}`, 404, "RESOURCE_NOT_FOUND"},
		{"category without super category", "POST", "/zia/api/v1/urlCategories", `{"configuredName":"x"}`, 400, "INVALID_INPUT_ARGUMENT"},
		{"category with non-string urls", "POST", "/zia/api/v1/urlCategories", `{"configuredName":"x","superCategory":"SECURITY","urls":[1]}`, 400, "INVALID_INPUT_ARGUMENT"},
		{"category bad action", "PUT", "/zia/api/v1/urlCategories/CUSTOM_01?action=MERGE", `{}`, 400, "INVALID_INPUT_ARGUMENT"},
		{"pageSize too large", "GET", "/zia/api/v1/users?pageSize=1001", "", 400, "INVALID_INPUT_ARGUMENT"},
		{"page zero", "GET", "/zia/api/v1/locations?page=0", "", 400, "INVALID_INPUT_ARGUMENT"},
		{"read-only firewall rules", "DELETE", "/zia/api/v1/firewallFilteringRules/201", "", 404, "RESOURCE_NOT_FOUND"},
		{"ZCC bad osType", "GET", "/zcc/papi/public/v1/getDevices?osType=9", "", 400, "INVALID_INPUT_ARGUMENT"},
		{"past the last page", "GET", "/zia/api/v1/users?page=9&pageSize=2", "", 200, "[]"},
		{"new custom category id", "POST", "/zia/api/v1/urlCategories", `{"configuredName":"New","superCategory":"TRAVEL"}`, 200, `"CUSTOM_03"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ziaStandInCall(t, s, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%v)", status, tc.status, body)
			}
			if status >= 400 {
				m, _ := body.(map[string]any)
				if tc.code != "" && (m["code"] != tc.code || m["message"] == "") {
					t.Errorf("error body %v, want code %s with a message", body, tc.code)
				}
				return
			}
			b, _ := json.Marshal(body)
			if !strings.Contains(string(b), tc.code) {
				t.Errorf("answer %s does not contain %s", b, tc.code)
			}
		})
	}
}

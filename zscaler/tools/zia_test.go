package tools

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// ziaCase is one tool call against a fresh stand-in tenant: the API
// requests it must make, and either the result it must return or the
// isError text it must contain.
type ziaCase struct {
	name  string
	tool  string
	args  map[string]any
	setup func(h *ziaHarness)
	reqs  []ziaReq
	// errs are substrings the isError text must contain; empty means the
	// call must succeed.
	errs  []string
	check func(t *testing.T, h *ziaHarness, out map[string]any)
}

func ziaRunCases(t *testing.T, cases []ziaCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newZIAHarness(t, true)
			if tc.setup != nil {
				tc.setup(h)
			}
			res, text, got := h.call(ziaCtx(t), tc.tool, tc.args)
			ziaCheckRequests(t, got, tc.reqs)
			if len(tc.errs) > 0 {
				if !res.IsError {
					t.Fatalf("want an isError result containing %q, got success: %s", tc.errs, text)
				}
				for _, e := range tc.errs {
					if !strings.Contains(text, e) {
						t.Errorf("error %q does not contain %q", text, e)
					}
				}
				return
			}
			out := ziaObject(t, res, text)
			if tc.check != nil {
				tc.check(t, h, out)
			}
		})
	}
}

func ziaWantNames(want ...string) func(t *testing.T, h *ziaHarness, out map[string]any) {
	return func(t *testing.T, h *ziaHarness, out map[string]any) {
		t.Helper()
		if got := ziaNames(t, out, "name"); !reflect.DeepEqual(got, want) {
			t.Errorf("names %q, want %q", got, want)
		}
	}
}

func ziaWantField(field string, want any) func(t *testing.T, h *ziaHarness, out map[string]any) {
	return func(t *testing.T, h *ziaHarness, out map[string]any) {
		t.Helper()
		if !reflect.DeepEqual(out[field], want) {
			t.Errorf("%s = %#v, want %#v", field, out[field], want)
		}
	}
}

func ziaBodyField(field string, want any) func(t *testing.T, b map[string]any) {
	return func(t *testing.T, b map[string]any) {
		t.Helper()
		if !reflect.DeepEqual(b[field], want) {
			t.Errorf("body %s = %#v, want %#v", field, b[field], want)
		}
	}
}

// ziaAddUsers adds n users named "Extra User i" in Engineering.
func ziaAddUsers(h *ziaHarness, n int) {
	for i := range n {
		h.zia.Users.Create(map[string]any{
			"name": "Extra User " + string(rune('A'+i)), "email": "extra" + string(rune('a'+i)) + "@acme.example",
			"department": map[string]any{"id": 21, "name": "Engineering"},
		})
	}
}

func TestZIAListTools(t *testing.T) {
	const users = "/zia/api/v1/users"
	ziaRunCases(t, []ziaCase{
		{
			name: "users: all pages are followed (9 users, pages of 4)", tool: "zia_list_users",
			args: map[string]any{"page_size": 4}, setup: func(h *ziaHarness) { ziaAddUsers(h, 5) },
			reqs: []ziaReq{
				{method: "GET", path: users, query: ziaPage("1", "4")},
				{method: "GET", path: users, query: ziaPage("2", "4")},
				{method: "GET", path: users, query: ziaPage("3", "4")},
			},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				names := ziaNames(t, out, "name")
				if len(names) != 9 || names[0] != "Alice Nguyen" || names[8] != "Extra User E" || out["truncated"] != false {
					t.Errorf("got %d users %q truncated=%v, want all 9 in id order", len(names), names, out["truncated"])
				}
			},
		},
		{
			name: "users: max_items stops paging and says truncated", tool: "zia_list_users",
			args: map[string]any{"page_size": 4, "max_items": 5}, setup: func(h *ziaHarness) { ziaAddUsers(h, 5) },
			reqs: []ziaReq{
				{method: "GET", path: users, query: ziaPage("1", "4")},
				{method: "GET", path: users, query: ziaPage("2", "4")},
			},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				if n := len(ziaNames(t, out, "name")); n != 5 || out["truncated"] != true {
					t.Errorf("got %d users truncated=%v, want 5 truncated=true", n, out["truncated"])
				}
			},
		},
		{
			name: "users: search is the API's name filter; dept and group go to the API", tool: "zia_list_users",
			args:  map[string]any{"search": "al", "dept": "Eng", "group": "Adm"},
			reqs:  []ziaReq{{method: "GET", path: users, query: ziaPage("1", "1000", "name", "al", "dept", "Eng", "group", "Adm")}},
			check: ziaWantNames("Alice Nguyen"),
		},
		{
			name: "users: name is a starts-with match", tool: "zia_list_users", args: map[string]any{"search": "a"},
			reqs:  []ziaReq{{method: "GET", path: users, query: ziaPage("1", "1000", "name", "a")}},
			check: ziaWantNames("Alice Nguyen"),
		},
		{
			name: "users: dept alone", tool: "zia_list_users", args: map[string]any{"dept": "engineering"},
			reqs:  []ziaReq{{method: "GET", path: users, query: ziaPage("1", "1000", "dept", "engineering")}},
			check: ziaWantNames("Alice Nguyen", "Carol Diaz"),
		},
		{
			name: "users: default page size is the API maximum", tool: "zia_list_users", args: map[string]any{},
			reqs:  []ziaReq{{method: "GET", path: users, query: ziaPage("1", "1000")}},
			check: ziaWantNames("Alice Nguyen", "Bob Smith", "Carol Diaz", "Dan Okafor"),
		},
		{
			name: "locations: search", tool: "zia_list_locations", args: map[string]any{"search": "san jose"},
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/locations", query: ziaPage("1", "1000", "search", "san jose")}},
			check: ziaWantNames("San Jose HQ", "Guest Wi-Fi San Jose"),
		},
		{
			name: "departments", tool: "zia_list_departments", args: map[string]any{"search": "fin"},
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/departments", query: ziaPage("1", "1000", "search", "fin")}},
			check: ziaWantNames("Finance"),
		},
		{
			name: "groups", tool: "zia_list_groups", args: map[string]any{},
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/groups", query: ziaPage("1", "1000")}},
			check: ziaWantNames("Employees", "Contractors", "Admins"),
		},
		{
			name: "rule labels", tool: "zia_list_rule_labels", args: map[string]any{},
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/ruleLabels", query: ziaPage("1", "1000")}},
			check: ziaWantNames("PCI", "Temporary"),
		},
		{
			name: "URL filtering rules: client-side search keeps paging past pages it empties", tool: "zia_list_url_filtering_rules",
			args: map[string]any{"search": "PARTNER", "page_size": 1},
			reqs: []ziaReq{
				{method: "GET", path: "/zia/api/v1/urlFilteringRules", query: ziaPage("1", "1")},
				{method: "GET", path: "/zia/api/v1/urlFilteringRules", query: ziaPage("2", "1")},
				{method: "GET", path: "/zia/api/v1/urlFilteringRules", query: ziaPage("3", "1")},
				{method: "GET", path: "/zia/api/v1/urlFilteringRules", query: ziaPage("4", "1")},
			},
			check: ziaWantNames("Allow Partner Portals"),
		},
		{
			name: "cloud firewall rules", tool: "zia_list_cloud_firewall_rules", args: map[string]any{},
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/firewallFilteringRules", query: ziaPage("1", "1000")}},
			check: ziaWantNames("Block Telnet", "Allow DNS to Corporate Resolvers", "Default Firewall Filtering Rule"),
		},
		{
			name: "IP destination groups: unpaged, client-side search", tool: "zia_list_ip_destination_groups", args: map[string]any{"search": "dns"},
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/ipDestinationGroups"}},
			check: ziaWantNames("Corporate DNS"),
		},
		{
			name: "URL categories: counts only by default", tool: "zia_list_url_categories", args: map[string]any{"custom_only": true},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/urlCategories", query: url.Values{"customOnly": {"true"}, "includeOnlyUrlKeywordCounts": {"true"}}}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				if got := ziaNames(t, out, "configuredName"); !reflect.DeepEqual(got, []string{"Blocked Domains", "Partner Portals"}) {
					t.Errorf("custom categories %q", got)
				}
				first := out["items"].([]any)[0].(map[string]any)
				if _, has := first["urls"]; has || first["customUrlsCount"] != float64(2) {
					t.Errorf("want counts without urls, got %v", first)
				}
			},
		},
		{
			name: "URL categories: include_urls, search on id, max_items", tool: "zia_list_url_categories",
			args: map[string]any{"include_urls": true, "search": "ing", "max_items": 2},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/urlCategories"}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				if got := ziaNames(t, out, "id"); !reflect.DeepEqual(got, []string{"GAMBLING", "SOCIAL_NETWORKING"}) || out["truncated"] != true {
					t.Errorf("ids %q truncated=%v, want GAMBLING, SOCIAL_NETWORKING truncated (ONLINE_SHOPPING cut)", got, out["truncated"])
				}
			},
		},
	})
}

func TestZIAGetTools(t *testing.T) {
	ziaRunCases(t, []ziaCase{
		{
			name: "user", tool: "zia_get_user", args: map[string]any{"id": 502},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/users/502"}}, check: ziaWantField("email", "bob@acme.example"),
		},
		{
			name: "location", tool: "zia_get_location", args: map[string]any{"id": 402},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/locations/402"}}, check: ziaWantField("name", "London Office"),
		},
		{
			name: "URL filtering rule", tool: "zia_get_url_filtering_rule", args: map[string]any{"id": 101},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/urlFilteringRules/101"}}, check: ziaWantField("action", "BLOCK"),
		},
		{
			name: "cloud firewall rule", tool: "zia_get_cloud_firewall_rule", args: map[string]any{"id": 201},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/firewallFilteringRules/201"}}, check: ziaWantField("action", "BLOCK_DROP"),
		},
		{
			name: "URL category (string id)", tool: "zia_get_url_category", args: map[string]any{"id": "CUSTOM_01"},
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/urlCategories/CUSTOM_01"}},
			check: ziaWantField("urls", []any{".badsite.example", "malware.example.net"}),
		},
		{
			name: "department", tool: "zia_get_department", args: map[string]any{"id": 22},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/departments/22"}}, check: ziaWantField("name", "Finance"),
		},
		{
			name: "group", tool: "zia_get_group", args: map[string]any{"id": 13},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/groups/13"}}, check: ziaWantField("name", "Admins"),
		},
		{
			name: "rule label", tool: "zia_get_rule_label", args: map[string]any{"id": 601},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/ruleLabels/601"}}, check: ziaWantField("name", "PCI"),
		},
		{
			name: "IP destination group", tool: "zia_get_ip_destination_group", args: map[string]any{"id": 302},
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/ipDestinationGroups/302"}},
			check: ziaWantField("addresses", []any{"*.salesforce.com", "*.workday.com"}),
		},
		{
			name: "URL lookup", tool: "zia_lookup_urls",
			args: map[string]any{"urls": []any{"https://new.malware.example.net/x", "news.example.com", "unknown.example"}},
			setup: func(h *ziaHarness) {
				// Subdomains of a custom category's .domain entry match it.
				h.call(ziaCtx(h.t), "zia_update_url_category", map[string]any{"id": "CUSTOM_01", "list_action": "ADD_TO_LIST", "urls": []any{".malware.example.net"}})
			},
			reqs: []ziaReq{{method: "POST", path: "/zia/api/v1/urlLookup", bodyJSON: `["https://new.malware.example.net/x","news.example.com","unknown.example"]`}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				var got [][]any
				for _, it := range out["items"].([]any) {
					got = append(got, it.(map[string]any)["urlClassifications"].([]any))
				}
				want := [][]any{{"CUSTOM_01"}, {"NEWS_AND_MEDIA"}, {"MISCELLANEOUS_OR_UNKNOWN"}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("classifications %v, want %v", got, want)
				}
			},
		},
		{
			name: "activation status", tool: "zia_get_activation_status", args: map[string]any{},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/status"}}, check: ziaWantField("status", "ACTIVE"),
		},
	})
}

func TestZIAWriteTools(t *testing.T) {
	const cats, rules = "/zia/api/v1/urlCategories", "/zia/api/v1/urlFilteringRules"
	ziaRunCases(t, []ziaCase{
		{
			name: "create URL category", tool: "zia_create_url_category",
			args: map[string]any{"configured_name": "AI Tools", "super_category": "INFORMATION_TECHNOLOGY", "urls": []any{"chat.example.ai", ".llm.example"}, "description": "GenAI"},
			reqs: []ziaReq{{method: "POST", path: cats, body: func(t *testing.T, b map[string]any) {
				want := map[string]any{
					"configuredName": "AI Tools", "superCategory": "INFORMATION_TECHNOLOGY", "urls": []any{"chat.example.ai", ".llm.example"},
					"keywords": []any{}, "dbCategorizedUrls": []any{}, "ipRanges": []any{}, "description": "GenAI",
					"customCategory": true, "type": "URL_CATEGORY",
				}
				if !reflect.DeepEqual(b, want) {
					t.Errorf("body %v\nwant %v", b, want)
				}
			}}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				if out["id"] != "CUSTOM_03" || out["customUrlsCount"] != float64(2) {
					t.Errorf("created %v, want id CUSTOM_03 with 2 urls", out)
				}
				if h.zia.Status() != "PENDING" {
					t.Errorf("activation status %s after a change, want PENDING", h.zia.Status())
				}
			},
		},
		{
			name: "update URL category keeps fields not given", tool: "zia_update_url_category",
			args: map[string]any{"id": "CUSTOM_02", "keywords": []any{"partner"}},
			reqs: []ziaReq{
				{method: "GET", path: cats + "/CUSTOM_02"},
				{method: "PUT", path: cats + "/CUSTOM_02", body: func(t *testing.T, b map[string]any) {
					ziaBodyField("keywords", []any{"partner"})(t, b)
					ziaBodyField("urls", []any{"portal.partner.example", "extranet.supplier.example"})(t, b)
					ziaBodyField("configuredName", "Partner Portals")(t, b)
				}},
			},
			check: ziaWantField("keywords", []any{"partner"}),
		},
		{
			name: "update URL category incrementally (ADD_TO_LIST)", tool: "zia_update_url_category",
			args: map[string]any{"id": "CUSTOM_01", "list_action": "ADD_TO_LIST", "urls": []any{"new.badsite.example"}},
			reqs: []ziaReq{
				{method: "GET", path: cats + "/CUSTOM_01"},
				{method: "PUT", path: cats + "/CUSTOM_01", query: url.Values{"action": {"ADD_TO_LIST"}}, body: func(t *testing.T, b map[string]any) {
					ziaBodyField("urls", []any{"new.badsite.example"})(t, b)
					if _, has := b["keywords"]; has {
						t.Errorf("incremental body carries keywords: %v", b)
					}
				}},
			},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				ziaWantField("urls", []any{".badsite.example", "malware.example.net", "new.badsite.example"})(t, h, out)
				ziaWantField("keywords", []any{"phish"})(t, h, out)
			},
		},
		{
			name: "update URL category incrementally (REMOVE_FROM_LIST)", tool: "zia_update_url_category",
			args: map[string]any{"id": "CUSTOM_01", "list_action": "REMOVE_FROM_LIST", "urls": []any{"malware.example.net"}},
			reqs: []ziaReq{
				{method: "GET", path: cats + "/CUSTOM_01"},
				{method: "PUT", path: cats + "/CUSTOM_01", query: url.Values{"action": {"REMOVE_FROM_LIST"}}},
			},
			check: ziaWantField("urls", []any{".badsite.example"}),
		},
		{
			name: "delete URL category", tool: "zia_delete_url_category", args: map[string]any{"id": "CUSTOM_02"},
			reqs: []ziaReq{{method: "DELETE", path: cats + "/CUSTOM_02"}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				ziaWantField("deleted", true)(t, h, out)
				ziaWantField("id", "CUSTOM_02")(t, h, out)
				if n := len(h.zia.URLCategories.List()); n != 7 {
					t.Errorf("%d categories left, want 7", n)
				}
			},
		},
		{
			name: "create URL filtering rule with defaults and references", tool: "zia_create_url_filtering_rule",
			args: map[string]any{"name": "Block AI", "order": 4, "action": "BLOCK", "url_categories": []any{"CUSTOM_01"}, "group_ids": []any{11, 12}, "request_methods": []any{"POST"}},
			reqs: []ziaReq{{method: "POST", path: rules, body: func(t *testing.T, b map[string]any) {
				want := map[string]any{
					"name": "Block AI", "order": float64(4), "action": "BLOCK", "state": "ENABLED", "rank": float64(7),
					"protocols": []any{"ANY_RULE"}, "urlCategories": []any{"CUSTOM_01"}, "requestMethods": []any{"POST"},
					"groups": []any{map[string]any{"id": float64(11)}, map[string]any{"id": float64(12)}},
				}
				if !reflect.DeepEqual(b, want) {
					t.Errorf("body %v\nwant %v", b, want)
				}
			}}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				if out["id"] != float64(104) || out["name"] != "Block AI" {
					t.Errorf("created %v, want id 104", out)
				}
			},
		},
		{
			name: "update URL filtering rule merges", tool: "zia_update_url_filtering_rule",
			args: map[string]any{"id": 102, "state": "DISABLED"},
			reqs: []ziaReq{
				{method: "GET", path: rules + "/102"},
				{method: "PUT", path: rules + "/102", body: func(t *testing.T, b map[string]any) {
					ziaBodyField("state", "DISABLED")(t, b)
					ziaBodyField("action", "CAUTION")(t, b)
					ziaBodyField("urlCategories", []any{"SOCIAL_NETWORKING"})(t, b)
				}},
			},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				stored, _ := h.zia.URLFilteringRules.Get("102")
				if stored["state"] != "DISABLED" || stored["name"] != "Caution Social" {
					t.Errorf("stored rule %v", stored)
				}
			},
		},
		{
			name: "delete URL filtering rule", tool: "zia_delete_url_filtering_rule", args: map[string]any{"id": 103},
			reqs: []ziaReq{{method: "DELETE", path: rules + "/103"}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				ziaWantField("id", "103")(t, h, out)
				if _, ok := h.zia.URLFilteringRules.Get("103"); ok {
					t.Error("rule 103 still exists")
				}
			},
		},
		{
			name: "create rule label", tool: "zia_create_rule_label", args: map[string]any{"name": "CHG-1234", "description": "change ticket"},
			reqs:  []ziaReq{{method: "POST", path: "/zia/api/v1/ruleLabels", bodyJSON: `{"name":"CHG-1234","description":"change ticket"}`}},
			check: ziaWantField("id", float64(603)),
		},
		{
			name: "delete rule label", tool: "zia_delete_rule_label", args: map[string]any{"id": 602},
			reqs: []ziaReq{{method: "DELETE", path: "/zia/api/v1/ruleLabels/602"}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				if _, ok := h.zia.RuleLabels.Get("602"); ok || out["deleted"] != true {
					t.Errorf("label 602 still exists or result %v", out)
				}
			},
		},
		{
			name: "activate", tool: "zia_activate_changes", args: map[string]any{},
			setup: func(h *ziaHarness) {
				h.call(ziaCtx(h.t), "zia_update_url_filtering_rule", map[string]any{"id": 101, "description": "x"})
				if h.zia.Status() != "PENDING" {
					h.t.Fatalf("status %s after an update, want PENDING", h.zia.Status())
				}
			},
			reqs: []ziaReq{{method: "POST", path: "/zia/api/v1/status/activate"}},
			check: func(t *testing.T, h *ziaHarness, out map[string]any) {
				ziaWantField("status", "ACTIVE")(t, h, out)
				if h.zia.Status() != "ACTIVE" {
					t.Errorf("stand-in status %s", h.zia.Status())
				}
			},
		},
	})
}

func TestZIAErrors(t *testing.T) {
	ziaRunCases(t, []ziaCase{
		{
			name: "404 for an unknown user carries the API message", tool: "zia_get_user", args: map[string]any{"id": 99999},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/users/99999"}},
			errs: []string{"404", "RESOURCE_NOT_FOUND", "user with id 99999 not found"},
		},
		{
			name: "404 on update stops before the PUT", tool: "zia_update_url_filtering_rule", args: map[string]any{"id": 4242, "state": "ENABLED"},
			reqs: []ziaReq{{method: "GET", path: "/zia/api/v1/urlFilteringRules/4242"}},
			errs: []string{"404", "URL filtering rule with id 4242 not found"},
		},
		{
			name: "404 on delete", tool: "zia_delete_url_category", args: map[string]any{"id": "CUSTOM_77"},
			reqs: []ziaReq{{method: "DELETE", path: "/zia/api/v1/urlCategories/CUSTOM_77"}},
			errs: []string{"404", "URL category with id CUSTOM_77 not found"},
		},
		{
			name: "400 from the API (predefined category cannot be deleted)", tool: "zia_delete_url_category", args: map[string]any{"id": "GAMBLING"},
			reqs: []ziaReq{{method: "DELETE", path: "/zia/api/v1/urlCategories/GAMBLING"}},
			errs: []string{"400", "INVALID_INPUT_ARGUMENT", "predefined URL category GAMBLING cannot be deleted"},
		},
		{
			name: "409 duplicate name", tool: "zia_create_url_category", args: map[string]any{"configured_name": "blocked domains", "super_category": "SECURITY"},
			reqs: []ziaReq{{method: "POST", path: "/zia/api/v1/urlCategories"}},
			errs: []string{"409", "DUPLICATE_ITEM", `"blocked domains" already exists`},
		},
		{
			name: "429 with a long Retry-After", tool: "zia_list_locations", args: map[string]any{},
			setup: func(h *ziaHarness) { h.srv.Fail(http.MethodGet, "/zia/api/v1/locations", 429, 100, "3600") },
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/locations", query: ziaPage("1", "1000")}},
			errs:  []string{"429", "injected failure 429"},
		},
		{
			name: "503 on a write", tool: "zia_activate_changes", args: map[string]any{},
			setup: func(h *ziaHarness) { h.srv.Fail(http.MethodPost, "/zia/api/v1/status/activate", 503, 100, "3600") },
			reqs:  []ziaReq{{method: "POST", path: "/zia/api/v1/status/activate"}},
			errs:  []string{"503", "injected failure 503"},
		},
		{
			name: "500 on a paged list", tool: "zia_list_users", args: map[string]any{"page_size": 2},
			setup: func(h *ziaHarness) { h.srv.Fail(http.MethodGet, "/zia/api/v1/users", 500, 100, "3600") },
			reqs:  []ziaReq{{method: "GET", path: "/zia/api/v1/users", query: ziaPage("1", "2")}},
			errs:  []string{"500", "injected failure 500"},
		},
	})
}

func TestZIAInvalidArguments(t *testing.T) {
	bad := []struct {
		tool string
		args map[string]any
		want string
	}{
		{"zia_get_user", map[string]any{}, "id is required"},
		{"zia_list_users", map[string]any{"serach": "bob"}, `unknown argument "serach": zia_list_users accepts dept, group, max_items, page_size, search`},
		{"zia_get_activation_status", map[string]any{"force": true}, `unknown argument "force": zia_get_activation_status takes no arguments`},
		{"zia_get_user", map[string]any{"id": "abc"}, "id must be a whole number"},
		{"zia_get_user", map[string]any{"id": 1.5}, "id must be a whole number"},
		{"zia_get_user", map[string]any{"id": 0}, "id must be between 1"},
		{"zia_get_url_category", map[string]any{"id": "../users"}, "id must be a URL category id"},
		{"zia_lookup_urls", map[string]any{}, "urls is required"},
		{"zia_lookup_urls", map[string]any{"urls": []any{}}, "urls must hold 1 to 100 URLs, got 0"},
		{"zia_lookup_urls", map[string]any{"urls": make([]any, 2)}, "urls[0] must be a non-empty string"},
		{"zia_lookup_urls", map[string]any{"urls": ziaManyURLs(101)}, "urls must hold 1 to 100 URLs, got 101"},
		{"zia_list_users", map[string]any{"max_items": 0}, "max_items must be between 1 and 1000"},
		{"zia_list_users", map[string]any{"page_size": 1001}, "page_size must be between 1 and 1000"},
		{"zia_list_users", map[string]any{"search": 7}, "search must be a string"},
		{"zia_list_url_categories", map[string]any{"custom_only": "yes"}, "custom_only must be true or false"},
		{"zia_create_url_category", map[string]any{"configured_name": "X"}, "super_category is required"},
		{"zia_create_url_category", map[string]any{"configured_name": " ", "super_category": "SECURITY"}, "configured_name must not be empty"},
		{"zia_create_url_category", map[string]any{"configured_name": "X", "super_category": "NOPE"}, "super_category must be one of"},
		{"zia_create_url_category", map[string]any{"configured_name": "X", "super_category": "SECURITY", "urls": "a.example"}, "urls must be an array of strings"},
		{"zia_create_url_category", map[string]any{"configured_name": "X", "super_category": "SECURITY", "urls": []any{"a", ""}}, "urls[1] must be a non-empty string"},
		{"zia_update_url_category", map[string]any{"id": "CUSTOM_01"}, "give at least one field to change"},
		{"zia_update_url_category", map[string]any{"id": "CUSTOM_01", "list_action": "MERGE", "urls": []any{"a"}}, "list_action must be one of"},
		{"zia_create_url_filtering_rule", map[string]any{"name": "r", "order": 1}, "action is required"},
		{"zia_create_url_filtering_rule", map[string]any{"name": "r", "order": 1, "action": "ISOLATE"}, "action must be one of ALLOW, CAUTION, BLOCK"},
		{"zia_create_url_filtering_rule", map[string]any{"name": "r", "action": "BLOCK"}, "order is required"},
		{"zia_create_url_filtering_rule", map[string]any{"name": "r", "order": 1, "action": "BLOCK", "protocols": []any{"GOPHER"}}, "protocols[0] must be one of"},
		{"zia_create_url_filtering_rule", map[string]any{"name": "r", "order": 1, "action": "BLOCK", "group_ids": []any{"eleven"}}, "group_ids[0] must be a positive whole number"},
		{"zia_update_url_filtering_rule", map[string]any{"id": 101, "rank": 9}, "rank must be between 0 and 7"},
		{"zia_update_url_filtering_rule", map[string]any{"id": 101}, "give at least one field to change"},
		{"zia_create_rule_label", map[string]any{"name": ""}, "name must not be empty"},
		{"zia_delete_rule_label", map[string]any{"id": -3}, "id must be between 1"},
		{"zcc_list_devices", map[string]any{"os_type": "beos"}, "os_type must be one of"},
		{"zcc_get_device_details", map[string]any{"udid": " "}, "give udid or username"},
		{"zcc_get_device_details", map[string]any{"udid": 5}, "udid must be a string"},
		{"zcc_list_devices", map[string]any{"page_size": 5001}, "page_size must be between 1 and 5000"},
	}
	// Run's own checks (production: mcp-go does not validate schemas).
	h := newZIAHarness(t, false)
	// The same calls with mcp-go's schema validation on: rejected too,
	// whether by the schema or by Run, and never sent to the API.
	hv := newZIAHarness(t, true)
	schemaRejected := 0
	for _, tc := range bad {
		t.Run(tc.tool+"/"+tc.want, func(t *testing.T) {
			res, text, got := h.call(ziaCtx(t), tc.tool, tc.args)
			if !res.IsError || !strings.HasPrefix(text, "invalid arguments: ") || !strings.Contains(text, tc.want) {
				t.Errorf("got isError=%v %q, want invalid arguments: ...%s", res.IsError, text, tc.want)
			}
			if len(got) != 0 {
				t.Errorf("invalid arguments reached the API: %v", got)
			}
			res, text, got = hv.call(ziaCtx(t), tc.tool, tc.args)
			if !res.IsError || len(got) != 0 {
				t.Errorf("with schema validation: isError=%v %q, %d API requests", res.IsError, text, len(got))
			}
			if !strings.HasPrefix(text, "invalid arguments: ") {
				schemaRejected++
			}
		})
	}
	t.Logf("the input schemas alone rejected %d of %d invalid calls", schemaRejected, len(bad))
	// Most bad calls break the declared schema (types, enums, ranges,
	// required fields, patterns); the rest are rules a schema cannot say.
	if schemaRejected < len(bad)/2 {
		t.Errorf("the input schemas rejected only %d of %d invalid calls", schemaRejected, len(bad))
	}
}

// TestZIACatalogue checks the catalogue's shape: names, services,
// toolsets, annotations from Kind, and that every tool declares its
// required arguments in the schema.
func TestZIACatalogue(t *testing.T) {
	specs := append(ziaSpecs(), zccSpecs()...)
	seen := map[string]bool{}
	var ziaN, ziaWrites, zccN int
	for _, s := range specs {
		if seen[s.Name] {
			t.Errorf("%s defined twice", s.Name)
		}
		seen[s.Name] = true
		if !strings.HasPrefix(s.Name, s.Service+"_") || !strings.HasPrefix(s.Toolset, s.Service+"_") {
			t.Errorf("%s: name/toolset %q must start with the service %q", s.Name, s.Toolset, s.Service)
		}
		verb := strings.Split(s.Name, "_")[1]
		wantKind := map[string]Kind{"list": Read, "get": Read, "create": Write, "update": Write, "activate": Write, "delete": Delete}[verb]
		if s.Kind != wantKind {
			t.Errorf("%s: kind %v, want %v from its verb", s.Name, s.Kind, wantKind)
		}
		if s.Title == "" || len(s.Description) < 40 || s.Run == nil {
			t.Errorf("%s: needs a title, a helpful description and Run", s.Name)
		}
		def := s.Def()
		if def.InputSchema.AdditionalProperties != false {
			t.Errorf("%s: the schema must reject unknown arguments", s.Name)
		}
		for p, raw := range def.InputSchema.Properties {
			if prop, _ := raw.(map[string]any); prop["description"] == nil {
				t.Errorf("%s: argument %s has no description", s.Name, p)
			}
		}
		a := def.Annotations
		if *a.ReadOnlyHint != (s.Kind == Read) || *a.DestructiveHint != (s.Kind == Delete) {
			t.Errorf("%s: annotations %+v do not match kind %v", s.Name, a, s.Kind)
		}
		if verb == "update" && !*a.IdempotentHint {
			t.Errorf("%s: updates are idempotent", s.Name)
		}
		noID := s.Name == "zia_get_activation_status" || s.Name == "zcc_get_device_details"
		if (verb == "get" && !noID) || verb == "update" || verb == "delete" {
			if !slices.Contains(def.InputSchema.Required, "id") {
				t.Errorf("%s: id must be required in the schema", s.Name)
			}
		}
		switch s.Service {
		case "zia":
			ziaN++
			if s.Write() {
				ziaWrites++
			}
		case "zcc":
			zccN++
		default:
			t.Errorf("%s: service %q", s.Name, s.Service)
		}
	}
	if ziaN < 16 || ziaWrites < 6 || zccN < 1 {
		t.Errorf("catalogue has %d zia tools (%d write) and %d zcc tools; want ≥16 (≥6 write) and ≥1", ziaN, ziaWrites, zccN)
	}
	for _, name := range []string{
		"zia_list_url_categories", "zia_get_url_category", "zia_create_url_category", "zia_update_url_category", "zia_delete_url_category",
		"zia_list_url_filtering_rules", "zia_get_url_filtering_rule", "zia_create_url_filtering_rule", "zia_update_url_filtering_rule", "zia_delete_url_filtering_rule",
		"zia_list_cloud_firewall_rules", "zia_get_cloud_firewall_rule", "zia_list_locations", "zia_get_location", "zia_list_users", "zia_get_user",
		"zia_get_activation_status", "zia_activate_changes", "zcc_list_devices",
	} {
		if !seen[name] {
			t.Errorf("required tool %s is missing", name)
		}
	}
	// The stand-in and the tools agree on the super categories.
	if !reflect.DeepEqual(ziaSuperCategories, zscalertest.ZIASuperCategories) {
		t.Errorf("tool super categories %v differ from the stand-in's %v", ziaSuperCategories, zscalertest.ZIASuperCategories)
	}
}

func ziaManyURLs(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = "host" + strconv.Itoa(i) + ".example"
	}
	return out
}

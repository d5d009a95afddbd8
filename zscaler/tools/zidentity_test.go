package tools_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

func zidEnvOf(t *testing.T) (*zpaEnv, *zscalertest.ZIdentity) {
	t.Helper()
	var z *zscalertest.ZIdentity
	env := zpaNewEnv(t, "zidentity", nil, func(s *zscalertest.Server) { z = zscalertest.ServeZIdentity(s) })
	return env, z
}

func TestZIdentityReadTools(t *testing.T) {
	env, _ := zidEnvOf(t)
	allUsers := []string{"Jane Doe", "John Smith", "Priya Patel", "Chen Wei", "Maria Garcia", "Ahmed Khan", "Lena Muller", "Tom Brown", "Backup Service"}
	tests := []struct {
		name, tool string
		args       map[string]any
		path       string
		query      url.Values
		field      string
		want       []string
	}{
		{"all users", "zidentity_list_users", nil, "/ziam/admin/api/v1/users", url.Values{"offset": {"0"}, "limit": {"1000"}}, "displayName", allUsers},
		{"users by email", "zidentity_list_users", map[string]any{"primary_email_like": "PATEL", "max_items": 50}, "/ziam/admin/api/v1/users",
			url.Values{"offset": {"0"}, "limit": {"50"}, "primaryemail[like]": {"PATEL"}}, "displayName", []string{"Priya Patel"}},
		{"users by login and display name", "zidentity_list_users", map[string]any{"login_name_like": "j", "display_name_like": "smith"}, "/ziam/admin/api/v1/users",
			url.Values{"offset": {"0"}, "limit": {"1000"}, "loginname[like]": {"j"}, "displayname[like]": {"smith"}}, "displayName", []string{"John Smith"}},
		{"user groups", "zidentity_list_user_groups", map[string]any{"id": "ihln05leh07e1"}, "/ziam/admin/api/v1/users/ihln05leh07e1/groups",
			url.Values{"offset": {"0"}, "limit": {"1000"}}, "name", []string{"Engineering", "IT Admins", "Active Employees"}},
		{"all groups", "zidentity_list_groups", nil, "/ziam/admin/api/v1/groups", url.Values{"offset": {"0"}, "limit": {"1000"}}, "name",
			[]string{"Engineering", "Finance", "IT Admins", "Active Employees"}},
		{"static groups", "zidentity_list_groups", map[string]any{"exclude_dynamic_groups": true}, "/ziam/admin/api/v1/groups",
			url.Values{"offset": {"0"}, "limit": {"1000"}, "excludedynamicgroups": {"true"}}, "name", []string{"Engineering", "Finance", "IT Admins"}},
		{"groups by name", "zidentity_list_groups", map[string]any{"name_like": "fin"}, "/ziam/admin/api/v1/groups",
			url.Values{"offset": {"0"}, "limit": {"1000"}, "name[like]": {"fin"}}, "name", []string{"Finance"}},
		{"group members", "zidentity_list_group_members", map[string]any{"id": "ia3b1ad9hg66a"}, "/ziam/admin/api/v1/groups/ia3b1ad9hg66a/users",
			url.Values{"offset": {"0"}, "limit": {"1000"}}, "displayName", []string{"Jane Doe", "Priya Patel", "Ahmed Khan", "Tom Brown"}},
		{"group members filtered", "zidentity_list_group_members", map[string]any{"id": "ia3b1ad9hg66a", "display_name_like": "an"}, "/ziam/admin/api/v1/groups/ia3b1ad9hg66a/users",
			url.Values{"offset": {"0"}, "limit": {"1000"}, "displayname[like]": {"an"}}, "displayName", []string{"Jane Doe", "Ahmed Khan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := env.call(t, tt.tool, tt.args)
			if res.isError {
				t.Fatalf("isError: %s", res.text)
			}
			if len(res.reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(res.reqs))
			}
			zpaWantReq(t, res.reqs[0], "GET", tt.path, tt.query)
			if got := zpaNames(zpaItems(t, res), tt.field); !slices.Equal(got, tt.want) {
				t.Errorf("%s = %q, want %q", tt.field, got, tt.want)
			}
		})
	}

	for tool, id := range map[string]string{"zidentity_get_user": "ihln05leh07e5", "zidentity_get_group": "ia3b1ad9hg66c"} {
		res := env.call(t, tool, map[string]any{"id": id})
		if res.isError || res.json["id"] != id {
			t.Errorf("%s: %s", tool, res.text)
		}
		kind := map[string]string{"zidentity_get_user": "users", "zidentity_get_group": "groups"}[tool]
		zpaWantReq(t, res.reqs[0], "GET", "/ziam/admin/api/v1/"+kind+"/"+id, nil)
	}
}

// TestZIdentityPagination: with the server serving 4 records a page, the
// tool advances offset by what it received and follows next_link to the end.
func TestZIdentityPagination(t *testing.T) {
	env, z := zidEnvOf(t)
	z.SetMaxPageSize(4)
	res := env.call(t, "zidentity_list_users", nil)
	if res.isError {
		t.Fatalf("isError: %s", res.text)
	}
	if len(res.reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(res.reqs))
	}
	for i, off := range []string{"0", "4", "8"} {
		zpaWantReq(t, res.reqs[i], "GET", "/ziam/admin/api/v1/users", url.Values{"offset": {off}, "limit": {"1000"}})
	}
	items := zpaItems(t, res)
	if len(items) != 9 || items[8]["displayName"] != "Backup Service" || res.json["truncated"] != false {
		t.Errorf("got %d users, last %v, truncated %v", len(items), items[len(items)-1]["displayName"], res.json["truncated"])
	}

	res = env.call(t, "zidentity_list_users", map[string]any{"max_items": 6})
	if n := len(zpaItems(t, res)); n != 6 || res.json["truncated"] != true || len(res.reqs) != 2 {
		t.Errorf("max_items 6: %d users, truncated %v, %d requests", n, res.json["truncated"], len(res.reqs))
	}
}

func TestZIdentityErrors(t *testing.T) {
	env, _ := zidEnvOf(t)
	tests := []struct {
		name, tool string
		args       map[string]any
		want       []string
		requests   int
	}{
		{"unknown user", "zidentity_get_user", map[string]any{"id": "nosuchuser"}, []string{"404", "resource_not_found", "user nosuchuser not found"}, 1},
		{"unknown group members", "zidentity_list_group_members", map[string]any{"id": "nosuchgroup"}, []string{"404", "group nosuchgroup not found"}, 1},
		{"id with a slash", "zidentity_get_group", map[string]any{"id": "a/b"}, []string{"invalid arguments: id", "does not match"}, 0},
		{"missing id", "zidentity_list_user_groups", map[string]any{}, []string{"invalid arguments: id is required"}, 0},
		{"flag as string", "zidentity_list_groups", map[string]any{"exclude_dynamic_groups": "true"}, []string{"invalid arguments: exclude_dynamic_groups must be true or false"}, 0},
		{"unknown filter", "zidentity_list_users", map[string]any{"email": "x"}, []string{`invalid arguments: unknown argument "email"`, "primary_email_like"}, 0},
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

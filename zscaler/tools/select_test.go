package tools

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// testCatalogue is a small catalogue with read, write and delete tools of
// two services.
func testCatalogue() []Spec {
	return []Spec{
		{Name: "zia_list_url_categories", Service: "zia", Toolset: "zia_url_categories", Kind: Read},
		{Name: "zia_create_url_category", Service: "zia", Toolset: "zia_url_categories", Kind: Write},
		{Name: "zia_delete_url_category", Service: "zia", Toolset: "zia_url_categories", Kind: Delete},
		{Name: "zia_list_locations", Service: "zia", Toolset: "zia_locations", Kind: Read},
		{Name: "zpa_list_segment_groups", Service: "zpa", Toolset: "zpa_apps", Kind: Read},
		{Name: "zpa_update_segment_group", Service: "zpa", Toolset: "zpa_apps", Kind: Write, Idempotent: true},
		{Name: "zpa_delete_segment_group", Service: "zpa", Toolset: "zpa_apps", Kind: Delete},
	}
}

func names(specs []Spec) string {
	out := make([]string, 0, len(specs))
	for _, s := range specs {
		out = append(out, s.Name)
	}
	return strings.Join(out, ",")
}

// TestSelectionWriteGate is the gating table: write and delete tools are
// registered only when both the switch and a pattern are set, and then
// only those the patterns name.
func TestSelectionWriteGate(t *testing.T) {
	reads := "zia_list_url_categories,zia_list_locations,zpa_list_segment_groups"
	for _, tc := range []struct {
		name     string
		sel      Selection
		want     string
		warnings int
	}{
		{"default: reads only", Selection{}, reads, 0},
		{"switch alone", Selection{EnableWrite: true}, reads, 1},
		{"patterns alone", Selection{WritePatterns: []string{"*"}}, reads, 1},
		{"both, all", Selection{EnableWrite: true, WritePatterns: []string{"*"}},
			"zia_list_url_categories,zia_create_url_category,zia_delete_url_category,zia_list_locations,zpa_list_segment_groups,zpa_update_segment_group,zpa_delete_segment_group", 0},
		{"both, zia only", Selection{EnableWrite: true, WritePatterns: []string{"zia_*"}},
			"zia_list_url_categories,zia_create_url_category,zia_delete_url_category,zia_list_locations,zpa_list_segment_groups", 0},
		{"both, exact name", Selection{EnableWrite: true, WritePatterns: []string{"zpa_update_segment_group"}},
			reads + ",zpa_update_segment_group", 0},
		{"both, no deletes", Selection{EnableWrite: true, WritePatterns: []string{"*_create_*", "*_update_*"}},
			"zia_list_url_categories,zia_create_url_category,zia_list_locations,zpa_list_segment_groups,zpa_update_segment_group", 0},
		{"pattern matching nothing", Selection{EnableWrite: true, WritePatterns: []string{"zdx_*"}}, reads, 0},
		{"disabled tool wins over write pattern", Selection{EnableWrite: true, WritePatterns: []string{"*"}, DisabledTools: []string{"*_delete_*"}},
			"zia_list_url_categories,zia_create_url_category,zia_list_locations,zpa_list_segment_groups,zpa_update_segment_group", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.sel.Validate(testCatalogue()); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, warnings := tc.sel.Apply(testCatalogue())
			if g := names(got); g != tc.want {
				t.Errorf("selected\n %s\nwant\n %s", g, tc.want)
			}
			if len(warnings) != tc.warnings {
				t.Errorf("warnings = %q, want %d", warnings, tc.warnings)
			}
		})
	}
}

func TestSelectionFilters(t *testing.T) {
	for _, tc := range []struct {
		name string
		sel  Selection
		want string
	}{
		{"services", Selection{Services: []string{"zpa"}}, "zpa_list_segment_groups"},
		{"disabled services", Selection{DisabledServices: []string{"zpa"}}, "zia_list_url_categories,zia_list_locations"},
		{"toolsets", Selection{Toolsets: []string{"zia_locations", "zpa_apps"}}, "zia_list_locations,zpa_list_segment_groups"},
		{"disabled toolsets", Selection{DisabledToolsets: []string{"zia_locations"}}, "zia_list_url_categories,zpa_list_segment_groups"},
		{"disabled tools glob", Selection{DisabledTools: []string{"zia_list_*"}}, "zpa_list_segment_groups"},
		{"disabled tool name", Selection{DisabledTools: []string{"zia_list_locations"}}, "zia_list_url_categories,zpa_list_segment_groups"},
		{"services and toolsets intersect", Selection{Services: []string{"zia"}, Toolsets: []string{"zpa_apps"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.sel.Validate(testCatalogue()); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, _ := tc.sel.Apply(testCatalogue())
			if g := names(got); g != tc.want {
				t.Errorf("selected %q, want %q", g, tc.want)
			}
		})
	}
}

func TestSelectionValidateNamesTheBadValue(t *testing.T) {
	for _, tc := range []struct {
		sel           Selection
		setting, want string
		valid         string
	}{
		{Selection{Services: []string{"zia", "zix"}}, "services", `unknown service "zix"`, "zia"},
		{Selection{DisabledServices: []string{"ZIA"}}, "disabled-services", `unknown service "ZIA"`, "zidentity"},
		{Selection{Toolsets: []string{"zia_nope"}}, "toolsets", `unknown toolset "zia_nope"`, "zpa_apps"},
		{Selection{DisabledToolsets: []string{"x"}}, "disabled-toolsets", `unknown toolset "x"`, "zia_locations"},
		{Selection{DisabledTools: []string{"zia_list_nothing"}}, "disabled-tools", `unknown tool "zia_list_nothing"`, "zpa_list_segment_groups"},
		{Selection{DisabledTools: []string{"zia_[list"}}, "disabled-tools", `"zia_[list" is not a valid glob pattern`, ""},
		{Selection{EnableWrite: true, WritePatterns: []string{"[z"}}, "write-tools", `"[z" is not a valid glob pattern`, ""},
	} {
		err := tc.sel.Validate(testCatalogue())
		var se *SelectionError
		if !errors.As(err, &se) {
			t.Fatalf("%+v: err = %v, want a *SelectionError", tc.sel, err)
		}
		if se.Setting != tc.setting || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.valid) {
			t.Errorf("%+v: %s: %v; want setting %s, %q, listing %q", tc.sel, se.Setting, err, tc.setting, tc.want, tc.valid)
		}
	}
	// Services are known even before the catalogue has tools of them.
	if err := (Selection{Services: []string{"zdx", "zcc", "zidentity"}}).Validate(nil); err != nil {
		t.Errorf("known services refused on an empty catalogue: %v", err)
	}
	if !slices.Equal(ServiceCodes(), []string{"zcc", "zdx", "zia", "zidentity", "zpa"}) {
		t.Errorf("ServiceCodes = %v", ServiceCodes())
	}
}

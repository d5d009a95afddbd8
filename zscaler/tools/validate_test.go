package tools_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

// TestBuildChecksArguments: the handler Build makes checks every call
// against the tool's schema before Run, for every service: an unknown
// argument (every tool of the catalogue) and a wrong JSON type (one tool
// per service) are refused with an isError result naming the argument and
// the reason, and no API request is sent.
func TestBuildChecksArguments(t *testing.T) {
	wrongType := map[string]struct {
		tool string
		args map[string]any
		want string
	}{
		"zia":       {"zia_list_users", map[string]any{"search": true}, "search must be a string"},
		"zcc":       {"zcc_list_devices", map[string]any{"os_type": 5}, "os_type must be a string"},
		"zpa":       {"zpa_list_application_segments", map[string]any{"max_items": "ten"}, "max_items must be a number"},
		"zdx":       {"zdx_list_devices", map[string]any{"emails": "priya.patel@acme.com"}, "emails must be an array"},
		"zidentity": {"zidentity_list_users", map[string]any{"max_items": true}, "max_items must be a number"},
	}
	services := map[string]bool{}
	for _, s := range tools.All() {
		services[s.Service] = true
	}
	for svc := range services {
		if _, ok := wrongType[svc]; !ok {
			t.Errorf("service %s has no wrong-type case", svc)
		}
	}

	for svc := range services {
		t.Run(svc, func(t *testing.T) {
			env := zpaNewEnv(t, svc, nil, func(*zscalertest.Server) {})
			names := make([]string, 0, len(env.tools))
			for name := range env.tools {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				res := env.call(t, name, map[string]any{"no_such_argument": 1})
				accepted := make([]string, 0)
				for p := range env.tools[name].Def.InputSchema.Properties {
					accepted = append(accepted, p)
				}
				slices.Sort(accepted)
				want := "invalid arguments: unknown argument " + strconv.Quote("no_such_argument") + ": " + name
				if len(accepted) == 0 {
					want += " takes no arguments"
				} else {
					want += " accepts " + strings.Join(accepted, ", ")
				}
				if !res.isError || res.text != want {
					t.Errorf("%s: unknown argument: isError=%v %q, want %q", name, res.isError, res.text, want)
				}
				if len(res.reqs) != 0 {
					t.Errorf("%s: unknown argument reached the API: %v", name, res.reqs)
				}
			}
			tc, ok := wrongType[svc]
			if !ok {
				return
			}
			res := env.call(t, tc.tool, tc.args)
			if !res.isError || !strings.HasPrefix(res.text, "invalid arguments: ") || !strings.Contains(res.text, tc.want) {
				t.Errorf("%s: wrong type: isError=%v %q, want invalid arguments: ...%s", tc.tool, res.isError, res.text, tc.want)
			}
			if len(res.reqs) != 0 {
				t.Errorf("%s: wrong type reached the API: %v", tc.tool, res.reqs)
			}
		})
	}
}

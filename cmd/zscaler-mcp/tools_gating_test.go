package main

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var summaryRE = regexp.MustCompile(`zscaler-mcp started".* tools=(\d+) write_tools=(\d+)`)

// TestWriteToolGating is the gating table: write and delete tools are
// registered only with both --enable-write-tools and --write-tools (flag
// or env, upstream aliases included), and then only those matching a
// pattern; either alone registers none and says what is missing. The
// start-up summary counts them.
func TestWriteToolGating(t *testing.T) {
	si := newStandIn(t)
	reads := []string{"whoami", "zia_list_url_categories", "zpa_list_segment_groups"}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		writes  []string
		warning string
	}{
		{name: "default: none"},
		{name: "enable alone", args: []string{"--enable-write-tools"}, warning: "--write-tools is empty"},
		{name: "patterns alone", args: []string{"--write-tools", "*"}, warning: "--enable-write-tools is not"},
		{name: "env enable alone (upstream name)", env: map[string]string{"ZSCALER_MCP_WRITE_ENABLED": "true"}, warning: "--write-tools is empty"},
		{name: "env patterns alone", env: map[string]string{"ZSCALER_MCP_WRITE_TOOLS": "zia_*"}, warning: "--enable-write-tools is not"},
		{name: "enable false with patterns", args: []string{"--enable-write-tools=false", "--write-tools", "*"}, warning: "--enable-write-tools is not"},
		{name: "both, all", args: []string{"--enable-write-tools", "--write-tools", "*"},
			writes: []string{"zia_create_url_category", "zia_delete_url_category", "zpa_delete_segment_group", "zpa_update_segment_group"}},
		{name: "both, zia glob", args: []string{"--enable-write-tools", "--write-tools", "zia_*"},
			writes: []string{"zia_create_url_category", "zia_delete_url_category"}},
		{name: "both via upstream env", env: map[string]string{"ZSCALER_MCP_WRITE_ENABLED": "true", "ZSCALER_MCP_WRITE_TOOLS": "zpa_update_segment_group, zia_create_*"},
			writes: []string{"zia_create_url_category", "zpa_update_segment_group"}},
		{name: "flag beats env", env: map[string]string{"ZSCALER_MCP_WRITE_ENABLED": "true", "ZSCALER_MCP_WRITE_TOOLS": "*"}, args: []string{"--write-tools", "*_delete_*"},
			writes: []string{"zia_delete_url_category", "zpa_delete_segment_group"}},
		{name: "disabled tools beat the allowlist", args: []string{"--enable-write-tools", "--write-tools", "*", "--disabled-tools", "*_delete_*"},
			writes: []string{"zia_create_url_category", "zpa_update_segment_group"}},
		{name: "service selection applies to writes", args: []string{"--enable-write-tools", "--write-tools", "*", "--services", "zpa"},
			writes: []string{"zpa_delete_segment_group", "zpa_update_segment_group"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startCat(t, si.env(tc.env), testCatalogue(), tc.args...)
			c, err := connect(t, srv.URL, "streamable-http", bearer())
			if err != nil {
				t.Fatal(err)
			}
			got := listNames(t, c)
			want := slices.Clone(reads)
			if slices.Contains(tc.args, "zpa") {
				want = []string{"whoami", "zpa_list_segment_groups"}
			}
			want = append(want, tc.writes...)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("tools/list:\n got %v\nwant %v", got, want)
			}
			m := summaryRE.FindStringSubmatch(srv.Stderr.String())
			if m == nil {
				t.Fatalf("no start-up summary with tool counts:\n%s", srv.Stderr)
			}
			if m[1] != itoa(len(want)) || m[2] != itoa(len(tc.writes)) {
				t.Errorf("summary tools=%s write_tools=%s, want %d and %d", m[1], m[2], len(want), len(tc.writes))
			}
			if tc.warning != "" && !strings.Contains(srv.Stderr.String(), tc.warning) {
				t.Errorf("no warning containing %q:\n%s", tc.warning, srv.Stderr)
			}
			if tc.warning == "" && strings.Contains(srv.Stderr.String(), "level=WARN msg=\"write tools") {
				t.Errorf("unexpected write-tools warning:\n%s", srv.Stderr)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSelectionFlagErrors: an unknown service, toolset or tool in the
// selection flags stops the start-up, naming the value and the valid ones.
func TestSelectionFlagErrors(t *testing.T) {
	si := newStandIn(t)
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want []string
	}{
		{args: []string{"--services", "zia,zix"}, want: []string{`--services: unknown service "zix"`, "zcc, zdx, zia, zidentity, zpa"}},
		{env: map[string]string{"ZSCALER_MCP_DISABLED_SERVICES": "zpa,nope"}, want: []string{`ZSCALER_MCP_DISABLED_SERVICES: unknown service "nope"`}},
		{args: []string{"--toolsets", "zia_firewall"}, want: []string{`--toolsets: unknown toolset "zia_firewall"`, "zia_url_categories, zpa_segment_groups"}},
		{args: []string{"--disabled-toolsets", "x"}, want: []string{`unknown toolset "x"`}},
		{args: []string{"--disabled-tools", "zia_list_urlcategories"}, want: []string{`--disabled-tools: unknown tool "zia_list_urlcategories"`, "zia_list_url_categories"}},
		{args: []string{"--enable-write-tools", "--write-tools", "zia_[x"}, want: []string{`--write-tools: "zia_[x" is not a valid glob pattern`}},
		{args: []string{"--confirmation-ttl", "soon"}, want: []string{`--confirmation-ttl: "soon" is not a duration`}},
		{env: map[string]string{"ZSCALER_MCP_WRITE_ENABLED": "maybe"}, want: []string{`ZSCALER_MCP_WRITE_ENABLED: "maybe" is not a boolean`}},
		// The OneAPI credential: partial or invalid settings stop the start-up, naming the variable.
		{env: map[string]string{"ZSCALER_CLIENT_SECRET": ""}, want: []string{"ZSCALER_CLIENT_SECRET"}},
		{env: map[string]string{"ZSCALER_CUSTOMER_ID": "acme"}, want: []string{"ZSCALER_CUSTOMER_ID", "numeric"}},
		{args: []string{"--api-max-attempts", "99"}, want: []string{"ZSCALER_MCP_API_MAX_ATTEMPTS", `"99"`}},
		{env: map[string]string{"ZSCALER_MCP_API_RATE_LIMITS": "zia=fast"}, want: []string{"ZSCALER_MCP_API_RATE_LIMITS"}},
	} {
		var out, errb syncBuffer
		env := si.env(tc.env)
		args := append([]string{"--transport", "streamable-http", "--port", "0", "--data-dir", t.TempDir()}, tc.args...)
		code := runWith(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb, testCatalogue())
		if code != 2 {
			t.Errorf("%v %v: exit %d, want 2; stderr:\n%s", tc.env, tc.args, code, errb.String())
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%v %v: stderr %q does not contain %q", tc.env, tc.args, errb.String(), w)
			}
		}
	}
}

// TestNoCredentialsOnlyWhoami: without OneAPI credentials the server
// starts with whoami only and says why in one line.
func TestNoCredentialsOnlyWhoami(t *testing.T) {
	srv := startCat(t, map[string]string{"ZSCALER_MCP_AUTH_API_KEY": testAPIKey}, testCatalogue(), "--enable-write-tools", "--write-tools", "*")
	c, err := connect(t, srv.URL, "streamable-http", bearer())
	if err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, c); !slices.Equal(got, []string{"whoami"}) {
		t.Errorf("tools/list = %v, want only whoami", got)
	}
	if n := strings.Count(srv.Stderr.String(), "no Zscaler tools: ZSCALER_CLIENT_ID is not set"); n != 1 {
		t.Errorf("%d lines saying why there are no Zscaler tools:\n%s", n, srv.Stderr)
	}
	if m := summaryRE.FindStringSubmatch(srv.Stderr.String()); m == nil || m[1] != "1" || m[2] != "0" {
		t.Errorf("summary %v, want tools=1 write_tools=0", m)
	}
}

// TestListTools: --list-tools prints the selected catalogue and exits 0
// without credentials, a network or a valid transport configuration.
func TestListTools(t *testing.T) {
	for _, tc := range []struct {
		args        []string
		want, never []string
	}{
		{args: []string{"--list-tools"},
			want: []string{
				"NAME", "SERVICE", "ACCESS", "DESCRIPTION",
				"whoami", "zia_list_url_categories zia read List the URL categories.",
				"zia_delete_url_category zia delete (off) Delete a custom URL category.",
				"zpa_update_segment_group", "write (off)",
				"7 tools: 3 read, 4 write/delete (0 write tools on",
				"Toolsets (--toolsets, --disabled-toolsets): zia_url_categories, zpa_segment_groups",
			}},
		{args: []string{"--list-tools", "--services", "zpa", "--enable-write-tools", "--write-tools", "zpa_update_*"},
			want:  []string{"zpa_update_segment_group zpa write Rename", "zpa_delete_segment_group zpa delete (off)", "4 tools: 2 read, 2 write/delete (1 write tools on"},
			never: []string{"zia_"}},
		// A non-loopback bind without auth would refuse to start; listing does not care.
		{args: []string{"--list-tools", "--host", "0.0.0.0", "--transport", "streamable-http", "--disabled-tools", "zia_*"},
			want: []string{"zpa_list_segment_groups"}, never: []string{"zia_"}},
	} {
		var out, errb syncBuffer
		code := runWith(context.Background(), tc.args, func(string) string { return "" }, strings.NewReader(""), &out, &errb, testCatalogue())
		if code != 0 {
			t.Fatalf("%v: exit %d:\n%s", tc.args, code, errb.String())
		}
		flat := strings.Join(strings.Fields(out.String()), " ")
		for _, w := range tc.want {
			if !strings.Contains(flat, w) {
				t.Errorf("%v: output does not contain %q:\n%s", tc.args, w, out.String())
			}
		}
		for _, n := range tc.never {
			if strings.Contains(out.String(), n) {
				t.Errorf("%v: output contains %q:\n%s", tc.args, n, out.String())
			}
		}
	}
	var out, errb syncBuffer
	if code := runWith(context.Background(), []string{"--list-tools", "--services", "zia,zix"}, func(string) string { return "" }, strings.NewReader(""), &out, &errb, testCatalogue()); code != 2 || !strings.Contains(errb.String(), `unknown service "zix"`) {
		t.Errorf("unknown service: exit %d, stderr %q", code, errb.String())
	}
}

// TestServerEntitlementFilter: tools of services the server's own
// credential is not entitled to are hidden, with one log line naming them
// (unknown product codes are reported and hide nothing);
// --no-entitlement-filter (or its upstream env name) shows them again.
func TestServerEntitlementFilter(t *testing.T) {
	si := newStandIn(t, "ZIA", "ZNEWTHING")
	srv := startCat(t, si.env(nil), testCatalogue())
	c, err := connect(t, srv.URL, "streamable-http", bearer())
	if err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, c); !slices.Equal(got, []string{"whoami", "zia_list_url_categories"}) {
		t.Errorf("tools/list = %v, want zia tools and whoami only", got)
	}
	logs := srv.Stderr.String()
	if n := strings.Count(logs, "entitlement filter:"); n != 1 {
		t.Errorf("%d entitlement filter lines, want 1:\n%s", n, logs)
	}
	for _, w := range []string{"hidden_services=zpa", "entitled=zia", "unknown_products=ZNEWTHING", "not in its token's service-info claim"} {
		if !strings.Contains(logs, w) {
			t.Errorf("log does not contain %q:\n%s", w, logs)
		}
	}

	for _, off := range []struct {
		env  map[string]string
		args []string
	}{
		{args: []string{"--no-entitlement-filter"}},
		{env: map[string]string{"ZSCALER_MCP_DISABLE_ENTITLEMENT_FILTER": "true"}},
	} {
		srv := startCat(t, si.env(off.env), testCatalogue(), off.args...)
		c, err := connect(t, srv.URL, "streamable-http", bearer())
		if err != nil {
			t.Fatal(err)
		}
		if got := listNames(t, c); !slices.Contains(got, "zpa_list_segment_groups") {
			t.Errorf("%v %v: tools/list = %v, want the zpa tools back", off.env, off.args, got)
		}
		if strings.Contains(srv.Stderr.String(), "entitlement filter:") {
			t.Errorf("entitlement filter ran while turned off:\n%s", srv.Stderr)
		}
	}
}

func TestListSummaryIsFirstSentence(t *testing.T) {
	for in, want := range map[string]string{
		"List things. More detail.":                                  "List things.",
		"Create a label (a tag, e.g. Finance). It groups rules.":     "Create a label (a tag, e.g. Finance).",
		"Returns a group: source (i.e. SCIM) etc. and more. Details": "Returns a group: source (i.e. SCIM) etc. and more.",
		"One line\n  over   two.":                                    "One line over two.",
		"No period":                                                  "No period",
	} {
		if got := summary(in); got != want {
			t.Errorf("summary(%q) = %q, want %q", in, got, want)
		}
	}
}

package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
)

const (
	toolTablesStart = "<!-- tool tables -->"
	toolTablesEnd   = "<!-- /tool tables -->"
)

// toolTables renders the README's tool catalogue from tools.All(): one
// table per service, in catalogue order.
func toolTables() string {
	var b strings.Builder
	names := map[string]string{"zia": "ZIA (Internet Access)", "zpa": "ZPA (Private Access)",
		"zdx": "ZDX (Digital Experience)", "zcc": "ZCC (Client Connector)", "zidentity": "ZIdentity"}
	counts := map[string]int{}
	all := tools.All()
	for _, s := range all {
		counts[s.Kind.String()]++
	}
	fmt.Fprintf(&b, "%s\n\n%d tools: %d read, %d write, %d delete (write and delete tools need both write flags and the `zscaler.write` scope; deletes also a confirmation). `--list-tools` prints the same list.\n",
		toolTablesStart, len(all), counts["read"], counts["write"], counts["delete"])
	for _, svc := range []string{"zia", "zpa", "zdx", "zcc", "zidentity"} {
		fmt.Fprintf(&b, "\n#### %s\n\n| tool | kind | what it does |\n|---|---|---|\n", names[svc])
		for _, s := range all {
			if s.Service != svc {
				continue
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, s.Kind, strings.ReplaceAll(firstSentence(s.Description), "|", `\|`))
		}
	}
	b.WriteString("\n" + toolTablesEnd)
	return b.String()
}

// TestREADMEToolTables keeps the README's tool tables equal to the
// catalogue. ZSCALER_MCP_UPDATE_README=1 rewrites them.
func TestREADMEToolTables(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, toolTablesStart)
	if i < 0 {
		t.Fatalf("README has no %s marker", toolTablesStart)
	}
	j := strings.Index(readme, toolTablesEnd)
	end := i + len(toolTablesStart)
	if j >= 0 {
		end = j + len(toolTablesEnd)
	}
	if n := fmt.Sprintf("exposes %d Zscaler tools", len(tools.All())); !strings.Contains(readme, n) {
		t.Errorf("README intro does not say %q", n)
	}
	want := toolTables()
	if readme[i:end] == want {
		return
	}
	if os.Getenv("ZSCALER_MCP_UPDATE_README") == "1" {
		if err := os.WriteFile(path, []byte(readme[:i]+want+readme[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README tool tables differ from the catalogue; run ZSCALER_MCP_UPDATE_README=1 go test -run TestREADMEToolTables ./cmd/zscaler-mcp/")
}

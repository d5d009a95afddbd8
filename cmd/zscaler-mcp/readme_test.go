package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEListsEverySetting keeps the README's configuration table in
// step with the settings the binary reads: every flag and env name (and
// alias) must appear there.
func TestREADMEListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range settings {
		if s.flag != "" && !strings.Contains(readme, "`--"+s.flag+"`") {
			t.Errorf("README does not document --%s", s.flag)
		}
		for _, e := range s.env {
			if !strings.Contains(readme, "`"+e+"`") {
				t.Errorf("README does not document %s", e)
			}
		}
		if s.yaml != "" && !strings.Contains(readme, "`"+s.yaml+"`") {
			t.Errorf("README does not document config key %s", s.yaml)
		}
	}
	for alias := range modeAliases {
		if !strings.Contains(readme, "`"+alias+"`") {
			t.Errorf("README does not list the auth mode alias %q", alias)
		}
	}
}

package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestBinaryDependencies: the binary links fosite without the tracing and
// RPC stack its dependencies would drag in (oauthserver/fositedeps), which
// costs ~6 MB of resident memory per process. The test binary links
// everything the command does (plus test-only packages), so a module that
// comes back into the command shows up here.
func TestBinaryDependencies(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build info")
	}
	replaced := map[string]string{}
	for _, m := range bi.Deps {
		for _, banned := range []string{
			"google.golang.org/grpc",
			"go.opentelemetry.io/otel/sdk",
			"go.opentelemetry.io/otel/exporters/",
			"github.com/sirupsen/logrus",
			"github.com/gobuffalo/pop",
		} {
			if m.Path == banned || strings.HasPrefix(m.Path, banned) {
				t.Errorf("module %s %s is linked into the binary", m.Path, m.Version)
			}
		}
		if m.Replace != nil {
			replaced[m.Path] = m.Replace.Path
		}
	}
	for _, mod := range []string{"github.com/ory/x", "github.com/asaskevich/govalidator"} {
		if !strings.HasPrefix(replaced[mod], "./oauthserver/fositedeps/") {
			t.Errorf("%s is not replaced by its oauthserver/fositedeps copy (replace %q)", mod, replaced[mod])
		}
	}
}

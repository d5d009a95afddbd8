package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/conformance"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

func TestConformanceSubjectPrefixRevoker(t *testing.T) {
	conformance.RunSubjectPrefixRevoker(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), sqlite.DefaultFileName), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// TestAuditRetention: GC prunes audit events older than
// Options.AuditRetention, keeps everything with a negative retention, and
// AppendAudit bounds oversized fields.
func TestAuditRetention(t *testing.T) {
	now := time.Now().UTC()
	for _, tc := range []struct {
		name      string
		retention time.Duration
		wantLeft  int
	}{
		{"one hour", time.Hour, 2},
		{"default 720h", 0, 3},
		{"forever", -1, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTemp(t, Options{AuditRetention: tc.retention})
			ctx := context.Background()
			for _, age := range []time.Duration{1000 * time.Hour, 2 * time.Hour, 30 * time.Minute, 0} {
				if _, err := s.AppendAudit(ctx, &store.AuditEvent{Type: store.AuditLogin, At: now.Add(-age)}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.GC(ctx, now); err != nil {
				t.Fatal(err)
			}
			evs, err := s.ListAudit(ctx, store.AuditFilter{})
			if err != nil || len(evs) != tc.wantLeft {
				t.Fatalf("after GC: %d events (%v), want %d", len(evs), err, tc.wantLeft)
			}
		})
	}
	s, _ := openTemp(t, Options{})
	long := strings.Repeat("x", 10*maxAuditField)
	if _, err := s.AppendAudit(context.Background(), &store.AuditEvent{Type: store.AuditLogin, Reason: long}); err != nil {
		t.Fatal(err)
	}
	evs, _ := s.ListAudit(context.Background(), store.AuditFilter{})
	if len(evs) != 1 || len(evs[0].Reason) != maxAuditField {
		t.Errorf("oversized reason stored with %d bytes, want %d", len(evs[0].Reason), maxAuditField)
	}
}

package conformance

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// testAudit checks the audit log: append assigns increasing sequence
// numbers and stamps a zero time, every field round-trips, the filter
// pages and tails, a typeless event is refused, and pruning (directly and
// by GC after store.DefaultAuditRetention) removes only old events.
func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.AppendAudit(ctx, &store.AuditEvent{Outcome: store.OutcomeSuccess}); err == nil {
		t.Error("AppendAudit without a type succeeded")
	}
	if evs, err := s.ListAudit(ctx, store.AuditFilter{}); err != nil || len(evs) != 0 {
		t.Fatalf("empty log: ListAudit = %v, %v", evs, err)
	}

	now := time.Now().UTC().Truncate(time.Millisecond)
	old := now.Add(-store.DefaultAuditRetention - time.Hour)
	full := store.AuditEvent{
		At: old, Type: store.AuditLogin, Outcome: store.OutcomeDenied, ClientID: "c1",
		Subject: "corp:alice", IdP: "corp", GrantID: "g1", IP: "192.0.2.1", Reason: `allowed_email_domains: "example.org" is not allowed`,
	}
	seq1, err := s.AppendAudit(ctx, &full)
	mustOK(t, "append full", err)
	var seqs []int64
	for i, typ := range []string{store.AuditTokenIssued, store.AuditTokenRefreshed, store.AuditRefreshReuse, store.AuditTokenRevoked} {
		before := time.Now().Add(-time.Second)
		seq, err := s.AppendAudit(ctx, &store.AuditEvent{Type: typ, Outcome: store.OutcomeSuccess, GrantID: "g1"})
		mustOK(t, "append "+typ, err)
		if len(seqs) > 0 && seq <= seqs[len(seqs)-1] || seq <= seq1 {
			t.Fatalf("event %d: seq %d is not increasing (previous %v, first %d)", i, seq, seqs, seq1)
		}
		seqs = append(seqs, seq)
		evs, err := s.ListAudit(ctx, store.AuditFilter{AfterSeq: seq - 1, Limit: 1})
		mustOK(t, "list one", err)
		if len(evs) != 1 || evs[0].At.Before(before) || evs[0].At.After(time.Now().Add(time.Second)) {
			t.Fatalf("event %s: At not stamped with the current time: %+v", typ, evs)
		}
	}

	all, err := s.ListAudit(ctx, store.AuditFilter{})
	mustOK(t, "list all", err)
	if len(all) != 5 {
		t.Fatalf("ListAudit returned %d events, want 5", len(all))
	}
	got := all[0]
	want := full
	want.Seq = seq1
	if !got.At.Equal(want.At) {
		t.Errorf("At = %v, want %v", got.At, want.At)
	}
	got.At, want.At = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	types := func(evs []store.AuditEvent) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Type)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"oldest two", store.AuditFilter{Limit: 2}, []string{store.AuditLogin, store.AuditTokenIssued}},
		{"newest two, oldest first", store.AuditFilter{Limit: 2, Newest: true}, []string{store.AuditRefreshReuse, store.AuditTokenRevoked}},
		{"after the third", store.AuditFilter{AfterSeq: seqs[1]}, []string{store.AuditRefreshReuse, store.AuditTokenRevoked}},
		{"after the last", store.AuditFilter{AfterSeq: seqs[3]}, nil},
		{"newest without limit", store.AuditFilter{Newest: true}, types(all)},
	} {
		evs, err := s.ListAudit(ctx, tc.f)
		mustOK(t, tc.name, err)
		if g := types(evs); !slices.Equal(g, tc.want) {
			t.Errorf("%s: types = %v, want %v", tc.name, g, tc.want)
		}
	}

	// GC with the default retention removes the event older than it.
	_, err = s.GC(ctx, now)
	mustOK(t, "GC", err)
	evs, err := s.ListAudit(ctx, store.AuditFilter{})
	mustOK(t, "list after GC", err)
	if len(evs) != 4 || evs[0].Seq != seqs[0] {
		t.Errorf("after GC: %v, want the 4 recent events", types(evs))
	}
	n, err := s.PruneAudit(ctx, time.Now().Add(time.Minute))
	mustOK(t, "PruneAudit", err)
	if n != 4 {
		t.Errorf("PruneAudit removed %d, want 4", n)
	}
	// Sequence numbers are never reused after pruning.
	seq, err := s.AppendAudit(ctx, &store.AuditEvent{Type: store.AuditKeysRotated})
	mustOK(t, "append after prune", err)
	if seq <= seqs[3] {
		t.Errorf("seq %d reused after pruning (last was %d)", seq, seqs[3])
	}
}

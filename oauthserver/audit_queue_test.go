package oauthserver

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// TestAuditLogIdleFootprint: an AuditLog with nothing queued holds no
// queue buffer. It lives as long as the server, so a buffer sized for the
// worst backlog (4096 events, ~670 KB) would be resident memory of every
// idle oidcproxy process; after a burst the buffer is released again.
func TestAuditLogIdleFootprint(t *testing.T) {
	st := openTestStore(t)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	l := NewAuditLog(st, nil)
	runtime.ReadMemStats(&after)
	t.Cleanup(func() { _ = l.Close() })
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<10 {
		t.Errorf("NewAuditLog allocated %d bytes, want < 32 KiB", grew)
	}

	ctx := context.Background()
	for range 1000 {
		l.Audit(ctx, store.AuditEvent{Type: store.AuditTokenIssued, Outcome: store.OutcomeSuccess, ClientID: "burst"})
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The writer releases the buffers once it finds the queue empty,
	// right after the flush marker's batch.
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		held := cap(l.q)
		l.mu.Unlock()
		if held <= auditKeep {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the burst the queue still holds a buffer of %d items", held)
		}
		time.Sleep(time.Millisecond)
	}
	evs, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(evs) != 1000 {
		t.Fatalf("stored %d events (%v), want 1000", len(evs), err)
	}
}

// TestAuditLogFullQueueWaits: when auditQueue events wait for a stalled
// store, Audit waits for room instead of dropping the event, and every
// event is stored once the store recovers.
func TestAuditLogFullQueueWaits(t *testing.T) {
	st := openTestStore(t)
	g := &gatedAuditStore{Store: st, gate: make(chan struct{})}
	l := NewAuditLog(g, nil)
	ctx := context.Background()
	ev := store.AuditEvent{Type: store.AuditTokenIssued, Outcome: store.OutcomeSuccess, ClientID: "queued"}

	gated := ev
	gated.ClientID = "gate"
	l.Audit(ctx, gated)
	// Wait until the writer holds the gated event, so the queue is empty.
	for deadline := time.Now().Add(5 * time.Second); ; {
		l.mu.Lock()
		n := len(l.q)
		l.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never took the first event")
		}
		time.Sleep(time.Millisecond)
	}
	for range auditQueue {
		l.Audit(ctx, ev) // fills the queue without waiting
	}
	returned := make(chan struct{})
	go func() {
		last := ev
		last.ClientID = "last"
		l.Audit(ctx, last)
		close(returned)
	}()
	select {
	case <-returned:
		t.Fatal("Audit returned while the queue was full")
	case <-time.After(50 * time.Millisecond):
	}
	close(g.gate)
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("Audit still waiting after the store recovered")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	evs, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != auditQueue+2 {
		t.Fatalf("stored %d events, want %d", len(evs), auditQueue+2)
	}
	if evs[0].ClientID != "gate" || evs[len(evs)-1].ClientID != "last" {
		t.Errorf("first %q, last %q; want gate, last", evs[0].ClientID, evs[len(evs)-1].ClientID)
	}
}

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// TestGroupSync: with Synchronous FULL every write method returns after an
// fsync of the WAL that began after its commit (serial writes: one fsync
// each), and concurrent writers share fsyncs instead of queueing behind
// one fsync each.
func TestGroupSync(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx := context.Background()
	client := func(id string) *store.Client {
		return &store.Client{ID: id, RedirectURIs: []string{"https://x.example/cb"}, GrantTypes: []string{"authorization_code"},
			Scopes: []string{"zscaler.read"}, TokenEndpointAuthMethod: store.AuthMethodNone, Origin: store.OriginDCR}
	}

	before := s.gs.syncs.Load()
	const serial = 20
	for i := range serial {
		if err := s.CreateClient(ctx, client(fmt.Sprintf("serial-%d", i))); err != nil { // autocommit
			t.Fatal(err)
		}
		if err := s.TouchClient(ctx, fmt.Sprintf("serial-%d", i), s.now()); err != nil { // autocommit
			t.Fatal(err)
		}
		txCtx, err := s.BeginTX(ctx) // explicit transaction
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeGrant(txCtx, fmt.Sprintf("nothing-%d", i)); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		if err := s.Commit(txCtx); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.gs.syncs.Load() - before; got != 3*serial {
		t.Errorf("%d serial writes caused %d WAL fsyncs, want one each", 3*serial, got)
	}

	before = s.gs.syncs.Load()
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := s.CreateClient(ctx, client(fmt.Sprintf("par-%d-%d", w, i))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := s.gs.syncs.Load() - before
	if got == 0 || got >= workers*each {
		t.Errorf("%d concurrent writes caused %d WAL fsyncs, want fewer (shared)", workers*each, got)
	}
	t.Logf("%d concurrent commits, %d fsyncs", workers*each, got)
	clients, err := s.ListClients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(clients) != serial+workers*each {
		t.Errorf("%d clients, want %d", len(clients), serial+workers*each)
	}
}

// TestGroupSyncWaitIsBounded: under a steady stream of commits nobody
// waits for more than two fsync rounds (the one running when it arrived
// and its own), leaders included.
func TestGroupSyncWaitIsBounded(t *testing.T) {
	g := newGroupSync(filepath.Join(t.TempDir(), "x.db"))
	var calls atomic.Int64
	g.sync = func() error {
		calls.Add(1)
		time.Sleep(2 * time.Millisecond)
		return nil
	}
	ctx := context.Background()
	stop := time.Now().Add(300 * time.Millisecond)
	var worst atomic.Uint64
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				// Callers commit at different times, so commits keep
				// arriving while a round runs.
				time.Sleep(time.Duration((i*7+w*3)%11) * 500 * time.Microsecond)
				before := g.syncs.Load()
				if err := g.wait(ctx); err != nil {
					t.Error(err)
					return
				}
				rounds := g.syncs.Load() - before
				for {
					w := worst.Load()
					if rounds <= w || worst.CompareAndSwap(w, rounds) {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("worst %d rounds, %d fsyncs", worst.Load(), calls.Load())
	if w := worst.Load(); w > 2 {
		t.Errorf("a caller waited for %d fsync rounds, want at most 2", w)
	}
	if calls.Load() < 10 {
		t.Errorf("only %d fsyncs in 300 ms", calls.Load())
	}
}

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// groupSync makes commits durable with one fsync of the WAL file shared by
// every commit that finished before the fsync began (group commit).
//
// With synchronous=FULL SQLite fsyncs the WAL inside every COMMIT, while
// it holds the only writer connection: commits then queue behind each
// other's fsync, and the disk's fsync latency caps the store at one
// transaction per fsync. Instead the writer connection runs with
// synchronous=NORMAL — in WAL mode a commit then write()s its frames and
// the commit record to the WAL without an fsync, and SQLite fsyncs only
// around checkpoints — and every write method returns only after
// groupSync.wait has fsynced the WAL file (fsync is per file, whatever the
// descriptor). What a caller has seen committed is therefore on disk, as
// with FULL, while the next transaction already runs on the writer
// connection during the fsync.
type groupSync struct {
	path string       // the WAL file
	sync func() error // fsync (tests replace it)

	fmu sync.Mutex // guards f
	f   *os.File

	mu      sync.Mutex
	running bool       // a round is fsyncing
	next    *syncRound // the round that starts after the running one
	syncs   atomic.Uint64
}

// syncRound is one fsync. Its leader is the caller that created it; a
// round created while another runs is started (start closed) by the
// leader of the running one when it finishes.
type syncRound struct {
	start chan struct{} // nil: started at once
	done  chan struct{}
	err   error
}

func newGroupSync(dbPath string) *groupSync {
	g := &groupSync{path: dbPath + "-wal"}
	g.sync = g.fsync
	return g
}

// wait returns once an fsync of the WAL that started after the call has
// finished. A caller that finds no fsync running leads a round at once;
// one that finds a round running joins the next round, whose first member
// leads it as soon as the running round ends. A leader runs exactly one
// round, so no caller waits for more than two fsyncs.
func (g *groupSync) wait(ctx context.Context) error {
	g.mu.Lock()
	if !g.running {
		g.running = true
		r := &syncRound{done: make(chan struct{})}
		g.mu.Unlock()
		g.lead(r)
		return r.err
	}
	// A round is running, but it may have started before our commit.
	if g.next == nil {
		r := &syncRound{start: make(chan struct{}), done: make(chan struct{})}
		g.next = r
		g.mu.Unlock()
		<-r.start // the others' durability depends on this round: lead it whatever ctx says
		g.lead(r)
		return r.err
	}
	r := g.next
	g.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		// The commit happened; only its durability is unconfirmed. The
		// round still runs.
		return fmt.Errorf("sqlite: wait for the WAL fsync: %w", ctx.Err())
	}
}

// lead runs r, then starts the round requested meanwhile, if any (its own
// leader runs it).
func (g *groupSync) lead(r *syncRound) {
	r.err = g.sync()
	g.syncs.Add(1)
	close(r.done)
	g.mu.Lock()
	n := g.next
	g.next = nil
	if n == nil {
		g.running = false
	}
	g.mu.Unlock()
	if n != nil {
		close(n.start) // running stays true: n's leader runs it now
	}
}

// fsync syncs the WAL file, (re)opening it when it is not the file at the
// path any more (SQLite deletes the WAL when the last connection closes and
// creates a new one on the next open). Only the leader calls it.
func (g *groupSync) fsync() error {
	g.fmu.Lock()
	defer g.fmu.Unlock()
	if g.f != nil {
		fi, err1 := g.f.Stat()
		cur, err2 := os.Stat(g.path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, cur) {
			g.f.Close()
			g.f = nil
		}
	}
	if g.f == nil {
		f, err := os.OpenFile(g.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("sqlite: open the WAL for fsync: %w", err)
		}
		// The WAL's directory entry must be durable too.
		if err := syncDir(filepath.Dir(g.path)); err != nil {
			f.Close()
			return err
		}
		g.f = f
	}
	if err := g.f.Sync(); err != nil {
		return fmt.Errorf("sqlite: fsync the WAL: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sqlite: open the data dir for fsync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sqlite: fsync the data dir: %w", err)
	}
	return nil
}

// close releases the WAL descriptor.
func (g *groupSync) close() error {
	g.fmu.Lock()
	defer g.fmu.Unlock()
	if g.f == nil {
		return nil
	}
	err := g.f.Close()
	g.f = nil
	return err
}

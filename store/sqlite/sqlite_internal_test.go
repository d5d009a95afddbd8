package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/zscalermcp/zscaler-mcp/migrations"
	"github.com/zscalermcp/zscaler-mcp/store"
)

func openTemp(t *testing.T, opts Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), DefaultFileName)
	s, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestPragmas(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		wantSync int // of the readers: 1 NORMAL, 2 FULL
		// The writer runs NORMAL either way; FULL adds the group fsync.
		groupSync bool
	}{
		{"default is FULL", Options{}, 2, true},
		{"NORMAL", Options{Synchronous: "normal"}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTemp(t, tt.opts)
			ctx := context.Background()
			for _, db := range []struct {
				name string
				q    querier
			}{{"writer", s.w}, {"reader", s.r}} {
				var (
					mode          string
					fk, sync, bto int
				)
				if err := db.q.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
					t.Fatal(err)
				}
				if err := db.q.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
					t.Fatal(err)
				}
				if err := db.q.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
					t.Fatal(err)
				}
				if err := db.q.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&bto); err != nil {
					t.Fatal(err)
				}
				want := tt.wantSync
				if db.name == "writer" {
					want = 1
				}
				if mode != "wal" || fk != 1 || sync != want || bto != 10000 {
					t.Errorf("%s: journal_mode=%s foreign_keys=%d synchronous=%d busy_timeout=%d; want wal, 1, %d, 10000",
						db.name, mode, fk, sync, want, bto)
				}
			}
			if (s.gs != nil) != tt.groupSync {
				t.Errorf("group fsync = %v, want %v", s.gs != nil, tt.groupSync)
			}
			// The reader pool refuses writes.
			if _, err := s.r.ExecContext(ctx, "DELETE FROM clients"); err == nil {
				t.Error("the reader pool accepted a write")
			}
			if got := s.w.Stats().MaxOpenConnections; got != 1 {
				t.Errorf("writer pool MaxOpenConnections = %d, want 1", got)
			}
		})
	}
}

func TestOptionsValidation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts Options
	}{
		{"bad synchronous", filepath.Join(dir, "a.db"), Options{Synchronous: "OFF"}},
		{"empty path", "", Options{}},
		{"query in path", filepath.Join(dir, "a.db?mode=ro"), Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := Open(ctx, tt.path, tt.opts); err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestFilePermissions(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state", "zscaler-mcp")
	s, err := OpenDir(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateClient(ctx, &store.Client{ID: "c", TokenEndpointAuthMethod: "none", Origin: store.OriginDCR}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DefaultFileName)
	check := func(p string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s mode %v, want at most %v", filepath.Base(p), got, want)
		}
	}
	check(dir, 0o700)
	check(path, 0o600)
	check(path+"-wal", 0o600)
	check(path+"-shm", 0o600)
	s.Close()

	// An existing database readable by others is tightened.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(path, 0o600)
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	latest := migrations.Latest(must(migrations.Load(migrations.SQLite())))
	s, path := openTemp(t, Options{})

	v, err := s.SchemaVersion(ctx)
	if err != nil || v != latest {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, latest)
	}
	s.Close()

	t.Run("reopening is a no-op", func(t *testing.T) {
		for range 2 {
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if n != latest {
				t.Fatalf("schema_migrations has %d rows, want %d", n, latest)
			}
		}
	})

	t.Run("a newer schema is refused", func(t *testing.T) {
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.w.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 0)", latest+7); err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err = Open(ctx, path, Options{})
		var tooNew *store.SchemaTooNewError
		if !errors.Is(err, store.ErrSchemaTooNew) || !errors.As(err, &tooNew) || tooNew.DatabaseVersion != latest+7 || tooNew.SupportedVersion != latest {
			t.Fatalf("Open(newer schema): err = %v, want SchemaTooNewError{%d, %d}", err, latest+7, latest)
		}
		want := "database schema version " + itoa(latest+7) + " is newer than this binary supports (" + itoa(latest) + "); upgrade zscaler-mcp"
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	})
}

func TestMigrateIsAtomic(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		fs          fstest.MapFS
		wantErr     bool
		wantVersion int
		wantTables  []string
	}{
		{
			name: "all applied",
			fs: fstest.MapFS{
				"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
				"0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); CREATE TABLE c (y TEXT);")},
			},
			wantVersion: 2, wantTables: []string{"a", "b", "c"},
		},
		{
			name: "a failing migration rolls back the others",
			fs: fstest.MapFS{
				"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
				"0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); THIS IS NOT SQL;")},
			},
			wantErr: true, wantVersion: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.db")
			s, err := open(ctx, path, Options{}, tt.fs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("open: err = %v, wantErr %v", err, tt.wantErr)
			}
			if s != nil {
				s.Close()
			}
			// Inspect with the real migrations' runner out of the way.
			db := rawDB(t, path)
			var v int
			_ = db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
			if v != tt.wantVersion {
				t.Errorf("recorded version = %d, want %d", v, tt.wantVersion)
			}
			rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_migrations') ORDER BY name")
			if err != nil {
				t.Fatal(err)
			}
			var tables []string
			for rows.Next() {
				var n string
				_ = rows.Scan(&n)
				tables = append(tables, n)
			}
			rows.Close()
			if strings.Join(tables, ",") != strings.Join(tt.wantTables, ",") {
				t.Errorf("tables = %v, want %v", tables, tt.wantTables)
			}
		})
	}
}

func TestRevocationRetention(t *testing.T) {
	ctx := context.Background()
	clock := time.Now().Add(-30 * 24 * time.Hour)
	s, _ := openTemp(t, Options{RevocationRetention: 24 * time.Hour, Now: func() time.Time { return clock }})
	old, err := s.AppendRevocation(ctx, store.RevocationGrant, "old")
	if err != nil {
		t.Fatal(err)
	}
	clock = time.Now()
	recent, err := s.AppendRevocation(ctx, store.RevocationGrant, "recent")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GC(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	revs, last, err := s.RevocationsSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 1 || revs[0].Seq != recent || last != recent {
		t.Fatalf("after GC: %+v (last %d), want only seq %d", revs, last, recent)
	}
	// Sequence numbers are never reused after collection.
	s.AppendRevocation(ctx, store.RevocationGrant, "x")
	revs, _, _ = s.RevocationsSince(ctx, recent)
	if len(revs) != 1 || revs[0].Seq <= recent || revs[0].Seq <= old {
		t.Errorf("new entry %+v reuses a sequence number", revs)
	}
}

func TestRunGC(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.SetClientAssertionJWT(ctx, "expired", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		s.RunGC(ctx, 10*time.Millisecond)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := s.r.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM jwt_assertions").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("RunGC did not collect the expired row")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunGC did not stop when its context ended")
	}
}

// TestTwoStoresOnOneFile: two stores on the same file (like the server and
// an admin command in another process) write concurrently; busy_timeout and
// BEGIN IMMEDIATE serialize them without SQLITE_BUSY errors or lost rows.
func TestTwoStoresOnOneFile(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t, Options{})
	b, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const n = 100
	errs := make(chan error, 2*n)
	for i := range n {
		for name, s := range map[string]*Store{"a": a, "b": b} {
			go func() {
				errs <- s.inTx(ctx, func(ctx context.Context, q querier) error {
					c := &store.Client{ID: name + "-" + itoa(i), TokenEndpointAuthMethod: "none", Origin: store.OriginDCR}
					return s.CreateClient(ctx, c)
				})
			}()
		}
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	list, err := a.ListClients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2*n {
		t.Errorf("%d clients, want %d", len(list), 2*n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }

// rawDB opens the file without the store (no migrations, no pool setup).
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

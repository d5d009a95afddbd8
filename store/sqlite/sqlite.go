// Package sqlite is the embedded store backend: one SQLite database file
// (modernc.org/sqlite, no cgo) under the data directory.
//
// Connection layout. SQLite allows one writer at a time. The store keeps two
// pools on the same file:
//
//   - a writer pool of exactly one connection. Every write and every
//     transaction (BeginTX, and the store's own multi-statement writes) runs
//     on it, with BEGIN IMMEDIATE (the _txlock=immediate DSN parameter), so a
//     transaction takes the write lock up front and can never deadlock on a
//     lock upgrade. (Single-statement writes autocommit; SQLite takes the
//     write lock when such a statement starts.) In-process writers queue inside database/sql (FIFO, no
//     polling) instead of spinning in SQLite's busy handler, which avoids
//     SQLITE_BUSY storms; busy_timeout still covers other processes on the
//     same file (admin commands).
//   - a reader pool (query_only) sized to the CPUs. In WAL mode readers never
//     block the writer or each other and see the last committed state.
//
// A method whose context carries a transaction runs on it, reads included,
// so a transaction sees its own writes. Because the writer pool has a single
// connection, code holding a transaction must pass its context to every
// store call it makes; a write with another context would wait for the
// transaction to end.
//
// Statements are prepared once per connection and reused (parsing costs
// more than running most of them).
//
// Durability: journal_mode=WAL with synchronous=FULL by default: every
// write is fsynced before the method returns, so clients, refresh tokens
// and signing keys survive a kill -9 and a power cut. The fsync is a group
// commit (groupSync): the writer connection commits without one and a
// single fsync of the WAL then covers every commit that finished before
// it began, so concurrent requests share fsyncs instead of queueing one
// fsync each behind the single writer. synchronous=NORMAL (Options.Synchronous) still
// survives kill -9 (the WAL is written before commit returns) but may lose
// the last commits on power loss; it is faster on slow disks.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/zscalermcp/zscaler-mcp/migrations"
	"github.com/zscalermcp/zscaler-mcp/store"

	sqlitedrv "modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultFileName is the database file name inside the data directory.
const DefaultFileName = "zscaler-mcp.db"

// Options tune the store. The zero value is a good default.
type Options struct {
	// BusyTimeout is how long a statement waits for another process's lock
	// before failing with SQLITE_BUSY. Default 10s.
	BusyTimeout time.Duration
	// Synchronous is "FULL" (default: every write fsynced before it
	// returns, by a group commit) or "NORMAL"
	// (survives process crashes, may lose the last commits on power loss).
	Synchronous string
	// MaxReadConns sizes the reader pool. Default max(4, 2×GOMAXPROCS).
	MaxReadConns int
	// RevocationRetention is how long revocation-log entries are kept before
	// GC removes them; it must exceed the longest access-token lifetime.
	// Default 7 days; negative keeps them forever.
	RevocationRetention time.Duration
	// AuditRetention is how long audit events are kept before GC removes
	// them. Default store.DefaultAuditRetention; negative keeps them
	// forever.
	AuditRetention time.Duration
	// Now is the clock used for created/granted/revoked timestamps and JTI
	// expiry checks. Default time.Now.
	Now func() time.Time
	// Logger receives the GC loop's warnings. Default: discard.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10 * time.Second
	}
	switch strings.ToUpper(o.Synchronous) {
	case "":
		o.Synchronous = "FULL"
	case "FULL", "NORMAL":
		o.Synchronous = strings.ToUpper(o.Synchronous)
	default:
		return o, fmt.Errorf("sqlite: Synchronous must be FULL or NORMAL, not %q", o.Synchronous)
	}
	if o.MaxReadConns <= 0 {
		o.MaxReadConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if o.RevocationRetention == 0 {
		o.RevocationRetention = 7 * 24 * time.Hour
	}
	if o.AuditRetention == 0 {
		o.AuditRetention = store.DefaultAuditRetention
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Store is the SQLite implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	path string
	w    *sql.DB // single writer connection; all writes and transactions
	r    *sql.DB // read-only pool
	opts Options
	// Prepared statements by query text, per pool. Parsing a statement
	// costs more than running most of ours, so each is prepared once per
	// connection and reused (inside a transaction through Tx.StmtContext,
	// which reuses the writer connection's prepared statement).
	wStmts, rStmts stmtCache
	wq, rq         *cachedQuerier
	// gs makes every write durable before it returns when Synchronous is
	// FULL (group commit; see groupSync); nil with NORMAL.
	gs *groupSync
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path, applies the
// embedded migrations and returns the store. The parent directory is
// created 0700 if missing; the file is created 0600, and an existing file
// readable by group or others is tightened to 0600 (it holds signing keys).
// A database written by a newer binary is refused with an error matching
// store.ErrSchemaTooNew.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	return open(ctx, path, opts, migrations.SQLite())
}

// OpenDir opens DefaultFileName inside dataDir.
func OpenDir(ctx context.Context, dataDir string, opts Options) (*Store, error) {
	return Open(ctx, filepath.Join(dataDir, DefaultFileName), opts)
}

func open(ctx context.Context, path string, opts Options, migrationsFS fs.FS) (_ *Store, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}

	// pragmas are the connection settings of a pool with the given
	// synchronous mode.
	pragmas := func(synchronous string) url.Values {
		v := url.Values{}
		v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
		v.Add("_pragma", "foreign_keys(1)")
		v.Add("_pragma", "synchronous("+synchronous+")")
		return v
	}

	writerSync := opts.Synchronous
	var gs *groupSync
	if opts.Synchronous == "FULL" {
		// The writer commits without fsync; groupSync fsyncs the WAL
		// before any write method returns.
		writerSync = "NORMAL"
		gs = newGroupSync(path)
	}
	wq := pragmas(writerSync)
	wq.Add("_pragma", "journal_mode(WAL)")
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			w.Close()
			if gs != nil {
				gs.close() // the WAL descriptor of a first fsync
			}
		}
	}()
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	if err := checkJournalMode(ctx, w); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if err := migrate(ctx, w, migrationsFS, opts.Now); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if gs != nil {
		if err := gs.wait(ctx); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", path, err)
		}
	}

	rq := pragmas(opts.Synchronous)
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(opts.MaxReadConns)
	r.SetMaxIdleConns(opts.MaxReadConns)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	st := &Store{path: path, w: w, r: r, opts: opts, gs: gs}
	st.wq = &cachedQuerier{pool: w, cache: &st.wStmts, durable: st.durable}
	st.rq = &cachedQuerier{pool: r, cache: &st.rStmts}
	return st, nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// Close closes both connection pools. The last connection to close
// checkpoints the WAL into the database file.
func (s *Store) Close() error {
	err := errors.Join(s.rStmts.close(), s.wStmts.close(), s.r.Close(), s.w.Close())
	if s.gs != nil {
		err = errors.Join(err, s.gs.close())
	}
	return err
}

// RunGC runs GC every interval until ctx ends (see store.RunGC).
func (s *Store) RunGC(ctx context.Context, every time.Duration) {
	store.RunGC(ctx, s, every, s.opts.Logger)
}

func prepareFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("sqlite: create data dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: create database file: %w", err)
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return fmt.Errorf("sqlite: stat database file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("sqlite: restrict database file permissions: %w", err)
		}
	}
	return nil
}

func checkJournalMode(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	return nil
}

// ---- transactions ----------------------------------------------------------

type txKey struct{}

// txState is the transaction carried in a context by BeginTX.
type txState struct {
	owner *Store
	tx    *sql.Tx
	q     *cachedQuerier
	// rotated maps a request id to the signature of the refresh token
	// rotated in this transaction, so the refresh token created next for the
	// same request can be recorded on the old row (replaced_by).
	rotated map[string]string
}

func (s *Store) txFrom(ctx context.Context) *txState {
	t, _ := ctx.Value(txKey{}).(*txState)
	if t == nil || t.owner != s {
		return nil
	}
	return t
}

// querier is what the store's statements run on: a pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader returns the transaction in ctx, or the read pool.
func (s *Store) reader(ctx context.Context) querier {
	if t := s.txFrom(ctx); t != nil {
		return t.q
	}
	return s.rq
}

// writer returns the transaction in ctx, or the writer connection (for a
// single autocommit statement).
func (s *Store) writer(ctx context.Context) querier {
	if t := s.txFrom(ctx); t != nil {
		return t.q
	}
	return s.wq
}

// stmtCache holds prepared statements by query text.
//
// A statement is prepared on the pool (database/sql then keeps one driver
// statement per connection). Preparing on the writer pool needs its only
// connection, so a statement first needed inside a transaction — which holds
// that connection — runs unprepared and is queued; it is prepared once the
// transaction has ended (warm).
type stmtCache struct {
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
}

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// want queues query for preparation by the next warm.
func (c *stmtCache) want(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = make(map[string]bool)
	}
	c.pending[query] = true
}

// get returns the prepared statement for query, preparing it on db if
// needed. It must not be called while the caller holds db's only
// connection.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.stmts[query]; prev != nil {
		st.Close()
		return prev, nil
	}
	if c.stmts == nil {
		c.stmts = make(map[string]*sql.Stmt)
	}
	c.stmts[query] = st
	delete(c.pending, query)
	return st, nil
}

// warm prepares the queued statements on db. Failures are ignored: the
// statement simply stays unprepared.
func (c *stmtCache) warm(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
	}
	c.pending = nil
	c.mu.Unlock()
	for _, q := range queries {
		_, _ = c.get(context.WithoutCancel(ctx), db, q)
	}
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}

// cachedQuerier runs statements prepared once on pool, directly or (when tx
// is set; tx must belong to pool) within the transaction.
type cachedQuerier struct {
	pool  *sql.DB
	cache *stmtCache
	tx    *sql.Tx
	// durable, if set, runs after each successful autocommit Exec (the
	// writer pool: the statement is its own transaction).
	durable func(ctx context.Context) error
}

// stmt returns the statement to run query with, or nil when it must run
// unprepared (first use inside a transaction).
func (q *cachedQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if q.tx != nil {
		st := q.cache.lookup(query)
		if st == nil {
			q.cache.want(query)
			return nil, nil
		}
		return q.tx.StmtContext(ctx, st), nil
	}
	return q.cache.get(ctx, q.pool, query)
}

// direct returns what runs unprepared statements: the transaction or the
// pool.
func (q *cachedQuerier) direct() querier {
	if q.tx != nil {
		return q.tx
	}
	return q.pool
}

// ExecContext implements querier.
func (q *cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		res, err = q.direct().ExecContext(ctx, query, args...)
	} else {
		res, err = st.ExecContext(ctx, args...)
	}
	if err == nil && q.tx == nil && q.durable != nil {
		err = q.durable(ctx)
	}
	return res, err
}

// QueryContext implements querier.
func (q *cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		return q.direct().QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext implements querier.
func (q *cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		return q.direct().QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// BeginTX implements storage.Transactional: it begins an IMMEDIATE
// transaction on the writer connection and returns a context carrying it.
// Nested transactions are not supported.
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	if s.txFrom(ctx) != nil {
		return ctx, errors.New("sqlite: begin: a transaction is already in progress in this context")
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return ctx, fmt.Errorf("sqlite: begin: %w", err)
	}
	q := &cachedQuerier{pool: s.w, cache: &s.wStmts, tx: tx}
	return context.WithValue(ctx, txKey{}, &txState{owner: s, tx: tx, q: q}), nil
}

// Commit implements storage.Transactional.
func (s *Store) Commit(ctx context.Context) error {
	t := s.txFrom(ctx)
	if t == nil {
		return errors.New("sqlite: commit: no transaction in context")
	}
	err := t.tx.Commit()
	s.wStmts.warm(ctx, s.w)
	if err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return s.durable(ctx)
}

// durable returns once what was committed so far is on disk (Synchronous
// FULL; a no-op with NORMAL).
func (s *Store) durable(ctx context.Context) error {
	if s.gs == nil {
		return nil
	}
	return s.gs.wait(ctx)
}

// Rollback implements storage.Transactional. Rolling back a transaction that
// already ended (committed, rolled back, or aborted because its context was
// cancelled) returns nil.
func (s *Store) Rollback(ctx context.Context) error {
	t := s.txFrom(ctx)
	if t == nil {
		return errors.New("sqlite: rollback: no transaction in context")
	}
	err := t.tx.Rollback()
	s.wStmts.warm(ctx, s.w)
	if err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("sqlite: rollback: %w", err)
	}
	return nil
}

// inTx runs fn in the transaction carried by ctx, or in a new one that is
// committed when fn returns nil and rolled back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, q querier) error) error {
	if t := s.txFrom(ctx); t != nil {
		return fn(ctx, t.q)
	}
	txCtx, err := s.BeginTX(ctx)
	if err != nil {
		return err
	}
	t := s.txFrom(txCtx)
	if err := fn(txCtx, t.q); err != nil {
		_ = s.Rollback(txCtx)
		return err
	}
	return s.Commit(txCtx)
}

// ---- helpers -----------------------------------------------------------------

// ms converts a time to the stored form (Unix milliseconds); zero → NULL.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS converts a stored time back; NULL → zero time.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func (s *Store) now() time.Time { return s.opts.Now().UTC() }

// sqliteCode returns the extended result code of a driver error, or 0.
func sqliteCode(err error) int {
	var e *sqlitedrv.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isUniqueViolation reports a PRIMARY KEY or UNIQUE constraint failure.
func isUniqueViolation(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isForeignKeyViolation reports a FOREIGN KEY constraint failure.
func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

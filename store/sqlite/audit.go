package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// maxAuditField bounds every text field of an audit event, so a hostile
// value (a client name, an upstream error) cannot bloat the log.
const maxAuditField = 1024

// AppendAudit implements store.Audit.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEvent) (int64, error) {
	if e == nil || e.Type == "" {
		return 0, errors.New("sqlite: append audit event: the type is empty")
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	res, err := s.writer(ctx).ExecContext(ctx, `INSERT INTO audit_events
		(at, type, outcome, client_id, subject, idp, grant_id, ip, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		at.UnixMilli(), clip(e.Type), clip(e.Outcome), clip(e.ClientID), clip(e.Subject), clip(e.IdP),
		clip(e.GrantID), clip(e.IP), clip(e.Reason))
	if err != nil {
		return 0, fmt.Errorf("sqlite: append audit event: %w", err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: append audit event: %w", err)
	}
	return seq, nil
}

// clip cuts s to at most maxAuditField bytes, on a rune boundary.
func clip(s string) string {
	if len(s) <= maxAuditField {
		return s
	}
	n := maxAuditField
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ListAudit implements store.Audit.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	const cols = `seq, at, type, outcome, client_id, subject, idp, grant_id, ip, reason`
	limit := int64(-1) // SQLite: no limit
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	query := `SELECT ` + cols + ` FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`
	if f.Newest {
		query = `SELECT ` + cols + ` FROM (SELECT ` + cols + ` FROM audit_events WHERE seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq`
	}
	rows, err := s.reader(ctx).QueryContext(ctx, query, f.AfterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit events: %w", err)
	}
	return collect(rows, "list audit events", func(sc scanner) (e store.AuditEvent, err error) {
		var at int64
		if err := sc.Scan(&e.Seq, &at, &e.Type, &e.Outcome, &e.ClientID, &e.Subject, &e.IdP, &e.GrantID, &e.IP, &e.Reason); err != nil {
			return e, err
		}
		e.At = time.UnixMilli(at).UTC()
		return e, nil
	})
}

// PruneAudit implements store.Audit, in batches so the write lock is never
// held for long.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		res, err := s.writer(ctx).ExecContext(ctx, `DELETE FROM audit_events WHERE seq IN
			(SELECT seq FROM audit_events WHERE at < ? LIMIT ?)`, before.UnixMilli(), gcBatch)
		if err != nil {
			return total, fmt.Errorf("sqlite: prune audit events: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqlite: prune audit events: %w", err)
		}
		total += int(n)
		if n < gcBatch {
			return total, nil
		}
	}
}

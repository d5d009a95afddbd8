package sqlite

import (
	"context"
	"fmt"
	"time"
)

// gcBatch bounds how many rows one DELETE removes, so garbage collection
// never holds the write lock for long; GC repeats a step until it comes up
// short.
const gcBatch = 500

// GC implements store.GarbageCollector. The count excludes rows removed by
// foreign-key cascades (the codes and tokens of a deleted grant).
func (s *Store) GC(ctx context.Context, now time.Time) (int, error) {
	t := now.UnixMilli()
	steps := []struct {
		what  string
		query string
		args  []any
	}{
		{"authorization codes", `DELETE FROM authorize_codes WHERE signature IN
			(SELECT signature FROM authorize_codes WHERE expires_at < ? LIMIT ?)`, []any{t}},
		{"PKCE requests", `DELETE FROM pkce_requests WHERE signature IN
			(SELECT signature FROM pkce_requests WHERE expires_at < ? LIMIT ?)`, []any{t}},
		{"access tokens", `DELETE FROM access_tokens WHERE signature IN
			(SELECT signature FROM access_tokens WHERE expires_at < ? LIMIT ?)`, []any{t}},
		{"refresh tokens", `DELETE FROM refresh_tokens WHERE signature IN
			(SELECT signature FROM refresh_tokens WHERE expires_at < ? LIMIT ?)`, []any{t}},
		{"grants past their absolute expiry", `DELETE FROM grants WHERE request_id IN
			(SELECT request_id FROM grants WHERE absolute_expiry < ? LIMIT ?)`, []any{t}},
		{"grants without codes or tokens", `DELETE FROM grants WHERE request_id IN
			(SELECT g.request_id FROM grants g WHERE
				NOT EXISTS (SELECT 1 FROM authorize_codes x WHERE x.request_id = g.request_id)
				AND NOT EXISTS (SELECT 1 FROM pkce_requests x WHERE x.request_id = g.request_id)
				AND NOT EXISTS (SELECT 1 FROM access_tokens x WHERE x.request_id = g.request_id)
				AND NOT EXISTS (SELECT 1 FROM refresh_tokens x WHERE x.request_id = g.request_id)
			LIMIT ?)`, nil},
		{"client assertion JTIs", `DELETE FROM jwt_assertions WHERE jti IN
			(SELECT jti FROM jwt_assertions WHERE expires_at < ? LIMIT ?)`, []any{t}},
		{"retired signing keys", `DELETE FROM signing_keys WHERE kid IN
			(SELECT kid FROM signing_keys WHERE active = 0 AND not_after < ? LIMIT ?)`, []any{t}},
	}
	if s.opts.RevocationRetention > 0 {
		steps = append(steps, struct {
			what  string
			query string
			args  []any
		}{"revocation log entries", `DELETE FROM revocations WHERE seq IN
			(SELECT seq FROM revocations WHERE at < ? LIMIT ?)`, []any{now.Add(-s.opts.RevocationRetention).UnixMilli()}})
	}

	total := 0
	w := s.writer(ctx)
	for _, st := range steps {
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			res, err := w.ExecContext(ctx, st.query, append(st.args, gcBatch)...)
			if err != nil {
				return total, fmt.Errorf("sqlite: gc %s: %w", st.what, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return total, fmt.Errorf("sqlite: gc %s: %w", st.what, err)
			}
			total += int(n)
			if n < gcBatch {
				break
			}
		}
	}
	if s.opts.AuditRetention > 0 {
		n, err := s.PruneAudit(ctx, now.Add(-s.opts.AuditRetention))
		total += n
		if err != nil {
			return total, fmt.Errorf("sqlite: gc: %w", err)
		}
	}
	return total, nil
}

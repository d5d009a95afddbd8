package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/zscalermcp/zscaler-mcp/store"
)

var _ store.SubjectPrefixRevoker = (*Store)(nil)

// RevokeGrantsBySubjectPrefix implements store.SubjectPrefixRevoker.
//
// The prefix test is substr(subject, 1, length(prefix)) = prefix: both
// sides count characters the same way, and unlike LIKE it is
// case-sensitive and has no wildcard characters to escape.
func (s *Store) RevokeGrantsBySubjectPrefix(ctx context.Context, prefix string) ([]string, error) {
	if prefix == "" {
		return nil, errors.New("sqlite: revoke grants by subject prefix: empty prefix")
	}
	var ids []string
	err := s.inTx(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.QueryContext(ctx,
			`SELECT request_id FROM grants WHERE substr(subject, 1, length(?1)) = ?1 ORDER BY request_id`, prefix)
		if err != nil {
			return fmt.Errorf("sqlite: revoke grants by subject prefix: %w", err)
		}
		ids, err = collect(rows, "revoke grants by subject prefix", func(sc scanner) (string, error) {
			var id string
			err := sc.Scan(&id)
			return id, err
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := q.ExecContext(ctx, `DELETE FROM grants WHERE request_id = ?`, id); err != nil {
				return fmt.Errorf("sqlite: revoke grant %s: %w", id, err)
			}
			if err := s.logRevocationOnce(ctx, q, store.RevocationGrant, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

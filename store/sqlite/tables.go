package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// ---- grants ---------------------------------------------------------------------

// GetGrant implements store.Grants.
func (s *Store) GetGrant(ctx context.Context, requestID string) (*store.Grant, error) {
	g, err := scanGrant(s.reader(ctx).QueryRowContext(ctx,
		`SELECT request_id, subject, client_id, created_at, absolute_expiry FROM grants WHERE request_id = ?`, requestID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.NotFound("grant " + requestID)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get grant %s: %w", requestID, err)
	}
	return g, nil
}

// ListGrants implements store.Grants.
func (s *Store) ListGrants(ctx context.Context, f store.GrantFilter) ([]*store.Grant, error) {
	var (
		where []string
		args  []any
	)
	if f.Subject != "" {
		where = append(where, "subject = ?")
		args = append(args, f.Subject)
	}
	if f.ClientID != "" {
		where = append(where, "client_id = ?")
		args = append(args, f.ClientID)
	}
	query := `SELECT request_id, subject, client_id, created_at, absolute_expiry FROM grants`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.reader(ctx).QueryContext(ctx, query+" ORDER BY created_at, request_id", args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list grants: %w", err)
	}
	return collect(rows, "list grants", scanGrant)
}

// RevokeGrant implements store.Grants.
func (s *Store) RevokeGrant(ctx context.Context, requestID string) error {
	return s.inTx(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM grants WHERE request_id = ?`, requestID)
		if err != nil {
			return fmt.Errorf("sqlite: revoke grant %s: %w", requestID, err)
		}
		if err := requireOne(res, "grant "+requestID); err != nil {
			return err
		}
		return s.logRevocationOnce(ctx, q, store.RevocationGrant, requestID)
	})
}

func scanGrant(sc scanner) (*store.Grant, error) {
	var (
		g       store.Grant
		created int64
		expiry  sql.NullInt64
	)
	if err := sc.Scan(&g.ID, &g.Subject, &g.ClientID, &created, &expiry); err != nil {
		return nil, err
	}
	g.CreatedAt = time.UnixMilli(created).UTC()
	g.ExpiresAt = fromMS(expiry)
	return &g, nil
}

// ---- consents ---------------------------------------------------------------------

// GetConsent implements store.Consents.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (*store.Consent, error) {
	var (
		c       = store.Consent{Subject: subject, ClientID: clientID}
		scopes  string
		granted int64
	)
	err := s.reader(ctx).QueryRowContext(ctx, `SELECT scopes, granted_at FROM consents WHERE subject = ? AND client_id = ?`,
		subject, clientID).Scan(&scopes, &granted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.NotFound("consent of " + subject + " for client " + clientID)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get consent: %w", err)
	}
	if err := json.Unmarshal([]byte(scopes), &c.Scopes); err != nil {
		return nil, fmt.Errorf("sqlite: get consent: decode scopes: %w", err)
	}
	c.GrantedAt = time.UnixMilli(granted).UTC()
	return &c, nil
}

// PutConsent implements store.Consents.
func (s *Store) PutConsent(ctx context.Context, c *store.Consent) error {
	if c == nil || c.Subject == "" || c.ClientID == "" {
		return errors.New("sqlite: put consent: subject and client id are required")
	}
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	b, err := json.Marshal(scopes)
	if err != nil {
		return fmt.Errorf("sqlite: put consent: %w", err)
	}
	granted := c.GrantedAt
	if granted.IsZero() {
		granted = s.now()
	}
	_, err = s.writer(ctx).ExecContext(ctx, `INSERT INTO consents (subject, client_id, scopes, granted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (subject, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at`,
		c.Subject, c.ClientID, string(b), granted.UnixMilli())
	if isForeignKeyViolation(err) {
		return store.NotFound("client " + c.ClientID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: put consent: %w", err)
	}
	c.GrantedAt = time.UnixMilli(granted.UnixMilli()).UTC()
	return nil
}

// DeleteConsent implements store.Consents.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	res, err := s.writer(ctx).ExecContext(ctx, `DELETE FROM consents WHERE subject = ? AND client_id = ?`, subject, clientID)
	if err != nil {
		return fmt.Errorf("sqlite: delete consent: %w", err)
	}
	return requireOne(res, "consent of "+subject+" for client "+clientID)
}

// ---- signing keys -------------------------------------------------------------------

// CreateSigningKey implements store.SigningKeys.
func (s *Store) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	if k == nil || k.KID == "" || k.Alg == "" || len(k.PrivateKey) == 0 {
		return errors.New("sqlite: create signing key: kid, alg and private key are required")
	}
	created := k.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	_, err := s.writer(ctx).ExecContext(ctx, `INSERT INTO signing_keys (kid, alg, private_key, created_at, not_after, active)
		VALUES (?, ?, ?, ?, ?, ?)`, k.KID, k.Alg, k.PrivateKey, created.UnixMilli(), ms(k.NotAfter), k.Active)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: create signing key %s: %w", k.KID, store.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create signing key %s: %w", k.KID, err)
	}
	k.CreatedAt = time.UnixMilli(created.UnixMilli()).UTC()
	return nil
}

// ListSigningKeys implements store.SigningKeys.
func (s *Store) ListSigningKeys(ctx context.Context) ([]*store.SigningKey, error) {
	rows, err := s.reader(ctx).QueryContext(ctx,
		`SELECT kid, alg, private_key, created_at, not_after, active FROM signing_keys ORDER BY created_at DESC, kid DESC`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list signing keys: %w", err)
	}
	out, err := collect(rows, "list signing keys", func(sc scanner) (*store.SigningKey, error) {
		var (
			k        store.SigningKey
			created  int64
			notAfter sql.NullInt64
		)
		if err := sc.Scan(&k.KID, &k.Alg, &k.PrivateKey, &created, &notAfter, &k.Active); err != nil {
			return nil, err
		}
		k.CreatedAt = time.UnixMilli(created).UTC()
		k.NotAfter = fromMS(notAfter)
		return &k, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeactivateSigningKey implements store.SigningKeys.
func (s *Store) DeactivateSigningKey(ctx context.Context, kid string, notAfter time.Time) error {
	res, err := s.writer(ctx).ExecContext(ctx, `UPDATE signing_keys SET active = 0, not_after = COALESCE(?, not_after) WHERE kid = ?`,
		ms(notAfter), kid)
	if err != nil {
		return fmt.Errorf("sqlite: deactivate signing key %s: %w", kid, err)
	}
	return requireOne(res, "signing key "+kid)
}

// ---- revocations --------------------------------------------------------------------

// AppendRevocation implements store.Revocations.
func (s *Store) AppendRevocation(ctx context.Context, kind store.RevocationKind, value string) (int64, error) {
	if !kind.Valid() {
		return 0, fmt.Errorf("sqlite: append revocation: invalid kind %q", kind)
	}
	res, err := s.writer(ctx).ExecContext(ctx, `INSERT INTO revocations (kind, value, at) VALUES (?, ?, ?)`,
		string(kind), value, s.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("sqlite: append revocation: %w", err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: append revocation: %w", err)
	}
	return seq, nil
}

// RevocationsSince implements store.Revocations. SQLite has one writer at a
// time and assigns seq inside the writing transaction, so entries become
// visible in seq order.
func (s *Store) RevocationsSince(ctx context.Context, seq int64) ([]store.Revocation, int64, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, `SELECT seq, kind, value, at FROM revocations WHERE seq > ? ORDER BY seq`, seq)
	if err != nil {
		return nil, seq, fmt.Errorf("sqlite: read revocations: %w", err)
	}
	out, err := collect(rows, "read revocations", func(sc scanner) (r store.Revocation, err error) {
		var (
			kind string
			at   int64
		)
		if err := sc.Scan(&r.Seq, &kind, &r.Value, &at); err != nil {
			return r, err
		}
		r.Kind = store.RevocationKind(kind)
		r.At = time.UnixMilli(at).UTC()
		return r, nil
	})
	if err != nil {
		return nil, seq, err
	}
	last := seq
	if len(out) > 0 {
		last = out[len(out)-1].Seq
	}
	return out, last, nil
}

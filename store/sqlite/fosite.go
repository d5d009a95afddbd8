package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// The four fosite token tables share a shape; these names are constants, never
// user input.
const (
	tblCodes   = "authorize_codes"
	tblPKCE    = "pkce_requests"
	tblAccess  = "access_tokens"
	tblRefresh = "refresh_tokens"
)

// what names a table's rows in error messages.
func what(table string) string {
	switch table {
	case tblCodes:
		return "authorization code"
	case tblPKCE:
		return "PKCE request"
	case tblAccess:
		return "access token"
	case tblRefresh:
		return "refresh token"
	}
	return table
}

// encoded is a requester ready for insertion.
type encoded struct {
	requestID   string
	clientID    string
	subject     string
	requestedAt time.Time
	expiresAt   time.Time
	grantExpiry time.Time
	data        []byte
}

func encodeRequest(req fosite.Requester, tt fosite.TokenType) (*encoded, error) {
	data, err := store.MarshalRequest(req)
	if err != nil {
		return nil, err
	}
	e := &encoded{
		requestID:   req.GetID(),
		clientID:    req.GetClient().GetID(),
		requestedAt: req.GetRequestedAt(),
		data:        data,
	}
	if e.requestedAt.IsZero() {
		e.requestedAt = time.Now().UTC()
	}
	if sess := req.GetSession(); sess != nil {
		e.subject = sess.GetSubject()
		e.expiresAt = sess.GetExpiresAt(tt)
		if g, ok := sess.(interface{ GrantExpiry() time.Time }); ok {
			e.grantExpiry = g.GrantExpiry()
		}
	}
	return e, nil
}

// ensureGrant inserts the grant row of e's request id unless it exists.
func (s *Store) ensureGrant(ctx context.Context, q querier, e *encoded) error {
	_, err := q.ExecContext(ctx, `INSERT INTO grants (request_id, subject, client_id, created_at, absolute_expiry)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING`,
		e.requestID, e.subject, e.clientID, s.now().UnixMilli(), ms(e.grantExpiry))
	if isForeignKeyViolation(err) {
		return store.NotFound("client " + e.clientID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: record grant %s: %w", e.requestID, err)
	}
	return nil
}

// createSession stores req under signature in table (not refresh_tokens).
func (s *Store) createSession(ctx context.Context, table, signature string, req fosite.Requester, tt fosite.TokenType) error {
	e, err := encodeRequest(req, tt)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, q querier) error {
		if err := s.ensureGrant(ctx, q, e); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, `INSERT INTO `+table+` (signature, request_id, client_id, subject, requested_at, expires_at, request)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			signature, e.requestID, e.clientID, e.subject, e.requestedAt.UnixMilli(), ms(e.expiresAt), string(e.data))
		if isUniqueViolation(err) {
			return fmt.Errorf("sqlite: create %s: %w", what(table), store.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create %s: %w", what(table), err)
		}
		return nil
	})
}

// getSession loads the request stored under signature in table, with its
// client, and reports whether the row is active (always true for tables
// without an active column).
func (s *Store) getSession(ctx context.Context, table, signature string, template fosite.Session) (*fosite.Request, bool, error) {
	active := "1"
	if table == tblCodes || table == tblRefresh {
		active = "t.active"
	}
	row := s.reader(ctx).QueryRowContext(ctx, `SELECT t.request, `+active+`, `+clientColumnsC+`
		FROM `+table+` t JOIN clients c ON c.id = t.client_id WHERE t.signature = ?`, signature)
	var (
		data     []byte
		isActive bool
	)
	c, err := scanClient(row, &data, &isActive)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, store.NotFound(what(table))
	}
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: get %s: %w", what(table), err)
	}
	req, err := store.UnmarshalRequest(data, c, template)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: get %s: %w", what(table), err)
	}
	return req, isActive, nil
}

// deleteSession deletes the row under signature; a missing row is not an
// error (fosite's MemoryStore behaves the same, and fosite's reuse handling
// must not fail on a row a concurrent request already removed).
func (s *Store) deleteSession(ctx context.Context, table, signature string) error {
	if _, err := s.writer(ctx).ExecContext(ctx, `DELETE FROM `+table+` WHERE signature = ?`, signature); err != nil {
		return fmt.Errorf("sqlite: delete %s: %w", what(table), err)
	}
	return nil
}

// ---- fosite.ClientManager ------------------------------------------------------

// GetClient implements fosite.ClientManager. The result is a *store.Client.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := s.LookupClient(ctx, id)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ClientAssertionJWTValid implements fosite.ClientManager: it returns
// fosite.ErrJTIKnown when the JTI was seen and has not expired.
func (s *Store) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	var exp int64
	err := s.reader(ctx).QueryRowContext(ctx, `SELECT expires_at FROM jwt_assertions WHERE jti = ?`, jti).Scan(&exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: check client assertion jti: %w", err)
	}
	if exp > s.now().UnixMilli() {
		return fosite.ErrJTIKnown
	}
	return nil
}

// SetClientAssertionJWT implements fosite.ClientManager: it removes expired
// JTIs, then records jti until exp; fosite.ErrJTIKnown if it is recorded and
// not expired.
func (s *Store) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, q querier) error {
		if _, err := q.ExecContext(ctx, `DELETE FROM jwt_assertions WHERE expires_at <= ?`, s.now().UnixMilli()); err != nil {
			return fmt.Errorf("sqlite: expire client assertion jtis: %w", err)
		}
		_, err := q.ExecContext(ctx, `INSERT INTO jwt_assertions (jti, expires_at) VALUES (?, ?)`, jti, exp.UnixMilli())
		if isUniqueViolation(err) {
			return fosite.ErrJTIKnown
		}
		if err != nil {
			return fmt.Errorf("sqlite: record client assertion jti: %w", err)
		}
		return nil
	})
}

// ---- oauth2.AuthorizeCodeStorage -------------------------------------------------

// CreateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (s *Store) CreateAuthorizeCodeSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.createSession(ctx, tblCodes, signature, req, fosite.AuthorizeCode)
}

// GetAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage. For a
// redeemed code it returns the request together with an error matching
// fosite.ErrInvalidatedAuthorizeCode, so fosite can revoke what the first
// redemption issued.
func (s *Store) GetAuthorizeCodeSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, active, err := s.getSession(ctx, tblCodes, signature, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return req, fmt.Errorf("sqlite: authorization code already redeemed: %w", fosite.ErrInvalidatedAuthorizeCode)
	}
	return req, nil
}

// InvalidateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage. It
// only changes an active code: when the code is already redeemed (a
// concurrent redemption won) or gone it returns an error matching
// fosite.ErrSerializationFailure.
func (s *Store) InvalidateAuthorizeCodeSession(ctx context.Context, signature string) error {
	res, err := s.writer(ctx).ExecContext(ctx, `UPDATE authorize_codes SET active = 0 WHERE signature = ? AND active = 1`, signature)
	if err != nil {
		return fmt.Errorf("sqlite: invalidate authorization code: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: invalidate authorization code: %w", err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: authorization code already redeemed or gone: %w", fosite.ErrSerializationFailure)
	}
	return nil
}

// ---- pkce.PKCERequestStorage -----------------------------------------------------

// CreatePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) CreatePKCERequestSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.createSession(ctx, tblPKCE, signature, req, fosite.AuthorizeCode)
}

// GetPKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) GetPKCERequestSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, _, err := s.getSession(ctx, tblPKCE, signature, session)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DeletePKCERequestSession implements pkce.PKCERequestStorage (idempotent).
func (s *Store) DeletePKCERequestSession(ctx context.Context, signature string) error {
	return s.deleteSession(ctx, tblPKCE, signature)
}

// ---- oauth2.AccessTokenStorage ----------------------------------------------------

// CreateAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) CreateAccessTokenSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.createSession(ctx, tblAccess, signature, req, fosite.AccessToken)
}

// GetAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) GetAccessTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, _, err := s.getSession(ctx, tblAccess, signature, session)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DeleteAccessTokenSession implements oauth2.AccessTokenStorage (idempotent).
func (s *Store) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return s.deleteSession(ctx, tblAccess, signature)
}

// ---- oauth2.RefreshTokenStorage ---------------------------------------------------

// CreateRefreshTokenSession implements oauth2.RefreshTokenStorage. When a
// refresh token of the same request was rotated earlier in the same
// transaction (fosite's refresh flow), the old row records this token's
// signature in replaced_by.
func (s *Store) CreateRefreshTokenSession(ctx context.Context, signature, accessSignature string, req fosite.Requester) error {
	e, err := encodeRequest(req, fosite.RefreshToken)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, q querier) error {
		if err := s.ensureGrant(ctx, q, e); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, `INSERT INTO refresh_tokens
			(signature, request_id, client_id, subject, active, requested_at, expires_at, access_signature, request)
			VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)`,
			signature, e.requestID, e.clientID, e.subject, e.requestedAt.UnixMilli(), ms(e.expiresAt), accessSignature, string(e.data))
		if isUniqueViolation(err) {
			return fmt.Errorf("sqlite: create refresh token: %w", store.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create refresh token: %w", err)
		}
		if t := s.txFrom(ctx); t != nil {
			if old, ok := t.rotated[e.requestID]; ok {
				delete(t.rotated, e.requestID)
				if _, err := q.ExecContext(ctx, `UPDATE refresh_tokens SET replaced_by = ? WHERE signature = ?`, signature, old); err != nil {
					return fmt.Errorf("sqlite: link rotated refresh token: %w", err)
				}
			}
		}
		return nil
	})
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage. For a
// rotated token it returns the request together with an error matching
// fosite.ErrInactiveToken; fosite treats that as reuse and revokes the
// family.
func (s *Store) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, active, err := s.getSession(ctx, tblRefresh, signature, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return req, fmt.Errorf("sqlite: refresh token was rotated: %w", fosite.ErrInactiveToken)
	}
	return req, nil
}

// DeleteRefreshTokenSession implements oauth2.RefreshTokenStorage
// (idempotent).
func (s *Store) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return s.deleteSession(ctx, tblRefresh, signature)
}

// RotateRefreshToken implements oauth2.RefreshTokenStorage: it deactivates
// the refresh token (only if it is still active and belongs to requestID),
// stamps rotated_at, and deletes the grant's access tokens (the new ones are
// created after it in fosite's transaction). When the token is no longer
// active — a concurrent refresh won — it returns an error matching
// fosite.ErrSerializationFailure (fosite answers invalid_request, "retry").
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	return s.inTx(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE refresh_tokens SET active = 0, rotated_at = ?
			WHERE signature = ? AND request_id = ? AND active = 1`, s.now().UnixMilli(), signature, requestID)
		if err != nil {
			return fmt.Errorf("sqlite: rotate refresh token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: rotate refresh token: %w", err)
		} else if n == 0 {
			return fmt.Errorf("sqlite: refresh token already rotated or gone: %w", fosite.ErrSerializationFailure)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM access_tokens WHERE request_id = ?`, requestID); err != nil {
			return fmt.Errorf("sqlite: rotate refresh token: delete access tokens: %w", err)
		}
		if t := s.txFrom(ctx); t != nil {
			if t.rotated == nil {
				t.rotated = make(map[string]string)
			}
			t.rotated[requestID] = signature
		}
		return nil
	})
}

// RefreshTokenStatus implements store.RefreshTokens.
func (s *Store) RefreshTokenStatus(ctx context.Context, signature string) (*store.RefreshTokenStatus, error) {
	var (
		st                 store.RefreshTokenStatus
		rotated, expiresAt sql.NullInt64
		replacedBy         sql.NullString
	)
	err := s.reader(ctx).QueryRowContext(ctx, `SELECT request_id, active, rotated_at, replaced_by, expires_at
		FROM refresh_tokens WHERE signature = ?`, signature).Scan(&st.RequestID, &st.Active, &rotated, &replacedBy, &expiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.NotFound("refresh token")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: refresh token status: %w", err)
	}
	st.RotatedAt = fromMS(rotated)
	st.ReplacedBy = replacedBy.String
	st.ExpiresAt = fromMS(expiresAt)
	return &st, nil
}

// ---- oauth2.TokenRevocationStorage --------------------------------------------------

// RevokeRefreshToken implements oauth2.TokenRevocationStorage: it deletes
// every refresh token of the grant, active or rotated, and logs the grant's
// revocation when it removed any.
func (s *Store) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return s.revokeByRequestID(ctx, tblRefresh, requestID)
}

// RevokeAccessToken implements oauth2.TokenRevocationStorage: it deletes
// every access token of the grant and logs the grant's revocation when it
// removed any.
func (s *Store) RevokeAccessToken(ctx context.Context, requestID string) error {
	return s.revokeByRequestID(ctx, tblAccess, requestID)
}

func (s *Store) revokeByRequestID(ctx context.Context, table, requestID string) error {
	return s.inTx(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE request_id = ?`, requestID)
		if err != nil {
			return fmt.Errorf("sqlite: revoke %ss of grant: %w", what(table), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("sqlite: revoke %ss of grant: %w", what(table), err)
		}
		if n > 0 {
			return s.logRevocationOnce(ctx, q, store.RevocationGrant, requestID)
		}
		return nil
	})
}

// logRevocationOnce appends (kind, value) to the revocation log unless an
// entry for it is already there.
func (s *Store) logRevocationOnce(ctx context.Context, q querier, kind store.RevocationKind, value string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO revocations (kind, value, at)
		SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM revocations WHERE kind = ? AND value = ?)`,
		string(kind), value, s.now().UnixMilli(), string(kind), value)
	if err != nil {
		return fmt.Errorf("sqlite: log %s revocation: %w", kind, err)
	}
	return nil
}

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

const clientColumns = `id, secret_hash, redirect_uris, grant_types, response_types, scopes, audience,
	token_endpoint_auth_method, name, registration_access_token_hash, created_at, last_used_at, origin, metadata`

// clientColumnsC is clientColumns qualified with the alias c.
var clientColumnsC = "c." + strings.Join(strings.Split(strings.Join(strings.Fields(clientColumns), ""), ","), ", c.")

type scanner interface{ Scan(dest ...any) error }

// collect reads every row of rows with scan and closes rows; what names the
// query in errors.
func collect[T any](rows *sql.Rows, what string, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return out, nil
}

// scanClient scans pre (columns selected before the client's) and then the
// client columns.
func scanClient(sc scanner, pre ...any) (*store.Client, error) {
	var (
		c                                                    store.Client
		redirects, grants, responses, scopes, audience, meta string
		created                                              int64
		lastUsed                                             sql.NullInt64
		origin                                               string
	)
	dest := append(pre, &c.ID, &c.SecretHash, &redirects, &grants, &responses, &scopes, &audience,
		&c.TokenEndpointAuthMethod, &c.Name, &c.RegistrationAccessTokenHash, &created, &lastUsed, &origin, &meta)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		dst *[]string
		src string
	}{{&c.RedirectURIs, redirects}, {&c.GrantTypes, grants}, {&c.ResponseTypes, responses}, {&c.Scopes, scopes}, {&c.Audience, audience}} {
		if err := decodeStringList(f.src, f.dst); err != nil {
			return nil, fmt.Errorf("decode client %s: %w", c.ID, err)
		}
	}
	c.CreatedAt = time.UnixMilli(created).UTC()
	c.LastUsedAt = fromMS(lastUsed)
	c.Origin = store.ClientOrigin(origin)
	c.Metadata = json.RawMessage(meta)
	return &c, nil
}

// clientArgs validates c and returns the values of clientColumns except id,
// created_at and last_used_at, in order: secret_hash, redirect_uris,
// grant_types, response_types, scopes, audience, token_endpoint_auth_method,
// name, registration_access_token_hash, origin, metadata.
func clientArgs(c *store.Client) ([]any, error) {
	if c == nil || c.ID == "" {
		return nil, errors.New("client id is empty")
	}
	if !c.Origin.Valid() {
		return nil, fmt.Errorf("client %s: invalid origin %q", c.ID, c.Origin)
	}
	if c.TokenEndpointAuthMethod == "" {
		return nil, fmt.Errorf("client %s: token_endpoint_auth_method is empty", c.ID)
	}
	meta := []byte(c.Metadata)
	if len(meta) == 0 {
		meta = []byte("{}")
	} else if !json.Valid(meta) {
		return nil, fmt.Errorf("client %s: metadata is not valid JSON", c.ID)
	}
	lists := make([]any, 0, 5)
	for _, l := range [][]string{c.RedirectURIs, c.GrantTypes, c.ResponseTypes, c.Scopes, c.Audience} {
		if l == nil {
			l = []string{}
		}
		b, err := json.Marshal(l)
		if err != nil {
			return nil, fmt.Errorf("client %s: %w", c.ID, err)
		}
		lists = append(lists, string(b))
	}
	return append([]any{nullBytes(c.SecretHash)}, append(lists,
		c.TokenEndpointAuthMethod, c.Name, nullBytes(c.RegistrationAccessTokenHash), string(c.Origin), string(meta))...), nil
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateClient implements store.Clients.
func (s *Store) CreateClient(ctx context.Context, c *store.Client) error {
	args, err := clientArgs(c)
	if err != nil {
		return fmt.Errorf("sqlite: create client: %w", err)
	}
	created := c.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	_, err = s.writer(ctx).ExecContext(ctx, `INSERT INTO clients (id, secret_hash, redirect_uris, grant_types, response_types,
		scopes, audience, token_endpoint_auth_method, name, registration_access_token_hash, origin, metadata, created_at, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append(append([]any{c.ID}, args...), created.UnixMilli(), ms(c.LastUsedAt))...)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: create client %s: %w", c.ID, store.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create client %s: %w", c.ID, err)
	}
	c.CreatedAt = time.UnixMilli(created.UnixMilli()).UTC()
	return nil
}

// LookupClient implements store.Clients.
func (s *Store) LookupClient(ctx context.Context, id string) (*store.Client, error) {
	c, err := scanClient(s.reader(ctx).QueryRowContext(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.NotFound("client " + id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get client %s: %w", id, err)
	}
	return c, nil
}

// UpdateClient implements store.Clients. CreatedAt and LastUsedAt are kept
// (TouchClient maintains the latter).
func (s *Store) UpdateClient(ctx context.Context, c *store.Client) error {
	args, err := clientArgs(c)
	if err != nil {
		return fmt.Errorf("sqlite: update client: %w", err)
	}
	res, err := s.writer(ctx).ExecContext(ctx, `UPDATE clients SET secret_hash = ?, redirect_uris = ?, grant_types = ?,
		response_types = ?, scopes = ?, audience = ?, token_endpoint_auth_method = ?, name = ?,
		registration_access_token_hash = ?, origin = ?, metadata = ? WHERE id = ?`, append(args, c.ID)...)
	if err != nil {
		return fmt.Errorf("sqlite: update client %s: %w", c.ID, err)
	}
	return requireOne(res, "client "+c.ID)
}

// DeleteClient implements store.Clients.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.inTx(ctx, func(ctx context.Context, q querier) error {
		return s.deleteClient(ctx, q, id)
	})
}

func (s *Store) deleteClient(ctx context.Context, q querier, id string) error {
	// Foreign keys cascade to grants (and from them to codes and tokens)
	// and to consents.
	res, err := q.ExecContext(ctx, `DELETE FROM clients WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete client %s: %w", id, err)
	}
	if err := requireOne(res, "client "+id); err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO revocations (kind, value, at) VALUES (?, ?, ?)`,
		string(store.RevocationClient), id, s.now().UnixMilli()); err != nil {
		return fmt.Errorf("sqlite: delete client %s: log revocation: %w", id, err)
	}
	return nil
}

// ListClients implements store.Clients.
func (s *Store) ListClients(ctx context.Context) ([]*store.Client, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list clients: %w", err)
	}
	return collect(rows, "list clients", func(sc scanner) (*store.Client, error) { return scanClient(sc) })
}

// TouchClient implements store.Clients.
func (s *Store) TouchClient(ctx context.Context, id string, t time.Time) error {
	res, err := s.writer(ctx).ExecContext(ctx, `UPDATE clients SET last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE id = ?`,
		t.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("sqlite: touch client %s: %w", id, err)
	}
	return requireOne(res, "client "+id)
}

// DeleteStaleClients implements store.Clients.
func (s *Store) DeleteStaleClients(ctx context.Context, unusedSince time.Time, origins ...store.ClientOrigin) ([]string, error) {
	query := `SELECT id FROM clients c WHERE COALESCE(last_used_at, created_at) < ?
		AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.client_id = c.id)`
	args := []any{unusedSince.UnixMilli()}
	if len(origins) > 0 {
		query += ` AND origin IN (?` + strings.Repeat(", ?", len(origins)-1) + `)`
		for _, o := range origins {
			args = append(args, string(o))
		}
	}
	var deleted []string
	err := s.inTx(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
		if err != nil {
			return fmt.Errorf("sqlite: find stale clients: %w", err)
		}
		ids, err := collect(rows, "find stale clients", func(sc scanner) (id string, err error) {
			err = sc.Scan(&id)
			return id, err
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.deleteClient(ctx, q, id); err != nil {
				return err
			}
		}
		deleted = ids
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deleted, nil
}

// requireOne returns a not-found error naming what when res changed no row.
func requireOne(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if n == 0 {
		return store.NotFound(what)
	}
	return nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"
)

// Exact error values. Methods wrap them with context; test with errors.Is.
var (
	// ErrNotFound means the requested row does not exist. Errors returned by
	// the fosite-facing methods also match fosite.ErrNotFound.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists means a row with the same key exists.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrSchemaTooNew means the database was written by a newer binary.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")
)

// SchemaTooNewError is returned when opening a database whose schema version
// is newer than the binary's migrations: an older binary must not write to
// a schema it does not know. It matches ErrSchemaTooNew.
type SchemaTooNewError struct {
	DatabaseVersion  int // highest version recorded in the database
	SupportedVersion int // highest version this binary embeds
}

// Error returns the message shown to the operator.
func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this binary supports (%d); upgrade zscaler-mcp",
		e.DatabaseVersion, e.SupportedVersion)
}

// Unwrap returns ErrSchemaTooNew.
func (e *SchemaTooNewError) Unwrap() error { return ErrSchemaTooNew }

// NotFound returns an error that matches both ErrNotFound and
// fosite.ErrNotFound, so fosite's handlers recognise it (e.g. an unknown
// refresh token becomes invalid_grant, not server_error). what names the
// missing thing ("refresh token", "client x").
func NotFound(what string) error { return &notFoundError{what: what} }

type notFoundError struct{ what string }

func (e *notFoundError) Error() string   { return e.what + ": not found" }
func (e *notFoundError) Unwrap() []error { return []error{ErrNotFound, fosite.ErrNotFound} }

// IsConcurrentUse reports whether err (as returned by fosite's token
// endpoint) comes from two requests racing for the same authorization code
// or refresh token: a conditional update that found the row already used
// (fosite.ErrSerializationFailure), or a code that was redeemed between
// fosite's two reads of it (fosite.ErrInvalidatedAuthorizeCode). fosite
// v0.49.0 reports some of these as server_error (500) in the authorization
// code flow; the AS answers them with invalid_grant instead.
func IsConcurrentUse(err error) bool {
	return errors.Is(err, fosite.ErrSerializationFailure) || errors.Is(err, fosite.ErrInvalidatedAuthorizeCode)
}

// Store is everything the authorization server persists. Every method takes
// the request context first; when that context carries a transaction begun
// with BeginTX, the method runs inside it.
type Store interface {
	FositeStorage
	RefreshTokens
	Clients
	Grants
	Consents
	SigningKeys
	Revocations
	Audit
	GarbageCollector
	// Close releases the backend's resources. The store must not be used
	// afterwards.
	Close() error
}

// FositeStorage is the storage fosite v0.49.0 needs for the authorization
// code grant with PKCE, refresh tokens, introspection and revocation
// (compose.OAuth2AuthorizeExplicitFactory, OAuth2RefreshTokenGrantFactory,
// OAuth2PKCEFactory, OAuth2TokenIntrospectionFactory,
// OAuth2TokenRevocationFactory).
//
// Semantics every backend reproduces (the conformance suite checks each):
//
//   - Get*Session returns a *fosite.Request whose Session is a new value of
//     the dynamic type of the session passed in (a *Session when nil is
//     passed, as fosite's revocation handler does), decoded from the stored
//     JSON. The passed session itself is not modified. The request's client
//     is loaded from the clients table, so a token of a deleted client is
//     not found.
//   - Missing rows: an error matching fosite.ErrNotFound and ErrNotFound.
//   - GetAuthorizeCodeSession of a redeemed code returns the request together
//     with fosite.ErrInvalidatedAuthorizeCode.
//   - GetRefreshTokenSession of a rotated (inactive) token returns the
//     request together with fosite.ErrInactiveToken; fosite then revokes the
//     family.
//   - fosite reads a code or refresh token before it opens its transaction,
//     so InvalidateAuthorizeCodeSession and RotateRefreshToken are
//     conditional (only an active row changes); when nothing changed they
//     return an error matching fosite.ErrSerializationFailure.
//   - RotateRefreshToken(requestID, signature) deactivates that refresh token
//     (recording rotated_at), deletes the grant's access tokens, and, when the
//     new refresh token is created in the same transaction, records its
//     signature on the old row (replaced_by) — the schema support for an
//     AS-side grace window that replays the first response.
//   - RevokeRefreshToken / RevokeAccessToken delete every refresh / access
//     token of the grant (request id), active or not, and nothing else; when
//     they removed something they append a RevocationGrant entry for the
//     request id to the revocation log (once per grant), in the same
//     transaction, so the resource server learns of reuse detection and code
//     replay without the AS hooking into fosite.
//   - Delete*Session are idempotent: deleting a missing row is not an error.
//   - Create*Session fail with ErrAlreadyExists on a duplicate signature and
//     with ErrNotFound when the request's client does not exist.
//   - BeginTX returns a context carrying the transaction; Commit and Rollback
//     take that context. Rollback of a finished transaction is a no-op.
type FositeStorage interface {
	fosite.ClientManager
	oauth2.CoreStorage
	oauth2.TokenRevocationStorage
	pkce.PKCERequestStorage
	storage.Transactional
}

// RefreshTokens exposes the rotation bookkeeping of refresh tokens, which an
// AS-side grace window for concurrent refreshes needs: within the window,
// a request presenting a just-rotated token can be answered with the first
// response (the AS keeps it, keyed by the old signature) instead of
// triggering reuse detection, as long as its replacement is still active.
type RefreshTokens interface {
	// RefreshTokenStatus returns the status of the refresh token with the
	// given signature, or ErrNotFound.
	RefreshTokenStatus(ctx context.Context, signature string) (*RefreshTokenStatus, error)
}

// Clients manages registered OAuth clients. GetClient (from
// fosite.ClientManager) returns the same *Client as LookupClient, typed as
// fosite.Client.
type Clients interface {
	// CreateClient stores a new client; ErrAlreadyExists if the id is taken.
	// A zero CreatedAt is set to the current time.
	CreateClient(ctx context.Context, c *Client) error
	// LookupClient returns the client with the given id or ErrNotFound.
	LookupClient(ctx context.Context, id string) (*Client, error)
	// UpdateClient replaces every field of an existing client except
	// CreatedAt; ErrNotFound if it does not exist.
	UpdateClient(ctx context.Context, c *Client) error
	// DeleteClient deletes a client together with its grants, codes, tokens
	// and consents, and appends a RevocationClient entry to the revocation
	// log; ErrNotFound if it does not exist.
	DeleteClient(ctx context.Context, id string) error
	// ListClients returns every client, oldest first.
	ListClients(ctx context.Context) ([]*Client, error)
	// TouchClient records that the client was used at t (only moves
	// last_used_at forward); ErrNotFound if it does not exist.
	TouchClient(ctx context.Context, id string, t time.Time) error
	// DeleteStaleClients deletes the clients of the given origins (all
	// origins when none is given) that were last used — or, if never used,
	// created — before unusedSince and that hold no grant, exactly as
	// DeleteClient would, and returns their ids.
	DeleteStaleClients(ctx context.Context, unusedSince time.Time, origins ...ClientOrigin) ([]string, error)
}

// Grants exposes the bookkeeping row every authorization (fosite request id)
// gets when its first code or token is stored.
type Grants interface {
	// GetGrant returns the grant with the given request id or ErrNotFound.
	GetGrant(ctx context.Context, requestID string) (*Grant, error)
	// ListGrants returns the grants matching every non-empty field of f,
	// oldest first.
	ListGrants(ctx context.Context, f GrantFilter) ([]*Grant, error)
	// RevokeGrant deletes a grant with all its codes and tokens and appends a
	// RevocationGrant entry; ErrNotFound if it does not exist.
	RevokeGrant(ctx context.Context, requestID string) error
}

// Consents remembers what a user allowed a client.
type Consents interface {
	// GetConsent returns the consent of subject for clientID or ErrNotFound.
	GetConsent(ctx context.Context, subject, clientID string) (*Consent, error)
	// PutConsent creates or replaces a consent. The client must exist
	// (ErrNotFound otherwise). A zero GrantedAt is set to the current time.
	PutConsent(ctx context.Context, c *Consent) error
	// DeleteConsent deletes a consent or returns ErrNotFound.
	DeleteConsent(ctx context.Context, subject, clientID string) error
}

// SigningKeys stores the authorization server's token signing keys.
type SigningKeys interface {
	// CreateSigningKey stores a new key; ErrAlreadyExists if the kid is
	// taken. A zero CreatedAt is set to the current time.
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// ListSigningKeys returns every key, newest first.
	ListSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// DeactivateSigningKey stops a key from signing new tokens; it stays
	// published until notAfter (zero: keep the current not_after).
	// ErrNotFound if it does not exist.
	DeactivateSigningKey(ctx context.Context, kid string, notAfter time.Time) error
}

// Revocations is the append-only log the resource server polls to learn of
// revoked grants, deleted clients and revoked subjects.
type Revocations interface {
	// AppendRevocation appends an entry stamped with the current time and
	// returns its sequence number.
	AppendRevocation(ctx context.Context, kind RevocationKind, value string) (int64, error)
	// RevocationsSince returns the entries with a sequence number greater
	// than seq, in order, and the last sequence number returned (seq itself
	// when there are none). Backends guarantee entries become visible in
	// sequence order, so a poller that passes back lastSeq never misses one.
	RevocationsSince(ctx context.Context, seq int64) ([]Revocation, int64, error)
}

// GarbageCollector removes expired rows.
type GarbageCollector interface {
	// GC deletes what expired before now: codes, PKCE sessions, access and
	// refresh tokens past their expiry, grants past their absolute expiry
	// (with everything they hold) or left without any code or token, client
	// assertion JTIs, deactivated signing keys past not_after, and
	// revocation-log entries and audit events older than the backend's
	// retentions. It returns
	// the number of rows deleted.
	GC(ctx context.Context, now time.Time) (int, error)
}

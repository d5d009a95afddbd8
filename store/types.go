package store

import "time"

// Grant is the bookkeeping row of one authorization: fosite's request id,
// which stays the same across refreshes (the AS uses it as the grant id
// claim).
type Grant struct {
	// ID is fosite's request id.
	ID       string
	Subject  string
	ClientID string
	// CreatedAt is when the first code or token of the grant was stored.
	CreatedAt time.Time
	// ExpiresAt is the absolute end of the grant (Session.GrantExpiresAt when
	// the grant was created); zero when unlimited.
	ExpiresAt time.Time
}

// GrantFilter selects grants; empty fields match everything.
type GrantFilter struct {
	Subject  string
	ClientID string
}

// Consent records that Subject allowed ClientID the given scopes.
type Consent struct {
	Subject   string
	ClientID  string
	Scopes    []string
	GrantedAt time.Time
}

// SigningKey is one of the AS's token signing keys.
type SigningKey struct {
	// KID is the JWK key id.
	KID string
	// Alg is the JWS algorithm, e.g. "ES256".
	Alg string
	// PrivateKey is the encoded private key (PEM or JWK JSON; the AS
	// decides). It is stored as given.
	PrivateKey []byte
	CreatedAt  time.Time
	// NotAfter is when the key stops being published; zero means no end.
	NotAfter time.Time
	// Active keys may sign new tokens; inactive ones are only published.
	Active bool
}

// RevocationKind says what a revocation-log entry revokes.
type RevocationKind string

// Revocation kinds.
const (
	// RevocationGrant: Value is a grant (fosite request) id.
	RevocationGrant RevocationKind = "grant"
	// RevocationClient: Value is a client id; every token of it is revoked.
	RevocationClient RevocationKind = "client"
	// RevocationSubject: Value is a subject; every token issued to it
	// before At is revoked.
	RevocationSubject RevocationKind = "subject"
)

// Valid reports whether k is one of the defined kinds.
func (k RevocationKind) Valid() bool {
	return k == RevocationGrant || k == RevocationClient || k == RevocationSubject
}

// Revocation is one entry of the revocation log.
type Revocation struct {
	Seq   int64
	Kind  RevocationKind
	Value string
	At    time.Time
}

// RefreshTokenStatus is the rotation state of one refresh token.
type RefreshTokenStatus struct {
	// RequestID is the grant the token belongs to.
	RequestID string
	// Active is false once the token was rotated.
	Active bool
	// RotatedAt is when it was rotated; zero while active.
	RotatedAt time.Time
	// ReplacedBy is the signature of the refresh token created in the same
	// transaction as the rotation; empty while active (or when the
	// replacement was created outside the rotating transaction).
	ReplacedBy string
	// ExpiresAt is the token's expiry; zero when unlimited.
	ExpiresAt time.Time
}

package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"github.com/ory/fosite"
)

// ClientOrigin says how a client came to exist.
type ClientOrigin string

// Client origins.
const (
	// OriginDCR: registered through Dynamic Client Registration (RFC 7591).
	OriginDCR ClientOrigin = "dcr"
	// OriginCIMD: described by a Client ID Metadata Document (the id is its URL).
	OriginCIMD ClientOrigin = "cimd"
	// OriginStatic: configured by the administrator.
	OriginStatic ClientOrigin = "static"
)

// Valid reports whether o is one of the defined origins.
func (o ClientOrigin) Valid() bool {
	return o == OriginDCR || o == OriginCIMD || o == OriginStatic
}

// Token endpoint authentication methods a Client may use.
const (
	AuthMethodNone              = "none"
	AuthMethodClientSecretBasic = "client_secret_basic"
	AuthMethodClientSecretPost  = "client_secret_post"
)

// Client is a registered OAuth client. It implements fosite.Client (and
// deliberately not fosite.OpenIDConnectClient, so fosite accepts
// client_secret_basic and client_secret_post alike for a confidential
// client); the AS enforces TokenEndpointAuthMethod itself if it wants to.
type Client struct {
	ID string
	// SecretHash is SHA-256(secret) (see SHA256Hasher); nil for public
	// clients.
	SecretHash    []byte
	RedirectURIs  []string
	GrantTypes    []string
	ResponseTypes []string
	Scopes        []string
	Audience      []string
	// TokenEndpointAuthMethod is "none", "client_secret_basic" or
	// "client_secret_post". "none" makes the client public.
	TokenEndpointAuthMethod string
	Name                    string
	// RegistrationAccessTokenHash is SHA-256 of the RFC 7592 registration
	// access token, nil if none was issued.
	RegistrationAccessTokenHash []byte
	CreatedAt                   time.Time
	// LastUsedAt is zero when the client was never used.
	LastUsedAt time.Time
	Origin     ClientOrigin
	// Metadata holds the registration metadata as received (a JSON object);
	// nil is stored as {}.
	Metadata json.RawMessage
}

var _ fosite.Client = (*Client)(nil)

// GetID implements fosite.Client.
func (c *Client) GetID() string { return c.ID }

// GetHashedSecret implements fosite.Client: the SHA-256 hash of the secret,
// to be checked with SHA256Hasher (configure it as
// fosite.Config.ClientSecretsHasher).
func (c *Client) GetHashedSecret() []byte { return c.SecretHash }

// GetRedirectURIs implements fosite.Client.
func (c *Client) GetRedirectURIs() []string { return c.RedirectURIs }

// GetGrantTypes implements fosite.Client. Like fosite.DefaultClient it
// defaults to authorization_code.
func (c *Client) GetGrantTypes() fosite.Arguments {
	if len(c.GrantTypes) == 0 {
		return fosite.Arguments{"authorization_code"}
	}
	return fosite.Arguments(c.GrantTypes)
}

// GetResponseTypes implements fosite.Client. Like fosite.DefaultClient it
// defaults to code.
func (c *Client) GetResponseTypes() fosite.Arguments {
	if len(c.ResponseTypes) == 0 {
		return fosite.Arguments{"code"}
	}
	return fosite.Arguments(c.ResponseTypes)
}

// GetScopes implements fosite.Client.
func (c *Client) GetScopes() fosite.Arguments { return fosite.Arguments(c.Scopes) }

// IsPublic implements fosite.Client: a client is public when its token
// endpoint auth method is "none".
func (c *Client) IsPublic() bool { return c.TokenEndpointAuthMethod == AuthMethodNone }

// GetAudience implements fosite.Client.
func (c *Client) GetAudience() fosite.Arguments { return fosite.Arguments(c.Audience) }

// Clone returns a deep copy of c.
func (c *Client) Clone() *Client {
	if c == nil {
		return nil
	}
	d := *c
	d.SecretHash = cloneBytes(c.SecretHash)
	d.RedirectURIs = cloneStrings(c.RedirectURIs)
	d.GrantTypes = cloneStrings(c.GrantTypes)
	d.ResponseTypes = cloneStrings(c.ResponseTypes)
	d.Scopes = cloneStrings(c.Scopes)
	d.Audience = cloneStrings(c.Audience)
	d.RegistrationAccessTokenHash = cloneBytes(c.RegistrationAccessTokenHash)
	d.Metadata = json.RawMessage(cloneBytes(c.Metadata))
	return &d
}

// HashSecret returns SHA-256(secret), the form in which client secrets and
// registration access tokens are stored. Use it only for high-entropy
// generated secrets (≥ 128 bits), never for passwords: SHA-256 is fast on
// purpose, so that secret-authenticated requests are not capped by bcrypt's
// cost.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ErrHashMismatch is returned by SHA256Hasher.Compare when data does not
// match the hash.
var ErrHashMismatch = errors.New("store: secret does not match")

// SHA256Hasher is the fosite.Hasher for client secrets stored with
// HashSecret. The AS sets it as fosite.Config.ClientSecretsHasher instead of
// fosite's default bcrypt hasher (whose cost caps secret-authenticated
// requests near 7/s per core); generated secrets have enough entropy that a
// slow hash adds nothing.
type SHA256Hasher struct{}

var _ fosite.Hasher = SHA256Hasher{}

// Hash implements fosite.Hasher.
func (SHA256Hasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	return h[:], nil
}

// Compare implements fosite.Hasher in constant time: it returns nil when
// SHA-256(data) equals hash and ErrHashMismatch otherwise.
func (SHA256Hasher) Compare(_ context.Context, hash, data []byte) error {
	h := sha256.Sum256(data)
	if subtle.ConstantTimeCompare(hash, h[:]) != 1 {
		return ErrHashMismatch
	}
	return nil
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

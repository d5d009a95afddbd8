// Package auth holds the client-authentication layer of the MCP resource
// server: the Identity a validator produces, the credential parser, the
// Validator interface, the HTTP middleware that runs validators before any MCP
// message is dispatched, and the RFC 6750 / RFC 9728 challenges it writes.
package auth

import (
	"context"
	"slices"
	"time"
)

// Scopes defined by the server (DESIGN.md §3 "Scopes").
const (
	ScopeRead  = "zscaler.read"
	ScopeWrite = "zscaler.write"
)

// DefaultScopes are the scopes carried by static credentials (api-key, jwt,
// zscaler) unless configured narrower.
var DefaultScopes = []string{ScopeRead, ScopeWrite}

// Mode names, as accepted by ZSCALER_MCP_AUTH_MODE.
const (
	ModeAPIKey    = "api-key"
	ModeJWT       = "jwt"
	ModeOIDC      = "oidc"
	ModeZscaler   = "zscaler"
	ModeOIDCProxy = "oidcproxy"
	ModeNone      = "none"
)

// Identity is the caller as the auth layer saw it. It never holds the
// credential itself. Validators may hand the same Identity to many requests
// (caches, static keys): treat it as read-only.
type Identity struct {
	// Mode is the validator that accepted the request (one of the Mode* names).
	Mode string `json:"mode"`
	// Subject identifies the caller; sessions are bound to it.
	Subject string `json:"subject"`
	// ClientID is the OAuth client id / Zscaler client id, when known.
	ClientID string `json:"client_id,omitempty"`
	// Issuer is the token issuer, when the credential was a token.
	Issuer string `json:"issuer,omitempty"`
	// Scopes granted to the caller.
	Scopes []string `json:"scopes"`
	// ExpiresAt is when the credential stops being valid (zero: never).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Claims are non-secret claims from the validated token (for example the
	// OneAPI token's entitlements); nil for api-key and none. They are shared
	// with the validators' caches: read them, never modify them.
	Claims map[string]any `json:"claims,omitempty"`
}

// HasScope reports whether the identity carries scope s. zscaler.write
// implies zscaler.read.
func (id *Identity) HasScope(s string) bool {
	if id == nil {
		return false
	}
	if slices.Contains(id.Scopes, s) {
		return true
	}
	return s == ScopeRead && slices.Contains(id.Scopes, ScopeWrite)
}

type identityKey struct{}

// WithIdentity returns a copy of ctx carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the identity stored by the auth middleware.
func FromContext(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(*Identity)
	return id, ok && id != nil
}

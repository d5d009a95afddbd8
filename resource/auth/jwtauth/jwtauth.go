// Package jwtauth implements the "jwt" and "oidc" client-auth modes
// (DESIGN.md §3): a bearer JWT verified against a JWKS.
//
// The pieces are layered so each can be reused:
//
//   - KeySet gives a public key by kid. RemoteKeySet fetches a JWKS URL,
//     honours Cache-Control max-age within [1 min, 24 h], refetches on an
//     unknown kid at most once per cooldown (singleflight, plus a negative
//     cache of unknown kids) and keeps serving cached keys through an outage.
//     An in-process key set (our own authorization server) can implement
//     KeySet too.
//   - Verifier checks a compact JWS: RS256, PS256, ES256 or EdDSA only, the
//     signature, exp (required), nbf and iat with a leeway, iss and aud. It
//     remembers verified tokens until they expire.
//   - Validator is the auth.Validator of the jwt and oidc modes.
//   - Discover reads an OpenID/OAuth discovery document for the oidc mode.
package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// Config configures a Validator.
type Config struct {
	// Mode is auth.ModeJWT or auth.ModeOIDC; Name returns it and it is the
	// Mode of every Identity produced.
	Mode string
	// JWKSURI is the http(s) URL of the issuer's JSON Web Key Set
	// (ZSCALER_MCP_AUTH_JWKS_URI, or jwks_uri from Discover). Required
	// unless Keys is set.
	JWKSURI string
	// Keys, if set, supplies the keys instead of JWKSURI.
	Keys KeySet
	// HTTPClient fetches JWKSURI; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Issuers, when non-empty, are the accepted "iss" values (exact match).
	Issuers []string
	// Audiences, when non-empty, are the accepted audiences: "aud" must
	// contain at least one.
	Audiences []string
	// Scopes are granted to every accepted token; nil means
	// auth.DefaultScopes.
	Scopes []string
	// ClaimOnlyIssuers makes Validate return auth.ErrNotMine, instead of a
	// 401, for a token whose (unverified) "iss" is not in Issuers, so
	// several JWT validators for different issuers can be chained. It needs
	// Issuers.
	ClaimOnlyIssuers bool
	// Leeway is the clock skew allowed on exp, nbf and iat: 0 means 60 s, a
	// negative value none; at most 10 min.
	Leeway time.Duration
	// RefetchCooldown is the least time between JWKS refetches caused by
	// unknown kids, and after a failed fetch (0 means 30 s).
	RefetchCooldown time.Duration
	// CacheSize bounds the cache of verified tokens (0 means 10000, a
	// negative value disables it).
	CacheSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Validator is the auth.Validator of the jwt and oidc modes.
type Validator struct {
	mode      string
	scopes    []string
	claimOnly bool
	issuers   []string
	keys      KeySet
	verifier  *Verifier
}

var _ auth.Validator = (*Validator)(nil)

// New validates cfg and returns a Validator. It does not contact the JWKS;
// the first token does.
func New(cfg Config) (*Validator, error) {
	if cfg.Mode != auth.ModeJWT && cfg.Mode != auth.ModeOIDC {
		return nil, fmt.Errorf("jwtauth: mode %q is neither %q nor %q", cfg.Mode, auth.ModeJWT, auth.ModeOIDC)
	}
	if cfg.ClaimOnlyIssuers && len(cfg.Issuers) == 0 {
		return nil, errors.New("jwtauth: ClaimOnlyIssuers needs at least one issuer")
	}
	keys := cfg.Keys
	switch {
	case keys != nil && cfg.JWKSURI != "":
		return nil, errors.New("jwtauth: set JWKSURI or Keys, not both")
	case keys == nil:
		rs, err := NewRemoteKeySet(RemoteKeySetConfig{
			URI:             cfg.JWKSURI,
			HTTPClient:      cfg.HTTPClient,
			RefetchCooldown: cfg.RefetchCooldown,
			Now:             cfg.Now,
		})
		if err != nil {
			return nil, fmt.Errorf("jwtauth: %w", err)
		}
		keys = rs
	}
	ver, err := NewVerifier(keys, VerifierConfig{
		Issuers:   cfg.Issuers,
		Audiences: cfg.Audiences,
		Leeway:    cfg.Leeway,
		CacheSize: cfg.CacheSize,
		Now:       cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("jwtauth: %w", err)
	}
	scopes := cfg.Scopes
	if scopes == nil {
		scopes = auth.DefaultScopes
	}
	return &Validator{
		mode:      cfg.Mode,
		scopes:    slices.Clone(scopes),
		claimOnly: cfg.ClaimOnlyIssuers,
		issuers:   slices.Clone(cfg.Issuers),
		keys:      keys,
		verifier:  ver,
	}, nil
}

// Name implements auth.Validator: the configured mode.
func (v *Validator) Name() string { return v.mode }

// Validate implements auth.Validator. A credential that is not a bearer
// token shaped like a JWT is not ours (auth.ErrNotMine), so an api-key
// validator can be chained before or after this one.
func (v *Validator) Validate(ctx context.Context, _ *http.Request, c auth.Credential) (*auth.Identity, error) {
	if c.Kind != auth.KindBearer {
		return nil, auth.ErrNotMine
	}
	// A token this verifier has verified is its own: the checks below,
	// which scan and decode the token, are for the others.
	cl, _, hit, err := v.verifier.cached(c.Token)
	if !hit {
		if !LooksLikeJWT(c.Token) {
			return nil, auth.ErrNotMine
		}
		if v.claimOnly {
			if iss, ok := unverifiedIssuer(c.Token); !ok || !slices.Contains(v.issuers, iss) {
				return nil, auth.ErrNotMine
			}
		}
		cl, err = v.verifier.Verify(ctx, c.Token)
	}
	if err != nil {
		return nil, err
	}
	if cl.Subject == "" {
		return nil, auth.Invalid("token has no subject (sub)", nil)
	}
	if id := cl.identity.Load(); id != nil {
		return id, nil
	}
	id := &auth.Identity{
		Mode:      v.mode,
		Subject:   cl.Subject,
		ClientID:  cl.ClientID,
		Issuer:    cl.Issuer,
		Scopes:    v.scopes,
		ExpiresAt: cl.ExpiresAt,
		Claims:    cl.Raw, // shared with the verification cache: read-only (see auth.Identity)
	}
	cl.identity.Store(id)
	return id, nil
}

// Verifier returns the Verifier behind v.
func (v *Validator) Verifier() *Verifier { return v.verifier }

// Stats are counters for metrics.
type Stats struct {
	// JWKSFetches counts JWKS fetch attempts; JWKSFetchErrors the failed ones.
	JWKSFetches     uint64
	JWKSFetchErrors uint64
	// CacheHits and CacheMisses count lookups in the verified-token cache.
	CacheHits   uint64
	CacheMisses uint64
	// SignatureChecks counts signature verifications performed.
	SignatureChecks uint64
}

// Stats reports v's counters (the JWKS ones when its KeySet has a Stats
// method, as RemoteKeySet does).
func (v *Validator) Stats() Stats {
	s := v.verifier.Stats()
	if ks, ok := v.keys.(interface{ Stats() Stats }); ok {
		k := ks.Stats()
		s.JWKSFetches, s.JWKSFetchErrors = k.JWKSFetches, k.JWKSFetchErrors
	}
	return s
}

// LooksLikeJWT reports whether token is shaped like a JWS or JWE: base64url
// segments separated by dots, the first one encoding a JSON object (it
// starts with "eyJ", the encoding of `{"`). Opaque tokens and API keys do
// not; a malformed JWT does, and is then rejected with a reason rather than
// passed to the next validator.
func LooksLikeJWT(token string) bool {
	return strings.HasPrefix(token, "eyJ") && strings.Contains(token, ".") && isBase64URL(token)
}

// unverifiedIssuer returns the "iss" claim of token without checking
// anything; only for choosing among chained validators.
func unverifiedIssuer(token string) (string, bool) {
	_, rest, _ := strings.Cut(token, ".")
	pl, _, _ := strings.Cut(rest, ".")
	if len(pl) > MaxTokenBytes {
		return "", false
	}
	raw, err := b64.DecodeString(pl)
	if err != nil {
		return "", false
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", false
	}
	return c.Iss, true
}

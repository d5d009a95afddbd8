package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// GenerateAPIKey returns a fresh 256-bit key as 64 lowercase hex characters.
func GenerateAPIKey() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// MinAPIKeyLen is the shortest API key accepted in configuration.
const MinAPIKeyLen = 16

// APIKeyValidator accepts one of several static keys, compared in constant
// time, presented as "Authorization: Bearer" or "X-Api-Key".
type APIKeyValidator struct {
	keys   [][sha256.Size]byte
	ids    []*Identity // one per key, shared by its requests (read-only)
	scopes []string
}

// ParseAPIKeys splits a comma-separated key list, trimming blanks.
func ParseAPIKeys(list string) []string {
	var out []string
	for k := range strings.SplitSeq(list, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// NewAPIKeyValidator accepts any of keys. scopes nil means DefaultScopes.
func NewAPIKeyValidator(keys []string, scopes []string) (*APIKeyValidator, error) {
	if len(keys) == 0 {
		return nil, errors.New("api-key mode needs at least one key (ZSCALER_MCP_AUTH_API_KEY)")
	}
	v := &APIKeyValidator{scopes: scopes}
	if v.scopes == nil {
		v.scopes = DefaultScopes
	}
	for i, k := range keys {
		if len(k) < MinAPIKeyLen {
			return nil, fmt.Errorf("API key #%d is shorter than %d characters; generate one with --generate-auth-token", i+1, MinAPIKeyLen)
		}
		if !visible(k) {
			return nil, fmt.Errorf("API key #%d contains spaces or non-printable characters", i+1)
		}
		h := sha256.Sum256([]byte(k))
		v.keys = append(v.keys, h)
		// The subject names the key by a short fingerprint so sessions are
		// bound per key and logs can tell keys apart without revealing them.
		v.ids = append(v.ids, &Identity{Mode: ModeAPIKey, Subject: "api-key:" + hex.EncodeToString(h[:4]), Scopes: v.scopes})
	}
	return v, nil
}

// Name implements Validator.
func (v *APIKeyValidator) Name() string { return ModeAPIKey }

// Validate implements Validator.
func (v *APIKeyValidator) Validate(_ context.Context, _ *http.Request, c Credential) (*Identity, error) {
	if c.Kind != KindBearer && c.Kind != KindAPIKey {
		return nil, ErrNotMine
	}
	// Hash first so the compare is over fixed-length values; compare every
	// key so timing does not reveal which one (or whether any) matched.
	h := TokenHash(c.Token)
	match := -1
	for i := range v.keys {
		if subtle.ConstantTimeCompare(h[:], v.keys[i][:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return nil, ErrNotMine
	}
	return v.ids[match], nil
}

var _ Validator = (*APIKeyValidator)(nil)

// invalidKey is the rejection when no validator accepted a bearer/API key.
var invalidKey = Invalid("invalid API key or token", nil)

var _ = http.StatusUnauthorized

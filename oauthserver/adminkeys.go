package oauthserver

import (
	"context"
	"fmt"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// KeyInfo describes one of the AS's token signing keys (never the private
// part).
type KeyInfo struct {
	KID       string    `json:"kid"`
	Alg       string    `json:"alg"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	// NotAfter is when the key stops being published; zero: no end.
	NotAfter time.Time `json:"not_after,omitzero"`
}

// SigningKeys lists the signing keys in st, newest first: the active one
// and the retired ones that are still published. fosite's HMAC secret,
// kept in the same table, is not listed.
func SigningKeys(ctx context.Context, st store.SigningKeys) ([]KeyInfo, error) {
	rows, err := st.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: list signing keys: %w", err)
	}
	var out []KeyInfo
	for _, r := range rows {
		if r.Alg != algES256 {
			continue
		}
		out = append(out, KeyInfo{KID: r.KID, Alg: r.Alg, Active: r.Active, CreatedAt: r.CreatedAt, NotAfter: r.NotAfter})
	}
	return out, nil
}

// RotateSigningKeys creates a new signing key in st and retires the active
// ones, without a running Server (the `keys rotate` admin command). The
// retired keys stay published for overlap plus 5 minutes of clock skew. A
// server running on the same store keeps signing with its current key until
// its next key reload (RunKeyRotation's interval) and verifies the new one
// at once (an unknown kid reloads the keys), so overlap must cover that
// interval plus the access-token lifetime. It returns the new key's kid.
func RotateSigningKeys(ctx context.Context, st store.Store, overlap time.Duration) (string, error) {
	if overlap <= 0 {
		return "", fmt.Errorf("oauthserver: rotate signing keys: overlap must be positive, not %v", overlap)
	}
	km := &keyManager{st: st, now: time.Now, ttl: overlap}
	if err := km.rotate(ctx); err != nil {
		return "", err
	}
	k, err := km.current()
	if err != nil {
		return "", err
	}
	return k.kid, nil
}

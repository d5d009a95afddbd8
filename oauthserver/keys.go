package oauthserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite/token/jwt"

	"github.com/zscalermcp/zscaler-mcp/store"
)

const (
	algES256 = "ES256"
	// algHMACSecret marks the store row holding fosite's HMAC global secret
	// (it signs codes and refresh tokens). It is never published.
	algHMACSecret = "fosite-hmac-global-secret"
	kidHMACSecret = "fosite-global-secret"
	// keyClockSkew is added to a retired key's publication time.
	keyClockSkew = 5 * time.Minute
)

// keyManager owns the ES256 signing keys: it signs with the newest active
// key and verifies with any published key (by kid), so tokens signed before
// a rotation stay valid until they expire.
type keyManager struct {
	st     store.Store
	now    func() time.Time
	ttl    time.Duration // access-token lifetime: how long retired keys stay published
	period time.Duration // rotation period
	logger *slog.Logger

	mu         sync.RWMutex
	active     *signingKey
	published  []*signingKey // including active
	lastReload time.Time
}

// minReloadInterval bounds how often an unknown kid makes the key manager
// re-read the store (a key rotated in by another process).
const minReloadInterval = 5 * time.Second

type signingKey struct {
	kid       string
	priv      *ecdsa.PrivateKey
	createdAt time.Time
	notAfter  time.Time
	active    bool
}

// load reads the keys from the store and creates the first one if none
// is active, or rotates when the active key is older than the period.
func (km *keyManager) load(ctx context.Context) error {
	if err := km.reload(ctx); err != nil {
		return err
	}
	km.mu.RLock()
	a := km.active
	km.mu.RUnlock()
	if a == nil || (km.period > 0 && km.now().Sub(a.createdAt) >= km.period) {
		return km.rotate(ctx)
	}
	return nil
}

// reload replaces the in-memory key set with the store's.
func (km *keyManager) reload(ctx context.Context) error {
	rows, err := km.st.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("oauthserver: list signing keys: %w", err)
	}
	now := km.now()
	var active *signingKey
	var published []*signingKey
	for _, row := range rows { // newest first
		if row.Alg != algES256 {
			continue
		}
		if !row.NotAfter.IsZero() && !now.Before(row.NotAfter) {
			continue
		}
		priv, err := decodeKey(row.PrivateKey)
		if err != nil {
			return fmt.Errorf("oauthserver: signing key %s: %w", row.KID, err)
		}
		k := &signingKey{kid: row.KID, priv: priv, createdAt: row.CreatedAt, notAfter: row.NotAfter, active: row.Active}
		published = append(published, k)
		if row.Active && active == nil {
			active = k
		}
	}
	km.mu.Lock()
	km.active, km.published, km.lastReload = active, published, now
	km.mu.Unlock()
	return nil
}

// reloadIfStale re-reads the keys unless that was done in the last
// minReloadInterval; it reports whether it did.
func (km *keyManager) reloadIfStale(ctx context.Context) bool {
	km.mu.RLock()
	fresh := km.now().Sub(km.lastReload) < minReloadInterval
	km.mu.RUnlock()
	if fresh {
		return false
	}
	if err := km.reload(ctx); err != nil {
		if km.logger != nil {
			km.logger.Warn("oauthserver: reload signing keys", "err", err)
		}
		return false
	}
	return true
}

// rotate creates a new active key and retires the previous active ones:
// they stop signing now and stay published for one access-token lifetime
// (plus clock skew), until every token they signed has expired.
func (km *keyManager) rotate(ctx context.Context) error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("oauthserver: generate signing key: %w", err)
	}
	kid, err := randomToken(16)
	if err != nil {
		return err
	}
	pem, err := encodeKey(priv, kid)
	if err != nil {
		return err
	}
	now := km.now()
	rows, err := km.st.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("oauthserver: list signing keys: %w", err)
	}
	if err := km.st.CreateSigningKey(ctx, &store.SigningKey{KID: kid, Alg: algES256, PrivateKey: pem, CreatedAt: now, Active: true}); err != nil {
		return fmt.Errorf("oauthserver: store signing key: %w", err)
	}
	for _, row := range rows {
		if row.Alg == algES256 && row.Active {
			if err := km.st.DeactivateSigningKey(ctx, row.KID, now.Add(km.ttl+keyClockSkew)); err != nil {
				return fmt.Errorf("oauthserver: retire signing key %s: %w", row.KID, err)
			}
		}
	}
	if km.logger != nil {
		km.logger.Info("oauthserver: signing key rotated", "kid", kid)
	}
	return km.reload(ctx)
}

// current returns the key that signs new tokens.
func (km *keyManager) current() (*signingKey, error) {
	km.mu.RLock()
	defer km.mu.RUnlock()
	if km.active == nil {
		return nil, errors.New("oauthserver: no active signing key")
	}
	return km.active, nil
}

// lookup returns the published key with the given kid.
func (km *keyManager) lookup(kid string) (*signingKey, bool) {
	km.mu.RLock()
	defer km.mu.RUnlock()
	now := km.now()
	for _, k := range km.published {
		if k.kid == kid && (k.notAfter.IsZero() || now.Before(k.notAfter)) {
			return k, true
		}
	}
	return nil, false
}

// jwks returns the public keys that verifiers should accept.
func (km *keyManager) jwks() jose.JSONWebKeySet {
	km.mu.RLock()
	defer km.mu.RUnlock()
	now := km.now()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range km.published {
		if !k.notAfter.IsZero() && !now.Before(k.notAfter) {
			continue
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: algES256, Use: "sig"})
	}
	return set
}

func encodeKey(priv *ecdsa.PrivateKey, kid string) ([]byte, error) {
	b, err := json.Marshal(jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: algES256, Use: "sig"})
	if err != nil {
		return nil, fmt.Errorf("oauthserver: encode signing key: %w", err)
	}
	return b, nil
}

func decodeKey(b []byte) (*ecdsa.PrivateKey, error) {
	var k jose.JSONWebKey
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("decode JWK: %w", err)
	}
	priv, ok := k.Key.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("key is %T, want a P-256 private key", k.Key)
	}
	return priv, nil
}

// kidSigner is the jwt.Signer of fosite's JWT access-token strategy: it
// signs with the active key (adding its kid to the header) and verifies a
// token with the published key its kid names.
type kidSigner struct {
	km      *keyManager
	decoded *decodeCache // nil: no cache
}

var _ jwt.Signer = kidSigner{}

func (s kidSigner) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	k, err := s.km.current()
	if err != nil {
		return "", "", err
	}
	h := &jwt.Headers{Extra: map[string]any{}}
	if header != nil {
		for name, v := range header.ToMap() {
			h.Extra[name] = v
		}
	}
	h.Extra["kid"] = k.kid
	return (&jwt.DefaultSigner{GetPrivateKey: func(context.Context) (any, error) { return k.priv, nil }}).Generate(ctx, claims, h)
}

func (s kidSigner) keyFor(ctx context.Context, token string) (*jwt.DefaultSigner, error) {
	d, _, err := s.keyAndKID(ctx, token)
	return d, err
}

func (s kidSigner) keyAndKID(ctx context.Context, token string) (*jwt.DefaultSigner, string, error) {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return nil, "", &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed, Inner: errors.New("not a JWS")}
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return nil, "", &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed, Inner: err}
	}
	var h struct {
		Kid string `json:"kid"`
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, "", &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed, Inner: err}
	}
	k, ok := s.km.lookup(h.Kid)
	if !ok && s.km.reloadIfStale(ctx) {
		k, ok = s.km.lookup(h.Kid)
	}
	if !ok || h.Alg != algES256 {
		return nil, "", &jwt.ValidationError{Errors: jwt.ValidationErrorUnverifiable, Inner: fmt.Errorf("unknown kid %q or alg %q", h.Kid, h.Alg)}
	}
	return &jwt.DefaultSigner{GetPrivateKey: func(context.Context) (any, error) { return k.priv, nil }}, k.kid, nil
}

func (s kidSigner) Validate(ctx context.Context, token string) (string, error) {
	d, err := s.keyFor(ctx, token)
	if err != nil {
		return "", err
	}
	return d.Validate(ctx, token)
}

// Decode verifies token and returns it with its claims. A token verified
// before (decodeCache) is returned without a second signature check while
// the key that signed it is still published; callers check the claims.
func (s kidSigner) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	if hit, ok := s.decoded.get(token); ok {
		if _, published := s.km.lookup(hit.kid); published {
			return hit.tok, nil
		}
	}
	d, kid, err := s.keyAndKID(ctx, token)
	if err != nil {
		return nil, err
	}
	t, err := d.Decode(ctx, token)
	if err == nil && t != nil && t.Valid() {
		s.decoded.put(token, decoded{tok: t, kid: kid})
	}
	return t, err
}

func (kidSigner) Hash(ctx context.Context, in []byte) ([]byte, error) {
	return (&jwt.DefaultSigner{}).Hash(ctx, in)
}

func (kidSigner) GetSignature(ctx context.Context, token string) (string, error) {
	return (&jwt.DefaultSigner{}).GetSignature(ctx, token)
}

func (kidSigner) GetSigningMethodLength(ctx context.Context) int {
	return (&jwt.DefaultSigner{}).GetSigningMethodLength(ctx)
}

// globalSecret returns fosite's HMAC global secret (it signs authorization
// codes and refresh tokens, so it must survive restarts): a 32-byte random
// value kept in the store's signing-key table under an algorithm name no
// verifier accepts, created on first start.
func globalSecret(ctx context.Context, st store.Store) ([]byte, error) {
	rows, err := st.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: list signing keys: %w", err)
	}
	for _, row := range rows {
		if row.Alg == algHMACSecret && len(row.PrivateKey) >= 32 {
			return row.PrivateKey, nil
		}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("oauthserver: generate global secret: %w", err)
	}
	err = st.CreateSigningKey(ctx, &store.SigningKey{KID: kidHMACSecret, Alg: algHMACSecret, PrivateKey: secret, Active: true})
	if errors.Is(err, store.ErrAlreadyExists) {
		return globalSecret(ctx, st) // another process won the race
	}
	if err != nil {
		return nil, fmt.Errorf("oauthserver: store global secret: %w", err)
	}
	return secret, nil
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("oauthserver: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newClientID returns a fresh client id: 192 random bits, base64url, never
// starting with '-' or '_' (a leading dash would read as a flag on the
// admin command line).
func newClientID() (string, error) {
	for {
		id, err := randomToken(24)
		if err != nil || (id[0] != '-' && id[0] != '_') {
			return id, err
		}
	}
}

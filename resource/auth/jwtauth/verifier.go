package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// Signature algorithms the Verifier accepts. Everything else — "none" in
// any spelling, HMAC, and any other algorithm — is rejected.
const (
	RS256 = "RS256"
	PS256 = "PS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// Bounds and defaults of VerifierConfig.
const (
	// MaxTokenBytes bounds the encoded header plus payload of a token.
	MaxTokenBytes = 8 << 10
	// MaxHeaderBytes bounds the encoded header; a longer one is rejected
	// before it is decoded.
	MaxHeaderBytes = 2 << 10
	// maxSignatureBytes bounds the encoded signature (an 8192-bit RSA one).
	maxSignatureBytes = 1368
	// DefaultLeeway is the clock skew allowed on exp, nbf and iat.
	DefaultLeeway = 60 * time.Second
	// DefaultCacheSize is the number of verified tokens remembered.
	DefaultCacheSize = 10000
	// minRSABits is the smallest RSA modulus accepted.
	minRSABits = 2048
)

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Issuers, when non-empty, lists the accepted "iss" values, compared
	// byte for byte.
	Issuers []string
	// Audiences, when non-empty, lists accepted audiences: the token's "aud"
	// (a string or an array) must contain at least one of them.
	Audiences []string
	// Leeway is the clock skew allowed on exp, nbf and iat. 0 means
	// DefaultLeeway (60 s); a negative value means none; at most 10 min.
	Leeway time.Duration
	// CacheSize bounds the cache of verified tokens, keyed by the token's
	// SHA-256 and kept until the token expires. 0 means DefaultCacheSize; a
	// negative value disables the cache.
	CacheSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Claims are the claims of a verified token.
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	ExpiresAt time.Time
	// NotBefore and IssuedAt are zero when the token lacks them.
	NotBefore time.Time
	IssuedAt  time.Time
	// ClientID is the "client_id", "azp" or "appid" claim, the first present.
	ClientID string
	// KeyID and Algorithm are from the token's header.
	KeyID     string
	Algorithm string
	// Raw holds every claim of the payload. It is shared with the
	// verification cache: callers must not modify it.
	Raw map[string]any

	// identity memoises the Validator's Identity for these claims, so a
	// cached token costs no allocation per request.
	identity atomic.Pointer[auth.Identity]
}

// Verifier checks compact JWS tokens: algorithm, signature, exp, nbf, iat,
// iss and aud. It is safe for concurrent use.
type Verifier struct {
	keys      KeySet
	issuers   []string
	audiences []string
	leeway    time.Duration
	now       func() time.Time
	cache     *lru.Cache[[sha256.Size]byte, *Claims] // nil when disabled

	hits, misses, verifications atomic.Uint64
}

// NewVerifier returns a Verifier taking its keys from keys.
func NewVerifier(keys KeySet, cfg VerifierConfig) (*Verifier, error) {
	if keys == nil {
		return nil, errors.New("verifier needs a key set")
	}
	for _, s := range cfg.Issuers {
		if strings.TrimSpace(s) == "" {
			return nil, errors.New("issuer list contains an empty entry")
		}
	}
	for _, s := range cfg.Audiences {
		if strings.TrimSpace(s) == "" {
			return nil, errors.New("audience list contains an empty entry")
		}
	}
	v := &Verifier{
		keys:      keys,
		issuers:   slices.Clone(cfg.Issuers),
		audiences: slices.Clone(cfg.Audiences),
		leeway:    cfg.Leeway,
		now:       cfg.Now,
	}
	switch {
	case v.leeway == 0:
		v.leeway = DefaultLeeway
	case v.leeway < 0:
		v.leeway = 0
	case v.leeway > 10*time.Minute:
		return nil, fmt.Errorf("leeway %v is longer than 10m", v.leeway)
	}
	if v.now == nil {
		v.now = time.Now
	}
	if cfg.CacheSize >= 0 {
		c, err := lru.New[[sha256.Size]byte, *Claims](orDefault(cfg.CacheSize, DefaultCacheSize))
		if err != nil {
			return nil, fmt.Errorf("verification cache: %w", err)
		}
		v.cache = c
	}
	return v, nil
}

// cached looks token up in the verification cache: hit reports a token
// this verifier verified before, with its claims, or the error for a token
// that has expired since; sum is the cache key (zero when the cache is off).
func (v *Verifier) cached(token string) (c *Claims, sum [sha256.Size]byte, hit bool, err error) {
	if v.cache == nil {
		return nil, sum, false, nil
	}
	sum = auth.TokenHash(token)
	c, ok := v.cache.Get(sum)
	if !ok {
		return nil, sum, false, nil
	}
	if !v.now().Before(c.ExpiresAt.Add(v.leeway)) {
		v.cache.Remove(sum)
		return nil, sum, true, auth.Invalid("token expired", nil)
	}
	v.hits.Add(1)
	return c, sum, true, nil
}

// Verify checks token and returns its claims, or an *auth.Error: 401 with a
// specific reason for a bad token, 503 when the signing keys cannot be
// obtained. Claims are checked before the key is looked up, so a token that
// would be rejected anyway never causes a JWKS fetch.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	c, sum, hit, err := v.cached(token)
	if hit {
		return c, err
	}
	if v.cache != nil {
		v.misses.Add(1)
	}

	p, err := parse(token)
	if err != nil {
		return nil, err
	}
	c, err = v.checkClaims(p)
	if err != nil {
		return nil, err
	}
	jwk, err := v.keys.Key(ctx, p.kid, p.alg)
	if err != nil {
		var ae *auth.Error
		switch {
		case errors.As(err, &ae):
			return nil, err
		case errors.Is(err, ErrKeyNotFound):
			return nil, auth.Invalid("unknown signing key", err)
		default:
			return nil, auth.Unavailable("signing keys unavailable", time.Second, err)
		}
	}
	pub, err := publicKeyFor(jwk, p.alg)
	if err != nil {
		return nil, auth.Invalid("signing key does not fit the token's algorithm", err)
	}
	v.verifications.Add(1)
	if err := verifySignature(p.alg, pub, p.signingInput, p.signature); err != nil {
		return nil, auth.Invalid("bad signature", err)
	}
	if v.cache != nil {
		v.cache.Add(sum, c)
	}
	return c, nil
}

// Stats reports the verification cache counters and the number of
// signature checks performed.
func (v *Verifier) Stats() Stats {
	return Stats{CacheHits: v.hits.Load(), CacheMisses: v.misses.Load(), SignatureChecks: v.verifications.Load()}
}

// parsed is a token split and decoded, not yet trusted.
type parsed struct {
	alg, kid     string
	signingInput []byte
	signature    []byte
	claims       map[string]any
}

var b64 = base64.RawURLEncoding.Strict()

// parse splits a compact JWS and decodes its header and payload. Header
// parameters other than alg, kid and crit are never read: jku, x5u, jwk and
// x5c in particular are ignored, so a token cannot choose its own key.
func parse(token string) (*parsed, error) {
	if len(token) > MaxTokenBytes+maxSignatureBytes+2 {
		return nil, auth.Invalid("malformed token: too large", nil)
	}
	if n := strings.Count(token, "."); n != 2 {
		return nil, auth.Invalid(fmt.Sprintf("malformed token: a compact JWS has 3 segments, this has %d", n+1), nil)
	}
	h, rest, _ := strings.Cut(token, ".")
	pl, sig, _ := strings.Cut(rest, ".")
	switch {
	case len(h) > MaxHeaderBytes:
		return nil, auth.Invalid("malformed token: header too large", nil)
	case len(h)+len(pl) > MaxTokenBytes:
		return nil, auth.Invalid("malformed token: too large", nil)
	case len(sig) > maxSignatureBytes:
		return nil, auth.Invalid("malformed token: signature too large", nil)
	case h == "" || pl == "":
		return nil, auth.Invalid("malformed token: empty segment", nil)
	case !isBase64URL(token):
		return nil, auth.Invalid("malformed token: not base64url", nil)
	}

	hdrJSON, err := b64.DecodeString(h)
	if err != nil {
		return nil, auth.Invalid("malformed token: header is not base64url", err)
	}
	var hdr struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil {
		return nil, auth.Invalid("malformed token: header is not a JSON object", err)
	}
	if err := checkAlg(hdr.Alg); err != nil {
		return nil, err
	}
	if hdr.Crit != nil {
		return nil, auth.Invalid("unsupported token: critical header extensions (crit)", nil)
	}
	if sig == "" {
		return nil, auth.Invalid("malformed token: missing signature", nil)
	}
	signature, err := b64.DecodeString(sig)
	if err != nil {
		return nil, auth.Invalid("malformed token: signature is not base64url", err)
	}
	payload, err := b64.DecodeString(pl)
	if err != nil {
		return nil, auth.Invalid("malformed token: payload is not base64url", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims == nil {
		return nil, auth.Invalid("malformed token: payload is not a JSON object", err)
	}
	return &parsed{
		alg:          hdr.Alg,
		kid:          hdr.Kid,
		signingInput: []byte(token[:len(h)+1+len(pl)]),
		signature:    signature,
		claims:       claims,
	}, nil
}

func checkAlg(alg string) error {
	switch {
	case alg == RS256 || alg == PS256 || alg == ES256 || alg == EdDSA:
		return nil
	case alg == "":
		return auth.Invalid("malformed token: header has no alg", nil)
	case strings.EqualFold(alg, "none"):
		return auth.Invalid(`unsupported algorithm "none": unsigned tokens are never accepted`, nil)
	default:
		if len(alg) > 16 {
			alg = alg[:16] + "…"
		}
		return auth.Invalid(fmt.Sprintf("unsupported algorithm %q: only RS256, PS256, ES256 and EdDSA are accepted", alg), nil)
	}
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// checkClaims validates exp, nbf, iat, iss and aud.
func (v *Verifier) checkClaims(p *parsed) (*Claims, error) {
	m := p.claims
	c := &Claims{KeyID: p.kid, Algorithm: p.alg, Raw: m}
	var err error
	if c.Issuer, err = stringClaim(m, "iss"); err != nil {
		return nil, err
	}
	if c.Subject, err = stringClaim(m, "sub"); err != nil {
		return nil, err
	}
	for _, name := range []string{"client_id", "azp", "appid"} {
		if c.ClientID, err = stringClaim(m, name); err != nil {
			return nil, err
		}
		if c.ClientID != "" {
			break
		}
	}
	if c.Audience, err = audienceClaim(m); err != nil {
		return nil, err
	}
	var hasExp bool
	if c.ExpiresAt, hasExp, err = timeClaim(m, "exp"); err != nil {
		return nil, err
	}
	if c.NotBefore, _, err = timeClaim(m, "nbf"); err != nil {
		return nil, err
	}
	if c.IssuedAt, _, err = timeClaim(m, "iat"); err != nil {
		return nil, err
	}

	now := v.now()
	switch {
	case !hasExp:
		return nil, auth.Invalid("token has no expiry (exp)", nil)
	case !now.Before(c.ExpiresAt.Add(v.leeway)):
		return nil, auth.Invalid("token expired", nil)
	case !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(v.leeway)):
		return nil, auth.Invalid("token not yet valid (nbf)", nil)
	case !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(v.leeway)):
		return nil, auth.Invalid("token issued in the future (iat)", nil)
	}
	if len(v.issuers) > 0 {
		if c.Issuer == "" {
			return nil, auth.Invalid("token has no issuer (iss)", nil)
		}
		if !slices.Contains(v.issuers, c.Issuer) {
			return nil, auth.Invalid("wrong issuer: token issuer is not accepted by this server", nil)
		}
	}
	if len(v.audiences) > 0 {
		if len(c.Audience) == 0 {
			return nil, auth.Invalid("token has no audience (aud)", nil)
		}
		if !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(v.audiences, a) }) {
			return nil, auth.Invalid("wrong audience: token is not meant for this server", nil)
		}
	}
	return c, nil
}

func stringClaim(m map[string]any, name string) (string, error) {
	v, ok := m[name]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", auth.Invalid(fmt.Sprintf("malformed token: claim %q is not a string", name), nil)
	}
	return s, nil
}

func audienceClaim(m map[string]any) ([]string, error) {
	switch a := m["aud"].(type) {
	case nil:
		return nil, nil
	case string:
		return []string{a}, nil
	case []any:
		out := make([]string, 0, len(a))
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, auth.Invalid(`malformed token: claim "aud" holds a non-string`, nil)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, auth.Invalid(`malformed token: claim "aud" is neither a string nor an array`, nil)
	}
}

// timeClaim reads a NumericDate claim (seconds since the epoch).
func timeClaim(m map[string]any, name string) (time.Time, bool, error) {
	v, ok := m[name]
	if !ok || v == nil {
		return time.Time{}, false, nil
	}
	f, ok := v.(float64)
	if !ok || f < 0 || f > 1<<40 || math.IsNaN(f) {
		return time.Time{}, false, auth.Invalid(fmt.Sprintf("malformed token: claim %q is not a valid time", name), nil)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

// publicKeyFor returns k's public key if k may verify alg: its "alg", when
// set, must equal alg, its "use", when set, must be "sig", and its type
// must fit alg (RSA of at least 2048 bits for RS256/PS256, P-256 for ES256,
// Ed25519 for EdDSA). Private keys (from an in-process KeySet) are reduced
// to their public half.
func publicKeyFor(k jose.JSONWebKey, alg string) (crypto.PublicKey, error) {
	if k.Algorithm != "" && k.Algorithm != alg {
		return nil, fmt.Errorf("key %q is for %s, token uses %s", k.KeyID, k.Algorithm, alg)
	}
	if k.Use != "" && k.Use != "sig" {
		return nil, fmt.Errorf("key %q has use %q, not sig", k.KeyID, k.Use)
	}
	pub := k.Key
	switch priv := pub.(type) {
	case *rsa.PrivateKey:
		pub = &priv.PublicKey
	case *ecdsa.PrivateKey:
		pub = &priv.PublicKey
	case ed25519.PrivateKey:
		pub = priv.Public()
	}
	ok := false
	switch alg {
	case RS256, PS256:
		rk, isRSA := pub.(*rsa.PublicKey)
		ok = isRSA && rk.N != nil && rk.N.BitLen() >= minRSABits
	case ES256:
		ek, isEC := pub.(*ecdsa.PublicKey)
		ok = isEC && ek.Curve == elliptic.P256()
	case EdDSA:
		ek, isEd := pub.(ed25519.PublicKey)
		ok = isEd && len(ek) == ed25519.PublicKeySize
	}
	if !ok {
		return nil, fmt.Errorf("key %q (%T) cannot verify %s", k.KeyID, pub, alg)
	}
	return pub, nil
}

// verifySignature checks sig over input; pub has passed publicKeyFor.
func verifySignature(alg string, pub crypto.PublicKey, input, sig []byte) error {
	if alg == EdDSA {
		if !ed25519.Verify(pub.(ed25519.PublicKey), input, sig) {
			return errors.New("ed25519 verification failed")
		}
		return nil
	}
	h := sha256.Sum256(input)
	switch alg {
	case RS256:
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, h[:], sig)
	case PS256:
		return rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, h[:], sig, nil)
	case ES256:
		if len(sig) != 64 {
			return errors.New("ES256 signature is not 64 bytes")
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub.(*ecdsa.PublicKey), h[:], r, s) {
			return errors.New("ecdsa verification failed")
		}
		return nil
	}
	return errors.New("unsupported algorithm " + strconv.Quote(alg))
}

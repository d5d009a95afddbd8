package jwtauth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/jwtauth"
)

const (
	testIssuer   = "https://idp.example.test"
	testAudience = "https://mcp.example.test/mcp"
)

// Keys are generated once per test binary (RSA generation is slow).
var testKeys = sync.OnceValue(func() (k struct {
	rsa, rsa2  *rsa.PrivateKey
	ec, ec2    *ecdsa.PrivateKey
	ed         ed25519.PrivateKey
	attackerEC *ecdsa.PrivateKey
}) {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	var err error
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.ec2, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.attackerEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

// fakeClock is an injectable, manually advanced clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// jwksServer serves a mutable key set on loopback and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu           sync.Mutex
	keys         []jose.JSONWebKey
	cacheControl string
	down         bool
	fetches      atomic.Int64
}

func newJWKSServer(t testing.TB, keys ...jose.JSONWebKey) *jwksServer {
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.down {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		if s.cacheControl != "" {
			w.Header().Set("Cache-Control", s.cacheControl)
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(keys ...jose.JSONWebKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func (s *jwksServer) addKey(k jose.JSONWebKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
}

func (s *jwksServer) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *jwksServer) setCacheControl(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cacheControl = v
}

func (s *jwksServer) count() int { return int(s.fetches.Load()) }

// pubJWK is the public JWK of priv with kid and (optional) alg.
func pubJWK(priv crypto.Signer, kid, alg string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"}
}

// defaultKeys is the server's initial set: RSA (no alg, so RS256 and PS256),
// EC P-256 and Ed25519.
func defaultKeys() []jose.JSONWebKey {
	k := testKeys()
	return []jose.JSONWebKey{
		pubJWK(k.rsa, "rsa-1", ""),
		pubJWK(k.ec, "ec-1", jwtauth.ES256),
		pubJWK(k.ed, "ed-1", jwtauth.EdDSA),
	}
}

// env is one validator wired to one JWKS server and a fake clock.
type env struct {
	t     testing.TB
	clock *fakeClock
	jwks  *jwksServer
	v     *jwtauth.Validator
}

func newEnv(t testing.TB, mutate func(*jwtauth.Config)) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), jwks: newJWKSServer(t, defaultKeys()...)}
	cfg := jwtauth.Config{
		Mode:       auth.ModeJWT,
		JWKSURI:    e.jwks.URL + "/jwks.json",
		HTTPClient: e.jwks.Client(),
		Issuers:    []string{testIssuer},
		Audiences:  []string{testAudience},
		Now:        e.clock.Now,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := jwtauth.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.v = v
	return e
}

// claims returns valid claims at the env's current time, with overrides;
// an override of nil deletes the claim.
func (e *env) claims(over map[string]any) map[string]any {
	now := e.clock.Now().Unix()
	c := map[string]any{
		"iss": testIssuer,
		"aud": testAudience,
		"sub": "user-1",
		"azp": "client-a",
		"iat": now,
		"exp": now + 3600,
		"jti": rand.Text(), // distinct tokens bypass the verification cache
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// validate runs the validator on a bearer token.
func (e *env) validate(tok string) (*auth.Identity, error) {
	return e.validateKind(auth.KindBearer, tok)
}

func (e *env) validateKind(kind auth.Kind, tok string) (*auth.Identity, error) {
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	return e.v.Validate(context.Background(), r, auth.Credential{Kind: kind, Token: tok})
}

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// mint builds a compact JWS signed with key using signAlg. hdr entries are
// added to (or, when nil, removed from) the header {"alg": signAlg, "typ":
// "JWT"}; hdr may override "alg" to lie about the algorithm.
func mint(t testing.TB, signAlg string, key any, hdr, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": signAlg, "typ": "JWT"}
	for k, v := range hdr {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	hj, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	pj, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := enc(hj) + "." + enc(pj)
	return input + "." + enc(signBytes(t, signAlg, key, []byte(input)))
}

func signBytes(t testing.TB, alg string, key any, input []byte) []byte {
	t.Helper()
	h := sha256.Sum256(input)
	var sig []byte
	var err error
	switch alg {
	case "RS256":
		sig, err = rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), crypto.SHA256, h[:])
	case "PS256":
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES256":
		r, s, e := ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), h[:])
		if err = e; err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	case "EdDSA":
		sig = ed25519.Sign(key.(ed25519.PrivateKey), input)
	case "HS256":
		m := hmac.New(sha256.New, key.([]byte))
		m.Write(input)
		sig = m.Sum(nil)
	case "none":
		sig = nil
	default:
		t.Fatalf("mint: unknown alg %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// authError asserts err is an *auth.Error and returns it.
func authError(t testing.TB, err error) *auth.Error {
	t.Helper()
	var ae *auth.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *auth.Error", err, err)
	}
	return ae
}

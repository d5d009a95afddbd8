package jwtauth_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/jwtauth"
)

// TestValidate is the attack catalogue: each row mints a token against a
// fresh validator and JWKS server, and states the outcome and how many
// JWKS fetches it may cost.
func TestValidate(t *testing.T) {
	k := testKeys()
	rsaPubDER, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPubDER})

	// attacker is a JWKS server holding the attacker's key; it must never
	// be contacted.
	attacker := newJWKSServer(t, pubJWK(k.attackerEC, "attacker-1", jwtauth.ES256))
	attackerJWK, err := json.Marshal(pubJWK(k.attackerEC, "ec-1", jwtauth.ES256))
	if err != nil {
		t.Fatal(err)
	}
	var attackerJWKMap map[string]any
	if err := json.Unmarshal(attackerJWK, &attackerJWKMap); err != nil {
		t.Fatal(err)
	}

	type row struct {
		name    string
		cfg     func(*jwtauth.Config)
		setup   func(e *env)
		token   func(e *env) string
		kind    auth.Kind // default KindBearer
		notMine bool      // want auth.ErrNotMine
		reason  string    // substring of the rejection reason; "" accepts
		status  int       // default 401 when reason is set
		fetches int       // JWKS fetches the row may cost
	}
	es := func(hdr, over map[string]any) func(e *env) string {
		return func(e *env) string {
			h := map[string]any{"kid": "ec-1"}
			for hk, hv := range hdr {
				h[hk] = hv
			}
			return mint(e.t, "ES256", k.ec, h, e.claims(over))
		}
	}
	rows := []row{
		// Accepted, one per algorithm.
		{name: "RS256 accepted", fetches: 1, token: func(e *env) string {
			return mint(e.t, "RS256", k.rsa, map[string]any{"kid": "rsa-1"}, e.claims(nil))
		}},
		{name: "PS256 accepted", fetches: 1, token: func(e *env) string {
			return mint(e.t, "PS256", k.rsa, map[string]any{"kid": "rsa-1"}, e.claims(nil))
		}},
		{name: "ES256 accepted", fetches: 1, token: es(nil, nil)},
		{name: "EdDSA accepted", fetches: 1, token: func(e *env) string {
			return mint(e.t, "EdDSA", k.ed, map[string]any{"kid": "ed-1"}, e.claims(nil))
		}},
		{name: "no kid, single ES256 key", fetches: 1, token: es(map[string]any{"kid": nil}, nil)},
		{name: "aud array containing ours", fetches: 1, token: es(nil, map[string]any{"aud": []string{"other", testAudience}})},
		{name: "second configured audience matches", fetches: 1,
			cfg:   func(c *jwtauth.Config) { c.Audiences = []string{"https://first.test", "https://second.test"} },
			token: es(nil, map[string]any{"aud": "https://second.test"})},
		{name: "no issuer or audience configured", fetches: 1,
			cfg:   func(c *jwtauth.Config) { c.Issuers, c.Audiences = nil, nil },
			token: es(nil, map[string]any{"iss": "https://anyone.test", "aud": nil})},

		// Algorithm attacks: rejected before any key lookup.
		{name: `alg "none"`, reason: `unsupported algorithm "none"`, token: func(e *env) string {
			return mint(e.t, "none", nil, map[string]any{"kid": "ec-1"}, e.claims(nil))
		}},
		{name: `alg "None"`, reason: `unsupported algorithm "none"`, token: func(e *env) string {
			return mint(e.t, "none", nil, map[string]any{"alg": "None", "kid": "ec-1"}, e.claims(nil))
		}},
		{name: `alg "NONE"`, reason: `unsupported algorithm "none"`, token: func(e *env) string {
			return mint(e.t, "none", nil, map[string]any{"alg": "NONE", "kid": "ec-1"}, e.claims(nil))
		}},
		{name: "HS256 keyed with the RSA public key (PEM)", reason: `unsupported algorithm "HS256"`, token: func(e *env) string {
			return mint(e.t, "HS256", rsaPubPEM, map[string]any{"kid": "rsa-1"}, e.claims(nil))
		}},
		{name: "HS256 keyed with the RSA public key (DER)", reason: `unsupported algorithm "HS256"`, token: func(e *env) string {
			return mint(e.t, "HS256", rsaPubDER, map[string]any{"kid": "rsa-1"}, e.claims(nil))
		}},
		{name: "RS384 not accepted", reason: `unsupported algorithm "RS384"`, token: func(e *env) string {
			return mint(e.t, "RS256", k.rsa, map[string]any{"alg": "RS384", "kid": "rsa-1"}, e.claims(nil))
		}},
		{name: "lower-case es256 not accepted", reason: `unsupported algorithm "es256"`, token: es(map[string]any{"alg": "es256"}, nil)},
		{name: "missing alg", reason: "no alg", token: es(map[string]any{"alg": nil}, nil)},
		{name: "ES256 naming the RSA key", reason: "does not fit", fetches: 1, token: func(e *env) string {
			return mint(e.t, "ES256", k.ec, map[string]any{"kid": "rsa-1"}, e.claims(nil))
		}},
		{name: "RS256 naming the ES256 key", reason: "does not fit", fetches: 1, token: func(e *env) string {
			return mint(e.t, "RS256", k.rsa, map[string]any{"kid": "ec-1"}, e.claims(nil))
		}},
		{name: "JWKS alg pins the key: PS256 with an RS256 key", reason: "does not fit", fetches: 1,
			setup: func(e *env) { e.jwks.setKeys(pubJWK(k.rsa, "rsa-1", jwtauth.RS256)) },
			token: func(e *env) string {
				return mint(e.t, "PS256", k.rsa, map[string]any{"kid": "rsa-1"}, e.claims(nil))
			}},
		{name: "crit header", reason: "crit", token: es(map[string]any{"crit": []string{"b64"}, "b64": false}, nil)},

		// Key-injection headers are ignored.
		{name: "jku/x5u to attacker JWKS, attacker kid", reason: "unknown signing key", fetches: 1, token: func(e *env) string {
			return mint(e.t, "ES256", k.attackerEC, map[string]any{
				"kid": "attacker-1", "jku": attacker.URL + "/jwks.json", "x5u": attacker.URL + "/cert.pem",
			}, e.claims(nil))
		}},
		{name: "jku/x5u to attacker JWKS, our kid", reason: "bad signature", fetches: 1, token: func(e *env) string {
			return mint(e.t, "ES256", k.attackerEC, map[string]any{
				"kid": "ec-1", "jku": attacker.URL + "/jwks.json", "x5u": attacker.URL + "/cert.pem",
			}, e.claims(nil))
		}},
		{name: "embedded jwk with attacker key", reason: "bad signature", fetches: 1, token: func(e *env) string {
			return mint(e.t, "ES256", k.attackerEC, map[string]any{"kid": "ec-1", "jwk": attackerJWKMap}, e.claims(nil))
		}},
		{name: "embedded jwk, no kid", reason: "bad signature", fetches: 1, token: func(e *env) string {
			return mint(e.t, "ES256", k.attackerEC, map[string]any{"jwk": attackerJWKMap}, e.claims(nil))
		}},
		{name: "unknown kid", reason: "unknown signing key", fetches: 1, token: es(map[string]any{"kid": "nope"}, nil)},
		{name: "tampered payload", reason: "bad signature", fetches: 1, token: func(e *env) string {
			tok := mint(e.t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil))
			parts := strings.Split(tok, ".")
			forged, _ := json.Marshal(e.claims(map[string]any{"sub": "admin"}))
			return parts[0] + "." + enc(forged) + "." + parts[2]
		}},
		{name: "signature of another token", reason: "bad signature", fetches: 1, token: func(e *env) string {
			a := strings.Split(es(nil, nil)(e), ".")
			b := strings.Split(es(nil, nil)(e), ".")
			return a[0] + "." + a[1] + "." + b[2]
		}},

		// Time claims (60 s leeway).
		{name: "expired", reason: "token expired", token: es(nil, map[string]any{"exp": newClock().Now().Add(-2 * time.Minute).Unix()})},
		{name: "expired within leeway", fetches: 1, token: es(nil, map[string]any{"exp": newClock().Now().Add(-30 * time.Second).Unix()})},
		{name: "no exp", reason: "no expiry", token: es(nil, map[string]any{"exp": nil})},
		{name: "exp not a number", reason: `claim "exp"`, token: es(nil, map[string]any{"exp": "tomorrow"})},
		{name: "nbf beyond leeway", reason: "not yet valid", token: es(nil, map[string]any{"nbf": newClock().Now().Add(2 * time.Minute).Unix()})},
		{name: "nbf within leeway", fetches: 1, token: es(nil, map[string]any{"nbf": newClock().Now().Add(30 * time.Second).Unix()})},
		{name: "iat in the future", reason: "issued in the future", token: es(nil, map[string]any{"iat": newClock().Now().Add(5 * time.Minute).Unix()})},
		{name: "zero leeway rejects nbf 30 s ahead", reason: "not yet valid",
			cfg:   func(c *jwtauth.Config) { c.Leeway = -1 },
			token: es(nil, map[string]any{"nbf": newClock().Now().Add(30 * time.Second).Unix()})},

		// Issuer and audience.
		{name: "wrong iss", reason: "wrong issuer", token: es(nil, map[string]any{"iss": "https://evil.test"})},
		{name: "iss differs by trailing slash", reason: "wrong issuer", token: es(nil, map[string]any{"iss": testIssuer + "/"})},
		{name: "missing iss", reason: "no issuer", token: es(nil, map[string]any{"iss": nil})},
		{name: "wrong aud", reason: "wrong audience", token: es(nil, map[string]any{"aud": "https://other.test"})},
		{name: "wrong aud array", reason: "wrong audience", token: es(nil, map[string]any{"aud": []string{"a", "b"}})},
		{name: "missing aud", reason: "no audience", token: es(nil, map[string]any{"aud": nil})},
		{name: "aud of wrong type", reason: `"aud"`, token: es(nil, map[string]any{"aud": 42})},
		{name: "foreign issuer, ClaimOnlyIssuers", notMine: true,
			cfg:   func(c *jwtauth.Config) { c.ClaimOnlyIssuers = true },
			token: es(nil, map[string]any{"iss": "https://evil.test"})},
		{name: "own issuer, ClaimOnlyIssuers", fetches: 1,
			cfg:   func(c *jwtauth.Config) { c.ClaimOnlyIssuers = true },
			token: es(nil, nil)},
		{name: "no sub", reason: "no subject", fetches: 1, token: es(nil, map[string]any{"sub": nil})},

		// Shape and size.
		{name: "2 segments", reason: "3 segments, this has 2", token: func(e *env) string {
			tok := es(nil, nil)(e)
			return tok[:strings.LastIndex(tok, ".")]
		}},
		{name: "4 segments", reason: "3 segments, this has 4", token: func(e *env) string { return es(nil, nil)(e) + ".eyJ9" }},
		{name: "5 segments (JWE)", reason: "3 segments, this has 5", token: func(e *env) string {
			return enc([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)) + ".a.b.c.d"
		}},
		{name: "oversized header", reason: "header too large", token: es(map[string]any{"pad": strings.Repeat("A", 3000)}, nil)},
		{name: "oversized payload", reason: "too large", token: es(nil, map[string]any{"pad": strings.Repeat("A", 9000)})},
		{name: "header not JSON", reason: "header is not a JSON object", token: func(e *env) string {
			tok := es(nil, nil)(e)
			return "eyJub3Q" + tok[strings.Index(tok, "."):]
		}},
		{name: "payload not JSON", reason: "payload is not a JSON object", token: func(e *env) string {
			return strings.Join([]string{enc([]byte(`{"alg":"ES256","kid":"ec-1"}`)), enc([]byte("[1]")), "AAAA"}, ".")
		}},
		{name: "non-canonical base64", reason: "not base64url", token: func(e *env) string {
			// Flip a padding bit of the signature's last character: the
			// same bytes under the lax decoder, a different cache key.
			tok := es(nil, nil)(e)
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			last := strings.IndexByte(alphabet, tok[len(tok)-1])
			return tok[:len(tok)-1] + string(alphabet[last^1])
		}},

		// Not ours: passed on to the next validator.
		{name: "Basic credential", kind: auth.KindBasic, notMine: true, token: es(nil, nil)},
		{name: "JWT in X-Api-Key", kind: auth.KindAPIKey, notMine: true, token: es(nil, nil)},
		{name: "hex API key as bearer", notMine: true, token: func(*env) string { return auth.GenerateAPIKey() }},
		{name: "opaque dotted token", notMine: true, token: func(*env) string { return "abc.def.ghi" }},

		// Outage.
		{name: "JWKS down and cache cold", reason: "signing keys unavailable", status: http.StatusServiceUnavailable, fetches: 1,
			setup: func(e *env) { e.jwks.setDown(true) },
			token: es(nil, nil)},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			if tc.setup != nil {
				tc.setup(e)
			}
			kind := tc.kind
			if kind == auth.KindNone {
				kind = auth.KindBearer
			}
			id, err := e.validateKind(kind, tc.token(e))
			switch {
			case tc.notMine:
				if !errors.Is(err, auth.ErrNotMine) {
					t.Fatalf("got (%v, %v), want ErrNotMine", id, err)
				}
			case tc.reason == "":
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if id.Subject != "user-1" || id.Mode != auth.ModeJWT {
					t.Fatalf("identity = %+v", id)
				}
			default:
				if err == nil {
					t.Fatalf("accepted %+v, want rejection %q", id, tc.reason)
				}
				ae := authError(t, err)
				status := tc.status
				if status == 0 {
					status = http.StatusUnauthorized
				}
				if ae.Status != status || !strings.Contains(ae.Reason, tc.reason) {
					t.Fatalf("got %d %q, want %d containing %q", ae.Status, ae.Reason, status, tc.reason)
				}
				if status == http.StatusServiceUnavailable && ae.RetryAfter <= 0 {
					t.Fatalf("503 without Retry-After")
				}
			}
			if got := e.jwks.count(); got != tc.fetches {
				t.Errorf("JWKS fetches = %d, want %d", got, tc.fetches)
			}
		})
	}
	if n := attacker.count(); n != 0 {
		t.Errorf("attacker JWKS received %d requests, want 0", n)
	}
}

// TestUnknownKidFlood: a thousand concurrent random kids cost at most two
// fetches (the warm-up or cold fetch, plus one miss refetch), and a key
// rotated in afterwards is still accepted once the cooldown has passed.
func TestUnknownKidFlood(t *testing.T) {
	for _, warm := range []bool{true, false} {
		t.Run(fmt.Sprintf("warm=%v", warm), func(t *testing.T) {
			e := newEnv(t, nil)
			k := testKeys()
			if warm {
				if _, err := e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil))); err != nil {
					t.Fatal(err)
				}
			}
			const n = 1000
			toks := make([]string, n)
			for i := range toks {
				toks[i] = mint(t, "ES256", k.attackerEC, map[string]any{"kid": fmt.Sprintf("random-%d", i)}, e.claims(nil))
			}
			var wg sync.WaitGroup
			var unknown, other atomic.Int64
			start := make(chan struct{})
			for _, tok := range toks {
				wg.Go(func() {
					<-start
					_, err := e.validate(tok)
					var ae *auth.Error
					if errors.As(err, &ae) && ae.Status == 401 && ae.Reason == "unknown signing key" {
						unknown.Add(1)
					} else {
						other.Add(1)
					}
				})
			}
			close(start)
			wg.Wait()
			if unknown.Load() != n {
				t.Fatalf("%d of %d rejected as unknown signing key (%d otherwise)", unknown.Load(), n, other.Load())
			}
			if got := e.jwks.count(); got > 2 {
				t.Fatalf("flood cost %d JWKS fetches, want at most 2", got)
			}
			// New random kids one after another, within the cooldown: still
			// at most two fetches in all.
			for i := range 50 {
				tok := mint(t, "ES256", k.attackerEC, map[string]any{"kid": fmt.Sprintf("sequential-%d", i)}, e.claims(nil))
				if _, err := e.validate(tok); err == nil {
					t.Fatal("random kid accepted")
				}
			}
			if got := e.jwks.count(); got > 2 {
				t.Fatalf("flood and sequential unknown kids cost %d JWKS fetches, want at most 2", got)
			}
			before := e.jwks.count()
			// The same kids again, after the cooldown: the negative cache
			// answers, no fetch.
			e.clock.Advance(jwtauth.DefaultRefetchCooldown + time.Second)
			for _, tok := range toks[:100] {
				if _, err := e.validate(tok); err == nil {
					t.Fatal("random kid accepted")
				}
			}
			if got := e.jwks.count(); got != before {
				t.Fatalf("repeated unknown kids cost %d fetches, want 0", got-before)
			}
			// A legitimate rotation is still picked up by one refetch.
			e.jwks.addKey(pubJWK(k.ec2, "ec-2", jwtauth.ES256))
			if _, err := e.validate(mint(t, "ES256", k.ec2, map[string]any{"kid": "ec-2"}, e.claims(nil))); err != nil {
				t.Fatalf("rotated key rejected after flood: %v", err)
			}
			if got := e.jwks.count(); got != before+1 {
				t.Fatalf("rotation cost %d fetches, want 1", got-before)
			}
		})
	}
}

// TestKeyRotation: a kid added to the JWKS after start is accepted after
// exactly one refetch; a kid removed stops being accepted once the cached
// set goes stale.
func TestKeyRotation(t *testing.T) {
	e := newEnv(t, nil)
	k := testKeys()
	if _, err := e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil))); err != nil {
		t.Fatal(err)
	}
	if got := e.jwks.count(); got != 1 {
		t.Fatalf("warm-up fetches = %d", got)
	}
	e.jwks.setKeys(pubJWK(k.ec, "ec-1", jwtauth.ES256), pubJWK(k.ec2, "ec-2", jwtauth.ES256))
	for i := range 3 {
		if _, err := e.validate(mint(t, "ES256", k.ec2, map[string]any{"kid": "ec-2"}, e.claims(nil))); err != nil {
			t.Fatalf("rotated key, token %d: %v", i, err)
		}
	}
	if got := e.jwks.count(); got != 2 {
		t.Fatalf("fetches after rotation = %d, want 2 (exactly one refetch)", got)
	}

	// Retire ec-1: still accepted while the set is fresh, rejected after.
	e.jwks.setKeys(pubJWK(k.ec2, "ec-2", jwtauth.ES256))
	if _, err := e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil))); err != nil {
		t.Fatalf("ec-1 rejected while cached set is fresh: %v", err)
	}
	e.clock.Advance(jwtauth.DefaultJWKSTTL + time.Second)
	_, err := e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil)))
	if ae := authError(t, err); ae.Reason != "unknown signing key" {
		t.Fatalf("retired key: %v", err)
	}
}

// TestJWKSOutage: a warm cache keeps working while the JWKS is down; a cold
// one answers 503 with Retry-After and does not hammer the JWKS.
func TestJWKSOutage(t *testing.T) {
	k := testKeys()
	t.Run("warm", func(t *testing.T) {
		e := newEnv(t, nil)
		if _, err := e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil))); err != nil {
			t.Fatal(err)
		}
		e.jwks.setDown(true)
		e.clock.Advance(jwtauth.DefaultJWKSTTL + time.Second) // stale: a refresh is attempted and fails
		for range 5 {
			if _, err := e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil))); err != nil {
				t.Fatalf("known key rejected during outage: %v", err)
			}
		}
		if got := e.jwks.count(); got != 2 {
			t.Fatalf("fetches = %d, want 2 (one failed refresh, then back-off)", got)
		}
		// An unknown kid cannot be told from a rotated key: 503, not 401.
		_, err := e.validate(mint(t, "ES256", k.ec2, map[string]any{"kid": "ec-2"}, e.claims(nil)))
		if ae := authError(t, err); ae.Status != http.StatusServiceUnavailable || ae.RetryAfter <= 0 {
			t.Fatalf("unknown kid during outage: %d %q retry %v", ae.Status, ae.Reason, ae.RetryAfter)
		}
		if s := e.v.Stats(); s.JWKSFetches != 2 || s.JWKSFetchErrors != 1 {
			t.Fatalf("stats = %+v", s)
		}
		// Recovery after the cooldown.
		e.jwks.setDown(false)
		e.jwks.addKey(pubJWK(k.ec2, "ec-2", jwtauth.ES256))
		e.clock.Advance(jwtauth.DefaultRefetchCooldown)
		if _, err := e.validate(mint(t, "ES256", k.ec2, map[string]any{"kid": "ec-2"}, e.claims(nil))); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
	})
	t.Run("cold", func(t *testing.T) {
		e := newEnv(t, nil)
		e.jwks.setDown(true)
		tok := func() string { return mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil)) }
		for range 3 {
			_, err := e.validate(tok())
			ae := authError(t, err)
			if ae.Status != http.StatusServiceUnavailable || ae.RetryAfter <= 0 || ae.Err == nil {
				t.Fatalf("got %d %q retry %v", ae.Status, ae.Reason, ae.RetryAfter)
			}
		}
		if got := e.jwks.count(); got != 1 {
			t.Fatalf("fetches = %d, want 1 within the cooldown", got)
		}
		e.jwks.setDown(false)
		e.clock.Advance(jwtauth.DefaultRefetchCooldown)
		if _, err := e.validate(tok()); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
	})
	t.Run("cold, connection refused", func(t *testing.T) {
		e := newEnv(t, nil)
		e.jwks.Close()
		_, err := e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil)))
		if ae := authError(t, err); ae.Status != http.StatusServiceUnavailable || ae.RetryAfter <= 0 {
			t.Fatalf("got %d %q", ae.Status, ae.Reason)
		}
	})
}

// TestCacheControl: known kids cause no refetch within max-age (bounded to
// [1 min, 24 h]) and one refetch after it.
func TestCacheControl(t *testing.T) {
	k := testKeys()
	rows := []struct {
		header       string
		fresh, stale time.Duration // still fresh after `fresh`, stale after `stale`
	}{
		{header: "public, max-age=120", fresh: 119 * time.Second, stale: 121 * time.Second},
		{header: "max-age=5", fresh: 59 * time.Second, stale: 61 * time.Second}, // raised to 1 min
		{header: "max-age=0", fresh: 59 * time.Second, stale: 61 * time.Second},
		{header: "no-store", fresh: 59 * time.Second, stale: 61 * time.Second},
		{header: "", fresh: 9 * time.Minute, stale: 11 * time.Minute},                         // default 10 min
		{header: "max-age=garbage", fresh: 9 * time.Minute, stale: 11 * time.Minute},          // default
		{header: "max-age=2592000", fresh: 23 * time.Hour, stale: 24*time.Hour + time.Second}, // capped at 24 h
	}
	for _, tc := range rows {
		t.Run(tc.header, func(t *testing.T) {
			e := newEnv(t, nil)
			e.jwks.setCacheControl(tc.header)
			start := e.clock.Now()
			check := func(wantFetches int) {
				t.Helper()
				if _, err := e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil))); err != nil {
					t.Fatal(err)
				}
				if got := e.jwks.count(); got != wantFetches {
					t.Fatalf("at +%v: fetches = %d, want %d", e.clock.Now().Sub(start), got, wantFetches)
				}
			}
			check(1)
			e.clock.Advance(tc.fresh)
			check(1)
			e.clock.Advance(tc.stale - tc.fresh)
			check(2)
			check(2)
		})
	}
}

// TestVerificationCache: a reused token is verified once, served from the
// cache afterwards, and rejected from the cache once expired.
func TestVerificationCache(t *testing.T) {
	k := testKeys()
	e := newEnv(t, nil)
	tok := mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(map[string]any{"exp": e.clock.Now().Add(5 * time.Minute).Unix()}))
	for range 3 {
		if _, err := e.validate(tok); err != nil {
			t.Fatal(err)
		}
	}
	if s := e.v.Stats(); s.SignatureChecks != 1 || s.CacheHits != 2 || s.CacheMisses != 1 || s.JWKSFetches != 1 {
		t.Fatalf("stats = %+v, want 1 signature check, 2 hits, 1 miss, 1 fetch", s)
	}
	// The key vanishing does not matter to a cached token...
	e.jwks.setKeys(pubJWK(k.ed, "ed-1", jwtauth.EdDSA))
	e.clock.Advance(time.Minute)
	if _, err := e.validate(tok); err != nil {
		t.Fatalf("cached token: %v", err)
	}
	// ...but its expiry does.
	e.clock.Advance(5*time.Minute + jwtauth.DefaultLeeway)
	_, err := e.validate(tok)
	if ae := authError(t, err); ae.Reason != "token expired" {
		t.Fatalf("expired cached token: %v", err)
	}
	if s := e.v.Stats(); s.SignatureChecks != 1 {
		t.Fatalf("signature checks = %d, want 1", s.SignatureChecks)
	}

	t.Run("disabled", func(t *testing.T) {
		e := newEnv(t, func(c *jwtauth.Config) { c.CacheSize = -1 })
		tok := mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil))
		for range 3 {
			if _, err := e.validate(tok); err != nil {
				t.Fatal(err)
			}
		}
		if s := e.v.Stats(); s.SignatureChecks != 3 || s.CacheHits != 0 {
			t.Fatalf("stats = %+v", s)
		}
	})
}

// TestIdentity checks the Identity built from an accepted token.
func TestIdentity(t *testing.T) {
	k := testKeys()
	rows := []struct {
		name       string
		mode       string
		scopes     []string
		over       map[string]any
		wantClient string
		wantScopes []string
	}{
		{name: "azp", mode: auth.ModeJWT, wantClient: "client-a", wantScopes: auth.DefaultScopes},
		{name: "client_id wins", mode: auth.ModeOIDC, over: map[string]any{"client_id": "cid", "appid": "app"}, wantClient: "cid", wantScopes: auth.DefaultScopes},
		{name: "appid", mode: auth.ModeJWT, over: map[string]any{"azp": nil, "appid": "app"}, wantClient: "app", wantScopes: auth.DefaultScopes},
		{name: "none", mode: auth.ModeJWT, over: map[string]any{"azp": nil}, wantClient: ""},
		{name: "read-only", mode: auth.ModeJWT, scopes: []string{auth.ScopeRead}, wantClient: "client-a", wantScopes: []string{auth.ScopeRead}},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *jwtauth.Config) { c.Mode, c.Scopes = tc.mode, tc.scopes })
			if e.v.Name() != tc.mode {
				t.Fatalf("Name() = %q", e.v.Name())
			}
			cl := e.claims(tc.over)
			id, err := e.validate(mint(t, "EdDSA", k.ed, map[string]any{"kid": "ed-1"}, cl))
			if err != nil {
				t.Fatal(err)
			}
			if id.Mode != tc.mode || id.Subject != "user-1" || id.Issuer != testIssuer || id.ClientID != tc.wantClient {
				t.Fatalf("identity = %+v", id)
			}
			if tc.wantScopes != nil && strings.Join(id.Scopes, " ") != strings.Join(tc.wantScopes, " ") {
				t.Fatalf("scopes = %v, want %v", id.Scopes, tc.wantScopes)
			}
			if !id.ExpiresAt.Equal(time.Unix(cl["exp"].(int64), 0)) {
				t.Fatalf("ExpiresAt = %v", id.ExpiresAt)
			}
			if id.Claims["jti"] != cl["jti"] || id.Claims["sub"] != "user-1" {
				t.Fatalf("claims = %v", id.Claims)
			}
		})
	}
}

// staticKeys is an in-process KeySet, as our own authorization server
// would provide.
type staticKeys map[string]jose.JSONWebKey

func (s staticKeys) Key(_ context.Context, kid, _ string) (jose.JSONWebKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return jose.JSONWebKey{}, fmt.Errorf("kid %q: %w", kid, jwtauth.ErrKeyNotFound)
}

// TestLocalKeySet plugs an in-process KeySet (holding a private key) into
// the Validator.
func TestLocalKeySet(t *testing.T) {
	k := testKeys()
	clock := newClock()
	v, err := jwtauth.New(jwtauth.Config{
		Mode:      auth.ModeJWT,
		Keys:      staticKeys{"local": {Key: k.ec2, KeyID: "local", Algorithm: jwtauth.ES256}},
		Issuers:   []string{testIssuer},
		Audiences: []string{testAudience},
		Now:       clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: clock, v: v}
	if _, err := e.validate(mint(t, "ES256", k.ec2, map[string]any{"kid": "local"}, e.claims(nil))); err != nil {
		t.Fatal(err)
	}
	_, err = e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "other"}, e.claims(nil)))
	if ae := authError(t, err); ae.Reason != "unknown signing key" {
		t.Fatalf("got %v", err)
	}
	if s := v.Stats(); s.JWKSFetches != 0 || s.SignatureChecks != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

// TestNewRejectsBadConfig checks constructor validation.
func TestNewRejectsBadConfig(t *testing.T) {
	ok := jwtauth.Config{Mode: auth.ModeJWT, JWKSURI: "https://idp.test/jwks"}
	rows := []struct {
		name string
		mut  func(*jwtauth.Config)
		want string
	}{
		{"bad mode", func(c *jwtauth.Config) { c.Mode = "api-key" }, "mode"},
		{"no JWKS", func(c *jwtauth.Config) { c.JWKSURI = "" }, "JWKS URI"},
		{"relative JWKS", func(c *jwtauth.Config) { c.JWKSURI = "/jwks" }, "http(s)"},
		{"ftp JWKS", func(c *jwtauth.Config) { c.JWKSURI = "ftp://idp.test/jwks" }, "http(s)"},
		{"JWKS with credentials", func(c *jwtauth.Config) { c.JWKSURI = "https://u:p@idp.test/jwks" }, "credentials"},
		{"both JWKS and Keys", func(c *jwtauth.Config) { c.Keys = staticKeys{} }, "not both"},
		{"empty issuer", func(c *jwtauth.Config) { c.Issuers = []string{""} }, "issuer"},
		{"empty audience", func(c *jwtauth.Config) { c.Audiences = []string{" "} }, "audience"},
		{"ClaimOnlyIssuers without issuers", func(c *jwtauth.Config) { c.ClaimOnlyIssuers = true }, "ClaimOnlyIssuers"},
		{"huge leeway", func(c *jwtauth.Config) { c.Leeway = time.Hour }, "leeway"},
		{"negative cooldown", func(c *jwtauth.Config) { c.RefetchCooldown = -time.Second }, "negative"},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mut(&cfg)
			_, err := jwtauth.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := jwtauth.New(ok); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

// TestJWKSBodyBounded: an oversized or useless JWKS is a fetch failure.
func TestJWKSBodyBounded(t *testing.T) {
	k := testKeys()
	privJWK, err := json.Marshal(jose.JSONWebKey{Key: k.ec, KeyID: "ec-1", Algorithm: jwtauth.ES256})
	if err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		name string
		body string
	}{
		{"oversized", `{"keys":[],"pad":"` + strings.Repeat("A", jwtauth.DefaultJWKSMaxBytes) + `"}`},
		{"not JSON", "<html>"},
		{"only a symmetric key", `{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"ec-1"}]}`},
		{"only a private key", `{"keys":[` + string(privJWK) + `]}`},
		{"unknown key type", `{"keys":[{"kty":"XYZ","kid":"ec-1"}]}`},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			clock := newClock()
			v, err := jwtauth.New(jwtauth.Config{Mode: auth.ModeJWT, JWKSURI: srv.URL, HTTPClient: srv.Client(), Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			e := &env{t: t, clock: clock, v: v}
			_, err = e.validate(mint(t, "ES256", k.ec, map[string]any{"kid": "ec-1"}, e.claims(nil)))
			if ae := authError(t, err); ae.Status != http.StatusServiceUnavailable {
				t.Fatalf("got %d %q (%v)", ae.Status, ae.Reason, ae.Err)
			}
		})
	}
}

// BenchmarkVerifyCold measures a full verification (parse, claims, key
// lookup in the warm JWKS cache, ES256 signature) with the verified-token
// cache disabled.
func BenchmarkVerifyCold(b *testing.B) {
	benchValidate(b, -1)
}

// BenchmarkVerifyCached measures a token reused from the verified-token
// cache.
func BenchmarkVerifyCached(b *testing.B) {
	benchValidate(b, 0)
}

func benchValidate(b *testing.B, cacheSize int) {
	e := newEnv(b, func(c *jwtauth.Config) { c.CacheSize = cacheSize })
	c := auth.Credential{Kind: auth.KindBearer, Token: mint(b, "ES256", testKeys().ec, map[string]any{"kid": "ec-1"}, e.claims(nil))}
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	ctx := context.Background()
	if _, err := e.v.Validate(ctx, r, c); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.v.Validate(ctx, r, c); err != nil {
			b.Fatal(err)
		}
	}
}

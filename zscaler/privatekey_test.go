package zscaler

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

func rsaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func pkcs8(t *testing.T, k any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "PRIVATE KEY", der)
}

func TestPrivateKeyJWTAcceptedByTokenEndpoint(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	rk := rsaKey(t, 2048)
	for _, tc := range []struct {
		name    string
		pemKey  string
		pub     any
		wantAlg string
	}{
		{"RSA PKCS#8", pkcs8(t, rk), &rk.PublicKey, "RS256"},
		{"RSA PKCS#1", pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)), &rk.PublicKey, "RS256"},
		{"EC SEC1", pemOf(t, "EC PRIVATE KEY", ecDER), &ecKey.PublicKey, "ES256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := zscalertest.New(t)
			s.RegisterPublicKey(tc.pub)
			req := statusRoute(s)
			c := newClient(t, s, func(c *Config) { c.ClientSecret, c.PrivateKey = "", tc.pemKey })
			getStatus(t, c, req)
			forms := s.TokenForms()
			if len(forms) != 1 {
				t.Fatalf("token requests = %d, want 1", len(forms))
			}
			f := forms[0]
			if f.Get("client_secret") != "" || f.Get("client_assertion_type") != AssertionType || f.Get("client_id") != s.ClientID {
				t.Fatalf("token form = %v, want client_id + client_assertion, no secret", f)
			}
			claims, alg := assertionClaims(t, f.Get("client_assertion"))
			if alg != tc.wantAlg {
				t.Errorf("alg = %s, want %s", alg, tc.wantAlg)
			}
			if claims["iss"] != s.ClientID || claims["sub"] != s.ClientID || claims["aud"] != Audience {
				t.Errorf("claims = %v, want iss = sub = client id, aud = %s", claims, Audience)
			}
			exp, iat := claims["exp"].(float64), claims["iat"].(float64)
			if life := exp - iat; life <= 0 || life > 600 {
				t.Errorf("assertion lifetime = %v s, want short", life)
			}
			if jti, _ := claims["jti"].(string); len(jti) < 16 {
				t.Errorf("jti = %q, want a random id", jti)
			}
		})
	}
}

func TestPrivateKeyJWTFreshAssertionPerTokenRequest(t *testing.T) {
	// The stand-in refuses a replayed jti: a second token request must work.
	rk := rsaKey(t, 2048)
	s := zscalertest.New(t)
	s.RegisterPublicKey(&rk.PublicKey)
	req := statusRoute(s)
	c := newClient(t, s, func(c *Config) { c.ClientSecret, c.PrivateKey = "", pkcs8(t, rk) })
	getStatus(t, c, req)
	s.ExpireTokens()
	getStatus(t, c, req)
	if n := s.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
}

func TestPrivateKeyJWTWrongKeyRefused(t *testing.T) {
	registered, used := rsaKey(t, 2048), rsaKey(t, 2048)
	s := zscalertest.New(t)
	s.RegisterPublicKey(&registered.PublicKey)
	req := statusRoute(s)
	key := pkcs8(t, used)
	c := newClient(t, s, func(c *Config) { c.ClientSecret, c.PrivateKey = "", key })
	err := c.Do(context.Background(), req, nil)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "refused the client credentials") || !strings.Contains(msg, "signature does not verify") {
		t.Errorf("message %q does not say why", msg)
	}
	if strings.Contains(msg, "PRIVATE KEY") || strings.Contains(msg, key[40:80]) {
		t.Errorf("message %q leaks the key", msg)
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d API requests sent without a token", n)
	}
}

func assertionClaims(t *testing.T, a string) (map[string]any, string) {
	t.Helper()
	sig, err := jose.ParseSigned(a, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384, jose.ES512})
	if err != nil {
		t.Fatalf("assertion %q: %v", a, err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(sig.UnsafePayloadWithoutVerification(), &claims); err != nil {
		t.Fatal(err)
	}
	return claims, sig.Signatures[0].Header.Algorithm
}

func TestLoadPrivateKey(t *testing.T) {
	rk := rsaKey(t, 2048)
	good := pkcs8(t, rk)
	dir := t.TempDir()
	file := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(file, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	jwk, err := json.Marshal(jose.JSONWebKey{Key: rk})
	if err != nil {
		t.Fatal(err)
	}
	pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: &rk.PublicKey})
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	small := rsaKey(t, 1024)
	der, _ := x509.MarshalPKCS8PrivateKey(rk)
	encrypted := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"}, Bytes: der}))
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

	for _, tc := range []struct {
		name, value, wantAlg, wantErr string
	}{
		{"inline PEM", good, "RS256", ""},
		{"inline PEM with literal \\n escapes", strings.ReplaceAll(good, "\n", `\n`), "RS256", ""},
		{"file path", file, "RS256", ""},
		{"inline JWK", string(jwk), "RS256", ""},
		{"EC P-384", pkcs8(t, p384), "ES384", ""},
		{"missing file", filepath.Join(dir, "nope.pem"), "", "neither an inline PEM key nor a readable key file"},
		{"no key block", cert, "", "no PEM private key found"},
		{"encrypted PEM", encrypted, "", "encrypted"},
		{"RSA too small", pkcs8(t, small), "", "1024 bits; at least 2048"},
		{"public JWK", string(pubJWK), "", "public key"},
		{"broken JWK", "{not json", "", "not valid JSON Web Key"},
		{"corrupt PEM body", pemOf(t, "PRIVATE KEY", []byte("garbage")), "", "cannot parse the PRIVATE KEY block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := loadPrivateKey(tc.value)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tc.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "ZSCALER_PRIVATE_KEY") {
					t.Errorf("err %q does not name ZSCALER_PRIVATE_KEY", err)
				}
				if strings.Contains(err.Error(), "MII") {
					t.Errorf("err %q contains key material", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(k.alg) != tc.wantAlg {
				t.Fatalf("alg = %s, want %s", k.alg, tc.wantAlg)
			}
			a, err := k.assertion("cid", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if claims, _ := assertionClaims(t, a); claims["iss"] != "cid" {
				t.Fatalf("claims = %v", claims)
			}
		})
	}
}

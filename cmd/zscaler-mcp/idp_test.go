package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// testIdP is a loopback OpenID provider: discovery, a JWKS with one ES256
// key, and a signer for tokens; plus a Zscaler-style client-credentials
// token endpoint that counts calls.
type testIdP struct {
	URL        string
	key        *ecdsa.PrivateKey
	jwksHits   atomic.Int64
	tokenCalls atomic.Int64
	// tokenStatus, when non-zero, is returned by the token endpoint.
	tokenStatus atomic.Int64
	// secrets maps Zscaler client ids to their valid secret.
	secrets map[string]string
}

func newTestIdP(t *testing.T) *testIdP {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &testIdP{key: key, secrets: map[string]string{"client-a": "secret-a", "client-b": "secret-b"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.URL, "jwks_uri": p.URL + "/jwks", "authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.jwksHits.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /oauth2/v1/token", func(w http.ResponseWriter, r *http.Request) {
		p.tokenCalls.Add(1)
		if s := p.tokenStatus.Load(); s != 0 {
			w.WriteHeader(int(s))
			_, _ = w.Write([]byte(`{"error":"server_error"}`))
			return
		}
		id, sec := r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		if want, ok := p.secrets[id]; !ok || want != sec || r.PostFormValue("audience") != "https://api.zscaler.com" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		claims, _ := json.Marshal(map[string]any{"sub": id, "service-info": []map[string]string{{"prd": "ZIA"}}})
		tok := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// token mints an ES256 JWT; claims override the defaults (iss = the IdP,
// aud = "zscaler-mcp", sub = "user-1", exp = +1h).
func (p *testIdP) token(t *testing.T, claims map[string]any) string {
	t.Helper()
	c := map[string]any{"iss": p.URL, "aud": "zscaler-mcp", "sub": "user-1", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(c)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

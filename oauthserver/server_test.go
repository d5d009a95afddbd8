package oauthserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// TestMetadata: RFC 8414 at both well-known paths, issuer byte-identical
// to the public URL (RFC 8414 §3.3).
func TestMetadata(t *testing.T) {
	e := newEnv(t, nil)
	var docs [][]byte
	for _, p := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		resp, err := http.Get(e.base + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		docs = append(docs, b)
	}
	if string(docs[0]) != string(docs[1]) {
		t.Error("the two metadata documents differ")
	}
	var m map[string]any
	if err := json.Unmarshal(docs[0], &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer":                                         e.public,
		"authorization_endpoint":                         e.public + "/authorize",
		"token_endpoint":                                 e.public + "/token",
		"registration_endpoint":                          e.public + "/register",
		"revocation_endpoint":                            e.public + "/revoke",
		"introspection_endpoint":                         e.public + "/introspect",
		"jwks_uri":                                       e.public + "/jwks.json",
		"response_types_supported":                       []any{"code"},
		"response_modes_supported":                       []any{"query"},
		"grant_types_supported":                          []any{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []any{"S256"},
		"token_endpoint_auth_methods_supported":          []any{"none", "client_secret_basic", "client_secret_post"},
		"scopes_supported":                               []any{"zscaler.read", "zscaler.write"},
		"client_id_metadata_document_supported":          true,
		"authorization_response_iss_parameter_supported": true,
	}
	for k, v := range want {
		if !reflect.DeepEqual(m[k], v) {
			t.Errorf("metadata %s = %v, want %v", k, m[k], v)
		}
	}
	if e.srv.Issuer() != e.public {
		t.Errorf("Issuer() = %q", e.srv.Issuer())
	}
}

// TestKeyRotation: a rotated-out key stays published (and its tokens
// valid) until its tokens have expired; new tokens use the new key.
func TestKeyRotation(t *testing.T) {
	e := newEnv(t, nil)
	code, verifier := e.authorize(e.conf)
	_, tok1 := e.exchange(e.conf, code, verifier, nil)
	kid1 := kidOf(t, str(tok1, "access_token"))

	if err := e.srv.RotateKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, verifier = e.authorize(e.conf)
	_, tok2 := e.exchange(e.conf, code, verifier, nil)
	kid2 := kidOf(t, str(tok2, "access_token"))
	if kid1 == kid2 {
		t.Fatal("the new token is signed with the old key")
	}
	set := e.fetchJWKS()
	if len(set.Key(kid1)) != 1 || len(set.Key(kid2)) != 1 {
		t.Errorf("JWKS kids %v, want both %s and %s", kids(set), kid1, kid2)
	}
	e.verifyAccessToken(str(tok1, "access_token"), e.conf.ID, e.resource, "zscaler.read zscaler.write")
	if !e.active(str(tok1, "access_token")) || !e.active(str(tok2, "access_token")) {
		t.Error("tokens signed before and after the rotation must both introspect active")
	}

	// After one access-token lifetime (+ skew) the old key is unpublished.
	e.clock.Advance(time.Hour + 6*time.Minute)
	set = e.fetchJWKS()
	if len(set.Key(kid1)) != 0 || len(set.Key(kid2)) != 1 {
		t.Errorf("JWKS kids after the overlap %v, want only %s", kids(set), kid2)
	}
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	tok, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Headers[0].KeyID
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// TestRestart: a second server on the same store keeps the signing key and
// the HMAC secret, so tokens issued before the restart still work.
func TestRestart(t *testing.T) {
	e := newEnv(t, nil)
	code, verifier := e.authorize(e.conf)
	_, tok := e.exchange(e.conf, code, verifier, nil)

	srv2, err := New(context.Background(), Config{PublicURL: e.public, LoopbackBind: true, Store: e.st, Authenticator: approveAll})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	srv2.Mount(r)
	ts2 := httptest.NewServer(r)
	defer ts2.Close()
	e.base = ts2.URL
	if kidOf(t, str(tok, "access_token")) != kids(e.fetchJWKS())[0] {
		t.Error("the restarted server publishes another key")
	}
	if !e.active(str(tok, "access_token")) {
		t.Error("access token inactive after a restart")
	}
	if s, b := e.refresh(e.conf, str(tok, "refresh_token"), nil); s != 200 {
		t.Errorf("refresh after a restart: %d %v", s, b)
	}
}

// TestGrantMaxLifetime: refreshing never extends the grant; after its end
// the refresh token is refused.
func TestGrantMaxLifetime(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.GrantMaxLifetime = 1500 * time.Millisecond; c.RefreshGraceWindow = -1 })
	code, verifier := e.authorize(e.conf)
	start := time.Now()
	s, tok := e.exchange(e.conf, code, verifier, nil)
	if s != 200 {
		t.Fatalf("exchange: %d %v", s, tok)
	}
	claims := e.verifyAccessToken(str(tok, "access_token"), e.conf.ID, e.resource, "zscaler.read zscaler.write")
	if exp, _ := claims["exp"].(float64); time.Unix(int64(exp), 0).After(start.Add(2 * time.Second)) {
		t.Errorf("access token exp %v beyond the grant's end", time.Unix(int64(exp), 0))
	}
	s, tok = e.refresh(e.conf, str(tok, "refresh_token"), nil)
	if s != 200 {
		t.Fatalf("refresh within the grant: %d %v", s, tok)
	}
	time.Sleep(time.Until(start.Add(1700 * time.Millisecond)))
	if s, b := e.refresh(e.conf, str(tok, "refresh_token"), nil); s != 400 || str(b, "error") != "invalid_grant" {
		t.Errorf("refresh after the grant's end: %d %v, want 400 invalid_grant", s, b)
	}
}

// TestRevokeAccessToken: RFC 7009 revocation of an access token revokes
// the grant's tokens.
func TestRevokeAccessToken(t *testing.T) {
	e := newEnv(t, nil)
	code, verifier := e.authorize(e.pub)
	s, tok := e.exchange(e.pub, code, verifier, nil)
	if s != 200 {
		t.Fatalf("exchange: %d %v", s, tok)
	}
	form := url.Values{"token": {str(tok, "access_token")}, "token_type_hint": {"access_token"}, "client_id": {e.pub.ID}}
	if s, b, _ := e.post("/revoke", form, "", ""); s != 200 {
		t.Fatalf("revoke: %d %v", s, b)
	}
	if e.active(str(tok, "access_token")) {
		t.Error("access token active after revocation")
	}
}

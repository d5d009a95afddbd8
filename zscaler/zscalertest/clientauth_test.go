package zscalertest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// TestTokenEndpointClientAuthentication drives the stand-in's token
// endpoint with raw forms: what it accepts and refuses, with the RFC 7523
// section that demands each refusal.
func TestTokenEndpointClientAuthentication(t *testing.T) {
	s := New(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.RegisterPublicKey(&key.PublicKey)

	sign := func(k *rsa.PrivateKey, mod func(*josejwt.Claims)) string {
		c := josejwt.Claims{
			Issuer: s.ClientID, Subject: s.ClientID, Audience: josejwt.Audience{"https://api.zscaler.com"},
			Expiry: josejwt.NewNumericDate(time.Now().Add(time.Minute)), ID: randHex(8),
		}
		if mod != nil {
			mod(&c)
		}
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := josejwt.Signed(sig).Claims(c).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	form := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.zscaler.com"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	assertion := func(a string) url.Values {
		return form("client_id", s.ClientID, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", a)
	}
	replayed := sign(key, nil)

	for _, tc := range []struct {
		name       string
		form       url.Values
		wantStatus int
		wantDesc   string
	}{
		{"client secret in the form", form("client_id", s.ClientID, "client_secret", s.ClientSecret), 200, ""},
		{"wrong secret", form("client_id", s.ClientID, "client_secret", "nope"), 401, ""},
		{"private-key JWT", assertion(replayed), 200, ""},
		{"aud = token URL (RFC 7523 §3 item 3)", assertion(sign(key, func(c *josejwt.Claims) { c.Audience = josejwt.Audience{s.TokenURL} })), 200, ""},
		{"replayed jti (RFC 7523 §3 item 7)", assertion(replayed), 401, "replay"},
		{"signed by another key (§3 item 9)", assertion(sign(other, nil)), 401, "signature does not verify"},
		{"wrong iss (§3 item 1)", assertion(sign(key, func(c *josejwt.Claims) { c.Issuer = "someone" })), 401, "iss and sub"},
		{"wrong aud (§3 item 3)", assertion(sign(key, func(c *josejwt.Claims) { c.Audience = josejwt.Audience{"https://elsewhere"} })), 401, "aud"},
		{"expired (§3 item 4)", assertion(sign(key, func(c *josejwt.Claims) { c.Expiry = josejwt.NewNumericDate(time.Now().Add(-time.Minute)) })), 401, "expired"},
		{"exp far away", assertion(sign(key, func(c *josejwt.Claims) { c.Expiry = josejwt.NewNumericDate(time.Now().Add(24 * time.Hour)) })), 401, "too far"},
		{"no jti", assertion(sign(key, func(c *josejwt.Claims) { c.ID = "" })), 401, "no jti"},
		{"not a JWT", assertion("abc"), 401, "not a signed JWT"},
		{"wrong assertion type", form("client_assertion_type", "x", "client_assertion", sign(key, nil)), 401, "client_assertion_type"},
		{"secret and assertion (RFC 6749 §2.3)", form("client_id", s.ClientID, "client_secret", s.ClientSecret, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", sign(key, nil)), 400, "more than one"},
		{"no audience", url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}, 400, "audience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.PostForm(s.TokenURL, tc.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d (%v), want %d", resp.StatusCode, body, tc.wantStatus)
			}
			if desc, _ := body["error_description"].(string); !strings.Contains(desc, tc.wantDesc) {
				t.Errorf("error_description = %q, want %q", desc, tc.wantDesc)
			}
			if tc.wantStatus == 200 && body["access_token"] == "" {
				t.Errorf("no access token in %v", body)
			}
		})
	}
}

func TestExpiredTokensRefused(t *testing.T) {
	s := New(t)
	s.Handle("GET /zia/api/v1/status", func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, map[string]string{}) })
	resp, err := http.PostForm(s.TokenURL, url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.zscaler.com"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	get := func() int {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/zia/api/v1/status", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(); st != 200 {
		t.Fatalf("fresh token: %d", st)
	}
	s.ExpireTokens()
	if st := get(); st != 401 {
		t.Fatalf("expired token: %d, want 401", st)
	}
	if s.Unauthorized() != 1 || len(s.Requests()) != 1 {
		t.Fatalf("unauthorized %d, recorded %d; want 1 and 1", s.Unauthorized(), len(s.Requests()))
	}
}

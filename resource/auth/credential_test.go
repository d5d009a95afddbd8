package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestParseCredential(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		headers map[string][]string
		want    Credential
		wantErr string
	}{
		{"nothing", nil, Credential{}, ""},
		{"bearer", map[string][]string{"Authorization": {"Bearer abc.def.ghi"}}, Credential{Kind: KindBearer, Token: "abc.def.ghi"}, ""},
		{"bearer scheme case-insensitive (RFC 7235 §2.1)", map[string][]string{"Authorization": {"bEaReR tok"}}, Credential{Kind: KindBearer, Token: "tok"}, ""},
		{"x-api-key", map[string][]string{"X-Api-Key": {" k1 "}}, Credential{Kind: KindAPIKey, Token: "k1"}, ""},
		{"basic", map[string][]string{"Authorization": {"Basic " + b64("id:sec:ret")}}, Credential{Kind: KindBasic, ID: "id", Secret: "sec:ret"}, ""},
		{"zscaler pair", map[string][]string{"X-Zscaler-Client-Id": {"cid"}, "X-Zscaler-Client-Secret": {"s"}}, Credential{Kind: KindZscaler, ID: "cid", Secret: "s"}, ""},
		{"zscaler id without secret", map[string][]string{"X-Zscaler-Client-Id": {"cid"}}, Credential{}, "must both be sent"},
		{"two credentials", map[string][]string{"Authorization": {"Bearer a"}, "X-Api-Key": {"b"}}, Credential{}, "more than one credential"},
		{"two authorization headers", map[string][]string{"Authorization": {"Bearer a", "Bearer b"}}, Credential{}, "more than one Authorization"},
		{"unknown scheme", map[string][]string{"Authorization": {"Digest x"}}, Credential{}, "unsupported Authorization scheme"},
		{"scheme only", map[string][]string{"Authorization": {"Bearer"}}, Credential{}, "must be '<scheme> <credentials>'"},
		{"empty bearer", map[string][]string{"Authorization": {"Bearer   "}}, Credential{}, "<scheme> <credentials>"},
		{"token with space", map[string][]string{"Authorization": {"Bearer a b"}}, Credential{}, "empty or invalid"},
		{"token with tab", map[string][]string{"Authorization": {"Bearer a\tb"}}, Credential{}, "empty or invalid"},
		{"token with DEL", map[string][]string{"Authorization": {"Bearer a\x7fb"}}, Credential{}, "empty or invalid"},
		{"control char", map[string][]string{"Authorization": {"Bearer a\x01b"}}, Credential{}, "empty or invalid"},
		{"basic not base64", map[string][]string{"Authorization": {"Basic !!!"}}, Credential{}, "not valid base64"},
		{"basic without colon", map[string][]string{"Authorization": {"Basic " + b64("idonly")}}, Credential{}, "base64(client_id:client_secret)"},
		{"basic empty secret", map[string][]string{"Authorization": {"Basic " + b64("id:")}}, Credential{}, "base64(client_id:client_secret)"},
		{"oversized", map[string][]string{"Authorization": {"Bearer " + strings.Repeat("a", MaxCredentialLen)}}, Credential{}, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, vs := range tt.headers {
				for _, v := range vs {
					h.Add(k, v)
				}
			}
			got, err := ParseCredential(h)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// FuzzParseCredential: the parser never panics, never returns a credential
// together with an error, and an error never echoes the presented value.
func FuzzParseCredential(f *testing.F) {
	for _, s := range []string{"Bearer abc", "Basic aWQ6c2VjcmV0", "Basic", "bearer  x", "Basic OjE=", "Digest a", "Bearer \x00", "Basic " + strings.Repeat("A", 100)} {
		f.Add(s, "")
	}
	f.Add("", "some-api-key")
	f.Add("Bearer t", "k")
	f.Fuzz(func(t *testing.T, authz, apiKey string) {
		h := http.Header{}
		if authz != "" {
			h.Set("Authorization", authz)
		}
		if apiKey != "" {
			h.Set("X-Api-Key", apiKey)
		}
		c, err := ParseCredential(h)
		if err != nil {
			if c != (Credential{}) {
				t.Fatalf("credential %+v returned with error %v", c, err)
			}
			if len(authz) > 12 && strings.Contains(err.Error(), authz) {
				t.Fatalf("error echoes the header: %v", err)
			}
			return
		}
		switch c.Kind {
		case KindBearer, KindAPIKey:
			if c.Token == "" || !printable(c.Token) {
				t.Fatalf("bad token %q", c.Token)
			}
		case KindBasic:
			if c.ID == "" || c.Secret == "" {
				t.Fatalf("empty basic part: %+v", c)
			}
		case KindNone:
			if authz != "" || strings.TrimSpace(apiKey) != "" {
				t.Fatalf("credential ignored: %q %q", authz, apiKey)
			}
		}
	})
}

func TestTokenHash(t *testing.T) {
	for _, s := range []string{"", "a", strings.Repeat("eyJhbGciOiJFUzI1NiJ9.", 40)} {
		if TokenHash(s) != sha256.Sum256([]byte(s)) {
			t.Errorf("TokenHash(%q) is not its SHA-256", s)
		}
	}
}

// TestVisible checks the word-at-a-time visible against the byte loop:
// every byte value at every position of strings up to 19 bytes, and
// mixtures of bad bytes.
func TestVisible(t *testing.T) {
	ref := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x21 || s[i] > 0x7e {
				return false
			}
		}
		return true
	}
	for n := 0; n < 20; n++ {
		base := []byte(strings.Repeat("aZ~!09-_.", 3)[:n])
		if !visible(string(base)) {
			t.Fatalf("visible(%q) = false", base)
		}
		for pos := 0; pos < n; pos++ {
			for b := 0; b < 256; b++ {
				s := append([]byte(nil), base...)
				s[pos] = byte(b)
				if got, want := visible(string(s)), ref(string(s)); got != want {
					t.Fatalf("visible(%q) = %v, want %v", s, got, want)
				}
				if pos+1 < n {
					s[pos+1] = byte(255 - b) // a neighbour that carries or borrows
					if got, want := visible(string(s)), ref(string(s)); got != want {
						t.Fatalf("visible(%q) = %v, want %v", s, got, want)
					}
				}
			}
		}
	}
}

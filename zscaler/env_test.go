package zscaler

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, []byte(pkcs8(t, ec)), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"ZSCALER_CLIENT_ID": "cid", "ZSCALER_CLIENT_SECRET": "s3cret-value", "ZSCALER_VANITY_DOMAIN": "acme"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string // substring; "" means success
		check   func(t *testing.T, c Config, r *resolved)
	}{
		{"production defaults", base, "", func(t *testing.T, c Config, r *resolved) {
			if r.tokenURL != "https://acme.zslogin.net/oauth2/v1/token" || r.base.String() != DefaultBaseURL {
				t.Errorf("token URL %s, base %s", r.tokenURL, r.base)
			}
			if r.Timeout != DefaultTimeout || r.MaxAttempts != DefaultMaxAttempts || !strings.HasPrefix(r.UserAgent, "zscaler-mcp/") {
				t.Errorf("defaults: %+v", r.Config)
			}
		}},
		{"beta cloud", with("ZSCALER_CLOUD", "BETA"), "", func(t *testing.T, c Config, r *resolved) {
			if r.tokenURL != "https://acme.zsloginbeta.net/oauth2/v1/token" || r.base.String() != "https://api.beta.zsapi.net" {
				t.Errorf("token URL %s, base %s", r.tokenURL, r.base)
			}
		}},
		{"overrides", with("ZSCALER_TOKEN_URL", "http://127.0.0.1:9/t", "ZSCALER_API_BASE_URL", "http://127.0.0.1:9/api/", "ZSCALER_CUSTOMER_ID", "216196257331281920",
			"ZSCALER_MCP_API_TIMEOUT", "5s", "ZSCALER_MCP_API_MAX_ATTEMPTS", "5", "ZSCALER_MCP_API_RATE_LIMITS", "zia.read=1:1"), "", func(t *testing.T, c Config, r *resolved) {
			if r.tokenURL != "http://127.0.0.1:9/t" || r.base.String() != "http://127.0.0.1:9/api" || c.CustomerID != "216196257331281920" {
				t.Errorf("token URL %s, base %s, customer %s", r.tokenURL, r.base, c.CustomerID)
			}
			if c.Timeout != 5*time.Second || c.MaxAttempts != 5 || c.RateLimits["zia"].Read != (Limit{1, 1}) {
				t.Errorf("transport settings: %+v", c)
			}
		}},
		{"private key file", with("ZSCALER_CLIENT_SECRET", "", "ZSCALER_PRIVATE_KEY", keyFile), "", func(t *testing.T, c Config, r *resolved) {
			if r.key == nil || r.key.alg != "ES256" {
				t.Errorf("key not loaded: %+v", r.key)
			}
		}},
		{"no credentials at all", map[string]string{"ZSCALER_VANITY_DOMAIN": "acme"}, "no OneAPI credentials", nil},
		{"secret without id", map[string]string{"ZSCALER_CLIENT_SECRET": "x", "ZSCALER_VANITY_DOMAIN": "acme"}, "ZSCALER_CLIENT_ID is required", nil},
		{"id without secret", map[string]string{"ZSCALER_CLIENT_ID": "x", "ZSCALER_VANITY_DOMAIN": "acme"}, "ZSCALER_CLIENT_SECRET or ZSCALER_PRIVATE_KEY is required", nil},
		{"secret and key", with("ZSCALER_PRIVATE_KEY", keyFile), "either ZSCALER_CLIENT_SECRET or ZSCALER_PRIVATE_KEY, not both", nil},
		{"no vanity domain", with("ZSCALER_VANITY_DOMAIN", ""), "ZSCALER_VANITY_DOMAIN", nil},
		{"vanity as a host name", with("ZSCALER_VANITY_DOMAIN", "acme.zslogin.net"), "ZSCALER_VANITY_DOMAIN", nil},
		{"bad cloud", with("ZSCALER_CLOUD", "be ta"), "ZSCALER_CLOUD", nil},
		{"bad token URL", with("ZSCALER_TOKEN_URL", "ftp://x"), "ZSCALER_TOKEN_URL", nil},
		{"bad base URL", with("ZSCALER_API_BASE_URL", "api.zsapi.net"), "ZSCALER_API_BASE_URL", nil},
		{"base URL with credentials", with("ZSCALER_API_BASE_URL", "https://u:p@api.zsapi.net"), "ZSCALER_API_BASE_URL", nil},
		{"bad customer id", with("ZSCALER_CUSTOMER_ID", "acme"), "ZSCALER_CUSTOMER_ID", nil},
		{"bad timeout", with("ZSCALER_MCP_API_TIMEOUT", "30"), "ZSCALER_MCP_API_TIMEOUT", nil},
		{"bad attempts", with("ZSCALER_MCP_API_MAX_ATTEMPTS", "0"), "ZSCALER_MCP_API_MAX_ATTEMPTS", nil},
		{"bad rate limits", with("ZSCALER_MCP_API_RATE_LIMITS", "zia=fast"), "ZSCALER_MCP_API_RATE_LIMITS", nil},
		{"missing key file", with("ZSCALER_CLIENT_SECRET", "", "ZSCALER_PRIVATE_KEY", "/nonexistent/key.pem"), "ZSCALER_PRIVATE_KEY", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret-value") {
					t.Errorf("err %q leaks the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r, err := cfg.resolve()
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, cfg, r)
			if _, err := New(context.Background(), cfg); err != nil {
				t.Fatalf("New with the env config: %v", err)
			}
		})
	}
	if _, err := ConfigFromEnv(func(string) string { return "" }); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("empty env: err = %v, want ErrNotConfigured", err)
	}
}

func TestEnvVarsListed(t *testing.T) {
	// Every name ConfigFromEnv reads is in EnvVars (the README table is
	// written from it).
	seen := map[string]bool{}
	_, _ = ConfigFromEnv(func(k string) string {
		seen[k] = true
		if k == EnvClientID {
			return "x"
		}
		return ""
	})
	for k := range seen {
		found := false
		for _, v := range EnvVars {
			found = found || v == k
		}
		if !found {
			t.Errorf("ConfigFromEnv reads %s but EnvVars does not list it", k)
		}
	}
	if len(seen) != len(EnvVars) {
		t.Errorf("ConfigFromEnv read %d names, EnvVars lists %d", len(seen), len(EnvVars))
	}
}

package main

import (
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

// writeFile writes body to name in a temp dir and returns the path.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// closedURL is an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

// TestConfigCheckProbe runs `config check` and `config check --probe`
// against real OpenID providers on loopback: a plain-http one, an https one
// trusted through root_ca, the built-in dev IdP; then an unreachable IdP,
// an issuer that does not match its discovery_url's document, and an https
// IdP whose CA is not trusted.
func TestConfigCheckProbe(t *testing.T) {
	plain := idptest.New(t, idptest.Options{})
	secure := idptest.New(t, idptest.Options{TLS: true})
	ca := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Server().Certificate().Raw})))
	env := map[string]string{"PLAIN_SECRET": "s3cret-value"}

	good := writeFile(t, "good.yaml", `transport: streamable-http
idps:
  - id: plain
    type: oidc
    name: Plain OP
    issuer: `+plain.Issuer+`
    client_id: zscaler-mcp
    client_secret: ${PLAIN_SECRET}
  - id: secure
    type: oidc
    issuer: `+secure.Issuer+`
    client_id: zscaler-mcp
    client_secret: s
    root_ca: `+ca+`
  - id: local
    type: dev
`)
	code, out, stderr := admin(t, env, "config", "check", "--config", good)
	if code != 0 {
		t.Fatalf("config check: %d\n%s%s", code, out, stderr)
	}
	mustContain(t, "check output", out, good+": ok", "oidcproxy", "idps:", "plain", "Plain OP", plain.Issuer, "secure", "local", "dev")
	if strings.Contains(out, "s3cret-value") {
		t.Error("config check printed a secret")
	}
	if strings.Contains(out, "idp plain (oidc)") {
		t.Error("config check probed without --probe")
	}

	code, out, _ = admin(t, env, "config", "check", "--config", good, "--probe")
	if code != 0 {
		t.Fatalf("config check --probe: %d\n%s", code, out)
	}
	mustContain(t, "probe output", out,
		"idp plain (oidc): ok", "idp secure (oidc): ok", "idp local (dev): skipped",
		"discovery:  "+plain.Issuer+"/.well-known/openid-configuration",
		"issuer:     "+plain.Issuer+" (matches the configured issuer)",
		"issuer:     "+secure.Issuer+" (matches the configured issuer)",
		"authorization_endpoint, token_endpoint, jwks_uri, userinfo_endpoint",
		"PKCE:       S256 supported")

	bad := writeFile(t, "bad.yaml", `transport: streamable-http
idps:
  - id: plain
    type: oidc
    issuer: `+plain.Issuer+`
    client_id: zscaler-mcp
    client_secret: s
  - id: down
    type: oidc
    issuer: `+closedURL(t)+`
    client_id: zscaler-mcp
    client_secret: s
  - id: wrong
    type: oidc
    issuer: `+plain.Issuer+`/tenant
    discovery_url: `+plain.Issuer+`
    client_id: zscaler-mcp
    client_secret: s
  - id: untrusted
    type: oidc
    issuer: `+secure.Issuer+`
    client_id: zscaler-mcp
    client_secret: s
`)
	code, out, _ = admin(t, nil, "config", "check", "--config", bad)
	if code != 0 {
		t.Fatalf("without --probe the file is valid: %d\n%s", code, out)
	}
	code, out, _ = admin(t, nil, "config", "check", "--config", bad, "--probe", "--timeout", "3s")
	if code != 1 {
		t.Fatalf("config check --probe with failing IdPs: exit %d, want 1\n%s", code, out)
	}
	mustContain(t, "failing probe output", out,
		"idp plain (oidc): ok",
		"idp down (oidc): FAILED: fetch ",
		"idp wrong (oidc): FAILED: ",
		"issuer:     "+plain.Issuer+" (does NOT match the configured issuer)",
		"idp untrusted (oidc): FAILED: ", "certificate",
		"3 of 4 IdP(s) failed the probe")
}

// TestConfigCheckErrors: every error is reported with the file, the IdP id
// and the field, and the exit status is 1 — the same validation the server
// runs at start.
func TestConfigCheckErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want []string
	}{
		{"missing issuer", "idps:\n  - id: corp\n    type: oidc\n    client_id: c\n    client_secret: s\n",
			[]string{`idp "corp"`, "issuer"}},
		{"bad URL", "idps:\n  - id: corp\n    type: oidc\n    issuer: not a url\n    client_id: c\n    client_secret: s\n",
			[]string{`idp "corp"`, "issuer"}},
		{"unknown type", "idps:\n  - id: corp\n    type: magic\n",
			[]string{`idp "corp"`, "type", "magic"}},
		{"secret env var unset", "idps:\n  - id: corp\n    type: oidc\n    issuer: https://idp.example.com\n    client_id: c\n    client_secret: ${CORP_SECRET}\n",
			[]string{`:7: idps[0]: idp "corp": client_secret: environment variable CORP_SECRET is not set`}},
		{"env var unset outside idps", "auth:\n  api_key: ${API_KEYS}\nidps:\n  - id: local\n    type: dev\n",
			[]string{":3: auth.api_key: environment variable API_KEYS is not set"}},
		{"duplicate ids", "idps:\n  - id: corp\n    type: dev\n  - id: corp\n    type: dev\n",
			[]string{`idp "corp"`, "id: duplicate id", "idps[1]"}},
		{"every error", "idps:\n  - id: a\n    type: oidc\n    client_id: c\n    client_secret: s\n  - id: b\n    type: oidc\n    issuer: https://idp.example.com\n    client_secret: s\n",
			[]string{`idps[0]: idp "a"`, "issuer", `idps[1]: idp "b"`, "client_id"}},
		{"unknown key", "idps:\n  - id: corp\n    type: dev\nbogus: 1\n", []string{"unknown key(s): bogus"}},
		{"stdio still checks idps", "transport: stdio\nidps:\n  - id: corp\n    type: oidc\n",
			[]string{`idp "corp"`, "issuer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if !strings.HasPrefix(body, "transport:") {
				body = "transport: streamable-http\n" + body
			}
			path := writeFile(t, "config.yaml", body)
			code, out, _ := admin(t, nil, "config", "check", "--config", path)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, out)
			}
			mustContain(t, "output", out, append([]string{path + ": invalid", "error: ", path}, tc.want...)...)
			// The server refuses to start with the same message.
			scode, _, serr := admin(t, nil, "--config", path, "--port", "0", "--data-dir", t.TempDir())
			if tc.name != "stdio still checks idps" && (scode != 2 || !strings.Contains(serr, tc.want[0])) {
				t.Errorf("server start: exit %d, stderr lacks %q: %s", scode, tc.want[0], serr)
			}
		})
	}
	t.Run("stdio note", func(t *testing.T) {
		path := writeFile(t, "config.yaml", "idps:\n  - id: local\n    type: dev\n")
		code, out, _ := admin(t, nil, "config", "check", "--config", path)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		mustContain(t, "output", out, "transport:  stdio", "note: the transport is stdio")
	})
}

// TestAuditRetentionSetting: --audit-retention and its env twin and file
// key; 0 keeps forever (the store's negative), bad values name the setting.
func TestAuditRetentionSetting(t *testing.T) {
	file := writeFile(t, "c.yaml", "audit_retention: 48h\n")
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    time.Duration
		wantErr string
	}{
		{"default", nil, nil, 720 * time.Hour, ""},
		{"flag", nil, []string{"--audit-retention", "24h"}, 24 * time.Hour, ""},
		{"env", map[string]string{"ZSCALER_MCP_AUDIT_RETENTION": "2160h"}, nil, 2160 * time.Hour, ""},
		{"file", nil, []string{"--config", file}, 48 * time.Hour, ""},
		{"zero is forever", nil, []string{"--audit-retention", "0"}, -1, ""},
		{"negative", nil, []string{"--audit-retention", "-1h"}, 0, "--audit-retention"},
		{"garbage", map[string]string{"ZSCALER_MCP_AUDIT_RETENTION": "a month"}, nil, 0, "ZSCALER_MCP_AUDIT_RETENTION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := resolve(t, tc.env, tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.AuditRetention != tc.want {
				t.Fatalf("AuditRetention = %v (%v), want %v", c.AuditRetention, err, tc.want)
			}
		})
	}
}

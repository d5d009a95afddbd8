package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// config resolves settings and start-up rules without serving.
func resolve(t *testing.T, env map[string]string, args ...string) (*config, error) {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	v, err := parseSettings(args, getenv, &bytes.Buffer{})
	if err != nil {
		return nil, err
	}
	return buildConfig(v, getenv)
}

func TestAutoDetection(t *testing.T) {
	idpFile := filepath.Join(t.TempDir(), "idps.yaml")
	if err := os.WriteFile(idpFile, []byte("idps:\n  - id: corp\n    type: oidc\n    issuer: https://idp.example.com\n    client_id: cid\n    client_secret: sec\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := strings.Repeat("k", 32)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantMode string
		wantErr  string
	}{
		{"loopback, nothing configured → none", nil, nil, "none", ""},
		{"API key → api-key", map[string]string{"ZSCALER_MCP_AUTH_API_KEY": key}, nil, "api-key", ""},
		{"JWKS URI → jwt", map[string]string{"ZSCALER_MCP_AUTH_JWKS_URI": "http://127.0.0.1:1/jwks"}, nil, "jwt", ""},
		{"API key wins over JWKS (first match)", map[string]string{"ZSCALER_MCP_AUTH_API_KEY": key, "ZSCALER_MCP_AUTH_JWKS_URI": "http://127.0.0.1:1/jwks"}, nil, "api-key", ""},
		{"MODE=zscaler is explicit", map[string]string{"ZSCALER_MCP_AUTH_MODE": "zscaler"}, nil, "zscaler", ""},
		{"forced mode wins over detection", map[string]string{"ZSCALER_MCP_AUTH_MODE": "jwt", "ZSCALER_MCP_AUTH_API_KEY": key, "ZSCALER_MCP_AUTH_JWKS_URI": "http://127.0.0.1:1/jwks"}, nil, "jwt", ""},
		{"AUTH_ENABLED=false on loopback → none", map[string]string{"ZSCALER_MCP_AUTH_ENABLED": "false", "ZSCALER_MCP_AUTH_API_KEY": key}, nil, "none", ""},
		{"idps in the config → oidcproxy", nil, []string{"--config", idpFile}, "oidcproxy", ""},
		{"OIDCPROXY_CONFIG_URL → oidcproxy", map[string]string{"OIDCPROXY_CONFIG_URL": "http://127.0.0.1:1/.well-known/openid-configuration", "OIDCPROXY_CLIENT_ID": "cid", "OIDCPROXY_CLIENT_SECRET": "sec"}, nil, "oidcproxy", ""},
		{"OIDCPROXY_CONFIG_URL without client id", map[string]string{"OIDCPROXY_CONFIG_URL": "http://127.0.0.1:1"}, nil, "", `OIDCPROXY_CONFIG_URL shortcut[0]: idp "oidc": client_id`},
		{"oidc forced with discovery", map[string]string{"ZSCALER_MCP_AUTH_MODE": "oidc", "OIDCPROXY_CONFIG_URL": "http://127.0.0.1:1", "OIDCPROXY_CLIENT_ID": "cid"}, nil, "oidc", ""},
		{"oidc without client id", map[string]string{"ZSCALER_MCP_AUTH_MODE": "oidc", "OIDCPROXY_CONFIG_URL": "http://127.0.0.1:1"}, nil, "", "oidc mode needs OIDCPROXY_CONFIG_URL and OIDCPROXY_CLIENT_ID"},
		{"unknown mode", map[string]string{"ZSCALER_MCP_AUTH_MODE": "magic"}, nil, "", `ZSCALER_MCP_AUTH_MODE: unknown auth mode "magic"`},
		{"jwt forced without JWKS", map[string]string{"ZSCALER_MCP_AUTH_MODE": "jwt"}, nil, "", "jwt mode needs ZSCALER_MCP_AUTH_JWKS_URI"},
		{"stdio ignores auth settings", map[string]string{"ZSCALER_MCP_AUTH_MODE": "magic"}, []string{"--transport", "stdio"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--transport", "streamable-http"}, tt.args...)
			if len(tt.args) > 1 && tt.args[0] == "--transport" {
				args = tt.args
			}
			c, err := resolve(t, tt.env, args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "mode", c.Mode, tt.wantMode)
		})
	}
}

// TestAliases: every accepted alias of a name resolves like the name.
func TestAliases(t *testing.T) {
	for _, alias := range []string{"oauth-proxy", "oidc-proxy", "OIDCPROXY"} {
		if got := modeAliases[strings.ToLower(alias)]; got != "oidcproxy" {
			t.Errorf("mode alias %q → %q", alias, got)
		}
	}
	for alias, want := range map[string]string{"apikey": "api-key", "api_key": "api-key", "API-KEY": "api-key"} {
		c, err := resolve(t, map[string]string{"ZSCALER_MCP_AUTH_MODE": alias, "ZSCALER_MCP_AUTH_API_KEY": strings.Repeat("k", 32)}, "--transport", "sse")
		if err != nil || c.Mode != want {
			t.Errorf("mode %q → %v, %v", alias, c, err)
		}
	}
	c, err := resolve(t, map[string]string{"OIDCPROXY_BASE_URL": "HTTPS://MCP.Example.com/", "ZSCALER_MCP_AUTH_API_KEY": strings.Repeat("k", 32)}, "--transport", "sse", "--host", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "public URL from OIDCPROXY_BASE_URL", c.PublicURL, "https://mcp.example.com")
	for _, tr := range []string{"http", "streamable_http", "STREAMABLE-HTTP"} {
		c, err := resolve(t, nil, "--transport", tr)
		if err != nil || c.Transport != "streamable-http" {
			t.Errorf("transport %q → %v %v", tr, c, err)
		}
	}
	// Every env name in the settings table is read.
	for _, s := range settings {
		for _, e := range s.env {
			if s.bool || s.flag == "config" {
				continue
			}
			v, err := parseSettings(nil, func(k string) string {
				if k == e {
					return "x-value"
				}
				return ""
			}, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			if v.get(s.key()) != "x-value" || v.describe(s.key()) != e {
				t.Errorf("env %s not read into %s", e, s.key())
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"non-loopback without client auth",
			map[string]string{"ZSCALER_MCP_PUBLIC_URL": "https://mcp.example.com", "ZSCALER_MCP_ALLOW_HTTP": "true"}, []string{"--host", "0.0.0.0"},
			"refusing to start without client authentication on non-loopback address 0.0.0.0: set ZSCALER_MCP_AUTH_API_KEY (api-key mode), ZSCALER_MCP_AUTH_JWKS_URI with ZSCALER_MCP_AUTH_ISSUER and ZSCALER_MCP_AUTH_AUDIENCE (jwt mode), ZSCALER_MCP_AUTH_MODE=zscaler, or a --config with idps: (oidcproxy mode)"},
		{"non-loopback plaintext",
			map[string]string{"ZSCALER_MCP_PUBLIC_URL": "https://mcp.example.com", "ZSCALER_MCP_AUTH_API_KEY": strings.Repeat("k", 32)}, []string{"--host", "0.0.0.0"},
			"refusing to serve plaintext HTTP on non-loopback address 0.0.0.0: set ZSCALER_MCP_TLS_CERTFILE and ZSCALER_MCP_TLS_KEYFILE, or ZSCALER_MCP_ALLOW_HTTP=true when a TLS-terminating proxy is in front"},
		{"non-loopback jwt without audience",
			map[string]string{"ZSCALER_MCP_PUBLIC_URL": "https://mcp.example.com", "ZSCALER_MCP_ALLOW_HTTP": "true", "ZSCALER_MCP_AUTH_JWKS_URI": "https://idp.example/jwks", "ZSCALER_MCP_AUTH_ISSUER": "https://idp.example"}, []string{"--host", "0.0.0.0"},
			"jwt mode on a non-loopback bind requires ZSCALER_MCP_AUTH_AUDIENCE and ZSCALER_MCP_AUTH_ISSUER (a JWKS shared by many tenants would otherwise accept any of their tokens)"},
		{"non-loopback jwt without issuer",
			map[string]string{"ZSCALER_MCP_PUBLIC_URL": "https://mcp.example.com", "ZSCALER_MCP_ALLOW_HTTP": "true", "ZSCALER_MCP_AUTH_JWKS_URI": "https://idp.example/jwks", "ZSCALER_MCP_AUTH_AUDIENCE": "a"}, []string{"--host", "0.0.0.0"},
			"jwt mode on a non-loopback bind requires ZSCALER_MCP_AUTH_AUDIENCE and ZSCALER_MCP_AUTH_ISSUER (a JWKS shared by many tenants would otherwise accept any of their tokens)"},
		{"non-loopback without public URL",
			map[string]string{"ZSCALER_MCP_AUTH_API_KEY": strings.Repeat("k", 32), "ZSCALER_MCP_ALLOW_HTTP": "true"}, []string{"--host", "0.0.0.0"},
			"--public-url (ZSCALER_MCP_PUBLIC_URL) is required on non-loopback address 0.0.0.0: set it to the URL clients use, e.g. https://mcp.example.com (it is never derived from the bind address or a request's Host)"},
		{"auth disabled off loopback",
			map[string]string{"ZSCALER_MCP_PUBLIC_URL": "https://mcp.example.com", "ZSCALER_MCP_ALLOW_HTTP": "true", "ZSCALER_MCP_AUTH_ENABLED": "false"}, []string{"--host", "0.0.0.0"},
			"refusing to start without client authentication: auth mode none needs a loopback bind and a loopback public URL (bind 0.0.0.0, public URL https://mcp.example.com)"},
		{"none with a non-loopback public URL on a loopback bind (a tunnel)",
			map[string]string{"ZSCALER_MCP_PUBLIC_URL": "https://tunnel.example.com"}, nil,
			"refusing to start without client authentication: the public URL https://tunnel.example.com is not loopback (a tunnel or reverse proxy would expose the server)"},
		{"public URL with a path",
			map[string]string{"ZSCALER_MCP_PUBLIC_URL": "https://mcp.example.com/mcp"}, nil,
			`ZSCALER_MCP_PUBLIC_URL: "https://mcp.example.com/mcp" must be scheme://host[:port] with no path, query or credentials`},
		{"bad boolean names its source",
			map[string]string{"ZSCALER_MCP_ALLOW_HTTP": "yes please"}, nil,
			`ZSCALER_MCP_ALLOW_HTTP: "yes please" is not a boolean (use true or false)`},
		{"bad CIDR names its source",
			map[string]string{"ZSCALER_MCP_ALLOWED_SOURCE_IPS": "10.0.0.0/8,banana"}, nil,
			`ZSCALER_MCP_ALLOWED_SOURCE_IPS: `},
		{"short API key",
			map[string]string{"ZSCALER_MCP_AUTH_API_KEY": "short"}, nil,
			"ZSCALER_MCP_AUTH_API_KEY: API key #1 is shorter than 16 characters; generate one with --generate-auth-token"},
		{"TLS key without cert", map[string]string{"ZSCALER_MCP_TLS_KEYFILE": "/x"}, nil,
			"TLS needs both ZSCALER_MCP_TLS_CERTFILE and ZSCALER_MCP_TLS_KEYFILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			args := append([]string{"--transport", "streamable-http", "--port", "0", "--data-dir", t.TempDir()}, tt.args...)
			code := run(context.Background(), args, func(k string) string { return tt.env[k] }, strings.NewReader(""), &bytes.Buffer{}, &stderr)
			if code == 0 {
				t.Fatalf("started; want refusal %q", tt.want)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("stderr = %q\nwant it to contain %q", stderr.String(), tt.want)
			}
			if tt.env["ZSCALER_MCP_AUTH_API_KEY"] != "" && len(tt.env["ZSCALER_MCP_AUTH_API_KEY"]) > 8 && strings.Contains(stderr.String(), tt.env["ZSCALER_MCP_AUTH_API_KEY"]) {
				t.Errorf("the key appears in the error output")
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("transport: sse\nport: 7001\nhost: 127.0.0.2\nlog_level: debug\nauth:\n  api_key: ${MY_KEY}\n  audience: [a, b]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ZSCALER_MCP_PORT": "7002", "ZSCALER_MCP_HOST": "127.0.0.3", "MY_KEY": "key: with # yaml chars 0123"}
	v, err := parseSettings([]string{"--config", file, "--port", "7003"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "port (flag > env > file)", v.get("port"), "7003")
	mustEqual(t, "host (env > file)", v.get("host"), "127.0.0.3")
	mustEqual(t, "transport (file > default)", v.get("transport"), "sse")
	mustEqual(t, "log level from file", v.get("log-level"), "debug")
	mustEqual(t, "default", v.get("log-format"), "text")
	mustEqual(t, "${ENV} expansion keeps YAML syntax inside the value", v.get("auth-api-key"), "key: with # yaml chars 0123")
	mustEqual(t, "list from file", v.get("auth-audience"), "a,b")
	mustEqual(t, "source named in errors", v.describe("transport"), file+": transport")
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct{ name, body, want string }{
		{"unknown key", "transprot: sse\nauth:\n  mdoe: jwt\n", "unknown key(s): auth.mdoe, transprot"},
		{"unset env var", "auth:\n  api_key: ${NOT_SET_ANYWHERE}\n", "c.yaml:2: auth.api_key: environment variable NOT_SET_ANYWHERE is not set"},
		{"bad yaml", "transport: [sse\n", "c.yaml"},
		{"mapping where a value is expected", "transport:\n  x: 1\n", "unknown key(s): transport.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write("c.yaml", tt.body)
			_, err := parseSettings([]string{"--config", p}, func(string) string { return "" }, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := parseSettings([]string{"--config", filepath.Join(dir, "missing.yaml")}, func(string) string { return "" }, &bytes.Buffer{}); err == nil {
		t.Error("missing config file accepted")
	}
}

func TestVersionAndGenerateToken(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, func(string) string { return "" }, nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "zscaler-mcp ") {
		t.Fatalf("--version: %d %q", code, out.String())
	}
	seen := map[string]bool{}
	for range 3 {
		out.Reset()
		if code := run(context.Background(), []string{"--generate-auth-token"}, func(string) string { return "" }, nil, &out, &errb); code != 0 {
			t.Fatal(code)
		}
		k := strings.TrimSpace(out.String())
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(k) || seen[k] {
			t.Fatalf("generated key %q is not a fresh 64-hex key", k)
		}
		seen[k] = true
	}
}

// TestForcedAPIKeyGeneratesOnce: forced api-key mode without a key makes
// one on first run, keeps it 0600 in the 0700 data dir, prints it once (to
// stderr) and accepts it; the second run reuses it silently.
func TestForcedAPIKeyGeneratesOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	env := map[string]string{"ZSCALER_MCP_AUTH_MODE": "api-key", "ZSCALER_MCP_DATA_DIR": dir}
	srv := start(t, env, "--transport", "streamable-http")
	m := regexp.MustCompile(`(?m)^([0-9a-f]{64})$`).FindStringSubmatch(srv.Stderr.String())
	if m == nil {
		t.Fatalf("no generated key printed:\n%s", srv.Stderr)
	}
	key := m[1]
	if srv.Stdout.String() != "" {
		t.Errorf("stdout is not empty: %q", srv.Stdout)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "api-key"): 0o600} {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != want {
			t.Fatalf("%s: %v %v, want %v", path, st.Mode().Perm(), err, want)
		}
	}
	if r, b := do(t, "POST", srv.URL+"/mcp", map[string]string{"Authorization": "Bearer " + key}, initBody); r.StatusCode != 200 {
		t.Fatalf("generated key refused: %d %s", r.StatusCode, b)
	}
	srv.Stop(t)
	srv2 := start(t, env, "--transport", "streamable-http")
	if strings.Contains(srv2.Stderr.String(), key) {
		t.Error("the key was printed again on the second run")
	}
	if r, _ := do(t, "POST", srv2.URL+"/mcp", map[string]string{"Authorization": "Bearer " + key}, initBody); r.StatusCode != 200 {
		t.Fatalf("stored key refused after restart: %d", r.StatusCode)
	}
}

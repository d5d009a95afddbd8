package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// setting is one configuration knob: a flag, its env twin (plus accepted
// aliases) and its key in the YAML file. Precedence: flag > env > file >
// default.
type setting struct {
	flag string   // flag name without dashes ("" = no flag)
	env  []string // ZSCALER_MCP_<NAME> first, then aliases
	yaml string   // dotted path in the config file ("" = not in the file)
	def  string
	help string
	bool bool // boolean flag (--x means true)
	// secret values are never printed.
	secret bool
}

// settings is the table of every knob; the README's table is generated from
// the same names (see TestREADMEListsEverySetting).
var settings = []setting{
	{flag: "transport", env: []string{"ZSCALER_MCP_TRANSPORT"}, yaml: "transport", def: "stdio", help: "MCP transport: stdio, sse or streamable-http"},
	{flag: "host", env: []string{"ZSCALER_MCP_HOST"}, yaml: "host", def: "127.0.0.1", help: "address to bind (HTTP transports)"},
	{flag: "port", env: []string{"ZSCALER_MCP_PORT"}, yaml: "port", def: "8000", help: "port to bind (HTTP transports)"},
	{flag: "config", env: []string{"ZSCALER_MCP_CONFIG"}, help: "YAML config file"},
	{flag: "data-dir", env: []string{"ZSCALER_MCP_DATA_DIR"}, yaml: "data_dir", help: "state directory (default $XDG_STATE_HOME/zscaler-mcp)"},
	{flag: "public-url", env: []string{"ZSCALER_MCP_PUBLIC_URL", "OIDCPROXY_BASE_URL"}, yaml: "public_url", help: "external base URL: scheme://host[:port], no path"},
	{flag: "log-level", env: []string{"ZSCALER_MCP_LOG_LEVEL"}, yaml: "log_level", def: "info", help: "debug, info, warn or error"},
	{flag: "log-format", env: []string{"ZSCALER_MCP_LOG_FORMAT"}, yaml: "log_format", def: "text", help: "text or json"},

	{flag: "auth-enabled", env: []string{"ZSCALER_MCP_AUTH_ENABLED"}, yaml: "auth.enabled", def: "true", help: "master switch for client auth on HTTP transports"},
	{flag: "auth-mode", env: []string{"ZSCALER_MCP_AUTH_MODE"}, yaml: "auth.mode", help: "force a mode: api-key, jwt, oidc, zscaler, oidcproxy (oauth-proxy), none"},
	{flag: "auth-api-key", env: []string{"ZSCALER_MCP_AUTH_API_KEY"}, yaml: "auth.api_key", help: "API key(s), comma-separated", secret: true},
	{flag: "auth-jwks-uri", env: []string{"ZSCALER_MCP_AUTH_JWKS_URI"}, yaml: "auth.jwks_uri", help: "JWKS URL for jwt mode"},
	{flag: "auth-audience", env: []string{"ZSCALER_MCP_AUTH_AUDIENCE"}, yaml: "auth.audience", help: "accepted JWT audiences, comma-separated"},
	{flag: "auth-issuer", env: []string{"ZSCALER_MCP_AUTH_ISSUER"}, yaml: "auth.issuer", help: "accepted JWT issuer(s), comma-separated"},
	{flag: "auth-fallbacks", env: []string{"ZSCALER_MCP_AUTH_FALLBACKS"}, yaml: "auth.fallbacks", help: "oidcproxy mode: extra validators accepted beside our tokens (zscaler)"},
	{flag: "auth-scopes", env: []string{"ZSCALER_MCP_AUTH_SCOPES"}, yaml: "auth.scopes", help: "scopes carried by static credentials (default zscaler.read,zscaler.write)"},
	{env: []string{"OIDCPROXY_CONFIG_URL"}, yaml: "auth.oidc.config_url", help: "oidc mode: upstream IdP discovery URL"},
	{env: []string{"OIDCPROXY_CLIENT_ID"}, yaml: "auth.oidc.client_id", help: "oidc mode: client id registered at the IdP"},
	{env: []string{"OIDCPROXY_CLIENT_SECRET"}, yaml: "auth.oidc.client_secret", help: "oidcproxy single-IdP shortcut: client secret", secret: true},
	{env: []string{"OIDCPROXY_AUDIENCE"}, yaml: "auth.oidc.audience", help: "oidc mode: expected audience (default OIDCPROXY_CLIENT_ID)"},
	{env: []string{"OIDCPROXY_REQUIRED_SCOPES"}, yaml: "auth.oidc.required_scopes", help: "oidcproxy single-IdP shortcut: scopes"},

	{flag: "zscaler-token-url", env: []string{"ZSCALER_TOKEN_URL"}, yaml: "zscaler.token_url", help: "Zscaler IdP token endpoint override"},
	{flag: "zscaler-vanity-domain", env: []string{"ZSCALER_VANITY_DOMAIN"}, yaml: "zscaler.vanity_domain", help: "Zscaler vanity domain"},
	{flag: "zscaler-cloud", env: []string{"ZSCALER_CLOUD"}, yaml: "zscaler.cloud", help: "Zscaler cloud (empty for production)"},
	{env: []string{"ZSCALER_CLIENT_ID"}, yaml: "zscaler.client_id", help: "OneAPI client id of the server's own credential (the Zscaler tools need it)"},
	{env: []string{"ZSCALER_CLIENT_SECRET"}, yaml: "zscaler.client_secret", help: "OneAPI client secret", secret: true},
	{env: []string{"ZSCALER_PRIVATE_KEY"}, yaml: "zscaler.private_key", help: "OneAPI private key (PEM or JWK, inline or a file path) for private-key JWT instead of a secret", secret: true},
	{env: []string{"ZSCALER_CUSTOMER_ID"}, yaml: "zscaler.customer_id", help: "ZPA customer id"},
	{env: []string{"ZSCALER_API_BASE_URL"}, yaml: "zscaler.api_base_url", help: "OneAPI base URL (default https://api.zsapi.net)"},
	{flag: "api-timeout", env: []string{"ZSCALER_MCP_API_TIMEOUT"}, yaml: "zscaler.api_timeout", help: "timeout of one OneAPI attempt or token request (default 30s)"},
	{flag: "api-max-attempts", env: []string{"ZSCALER_MCP_API_MAX_ATTEMPTS"}, yaml: "zscaler.api_max_attempts", help: "attempts per OneAPI request, 1-10, retrying 429/5xx (default 3)"},
	{flag: "api-rate-limits", env: []string{"ZSCALER_MCP_API_RATE_LIMITS"}, yaml: "zscaler.api_rate_limits", help: "per-service OneAPI rate-limit overrides, e.g. zia.read=2:4,zpa=off"},

	{flag: "services", env: []string{"ZSCALER_MCP_SERVICES"}, yaml: "tools.services", help: "only the tools of these services, comma-separated (zia, zpa, zdx, zcc, zidentity)"},
	{flag: "disabled-services", env: []string{"ZSCALER_MCP_DISABLED_SERVICES"}, yaml: "tools.disabled_services", help: "drop the tools of these services"},
	{flag: "toolsets", env: []string{"ZSCALER_MCP_TOOLSETS"}, yaml: "tools.toolsets", help: "only the tools of these toolsets (see --list-tools)"},
	{flag: "disabled-toolsets", env: []string{"ZSCALER_MCP_DISABLED_TOOLSETS"}, yaml: "tools.disabled_toolsets", help: "drop the tools of these toolsets"},
	{flag: "disabled-tools", env: []string{"ZSCALER_MCP_DISABLED_TOOLS"}, yaml: "tools.disabled_tools", help: "drop these tools (names or globs, comma-separated)"},
	{flag: "enable-write-tools", env: []string{"ZSCALER_MCP_ENABLE_WRITE_TOOLS", "ZSCALER_MCP_WRITE_ENABLED"}, yaml: "tools.enable_write_tools", def: "false", bool: true, help: "allow write tools (also needs --write-tools)"},
	{flag: "write-tools", env: []string{"ZSCALER_MCP_WRITE_TOOLS"}, yaml: "tools.write_tools", help: "write tools to register: name globs, comma-separated (also needs --enable-write-tools)"},
	{flag: "no-entitlement-filter", env: []string{"ZSCALER_MCP_NO_ENTITLEMENT_FILTER", "ZSCALER_MCP_DISABLE_ENTITLEMENT_FILTER"}, yaml: "tools.no_entitlement_filter", def: "false", bool: true, help: "do not hide tools by the service-info entitlements (server credential and per caller)"},
	{flag: "confirmation-ttl", env: []string{"ZSCALER_MCP_CONFIRMATION_TTL"}, yaml: "tools.confirmation_ttl", def: "5m", help: "how long a delete confirmation (token or question to the user) stays valid"},
	{flag: "list-tools", bool: true, def: "false", help: "print the tools the selection flags pick (name, service, access, description) and exit"},

	{flag: "allowed-hosts", env: []string{"ZSCALER_MCP_ALLOWED_HOSTS"}, yaml: "security.allowed_hosts", help: "Host allowlist, comma-separated (421 otherwise; * disables)"},
	{flag: "allowed-origins", env: []string{"ZSCALER_MCP_ALLOWED_ORIGINS"}, yaml: "security.allowed_origins", help: "browser Origin allowlist for the MCP routes (403 otherwise)"},
	{flag: "allowed-source-ips", env: []string{"ZSCALER_MCP_ALLOWED_SOURCE_IPS"}, yaml: "security.allowed_source_ips", help: "client IP/CIDR allowlist (403 before auth)"},
	{flag: "trusted-proxies", env: []string{"ZSCALER_MCP_TRUSTED_PROXIES"}, yaml: "security.trusted_proxies", help: "proxy CIDRs whose X-Forwarded-For is honoured"},
	{flag: "tls-certfile", env: []string{"ZSCALER_MCP_TLS_CERTFILE"}, yaml: "security.tls_certfile", help: "TLS certificate (PEM)"},
	{flag: "tls-keyfile", env: []string{"ZSCALER_MCP_TLS_KEYFILE"}, yaml: "security.tls_keyfile", help: "TLS private key (PEM)"},
	{flag: "tls-ca-certs", env: []string{"ZSCALER_MCP_TLS_CA_CERTS"}, yaml: "security.tls_ca_certs", help: "CA bundle for client certificates (mTLS on the MCP routes)"},
	{flag: "allow-http", env: []string{"ZSCALER_MCP_ALLOW_HTTP"}, yaml: "security.allow_http", def: "false", help: "allow plaintext HTTP on a non-loopback bind"},
	{flag: "max-body-bytes", env: []string{"ZSCALER_MCP_MAX_BODY_BYTES"}, yaml: "security.max_body_bytes", def: "4194304", help: "request body limit (413 beyond)"},
	{flag: "audit-retention", env: []string{"ZSCALER_MCP_AUDIT_RETENTION"}, yaml: "audit_retention", def: "720h", help: "how long the audit log keeps events (0 keeps them forever)"},
	{flag: "token-rate-limit", env: []string{"ZSCALER_MCP_TOKEN_RATE_LIMIT"}, yaml: "security.token_rate_limit", def: "50/s", help: "oidcproxy: per-IP rate of each of /token, /revoke, /introspect, /register/{id} (N/s, N/m, N/h or off)"},
	{flag: "token-rate-burst", env: []string{"ZSCALER_MCP_TOKEN_RATE_BURST"}, yaml: "security.token_rate_burst", def: "200", help: "oidcproxy: per-IP burst of /token, /revoke, /introspect, /register/{id}"},
	{flag: "registration-rate-limit", env: []string{"ZSCALER_MCP_REGISTRATION_RATE_LIMIT"}, yaml: "security.registration_rate_limit", def: "10/m", help: "oidcproxy: per-IP rate of POST /register (N/s, N/m, N/h or off)"},
	{flag: "registration-rate-burst", env: []string{"ZSCALER_MCP_REGISTRATION_RATE_BURST"}, yaml: "security.registration_rate_burst", def: "20", help: "oidcproxy: per-IP burst of POST /register"},
	{flag: "shutdown-timeout", env: []string{"ZSCALER_MCP_SHUTDOWN_TIMEOUT"}, yaml: "shutdown_timeout", def: "15s", help: "how long in-flight requests may take to finish on SIGINT/SIGTERM"},

	{flag: "generate-auth-token", bool: true, def: "false", help: "print a fresh 256-bit API key (64 hex chars) and exit"},
	{flag: "version", bool: true, def: "false", help: "print the version and exit"},
}

// values is the resolved configuration: the value of each setting by its
// primary name (flag name, or the first env name), and where it came from.
type values struct {
	v      map[string]string
	source map[string]string
	file   map[string]any // the parsed YAML, for sections read by later issues
	path   string         // the config file's path ("" without one)
	args   []string       // the command line they were resolved from (for a reload)
}

func (s setting) key() string {
	if s.flag != "" {
		return s.flag
	}
	return s.env[0]
}

func (v values) get(key string) string { return v.v[key] }

func (v values) bool(key string) (bool, error) {
	s := strings.TrimSpace(v.v[key])
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not a boolean (use true or false)", v.describe(key), s)
	}
	return b, nil
}

func (v values) list(key string) []string {
	var out []string
	for p := range strings.SplitSeq(v.v[key], ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// describe names a setting the way the user set it, for error messages.
func (v values) describe(key string) string {
	if src := v.source[key]; src != "" {
		return src
	}
	return "--" + key
}

// parseSettings resolves every setting from args, env and the config file.
func parseSettings(args []string, getenv func(string) string, stderr io.Writer) (values, error) {
	fs := flag.NewFlagSet("zscaler-mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs.Output()) }
	flagVals := map[string]*string{}
	boolVals := map[string]*bool{}
	for _, s := range settings {
		if s.flag == "" {
			continue
		}
		if s.bool {
			boolVals[s.flag] = fs.Bool(s.flag, false, s.help)
		} else {
			flagVals[s.flag] = fs.String(s.flag, "", s.help)
		}
	}
	if err := fs.Parse(args); err != nil {
		return values{}, err
	}
	if fs.NArg() > 0 {
		return values{}, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	out := values{v: map[string]string{}, source: map[string]string{}, args: args}
	// The config file path itself: flag > env.
	cfgPath := *flagVals["config"]
	if cfgPath == "" {
		cfgPath = getenv("ZSCALER_MCP_CONFIG")
	}
	if cfgPath != "" {
		f, err := loadConfigFile(cfgPath, getenv)
		if err != nil {
			return values{}, err
		}
		out.file, out.path = f, cfgPath
		if err := checkFileKeys(cfgPath, f); err != nil {
			return values{}, err
		}
	}
	for _, s := range settings {
		k := s.key()
		switch {
		case s.flag != "" && set[s.flag]:
			if s.bool {
				out.v[k] = strconv.FormatBool(*boolVals[s.flag])
			} else {
				out.v[k] = *flagVals[s.flag]
			}
			out.source[k] = "--" + s.flag
		case envOf(s, getenv) != "":
			name := envName(s, getenv)
			out.v[k], out.source[k] = getenv(name), name
		case s.yaml != "" && lookupYAML(out.file, s.yaml) != nil:
			val, err := yamlString(lookupYAML(out.file, s.yaml))
			if err != nil {
				return values{}, fmt.Errorf("%s: %s: %w", cfgPath, s.yaml, err)
			}
			out.v[k], out.source[k] = val, cfgPath+": "+s.yaml
		default:
			out.v[k] = s.def
		}
	}
	return out, nil
}

func envName(s setting, getenv func(string) string) string {
	for _, e := range s.env {
		if getenv(e) != "" {
			return e
		}
	}
	return ""
}

func envOf(s setting, getenv func(string) string) string {
	if n := envName(s, getenv); n != "" {
		return getenv(n)
	}
	return ""
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// loadConfigFile reads a YAML file, expanding ${ENV} references; an unset
// variable is an error naming it and its line (a secret that silently became
// empty would be worse).
func loadConfigFile(path string, getenv func(string) string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var missing []string
	for i, line := range bytes.Split(raw, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '#' {
			continue
		}
		for _, m := range envRef.FindAllSubmatch(line, -1) {
			if getenv(string(m[1])) == "" {
				missing = append(missing, fmt.Sprintf("%s:%d: %senvironment variable %s is not set", path, i+1, locationPrefix(raw, i+1, string(m[0])), m[1]))
			}
		}
	}
	if len(missing) > 0 {
		return nil, errors.New(strings.Join(missing, "\n"))
	}
	expanded := envRef.ReplaceAllFunc(raw, func(m []byte) []byte {
		v := getenv(string(envRef.FindSubmatch(m)[1]))
		// Quote so a value with YAML syntax (": ", "#") stays one string.
		q, _ := yaml.Marshal(v)
		return bytes.TrimRight(q, "\n")
	})
	var doc map[string]any
	if err := yaml.Unmarshal(expanded, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}

// knownSections are top-level config keys read by other parts of the
// server (the authorization server and IdPs); tools: is checked key by key.
var knownSections = map[string]bool{"oauth": true, "idps": true}

// checkFileKeys rejects unknown keys, naming them, so a typo is not
// silently ignored.
func checkFileKeys(path string, doc map[string]any) error {
	known := map[string]bool{}
	for _, s := range settings {
		if s.yaml == "" {
			continue
		}
		parts := strings.Split(s.yaml, ".")
		for i := range parts {
			known[strings.Join(parts[:i+1], ".")] = true
		}
	}
	var bad []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if prefix == "" && knownSections[k] {
				continue
			}
			if !known[p] {
				bad = append(bad, p)
				continue
			}
			if sub, ok := v.(map[string]any); ok {
				walk(p, sub)
			}
		}
	}
	walk("", doc)
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("%s: unknown key(s): %s", path, strings.Join(bad, ", "))
	}
	return nil
}

func lookupYAML(doc map[string]any, path string) any {
	var cur any = doc
	for p := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[p]; !ok {
			return nil
		}
	}
	return cur
}

// yamlString turns a scalar or a list of scalars into the string form used
// by flags and env (lists become comma-separated).
func yamlString(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool, int, int64, uint64, float64:
		return fmt.Sprint(t), nil
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			s, err := yamlString(e)
			if err != nil {
				return "", err
			}
			if _, nested := e.([]any); nested {
				return "", errors.New("nested lists are not allowed")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	case map[string]any:
		return "", errors.New("expected a value, found a mapping")
	case nil:
		return "", nil
	default:
		return "", fmt.Errorf("unsupported value %v", t)
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: zscaler-mcp [flags]")
	fmt.Fprintln(w, "       zscaler-mcp --generate-auth-token")
	fmt.Fprintln(w, "       zscaler-mcp clients|tokens|keys|audit|config <command> [flags]   (admin commands; -h for each)")
	fmt.Fprintln(w, "\nEvery flag has an env twin; precedence is flag > env > config file > default.")
	for _, s := range settings {
		name := "(env only)"
		if s.flag != "" {
			name = "--" + s.flag
		}
		env := strings.Join(s.env, ", ")
		def := ""
		if s.def != "" && s.def != "false" {
			def = " (default " + s.def + ")"
		}
		fmt.Fprintf(w, "  %-26s %s%s\n", name, s.help, def)
		if env != "" {
			fmt.Fprintf(w, "  %-26s   env: %s\n", "", env)
		}
	}
}

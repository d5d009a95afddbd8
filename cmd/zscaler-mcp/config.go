package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zscalermcp/zscaler-mcp/idp"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/zscalerauth"
	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
)

// config is the typed, validated configuration.
type config struct {
	Transport    string
	Host         string
	Port         int
	PublicURL    string
	LoopbackBind bool
	DataDir      string
	LogLevel     slog.Level
	LogJSON      bool

	// Mode is the resolved client-auth mode ("" on stdio).
	Mode       string
	ModeReason string
	APIKeys    []string
	JWKSURI    string
	Audiences  []string
	Issuers    []string
	Scopes     []string
	OIDC       oidcConfig
	HasIdPs    bool
	// IdPs are the upstream IdPs of the oidcproxy mode (validated).
	IdPs []idp.Config
	// OAuth holds the oidcproxy authorization server's lifetimes.
	OAuth oauthConfig

	ZscalerTokenURL string
	ZscalerVanity   string
	ZscalerCloud    string
	// Fallbacks are the validators an admin turned on explicitly beside
	// our tokens in oidcproxy mode (ZSCALER_MCP_AUTH_FALLBACKS; only
	// "zscaler": the api-key and jwt fallbacks follow their own settings).
	Fallbacks []string
	// ASLimits are the authorization server's per-IP rate limits.
	ASLimits asLimits

	AllowedHosts   []string
	AllowedOrigins []string
	// extraHosts/extraOrigins are the user's lists; publicURLDerived marks a
	// public URL computed from the bind (recomputed once the port is known).
	extraHosts       []string
	extraOrigins     []string
	publicURLDerived bool
	SourceIPs        []netip.Prefix
	TrustedProxies   []netip.Prefix
	TLSCert, TLSKey  string
	TLSCA            string
	AllowHTTP        bool
	MaxBody          int64
	ShutdownTimeout  time.Duration
	// AuditRetention is how long the store keeps audit events (negative:
	// forever).
	AuditRetention time.Duration

	// src and getenv are what the config was built from; a reload re-reads
	// the same command line, environment and file (see reload.go).
	src    values
	getenv func(string) string

	// Tools selects and gates the Zscaler tools.
	Tools toolsConfig
}

type oidcConfig struct {
	ConfigURL, ClientID, Audience string
}

// modeAliases maps accepted spellings to mode names.
var modeAliases = map[string]string{
	"api-key": auth.ModeAPIKey, "apikey": auth.ModeAPIKey, "api_key": auth.ModeAPIKey,
	"jwt": auth.ModeJWT, "oidc": auth.ModeOIDC, "zscaler": auth.ModeZscaler,
	"oidcproxy": auth.ModeOIDCProxy, "oauth-proxy": auth.ModeOIDCProxy, "oidc-proxy": auth.ModeOIDCProxy,
	"none": auth.ModeNone,
}

// buildConfig validates v into a config and applies the start-up rules of
// DESIGN.md §3 (auto-detection and refusals). Errors name the setting the
// way the user set it.
func buildConfig(v values, getenv func(string) string) (*config, error) {
	return buildConfigWith(v, getenv, tools.All())
}

// buildConfigWith is buildConfig with the tool catalogue given (tests use
// their own).
func buildConfigWith(v values, getenv func(string) string, catalogue []tools.Spec) (*config, error) {
	tc, err := parseTools(v, catalogue)
	if err != nil {
		return nil, err
	}
	if tc.OneAPI, tc.HasOneAPI, err = parseOneAPI(v, getenv); err != nil {
		return nil, err
	}
	c := &config{
		Tools:         tc,
		Transport:     strings.ToLower(strings.TrimSpace(v.get("transport"))),
		Host:          strings.TrimSpace(v.get("host")),
		APIKeys:       auth.ParseAPIKeys(v.get("auth-api-key")),
		JWKSURI:       strings.TrimSpace(v.get("auth-jwks-uri")),
		Audiences:     v.list("auth-audience"),
		Issuers:       v.list("auth-issuer"),
		Scopes:        v.list("auth-scopes"),
		ZscalerVanity: strings.TrimSpace(v.get("zscaler-vanity-domain")),
		ZscalerCloud:  strings.TrimSpace(v.get("zscaler-cloud")),
		TLSCert:       v.get("tls-certfile"),
		TLSKey:        v.get("tls-keyfile"),
		TLSCA:         v.get("tls-ca-certs"),
		OIDC: oidcConfig{
			ConfigURL: strings.TrimSpace(v.get("OIDCPROXY_CONFIG_URL")),
			ClientID:  strings.TrimSpace(v.get("OIDCPROXY_CLIENT_ID")),
			Audience:  strings.TrimSpace(v.get("OIDCPROXY_AUDIENCE")),
		},
		HasIdPs:         lookupYAML(v.file, "idps") != nil,
		ZscalerTokenURL: strings.TrimSpace(v.get("zscaler-token-url")),
		src:             v,
		getenv:          getenv,
		Fallbacks:       v.list("auth-fallbacks"),
	}
	switch c.Transport {
	case "stdio", "sse", "streamable-http":
	case "http", "streamable_http", "streamablehttp":
		c.Transport = "streamable-http"
	default:
		return nil, fmt.Errorf("%s: unknown transport %q (use stdio, sse or streamable-http)", v.describe("transport"), c.Transport)
	}
	port, err := strconv.Atoi(strings.TrimSpace(v.get("port")))
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("%s: %q is not a port number", v.describe("port"), v.get("port"))
	}
	c.Port = port
	if err := c.LogLevel.UnmarshalText([]byte(v.get("log-level"))); err != nil {
		return nil, fmt.Errorf("%s: %q is not a log level (debug, info, warn, error)", v.describe("log-level"), v.get("log-level"))
	}
	switch v.get("log-format") {
	case "text":
	case "json":
		c.LogJSON = true
	default:
		return nil, fmt.Errorf("%s: %q is not a log format (text or json)", v.describe("log-format"), v.get("log-format"))
	}
	if c.DataDir, err = dataDir(v.get("data-dir"), getenv); err != nil {
		return nil, err
	}
	for _, s := range c.Scopes {
		if s != auth.ScopeRead && s != auth.ScopeWrite {
			return nil, fmt.Errorf("%s: unknown scope %q (zscaler.read, zscaler.write)", v.describe("auth-scopes"), s)
		}
	}
	if c.AllowHTTP, err = v.bool("allow-http"); err != nil {
		return nil, err
	}
	if c.MaxBody, err = strconv.ParseInt(v.get("max-body-bytes"), 10, 64); err != nil || c.MaxBody < 1024 {
		return nil, fmt.Errorf("%s: %q must be a byte count of at least 1024", v.describe("max-body-bytes"), v.get("max-body-bytes"))
	}
	if c.ShutdownTimeout, err = time.ParseDuration(v.get("shutdown-timeout")); err != nil || c.ShutdownTimeout <= 0 {
		return nil, fmt.Errorf("%s: %q is not a positive duration (e.g. 15s)", v.describe("shutdown-timeout"), v.get("shutdown-timeout"))
	}
	if c.AuditRetention, err = parseRetention(v); err != nil {
		return nil, err
	}
	if c.SourceIPs, err = hardening.ParsePrefixes(v.get("allowed-source-ips")); err != nil {
		return nil, fmt.Errorf("%s: %w", v.describe("allowed-source-ips"), err)
	}
	if c.TrustedProxies, err = hardening.ParsePrefixes(v.get("trusted-proxies")); err != nil {
		return nil, fmt.Errorf("%s: %w", v.describe("trusted-proxies"), err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, errors.New("TLS needs both ZSCALER_MCP_TLS_CERTFILE and ZSCALER_MCP_TLS_KEYFILE")
	}
	if c.TLSCA != "" && c.TLSCert == "" {
		return nil, errors.New("ZSCALER_MCP_TLS_CA_CERTS (mutual TLS) needs ZSCALER_MCP_TLS_CERTFILE and ZSCALER_MCP_TLS_KEYFILE")
	}
	if c.Transport == "stdio" {
		return c, nil // no network surface: nothing below applies
	}

	c.LoopbackBind = isLoopbackBind(c.Host)
	if err := c.resolvePublicURL(v); err != nil {
		return nil, err
	}
	if err := c.resolveMode(v); err != nil {
		return nil, err
	}
	if err := c.resolveASLimits(v); err != nil {
		return nil, err
	}
	if !c.LoopbackBind && c.TLSCert == "" && !c.AllowHTTP {
		return nil, fmt.Errorf("refusing to serve plaintext HTTP on non-loopback address %s: set ZSCALER_MCP_TLS_CERTFILE and ZSCALER_MCP_TLS_KEYFILE, or ZSCALER_MCP_ALLOW_HTTP=true when a TLS-terminating proxy is in front", c.Host)
	}
	c.extraHosts, c.extraOrigins = v.list("allowed-hosts"), v.list("allowed-origins")
	if err := (hardening.OriginConfig{Allowed: c.extraOrigins}).Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", v.describe("allowed-origins"), err)
	}
	c.setPort(c.Port)
	return c, nil
}

// setPort records the port actually bound (it differs from c.Port when that
// was 0) and derives what depends on it: the public URL on a loopback bind
// without --public-url, and the default Host and Origin allowlists.
func (c *config) setPort(port int) {
	c.Port = port
	if c.publicURLDerived {
		scheme := "http"
		if c.TLSCert != "" {
			scheme = "https"
		}
		c.PublicURL = fmt.Sprintf("%s://localhost:%d", scheme, port)
	}
	c.AllowedHosts = c.extraHosts
	if len(c.AllowedHosts) == 0 {
		c.AllowedHosts = hardening.DefaultAllowedHosts(c.PublicURL, c.LoopbackBind)
	}
	c.AllowedOrigins = append(hardening.DefaultAllowedOrigins(c.PublicURL, c.LoopbackBind), c.extraOrigins...)
}

// resolvePublicURL validates --public-url or derives it on a loopback bind.
func (c *config) resolvePublicURL(v values) error {
	raw := strings.TrimSpace(v.get("public-url"))
	if raw == "" {
		if !c.LoopbackBind {
			return fmt.Errorf("--public-url (ZSCALER_MCP_PUBLIC_URL) is required on non-loopback address %s: set it to the URL clients use, e.g. https://mcp.example.com (it is never derived from the bind address or a request's Host)", c.Host)
		}
		c.publicURLDerived = true
		c.PublicURL = fmt.Sprintf("http://localhost:%d", c.Port) // final in setPort
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: %q must be an absolute http(s) URL like https://mcp.example.com", v.describe("public-url"), raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%s: %q must be scheme://host[:port] with no path, query or credentials", v.describe("public-url"), raw)
	}
	c.PublicURL = strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
	return nil
}

// resolveMode applies the auto-detection rules and the refusals.
func (c *config) resolveMode(v values) error {
	enabled := true
	if v.get("auth-enabled") != "" {
		b, err := v.bool("auth-enabled")
		if err != nil {
			return err
		}
		enabled = b
	}
	forced := strings.ToLower(strings.TrimSpace(v.get("auth-mode")))
	switch {
	case !enabled:
		c.Mode, c.ModeReason = auth.ModeNone, "ZSCALER_MCP_AUTH_ENABLED=false"
	case forced != "":
		m, ok := modeAliases[forced]
		if !ok {
			return fmt.Errorf("%s: unknown auth mode %q (api-key, jwt, oidc, zscaler, oidcproxy, none)", v.describe("auth-mode"), forced)
		}
		c.Mode, c.ModeReason = m, "forced by "+v.describe("auth-mode")
	case c.HasIdPs || c.OIDC.ConfigURL != "":
		c.Mode, c.ModeReason = auth.ModeOIDCProxy, "detected: idps / OIDCPROXY_CONFIG_URL"
	case len(c.APIKeys) > 0:
		c.Mode, c.ModeReason = auth.ModeAPIKey, "detected: ZSCALER_MCP_AUTH_API_KEY"
	case c.JWKSURI != "":
		c.Mode, c.ModeReason = auth.ModeJWT, "detected: ZSCALER_MCP_AUTH_JWKS_URI"
	case c.LoopbackBind && isLoopbackURL(c.PublicURL):
		c.Mode, c.ModeReason = auth.ModeNone, "detected: loopback bind, no credentials configured"
	case c.LoopbackBind:
		return fmt.Errorf("refusing to start without client authentication: the public URL %s is not loopback (a tunnel or reverse proxy would expose the server): set ZSCALER_MCP_AUTH_API_KEY (api-key mode), ZSCALER_MCP_AUTH_JWKS_URI (jwt mode), ZSCALER_MCP_AUTH_MODE=zscaler, or a --config with idps: (oidcproxy mode)", c.PublicURL)
	default:
		return fmt.Errorf("refusing to start without client authentication on non-loopback address %s: set ZSCALER_MCP_AUTH_API_KEY (api-key mode), ZSCALER_MCP_AUTH_JWKS_URI with ZSCALER_MCP_AUTH_ISSUER and ZSCALER_MCP_AUTH_AUDIENCE (jwt mode), ZSCALER_MCP_AUTH_MODE=zscaler, or a --config with idps: (oidcproxy mode)", c.Host)
	}
	switch c.Mode {
	case auth.ModeNone:
		if !c.LoopbackBind || !isLoopbackURL(c.PublicURL) {
			return fmt.Errorf("refusing to start without client authentication: auth mode none needs a loopback bind and a loopback public URL (bind %s, public URL %s)", c.Host, c.PublicURL)
		}
	case auth.ModeJWT:
		if c.JWKSURI == "" {
			return errors.New("jwt mode needs ZSCALER_MCP_AUTH_JWKS_URI")
		}
		if !c.LoopbackBind && (len(c.Audiences) == 0 || len(c.Issuers) == 0) {
			return errors.New("jwt mode on a non-loopback bind requires ZSCALER_MCP_AUTH_AUDIENCE and ZSCALER_MCP_AUTH_ISSUER (a JWKS shared by many tenants would otherwise accept any of their tokens)")
		}
	case auth.ModeOIDC:
		if c.OIDC.ConfigURL == "" || c.OIDC.ClientID == "" && c.OIDC.Audience == "" {
			return errors.New("oidc mode needs OIDCPROXY_CONFIG_URL and OIDCPROXY_CLIENT_ID (or OIDCPROXY_AUDIENCE)")
		}
		if c.OIDC.Audience == "" {
			c.OIDC.Audience = c.OIDC.ClientID
		}
	case auth.ModeOIDCProxy:
		if err := c.resolveIdPs(v); err != nil {
			return err
		}
		if err := c.resolveOAuth(v); err != nil {
			return err
		}
		if c.JWKSURI != "" && !c.LoopbackBind && (len(c.Audiences) == 0 || len(c.Issuers) == 0) {
			return errors.New("the jwt fallback of oidcproxy mode on a non-loopback bind requires ZSCALER_MCP_AUTH_AUDIENCE and ZSCALER_MCP_AUTH_ISSUER (a JWKS shared by many tenants would otherwise accept any of their tokens)")
		}
	}
	return c.resolveFallbacks(v)
}

// resolveFallbacks checks ZSCALER_MCP_AUTH_FALLBACKS: it only applies to
// oidcproxy mode and only names validators that need turning on
// explicitly (zscaler: its token URL settings also serve the OneAPI
// client, so their presence alone must not open a second way in).
func (c *config) resolveFallbacks(v values) error {
	if len(c.Fallbacks) == 0 {
		return nil
	}
	if c.Mode != auth.ModeOIDCProxy {
		return fmt.Errorf("%s: fallbacks apply only to oidcproxy mode (the auth mode is %s)", v.describe("auth-fallbacks"), c.Mode)
	}
	for i, f := range c.Fallbacks {
		f = strings.ToLower(f)
		c.Fallbacks[i] = f
		if f != auth.ModeZscaler {
			return fmt.Errorf("%s: unknown fallback %q (only zscaler; the api-key and jwt fallbacks follow ZSCALER_MCP_AUTH_API_KEY and ZSCALER_MCP_AUTH_JWKS_URI)", v.describe("auth-fallbacks"), f)
		}
	}
	if _, err := zscalerauth.TokenURL(c.ZscalerVanity, c.ZscalerCloud, c.ZscalerTokenURL); err != nil {
		return fmt.Errorf("%s: the zscaler fallback: %w", v.describe("auth-fallbacks"), err)
	}
	return nil
}

// hasFallback reports whether ZSCALER_MCP_AUTH_FALLBACKS names f.
func (c *config) hasFallback(f string) bool { return slices.Contains(c.Fallbacks, f) }

// isLoopbackBind reports whether host binds only loopback interfaces.
func isLoopbackBind(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.Unmap().IsLoopback()
}

func isLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && auth.IsLoopbackHost(p.Host)
}

// dataDir resolves the state directory (not created here).
func dataDir(flagVal string, getenv func(string) string) (string, error) {
	if flagVal != "" {
		return filepath.Abs(flagVal)
	}
	if x := getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "zscaler-mcp"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find a data dir: set --data-dir: %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".local", "state", "zscaler-mcp"), nil
}

// ensureDataDir creates dir 0700 (and tightens an existing one).
func ensureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	return nil
}

// loadOrCreateAPIKey returns the key stored in dir, creating (and reporting
// created=true) a fresh one on first run. The file is 0600.
func loadOrCreateAPIKey(dir string) (key string, created bool, err error) {
	if err := ensureDataDir(dir); err != nil {
		return "", false, err
	}
	path := filepath.Join(dir, "api-key")
	if b, err := os.ReadFile(path); err == nil {
		if k := strings.TrimSpace(string(b)); k != "" {
			return k, false, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("read %s: %w", path, err)
	}
	key = auth.GenerateAPIKey()
	if err := writeFileAtomic(path, []byte(key+"\n")); err != nil {
		return "", false, fmt.Errorf("store API key: %w", err)
	}
	return key, true, nil
}

// listenAddr is host:port for net.Listen.
func (c *config) listenAddr() string {
	return net.JoinHostPort(strings.Trim(c.Host, "[]"), strconv.Itoa(c.Port))
}

// writeFileAtomic writes data to path with mode 0600 via a temp file and a
// rename, so a crash never leaves a half-written file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

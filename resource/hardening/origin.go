package hardening

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for OriginConfig.
var (
	// defaultExposeHeaders are the response headers a browser client may
	// read: the 401 challenge and the session id.
	defaultExposeHeaders = []string{"WWW-Authenticate", "Mcp-Session-Id"}
	// defaultAllowHeaders are the request headers an MCP browser client
	// sends.
	defaultAllowHeaders = []string{
		"Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version",
		"Last-Event-ID", "X-Api-Key", "X-Zscaler-Client-ID", "X-Zscaler-Client-Secret",
		"Mcp-Method", "Mcp-Name",
	}
	defaultMethods = []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodOptions}
)

// DefaultCORSMaxAge is how long browsers may cache a preflight answer when
// OriginConfig.MaxAge is zero.
const DefaultCORSMaxAge = 10 * time.Minute

// OriginConfig configures Origins. The zero value allows no browser origin
// at all (requests without an Origin header still pass).
type OriginConfig struct {
	// Allowed lists exact origins, "scheme://host[:port]" (for example
	// "https://app.example.com"). Scheme and host compare case-insensitively
	// and a default port (80 for http, 443 for https) may be omitted. "null"
	// allows the opaque origin of sandboxed pages and file: URLs; "*" allows
	// every origin, "null" included. Unparsable entries never match; check
	// them at start-up with Validate.
	Allowed []string
	// ExposeHeaders are sent as Access-Control-Expose-Headers; nil means
	// WWW-Authenticate and Mcp-Session-Id.
	ExposeHeaders []string
	// AllowHeaders answer a preflight's Access-Control-Request-Headers; nil
	// means Authorization, Content-Type, Mcp-Session-Id,
	// Mcp-Protocol-Version, Last-Event-ID, X-Api-Key, X-Zscaler-Client-ID,
	// X-Zscaler-Client-Secret, Mcp-Method and Mcp-Name.
	AllowHeaders []string
	// Methods answer a preflight's Access-Control-Request-Method; nil means
	// GET, POST, DELETE and OPTIONS.
	Methods []string
	// MaxAge is sent as Access-Control-Max-Age on preflights; zero means
	// DefaultCORSMaxAge and a negative value omits the header.
	MaxAge time.Duration
}

// Validate reports the first entry of Allowed that is not an origin.
func (c OriginConfig) Validate() error {
	for _, a := range c.Allowed {
		if a == "*" || a == "null" {
			continue
		}
		if _, err := NormalizeOrigin(a); err != nil {
			return fmt.Errorf("allowed origins: %w", err)
		}
	}
	return nil
}

// Origins checks the Origin header of MCP requests and answers CORS for
// the allowed ones (DESIGN.md §3; the MCP Streamable HTTP transport requires
// a 403 for an Origin that is present and not allowed).
//
//   - No Origin header: the request passes untouched (non-browser client).
//   - Origin allowed: Access-Control-Allow-Origin echoes it and
//     Access-Control-Expose-Headers is set; a preflight (OPTIONS with
//     Access-Control-Request-Method) is answered 204 here and never reaches
//     the next handler, so it needs no credentials.
//   - Origin not allowed (or sent more than once): 403 with
//     {"error":"forbidden","error_description":"origin \"x\" is not allowed"},
//     preflights included.
//
// Credentials (cookies) are never allowed: MCP clients authenticate with
// headers.
func Origins(cfg OriginConfig) func(http.Handler) http.Handler {
	m := newOriginMatcher(cfg.Allowed)
	expose := strings.Join(orDefault(cfg.ExposeHeaders, defaultExposeHeaders), ", ")
	allowHeaders := strings.Join(orDefault(cfg.AllowHeaders, defaultAllowHeaders), ", ")
	methods := strings.Join(orDefault(cfg.Methods, defaultMethods), ", ")
	maxAge := maxAgeValue(cfg.MaxAge)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Add("Vary", "Origin")
			origins := r.Header.Values("Origin")
			if len(origins) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			origin := origins[0]
			if len(origins) > 1 || !m.match(origin) {
				WriteJSONError(w, http.StatusForbidden, "forbidden",
					"origin "+quoteClient(strings.Join(origins, ", "))+" is not allowed")
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			if isPreflight(r) {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				h.Set("Access-Control-Allow-Methods", methods)
				h.Set("Access-Control-Allow-Headers", allowHeaders)
				if maxAge != "" {
					h.Set("Access-Control-Max-Age", maxAge)
				}
				w.WriteHeader(http.StatusNoContent)
				return
			}
			h.Set("Access-Control-Expose-Headers", expose)
			next.ServeHTTP(w, r)
		})
	}
}

// PublicCORS opens an endpoint to every origin without credentials, for the
// OAuth JSON endpoints and metadata documents (RFC 8414, RFC 9728, /token,
// /register, ...): Access-Control-Allow-Origin: * on every response and
// preflights answered 204 here.
func PublicCORS() func(http.Handler) http.Handler {
	const (
		methods = "GET, POST, PUT, DELETE, OPTIONS"
		headers = "Authorization, Content-Type, Mcp-Protocol-Version"
	)
	maxAge := maxAgeValue(DefaultCORSMaxAge)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", "*")
			if isPreflight(r) {
				h.Set("Access-Control-Allow-Methods", methods)
				h.Set("Access-Control-Allow-Headers", headers)
				h.Set("Access-Control-Max-Age", maxAge)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			h.Set("Access-Control-Expose-Headers", "WWW-Authenticate")
			next.ServeHTTP(w, r)
		})
	}
}

// DefaultAllowedOrigins returns the origin allowlist for a server reachable
// at publicURL: the public URL's origin and, on a loopback bind where the
// public URL names a loopback host (the default http://localhost:PORT), the
// other loopback spellings of it: http://localhost:PORT,
// http://127.0.0.1:PORT and http://[::1]:PORT (with the public URL's scheme
// and port). A non-loopback public URL tells no local port, so it gets no
// loopback spellings. An unparsable publicURL contributes nothing.
func DefaultAllowedOrigins(publicURL string, loopbackBind bool) []string {
	u, err := url.Parse(publicURL)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	o, err := NormalizeOrigin(u.Scheme + "://" + u.Host)
	if err != nil {
		return nil
	}
	out := []string{o}
	if !loopbackBind || !isLoopbackName(u.Hostname()) {
		return out
	}
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		o, err := NormalizeOrigin(u.Scheme + "://" + net.JoinHostPort(h, port))
		if err == nil && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// NormalizeOrigin returns the canonical form of an origin
// "scheme://host[:port]": lower-case scheme and host, IP literals canonical,
// no default port. A single trailing slash is tolerated; a path, query,
// fragment or user info is an error. "null" is returned unchanged.
func NormalizeOrigin(s string) (string, error) {
	if s == "null" {
		return s, nil
	}
	raw := strings.TrimSuffix(s, "/")
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("origin %q: %w", s, err)
	}
	switch {
	case u.Scheme == "" || u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("origin %q: %w", s, errNotOrigin)
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("origin %q: %w (it must not have user info, path, query or fragment)", s, errNotOrigin)
	}
	scheme := strings.ToLower(u.Scheme)
	host := normHost(u.Hostname())
	port := u.Port()
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return "", fmt.Errorf("origin %q: bad port: %w", s, err)
		}
		port = strconv.FormatUint(n, 10)
	}
	if port == defaultPort(scheme) {
		port = ""
	}
	switch {
	case port != "":
		return scheme + "://" + net.JoinHostPort(host, port), nil
	case strings.Contains(host, ":"):
		return scheme + "://[" + host + "]", nil
	default:
		return scheme + "://" + host, nil
	}
}

var errNotOrigin = errors.New("not an origin of the form scheme://host[:port]")

type originMatcher struct {
	any     bool
	allowed map[string]bool
}

func newOriginMatcher(allowed []string) originMatcher {
	m := originMatcher{allowed: make(map[string]bool, len(allowed))}
	for _, a := range allowed {
		a = strings.TrimSpace(a)
		if a == "*" {
			m.any = true
			continue
		}
		if o, err := NormalizeOrigin(a); err == nil {
			m.allowed[o] = true
		}
	}
	return m
}

func (m originMatcher) match(origin string) bool {
	if m.any {
		return true
	}
	o, err := NormalizeOrigin(origin)
	return err == nil && m.allowed[o]
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

func defaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	}
	return ""
}

func isLoopbackName(host string) bool {
	host = normHost(host)
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func maxAgeValue(d time.Duration) string {
	switch {
	case d == 0:
		d = DefaultCORSMaxAge
	case d < 0:
		return ""
	}
	return strconv.FormatInt(int64(d/time.Second), 10)
}

func orDefault(v, def []string) []string {
	if v == nil {
		return def
	}
	return v
}

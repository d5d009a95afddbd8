package auth

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Realm is the realm named in every challenge.
const Realm = "zscaler-mcp"

// Challenge decides what a 401 advertises (DESIGN.md §3 "Rejections").
type Challenge struct {
	// Basic sends `Basic realm="zscaler-mcp"` (zscaler mode) instead of Bearer.
	Basic bool
	// ResourceMetadata returns the RFC 9728 metadata URL for r, or "" to not
	// advertise one. Only modes where an OAuth flow can succeed (oidcproxy,
	// oidc) set it: elsewhere it would send mcp-remote into a browser flow
	// that cannot work.
	ResourceMetadata func(r *http.Request) string
}

// Options configure the middleware.
type Options struct {
	// Validators are tried in order; the first that does not return
	// ErrNotMine decides.
	Validators []Validator
	// AllowNone admits requests without credentials as the "none" identity
	// when the request is loopback-only (see NoneAllowed).
	AllowNone bool
	// Challenge shapes the 401 response.
	Challenge Challenge
	// Logger receives one line per rejection (never the credential).
	Logger *slog.Logger
	// Observe, if set, is called once per request with the mode that decided
	// ("" when none did) and the outcome ("ok", "missing", "invalid",
	// "unavailable", "limited", "forbidden").
	Observe func(mode, result string)
}

// Middleware authenticates every request before it reaches next. On success
// the Identity is in the request context (FromContext).
func Middleware(o Options) func(http.Handler) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	observe := o.Observe
	if observe == nil {
		observe = func(string, string) {}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, mode, err := authenticate(o, r)
			if err != nil {
				var ae *Error
				if !errors.As(err, &ae) {
					ae = Invalid("invalid credentials", err)
				}
				observe(mode, resultOf(ae))
				o.Logger.LogAttrs(r.Context(), slog.LevelInfo, "client auth rejected",
					slog.String("mode", mode), slog.Int("status", ae.Status),
					slog.String("reason", ae.Reason), slog.String("client_ip", ClientIP(r)),
					slog.String("path", r.URL.Path))
				WriteError(w, r, o.Challenge, ae)
				return
			}
			observe(id.Mode, "ok")
			next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
		})
	}
}

func resultOf(e *Error) string {
	switch {
	case e.Status == http.StatusServiceUnavailable:
		return "unavailable"
	case e.Status == http.StatusTooManyRequests:
		return "limited"
	case e.Status == http.StatusForbidden:
		return "forbidden"
	case e.Code == "":
		return "missing"
	default:
		return "invalid"
	}
}

// noneIdentity is the caller of the none mode. Identities are read-only once
// made, so every request shares this one.
var noneIdentity = &Identity{Mode: ModeNone, Subject: "anonymous", Scopes: DefaultScopes}

func authenticate(o Options, r *http.Request) (*Identity, string, error) {
	c, err := ParseCredential(r.Header)
	if err != nil {
		return nil, "", Invalid(err.Error(), nil)
	}
	if !c.Presented() {
		if o.AllowNone && NoneAllowed(r) {
			return noneIdentity, ModeNone, nil
		}
		return nil, "", &Error{Status: http.StatusUnauthorized, Reason: "authentication required"}
	}
	for _, v := range o.Validators {
		id, err := v.Validate(r.Context(), r, c)
		if errors.Is(err, ErrNotMine) {
			continue
		}
		if err != nil {
			return nil, v.Name(), err
		}
		return id, v.Name(), nil
	}
	if len(o.Validators) == 0 && o.AllowNone && NoneAllowed(r) {
		// none mode ignores credentials it has no validator for.
		return noneIdentity, ModeNone, nil
	}
	return nil, "", invalidKey
}

// WriteError writes e as a JSON error body with the challenge headers of
// DESIGN.md §3: 401 carries WWW-Authenticate (error="invalid_token" only
// when a credential was sent; resource_metadata and scope only when the
// challenge advertises metadata), 403 carries insufficient_scope, 429/503
// carry Retry-After.
func WriteError(w http.ResponseWriter, r *http.Request, ch Challenge, e *Error) {
	h := w.Header()
	switch e.Status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", challengeHeader(r, ch, e.Code, ""))
	case http.StatusForbidden:
		if e.Code == "insufficient_scope" {
			h.Set("WWW-Authenticate", challengeHeader(r, Challenge{ResourceMetadata: ch.ResourceMetadata}, e.Code, scopeOf(e)))
		}
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	code := e.Code
	if code == "" {
		code = map[int]string{401: "unauthorized", 403: "forbidden", 429: "rate_limited", 503: "temporarily_unavailable"}[e.Status]
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": e.Reason})
}

// InsufficientScope is a 403 rejection asking for scope (space-separated).
func InsufficientScope(scope string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "insufficient_scope",
		Reason: "this request needs scope " + strconv.Quote(scope), Err: scopeError(scope)}
}

type scopeError string

func (s scopeError) Error() string { return string(s) }

func scopeOf(e *Error) string {
	var s scopeError
	if errors.As(e.Err, &s) {
		return string(s)
	}
	return ScopeRead
}

func challengeHeader(r *http.Request, ch Challenge, code, scope string) string {
	if ch.Basic {
		return `Basic realm="` + Realm + `"`
	}
	parts := []string{`realm="` + Realm + `"`}
	if code != "" && code != "temporarily_unavailable" {
		parts = append(parts, `error="`+code+`"`)
	}
	if ch.ResourceMetadata != nil {
		if u := ch.ResourceMetadata(r); u != "" {
			parts = append(parts, `resource_metadata="`+u+`"`)
			if scope == "" {
				scope = ScopeRead
			}
		}
	}
	if scope != "" {
		parts = append(parts, `scope="`+scope+`"`)
	}
	return "Bearer " + strings.Join(parts, ", ")
}

// NoneAllowed reports whether an unauthenticated request may be served: its
// Host and peer address are loopback and it carries no forwarding header
// (a same-host reverse proxy or tunnel must not expose the server). The bind
// address and public URL are checked at start-up.
func NoneAllowed(r *http.Request) bool {
	for k := range r.Header {
		if strings.HasPrefix(k, "X-Forwarded-") || k == "Forwarded" || k == "X-Real-Ip" {
			return false
		}
	}
	return IsLoopbackHost(r.Host) && IsLoopbackHost(remoteHost(r.RemoteAddr))
}

// IsLoopbackHost reports whether host (optionally with a port) names a
// loopback address: localhost, 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	host = remoteHost(host)
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if host == "" || !(host[0] >= '0' && host[0] <= '9' || strings.Contains(host, ":")) {
		return false // a name: skip ParseAddr, whose error allocates
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// remoteHost strips the port and brackets from addr.
func remoteHost(addr string) string {
	if strings.Contains(addr, ":") {
		if h, _, err := net.SplitHostPort(addr); err == nil {
			return h
		}
	}
	return strings.Trim(addr, "[]")
}

package oauthserver

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// deniedRedirectSchemes are schemes that must never receive an
// authorization response: script-bearing, local-content or
// non-navigational schemes (fosite's own checks accept javascript: and
// data:).
var deniedRedirectSchemes = map[string]bool{
	"javascript": true, "data": true, "file": true, "vbscript": true, "blob": true,
	"about": true, "filesystem": true, "view-source": true, "mailto": true, "tel": true,
	"sms": true, "ftp": true, "ws": true, "wss": true, "jar": true, "intent": true,
	"chrome": true, "chrome-extension": true, "resource": true, "urn": true,
}

// ErrRedirectURI is wrapped by every ValidateRedirectURI error.
var ErrRedirectURI = errors.New("invalid redirect URI")

// ValidateRedirectURI checks a redirect URI a client wants to register
// (RFC 9700 §4.1, RFC 8252 §7, OAuth 2.1 §2.3): an absolute URI that is
// https, http on a loopback host (localhost, 127.0.0.1, [::1]) only, or a
// private-use scheme (cursor://anysphere.cursor-mcp/oauth/callback,
// claude://claude.ai/mcp-auth-callback/sdk, com.example.app:/cb). It refuses
// script-bearing and non-navigational schemes, fragments, userinfo, dot
// segments and relative URIs.
func ValidateRedirectURI(raw string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrRedirectURI, raw, why) }
	if raw == "" {
		return bad("empty")
	}
	for _, c := range raw {
		if c <= 0x20 || c == 0x7f || c == '\\' {
			return bad("contains whitespace, a control character or a backslash")
		}
	}
	if strings.Contains(raw, "#") {
		return bad("contains a fragment (RFC 6749 §3.1.2)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad(err.Error())
	}
	if u.Scheme == "" || !u.IsAbs() {
		return bad("not an absolute URI")
	}
	scheme := strings.ToLower(u.Scheme)
	if u.Scheme != scheme {
		return bad("scheme must be lower case")
	}
	if deniedRedirectSchemes[scheme] {
		return bad("scheme " + scheme + " is not allowed")
	}
	if u.Opaque != "" {
		return bad("opaque URI (needs scheme:/path or scheme://host/path)")
	}
	if u.User != nil {
		return bad("contains userinfo (RFC 9700 §4.1)")
	}
	if hasDotSegment(u.EscapedPath()) {
		return bad("contains a dot segment")
	}
	switch scheme {
	case "https":
		if u.Hostname() == "" {
			return bad("https URI without a host")
		}
	case "http":
		if !isLoopbackName(u.Hostname()) {
			return bad("http is allowed on loopback hosts only (RFC 8252 §7.3)")
		}
	default:
		// Private-use URI scheme (RFC 8252 §7.1).
		if u.Host == "" && u.Path == "" {
			return bad("private-use URI without a path")
		}
	}
	return nil
}

// hasDotSegment reports whether an escaped path has a "." or ".." segment
// (also in percent-encoded form).
func hasDotSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		s := strings.ToLower(strings.ReplaceAll(seg, "%2e", "."))
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}

// isLoopbackName reports whether host is one of the loopback spellings the
// RFC 8252 §7.3 port rule applies to: localhost, 127.0.0.1 and ::1.
func isLoopbackName(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// MatchRedirectURI reports whether the redirect URI of an authorization
// request matches a registered one. Matching is exact string comparison
// (RFC 9700 §4.1.3), with one exception: for an http URI whose host is
// localhost, 127.0.0.1 or [::1], the port may differ (RFC 8252 §7.3;
// fosite does not apply this to localhost). The requested URI must itself
// pass ValidateRedirectURI.
func MatchRedirectURI(registered, requested string) bool {
	if ValidateRedirectURI(requested) != nil {
		return false
	}
	if registered == requested {
		return true
	}
	reg, err := url.Parse(registered)
	if err != nil || reg.Scheme != "http" || !isLoopbackName(reg.Hostname()) {
		return false
	}
	req, err := url.Parse(requested)
	if err != nil || req.Scheme != "http" {
		return false
	}
	return req.Hostname() == reg.Hostname() &&
		req.EscapedPath() == reg.EscapedPath() &&
		req.RawQuery == reg.RawQuery && req.ForceQuery == reg.ForceQuery &&
		loopbackAuthority(requested) && loopbackAuthority(registered)
}

// loopbackAuthority checks that the authority of an http loopback URI is
// exactly host or host:port (no empty port, no trailing dot tricks).
func loopbackAuthority(raw string) bool {
	rest := strings.TrimPrefix(raw, "http://")
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	host := rest
	if strings.HasPrefix(rest, "[::1]") {
		host, rest = "[::1]", strings.TrimPrefix(rest, "[::1]")
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, rest = rest[:i], rest[i:]
	} else {
		rest = ""
	}
	if host != "localhost" && host != "127.0.0.1" && host != "[::1]" {
		return false
	}
	if rest == "" {
		return true
	}
	port := strings.TrimPrefix(rest, ":")
	if port == "" || len(port) > 5 {
		return false
	}
	n := 0
	for _, c := range port {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n > 0 && n <= 65535
}

// matchRegisteredRedirect returns the requested redirect URI when it
// matches one of the client's registered URIs. An empty request is
// accepted only when exactly one URI is registered, which is then used.
func matchRegisteredRedirect(registered []string, requested string) (string, bool) {
	if requested == "" {
		if len(registered) == 1 && ValidateRedirectURI(registered[0]) == nil {
			return registered[0], true
		}
		return "", false
	}
	for _, r := range registered {
		if MatchRedirectURI(r, requested) {
			return requested, true
		}
	}
	return "", false
}

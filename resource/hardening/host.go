package hardening

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// HostAllowlist rejects requests whose Host header is not in allowed with
// 421 Misdirected Request, which defeats DNS rebinding: a browser tricked
// into sending requests to this server still sends the attacker's host name.
//
// Entries are compared case-insensitively. An entry without a port (for
// example "mcp.example.com", "::1") matches that host on any port; an entry
// with a port ("localhost:8000", "[::1]:8000") matches exactly that host and
// port. IP literals are compared in canonical form, so "[0:0::1]" matches
// "::1". An entry "*" disables the check. An empty list rejects every
// request (fail closed); build the list with DefaultAllowedHosts.
func HostAllowlist(allowed []string) func(http.Handler) http.Handler {
	m := newHostMatcher(allowed)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !m.match(r.Host) {
				WriteJSONError(w, http.StatusMisdirectedRequest, "misdirected_request",
					"possible DNS rebinding: Host "+quoteClient(r.Host)+" is not allowed")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// DefaultAllowedHosts returns the Host allowlist for a server reachable at
// publicURL: its host name (any port) and, when the server is bound to a
// loopback address, the loopback aliases localhost, 127.0.0.1 and ::1 (any
// port). An unparsable publicURL contributes nothing.
func DefaultAllowedHosts(publicURL string, loopbackBind bool) []string {
	var out []string
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		out = append(out, normHost(u.Hostname()))
	}
	if loopbackBind {
		for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
			if !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

type hostEntry struct {
	host string
	port string // "" matches any port
}

type hostMatcher struct {
	any     bool
	entries []hostEntry
}

func newHostMatcher(allowed []string) hostMatcher {
	var m hostMatcher
	for _, a := range allowed {
		a = strings.TrimSpace(a)
		if a == "*" {
			m.any = true
			continue
		}
		if a == "" {
			continue
		}
		host, port := splitHostPort(a)
		m.entries = append(m.entries, hostEntry{host: normHost(host), port: port})
	}
	return m
}

func (m hostMatcher) match(hostport string) bool {
	if m.any {
		return true
	}
	if hostport == "" {
		return false
	}
	host, port := splitHostPort(hostport)
	host = normHost(host)
	for _, e := range m.entries {
		if e.host == host && (e.port == "" || e.port == port) {
			return true
		}
	}
	return false
}

// splitHostPort splits "host:port", "[v6]:port", "[v6]", "v6" or "host"; the
// port is "" when absent.
func splitHostPort(s string) (host, port string) {
	if !strings.Contains(s, ":") {
		return s, "" // the common "name" case, without SplitHostPort's error
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		return h, p
	}
	return s, ""
}

// normHost lower-cases a host name, strips brackets and one trailing dot,
// and writes IP literals canonically (IPv4-mapped IPv6 as IPv4).
func normHost(h string) string {
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if mayBeIP(h) {
		if ip, err := netip.ParseAddr(h); err == nil {
			return ip.Unmap().String()
		}
	}
	return h
}

// mayBeIP cheaply rules out host names (a failed ParseAddr allocates its
// error on every request): IP literals hold only hex digits, '.', ':' and
// a zone after '%'.
func mayBeIP(h string) bool {
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c == '.', c == ':':
		case c == '%':
			return true
		default:
			return false
		}
	}
	return h != ""
}

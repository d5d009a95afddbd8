package hardening

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// IPConfig configures ClientIP.
type IPConfig struct {
	// Allowed is the source-address allowlist (ZSCALER_MCP_ALLOWED_SOURCE_IPS);
	// empty allows every address.
	Allowed []netip.Prefix
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (ZSCALER_MCP_TRUSTED_PROXIES); empty trusts none.
	TrustedProxies []netip.Prefix
}

// ClientIP resolves the client address of every request (see
// ResolveClientIP), stores it with auth.WithClientIP for the ACL, rate
// limits and logs, and, when cfg.Allowed is non-empty, rejects addresses
// outside it with 403 {"error":"forbidden","error_description":"source
// address not allowed"} before anything else runs. A request whose address
// cannot be resolved is rejected whenever an allowlist is configured.
func ClientIP(cfg IPConfig) func(http.Handler) http.Handler {
	allowed := normPrefixes(cfg.Allowed)
	trusted := normPrefixes(cfg.TrustedProxies)
	return func(next http.Handler) http.Handler {
		if len(allowed) == 0 && len(trusted) == 0 {
			return next // nothing to check or record
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip, ok := ResolveClientIP(r, trusted)
			if len(allowed) > 0 && (!ok || !inPrefixes(allowed, ip)) {
				WriteJSONError(w, http.StatusForbidden, "forbidden", "source address not allowed")
				return
			}
			// Without trusted proxies the client IP is the peer, which
			// auth.ClientIP reads from RemoteAddr itself: skip the request
			// copy on this per-request path.
			if ok && len(trusted) > 0 {
				r = r.WithContext(auth.WithClientIP(r.Context(), ip.String()))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// ResolveClientIP returns the client address of r. It is the peer address
// (r.RemoteAddr) unless the peer is one of trusted: then X-Forwarded-For
// (all its header lines, in order) is walked from right to left, skipping
// trusted proxies, and the first untrusted address is the client; when every
// entry is trusted the leftmost one is. A malformed entry met during the walk
// makes the peer the answer. Forwarded and X-Real-IP are never read.
// Addresses are unmapped (::ffff:a.b.c.d becomes a.b.c.d) and lose their
// zone. ok is false when RemoteAddr holds no IP address.
func ResolveClientIP(r *http.Request, trusted []netip.Prefix) (ip netip.Addr, ok bool) {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !inPrefixes(trusted, peer) {
		return peer, true
	}
	var entries []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		entries = append(entries, strings.Split(v, ",")...)
	}
	if len(entries) == 0 {
		return peer, true
	}
	var hop netip.Addr
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := parseAddr(strings.TrimSpace(entries[i]))
		if !ok {
			return peer, true
		}
		hop = a
		if !inPrefixes(trusted, a) {
			return a, true
		}
	}
	return hop, true
}

// ParsePrefixes parses a comma- (or space-) separated list of IP addresses
// and CIDR prefixes, as in ZSCALER_MCP_ALLOWED_SOURCE_IPS and
// ZSCALER_MCP_TRUSTED_PROXIES. A bare address becomes a /32 or /128 prefix;
// prefixes are masked and IPv4-mapped IPv6 forms are written as IPv4. The
// error names the bad entry. An empty list gives nil.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, e := range SplitList(list) {
		var p netip.Prefix
		if strings.Contains(e, "/") {
			var err error
			if p, err = netip.ParsePrefix(e); err != nil {
				return nil, fmt.Errorf("entry %d %q is not an IP address or CIDR prefix: %w", i+1, e, err)
			}
		} else {
			a, err := netip.ParseAddr(e)
			if err != nil {
				return nil, fmt.Errorf("entry %d %q is not an IP address or CIDR prefix: %w", i+1, e, err)
			}
			if a.Zone() != "" {
				return nil, fmt.Errorf("entry %d %q: IPv6 zones are not allowed", i+1, e)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, normPrefix(p))
	}
	return out, nil
}

// parseAddr parses "ip", "ip:port" or "[ip]:port", unmapped and zoneless.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return canonAddr(ap.Addr()), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return canonAddr(a), true
	}
	return netip.Addr{}, false
}

func canonAddr(a netip.Addr) netip.Addr {
	return a.WithZone("").Unmap()
}

// normPrefix masks p and rewrites an IPv4-mapped IPv6 prefix of at least
// /96 as the IPv4 prefix it covers, so it matches unmapped addresses.
func normPrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr().WithZone("")
	if a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return netip.PrefixFrom(a, p.Bits()).Masked()
}

func normPrefixes(ps []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if p.IsValid() {
			out = append(out, normPrefix(p))
		}
	}
	return out
}

func inPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

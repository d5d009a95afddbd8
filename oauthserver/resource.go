package oauthserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Scopes we define (DESIGN.md §3 "Scopes").
const (
	ScopeRead  = "zscaler.read"
	ScopeWrite = "zscaler.write"
)

// SupportedScopes are the scopes listed in the metadata.
var supportedScopes = []string{ScopeRead, ScopeWrite}

// ignoredScopes are scopes clients send by habit; they are dropped from a
// request, never an invalid_scope error.
var ignoredScopes = map[string]bool{"openid": true, "email": true, "profile": true, "offline_access": true}

// loopbackHosts are the spellings of a loopback public URL's host that are
// accepted as the same server on a loopback bind.
var loopbackHosts = []string{"localhost", "127.0.0.1", "[::1]"}

// identity is the server's name: its issuer and its resource set.
type identity struct {
	issuer    string   // the public URL, byte-identical everywhere
	resources []string // canonical resource URLs, the public spelling first
}

// newIdentity validates the public URL (scheme + host + optional port,
// no path, no trailing slash) and derives the resource set.
func newIdentity(publicURL string, loopbackBind bool) (identity, error) {
	u, err := url.Parse(publicURL)
	if err != nil {
		return identity{}, fmt.Errorf("oauthserver: public URL %q: %w", publicURL, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(publicURL, "/") {
		return identity{}, fmt.Errorf("oauthserver: public URL %q must be scheme://host[:port] with no path, query or trailing slash", publicURL)
	}
	if publicURL != u.Scheme+"://"+strings.ToLower(u.Host) {
		return identity{}, fmt.Errorf("oauthserver: public URL %q is not in canonical form", publicURL)
	}
	id := identity{issuer: publicURL}
	bases := []string{publicURL}
	if loopbackBind {
		if !isLoopbackHost(u.Hostname()) {
			return identity{}, fmt.Errorf("oauthserver: loopback bind but public URL %q is not a loopback URL", publicURL)
		}
		port := u.Port()
		for _, h := range loopbackHosts {
			b := u.Scheme + "://" + h
			if port != "" {
				b += ":" + port
			}
			if b != publicURL {
				bases = append(bases, b)
			}
		}
	}
	for _, b := range bases {
		id.resources = append(id.resources, strings.ToLower(b)+"/mcp", strings.ToLower(b)+"/sse")
	}
	return id, nil
}

// errNotOurResource is returned by canonicalResource for a resource outside
// our set.
var errNotOurResource = errors.New("resource is not served by this server")

// canonicalResource maps a requested resource indicator to the member of our
// resource set it names. Scheme and host compare case-insensitively; the
// path compares exactly (no trailing-slash or dot-segment games); a query,
// fragment or userinfo never matches (RFC 8707 §2).
func (id identity) canonicalResource(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
		strings.Contains(raw, "#") || u.Opaque != "" || u.Host == "" {
		return "", errNotOurResource
	}
	c := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + u.EscapedPath()
	for _, r := range id.resources {
		if r == c {
			return r, nil
		}
	}
	return "", errNotOurResource
}

// defaultResource is the resource assumed when a request names none.
func (id identity) defaultResource() string { return id.resources[0] }

// isLoopbackHost reports whether host (without brackets or port) is a
// loopback name: localhost, or an IP in 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

package resource

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// PRMPathPrefix is the RFC 9728 well-known prefix.
const PRMPathPrefix = "/.well-known/oauth-protected-resource"

// Identity describes how the server names itself (DESIGN.md §3 "Identity of
// the server").
type Identity struct {
	// PublicURL is scheme://host[:port], no path, no trailing slash.
	PublicURL string
	// LoopbackBind accepts the loopback alias spellings (localhost,
	// 127.0.0.1, [::1]) of PublicURL as the same server.
	LoopbackBind bool
}

// Base returns the base URL the client is using: the public URL, or, on a
// loopback bind, the loopback alias in the request's Host when it names the
// same port. It never trusts a non-loopback Host or X-Forwarded-* header.
func (s Identity) Base(r *http.Request) string {
	if s.LoopbackBind && r != nil && auth.IsLoopbackHost(r.Host) {
		pu, err := url.Parse(s.PublicURL)
		if err == nil && portOf(pu.Host, pu.Scheme) == portOf(r.Host, pu.Scheme) {
			return pu.Scheme + "://" + strings.ToLower(r.Host)
		}
	}
	return s.PublicURL
}

// ResourceFor returns the MCP resource URL that a request to path belongs
// to: <base>/sse for the SSE transport, <base>/mcp otherwise.
func (s Identity) ResourceFor(r *http.Request, path string) string {
	if path == "/sse" || strings.HasPrefix(path, "/messages") || strings.HasSuffix(path, "/sse") {
		return s.Base(r) + "/sse"
	}
	return s.Base(r) + "/mcp"
}

// MetadataURL returns the RFC 9728 metadata URL for the resource of r.
func (s Identity) MetadataURL(r *http.Request) string {
	res := s.ResourceFor(r, r.URL.Path)
	return s.Base(r) + PRMPathPrefix + res[len(s.Base(r)):]
}

func portOf(hostport, scheme string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.HasSuffix(hostport, "]") {
		return hostport[i+1:]
	}
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// PRM configures the RFC 9728 protected-resource metadata documents.
type PRM struct {
	// AuthorizationServers returns the issuers that may mint tokens for us
	// (our own AS in oidcproxy mode, the upstream IdP in oidc mode).
	AuthorizationServers func(r *http.Request) []string
}

// prmHandler serves the metadata for the resource named by the path suffix.
func (s Identity) prmHandler(p PRM) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		suffix := strings.TrimPrefix(r.URL.Path, PRMPathPrefix)
		if suffix == "" {
			suffix = "/mcp"
		}
		doc := map[string]any{
			"resource":                 s.Base(r) + suffix,
			"authorization_servers":    p.AuthorizationServers(r),
			"scopes_supported":         []string{auth.ScopeRead, auth.ScopeWrite},
			"bearer_methods_supported": []string{"header"},
			"resource_name":            "Zscaler MCP server",
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		writeJSON(w, http.StatusOK, doc)
	})
}

package oauthserver

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// fositeStorage is the store as fosite sees it: GetClient returns the
// client wrapped in oauthClient, so every client's audience is our
// resource set, its scopes default to ours, and its redirect URI list is
// the one URI this package already matched for the request in flight.
type fositeStorage struct {
	store.Store
	srv *Server
}

type matchedRedirectKey struct{}

// withMatchedRedirect records, for fosite's GetClient, the redirect URI
// this package matched against the client's registered URIs.
func withMatchedRedirect(ctx context.Context, uri string) context.Context {
	return context.WithValue(ctx, matchedRedirectKey{}, uri)
}

// oauthClient adapts a store.Client to the server's policy.
type oauthClient struct {
	*store.Client
	audience  fosite.Arguments
	scopes    fosite.Arguments
	redirects []string
}

func (s *Server) wrapClient(ctx context.Context, c *store.Client) *oauthClient {
	oc := &oauthClient{Client: c, audience: s.id.resources, scopes: c.GetScopes()}
	if len(oc.scopes) == 0 {
		oc.scopes = supportedScopes
	}
	if uri, ok := ctx.Value(matchedRedirectKey{}).(string); ok {
		oc.redirects = []string{uri}
	}
	return oc
}

// GetAudience implements fosite.Client: our resource set.
func (c *oauthClient) GetAudience() fosite.Arguments { return c.audience }

// GetScopes implements fosite.Client.
func (c *oauthClient) GetScopes() fosite.Arguments { return c.scopes }

// GetRedirectURIs implements fosite.Client: only the URI this package
// matched (fosite's own matching is not used; see MatchRedirectURI).
func (c *oauthClient) GetRedirectURIs() []string { return c.redirects }

// Metadata is the RFC 8414 authorization server metadata document.
type Metadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ClientIDMetadataDocumentSupported          bool     `json:"client_id_metadata_document_supported"`
	AuthorizationResponseISSParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

// Metadata returns the RFC 8414 document served at
// /.well-known/oauth-authorization-server and
// /.well-known/openid-configuration.
func (s *Server) Metadata() Metadata {
	iss := s.id.issuer
	return Metadata{
		Issuer:                                     iss,
		AuthorizationEndpoint:                      iss + "/authorize",
		TokenEndpoint:                              iss + "/token",
		RegistrationEndpoint:                       iss + "/register",
		RevocationEndpoint:                         iss + "/revoke",
		IntrospectionEndpoint:                      iss + "/introspect",
		JWKSURI:                                    iss + "/jwks.json",
		ResponseTypesSupported:                     []string{"code"},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        []string{"authorization_code", "refresh_token"},
		CodeChallengeMethodsSupported:              []string{"S256"},
		TokenEndpointAuthMethodsSupported:          []string{store.AuthMethodNone, store.AuthMethodClientSecretBasic, store.AuthMethodClientSecretPost},
		RevocationEndpointAuthMethodsSupported:     []string{store.AuthMethodNone, store.AuthMethodClientSecretBasic, store.AuthMethodClientSecretPost},
		IntrospectionEndpointAuthMethodsSupported:  []string{store.AuthMethodClientSecretBasic, store.AuthMethodClientSecretPost},
		ScopesSupported:                            append([]string(nil), supportedScopes...),
		ClientIDMetadataDocumentSupported:          true,
		AuthorizationResponseISSParameterSupported: true,
	}
}

func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, s.Metadata())
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	// Short enough that a rotated-in key is picked up quickly by verifiers
	// that cache the set; they refetch on an unknown kid anyway.
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, s.keys.jwks())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errInvalidTarget is RFC 8707 §2's error for a resource we do not serve
// or did not grant.
func errInvalidTarget(hint string) *fosite.RFC6749Error {
	return &fosite.RFC6749Error{
		ErrorField:       "invalid_target",
		DescriptionField: "The requested resource is invalid, unknown, or malformed.",
		HintField:        hint,
		CodeField:        http.StatusBadRequest,
	}
}

// writeTokenError writes an RFC 6749 §5.2 error (JSON, no-store).
func (s *Server) writeTokenError(w http.ResponseWriter, rfc *fosite.RFC6749Error) {
	rfc = rfc.WithExposeDebug(s.cfg.Debug)
	if rfc.ErrorField == fosite.ErrInvalidClient.ErrorField {
		// RFC 6749 §5.2: 401 with a challenge for the Basic scheme.
		w.Header().Set("WWW-Authenticate", `Basic realm="`+s.id.issuer+`"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, rfc.StatusCode(), rfc)
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head>
<body><h1>Authorization request refused</h1><p><strong>{{.Error}}</strong></p><p>{{.Description}}</p>
<p>The application that sent you here is misconfigured or the link is stale; you were not redirected back to it.</p></body></html>
`))

// writeErrorPage answers an authorization request that must not be
// redirected (unknown client, unregistered redirect URI): an HTML page for
// browsers, JSON otherwise, never a redirect.
func writeErrorPage(w http.ResponseWriter, r *http.Request, rfc *fosite.RFC6749Error) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	if acceptsHTML(r) {
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(rfc.StatusCode())
		_ = errorPage.Execute(w, struct{ Error, Description string }{rfc.ErrorField, rfc.GetDescription()})
		return
	}
	writeJSON(w, rfc.StatusCode(), rfc)
}

func acceptsHTML(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(v, "text/html") {
			return true
		}
	}
	return false
}

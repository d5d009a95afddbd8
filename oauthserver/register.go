package oauthserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/store"
)

// Limits of a registration request (RFC 7591 leaves them to the server).
const (
	maxRegistrationBytes = 64 << 10
	maxRedirectURIs      = 10
	maxURILength         = 2000
	maxNameLength        = 200
	maxScopeLength       = 1000
	maxContacts          = 5
	maxContactLength     = 320
)

// RFC 7591 §3.2.2 error codes.
const (
	errCodeInvalidRedirectURI    = "invalid_redirect_uri"
	errCodeInvalidClientMetadata = "invalid_client_metadata"
)

// clientMetadata is the registered client metadata (RFC 7591 §2) this
// server understands; other fields are ignored (RFC 7591 §2: "the
// authorization server MUST ignore any client metadata sent by the client
// that it does not understand"). After validation it holds the effective
// values, which are stored as store.Client.Metadata and echoed.
type clientMetadata struct {
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	Contacts                []string `json:"contacts,omitempty"`
	SoftwareID              string   `json:"software_id,omitempty"`
	SoftwareVersion         string   `json:"software_version,omitempty"`
}

// managementFields are the RFC 7592 §2.2 fields an update request may
// carry besides the metadata.
type managementFields struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// clientInformation is the RFC 7591 §3.2.1 / RFC 7592 §3 response.
type clientInformation struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"`
	ClientIDIssuedAt        int64  `json:"client_id_issued_at"`
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	clientMetadata
}

// registrationError is an RFC 7591 §3.2.2 error.
type registrationError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *registrationError) Error() string { return e.Code + ": " + e.Description }

func metadataError(format string, args ...any) *registrationError {
	return &registrationError{Code: errCodeInvalidClientMetadata, Description: fmt.Sprintf(format, args...)}
}

// mountRegistration adds /register (RFC 7591) and /register/{client_id}
// (RFC 7592) to r, which already answers CORS.
func (s *Server) mountRegistration(r chi.Router) {
	r.Options("/register", s.registrationPreflight)
	r.Options("/register/{client_id}", s.registrationPreflight)
	r.Post("/register", limitedBy(s.regLimit, "Too many registrations from this address; retry later.", s.handleRegister))
	r.Get("/register/{client_id}", s.limited(s.limits.manage, s.handleClientRead))
	r.Put("/register/{client_id}", s.limited(s.limits.manage, s.handleClientUpdate))
	r.Delete("/register/{client_id}", s.limited(s.limits.manage, s.handleClientDelete))
}

func (s *Server) registrationPreflight(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
	w.WriteHeader(http.StatusNoContent)
}

// handleRegister is RFC 7591 §3.1 client registration.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	md, _, status, err := readClientMetadata(w, r)
	if err != nil {
		writeRegistrationError(w, status, err)
		return
	}
	if err := md.validate(); err != nil {
		writeRegistrationError(w, http.StatusBadRequest, err)
		return
	}
	clientID, err := newClientID()
	if err != nil {
		s.registrationServerError(w, "generate client id", err)
		return
	}
	rat, err := randomToken(32)
	if err != nil {
		s.registrationServerError(w, "generate registration access token", err)
		return
	}
	c := &store.Client{
		ID:                          clientID,
		RegistrationAccessTokenHash: store.HashSecret(rat),
		CreatedAt:                   s.now(),
		Origin:                      store.OriginDCR,
	}
	secret, err := s.applyMetadata(c, md)
	if err != nil {
		s.registrationServerError(w, "generate client secret", err)
		return
	}
	if err := s.st.CreateClient(ctx, c); err != nil {
		s.registrationServerError(w, "create client", err)
		return
	}
	s.log.Info("oauthserver: client registered", "client_id", c.ID, "client_name", c.Name,
		"auth_method", c.TokenEndpointAuthMethod, "ip", auth.ClientIP(r))
	s.auditRequest(r, store.AuditEvent{Type: store.AuditClientRegistered, Outcome: store.OutcomeSuccess, ClientID: c.ID})
	info := s.clientInfo(c, md, secret)
	info.RegistrationAccessToken = rat
	writeRegistrationJSON(w, http.StatusCreated, info)
}

// handleClientRead is RFC 7592 §2.1. The registration access token the
// client presented is echoed (RFC 7592 §3 requires it in the response; it
// is not rotated). The client secret is stored hashed and cannot be
// returned; it stays valid.
func (s *Server) handleClientRead(w http.ResponseWriter, r *http.Request) {
	c, token, ok := s.authorizeManagement(w, r)
	if !ok {
		return
	}
	var md clientMetadata
	if err := json.Unmarshal(c.Metadata, &md); err != nil {
		s.registrationServerError(w, "decode stored metadata", err)
		return
	}
	info := s.clientInfo(c, &md, "")
	info.RegistrationAccessToken = token
	writeRegistrationJSON(w, http.StatusOK, info)
}

// handleClientUpdate is RFC 7592 §2.2: the request replaces the client's
// metadata and is validated as a registration is. The client secret is
// kept while the client stays confidential; a public client that becomes
// confidential gets a new secret (returned once); a confidential client
// that becomes public loses its secret. A client_secret in the request must
// match and is echoed; the registration access token is echoed too.
func (s *Server) handleClientUpdate(w http.ResponseWriter, r *http.Request) {
	c, token, ok := s.authorizeManagement(w, r)
	if !ok {
		return
	}
	md, mf, status, err := readClientMetadata(w, r)
	if err != nil {
		writeRegistrationError(w, status, err)
		return
	}
	if mf.ClientID != c.ID {
		// RFC 7592 §2.2: client_id is required and must match.
		writeRegistrationError(w, http.StatusBadRequest, metadataError("client_id must be present and equal the client's id"))
		return
	}
	if mf.ClientSecret != "" && subtle.ConstantTimeCompare(store.HashSecret(mf.ClientSecret), c.SecretHash) != 1 {
		writeRegistrationError(w, http.StatusBadRequest, metadataError("client_secret does not match the client's secret"))
		return
	}
	if err := md.validate(); err != nil {
		writeRegistrationError(w, http.StatusBadRequest, err)
		return
	}
	secret, err := s.applyMetadata(c, md)
	if err != nil {
		s.registrationServerError(w, "generate client secret", err)
		return
	}
	if err := s.st.UpdateClient(r.Context(), c); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeInvalidRegistrationToken(w)
			return
		}
		s.registrationServerError(w, "update client", err)
		return
	}
	s.log.Info("oauthserver: client updated", "client_id", c.ID, "auth_method", c.TokenEndpointAuthMethod)
	s.auditRequest(r, store.AuditEvent{Type: store.AuditClientUpdated, Outcome: store.OutcomeSuccess, ClientID: c.ID})
	if secret == "" && !c.IsPublic() {
		secret = mf.ClientSecret
	}
	info := s.clientInfo(c, md, secret)
	info.RegistrationAccessToken = token
	writeRegistrationJSON(w, http.StatusOK, info)
}

// handleClientDelete is RFC 7592 §2.3: the client and everything it holds
// are deleted (the store logs a revocation for it).
func (s *Server) handleClientDelete(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.authorizeManagement(w, r)
	if !ok {
		return
	}
	if err := s.st.DeleteClient(r.Context(), c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.registrationServerError(w, "delete client", err)
		return
	}
	s.log.Info("oauthserver: client deleted", "client_id", c.ID)
	s.auditRequest(r, store.AuditEvent{Type: store.AuditClientDeleted, Outcome: store.OutcomeSuccess, ClientID: c.ID, Reason: "RFC 7592 DELETE"})
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// dummyTokenHash is compared against when the client does not exist, so an
// unknown client costs the same as a wrong token.
var dummyTokenHash = store.HashSecret("no such client")

// authorizeManagement checks the RFC 7592 registration access token of a
// request to /register/{client_id} and returns the client and the token.
// A missing or wrong token and an unknown client all get 401 invalid_token
// (RFC 7592 §3: the existence of a client is not revealed).
func (s *Server) authorizeManagement(w http.ResponseWriter, r *http.Request) (*store.Client, string, bool) {
	token, ok := bearerToken(r)
	c, err := s.st.LookupClient(r.Context(), chi.URLParam(r, "client_id"))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.registrationServerError(w, "lookup client", err)
		return nil, "", false
	}
	if err != nil {
		c = nil
	}
	want := dummyTokenHash
	if c != nil && len(c.RegistrationAccessTokenHash) > 0 {
		want = c.RegistrationAccessTokenHash
	}
	match := subtle.ConstantTimeCompare(store.HashSecret(token), want) == 1
	if !ok || c == nil || len(c.RegistrationAccessTokenHash) == 0 || !match {
		writeInvalidRegistrationToken(w)
		return nil, "", false
	}
	return c, token, true
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func writeInvalidRegistrationToken(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeRegistrationError(w, http.StatusUnauthorized, &registrationError{Code: "invalid_token", Description: "The registration access token is missing, invalid, or does not belong to this client."})
}

// readClientMetadata decodes a registration or update request body
// (≤ 64 KiB, one JSON object).
func readClientMetadata(w http.ResponseWriter, r *http.Request) (*clientMetadata, *managementFields, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRegistrationBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, http.StatusRequestEntityTooLarge, metadataError("the request body exceeds %d bytes", maxRegistrationBytes)
		}
		return nil, nil, http.StatusBadRequest, metadataError("the request body could not be read")
	}
	var md clientMetadata
	var mf managementFields
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, nil, http.StatusBadRequest, metadataError("the request body is not a valid JSON client metadata object: %v", err)
	}
	if err := json.Unmarshal(body, &mf); err != nil {
		return nil, nil, http.StatusBadRequest, metadataError("client_id and client_secret must be strings")
	}
	return &md, &mf, 0, nil
}

// validate checks the metadata and replaces omitted values by their
// effective defaults (RFC 7591 §2).
func (md *clientMetadata) validate() error {
	switch n := len(md.RedirectURIs); {
	case n == 0:
		return &registrationError{Code: errCodeInvalidRedirectURI, Description: "redirect_uris is required"}
	case n > maxRedirectURIs:
		return &registrationError{Code: errCodeInvalidRedirectURI, Description: fmt.Sprintf("at most %d redirect URIs may be registered", maxRedirectURIs)}
	}
	var uris []string
	for _, u := range md.RedirectURIs {
		if len(u) > maxURILength {
			return &registrationError{Code: errCodeInvalidRedirectURI, Description: fmt.Sprintf("a redirect URI exceeds %d characters", maxURILength)}
		}
		if err := ValidateRedirectURI(u); err != nil {
			return &registrationError{Code: errCodeInvalidRedirectURI, Description: err.Error()}
		}
		if !slices.Contains(uris, u) {
			uris = append(uris, u)
		}
	}
	md.RedirectURIs = uris

	switch md.TokenEndpointAuthMethod {
	case "":
		md.TokenEndpointAuthMethod = store.AuthMethodClientSecretBasic
	case store.AuthMethodNone, store.AuthMethodClientSecretBasic, store.AuthMethodClientSecretPost:
	default:
		return metadataError("token_endpoint_auth_method %q is not supported (none, client_secret_basic, client_secret_post)", md.TokenEndpointAuthMethod)
	}

	// Grant types: authorization_code is required; refresh_token is always
	// granted with it (every grant gets a refresh token).
	for _, g := range md.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" {
			return metadataError("grant type %q is not supported (authorization_code, refresh_token)", g)
		}
	}
	if len(md.GrantTypes) > 0 && !slices.Contains(md.GrantTypes, "authorization_code") {
		return metadataError("grant_types must include authorization_code (the only response type is code)")
	}
	md.GrantTypes = []string{"authorization_code", "refresh_token"}
	for _, rt := range md.ResponseTypes {
		if rt != "code" {
			return metadataError("response type %q is not supported (code)", rt)
		}
	}
	md.ResponseTypes = []string{"code"}

	if len(md.Scope) > maxScopeLength {
		return metadataError("scope exceeds %d characters", maxScopeLength)
	}
	var scopes []string
	for _, sc := range strings.Fields(md.Scope) {
		if ignoredScopes[sc] || slices.Contains(scopes, sc) {
			continue
		}
		if !slices.Contains(supportedScopes, sc) {
			return metadataError("scope %q is not supported (%s)", sc, strings.Join(supportedScopes, ", "))
		}
		scopes = append(scopes, sc)
	}
	if len(scopes) == 0 {
		scopes = supportedScopes
	}
	md.Scope = strings.Join(scopes, " ")

	for _, f := range []struct{ name, v string }{{"client_name", md.ClientName}, {"software_id", md.SoftwareID}, {"software_version", md.SoftwareVersion}} {
		if len(f.v) > maxNameLength {
			return metadataError("%s exceeds %d characters", f.name, maxNameLength)
		}
		if strings.IndexFunc(f.v, isControl) >= 0 {
			return metadataError("%s contains a control character", f.name)
		}
	}
	for _, f := range []struct{ name, v string }{{"client_uri", md.ClientURI}, {"logo_uri", md.LogoURI}, {"tos_uri", md.TOSURI}, {"policy_uri", md.PolicyURI}} {
		if f.v == "" {
			continue
		}
		if len(f.v) > maxURILength {
			return metadataError("%s exceeds %d characters", f.name, maxURILength)
		}
		if u, err := url.Parse(f.v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return metadataError("%s must be an absolute http or https URL", f.name)
		}
	}
	if len(md.Contacts) > maxContacts {
		return metadataError("at most %d contacts", maxContacts)
	}
	for _, c := range md.Contacts {
		if len(c) > maxContactLength {
			return metadataError("a contact exceeds %d characters", maxContactLength)
		}
	}
	return nil
}

// isControl reports whether r is a C0/C1 control character or a
// bidirectional override (which could disguise a client name on the
// consent page).
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// applyMetadata sets c's registration fields from validated metadata.
// It returns a newly generated client secret when c becomes (or is
// created) confidential without a secret, "" otherwise; a public client
// has no secret.
func (s *Server) applyMetadata(c *store.Client, md *clientMetadata) (string, error) {
	c.RedirectURIs = md.RedirectURIs
	c.GrantTypes = md.GrantTypes
	c.ResponseTypes = md.ResponseTypes
	c.Scopes = strings.Fields(md.Scope)
	c.Audience = s.Resources()
	c.TokenEndpointAuthMethod = md.TokenEndpointAuthMethod
	c.Name = md.ClientName
	raw, err := json.Marshal(md)
	if err != nil {
		return "", fmt.Errorf("oauthserver: encode client metadata: %w", err)
	}
	c.Metadata = raw
	if md.TokenEndpointAuthMethod == store.AuthMethodNone {
		c.SecretHash = nil
		return "", nil
	}
	if len(c.SecretHash) > 0 {
		return "", nil
	}
	secret, err := randomToken(32)
	if err != nil {
		return "", err
	}
	c.SecretHash = store.HashSecret(secret)
	return secret, nil
}

// clientInfo builds the response for c; secret is included when non-empty.
func (s *Server) clientInfo(c *store.Client, md *clientMetadata, secret string) *clientInformation {
	info := &clientInformation{
		ClientID:              c.ID,
		ClientIDIssuedAt:      c.CreatedAt.Unix(),
		RegistrationClientURI: s.id.issuer + "/register/" + url.PathEscape(c.ID),
		clientMetadata:        *md,
	}
	if !c.IsPublic() {
		zero := int64(0) // RFC 7591 §3.2.1: 0 means the secret never expires.
		info.ClientSecretExpiresAt = &zero
	}
	info.ClientSecret = secret
	return info
}

func (s *Server) registrationServerError(w http.ResponseWriter, what string, err error) {
	s.log.Error("oauthserver: registration: "+what, "err", err)
	writeRegistrationError(w, http.StatusInternalServerError, &registrationError{Code: "server_error", Description: "The registration could not be completed."})
}

func writeRegistrationError(w http.ResponseWriter, status int, err error) {
	var re *registrationError
	if !errors.As(err, &re) {
		re = &registrationError{Code: "server_error"}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, re)
}

func writeRegistrationJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, v)
}

// GCClients deletes dynamically registered clients that were last used —
// or, if never used, registered — more than Config.ClientTTL ago and hold
// no grant; expired grants are garbage-collected first, so only live
// grants keep a client. It returns the ids of the deleted clients, whose
// later use gets invalid_client (clients then re-register). A negative
// ClientTTL disables it. Run it periodically, e.g. with the store's GC.
func (s *Server) GCClients(ctx context.Context) ([]string, error) {
	if s.cfg.ClientTTL < 0 {
		return nil, nil
	}
	now := s.now()
	if _, err := s.st.GC(ctx, now); err != nil {
		return nil, fmt.Errorf("oauthserver: gc before stale clients: %w", err)
	}
	ids, err := s.st.DeleteStaleClients(ctx, now.Add(-s.cfg.ClientTTL), store.OriginDCR)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: delete stale clients: %w", err)
	}
	if len(ids) > 0 {
		s.log.Info("oauthserver: stale clients deleted", "count", len(ids))
	}
	return ids, nil
}

package store

import (
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/token/jwt"
)

// Access-token (RFC 9068) header and claim names produced by Session.
const (
	// AccessTokenType is the JWT "typ" header of our access tokens.
	AccessTokenType = "at+jwt"
	// ClaimClientID is the RFC 9068 client id claim.
	ClaimClientID = "client_id"
	// ClaimGrantID carries the grant (fosite request) id, stable across
	// refreshes; the resource server checks it against the revocation log.
	ClaimGrantID = "grant_id"
	// ClaimIdP names the upstream identity provider the user signed in with.
	ClaimIdP = "idp"
)

// Session is the fosite session of our authorization server. It is what the
// store serializes with every code and token, and it is the JWT session
// container fosite's JWT access-token strategy needs: GetJWTClaims produces
// RFC 9068 claims (sub, client_id, a space-separated scope string, the grant
// id, fresh iat and jti per token) and GetJWTHeader sets typ "at+jwt".
//
// GrantExpiresAt is the grant's absolute lifetime: no expiry the session
// reports exceeds it (a zero refresh-token expiry, which fosite reads as
// "unlimited", reports GrantExpiresAt instead). fosite sets every new
// token's expiry through SetExpiresAt and validates refresh tokens against
// GetExpiresAt, so refreshing never extends a grant and a refresh after the
// absolute end fails with invalid_grant.
type Session struct {
	// Subject is the user (stable id from the upstream IdP).
	Subject string `json:"subject"`
	// Username is optional, shown by introspection.
	Username string `json:"username,omitempty"`
	// ClientID becomes the client_id claim.
	ClientID string `json:"client_id,omitempty"`
	// GrantID becomes the grant_id claim; the AS sets it to the authorize
	// request's id (fosite keeps that id across refreshes).
	GrantID string `json:"grant_id,omitempty"`
	// IdP becomes the idp claim when set.
	IdP string `json:"idp,omitempty"`
	// Extra holds further access-token claims (JSON values). Registered
	// claim names set by fosite (iss, sub, aud, exp, iat, jti, scope) are
	// overwritten.
	Extra map[string]any `json:"extra,omitempty"`
	// ExpiresAt holds fosite's per-token-type expiries.
	ExpiresAt map[fosite.TokenType]time.Time `json:"expires_at,omitempty"`
	// GrantExpiresAt is the absolute end of the grant; zero means none.
	GrantExpiresAt time.Time `json:"grant_expires_at"`
	// Upstream is what the upstream IdP said about the user at login, kept
	// so that the IdP's access policy can be re-run in full at every
	// refresh. It is persisted with the session but never emitted: not in
	// access-token claims (GetJWTClaims), not in introspection
	// (GetExtraClaims). Nil for sessions stored before it existed.
	Upstream *UpstreamIdentity `json:"upstream,omitempty"`
}

// UpstreamIdentity is the part of the upstream identity an IdP access
// policy reads (email, its verification, groups, and the few other claims
// a rule may use). It is private to the authorization server.
type UpstreamIdentity struct {
	Email         string   `json:"email,omitempty"`
	EmailVerified *bool    `json:"email_verified,omitempty"`
	Groups        []string `json:"groups,omitempty"`
	// Claims are further upstream claims a policy rule reads (e.g. a
	// hosted-domain or tenant claim); keep it small.
	Claims map[string]any `json:"claims,omitempty"`
}

// Clone returns a deep copy (nil for nil).
func (u *UpstreamIdentity) Clone() *UpstreamIdentity {
	if u == nil {
		return nil
	}
	c := *u
	if u.EmailVerified != nil {
		v := *u.EmailVerified
		c.EmailVerified = &v
	}
	c.Groups = append([]string(nil), u.Groups...)
	c.Claims = deepCopyMap(u.Claims)
	return &c
}

var (
	_ fosite.Session                       = (*Session)(nil)
	_ oauth2.JWTSessionContainer           = (*Session)(nil)
	_ fosite.ExtraClaimsSession            = (*Session)(nil)
	_ interface{ GrantExpiry() time.Time } = (*Session)(nil)
)

// SetExpiresAt implements fosite.Session; exp is capped at GrantExpiresAt.
func (s *Session) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	if s.ExpiresAt == nil {
		s.ExpiresAt = make(map[fosite.TokenType]time.Time)
	}
	if !s.GrantExpiresAt.IsZero() && (exp.IsZero() || exp.After(s.GrantExpiresAt)) {
		exp = s.GrantExpiresAt
	}
	s.ExpiresAt[key] = exp
}

// GetExpiresAt implements fosite.Session, capped at GrantExpiresAt. A
// missing access-token expiry stays zero (fosite then applies its lifespan
// from the request time); a missing refresh-token or code expiry reports
// GrantExpiresAt.
func (s *Session) GetExpiresAt(key fosite.TokenType) time.Time {
	if s == nil {
		return time.Time{}
	}
	exp := s.ExpiresAt[key]
	if s.GrantExpiresAt.IsZero() {
		return exp
	}
	if exp.IsZero() && key == fosite.AccessToken {
		return exp
	}
	if exp.IsZero() || exp.After(s.GrantExpiresAt) {
		return s.GrantExpiresAt
	}
	return exp
}

// GrantExpiry returns GrantExpiresAt; backends record it on the grant row.
func (s *Session) GrantExpiry() time.Time {
	if s == nil {
		return time.Time{}
	}
	return s.GrantExpiresAt
}

// GetUsername implements fosite.Session.
func (s *Session) GetUsername() string {
	if s == nil {
		return ""
	}
	return s.Username
}

// GetSubject implements fosite.Session.
func (s *Session) GetSubject() string {
	if s == nil {
		return ""
	}
	return s.Subject
}

// SetSubject sets the subject.
func (s *Session) SetSubject(subject string) { s.Subject = subject }

// Clone implements fosite.Session with a deep copy.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	c := *s
	if s.Extra != nil {
		c.Extra = deepCopyMap(s.Extra)
	}
	if s.ExpiresAt != nil {
		c.ExpiresAt = make(map[fosite.TokenType]time.Time, len(s.ExpiresAt))
		for k, v := range s.ExpiresAt {
			c.ExpiresAt[k] = v
		}
	}
	c.Upstream = s.Upstream.Clone()
	return &c
}

// GetJWTClaims implements oauth2.JWTSessionContainer. It returns fresh claims
// on every call (so iat and jti are new for every token, including refreshed
// ones); fosite fills in exp, scope, aud and iss. The scope is always
// rendered as the RFC 9068 space-separated "scope" string, whatever
// fosite.Config.JWTScopeClaimKey says.
func (s *Session) GetJWTClaims() jwt.JWTClaimsContainer {
	extra := make(map[string]any, len(s.Extra)+3)
	for k, v := range s.Extra {
		extra[k] = v
	}
	if s.ClientID != "" {
		extra[ClaimClientID] = s.ClientID
	}
	if s.GrantID != "" {
		extra[ClaimGrantID] = s.GrantID
	}
	if s.IdP != "" {
		extra[ClaimIdP] = s.IdP
	}
	return &accessTokenClaims{JWTClaims: jwt.JWTClaims{
		Subject:    s.Subject,
		Extra:      extra,
		ScopeField: jwt.JWTScopeFieldString,
	}}
}

// GetJWTHeader implements oauth2.JWTSessionContainer: typ is "at+jwt"
// (RFC 9068 §2.1). The signer adds alg and kid.
func (s *Session) GetJWTHeader() *jwt.Headers {
	return &jwt.Headers{Extra: map[string]any{"typ": AccessTokenType}}
}

// GetExtraClaims implements fosite.ExtraClaimsSession: introspection
// responses carry the grant id, the IdP and Extra (fosite itself fills in
// the registered names).
func (s *Session) GetExtraClaims() map[string]any {
	if s == nil {
		return nil
	}
	out := deepCopyMap(s.Extra)
	if out == nil {
		out = make(map[string]any, 2)
	}
	if s.GrantID != "" {
		out[ClaimGrantID] = s.GrantID
	}
	if s.IdP != "" {
		out[ClaimIdP] = s.IdP
	}
	return out
}

// accessTokenClaims is jwt.JWTClaims with the scope field pinned to the
// space-separated string form.
type accessTokenClaims struct {
	jwt.JWTClaims
}

// With implements jwt.JWTClaimsContainer.
func (c *accessTokenClaims) With(expiry time.Time, scope, audience []string) jwt.JWTClaimsContainer {
	c.JWTClaims.With(expiry, scope, audience)
	return c
}

// WithDefaults implements jwt.JWTClaimsContainer.
func (c *accessTokenClaims) WithDefaults(iat time.Time, issuer string) jwt.JWTClaimsContainer {
	c.JWTClaims.WithDefaults(iat, issuer)
	return c
}

// WithScopeField implements jwt.JWTClaimsContainer; the field is always
// the space-separated "scope" string.
func (c *accessTokenClaims) WithScopeField(jwt.JWTScopeFieldEnum) jwt.JWTClaimsContainer {
	c.ScopeField = jwt.JWTScopeFieldString
	return c
}

func deepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return deepCopyMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopyValue(e)
		}
		return out
	case []string:
		return append([]string(nil), t...)
	default:
		return v
	}
}

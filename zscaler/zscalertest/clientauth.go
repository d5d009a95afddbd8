package zscalertest

import (
	"crypto"
	"net/url"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// maxAssertionLifetime is the longest client assertion the stand-in takes
// (RFC 7523 §3 lets the server bound exp; short-lived assertions are the
// point of the scheme).
const maxAssertionLifetime = 15 * time.Minute

// RegisterPublicKey lets the token endpoint accept RFC 7523 private-key JWT
// client authentication for ClientID, verified with pub (an *rsa.PublicKey
// or *ecdsa.PublicKey). Several keys may be registered (key rotation).
func (s *Server) RegisterPublicKey(pub crypto.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pubKeys = append(s.pubKeys, pub)
}

// checkAssertion verifies a private-key JWT client assertion and returns
// why it is refused, or "" when it is accepted: the assertion type, a
// signature by a registered key (RS256 or ES256/384/512), iss = sub = the
// client id (and = client_id when sent), aud naming the OneAPI audience or
// the token URL, a short future exp, and a jti not seen before (replay).
func (s *Server) checkAssertion(form url.Values) string {
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	}
	s.mu.Lock()
	keys := append([]crypto.PublicKey(nil), s.pubKeys...)
	s.mu.Unlock()
	if len(keys) == 0 {
		return "no public key is registered for private-key JWT authentication"
	}
	tok, err := josejwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384, jose.ES512})
	if err != nil {
		return "client_assertion is not a signed JWT with an accepted algorithm"
	}
	var claims josejwt.Claims
	verified := false
	for _, k := range keys {
		if tok.Claims(k, &claims) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return "client_assertion signature does not verify with the registered key"
	}
	if claims.Issuer != s.ClientID || claims.Subject != s.ClientID {
		return "client_assertion iss and sub must both be the client id"
	}
	if id := form.Get("client_id"); id != "" && id != s.ClientID {
		return "client_id does not match the client_assertion issuer"
	}
	if !claims.Audience.Contains("https://api.zscaler.com") && !claims.Audience.Contains(s.TokenURL) {
		return "client_assertion aud must name https://api.zscaler.com or the token URL"
	}
	now := time.Now()
	if claims.Expiry == nil || !now.Before(claims.Expiry.Time()) {
		return "client_assertion is expired or has no exp"
	}
	if claims.Expiry.Time().Sub(now) > maxAssertionLifetime {
		return "client_assertion exp is too far in the future"
	}
	if claims.ID == "" {
		return "client_assertion has no jti"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seenJTI[claims.ID] {
		return "client_assertion jti was already used (replay)"
	}
	s.seenJTI[claims.ID] = true
	return ""
}

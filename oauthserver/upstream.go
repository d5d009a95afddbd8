package oauthserver

import (
	"encoding/json"
	"slices"

	"github.com/zscalermcp/zscaler-mcp/idp"
	"github.com/zscalermcp/zscaler-mcp/store"
)

// policyClaims are the upstream claims, beyond email, email_verified and
// groups, that a grant keeps for the refresh policy: the ones IdP access
// rules read (Google's hosted domain, Entra's tenant and verified-domain
// signal). A preset whose policy reads another claim adds its name here.
// Only string, boolean and number values are kept.
func policyClaims() []string { return []string{"hd", "tid", "xms_edov"} }

// upstreamOf is the part of a signed-in identity a grant keeps so that the
// IdP's access policy can be re-run at refresh (see store.Session.Upstream).
func upstreamOf(id idp.Identity) *store.UpstreamIdentity {
	u := &store.UpstreamIdentity{Email: id.Email, Groups: slices.Clone(id.Groups)}
	if id.EmailVerified != nil {
		v := *id.EmailVerified
		u.EmailVerified = &v
	}
	for _, name := range policyClaims() {
		switch v := id.Claims[name].(type) {
		case string, bool, float64, json.Number:
			if u.Claims == nil {
				u.Claims = map[string]any{}
			}
			u.Claims[name] = v
		}
	}
	return u
}

// identityWith is id (provider and subject, from the grant's subject) with
// the upstream facts a grant kept.
func identityWith(id idp.Identity, u *store.UpstreamIdentity) idp.Identity {
	c := u.Clone() // the policy gets its own copies
	id.Email, id.EmailVerified, id.Groups, id.Claims = c.Email, c.EmailVerified, c.Groups, c.Claims
	return id
}

package idp

import "strings"

// auth0Fields are the keys of a type auth0 entry beside the generic ones.
type auth0Fields struct {
	// Domain is the tenant's domain ("acme.us.auth0.com") or custom domain,
	// or a URL; the issuer is https://<domain>/ (with the trailing slash
	// Auth0 keeps).
	Domain string `yaml:"domain"`
	// Audience is the API identifier sent as `audience` on the authorize
	// request; without one Auth0 issues opaque access tokens.
	Audience string `yaml:"audience"`
}

// resolveAuth0: issuer https://<domain>/ — Auth0's issuer keeps its
// trailing slash, byte for byte in discovery and in the ID token's iss, so a
// configured issuer without one gets it added; `audience` goes on the
// authorize URL.
func resolveAuth0(c Config, v *validator) (Config, oidcQuirks) {
	var f auth0Fields
	decodeFields(c, v, &f)
	eff := presetBase(c)
	switch {
	case f.Domain != "" && c.Issuer != "":
		exclusiveIssuer(v, "domain")
	case f.Domain != "":
		base, msg := hostOrURL(f.Domain)
		if msg != "" {
			v.add("domain", "%s", msg)
		} else {
			eff.Issuer = base + "/"
		}
	case c.Issuer != "":
		if !strings.HasSuffix(c.Issuer, "/") {
			eff.Issuer = c.Issuer + "/"
		}
	default:
		v.add("domain", "required: your Auth0 tenant's domain (e.g. acme.us.auth0.com) or custom domain")
	}
	if f.Audience != "" {
		if strings.ContainsFunc(f.Audience, isSpace) {
			v.add("audience", "must not contain spaces")
		}
		setAuthParam(&eff, v, "audience", f.Audience, "audience")
	}
	return eff, oidcQuirks{}
}

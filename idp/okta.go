package idp

// oktaFields are the keys of a type okta entry beside the generic ones.
type oktaFields struct {
	// Domain is the Okta org's domain ("acme.okta.com") or custom domain,
	// or a URL.
	Domain string `yaml:"domain"`
	// AuthorizationServer picks the authorization server: empty for the org
	// authorization server (issuer https://<domain>), or a custom one's id,
	// "default" for the one every org has (issuer https://<domain>/oauth2/<id>).
	AuthorizationServer string `yaml:"authorization_server"`
}

// resolveOkta: issuer from domain and authorization server. Either way only
// the ID token (aud = our client id) is validated, never Okta's access
// token: an org-server access token is for Okta's own APIs and a custom
// server's carries the API audience (api://default).
func resolveOkta(c Config, v *validator) (Config, oidcQuirks) {
	var f oktaFields
	decodeFields(c, v, &f)
	eff := presetBase(c)
	if f.AuthorizationServer != "" && !validOktaAS(f.AuthorizationServer) {
		v.add("authorization_server", "%q is not an authorization server id (e.g. default, or aus1a2b3c4d5e6f7g8h9)", f.AuthorizationServer)
	}
	switch {
	case f.Domain != "" && c.Issuer != "":
		exclusiveIssuer(v, "domain")
	case f.Domain != "":
		base, msg := hostOrURL(f.Domain)
		if msg != "" {
			v.add("domain", "%s", msg)
			break
		}
		eff.Issuer = base
		if f.AuthorizationServer != "" {
			eff.Issuer = joinPath(base, "oauth2", f.AuthorizationServer)
		}
	case c.Issuer != "":
	default:
		v.add("domain", "required: your Okta domain (e.g. acme.okta.com)")
	}
	return eff, oidcQuirks{}
}

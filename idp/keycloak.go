package idp

import "strings"

// keycloakFields are the keys of a type keycloak entry beside the generic ones.
type keycloakFields struct {
	// BaseURL is the server's URL ("https://sso.acme.com", with "/auth" for
	// Keycloak before 17).
	BaseURL string `yaml:"base_url"`
	// Realm is the realm's name; the issuer is <base_url>/realms/<realm>.
	Realm string `yaml:"realm"`
	// GroupsClaim is the "Token Claim Name" of the client's Group Membership
	// mapper (default "groups"); a dotted path reads nested claims, e.g.
	// "realm_access.roles" for realm roles.
	GroupsClaim string `yaml:"groups_claim"`
}

// resolveKeycloak: the realm issuer, and groups from the mapper's claim.
func resolveKeycloak(c Config, v *validator) (Config, oidcQuirks) {
	var f keycloakFields
	decodeFields(c, v, &f)
	eff := presetBase(c)
	switch {
	case (f.BaseURL != "" || f.Realm != "") && c.Issuer != "":
		exclusiveIssuer(v, "base_url and realm")
	case c.Issuer != "":
	default:
		if f.Realm == "" {
			v.add("realm", "required: the realm's name")
		} else if strings.ContainsAny(f.Realm, "/?#") {
			v.add("realm", "%q is not a realm name", f.Realm)
		}
		if f.BaseURL == "" {
			v.add("base_url", "required: the Keycloak server's URL, e.g. https://sso.acme.com")
		} else if msg := checkIdPURL(f.BaseURL); msg != "" {
			v.add("base_url", "%s", msg)
		} else if strings.Contains(f.BaseURL, "/realms/") {
			v.add("base_url", "give the server's URL without /realms/...; the realm goes in realm")
		} else if f.Realm != "" {
			eff.Issuer = joinPath(strings.TrimSuffix(f.BaseURL, "/"), "realms", f.Realm)
		}
	}
	if f.GroupsClaim != "" {
		if c.ClaimMapping.Groups != "" && c.ClaimMapping.Groups != f.GroupsClaim {
			v.add("groups_claim", "conflicts with claim_mapping.groups; set one")
		}
		eff.ClaimMapping.Groups = f.GroupsClaim
	}
	return eff, oidcQuirks{}
}

package idp

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// googleIssuer is Google's issuer.
const googleIssuer = "https://accounts.google.com"

// googleFields are the keys of a type google entry beside the generic ones.
type googleFields struct {
	// HostedDomains admits only accounts of these Google Workspace domains,
	// checked on the ID token's `hd` claim (a consumer account has none).
	// The first is also sent as the `hd` login hint ("*" when several).
	HostedDomains []string `yaml:"hosted_domains"`
}

// resolveGoogle: issuer https://accounts.google.com; the hosted-domain
// restriction is sent as `hd` (a hint Google's account picker honours, and
// which a user can edit) and enforced on the signed `hd` claim. Neither
// access_type=offline nor prompt=consent is sent: we never use an upstream
// refresh token, and prompt=consent would make every login show Google's
// consent screen.
func resolveGoogle(c Config, v *validator) (Config, oidcQuirks) {
	var f googleFields
	decodeFields(c, v, &f)
	eff := presetBase(c)
	if c.Issuer == "" {
		eff.Issuer = googleIssuer
	}
	for i, d := range f.HostedDomains {
		if !hostPattern.MatchString(d) || strings.Contains(d, ":") || !strings.Contains(d, ".") {
			v.add(fmt.Sprintf("hosted_domains[%d]", i), "%q is not a domain (write example.com)", d)
		}
	}
	if len(c.Policy.AllowedGroups) > 0 && c.ClaimMapping.Groups == "" {
		v.add("allowed_groups", "Google ID tokens carry no groups; restrict by hosted_domains, allowed_email_domains or allowed_subjects instead")
	}
	var q oidcQuirks
	if len(f.HostedDomains) > 0 {
		hd := f.HostedDomains[0]
		if len(f.HostedDomains) > 1 {
			hd = "*"
		}
		setAuthParam(&eff, v, "hd", hd, "hosted_domains")
		domains := slices.Clone(f.HostedDomains)
		q.identity = func(_ context.Context, id *Identity) error {
			return checkHostedDomain(id, domains)
		}
	}
	return eff, q
}

// checkHostedDomain refuses a user whose signed `hd` claim is missing or
// not one of domains: the `hd` login parameter alone restricts nothing.
func checkHostedDomain(id *Identity, domains []string) error {
	hd, _ := claimString(id.Claims, "hd")
	if hd == "" {
		return &PolicyError{ProviderID: id.ProviderID, Rule: "hosted_domains",
			Reason: "this Google account belongs to no Google Workspace domain (the ID token has no hd claim); sign in with your organisation's account"}
	}
	if !slices.ContainsFunc(domains, func(d string) bool { return strings.EqualFold(d, hd) }) {
		return &PolicyError{ProviderID: id.ProviderID, Rule: "hosted_domains",
			Reason: fmt.Sprintf("accounts of the Google Workspace domain %s are not allowed", hd)}
	}
	return nil
}

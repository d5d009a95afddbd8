package idp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Entra constants.
const (
	entraDefaultAuthority = "https://login.microsoftonline.com"
	// entraConsumersTenant is the tenant of personal Microsoft accounts.
	entraConsumersTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
	// entraV1IssuerPrefix starts the issuer of v1.0 tokens.
	entraV1IssuerPrefix = "https://sts.windows.net/"
	// entraTenantPlaceholder is what multi-tenant discovery documents carry
	// in their issuer instead of a tenant id.
	entraTenantPlaceholder = "{tenantid}"
)

// entraFields are the keys of a type entra entry beside the generic ones.
type entraFields struct {
	// Tenant is the directory: its id (a GUID), one of its verified domains
	// ("contoso.com"), or "organizations" / "common" (any work account, with
	// allowed_tenants) or "consumers" (personal Microsoft accounts).
	Tenant string `yaml:"tenant"`
	// AllowedTenants are the tenant ids (GUIDs) whose users may sign in;
	// required for "organizations" and "common".
	AllowedTenants []string `yaml:"allowed_tenants"`
	// AuthorityHost is the login host of the cloud; default
	// https://login.microsoftonline.com (e.g. https://login.microsoftonline.us
	// for US Government).
	AuthorityHost string `yaml:"authority_host"`
}

// resolveEntra: the v2.0 endpoints of the tenant, and Entra's quirks:
//   - the issuer is checked by entraIssuerCheck (multi-tenant discovery
//     documents carry a "{tenantid}" placeholder; v1 tokens are explained);
//   - users are identified by tid + oid, never by email or username;
//   - email verification comes from a verified-domain signal (entraIdentity);
//   - a group overage is reported instead of silently dropping groups.
func resolveEntra(c Config, v *validator) (Config, oidcQuirks) {
	var f entraFields
	decodeFields(c, v, &f)
	eff := presetBase(c)
	for field, val := range map[string]string{"issuer": c.Issuer, "discovery_url": c.DiscoveryURL} {
		if val != "" {
			v.add(field, "not used by type entra: the issuer is derived from tenant (and authority_host for national clouds)")
		}
	}
	eff.DiscoveryURL = ""
	if c.ClaimMapping.UserID != "" {
		v.add("claim_mapping.user_id", "cannot be changed for type entra: users are identified by their tenant and object ids (tid, oid), never by a mutable email or username")
	}
	authority := entraDefaultAuthority
	if f.AuthorityHost != "" {
		u := strings.TrimSuffix(f.AuthorityHost, "/")
		if msg := checkIdPURL(u); msg != "" {
			v.add("authority_host", "%s", msg)
		} else if strings.Count(u, "/") > 2 {
			v.add("authority_host", "give the host only (e.g. https://login.microsoftonline.us), without a path")
		} else {
			authority = u
		}
	}

	tenant := strings.ToLower(f.Tenant)
	multi := tenant == "common" || tenant == "organizations"
	allowed := make([]string, 0, len(f.AllowedTenants))
	for i, t := range f.AllowedTenants {
		if !isGUID(t) {
			v.add(fmt.Sprintf("allowed_tenants[%d]", i), "%q is not a tenant id (a GUID: Entra admin center → Overview → Tenant ID)", t)
			continue
		}
		allowed = append(allowed, strings.ToLower(t))
	}
	switch {
	case tenant == "":
		v.add("tenant", "required: your tenant id (a GUID), a verified domain, or organizations/common with allowed_tenants")
	case multi:
		if len(f.AllowedTenants) == 0 {
			v.add("allowed_tenants", "required with tenant %q: list the tenant ids whose users may sign in (any Entra tenant in the world could otherwise)", f.Tenant)
		}
	case tenant == "consumers":
		if len(allowed) == 0 {
			allowed = []string{entraConsumersTenant}
		}
	case isGUID(tenant):
		if len(allowed) > 0 && (len(allowed) != 1 || allowed[0] != tenant) {
			v.add("allowed_tenants", "a single-tenant entry admits only its tenant; use tenant: organizations to admit several")
		}
	case hostPattern.MatchString(tenant) && strings.Contains(tenant, "."):
	default:
		v.add("tenant", "%q is not a tenant id (GUID), a domain, organizations, common or consumers", f.Tenant)
	}
	if tenant != "" {
		eff.Issuer = authority + "/" + tenant + "/v2.0"
	}
	e := entra{policy: c.Policy, allowedTenants: allowed}
	return eff, oidcQuirks{
		checkDiscovery: e.checkDiscovery,
		checkIssuer:    e.checkIssuer,
		identity:       e.identity,
	}
}

// entra holds what the Entra quirks need.
type entra struct {
	policy         Policy
	allowedTenants []string // lower-case GUIDs; empty = the tenant's own
}

// errEntraV1 explains a v1.0 issuer.
var errEntraV1 = errors.New("this is a v1.0 token (issuer https://sts.windows.net/...); " +
	"set \"requestedAccessTokenVersion\": 2 (accessTokenAcceptedVersion in the legacy manifest) in the app registration's manifest, under api")

func (e entra) checkDiscovery(meta discoveryMeta) error {
	if strings.HasPrefix(meta.Issuer, entraV1IssuerPrefix) {
		return fmt.Errorf("issuer %q: %w", meta.Issuer, errEntraV1)
	}
	return nil
}

// checkIssuer checks the ID token's iss in place of go-oidc: against the
// discovery document's issuer with "{tenantid}" replaced by the token's tid
// claim (or exactly, when the document names a tenant), then tid against
// allowed_tenants. Entra's signing keys are shared by every tenant, so this
// check, not the signature, is what keeps other tenants out.
func (e entra) checkIssuer(discovered, iss string, claims map[string]any) error {
	if strings.HasPrefix(iss, entraV1IssuerPrefix) {
		return errEntraV1
	}
	tid, _ := claimString(claims, "tid")
	if !isGUID(tid) {
		return errors.New("no tenant id (tid claim) in the token")
	}
	tid = strings.ToLower(tid)
	want := discovered
	if strings.Contains(discovered, entraTenantPlaceholder) {
		want = strings.Replace(discovered, entraTenantPlaceholder, tid, 1)
	}
	if !strings.EqualFold(iss, want) {
		return fmt.Errorf("does not match the tenant's issuer %q (tid %s)", want, tid)
	}
	if len(e.allowedTenants) > 0 && !slices.Contains(e.allowedTenants, tid) {
		return &PolicyError{Rule: "allowed_tenants",
			Reason: fmt.Sprintf("accounts of the Microsoft Entra tenant %s are not allowed to sign in here", tid)}
	}
	return nil
}

// identity makes the subject tid/oid, applies the verified-domain signal
// and reports a group overage.
func (e entra) identity(_ context.Context, id *Identity) error {
	tid, _ := claimString(id.Claims, "tid")
	oid, _ := claimString(id.Claims, "oid")
	if tid == "" || oid == "" {
		return fmt.Errorf("idp %q: %w: the Entra ID token has no tid or oid claim", id.ProviderID, ErrInvalidIDToken)
	}
	id.Subject = strings.ToLower(tid) + "/" + strings.ToLower(oid)

	if len(id.Groups) == 0 && entraGroupOverage(id.Claims) && len(e.policy.AllowedGroups) > 0 {
		return &PolicyError{ProviderID: id.ProviderID, Rule: "allowed_groups",
			Reason: "Microsoft Entra did not list your groups in the ID token because you are in too many (group overage), " +
				"and reading them from Microsoft Graph is not supported; an administrator can emit only the groups assigned to the application " +
				"(app registration → Token configuration → groups claim)"}
	}
	return e.verifyEmail(id)
}

// entraGroupOverage reports Entra's "too many groups" markers: groups moved
// to _claim_names (more than 200 in a JWT) or hasgroups.
func entraGroupOverage(claims map[string]any) bool {
	if names, ok := claims["_claim_names"].(map[string]any); ok {
		if _, ok := names["groups"]; ok {
			return true
		}
	}
	b := claimBool(claims, "hasgroups")
	return b != nil && *b
}

// verifyEmail sets EmailVerified from a verified-domain signal, because
// Entra sends no email_verified and its email claim is editable:
//  1. the optional claim xms_edov ("email domain owner verified"), when
//     the token has an email;
//  2. otherwise, for a member of a work tenant (not a guest, not a personal
//     Microsoft account), the user principal name (upn, else
//     preferred_username): Entra only lets a UPN end in one of the
//     tenant's verified domains. The UPN then stands as the user's email
//     for the domain rules.
//
// Without either, the email stays unverified, and a policy that needs a
// verified address refuses with a message naming both signals.
func (e entra) verifyEmail(id *Identity) error {
	if edov := claimBool(id.Claims, "xms_edov"); edov != nil && id.Email != "" {
		id.EmailVerified = edov
		if !*edov && e.policy.requireVerifiedEmail() {
			return &PolicyError{ProviderID: id.ProviderID, Rule: "require_verified_email",
				Reason: fmt.Sprintf("Microsoft Entra reports (xms_edov) that the domain of %s is not verified by your tenant", id.Email)}
		}
		return nil
	}
	tid, _ := claimString(id.Claims, "tid")
	if upn := entraUPN(id.Claims); upn != "" && !entraGuest(id.Claims) && !strings.EqualFold(tid, entraConsumersTenant) {
		t := true
		id.Email, id.EmailVerified = upn, &t
		return nil
	}
	id.EmailVerified = nil
	if (id.Email != "" && e.policy.requireVerifiedEmail()) || len(e.policy.AllowedEmailDomains) > 0 {
		rule := "require_verified_email"
		if len(e.policy.AllowedEmailDomains) > 0 {
			rule = "allowed_email_domains"
		}
		return &PolicyError{ProviderID: id.ProviderID, Rule: rule,
			Reason: "Microsoft Entra sends no email_verified claim, and this sign-in carried no verified-domain signal: " +
				"neither the optional claim xms_edov with an email, nor the user principal name of a member account (guest accounts have none)"}
	}
	return nil
}

// entraUPN returns the user principal name if it looks like one.
func entraUPN(claims map[string]any) string {
	for _, k := range []string{"upn", "preferred_username"} {
		s, _ := claimString(claims, k)
		if at := strings.LastIndexByte(s, '@'); at > 0 && at < len(s)-1 && !strings.Contains(strings.ToUpper(s), "#EXT#") {
			return s
		}
	}
	return ""
}

// entraGuest reports a guest (B2B) account: acct = 1, or an idp claim
// naming another issuer than the token's.
func entraGuest(claims map[string]any) bool {
	if acct, ok := claimString(claims, "acct"); ok && acct == "1" {
		return true
	}
	idp, _ := claimString(claims, "idp")
	iss, _ := claimString(claims, "iss")
	return idp != "" && idp != iss
}

package idp

import (
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

const (
	tenantContoso  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tenantFabrikam = "0a1b2c3d-0000-4000-8000-00000000f0f0"
)

// entraUsers are Entra-shaped accounts of the test OP at origin: every ID
// token carries tid and oid and no email_verified (Entra never sends it),
// and iss names the user's home tenant, as the organizations endpoint does.
func entraUsers(origin string) []idptest.User {
	iss := func(tid string) string { return origin + "/" + tid + "/v2.0" }
	claims := func(tid, oid string, more map[string]any) map[string]any {
		m := map[string]any{"tid": tid, "oid": oid}
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	return users(
		// A member with the xms_edov optional claim configured.
		idptest.User{Username: "alice@contoso.com", Email: "alice@contoso.com", Issuer: iss(tenantContoso),
			Claims: claims(tenantContoso, "00000000-0000-0000-0000-0000000a11ce", map[string]any{"xms_edov": true}), Groups: []string{"mcp-users"}},
		// A member without xms_edov whose (editable) email claim names another domain: the UPN is the signal.
		idptest.User{Username: "bob@contoso.com", Email: "bob@elsewhere.example", Issuer: iss(tenantContoso),
			Claims: claims(tenantContoso, "00000000-0000-0000-0000-000000000b0b", nil)},
		// A guest (B2B) account whose preferred_username is an address at the
		// allowed domain: guests have no UPN signal, and no xms_edov here.
		idptest.User{Username: "gail@contoso.com", Email: "gail@contoso.com", Issuer: iss(tenantContoso),
			Claims: claims(tenantContoso, "00000000-0000-0000-0000-00000000ga11", map[string]any{"acct": 1, "idp": "live.com"})},
		// A member in too many groups: Entra moves them to _claim_names.
		idptest.User{Username: "olga@contoso.com", Email: "olga@contoso.com", Issuer: iss(tenantContoso),
			Claims: claims(tenantContoso, "00000000-0000-0000-0000-0000000019a0", map[string]any{
				"_claim_names":   map[string]any{"groups": "src1"},
				"_claim_sources": map[string]any{"src1": map[string]any{"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}},
			})},
		// A personal Microsoft account (the consumers tenant): its
		// preferred_username is an address at any domain, not a UPN.
		idptest.User{Username: "pat@contoso.com", Email: "pat@contoso.com", Issuer: iss(entraConsumersTenant),
			Claims: claims(entraConsumersTenant, "00000000-0000-0000-0000-000000000a7a", nil)},
		// A user of another tenant, not in allowed_tenants.
		idptest.User{Username: "mallory@fabrikam.com", Email: "mallory@fabrikam.com", Issuer: iss(tenantFabrikam),
			Claims: claims(tenantFabrikam, "00000000-0000-0000-0000-0000000ba11e", map[string]any{"xms_edov": true})},
		// A token whose iss names an allowed tenant but whose tid is another one.
		idptest.User{Username: "eve@fabrikam.com", Email: "eve@fabrikam.com", Issuer: iss(tenantContoso),
			Claims: claims(tenantFabrikam, "00000000-0000-0000-0000-000000000e7e", nil)},
		// An app registration still on v1.0 tokens: iss is https://sts.windows.net/<tid>/.
		idptest.User{Username: "victor@contoso.com", Email: "victor@contoso.com", Issuer: "https://sts.windows.net/" + tenantContoso + "/",
			Claims: claims(tenantContoso, "00000000-0000-0000-0000-00000000v1v1", nil)},
	)
}

// TestEntraMultiTenant reproduces Entra's multi-tenant endpoint
// (tenant: organizations): its discovery document names the issuer
// "https://login.microsoftonline.com/{tenantid}/v2.0" with a literal
// placeholder (a named shim rewrites the real OP's document so), while each
// ID token's iss names the user's home tenant and carries tid, oid and no
// email_verified.
func TestEntraMultiTenant(t *testing.T) {
	up := newUpstream(t, idptest.Options{IssuerPath: "/organizations/v2.0"})
	origin := strings.TrimSuffix(up.op.Issuer, "/organizations/v2.0")
	up.op.SetDiscoveryShim(func(doc map[string]any) { // shim: Entra's templated multi-tenant issuer
		doc["issuer"] = origin + "/{tenantid}/v2.0"
	})
	for _, u := range entraUsers(origin) {
		up.op.AddUser(u)
	}
	entry := func(p Policy) Config {
		c := presetConfig(TypeEntra, map[string]any{"tenant": "organizations", "authority_host": origin,
			"allowed_tenants": []string{strings.ToUpper(tenantContoso), entraConsumersTenant}})
		c.Policy = p
		return c
	}
	contoso := Policy{AllowedEmailDomains: []string{"contoso.com"}}
	tests := []struct {
		name, user  string
		policy      Policy
		rule        string
		errIs       error
		msg         string
		wantSubject string
		wantEmail   string
	}{
		{name: "member of an allowed tenant, xms_edov: admitted, subject is tid/oid",
			user: "alice@contoso.com", policy: contoso, wantSubject: tenantContoso + "/00000000-0000-0000-0000-0000000a11ce", wantEmail: "alice@contoso.com"},
		{name: "member without xms_edov: the UPN's domain is the signal, not the editable email",
			user: "bob@contoso.com", policy: contoso, wantSubject: tenantContoso + "/00000000-0000-0000-0000-000000000b0b", wantEmail: "bob@contoso.com"},
		{name: "no email_verified does not lock members out with the default require_verified_email",
			user: "bob@contoso.com", wantEmail: "bob@contoso.com", wantSubject: tenantContoso + "/00000000-0000-0000-0000-000000000b0b"},
		{name: "guest without a verified-domain signal is refused by the domain rule, naming the signals",
			user: "gail@contoso.com", policy: contoso, rule: "allowed_email_domains", msg: "xms_edov"},
		{name: "guest without a signal is refused by require_verified_email",
			user: "gail@contoso.com", rule: "require_verified_email", msg: "no email_verified"},
		{name: "personal Microsoft account has no UPN signal", user: "pat@contoso.com", policy: contoso, rule: "allowed_email_domains", msg: "xms_edov"},
		{name: "group overage with a group rule: clear refusal",
			user: "olga@contoso.com", policy: Policy{AllowedGroups: []string{"mcp-users"}}, rule: "allowed_groups", msg: "group overage"},
		{name: "group overage without a group rule: admitted",
			user: "olga@contoso.com", wantEmail: "olga@contoso.com", wantSubject: tenantContoso + "/00000000-0000-0000-0000-0000000019a0"},
		{name: "groups claim read", user: "alice@contoso.com", policy: Policy{AllowedGroups: []string{"mcp-users"}},
			wantSubject: tenantContoso + "/00000000-0000-0000-0000-0000000a11ce", wantEmail: "alice@contoso.com"},
		{name: "tenant not in allowed_tenants", user: "mallory@fabrikam.com", rule: "allowed_tenants", msg: tenantFabrikam},
		{name: "iss of one tenant with the tid of another", user: "eve@fabrikam.com", errIs: ErrInvalidIDToken, msg: "does not match the tenant's issuer"},
		{name: "v1 issuer: tells the admin to set requestedAccessTokenVersion 2", user: "victor@contoso.com",
			errIs: ErrInvalidIDToken, msg: `"requestedAccessTokenVersion": 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := presetLogin(t, up, entry(tt.policy), tt.user)
			wantOutcome(t, id, err, tt.rule, tt.errIs, tt.msg)
			if err != nil {
				return
			}
			if id.Subject != tt.wantSubject || id.UserID() != "corp|"+tt.wantSubject {
				t.Errorf("subject = %q, user id %q; want %q", id.Subject, id.UserID(), tt.wantSubject)
			}
			if id.Email != tt.wantEmail || id.EmailVerified == nil || !*id.EmailVerified {
				t.Errorf("email = %q verified %v; want %q verified", id.Email, id.EmailVerified, tt.wantEmail)
			}
		})
	}
}

// TestEntraSingleTenant reproduces a single-tenant registration (tenant: a
// GUID): the discovery issuer names the tenant, and a token of another
// tenant — signed with the same keys, as all Entra tenants share them — is
// refused on its issuer.
func TestEntraSingleTenant(t *testing.T) {
	up := newUpstream(t, idptest.Options{IssuerPath: "/" + tenantContoso + "/v2.0"})
	origin := strings.TrimSuffix(up.op.Issuer, "/"+tenantContoso+"/v2.0")
	for _, u := range entraUsers(origin) {
		up.op.AddUser(u)
	}
	c := presetConfig(TypeEntra, map[string]any{"tenant": tenantContoso, "authority_host": origin})
	id, err := presetLogin(t, up, c, "alice@contoso.com")
	wantOutcome(t, id, err, "", nil, "")
	if id.Subject != tenantContoso+"/00000000-0000-0000-0000-0000000a11ce" {
		t.Errorf("subject = %q", id.Subject)
	}
	id, err = presetLogin(t, up, c, "mallory@fabrikam.com")
	wantOutcome(t, id, err, "", ErrInvalidIDToken, "does not match the tenant's issuer")
}

// TestEntraDomainTenant reproduces tenant: <verified domain>: Entra serves
// discovery at /contoso.com/v2.0 but its issuer, and every token's iss,
// name the tenant id (a named shim rewrites the OP's document so). The
// tenant is pinned to that issuer: a token of another tenant is refused.
func TestEntraDomainTenant(t *testing.T) {
	up := newUpstream(t, idptest.Options{IssuerPath: "/contoso.com/v2.0"})
	origin := strings.TrimSuffix(up.op.Issuer, "/contoso.com/v2.0")
	up.op.SetDiscoveryShim(func(doc map[string]any) { // shim: the domain's document names the tenant id
		doc["issuer"] = origin + "/" + tenantContoso + "/v2.0"
	})
	for _, u := range entraUsers(origin) {
		up.op.AddUser(u)
	}
	c := presetConfig(TypeEntra, map[string]any{"tenant": "contoso.com", "authority_host": origin})
	id, err := presetLogin(t, up, c, "alice@contoso.com")
	wantOutcome(t, id, err, "", nil, "")
	id, err = presetLogin(t, up, c, "mallory@fabrikam.com")
	wantOutcome(t, id, err, "", ErrInvalidIDToken, "does not match the tenant's issuer")
}

package idp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestPresetConfig lists, per preset, the issuer it derives from its own
// fields and the mistakes Validate explains (each error names the IdP id
// and the field).
func TestPresetConfig(t *testing.T) {
	const env = "6a2c2f3e-1b7a-4b8e-9d3f-5c6b7a8d9e0f"
	tests := []struct {
		name  string
		typ   string
		extra map[string]any
		c     func(*Config)
		// wantIssuer is the derived issuer of a valid entry; wantFields the
		// fields of the errors of an invalid one.
		wantIssuer string
		wantFields []string
		wantText   string
		// wantParams are extra authorize parameters the preset adds.
		wantParams map[string]string
		wantAuth   string
	}{
		// entra
		{name: "entra tenant id", typ: TypeEntra, extra: map[string]any{"tenant": tenantContoso},
			wantIssuer: "https://login.microsoftonline.com/" + tenantContoso + "/v2.0"},
		{name: "entra verified domain", typ: TypeEntra, extra: map[string]any{"tenant": "contoso.com"},
			wantIssuer: "https://login.microsoftonline.com/contoso.com/v2.0"},
		{name: "entra organizations with allowed_tenants", typ: TypeEntra, extra: map[string]any{"tenant": "organizations", "allowed_tenants": []string{tenantContoso}},
			wantIssuer: "https://login.microsoftonline.com/organizations/v2.0"},
		{name: "entra national cloud", typ: TypeEntra, extra: map[string]any{"tenant": tenantContoso, "authority_host": "https://login.microsoftonline.us/"},
			wantIssuer: "https://login.microsoftonline.us/" + tenantContoso + "/v2.0"},
		{name: "entra consumers", typ: TypeEntra, extra: map[string]any{"tenant": "consumers"},
			wantIssuer: "https://login.microsoftonline.com/consumers/v2.0"},
		{name: "entra without tenant", typ: TypeEntra, wantFields: []string{"tenant"}, wantText: `idp "corp": tenant: required`},
		{name: "entra common without allowed_tenants", typ: TypeEntra, extra: map[string]any{"tenant": "common"},
			wantFields: []string{"allowed_tenants"}, wantText: "any Entra tenant in the world"},
		{name: "entra bad allowed tenant", typ: TypeEntra, extra: map[string]any{"tenant": "organizations", "allowed_tenants": []string{"contoso.com"}},
			wantFields: []string{"allowed_tenants[0]"}},
		{name: "entra single tenant admitting another", typ: TypeEntra, extra: map[string]any{"tenant": tenantContoso, "allowed_tenants": []string{tenantFabrikam}},
			wantFields: []string{"allowed_tenants"}},
		{name: "entra bad tenant", typ: TypeEntra, extra: map[string]any{"tenant": "not a tenant"}, wantFields: []string{"tenant"}},
		{name: "entra issuer set by hand", typ: TypeEntra, extra: map[string]any{"tenant": tenantContoso},
			c: func(c *Config) { c.Issuer = "https://login.microsoftonline.com/x/v2.0" }, wantFields: []string{"issuer"}},
		{name: "entra user id from email (nOAuth)", typ: TypeEntra, extra: map[string]any{"tenant": tenantContoso},
			c: func(c *Config) { c.ClaimMapping.UserID = "email" }, wantFields: []string{"claim_mapping.user_id"}, wantText: "mutable"},
		{name: "entra allowed_tenants not a list", typ: TypeEntra, extra: map[string]any{"tenant": "organizations", "allowed_tenants": map[string]any{"a": 1}},
			wantFields: []string{"allowed_tenants", "allowed_tenants"}, wantText: "want a list of strings"},
		{name: "entra unknown key", typ: TypeEntra, extra: map[string]any{"tenant": tenantContoso, "tennant_id": "x"},
			wantFields: []string{"tennant_id"}, wantText: "allowed_tenants, authority_host, tenant"},
		// auth0
		{name: "auth0 domain", typ: TypeAuth0, extra: map[string]any{"domain": "acme.us.auth0.com", "audience": "https://mcp.example.com/mcp"},
			wantIssuer: "https://acme.us.auth0.com/", wantParams: map[string]string{"audience": "https://mcp.example.com/mcp"}},
		{name: "auth0 issuer gets its slash", typ: TypeAuth0, c: func(c *Config) { c.Issuer = "https://login.acme.com" },
			wantIssuer: "https://login.acme.com/"},
		{name: "auth0 without domain", typ: TypeAuth0, wantFields: []string{"domain"}},
		{name: "auth0 bad domain", typ: TypeAuth0, extra: map[string]any{"domain": "acme auth0"}, wantFields: []string{"domain"}},
		{name: "auth0 audience twice", typ: TypeAuth0, extra: map[string]any{"domain": "acme.auth0.com", "audience": "a"},
			c: func(c *Config) { c.ExtraAuthParams = map[string]string{"audience": "b"} }, wantFields: []string{"extra_auth_params.audience"}},
		{name: "auth0 domain and issuer", typ: TypeAuth0, extra: map[string]any{"domain": "acme.auth0.com"},
			c: func(c *Config) { c.Issuer = "https://acme.auth0.com/" }, wantFields: []string{"issuer"}},
		// okta
		{name: "okta org server", typ: TypeOkta, extra: map[string]any{"domain": "acme.okta.com"}, wantIssuer: "https://acme.okta.com"},
		{name: "okta custom server", typ: TypeOkta, extra: map[string]any{"domain": "acme.okta.com", "authorization_server": "default"},
			wantIssuer: "https://acme.okta.com/oauth2/default"},
		{name: "okta bad server id", typ: TypeOkta, extra: map[string]any{"domain": "acme.okta.com", "authorization_server": "oauth2/default"},
			wantFields: []string{"authorization_server"}},
		{name: "okta without domain", typ: TypeOkta, wantFields: []string{"domain"}},
		// google
		{name: "google", typ: TypeGoogle, wantIssuer: "https://accounts.google.com"},
		{name: "google one hosted domain", typ: TypeGoogle, extra: map[string]any{"hosted_domains": []string{"example.com"}},
			wantIssuer: "https://accounts.google.com", wantParams: map[string]string{"hd": "example.com"}},
		{name: "google several hosted domains", typ: TypeGoogle, extra: map[string]any{"hosted_domains": []string{"example.com", "example.org"}},
			wantIssuer: "https://accounts.google.com", wantParams: map[string]string{"hd": "*"}},
		{name: "google bad hosted domain", typ: TypeGoogle, extra: map[string]any{"hosted_domains": []string{"@example.com"}},
			wantFields: []string{"hosted_domains[0]"}},
		{name: "google group rule without a groups claim", typ: TypeGoogle, c: func(c *Config) { c.Policy.AllowedGroups = []string{"ops"} },
			wantFields: []string{"allowed_groups"}, wantText: "carry no groups"},
		// keycloak
		{name: "keycloak realm", typ: TypeKeycloak, extra: map[string]any{"base_url": "https://sso.acme.com/", "realm": "acme"},
			wantIssuer: "https://sso.acme.com/realms/acme"},
		{name: "keycloak legacy /auth", typ: TypeKeycloak, extra: map[string]any{"base_url": "https://sso.acme.com/auth", "realm": "acme"},
			wantIssuer: "https://sso.acme.com/auth/realms/acme"},
		{name: "keycloak without realm", typ: TypeKeycloak, extra: map[string]any{"base_url": "https://sso.acme.com"}, wantFields: []string{"realm"}},
		{name: "keycloak realm in base_url", typ: TypeKeycloak, extra: map[string]any{"base_url": "https://sso.acme.com/realms/acme", "realm": "acme"},
			wantFields: []string{"base_url"}},
		{name: "keycloak http off loopback", typ: TypeKeycloak, extra: map[string]any{"base_url": "http://sso.acme.com", "realm": "acme"},
			wantFields: []string{"base_url"}},
		// cognito
		{name: "cognito pool", typ: TypeCognito, extra: map[string]any{"region": "eu-west-1", "user_pool_id": "eu-west-1_AbCdEf123"},
			wantIssuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"},
		{name: "cognito pool of another region", typ: TypeCognito, extra: map[string]any{"region": "eu-west-1", "user_pool_id": "us-east-1_AbCdEf123"},
			wantFields: []string{"user_pool_id"}, wantText: "is in region us-east-1"},
		{name: "cognito bad pool id", typ: TypeCognito, extra: map[string]any{"region": "eu-west-1", "user_pool_id": "AbCdEf123"},
			wantFields: []string{"user_pool_id"}},
		{name: "cognito without region", typ: TypeCognito, extra: map[string]any{"user_pool_id": "eu-west-1_AbCdEf123"}, wantFields: []string{"region"}},
		// pingone
		{name: "pingone eu", typ: TypePingOne, extra: map[string]any{"region": "eu", "environment_id": env},
			wantIssuer: "https://auth.pingone.eu/" + env + "/as", wantAuth: AuthStyleBasic},
		{name: "pingone north america alias", typ: TypePingOne, extra: map[string]any{"region": "NA", "environment_id": env},
			wantIssuer: "https://auth.pingone.com/" + env + "/as", wantAuth: AuthStyleBasic},
		{name: "pingone post kept", typ: TypePingOne, extra: map[string]any{"region": "ca", "environment_id": env},
			c: func(c *Config) { c.AuthStyle = AuthStylePost }, wantIssuer: "https://auth.pingone.ca/" + env + "/as", wantAuth: AuthStylePost},
		{name: "pingone bad region", typ: TypePingOne, extra: map[string]any{"region": "mars", "environment_id": env}, wantFields: []string{"region"}},
		{name: "pingone bad environment", typ: TypePingOne, extra: map[string]any{"region": "eu", "environment_id": "prod"}, wantFields: []string{"environment_id"}},
		// generic fields still checked on presets
		{name: "preset without client_secret", typ: TypeOkta, extra: map[string]any{"domain": "acme.okta.com"},
			c: func(c *Config) { c.ClientSecret = "" }, wantFields: []string{"client_secret"}},
		{name: "preset with a reserved extra param", typ: TypeGoogle, c: func(c *Config) { c.ExtraAuthParams = map[string]string{"nonce": "x"} },
			wantFields: []string{"extra_auth_params.nonce"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := presetConfig(tt.typ, tt.extra)
			if tt.c != nil {
				tt.c(&c)
			}
			err := c.Validate()
			if tt.wantFields == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				pr, _ := presetFor(tt.typ)
				var v validator
				eff, _ := pr.resolve(c, &v)
				if eff.Issuer != tt.wantIssuer {
					t.Errorf("issuer = %q, want %q", eff.Issuer, tt.wantIssuer)
				}
				for k, want := range tt.wantParams {
					if eff.ExtraAuthParams[k] != want {
						t.Errorf("extra_auth_params[%s] = %q, want %q", k, eff.ExtraAuthParams[k], want)
					}
				}
				if tt.wantAuth != "" && eff.AuthStyle != tt.wantAuth {
					t.Errorf("auth_style = %q, want %q", eff.AuthStyle, tt.wantAuth)
				}
				if len(eff.Extra) != 0 || (tt.extra != nil && len(c.Extra) == 0) {
					t.Errorf("Extra not consumed or caller's entry changed")
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted the entry")
			}
			var fields []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *ConfigError
				if !errors.As(e, &ce) || ce.IdP != "corp" {
					t.Fatalf("error %v is not a ConfigError of idp corp", e)
				}
				fields = append(fields, ce.Field)
			}
			if !slices.Equal(fields, tt.wantFields) {
				t.Errorf("fields = %v, want %v (%v)", fields, tt.wantFields, err)
			}
			if tt.wantText != "" {
				mustContain(t, err.Error(), tt.wantText)
			}
			// Open refuses the same entry before touching the network.
			if _, oerr := NewRegistry().Open(context.Background(), c, Options{RedirectURI: "http://127.0.0.1:1/auth/callback"}); oerr == nil || oerr.Error() != err.Error() {
				t.Errorf("Open = %v, want the Validate error", oerr)
			}
		})
	}
}

// TestPresetYAML decodes preset entries as cmd does from the config file:
// the type-specific keys land in Extra and validate.
func TestPresetYAML(t *testing.T) {
	const doc = `
- id: corp
  type: entra
  name: Sign in with Contoso
  tenant: organizations
  allowed_tenants: [72f988bf-86f1-41af-91ab-2d7cd011db47]
  client_id: app
  client_secret: s
  allowed_email_domains: [contoso.com]
- id: kc
  type: keycloak
  base_url: https://sso.acme.com
  realm: acme
  groups_claim: groups
  client_id: app
  client_secret: s
  allowed_groups: [mcp-users]
`
	var cs []Config
	if err := yaml.Unmarshal([]byte(doc), &cs); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
	if cs[0].Extra["tenant"] != "organizations" || cs[0].Policy.AllowedEmailDomains[0] != "contoso.com" || cs[1].Policy.AllowedGroups[0] != "mcp-users" {
		t.Errorf("decoded = %+v", cs)
	}
	// An unknown type lists every type.
	err := Config{ID: "x", Type: "azuread"}.Validate()
	for _, typ := range []string{"auth0", "cognito", "dev", "entra", "google", "keycloak", "oidc", "okta", "pingone"} {
		if err == nil || !strings.Contains(err.Error(), typ) {
			t.Errorf("unknown-type error %v does not list %s", err, typ)
		}
	}
}

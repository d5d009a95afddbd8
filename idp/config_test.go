package idp

import (
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func validOIDC() Config {
	return Config{ID: "corp", Type: TypeOIDC, Issuer: "https://login.example.com", ClientID: "cid", ClientSecret: "s3cret"}
}

func TestConfigValidate(t *testing.T) {
	f := false
	tests := []struct {
		name   string
		mutate func(*Config)
		// wantField is the field every reported error must include; "" = valid.
		wantFields []string
		wantText   string
	}{
		{name: "valid oidc", mutate: func(*Config) {}},
		{name: "valid oidc on loopback http", mutate: func(c *Config) { c.Issuer = "http://127.0.0.1:5556/dex" }},
		{name: "valid oidc localhost http", mutate: func(c *Config) { c.Issuer = "http://localhost:8080/realms/x/" }},
		{name: "valid dev", mutate: func(c *Config) { *c = Config{ID: "dev", Type: TypeDev, Name: "Dev"} }},
		{name: "valid policy", mutate: func(c *Config) {
			c.Policy = Policy{AllowedEmailDomains: []string{"example.com"}, AllowedGroups: []string{"ops"}, RequireVerifiedEmail: &f}
		}},
		{name: "missing id", mutate: func(c *Config) { c.ID = "" }, wantFields: []string{"id"}, wantText: "idp (no id): id: required"},
		{name: "bad id", mutate: func(c *Config) { c.ID = "corp|x" }, wantFields: []string{"id"}},
		{name: "dot id", mutate: func(c *Config) { c.ID = ".." }, wantFields: []string{"id"}},
		{name: "missing type", mutate: func(c *Config) { c.Type = "" }, wantFields: []string{"type"}},
		{name: "unknown type", mutate: func(c *Config) { c.Type = "saml" }, wantFields: []string{"type"}, wantText: `idp "corp": type: unknown type "saml"`},
		{name: "missing issuer", mutate: func(c *Config) { c.Issuer = "" }, wantFields: []string{"issuer"}, wantText: `idp "corp": issuer: required`},
		{name: "relative issuer", mutate: func(c *Config) { c.Issuer = "login.example.com" }, wantFields: []string{"issuer"}},
		{name: "bad URL", mutate: func(c *Config) { c.Issuer = "https://exa mple.com/%zz" }, wantFields: []string{"issuer"}},
		{name: "http issuer off loopback", mutate: func(c *Config) { c.Issuer = "http://login.example.com" }, wantFields: []string{"issuer"}, wantText: "only allowed to a loopback host"},
		{name: "issuer with query", mutate: func(c *Config) { c.Issuer = "https://login.example.com/?x=1" }, wantFields: []string{"issuer"}},
		{name: "issuer with fragment", mutate: func(c *Config) { c.Issuer = "https://login.example.com/#x" }, wantFields: []string{"issuer"}},
		{name: "issuer with userinfo", mutate: func(c *Config) { c.Issuer = "https://u:p@login.example.com" }, wantFields: []string{"issuer"}},
		{name: "bad discovery_url", mutate: func(c *Config) { c.DiscoveryURL = "ftp://x" }, wantFields: []string{"discovery_url"}},
		{name: "missing client_id", mutate: func(c *Config) { c.ClientID = "" }, wantFields: []string{"client_id"}, wantText: `idp "corp": client_id: required`},
		{name: "missing client_secret", mutate: func(c *Config) { c.ClientSecret = "" }, wantFields: []string{"client_secret"}, wantText: "environment variable"},
		{name: "unexpanded secret", mutate: func(c *Config) { c.ClientSecret = "${ENTRA_SECRET}" }, wantFields: []string{"client_secret"}},
		{name: "scope with space", mutate: func(c *Config) { c.Scopes = []string{"openid", "email profile"} }, wantFields: []string{"scopes[1]"}},
		{name: "reserved extra param", mutate: func(c *Config) { c.ExtraAuthParams = map[string]string{"audience": "x", "State": "y"} }, wantFields: []string{"extra_auth_params.State"}},
		{name: "bad auth_style", mutate: func(c *Config) { c.AuthStyle = "jwt" }, wantFields: []string{"auth_style"}},
		{name: "claim name with space", mutate: func(c *Config) { c.ClaimMapping.Groups = "my groups" }, wantFields: []string{"claim_mapping.groups"}},
		{name: "unknown extra key", mutate: func(c *Config) { c.Extra = map[string]any{"tenant": "x"} }, wantFields: []string{"tenant"}, wantText: "unknown field for type oidc"},
		{name: "bad email domain", mutate: func(c *Config) { c.Policy.AllowedEmailDomains = []string{"@example.com"} }, wantFields: []string{"allowed_email_domains[0]"}},
		{name: "empty group", mutate: func(c *Config) { c.Policy.AllowedGroups = []string{""} }, wantFields: []string{"allowed_groups[0]"}},
		{name: "dev with issuer", mutate: func(c *Config) { c.Type = TypeDev; c.ClientID, c.ClientSecret = "", "" }, wantFields: []string{"issuer"}, wantText: "did you mean type oidc"},
		{name: "several problems", mutate: func(c *Config) { c.Issuer, c.ClientID = "", "" }, wantFields: []string{"client_id", "issuer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validOIDC()
			tt.mutate(&c)
			err := c.Validate()
			if len(tt.wantFields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors on %v", tt.wantFields)
			}
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *ConfigError
				if !errors.As(e, &ce) {
					t.Fatalf("error %v is not a *ConfigError", e)
				}
				if ce.IdP != c.ID {
					t.Errorf("error %q names IdP %q, want %q", e, ce.IdP, c.ID)
				}
				got = append(got, ce.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
				t.Errorf("fields = %v, want %v (error: %v)", got, tt.wantFields, err)
			}
			if tt.wantText != "" && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = `
- id: corp
  type: oidc
  name: Sign in with Contoso
  issuer: https://login.example.com/
  discovery_url: https://disco.example.com/.well-known/openid-configuration
  client_id: abc
  client_secret: xyz
  scopes: [openid, email]
  extra_auth_params: {audience: "https://mcp.example.com/mcp"}
  claim_mapping: {user_id: oid, email: upn, name: nickname, groups: roles}
  auth_style: post
  root_ca: /etc/ssl/corp.pem
  get_user_info: true
  allowed_email_domains: [contoso.com]
  allowed_groups: [ops]
  allowed_subjects: [u1]
  require_verified_email: false
  tenant: 00000000-0000-0000-0000-000000000000
`
	var cs []Config
	d := yaml.NewDecoder(strings.NewReader(doc))
	d.KnownFields(true)
	if err := d.Decode(&cs); err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	if c.ID != "corp" || c.Type != "oidc" || c.Name != "Sign in with Contoso" || c.Issuer != "https://login.example.com/" ||
		c.DiscoveryURL == "" || c.ClientID != "abc" || c.ClientSecret != "xyz" || len(c.Scopes) != 2 ||
		c.ExtraAuthParams["audience"] != "https://mcp.example.com/mcp" || c.AuthStyle != "post" || c.RootCA != "/etc/ssl/corp.pem" || !c.GetUserInfo {
		t.Errorf("generic fields: %+v", c)
	}
	if (c.ClaimMapping != ClaimMapping{UserID: "oid", Email: "upn", Name: "nickname", Groups: "roles"}) {
		t.Errorf("claim_mapping = %+v", c.ClaimMapping)
	}
	p := c.Policy
	if len(p.AllowedEmailDomains) != 1 || len(p.AllowedGroups) != 1 || len(p.AllowedSubjects) != 1 || p.RequireVerifiedEmail == nil || *p.RequireVerifiedEmail {
		t.Errorf("policy = %+v", p)
	}
	// Type-specific keys wait in Extra for a preset.
	var preset struct {
		Tenant string `yaml:"tenant"`
	}
	if err := c.DecodeExtra(&preset); err != nil || preset.Tenant != "00000000-0000-0000-0000-000000000000" {
		t.Errorf("DecodeExtra = %v, %+v", err, preset)
	}
	var other struct {
		Region string `yaml:"region"`
	}
	if err := c.DecodeExtra(&other); err == nil || !strings.Contains(err.Error(), `idp "corp"`) || !strings.Contains(err.Error(), "tenant") {
		t.Errorf("DecodeExtra with an unknown key = %v, want an error naming the IdP and the key", err)
	}
	// The generic type refuses the preset key.
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `idp "corp": tenant: unknown field`) {
		t.Errorf("Validate = %v", err)
	}
}

func TestConfigDoesNotPrintSecret(t *testing.T) {
	c := validOIDC()
	for _, s := range []string{c.String(), c.LogValue().String()} {
		if strings.Contains(s, c.ClientSecret) || !strings.Contains(s, "redacted") {
			t.Errorf("%q leaks or hides the secret badly", s)
		}
	}
}

func TestScopes(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "openid email profile"},
		{[]string{"email"}, "openid email"},
		{[]string{"profile", "openid", "groups"}, "profile openid groups"},
	}
	for _, tt := range tests {
		if got := strings.Join(Config{Scopes: tt.in}.scopes(), " "); got != tt.want {
			t.Errorf("scopes(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

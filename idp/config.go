package idp

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Built-in kinds ([Config.Type]).
const (
	TypeOIDC = "oidc"
	TypeDev  = "dev"
)

// Config is one entry of the `idps:` list of the config file (DESIGN.md §3).
// Decode it from YAML, expand `${ENV}` references, then call [Config.Validate]
// before [Registry.Open]. Checking that ids are unique across the list is the
// caller's job ([Registry.OpenAll] does it too).
type Config struct {
	// ID names the entry: [A-Za-z0-9._-], 1 to 64 characters, starting with
	// a letter or digit. It is the {idp} of /login/{idp} and the prefix of
	// every user id from this IdP, so changing it changes who the users are.
	ID string `yaml:"id"`
	// Type is the kind: "oidc", "dev", or a preset: "entra", "auth0",
	// "okta", "google", "keycloak", "cognito", "pingone".
	Type string `yaml:"type"`
	// Name is the chooser's button text; empty means the id.
	Name string `yaml:"name"`

	// Issuer is the IdP's issuer URL, byte for byte as its discovery
	// document and ID tokens spell it (trailing slash included). https, or
	// http on a loopback host.
	Issuer string `yaml:"issuer"`
	// DiscoveryURL is where to fetch the discovery document when that is not
	// <issuer>/.well-known/openid-configuration: either a base URL (the
	// well-known path is appended) or the full document URL. The document's
	// issuer must still equal Issuer.
	DiscoveryURL string `yaml:"discovery_url"`
	// ClientID and ClientSecret are the credentials of our app registration
	// at the IdP (a confidential client; its redirect URI is
	// <public-url>/auth/callback).
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// Scopes requested at login; default "openid email profile". "openid" is
	// added when missing.
	Scopes []string `yaml:"scopes"`
	// ExtraAuthParams are added to the authorization URL (e.g. Auth0's
	// audience, Google's hd). The parameters the flow itself sets (state,
	// nonce, PKCE, client_id, redirect_uri, scope, response_type) are refused.
	ExtraAuthParams map[string]string `yaml:"extra_auth_params"`
	// ClaimMapping names the claims the Identity fields come from.
	ClaimMapping ClaimMapping `yaml:"claim_mapping"`
	// AuthStyle is how the client authenticates at the token endpoint:
	// "basic" (client_secret_basic), "post" (client_secret_post) or ""
	// (auto-detect: basic first, post if that fails). Set one explicitly for
	// IdPs that refuse a second method (PingFederate) or basic (Okta).
	AuthStyle string `yaml:"auth_style"`
	// RootCA is a PEM file of CA certificates trusted, in addition to the
	// system's, for TLS to this IdP.
	RootCA string `yaml:"root_ca"`
	// GetUserInfo also fetches the userinfo endpoint after the code exchange
	// and fills claims the ID token lacks (for IdPs that issue thin ID tokens).
	GetUserInfo bool `yaml:"get_user_info"`

	// Policy is the IdP's access policy; its keys sit at the top level of
	// the entry (allowed_email_domains, ...).
	Policy Policy `yaml:",inline"`

	// Extra holds the entry's other keys, for a preset type to decode with
	// [Config.DecodeExtra] (e.g. entra's tenant). The generic types refuse any.
	Extra map[string]any `yaml:",inline"`
}

// ClaimMapping names the claims the [Identity] fields are read from. Empty
// fields take the defaults below. A name is first looked up as a top-level
// claim (so namespaced claims like "https://example.com/groups" work); if
// there is none and the name contains dots, as a path into nested objects
// (e.g. "realm_access.roles").
type ClaimMapping struct {
	// UserID is the claim of the stable user id; default "sub". Prefer an
	// immutable id: an email or username may be reassigned to someone else.
	UserID string `yaml:"user_id"`
	// Email is the email claim; default "email". Its verification is always
	// read from "email_verified".
	Email string `yaml:"email"`
	// Name is the display-name claim; default "name", falling back to
	// "preferred_username" when the default is used and absent.
	Name string `yaml:"name"`
	// Groups is the groups claim (a string or a list of strings); default "groups".
	Groups string `yaml:"groups"`
}

// Default claim names and scopes.
const (
	defaultUserIDClaim = "sub"
	defaultEmailClaim  = "email"
	defaultNameClaim   = "name"
	defaultGroupsClaim = "groups"
)

// DefaultScopes are requested when [Config.Scopes] is empty.
func DefaultScopes() []string { return []string{"openid", "email", "profile"} }

// reservedAuthParams are set by the flow and may not come from ExtraAuthParams.
var reservedAuthParams = []string{
	"client_id", "code_challenge", "code_challenge_method", "nonce",
	"redirect_uri", "response_mode", "response_type", "scope", "state",
}

// Auth styles.
const (
	AuthStyleAuto  = ""
	AuthStyleBasic = "basic"
	AuthStylePost  = "post"
)

// ConfigError is one problem in an IdP entry: which entry, which field, what.
type ConfigError struct {
	IdP   string // the entry's id ("" if it has none)
	Field string // the YAML key, e.g. "client_id" or "extra_auth_params.state"
	Msg   string
}

func (e *ConfigError) Error() string {
	id := fmt.Sprintf("idp %q", e.IdP)
	if e.IdP == "" {
		id = "idp (no id)"
	}
	return fmt.Sprintf("%s: %s: %s", id, e.Field, e.Msg)
}

// Validate checks the entry without touching the network or the file system
// and returns every problem found (joined), each a [*ConfigError] naming the
// IdP id and the field. It knows the built-in types; a type added with
// [Registry.Register] is checked by its own factory.
func (c Config) Validate() error {
	v := validator{id: c.ID}
	switch {
	case c.ID == "":
		v.add("id", "required")
	case !validID(c.ID):
		v.add("id", "must be 1 to 64 of the characters A-Z a-z 0-9 . _ -, starting with a letter or digit")
	}
	if len(c.Name) > 100 {
		v.add("name", "longer than 100 characters")
	}
	switch c.Type {
	case "":
		v.add("type", "required (one of %s)", strings.Join(builtinTypes(), ", "))
	case TypeOIDC:
		c.validateOIDC(&v, false)
	case TypeDev:
		c.validateDev(&v)
	default:
		if pr, ok := presetFor(c.Type); ok {
			eff, _ := pr.resolve(c, &v)
			eff.validateOIDC(&v, true)
			break
		}
		v.add("type", "unknown type %q (one of %s)", c.Type, strings.Join(builtinTypes(), ", "))
	}
	c.Policy.validate(&v)
	return v.err()
}

// builtinTypes lists every kind NewRegistry knows: the generic ones and the
// presets, sorted.
func builtinTypes() []string {
	t := append([]string{TypeDev, TypeOIDC}, presetTypes()...)
	sort.Strings(t)
	return t
}

// validateOIDC checks the fields of the generic oidc type, and of a preset
// after it filled in its defaults (preset: an empty issuer was already
// reported under the preset's own fields).
func (c Config) validateOIDC(v *validator, preset bool) {
	if c.Issuer == "" {
		if !preset {
			v.add("issuer", "required")
		}
	} else if msg := checkIdPURL(c.Issuer); msg != "" {
		v.add("issuer", "%s", msg)
	}
	if c.DiscoveryURL != "" {
		if msg := checkIdPURL(c.DiscoveryURL); msg != "" {
			v.add("discovery_url", "%s", msg)
		}
	}
	if c.ClientID == "" {
		v.add("client_id", "required")
	}
	switch {
	case c.ClientSecret == "":
		v.add("client_secret", "required (is its environment variable set?)")
	case strings.Contains(c.ClientSecret, "${"):
		v.add("client_secret", "contains an unexpanded ${...} reference")
	}
	for i, s := range c.Scopes {
		if s == "" || strings.ContainsFunc(s, isSpace) {
			v.add(fmt.Sprintf("scopes[%d]", i), "must be one non-empty scope without spaces")
		}
	}
	for _, k := range sortedKeys(c.ExtraAuthParams) {
		switch {
		case k == "":
			v.add("extra_auth_params", "empty parameter name")
		case slices.Contains(reservedAuthParams, strings.ToLower(k)):
			v.add("extra_auth_params."+k, "reserved: the login flow sets this parameter itself")
		}
	}
	m := c.ClaimMapping
	for field, val := range map[string]string{"user_id": m.UserID, "email": m.Email, "name": m.Name, "groups": m.Groups} {
		if strings.ContainsFunc(val, isSpace) {
			v.add("claim_mapping."+field, "claim name contains spaces")
		}
	}
	switch c.AuthStyle {
	case AuthStyleAuto, AuthStyleBasic, AuthStylePost:
	default:
		v.add("auth_style", "unknown style %q (basic, post, or empty for auto-detect)", c.AuthStyle)
	}
	c.refuseExtra(v)
}

// validateDev checks a dev entry: it has no upstream, so upstream fields are
// a sign of a mistaken type.
func (c Config) validateDev(v *validator) {
	for field, val := range map[string]string{
		"issuer": c.Issuer, "discovery_url": c.DiscoveryURL, "client_id": c.ClientID,
		"client_secret": c.ClientSecret, "auth_style": c.AuthStyle, "root_ca": c.RootCA,
	} {
		if val != "" {
			v.add(field, "not used by type dev (did you mean type oidc?)")
		}
	}
	if len(c.Scopes) > 0 || len(c.ExtraAuthParams) > 0 || c.GetUserInfo || c.ClaimMapping != (ClaimMapping{}) {
		v.add("type", "dev takes no scopes, extra_auth_params, claim_mapping or get_user_info")
	}
	c.refuseExtra(v)
}

func (c Config) refuseExtra(v *validator) {
	for _, k := range sortedKeys(c.Extra) {
		v.add(k, "unknown field for type %s", c.Type)
	}
}

// DecodeExtra decodes the entry's extra keys ([Config.Extra]) into v, a
// preset's struct of its own fields with yaml tags; an unknown key is an
// error naming it.
func (c Config) DecodeExtra(v any) error {
	if len(c.Extra) == 0 {
		return nil
	}
	b, err := yaml.Marshal(c.Extra)
	if err != nil {
		return &ConfigError{IdP: c.ID, Field: "(type-specific fields)", Msg: err.Error()}
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(v); err != nil {
		return &ConfigError{IdP: c.ID, Field: "(type-specific fields)", Msg: err.Error()}
	}
	return nil
}

// DisplayName is the chooser's button text: Name, else the id.
func (c Config) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// scopes returns the scopes to request: the configured ones (default
// DefaultScopes), with openid first.
func (c Config) scopes() []string {
	s := c.Scopes
	if len(s) == 0 {
		return DefaultScopes()
	}
	if !slices.Contains(s, "openid") {
		return append([]string{"openid"}, s...)
	}
	return slices.Clone(s)
}

// String describes the entry without its client secret, so that a config
// printed with %v or %+v does not leak it.
func (c Config) String() string {
	return fmt.Sprintf("idp{id=%q type=%q issuer=%q client_id=%q client_secret=%s}",
		c.ID, c.Type, c.Issuer, c.ClientID, redacted(c.ClientSecret))
}

// LogValue implements slog.LogValuer, without the client secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", c.ID), slog.String("type", c.Type),
		slog.String("issuer", c.Issuer), slog.String("client_id", c.ClientID),
		slog.String("client_secret", redacted(c.ClientSecret)))
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// checkIdPURL returns what is wrong with an issuer or discovery URL, or "".
func checkIdPURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "not a URL: " + err.Error()
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return fmt.Sprintf("%q is not an absolute http(s) URL", raw)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return fmt.Sprintf("%q: plain http is only allowed to a loopback host; use https", raw)
	case u.User != nil:
		return "must not contain user information"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not contain a fragment"
	case u.RawQuery != "":
		return "must not contain a query"
	}
	return ""
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validator collects ConfigErrors for one entry.
type validator struct {
	id   string
	errs []error
}

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &ConfigError{IdP: v.id, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	// Stable order: map iteration above is random.
	sort.SliceStable(v.errs, func(i, j int) bool {
		return v.errs[i].(*ConfigError).Field < v.errs[j].(*ConfigError).Field
	})
	return errors.Join(v.errs...)
}

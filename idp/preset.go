package idp

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Preset kinds ([Config.Type]): the generic oidc provider with an IdP's
// defaults filled in from a few fields of its own, and its quirks handled.
const (
	TypeEntra    = "entra"
	TypeAuth0    = "auth0"
	TypeOkta     = "okta"
	TypeGoogle   = "google"
	TypeKeycloak = "keycloak"
	TypeCognito  = "cognito"
	TypePingOne  = "pingone"
)

// preset is one preset kind. resolve decodes the entry's type-specific keys
// ([Config.Extra]), reports what is wrong with them on v (naming the key),
// and returns the generic oidc entry they amount to (Extra cleared, Issuer
// derived, defaults filled) and the quirks to pass to the oidc provider.
// It is pure: Validate and Open both call it.
type preset struct {
	resolve func(c Config, v *validator) (Config, oidcQuirks)
}

// presetFor returns the preset of a type name.
func presetFor(typ string) (preset, bool) {
	switch typ {
	case TypeEntra:
		return preset{resolveEntra}, true
	case TypeAuth0:
		return preset{resolveAuth0}, true
	case TypeOkta:
		return preset{resolveOkta}, true
	case TypeGoogle:
		return preset{resolveGoogle}, true
	case TypeKeycloak:
		return preset{resolveKeycloak}, true
	case TypeCognito:
		return preset{resolveCognito}, true
	case TypePingOne:
		return preset{resolvePingOne}, true
	}
	return preset{}, false
}

// presetTypes lists the preset kinds, sorted.
func presetTypes() []string {
	return []string{TypeAuth0, TypeCognito, TypeEntra, TypeGoogle, TypeKeycloak, TypeOkta, TypePingOne}
}

// openPreset is the factory of every preset kind: validate, resolve, then
// open the generic oidc provider with the preset's quirks.
func openPreset(ctx context.Context, c Config, opts Options) (Provider, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	pr, ok := presetFor(c.Type)
	if !ok {
		return nil, &ConfigError{IdP: c.ID, Field: "type", Msg: fmt.Sprintf("%q is not a preset", c.Type)}
	}
	var v validator
	eff, q := pr.resolve(c, &v)
	if err := v.err(); err != nil { // Validate passed, so this cannot happen; be safe.
		return nil, err
	}
	return openOIDC(ctx, eff, opts, q)
}

// presetBase returns c as a generic entry to fill in: no type-specific keys,
// and maps cloned so a preset never writes into the caller's entry.
func presetBase(c Config) Config {
	c.Extra = nil
	c.ExtraAuthParams = maps.Clone(c.ExtraAuthParams)
	if c.ExtraAuthParams == nil {
		c.ExtraAuthParams = map[string]string{}
	}
	return c
}

// decodeFields decodes c.Extra into the preset's fields struct (pointer),
// key by key, so every error names its key; keys the struct has no yaml tag
// for are reported as unknown, with the list of the type's own keys.
func decodeFields(c Config, v *validator, fields any) {
	rv := reflect.ValueOf(fields).Elem()
	rt := rv.Type()
	byKey := map[string]reflect.Value{}
	var known []string
	for i := range rt.NumField() {
		key, _, _ := strings.Cut(rt.Field(i).Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		byKey[key] = rv.Field(i)
		known = append(known, key)
	}
	sort.Strings(known)
	for _, k := range sortedKeys(c.Extra) {
		fv, ok := byKey[k]
		if !ok {
			v.add(k, "unknown field for type %s (its own fields are: %s)", c.Type, strings.Join(known, ", "))
			continue
		}
		b, err := yaml.Marshal(c.Extra[k])
		if err == nil {
			err = yaml.Unmarshal(b, fv.Addr().Interface())
		}
		if err != nil {
			v.add(k, "wrong type: want %s", describeKind(fv.Type()))
		}
	}
}

func describeKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "a list of strings"
		}
		return "a list"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return t.String()
}

// hostOrURL turns an IdP "domain" setting into a base URL without a
// trailing slash: a bare host name ("acme.okta.com") means https; a URL
// ("https://login.acme.com", or http on loopback for tests) is taken as is.
// It returns "" and what is wrong otherwise.
func hostOrURL(s string) (string, string) {
	if strings.Contains(s, "://") {
		if msg := checkIdPURL(s); msg != "" {
			return "", msg
		}
		return strings.TrimSuffix(s, "/"), ""
	}
	if !hostPattern.MatchString(s) {
		return "", fmt.Sprintf("%q is not a host name (write e.g. acme.example.com, or an https:// URL)", s)
	}
	return "https://" + strings.ToLower(s), ""
}

var (
	hostPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$`)
)

// exclusiveIssuer reports an explicit issuer set together with the fields a
// preset derives it from.
func exclusiveIssuer(v *validator, fields string) {
	v.add("issuer", "set either issuer or %s, not both (the issuer is derived from %s)", fields, fields)
}

// setAuthParam adds a parameter a preset sends at login, refusing a
// different value for it in extra_auth_params.
func setAuthParam(eff *Config, v *validator, key, val, from string) {
	if old, ok := eff.ExtraAuthParams[key]; ok && old != val {
		v.add("extra_auth_params."+key, "conflicts with %s (%q); set it in one place", from, val)
		return
	}
	eff.ExtraAuthParams[key] = val
}

// joinPath appends path segments (escaped) to a base URL.
func joinPath(base string, segs ...string) string {
	for _, s := range segs {
		base += "/" + url.PathEscape(s)
	}
	return base
}

package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/zscalermcp/zscaler-mcp/idp"
)

// oauthConfig is the `oauth:` section of the config file: the lifetimes of
// what our authorization server issues (zero means the server's default).
type oauthConfig struct {
	AccessTokenTTL   time.Duration
	RefreshTokenTTL  time.Duration
	GrantMaxLifetime time.Duration
}

// oauthFile is the YAML shape of the `oauth:` section.
type oauthFile struct {
	AccessTokenTTL   string `yaml:"access_token_ttl"`
	RefreshTokenTTL  string `yaml:"refresh_token_ttl"`
	GrantMaxLifetime string `yaml:"grant_max_lifetime"`
}

// wellKnownOIDC is stripped from OIDCPROXY_CONFIG_URL to get the issuer.
const wellKnownOIDC = "/.well-known/openid-configuration"

// decodeSection re-marshals the subtree at key of the config file and
// decodes it strictly (unknown keys are errors) into out. It reports whether
// the section is present.
func decodeSection(v values, key string, out any) (bool, error) {
	sub := lookupYAML(v.file, key)
	if sub == nil {
		return false, nil
	}
	raw, err := yaml.Marshal(sub)
	if err != nil {
		return true, fmt.Errorf("%s: %s: %w", v.path, key, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		return true, fmt.Errorf("%s: %s: %w", v.path, key, err)
	}
	return true, nil
}

// resolveOAuth reads the `oauth:` section into c.OAuth.
func (c *config) resolveOAuth(v values) error {
	var f oauthFile
	if _, err := decodeSection(v, "oauth", &f); err != nil {
		return err
	}
	for _, d := range []struct {
		key string
		raw string
		dst *time.Duration
	}{
		{"access_token_ttl", f.AccessTokenTTL, &c.OAuth.AccessTokenTTL},
		{"refresh_token_ttl", f.RefreshTokenTTL, &c.OAuth.RefreshTokenTTL},
		{"grant_max_lifetime", f.GrantMaxLifetime, &c.OAuth.GrantMaxLifetime},
	} {
		if strings.TrimSpace(d.raw) == "" {
			continue
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d.raw))
		if err != nil || dur <= 0 {
			return fmt.Errorf("%s: oauth.%s: %q is not a positive duration (e.g. 1h, 720h)", v.path, d.key, d.raw)
		}
		*d.dst = dur
	}
	return nil
}

// resolveIdPs builds the upstream IdP list of the oidcproxy mode: the
// `idps:` section of the config file or, without one, the single `oidc`
// entry of the OIDCPROXY_* shortcut. Every entry is validated; errors name
// the file (or the variables), the IdP id and the field.
func (c *config) resolveIdPs(v values) error {
	var list []idp.Config
	present, err := decodeSection(v, "idps", &list)
	if err != nil {
		return err
	}
	where := v.path + ": idps"
	if !present {
		if c.OIDC.ConfigURL == "" {
			return errors.New("oidcproxy mode needs upstream IdPs: a --config file with idps:, or OIDCPROXY_CONFIG_URL with OIDCPROXY_CLIENT_ID and OIDCPROXY_CLIENT_SECRET")
		}
		where = "OIDCPROXY_CONFIG_URL shortcut"
		list = []idp.Config{{
			ID:           "oidc",
			Type:         "oidc",
			Issuer:       strings.TrimSuffix(c.OIDC.ConfigURL, wellKnownOIDC),
			DiscoveryURL: c.OIDC.ConfigURL,
			ClientID:     c.OIDC.ClientID,
			ClientSecret: strings.TrimSpace(v.get("OIDCPROXY_CLIENT_SECRET")),
			Scopes:       strings.Fields(strings.ReplaceAll(v.get("OIDCPROXY_REQUIRED_SCOPES"), ",", " ")),
		}}
	}
	if len(list) == 0 {
		return fmt.Errorf("%s: the list is empty: configure at least one IdP", where)
	}
	var errs []error
	seen := map[string]int{}
	for i, e := range list {
		if j, dup := seen[e.ID]; dup {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", where, i, &idp.ConfigError{IdP: e.ID, Field: "id", Msg: fmt.Sprintf("duplicate id (also entry %d of idps)", j)}))
		} else if e.ID != "" {
			seen[e.ID] = i
		}
		if err := e.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", where, i, err))
			continue
		}
		if strings.EqualFold(e.Type, "dev") && !c.LoopbackBind {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", where, i, &idp.ConfigError{IdP: e.ID, Field: "type",
				Msg: fmt.Sprintf("the dev IdP is only available on a loopback bind (it lets anyone sign in as anyone); the bind address is %s", c.Host)}))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.IdPs = list
	return nil
}

// idpIDs lists the configured IdP ids, in config order.
func (c *config) idpIDs() []string {
	ids := make([]string, len(c.IdPs))
	for i, e := range c.IdPs {
		ids[i] = e.ID
	}
	return ids
}

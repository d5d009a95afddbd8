package zscaler

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
)

// productToService maps the prd values of a OneAPI token's service-info
// claim to our service codes (tool name prefixes). ZIdentity appears under
// several names across consoles.
var productToService = map[string]string{
	"ZIA": "zia", "ZPA": "zpa", "ZDX": "zdx", "ZCC": "zcc", "ZTW": "ztw",
	"ZIDENTITY": "zidentity", "ZID": "zidentity", "IDENTITY": "zidentity",
	"ZEASM": "zeasm", "EASM": "zeasm", "ZINS": "zins", "INSIGHTS": "zins", "ZMS": "zms",
}

// Entitlements are the services a OneAPI credential may use, read from its
// token's service-info claim: an array of {"prd": "ZIA", "rnm": role name,
// "tnt": tenant} objects.
type Entitlements struct {
	// Services are our service codes (zia, zpa, ...), sorted, unique.
	Services []string
	// Unknown are prd values we have no service for (logged, never used to
	// hide tools), sorted, unique.
	Unknown []string
	// Present is false when the claims carry no usable service-info claim:
	// the filter must then not hide anything.
	Present bool
}

// Allows reports whether the credential may use service.
func (e Entitlements) Allows(service string) bool {
	i := sort.SearchStrings(e.Services, service)
	return i < len(e.Services) && e.Services[i] == service
}

// ParseEntitlements reads the service-info claim (also spelled serviceInfo)
// of decoded token claims.
func ParseEntitlements(claims map[string]any) Entitlements {
	raw, ok := claims["service-info"].([]any)
	if !ok {
		raw, ok = claims["serviceInfo"].([]any)
	}
	var e Entitlements
	if !ok {
		return e
	}
	svc, unk := map[string]bool{}, map[string]bool{}
	for _, item := range raw {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		prd, ok := m["prd"].(string)
		if !ok || strings.TrimSpace(prd) == "" {
			continue
		}
		e.Present = true
		if s, ok := productToService[strings.ToUpper(strings.TrimSpace(prd))]; ok {
			svc[s] = true
		} else {
			unk[prd] = true
		}
	}
	e.Services, e.Unknown = sortedSet(svc), sortedSet(unk)
	return e
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Entitlements reads the service-info claim of the server's own current
// OneAPI token. It reuses the cached token (a token request is made only
// when none is cached or it is due for refresh). A token that is not a JWT
// yields Entitlements{Present: false}: the filter must then hide nothing.
func (c *Client) Entitlements(ctx context.Context) (Entitlements, error) {
	tok, err := c.tokens.token(ctx)
	if err != nil {
		return Entitlements{}, err
	}
	return ParseEntitlements(jwtClaims(tok.AccessToken)), nil
}

// jwtClaims returns the payload of a JWT-shaped access token as a map, or
// nil when the token is not a JWT with a JSON object payload.
//
// The signature is deliberately NOT verified: the token is not a credential
// presented to us, it is the answer the Zscaler token endpoint gave on a
// connection we opened ourselves to the configured token URL (HTTPS in
// production), so it is exactly as trustworthy as that endpoint, and we
// hold no key to verify it with. The claims are only used to decide which
// tools to show; the OneAPI itself enforces the entitlements on every call.
func jwtClaims(token string) map[string]any {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[1] == "" {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil
	}
	return claims
}

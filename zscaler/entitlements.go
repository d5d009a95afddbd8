package zscaler

import (
	"context"
	"sort"
	"strings"

	"github.com/zscalermcp/zscaler-mcp/resource/auth/zscalerauth"
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
	// The signature is deliberately not verified: the token is the answer
	// of the token endpoint we called ourselves, and its claims only decide
	// which tools to show (the OneAPI enforces entitlements on every call).
	return ParseEntitlements(zscalerauth.UnverifiedClaims(tok.AccessToken)), nil
}

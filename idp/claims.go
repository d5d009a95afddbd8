package idp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// decodeClaims decodes a JSON claims object keeping numbers exact (a
// numeric subject beyond 2^53 must not be rounded).
func decodeClaims(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// lookupClaim finds a claim by name: first as a top-level key (so
// namespaced claims with dots work), then, for a dotted name, as a path
// into nested objects ("realm_access.roles").
func lookupClaim(claims map[string]any, name string) (any, bool) {
	if v, ok := claims[name]; ok {
		return v, true
	}
	if !strings.Contains(name, ".") {
		return nil, false
	}
	var cur any = claims
	for part := range strings.SplitSeq(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// claimString returns a string claim; numbers are accepted too (some IdPs
// send numeric user ids).
func claimString(claims map[string]any, name string) (string, bool) {
	v, ok := lookupClaim(claims, name)
	if !ok {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// claimBool reads a boolean claim, also accepting "true"/"false" strings
// (Cognito sends email_verified as a string). nil means absent or unreadable.
func claimBool(claims map[string]any, name string) *bool {
	v, ok := lookupClaim(claims, name)
	if !ok {
		return nil
	}
	var b bool
	switch v := v.(type) {
	case bool:
		b = v
	case string:
		switch strings.ToLower(v) {
		case "true":
			b = true
		case "false":
			b = false
		default:
			return nil
		}
	default:
		return nil
	}
	return &b
}

// claimStrings reads a string or list-of-strings claim; other list
// elements are skipped.
func claimStrings(claims map[string]any, name string) []string {
	v, ok := lookupClaim(claims, name)
	if !ok {
		return nil
	}
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil
		}
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return nil
}

// mapIdentity builds the Identity from verified claims.
func mapIdentity(providerID string, claims map[string]any, m ClaimMapping) (Identity, error) {
	subClaim := cmp(m.UserID, defaultUserIDClaim)
	sub, ok := claimString(claims, subClaim)
	if !ok || sub == "" {
		return Identity{}, fmt.Errorf("no %q claim (the user id; see claim_mapping.user_id)", subClaim)
	}
	emailClaim := cmp(m.Email, defaultEmailClaim)
	email, _ := claimString(claims, emailClaim)
	var verified *bool
	if email != "" {
		verified = claimBool(claims, "email_verified")
	}
	name, _ := claimString(claims, cmp(m.Name, defaultNameClaim))
	if name == "" && m.Name == "" {
		name, _ = claimString(claims, "preferred_username")
	}
	return Identity{
		ProviderID:    providerID,
		Subject:       sub,
		Email:         email,
		EmailVerified: verified,
		Name:          name,
		Groups:        claimStrings(claims, cmp(m.Groups, defaultGroupsClaim)),
		Claims:        claims,
	}, nil
}

// cmp returns v, or def when v is empty.
func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

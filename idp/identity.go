package idp

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Identity is a user as an upstream identity provider vouched for them, after
// claim mapping.
type Identity struct {
	// ProviderID is the id of the IdP entry ([Config.ID]) that signed the user in.
	ProviderID string `json:"provider_id"`
	// Subject is the user's stable id at that IdP (by default the ID token's
	// `sub`; see [ClaimMapping.UserID]).
	Subject string `json:"subject"`
	// Email is the user's email address, if the IdP sent one.
	Email string `json:"email,omitempty"`
	// EmailVerified says whether the IdP vouched for Email; nil means the IdP
	// did not say.
	EmailVerified *bool `json:"email_verified,omitempty"`
	// Name is a display name for the user.
	Name string `json:"name,omitempty"`
	// Groups are the user's groups or roles, as the IdP named them.
	Groups []string `json:"groups,omitempty"`
	// Claims are all the claims the IdP sent (the verified ID token's, merged
	// with the userinfo response's when that is fetched), for presets and
	// policies that need more than the fields above.
	Claims map[string]any `json:"claims,omitempty"`
}

// userIDSeparator separates the provider id from the subject in [Identity.UserID].
const userIDSeparator = "|"

// UserID returns the user's id across every configured IdP:
// "<provider id>|<subject>", with "%" and "|" in either part percent-encoded,
// so that two IdPs can never produce the same id (a subject "a|b" at IdP
// "x" is "x|a%7Cb", never "x|a" + "|b"). [ParseUserID] reverses it.
func (i Identity) UserID() string {
	return escapeUserIDPart(i.ProviderID) + userIDSeparator + escapeUserIDPart(i.Subject)
}

var userIDEscaper = strings.NewReplacer("%", "%25", "|", "%7C")

func escapeUserIDPart(s string) string { return userIDEscaper.Replace(s) }

// ParseUserID splits a user id made by [Identity.UserID] into the provider id
// and the subject.
func ParseUserID(userID string) (providerID, subject string, err error) {
	p, s, ok := strings.Cut(userID, userIDSeparator)
	if !ok || p == "" || s == "" {
		return "", "", fmt.Errorf("idp: malformed user id %q: want <provider>|<subject>", userID)
	}
	if strings.Contains(s, userIDSeparator) {
		return "", "", fmt.Errorf("idp: malformed user id %q: more than one separator", userID)
	}
	if providerID, err = url.PathUnescape(p); err != nil {
		return "", "", fmt.Errorf("idp: malformed user id %q: %w", userID, err)
	}
	if subject, err = url.PathUnescape(s); err != nil {
		return "", "", fmt.Errorf("idp: malformed user id %q: %w", userID, err)
	}
	if escapeUserIDPart(providerID) != p || escapeUserIDPart(subject) != s {
		// Only the canonical spelling is accepted, so one user has one id.
		return "", "", errors.New("idp: malformed user id: not in canonical form")
	}
	return providerID, subject, nil
}

package idp

import (
	"fmt"
	"slices"
	"strings"
)

// Policy is an IdP's access policy: who, among the users the IdP vouches
// for, may sign in here. Every configured rule must pass; an empty policy
// admits everyone the IdP admits (with a verified email, if any).
type Policy struct {
	// AllowedEmailDomains admits only users whose email is in one of these
	// domains (exact match, case-insensitive; "example.com" does not admit
	// "sub.example.com").
	AllowedEmailDomains []string `yaml:"allowed_email_domains"`
	// AllowedGroups admits only users in at least one of these groups
	// (exact, case-sensitive).
	AllowedGroups []string `yaml:"allowed_groups"`
	// AllowedSubjects admits only these subjects ([Identity.Subject], the
	// IdP's user id).
	AllowedSubjects []string `yaml:"allowed_subjects"`
	// RequireVerifiedEmail (default true) refuses a user whose email the IdP
	// did not vouch for: email_verified false, or absent. A user without any
	// email passes this rule (but not AllowedEmailDomains). Set it to false
	// for an IdP that never sends email_verified and whose emails you trust.
	RequireVerifiedEmail *bool `yaml:"require_verified_email"`
}

// PolicyError says which rule refused a user.
type PolicyError struct {
	ProviderID string
	// Rule is the config key of the rule, e.g. "allowed_email_domains".
	Rule string
	// Reason is a sentence for the error page (it may contain the user's
	// email or groups: escape it when shown).
	Reason string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("idp %q: refused by %s: %s", e.ProviderID, e.Rule, e.Reason)
}

// requireVerifiedEmail reports the effective RequireVerifiedEmail.
func (p Policy) requireVerifiedEmail() bool {
	return p.RequireVerifiedEmail == nil || *p.RequireVerifiedEmail
}

// Allows returns nil if the policy admits the user, else a [*PolicyError]
// naming the first rule that refused them.
func (p Policy) Allows(id Identity) error {
	refuse := func(rule, format string, args ...any) error {
		return &PolicyError{ProviderID: id.ProviderID, Rule: rule, Reason: fmt.Sprintf(format, args...)}
	}
	if p.requireVerifiedEmail() && id.Email != "" {
		switch {
		case id.EmailVerified == nil:
			return refuse("require_verified_email", "the identity provider did not say whether the email address %s is verified", id.Email)
		case !*id.EmailVerified:
			return refuse("require_verified_email", "the email address %s is not verified at the identity provider", id.Email)
		}
	}
	if len(p.AllowedEmailDomains) > 0 {
		at := strings.LastIndexByte(id.Email, '@')
		if id.Email == "" || at < 0 {
			return refuse("allowed_email_domains", "the identity provider sent no email address, and only some email domains are allowed")
		}
		domain := id.Email[at+1:]
		if !slices.ContainsFunc(p.AllowedEmailDomains, func(d string) bool { return strings.EqualFold(d, domain) }) {
			return refuse("allowed_email_domains", "email addresses at %s are not allowed", domain)
		}
	}
	if len(p.AllowedGroups) > 0 && !slices.ContainsFunc(id.Groups, func(g string) bool { return slices.Contains(p.AllowedGroups, g) }) {
		return refuse("allowed_groups", "you are in none of the allowed groups")
	}
	if len(p.AllowedSubjects) > 0 && !slices.Contains(p.AllowedSubjects, id.Subject) {
		return refuse("allowed_subjects", "your account is not on the list of allowed users")
	}
	return nil
}

func (p Policy) validate(v *validator) {
	for i, d := range p.AllowedEmailDomains {
		if d == "" || strings.ContainsAny(d, "@ \t/") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
			v.add(fmt.Sprintf("allowed_email_domains[%d]", i), "%q is not a domain (write example.com, without @)", d)
		}
	}
	for i, g := range p.AllowedGroups {
		if g == "" {
			v.add(fmt.Sprintf("allowed_groups[%d]", i), "empty group name")
		}
	}
	for i, s := range p.AllowedSubjects {
		if s == "" {
			v.add(fmt.Sprintf("allowed_subjects[%d]", i), "empty subject")
		}
	}
}

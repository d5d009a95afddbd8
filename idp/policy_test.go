package idp

import (
	"errors"
	"testing"
)

func TestPolicyAllows(t *testing.T) {
	yes, no := true, false
	alice := Identity{ProviderID: "corp", Subject: "u-alice", Email: "alice@Example.com", EmailVerified: &yes, Groups: []string{"ops", "dev"}}
	with := func(f func(*Identity)) Identity { id := alice; f(&id); return id }

	tests := []struct {
		name     string
		policy   Policy
		id       Identity
		wantRule string // "" = admitted
	}{
		{"empty policy admits", Policy{}, alice, ""},
		{"empty policy admits a user without email", Policy{}, with(func(i *Identity) { i.Email, i.EmailVerified = "", nil }), ""},
		{"unverified email refused by default", Policy{}, with(func(i *Identity) { i.EmailVerified = &no }), "require_verified_email"},
		{"unknown verification refused by default", Policy{}, with(func(i *Identity) { i.EmailVerified = nil }), "require_verified_email"},
		{"unverified email admitted when not required", Policy{RequireVerifiedEmail: &no}, with(func(i *Identity) { i.EmailVerified = &no }), ""},
		{"domain admitted, case-insensitive", Policy{AllowedEmailDomains: []string{"example.COM"}}, alice, ""},
		{"other domain refused", Policy{AllowedEmailDomains: []string{"contoso.com"}}, alice, "allowed_email_domains"},
		{"subdomain is not the domain", Policy{AllowedEmailDomains: []string{"example.com"}}, with(func(i *Identity) { i.Email = "a@evil.example.com" }), "allowed_email_domains"},
		{"suffix trick refused", Policy{AllowedEmailDomains: []string{"example.com"}}, with(func(i *Identity) { i.Email = "a@notexample.com" }), "allowed_email_domains"},
		{"no email with a domain rule", Policy{AllowedEmailDomains: []string{"example.com"}}, with(func(i *Identity) { i.Email, i.EmailVerified = "", nil }), "allowed_email_domains"},
		{"unverified email cannot pass a domain rule", Policy{AllowedEmailDomains: []string{"example.com"}}, with(func(i *Identity) { i.EmailVerified = &no }), "require_verified_email"},
		{"group admitted", Policy{AllowedGroups: []string{"admins", "dev"}}, alice, ""},
		{"no allowed group", Policy{AllowedGroups: []string{"admins"}}, alice, "allowed_groups"},
		{"groups are case-sensitive", Policy{AllowedGroups: []string{"OPS"}}, alice, "allowed_groups"},
		{"no groups at all", Policy{AllowedGroups: []string{"ops"}}, with(func(i *Identity) { i.Groups = nil }), "allowed_groups"},
		{"subject admitted", Policy{AllowedSubjects: []string{"u-bob", "u-alice"}}, alice, ""},
		{"subject refused", Policy{AllowedSubjects: []string{"u-bob"}}, alice, "allowed_subjects"},
		{"all rules must pass", Policy{AllowedEmailDomains: []string{"example.com"}, AllowedGroups: []string{"ops"}, AllowedSubjects: []string{"u-bob"}}, alice, "allowed_subjects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Allows(tt.id)
			if tt.wantRule == "" {
				if err != nil {
					t.Fatalf("Allows = %v, want nil", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Allows = %v, want a *PolicyError", err)
			}
			if pe.Rule != tt.wantRule || pe.ProviderID != "corp" {
				t.Errorf("rule = %q (idp %q), want %q: %v", pe.Rule, pe.ProviderID, tt.wantRule, err)
			}
		})
	}
}

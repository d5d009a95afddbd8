package idp

import (
	"encoding/json"
	"testing"
)

func TestUserID(t *testing.T) {
	tests := []struct {
		provider, subject, want string
	}{
		{"corp", "00u1abc", "corp|00u1abc"},
		{"corp", "a|b", "corp|a%7Cb"},
		{"corp", "50%", "corp|50%25"},
		{"corp", "%7C", "corp|%257C"},
		{"x.y-z", "user@example.com", "x.y-z|user@example.com"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := Identity{ProviderID: tt.provider, Subject: tt.subject}.UserID()
		if got != tt.want {
			t.Errorf("UserID(%q, %q) = %q, want %q", tt.provider, tt.subject, got, tt.want)
		}
		if seen[got] {
			t.Errorf("UserID collision on %q", got)
		}
		seen[got] = true
		p, s, err := ParseUserID(got)
		if err != nil || p != tt.provider || s != tt.subject {
			t.Errorf("ParseUserID(%q) = %q, %q, %v", got, p, s, err)
		}
	}
	// Two IdPs cannot produce the same id, even with a separator in the subject.
	a := Identity{ProviderID: "a", Subject: "b|c"}.UserID()
	b := Identity{ProviderID: "a|b", Subject: "c"}.UserID()
	if a == b {
		t.Errorf("collision: %q", a)
	}
	for _, bad := range []string{"", "corp", "|x", "corp|", "corp|a|b", "corp|%41", "corp|%zz"} {
		if _, _, err := ParseUserID(bad); err == nil {
			t.Errorf("ParseUserID(%q) succeeded", bad)
		}
	}
}

func TestMapIdentity(t *testing.T) {
	raw := `{"sub":"s1","oid":12345678901234567890,"email":"a@x.com","email_verified":"true","name":"",
		"preferred_username":"al","groups":"one","realm_access":{"roles":["r1",2,"r2"]},
		"https://example.com/roles":["ns"]}`
	claims, err := decodeClaims([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		m       ClaimMapping
		want    Identity
		wantErr bool
	}{
		{name: "defaults", want: Identity{Subject: "s1", Email: "a@x.com", Name: "al", Groups: []string{"one"}}},
		{name: "numeric user id keeps every digit", m: ClaimMapping{UserID: "oid"}, want: Identity{Subject: "12345678901234567890", Email: "a@x.com", Name: "al", Groups: []string{"one"}}},
		{name: "nested groups path", m: ClaimMapping{Groups: "realm_access.roles"}, want: Identity{Subject: "s1", Email: "a@x.com", Name: "al", Groups: []string{"r1", "r2"}}},
		{name: "namespaced claim with dots", m: ClaimMapping{Groups: "https://example.com/roles"}, want: Identity{Subject: "s1", Email: "a@x.com", Name: "al", Groups: []string{"ns"}}},
		{name: "explicit name claim has no fallback", m: ClaimMapping{Name: "nickname"}, want: Identity{Subject: "s1", Email: "a@x.com", Groups: []string{"one"}}},
		{name: "missing user id claim", m: ClaimMapping{UserID: "missing"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapIdentity("corp", claims, tt.m)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.EmailVerified == nil || !*got.EmailVerified {
				t.Errorf("email_verified \"true\" (a string) not read as true")
			}
			got.EmailVerified, got.Claims = nil, nil
			tt.want.ProviderID = "corp"
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(tt.want)
			if string(g) != string(w) {
				t.Errorf("got %s\nwant %s", g, w)
			}
		})
	}
}

// FuzzUserID: UserID is injective and ParseUserID reverses it.
func FuzzUserID(f *testing.F) {
	f.Add("corp", "sub")
	f.Add("a", "b|c")
	f.Add("a|b", "c")
	f.Add("x", "%7C")
	f.Fuzz(func(t *testing.T, provider, subject string) {
		if provider == "" || subject == "" {
			return
		}
		uid := Identity{ProviderID: provider, Subject: subject}.UserID()
		p, s, err := ParseUserID(uid)
		if err != nil || p != provider || s != subject {
			t.Fatalf("ParseUserID(%q) = %q, %q, %v; want %q, %q", uid, p, s, err, provider, subject)
		}
	})
}

package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
)

// TestSessionUpstreamIsPrivate: the upstream identity kept for the refresh
// policy survives the store's serialization and Clone, and never reaches
// access-token claims or introspection.
func TestSessionUpstreamIsPrivate(t *testing.T) {
	verified := true
	s := &Session{Subject: "corp|u1", ClientID: "c1", GrantID: "g1", IdP: "corp",
		Upstream: &UpstreamIdentity{Email: "secret-mail@example.com", EmailVerified: &verified,
			Groups: []string{"private-group"}, Claims: map[string]any{"hd": "private-domain.example"}}}

	claims := s.GetJWTClaims().
		With(time.Now().Add(time.Hour), []string{"zscaler.read"}, []string{"https://mcp.example.com/mcp"}).
		WithDefaults(time.Now(), "https://as.example.com").ToMapClaims()
	intro := s.GetExtraClaims()
	for what, m := range map[string]map[string]any{"access-token claims": claims, "introspection": intro} {
		b, _ := json.Marshal(m)
		for _, leak := range []string{"secret-mail", "private-group", "private-domain", "email_verified", "upstream"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("%s carry %q: %s", what, leak, b)
			}
		}
	}

	// Persisted: the request codec round-trips it.
	req := &fosite.Request{ID: "g1", RequestedAt: time.Now().UTC(), Client: &Client{ID: "c1"}, Session: s}
	b, err := MarshalRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalRequest(b, req.Client, &Session{})
	if err != nil {
		t.Fatal(err)
	}
	u := got.Session.(*Session).Upstream
	if u == nil || u.Email != "secret-mail@example.com" || u.EmailVerified == nil || !*u.EmailVerified ||
		len(u.Groups) != 1 || u.Groups[0] != "private-group" || u.Claims["hd"] != "private-domain.example" {
		t.Errorf("upstream after a round trip = %+v", u)
	}

	// A session stored before the field existed decodes with no upstream.
	old, err := UnmarshalRequest([]byte(strings.Replace(string(b), `"upstream"`, `"ignored"`, 1)), req.Client, &Session{})
	if err != nil {
		t.Fatal(err)
	}
	if old.Session.(*Session).Upstream != nil {
		t.Error("a session without upstream decoded with one")
	}

	// Clone is deep.
	c := s.Clone().(*Session)
	*c.Upstream.EmailVerified = false
	c.Upstream.Groups[0] = "changed"
	c.Upstream.Claims["hd"] = "changed"
	if !*s.Upstream.EmailVerified || s.Upstream.Groups[0] != "private-group" || s.Upstream.Claims["hd"] != "private-domain.example" {
		t.Errorf("Clone shares the upstream identity: %+v", s.Upstream)
	}
}

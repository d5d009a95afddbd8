package resource

import (
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

func TestSessions(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := NewSessions(3, time.Hour)
	s.now = func() time.Time { return now }
	a := &auth.Identity{Mode: "api-key", Subject: "a"}
	b := &auth.Identity{Mode: "api-key", Subject: "b"}
	jwtA := &auth.Identity{Mode: "jwt", Subject: "a"}

	sid := s.Bind(a)
	if !s.Check(sid, a) || s.Check(sid, b) || s.Check(sid, jwtA) || s.Check(sid, nil) || s.Check("other", a) {
		t.Fatal("a session must be usable by its owner only (same subject under another mode is another owner)")
	}
	now = now.Add(59 * time.Minute)
	if !s.Check(sid, a) {
		t.Fatal("used within the idle time: still valid")
	}
	now = now.Add(61 * time.Minute)
	if s.Check(sid, a) {
		t.Fatal("idle for longer than the idle time: expired")
	}

	// Capacity: the least recently used binding goes first.
	s2 := NewSessions(2, time.Hour)
	s2.now = func() time.Time { return now }
	x := s2.Bind(a)
	now = now.Add(time.Second)
	y := s2.Bind(a)
	now = now.Add(time.Second)
	s2.Check(x, a) // x is now more recent than y
	now = now.Add(time.Second)
	z := s2.Bind(a)
	if s2.Len() != 2 || !s2.Check(x, a) || s2.Check(y, a) || !s2.Check(z, a) {
		t.Fatalf("eviction kept the wrong bindings (len %d)", s2.Len())
	}
	s2.Forget(x)
	if s2.Check(x, a) {
		t.Fatal("forgotten session still valid")
	}
}

func TestOwnedBy(t *testing.T) {
	ids := []*auth.Identity{
		{Mode: "jwt", Issuer: "https://idp", Subject: "alice"},
		{Mode: "jwt", Issuer: "https://idp", Subject: "alic"},
		{Mode: "jwt", Issuer: "https://idpa", Subject: "lice"},
		{Mode: "jwt", Issuer: "", Subject: "https://idp\x00alice"},
		{Mode: "jw", Issuer: "t\x00https://idp", Subject: "alice"},
		{Mode: "", Issuer: "", Subject: ""},
	}
	for _, a := range ids {
		for _, b := range ids {
			if got, want := ownedBy(owner(a), b), owner(a) == owner(b); got != want {
				t.Errorf("ownedBy(owner(%+v), %+v) = %v, want %v", a, b, got, want)
			}
		}
	}
}

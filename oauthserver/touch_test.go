package oauthserver

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestClientLastUsed: the client's last-used time (GCClients' input) is
// set by its first token request and kept current to within the touch
// interval (an hour; a tenth of ClientTTL when that is shorter), without
// a write on every request.
func TestClientLastUsed(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ClientTTL = 5 * time.Hour }) // interval 30 min
	lastUsed := func() time.Time {
		t.Helper()
		c, err := e.st.LookupClient(context.Background(), e.conf.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Fatal("a new client has a last-used time")
	}
	code, verifier := e.authorize(e.conf)
	status, body := e.exchange(e.conf, code, verifier, nil)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, body)
	}
	first := lastUsed()
	if first.IsZero() || e.clock.Now().Sub(first) > time.Minute {
		t.Fatalf("last used %v after the first requests, want about now", first)
	}
	rt := str(body, "refresh_token")
	for _, step := range []struct {
		advance time.Duration
		moved   bool
	}{
		{10 * time.Minute, false}, // within 30 min of the stored time: no write
		{15 * time.Minute, false},
		{10 * time.Minute, true}, // 35 min after it: written
	} {
		before := lastUsed()
		e.clock.Advance(step.advance)
		status, body := e.refresh(e.conf, rt, nil)
		if status != http.StatusOK {
			t.Fatalf("refresh: %d %v", status, body)
		}
		rt = str(body, "refresh_token")
		after := lastUsed()
		if moved := !after.Equal(before); moved != step.moved {
			t.Errorf("after +%v: last used %v → %v, want moved=%v", step.advance, before, after, step.moved)
		}
		if step.moved && e.clock.Now().Sub(after) > time.Minute {
			t.Errorf("after +%v: last used %v, want about %v", step.advance, after, e.clock.Now())
		}
	}
}

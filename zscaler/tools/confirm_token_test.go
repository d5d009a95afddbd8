package tools

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func canon(t *testing.T, raw string) []byte {
	t.Helper()
	c, _, err := canonicalArgs([]byte(raw))
	if err != nil {
		t.Fatalf("canonicalArgs(%s): %v", raw, err)
	}
	return c
}

func TestCanonicalArgs(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{`{"b":1,"a":"x"}`, `{"a":"x","b":1}`},
		{`{"a":{"y":[1,2],"x":true}}`, `{ "a" : { "x":true, "y":[1,2] } }`},
		{`{"id":"7","confirmation_token":"zc1.abc"}`, `{"id":"7"}`},
		{``, `{}`},
		{`null`, `{}`},
	} {
		if a, b := canon(t, tc.a), canon(t, tc.b); string(a) != string(b) {
			t.Errorf("canonical(%s) = %s, canonical(%s) = %s: want equal", tc.a, a, tc.b, b)
		}
	}
	// Large integers keep every digit (no float64 rounding).
	if c := canon(t, `{"id":72057594037927937}`); string(c) != `{"id":72057594037927937}` {
		t.Errorf("big id canonicalised to %s", c)
	}
	for _, tc := range []struct{ a, b string }{
		{`{"id":1}`, `{"id":2}`},
		{`{"id":1}`, `{"id":"1"}`},
		{`{"id":1}`, `{"id":1,"force":true}`},
	} {
		if a, b := canon(t, tc.a), canon(t, tc.b); string(a) == string(b) {
			t.Errorf("canonical(%s) == canonical(%s): different arguments must differ", tc.a, tc.b)
		}
	}
	if _, _, err := canonicalArgs([]byte(`[1,2]`)); err == nil {
		t.Error("an array was accepted as arguments")
	}
}

func TestConfirmationTokens(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	tk, err := newTokens(time.Minute, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	args := canon(t, `{"id":42}`)
	issue := func() string {
		tok, exp, err := tk.issue("zia_delete_url_category", "alice", args)
		if err != nil {
			t.Fatal(err)
		}
		if want := clk.now().Add(time.Minute); !exp.Equal(want) {
			t.Fatalf("expiry %v, want %v", exp, want)
		}
		return tok
	}

	t.Run("single use", func(t *testing.T) {
		tok := issue()
		if err := tk.redeem(tok, "zia_delete_url_category", "alice", args); err != nil {
			t.Fatalf("first redeem: %v", err)
		}
		if err := tk.redeem(tok, "zia_delete_url_category", "alice", args); !errors.Is(err, errTokenUsed) {
			t.Fatalf("second redeem: %v, want %v", err, errTokenUsed)
		}
	})
	t.Run("two tokens for the same call are distinct", func(t *testing.T) {
		a, b := issue(), issue()
		if a == b {
			t.Fatal("identical tokens for two confirmations")
		}
		for _, tok := range []string{a, b} {
			if err := tk.redeem(tok, "zia_delete_url_category", "alice", args); err != nil {
				t.Fatalf("redeem: %v", err)
			}
		}
	})
	t.Run("binding", func(t *testing.T) {
		for _, tc := range []struct {
			name, tool, caller, args string
		}{
			{"other argument value", "zia_delete_url_category", "alice", `{"id":43}`},
			{"extra argument", "zia_delete_url_category", "alice", `{"id":42,"x":1}`},
			{"other tool", "zpa_delete_segment_group", "alice", `{"id":42}`},
			{"other caller", "zia_delete_url_category", "bob", `{"id":42}`},
			{"elicitation state namespace", "elicit:zia_delete_url_category", "alice", `{"id":42}`},
		} {
			tok := issue()
			if err := tk.redeem(tok, tc.tool, tc.caller, canon(t, tc.args)); !errors.Is(err, errTokenMismatch) {
				t.Errorf("%s: %v, want %v", tc.name, err, errTokenMismatch)
			}
			// A failed attempt does not spend the token.
			if err := tk.redeem(tok, "zia_delete_url_category", "alice", args); err != nil {
				t.Errorf("%s: the right call after a mismatch: %v", tc.name, err)
			}
		}
	})
	t.Run("expiry", func(t *testing.T) {
		tok := issue()
		clk.add(59 * time.Second)
		tok2 := issue()
		if err := tk.redeem(tok, "zia_delete_url_category", "alice", args); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		clk.add(time.Minute)
		if err := tk.redeem(tok2, "zia_delete_url_category", "alice", args); !errors.Is(err, errTokenExpired) {
			t.Fatalf("after expiry: %v, want %v", err, errTokenExpired)
		}
	})
	t.Run("tampering", func(t *testing.T) {
		tok := issue()
		body, mac, _ := strings.Cut(strings.TrimPrefix(tok, tokenPrefix), ".")
		flip := func(s string, i int) string {
			b := []byte(s)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return string(b)
		}
		for name, bad := range map[string]string{
			"mac bit":      tokenPrefix + body + "." + flip(mac, 3),
			"expiry moved": tokenPrefix + flip(body, len(body)-2) + "." + mac,
			"nonce":        tokenPrefix + flip(body, 0) + "." + mac,
		} {
			if err := tk.redeem(bad, "zia_delete_url_category", "alice", args); !errors.Is(err, errTokenMismatch) && !errors.Is(err, errTokenMalformed) {
				t.Errorf("%s: %v, want a refusal", name, err)
			}
		}
		for _, bad := range []string{"", "zc1.", "zc1.x.y", "nope", tokenPrefix + body, tokenPrefix + body + "." + mac + "x"} {
			if err := tk.redeem(bad, "zia_delete_url_category", "alice", args); !errors.Is(err, errTokenMalformed) {
				t.Errorf("%q: %v, want %v", bad, err, errTokenMalformed)
			}
		}
		// Another process (another key) cannot mint tokens for us.
		other, _ := newTokens(time.Minute, clk.now)
		forged, _, _ := other.issue("zia_delete_url_category", "alice", args)
		if err := tk.redeem(forged, "zia_delete_url_category", "alice", args); !errors.Is(err, errTokenMismatch) {
			t.Errorf("token of another key: %v", err)
		}
		if err := tk.redeem(tok, "zia_delete_url_category", "alice", args); err != nil {
			t.Errorf("the untampered token: %v", err)
		}
	})
}

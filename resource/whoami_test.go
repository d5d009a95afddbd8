package resource

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// TestWhoamiCache: whoami answers what it answered before the cache (the
// same JSON as mcp.NewToolResultJSON of the WhoamiResult), reuses a
// rendering only for an identity that still has the fields it came from,
// and an identity changed in place (or a new one at a reused address) gets
// a fresh rendering.
func TestWhoamiCache(t *testing.T) {
	h := WhoamiTool().Handler
	exp := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	id := &auth.Identity{Mode: auth.ModeOIDCProxy, Subject: "dev|alice", ClientID: "c1", Issuer: "http://127.0.0.1:1",
		Scopes: []string{auth.ScopeRead}, ExpiresAt: exp, Claims: map[string]any{"idp": "dev"}}
	check := func(name string) *mcp.CallToolResult {
		t.Helper()
		got, err := h(auth.WithIdentity(context.Background(), id), mcp.CallToolRequest{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := mcp.NewToolResultJSON(whoamiOf(id))
		if err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Fatalf("%s: whoami = %s, want %s", name, gb, wb)
		}
		return got
	}
	first := check("first call")
	again := check("same identity")
	if first.RawStructuredContent == nil || &first.RawStructuredContent[0] != &again.RawStructuredContent[0] {
		t.Error("the same identity was rendered twice")
	}
	for _, change := range []struct {
		name string
		f    func()
	}{
		{"subject", func() { id.Subject = "dev|bob" }},
		{"client", func() { id.ClientID = "c2" }},
		{"issuer", func() { id.Issuer = "http://127.0.0.1:2" }},
		{"mode", func() { id.Mode = auth.ModeJWT }},
		{"idp claim", func() { id.Claims = map[string]any{"idp": "other"} }},
		{"no idp claim", func() { id.Claims = nil }},
		{"expiry", func() { id.ExpiresAt = exp.Add(time.Hour) }},
		{"no expiry", func() { id.ExpiresAt = time.Time{} }},
		{"scopes", func() { id.Scopes = auth.DefaultScopes }},
		{"empty scopes", func() { id.Scopes = []string{} }},
		{"nil scopes", func() { id.Scopes = nil }},
	} {
		change.f()
		check("changed " + change.name)
	}
	if got, _ := h(context.Background(), mcp.CallToolRequest{}); !got.IsError {
		t.Error("whoami without an identity did not fail")
	}
}

package resource

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// TestCloseStreamsOf: revoking a grant ends the SSE stream it opened, and
// only that one.
func TestCloseStreamsOf(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	s, err := New(Config{Name: "t", Version: "1",
		Identity: Identity{PublicURL: ts.URL, LoopbackBind: true},
		Auth: auth.Options{Validators: []Validator{scopedValidator{
			"g1": {Mode: "oidcproxy", Subject: "dev|alice", ClientID: "c1", Scopes: auth.DefaultScopes, Claims: map[string]any{"grant_id": "grant-1"}},
			"g2": {Mode: "oidcproxy", Subject: "dev|bob", ClientID: "c2", Scopes: auth.DefaultScopes, Claims: map[string]any{"grant_id": "grant-2"}},
		}}},
		AllowedHosts: []string{"*"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s.Handler

	open := func(token string) <-chan struct{} {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", ts.URL+"/sse", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("open stream: %v %v", resp, err)
		}
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
			}
		}()
		return ended
	}
	a, b := open("g1"), open("g2")
	// Both streams are registered once the handler runs (3 keys each).
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		s.streams.mu.Lock()
		n := len(s.streams.byKey)
		s.streams.mu.Unlock()
		if n == 6 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.CloseStreamsOf(RevokeSubject, "nobody"); n != 0 {
		t.Fatalf("closed %d streams of nobody", n)
	}
	if n := s.CloseStreamsOf(RevokeGrant, "grant-1"); n != 1 {
		t.Fatalf("CloseStreamsOf(grant-1) = %d, want 1", n)
	}
	select {
	case <-a:
	case <-time.After(3 * time.Second):
		t.Fatal("the revoked grant's stream is still open")
	}
	select {
	case <-b:
		t.Fatal("another grant's stream was closed")
	case <-time.After(200 * time.Millisecond):
	}
	if n := s.CloseStreamsOf(RevokeClient, "c2"); n != 1 {
		t.Fatalf("CloseStreamsOf(client c2) = %d, want 1", n)
	}
	select {
	case <-b:
	case <-time.After(3 * time.Second):
		t.Fatal("the revoked client's stream is still open")
	}
}

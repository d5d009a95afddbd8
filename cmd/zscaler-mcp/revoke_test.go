package main

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestOIDCProxyRevocationClosesStreams: revoking a grant at /revoke (RFC
// 7009) makes its access token fail and ends the SSE stream it had opened.
func TestOIDCProxyRevocationClosesStreams(t *testing.T) {
	srv := start(t, nil, "--transport", "streamable-http", "--config", devIdPConfig(t))
	_, tok, clientID := oidcLogin(t, srv.URL, "alice")

	// The token's resource is /mcp; open a streamable-HTTP GET stream there.
	h := map[string]string{"Authorization": "Bearer " + tok.AccessToken}
	resp, body := do(t, "POST", srv.URL+"/mcp", h, initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || sid == "" {
		t.Fatalf("initialize: %d %s", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", sid)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("open stream: %v %v", stream, err)
	}
	ended := make(chan time.Time, 1)
	go func() {
		defer stream.Body.Close()
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
		}
		ended <- time.Now()
	}()
	time.Sleep(200 * time.Millisecond)

	// Revoke the grant with the refresh token (a public client).
	form := url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {clientID}}
	r, err := http.Post(srv.URL+"/revoke", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", r, err)
	}
	revokedAt := time.Now()
	select {
	case at := <-ended:
		if d := at.Sub(revokedAt); d > 3*time.Second {
			t.Errorf("stream closed %v after revocation", d)
		}
	case <-ctx.Done():
		t.Fatalf("the revoked grant's stream is still open\n%s", srv.Stderr)
	}
	if resp, _ := do(t, "POST", srv.URL+"/mcp", h, initBody); resp.StatusCode != 401 {
		t.Fatalf("revoked access token: %d, want 401", resp.StatusCode)
	}
}

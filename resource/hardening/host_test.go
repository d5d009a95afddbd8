package hardening

import (
	"net/http"
	"slices"
	"testing"
)

func TestHostAllowlist(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		host    string
		want    bool
	}{
		{"exact", []string{"mcp.example.com"}, "mcp.example.com", true},
		{"case and any port", []string{"mcp.example.com"}, "MCP.Example.COM:443", true},
		{"trailing dot", []string{"mcp.example.com"}, "mcp.example.com.", true},
		{"entry case", []string{"MCP.EXAMPLE.COM"}, "mcp.example.com", true},
		{"other host", []string{"mcp.example.com"}, "evil.example", false},
		{"suffix is not a match", []string{"example.com"}, "mcp.example.com", false},
		{"rebinding name", []string{"localhost", "127.0.0.1", "::1"}, "attacker.test:8000", false},
		{"host:port entry exact", []string{"localhost:8000"}, "localhost:8000", true},
		{"host:port entry other port", []string{"localhost:8000"}, "localhost:9000", false},
		{"host:port entry no port", []string{"localhost:8000"}, "localhost", false},
		{"bare v6 entry", []string{"::1"}, "[::1]:8000", true},
		{"v6 canonical form", []string{"::1"}, "[0:0::1]:8000", true},
		{"bracketed v6 entry", []string{"[::1]"}, "[::1]", true},
		{"v6 entry with port", []string{"[::1]:8000"}, "[::1]:8000", true},
		{"v6 entry with port mismatch", []string{"[::1]:8000"}, "[::1]:8001", false},
		{"mapped v4", []string{"127.0.0.1"}, "[::ffff:127.0.0.1]:80", true},
		{"star", []string{"*"}, "anything.test", true},
		{"star among others", []string{"a.test", "*"}, "b.test", true},
		{"empty list fails closed", nil, "localhost", false},
		{"empty host", []string{"localhost"}, "", false},
		{"blank entries ignored", []string{" ", ""}, "localhost", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newHostMatcher(tt.allowed).match(tt.host); got != tt.want {
				t.Errorf("match(%q) with %q = %v, want %v", tt.host, tt.allowed, got, tt.want)
			}
		})
	}
}

func TestHostAllowlistHTTP(t *testing.T) {
	next := newOK()
	srv := serve(t, HostAllowlist([]string{"localhost", "127.0.0.1"})(next))
	tests := []struct {
		host string
		want int
	}{
		{"", http.StatusOK}, // the client sends 127.0.0.1:port
		{"localhost:1234", http.StatusOK},
		{"evil.example", http.StatusMisdirectedRequest},
		{"evil.example:8000", http.StatusMisdirectedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, body := do(t, srv.Client(), req)
			if tt.want == http.StatusOK {
				if resp.StatusCode != http.StatusOK || !next.ran() {
					t.Fatalf("status = %d, ran = false; body %s", resp.StatusCode, body)
				}
				return
			}
			wantJSONError(t, resp, body, http.StatusMisdirectedRequest, "misdirected_request",
				`possible DNS rebinding: Host "`+tt.host+`" is not allowed`)
			if next.ran() {
				t.Error("next handler ran for a rejected Host")
			}
		})
	}
}

func TestDefaultAllowedHosts(t *testing.T) {
	tests := []struct {
		url      string
		loopback bool
		want     []string
	}{
		{"https://mcp.example.com", false, []string{"mcp.example.com"}},
		{"https://MCP.example.com:8443", true, []string{"mcp.example.com", "localhost", "127.0.0.1", "::1"}},
		{"http://localhost:8000", true, []string{"localhost", "127.0.0.1", "::1"}},
		{"http://[::1]:8000", true, []string{"::1", "localhost", "127.0.0.1"}},
		{"", true, []string{"localhost", "127.0.0.1", "::1"}},
		{"", false, nil},
		{"://bad", false, nil},
	}
	for _, tt := range tests {
		if got := DefaultAllowedHosts(tt.url, tt.loopback); !slices.Equal(got, tt.want) {
			t.Errorf("DefaultAllowedHosts(%q, %v) = %q, want %q", tt.url, tt.loopback, got, tt.want)
		}
	}
}

func TestSplitList(t *testing.T) {
	got := SplitList(" a.test, b.test ,,\nc.test d.test ")
	if want := []string{"a.test", "b.test", "c.test", "d.test"}; !slices.Equal(got, want) {
		t.Fatalf("SplitList = %q, want %q", got, want)
	}
	if SplitList("") != nil {
		t.Fatal("SplitList(\"\") != nil")
	}
}

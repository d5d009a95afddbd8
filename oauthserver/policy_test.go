package oauthserver

import (
	"testing"
)

func TestValidateRedirectURI(t *testing.T) {
	tests := []struct {
		uri string
		ok  bool
		why string
	}{
		{"https://client.example.com/cb", true, "https"},
		{"https://client.example.com/cb?x=1", true, "https with a query (OAuth 2.1 §2.3.1 allows it)"},
		{"http://localhost/cb", true, "http on localhost (RFC 8252 §7.3)"},
		{"http://localhost:8080/cb", true, "http on localhost with a port"},
		{"http://127.0.0.1:33418/oauth/callback", true, "http on 127.0.0.1"},
		{"http://[::1]:33418/cb", true, "http on [::1]"},
		{"cursor://anysphere.cursor-mcp/oauth/callback", true, "private-use scheme (Cursor)"},
		{"claude://claude.ai/mcp-auth-callback/sdk", true, "private-use scheme (Claude)"},
		{"com.example.app:/oauth2redirect", true, "reverse-domain private-use scheme (RFC 8252 §7.1)"},
		{"http://client.example.com/cb", false, "http off loopback (RFC 9700 §4.1)"},
		{"http://127.0.0.2/cb", false, "only the three loopback spellings"},
		{"http://localhost.evil.com/cb", false, "localhost as a prefix"},
		{"javascript:alert(1)", false, "javascript: (RFC 9700 §4.1)"},
		{"JavaScript://x/%0aalert(1)", false, "upper-case scheme"},
		{"javascript://x/%0aalert(1)", false, "javascript with an authority"},
		{"data:text/html,<script>alert(1)</script>", false, "data:"},
		{"file:///etc/passwd", false, "file:"},
		{"vbscript:msgbox(1)", false, "vbscript:"},
		{"blob:https://client.example.com/x", false, "blob:"},
		{"about:blank", false, "about:"},
		{"https://client.example.com/cb#frag", false, "fragment (RFC 6749 §3.1.2)"},
		{"https://client.example.com/cb#", false, "empty fragment"},
		{"https://user:pass@client.example.com/cb", false, "userinfo"},
		{"https://evil@client.example.com/cb", false, "userinfo without password"},
		{"/cb", false, "relative URI"},
		{"//client.example.com/cb", false, "scheme-relative URI"},
		{"client.example.com/cb", false, "no scheme"},
		{"https:///cb", false, "https without a host"},
		{"https://client.example.com/a/../cb", false, "dot segment"},
		{"https://client.example.com/a/%2e%2e/cb", false, "encoded dot segment"},
		{"https://client.example.com/ cb", false, "whitespace"},
		{"https://client.example.com\\@evil.com/cb", false, "backslash"},
		{"", false, "empty"},
		{"myapp:", false, "private-use scheme without a path"},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			err := ValidateRedirectURI(tt.uri)
			if (err == nil) != tt.ok {
				t.Errorf("ValidateRedirectURI(%q) = %v, want ok=%v", tt.uri, err, tt.ok)
			}
		})
	}
}

func TestMatchRedirectURI(t *testing.T) {
	tests := []struct {
		registered, requested string
		match                 bool
		why                   string
	}{
		{"https://client.example.com/cb", "https://client.example.com/cb", true, "exact"},
		{"https://client.example.com/cb", "https://client.example.com/CB", false, "path case (RFC 9700 §4.1.3: exact)"},
		{"https://client.example.com/cb", "https://Client.example.com/cb", false, "host case"},
		{"https://client.example.com/cb", "HTTPS://client.example.com/cb", false, "scheme case"},
		{"https://client.example.com/cb", "https://client.example.com/cb/", false, "trailing slash"},
		{"https://client.example.com/cb/", "https://client.example.com/cb", false, "missing trailing slash"},
		{"https://client.example.com/cb", "https://client.example.com:443/cb", false, "explicit default port"},
		{"https://client.example.com/cb", "https://client.example.com:8443/cb", false, "other port on https"},
		{"https://client.example.com/cb", "https://client.example.com/cb?x=1", false, "added query"},
		{"https://client.example.com/cb?a=1", "https://client.example.com/cb?a=2", false, "changed query"},
		{"https://client.example.com/cb?a=1", "https://client.example.com/cb?a=1", true, "registered query"},
		{"https://client.example.com/cb", "https://client.example.com/cb#x", false, "fragment"},
		{"https://client.example.com/cb", "https://client.example.com/cb/../cb", false, "dot segments"},
		{"https://client.example.com/cb", "https://client.example.com/x/../cb", false, "dot segments resolving to the path"},
		{"https://client.example.com/cb", "https://user@client.example.com/cb", false, "userinfo"},
		{"https://client.example.com/cb", "https://client.example.com.evil.net/cb", false, "suffix domain"},
		{"https://client.example.com/cb", "https://evilclient.example.com/cb", false, "prefix label"},
		{"https://client.example.com/cb", "https://client.example.com/cbx", false, "path prefix"},
		{"https://client.example.com/cb", "http://client.example.com/cb", false, "scheme downgrade"},
		{"http://localhost/cb", "http://localhost:53123/cb", true, "localhost, any port (RFC 8252 §7.3)"},
		{"http://localhost:8080/cb", "http://localhost:53123/cb", true, "localhost, other port"},
		{"http://localhost:8080/cb", "http://localhost/cb", true, "localhost, no port"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:53123/cb", true, "127.0.0.1, any port"},
		{"http://[::1]/cb", "http://[::1]:53123/cb", true, "[::1], any port"},
		{"http://localhost/cb", "http://127.0.0.1:53123/cb", false, "loopback host must stay the same"},
		{"http://localhost/cb", "http://localhost:53123/cb/", false, "loopback: trailing slash"},
		{"http://localhost/cb", "http://localhost:53123/CB", false, "loopback: path case"},
		{"http://localhost/cb", "http://localhost:53123/cb?x=1", false, "loopback: query"},
		{"http://localhost/cb", "http://localhost:53123/cb#x", false, "loopback: fragment"},
		{"http://localhost/cb", "http://localhost:53123/x/../cb", false, "loopback: dot segments"},
		{"http://localhost/cb", "http://u@localhost:53123/cb", false, "loopback: userinfo"},
		{"http://localhost/cb", "http://localhost.evil.net:53123/cb", false, "loopback: suffix domain"},
		{"http://localhost/cb", "http://LOCALHOST:53123/cb", false, "loopback: host case"},
		{"http://localhost/cb", "https://localhost:53123/cb", false, "loopback: scheme change"},
		{"http://localhost/cb", "http://localhost:/cb", false, "loopback: empty port"},
		{"http://localhost/cb", "http://localhost:99999/cb", false, "loopback: port out of range"},
		{"http://localhost/cb", "http://localhost:0/cb", false, "loopback: port 0"},
		{"http://localhost/cb", "http://localhost:65535/cb", true, "loopback: highest port"},
		{"http://localhost/cb", "http://localhost:123456/cb", false, "loopback: 6-digit port"},
		{"cursor://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-mcp/oauth/callback", true, "private-use exact"},
		{"cursor://anysphere.cursor-mcp/oauth/callback", "cursor://anysphere.cursor-mcp:1/oauth/callback", false, "private-use: no port rule"},
		{"javascript:alert(1)", "javascript:alert(1)", false, "a bad registered URI never matches"},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			if got := MatchRedirectURI(tt.registered, tt.requested); got != tt.match {
				t.Errorf("MatchRedirectURI(%q, %q) = %v, want %v", tt.registered, tt.requested, got, tt.match)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	for _, bad := range []string{"", "localhost:8000", "http://localhost:8000/", "http://localhost:8000/x",
		"ftp://localhost", "http://u@localhost", "http://localhost?x", "HTTP://localhost", "http://LocalHost:8000"} {
		if _, err := newIdentity(bad, false); err == nil {
			t.Errorf("newIdentity(%q) accepted", bad)
		}
	}
	if _, err := newIdentity("https://mcp.example.com", true); err == nil {
		t.Error("loopback bind with a non-loopback public URL accepted")
	}

	id, err := newIdentity("http://localhost:8000", true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, want string
	}{
		{"http://localhost:8000/mcp", "http://localhost:8000/mcp"},
		{"HTTP://LOCALHOST:8000/mcp", "http://localhost:8000/mcp"},
		{"http://127.0.0.1:8000/mcp", "http://127.0.0.1:8000/mcp"},
		{"http://[::1]:8000/sse", "http://[::1]:8000/sse"},
		{"http://localhost:8000/sse", "http://localhost:8000/sse"},
		{"http://localhost:8000/mcp/", ""},
		{"http://localhost:8000/MCP", ""},
		{"http://localhost:8000/mcp?x=1", ""},
		{"http://localhost:8000/mcp#x", ""},
		{"http://localhost:8000/x/../mcp", ""},
		{"http://localhost:8001/mcp", ""},
		{"http://localhost/mcp", ""},
		{"https://localhost:8000/mcp", ""},
		{"http://u@localhost:8000/mcp", ""},
		{"http://localhost:8000", ""},
		{"/mcp", ""},
		{"http://127.0.0.2:8000/mcp", ""},
	}
	for _, tt := range tests {
		got, err := id.canonicalResource(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("canonicalResource(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}

	public, err := newIdentity("https://mcp.example.com", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(public.resources) != 2 || public.defaultResource() != "https://mcp.example.com/mcp" {
		t.Errorf("resources = %v", public.resources)
	}
	if _, err := public.canonicalResource("https://127.0.0.1/mcp"); err == nil {
		t.Error("loopback alias accepted without a loopback bind")
	}
}

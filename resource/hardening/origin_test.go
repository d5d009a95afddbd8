package hardening

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOrigins(t *testing.T) {
	base := OriginConfig{Allowed: []string{"https://app.example.com", "http://localhost:8000"}}
	preflight := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, mcp-protocol-version"}
	tests := []struct {
		name     string
		cfg      OriginConfig
		method   string
		origins  []string
		headers  map[string]string
		want     int
		wantACAO string // "" means the header must be absent
		wantNext bool
		check    func(t *testing.T, h http.Header)
	}{
		{name: "no origin passes", cfg: base, method: "POST", want: 200, wantNext: true,
			check: func(t *testing.T, h http.Header) {
				if h.Get("Access-Control-Expose-Headers") != "" {
					t.Error("CORS headers on a non-browser request")
				}
			}},
		{name: "no origin preflight-shaped OPTIONS passes", cfg: base, method: "OPTIONS", headers: preflight, want: 200, wantNext: true},
		{name: "allowed", cfg: base, method: "POST", origins: []string{"https://app.example.com"}, want: 200,
			wantACAO: "https://app.example.com", wantNext: true,
			check: func(t *testing.T, h http.Header) {
				if got := h.Get("Access-Control-Expose-Headers"); got != "WWW-Authenticate, Mcp-Session-Id" {
					t.Errorf("Expose-Headers = %q", got)
				}
				if !slices.Contains(h.Values("Vary"), "Origin") {
					t.Errorf("Vary = %q, want Origin", h.Values("Vary"))
				}
				if h.Get("Access-Control-Allow-Credentials") != "" {
					t.Error("credentials allowed")
				}
			}},
		{name: "allowed case-insensitive, echoed as sent", cfg: base, method: "GET", origins: []string{"HTTPS://APP.Example.com"},
			want: 200, wantACAO: "HTTPS://APP.Example.com", wantNext: true},
		{name: "allowed with default port", cfg: base, method: "POST", origins: []string{"https://app.example.com:443"},
			want: 200, wantACAO: "https://app.example.com:443", wantNext: true},
		{name: "other port", cfg: base, method: "POST", origins: []string{"http://localhost:8001"}, want: 403},
		{name: "other scheme", cfg: base, method: "POST", origins: []string{"http://app.example.com"}, want: 403},
		{name: "not allowed", cfg: base, method: "POST", origins: []string{"https://evil.example"}, want: 403},
		{name: "origin with path is not an origin", cfg: base, method: "POST", origins: []string{"https://app.example.com/x"}, want: 403},
		{name: "empty origin", cfg: base, method: "POST", origins: []string{""}, want: 403},
		{name: "two origins", cfg: base, method: "POST", origins: []string{"https://app.example.com", "https://app.example.com"}, want: 403},
		{name: "null not allowed by default", cfg: base, method: "POST", origins: []string{"null"}, want: 403},
		{name: "null listed", cfg: OriginConfig{Allowed: []string{"null"}}, method: "POST", origins: []string{"null"},
			want: 200, wantACAO: "null", wantNext: true},
		{name: "star allows any", cfg: OriginConfig{Allowed: []string{"*"}}, method: "POST", origins: []string{"https://evil.example"},
			want: 200, wantACAO: "https://evil.example", wantNext: true},
		{name: "zero config allows no origin", method: "POST", origins: []string{"http://localhost:8000"}, want: 403},
		{name: "OPTIONS without request method is not a preflight", cfg: base, method: "OPTIONS",
			origins: []string{"https://app.example.com"}, want: 200, wantACAO: "https://app.example.com", wantNext: true},
		{name: "preflight answered here", cfg: base, method: "OPTIONS", origins: []string{"https://app.example.com"}, headers: preflight,
			want: 204, wantACAO: "https://app.example.com",
			check: func(t *testing.T, h http.Header) {
				if got := h.Get("Access-Control-Allow-Methods"); got != "GET, POST, DELETE, OPTIONS" {
					t.Errorf("Allow-Methods = %q", got)
				}
				ah := h.Get("Access-Control-Allow-Headers")
				for _, want := range []string{"Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version",
					"Last-Event-ID", "X-Api-Key", "X-Zscaler-Client-ID", "X-Zscaler-Client-Secret", "Mcp-Method", "Mcp-Name"} {
					if !slices.Contains(strings.Split(ah, ", "), want) {
						t.Errorf("Allow-Headers %q lacks %s", ah, want)
					}
				}
				if got := h.Get("Access-Control-Max-Age"); got != "600" {
					t.Errorf("Max-Age = %q, want 600", got)
				}
				if v := h.Values("Vary"); !slices.Contains(v, "Access-Control-Request-Headers") {
					t.Errorf("Vary = %q", v)
				}
			}},
		{name: "preflight from other origin", cfg: base, method: "OPTIONS", origins: []string{"https://evil.example"}, headers: preflight, want: 403},
		{name: "configured lists", method: "OPTIONS", origins: []string{"https://a.test"}, headers: preflight,
			cfg:  OriginConfig{Allowed: []string{"https://a.test"}, Methods: []string{"POST"}, AllowHeaders: []string{"X-One"}, MaxAge: -1},
			want: 204, wantACAO: "https://a.test",
			check: func(t *testing.T, h http.Header) {
				if h.Get("Access-Control-Allow-Methods") != "POST" || h.Get("Access-Control-Allow-Headers") != "X-One" {
					t.Errorf("configured lists not used: %v", h)
				}
				if _, ok := h["Access-Control-Max-Age"]; ok {
					t.Error("Max-Age sent although MaxAge < 0")
				}
			}},
		{name: "configured max age and expose", method: "POST", origins: []string{"https://a.test"},
			cfg:  OriginConfig{Allowed: []string{"https://a.test"}, ExposeHeaders: []string{"X-Two"}, MaxAge: time.Hour},
			want: 200, wantACAO: "https://a.test", wantNext: true,
			check: func(t *testing.T, h http.Header) {
				if h.Get("Access-Control-Expose-Headers") != "X-Two" {
					t.Errorf("Expose-Headers = %q", h.Get("Access-Control-Expose-Headers"))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := newOK()
			srv := serve(t, Origins(tt.cfg)(next))
			req, _ := http.NewRequest(tt.method, srv.URL+"/mcp", nil)
			for _, o := range tt.origins {
				req.Header.Add("Origin", o)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, body := do(t, srv.Client(), req)
			if tt.want == http.StatusForbidden {
				wantJSONError(t, resp, body, 403, "forbidden", "origin "+quoteClient(strings.Join(tt.origins, ", "))+" is not allowed")
			} else if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.want, body)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantACAO)
			}
			if ran := next.ran(); ran != tt.wantNext {
				t.Errorf("next handler ran = %v, want %v", ran, tt.wantNext)
			}
			if tt.check != nil {
				tt.check(t, resp.Header)
			}
		})
	}
}

func TestOriginRejectionMessage(t *testing.T) {
	next := newOK()
	srv := serve(t, Origins(OriginConfig{})(next))
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	req.Header.Set("Origin", "https://evil.example")
	resp, body := do(t, srv.Client(), req)
	wantJSONError(t, resp, body, 403, "forbidden", `origin "https://evil.example" is not allowed`)
}

func TestPublicCORS(t *testing.T) {
	next := newOK()
	srv := serve(t, PublicCORS()(next))
	tests := []struct {
		name     string
		method   string
		headers  map[string]string
		want     int
		wantNext bool
	}{
		{"GET without origin", "GET", nil, 200, true},
		{"GET cross-origin", "GET", map[string]string{"Origin": "https://any.example"}, 200, true},
		{"POST null origin", "POST", map[string]string{"Origin": "null"}, 200, true},
		{"preflight", "OPTIONS", map[string]string{"Origin": "https://any.example", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "content-type, mcp-protocol-version"}, 204, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+"/.well-known/oauth-authorization-server", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, _ := do(t, srv.Client(), req)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
			}
			if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials allowed")
			}
			if ran := next.ran(); ran != tt.wantNext {
				t.Errorf("next ran = %v, want %v", ran, tt.wantNext)
			}
			if tt.want == 204 {
				if !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Mcp-Protocol-Version") ||
					!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
					t.Errorf("preflight headers = %v", resp.Header)
				}
			}
		})
	}
}

func TestNormalizeOrigin(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "https://app.example.com", want: "https://app.example.com"},
		{in: "HTTPS://App.Example.COM:443", want: "https://app.example.com"},
		{in: "http://localhost:80/", want: "http://localhost"},
		{in: "http://localhost:08000", want: "http://localhost:8000"},
		{in: "http://[::1]:8000", want: "http://[::1]:8000"},
		{in: "http://[0:0::1]:80", want: "http://[::1]"},
		{in: "vscode-webview://abc123", want: "vscode-webview://abc123"},
		{in: "null", want: "null"},
		{in: "app.example.com", wantErr: true},
		{in: "https://", wantErr: true},
		{in: "https://app.example.com/path", wantErr: true},
		{in: "https://app.example.com?x=1", wantErr: true},
		{in: "https://app.example.com#f", wantErr: true},
		{in: "https://user@app.example.com", wantErr: true},
		{in: "https://app.example.com:99999", wantErr: true},
		{in: "https://app.example.com:x", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := NormalizeOrigin(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestOriginConfigValidate(t *testing.T) {
	if err := (OriginConfig{Allowed: []string{"*", "null", "https://a.test"}}).Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	err := (OriginConfig{Allowed: []string{"https://a.test", "https://b.test/app"}}).Validate()
	if err == nil || !strings.Contains(err.Error(), `"https://b.test/app"`) {
		t.Fatalf("Validate = %v, want an error naming the bad entry", err)
	}
}

func TestDefaultAllowedOrigins(t *testing.T) {
	tests := []struct {
		url      string
		loopback bool
		want     []string
	}{
		{"http://localhost:8000", true, []string{"http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000"}},
		{"http://127.0.0.1:8000", true, []string{"http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"}},
		{"http://localhost", true, []string{"http://localhost", "http://127.0.0.1", "http://[::1]"}},
		{"https://localhost:8443", true, []string{"https://localhost:8443", "https://127.0.0.1:8443", "https://[::1]:8443"}},
		{"http://localhost:8000", false, []string{"http://localhost:8000"}},
		{"https://MCP.example.com", false, []string{"https://mcp.example.com"}},
		{"https://mcp.example.com:443", true, []string{"https://mcp.example.com"}},
		{"", true, nil},
		{"not a url", true, nil},
	}
	for _, tt := range tests {
		if got := DefaultAllowedOrigins(tt.url, tt.loopback); !slices.Equal(got, tt.want) {
			t.Errorf("DefaultAllowedOrigins(%q, %v) = %q, want %q", tt.url, tt.loopback, got, tt.want)
		}
	}
}

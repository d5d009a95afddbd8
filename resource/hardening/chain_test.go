package hardening_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
	"github.com/zscalermcp/zscaler-mcp/resource/jsonguard"
)

// newRouter mounts the MCP group in the order DESIGN.md §3 gives: IP ACL →
// Host → Origin/CORS → body limit → JSON guard → (stand-in) client auth →
// handler, and an ops route behind the IP ACL only.
func newRouter(t *testing.T, publicURL string) http.Handler {
	t.Helper()
	trusted, err := hardening.ParsePrefixes("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	ipACL := hardening.ClientIP(hardening.IPConfig{
		Allowed:        []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("192.0.2.0/24")},
		TrustedProxies: trusted,
	})
	fakeAuth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer good" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="zscaler-mcp"`)
				hardening.WriteJSONError(w, http.StatusUnauthorized, "invalid_token", "missing credentials")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	r := chi.NewRouter()
	r.Use(ipACL)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	r.Group(func(r chi.Router) {
		r.Use(
			hardening.HostAllowlist(hardening.DefaultAllowedHosts(publicURL, true)),
			hardening.Origins(hardening.OriginConfig{Allowed: hardening.DefaultAllowedOrigins(publicURL, true)}),
			hardening.BodyLimit(1<<10),
			jsonguard.Middleware(jsonguard.Options{}),
			fakeAuth,
		)
		r.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
			var names []string
			for _, c := range jsonguard.Calls(r.Context()) {
				names = append(names, c.Method+":"+c.Name)
			}
			_, _ = io.WriteString(w, auth.ClientIP(r)+" "+strings.Join(names, ","))
		})
	})
	return r
}

func TestChain(t *testing.T) {
	srv := httptest.NewServer(newRouter(t, "http://localhost:8000"))
	t.Cleanup(srv.Close)
	const call = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"zia_list_users"}}`
	tests := []struct {
		name     string
		method   string
		path     string
		host     string
		headers  map[string]string
		body     string
		want     int
		wantBody string // prefix of the body
		wantACAO string
	}{
		{name: "ops route", method: "GET", path: "/healthz", host: "anything.test", want: 200, wantBody: "ok"},
		{name: "ops route ACL", method: "GET", path: "/healthz", headers: map[string]string{"X-Forwarded-For": "198.51.100.1"}, want: 403},
		{name: "call", method: "POST", path: "/mcp", headers: map[string]string{"Authorization": "Bearer good"}, body: call,
			want: 200, wantBody: "127.0.0.1 tools/call:zia_list_users"},
		{name: "call via trusted proxy", method: "POST", path: "/mcp",
			headers: map[string]string{"Authorization": "Bearer good", "X-Forwarded-For": "192.0.2.10"}, body: call,
			want: 200, wantBody: "192.0.2.10 tools/call"},
		{name: "IP ACL first", method: "POST", path: "/mcp", host: "evil.test",
			headers: map[string]string{"X-Forwarded-For": "198.51.100.1"}, want: 403, wantBody: `{"error":"forbidden","error_description":"source address not allowed"}`},
		{name: "rebinding host", method: "POST", path: "/mcp", host: "evil.test:8000",
			headers: map[string]string{"Authorization": "Bearer good"}, body: call, want: 421},
		{name: "preflight before auth", method: "OPTIONS", path: "/mcp", host: "localhost:8000",
			headers: map[string]string{"Origin": "http://localhost:8000", "Access-Control-Request-Method": "POST"},
			want:    204, wantACAO: "http://localhost:8000"},
		{name: "preflight loopback alias", method: "OPTIONS", path: "/mcp", host: "127.0.0.1:8000",
			headers: map[string]string{"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST"},
			want:    204, wantACAO: "http://127.0.0.1:8000"},
		{name: "preflight from other origin", method: "OPTIONS", path: "/mcp",
			headers: map[string]string{"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"}, want: 403},
		{name: "browser 401 readable", method: "POST", path: "/mcp",
			headers: map[string]string{"Origin": "http://localhost:8000"}, body: call, want: 401, wantACAO: "http://localhost:8000"},
		{name: "bad origin with good token", method: "POST", path: "/mcp",
			headers: map[string]string{"Origin": "https://evil.test", "Authorization": "Bearer good"}, body: call, want: 403},
		{name: "too large before auth", method: "POST", path: "/mcp", body: strings.Repeat(" ", 2<<10) + call, want: 413},
		{name: "case-variant keys before auth", method: "POST", path: "/mcp",
			body: `{"method":"tools/list","Method":"tools/call"}`, want: 400},
		{name: "header mismatch", method: "POST", path: "/mcp",
			headers: map[string]string{"Authorization": "Bearer good", "Mcp-Method": "tools/call", "Mcp-Name": "zia_delete_user"},
			body:    call, want: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, body)
			req.Host = "localhost:8000"
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.want, b)
			}
			if !strings.HasPrefix(string(b), tt.wantBody) {
				t.Errorf("body = %q, want prefix %q", b, tt.wantBody)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantACAO)
			}
		})
	}
}

package hardening

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

func mustPrefixes(t *testing.T, list string) []netip.Prefix {
	t.Helper()
	p, err := ParsePrefixes(list)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestClientIPLoopback drives the middleware through a real loopback
// connection, so the peer is 127.0.0.1.
func TestClientIPLoopback(t *testing.T) {
	tests := []struct {
		name    string
		allowed string
		trusted string
		xff     []string
		want    string // client IP seen by next; "" means 403
	}{
		{name: "peer", want: "127.0.0.1"},
		{name: "XFF ignored from untrusted peer", trusted: "10.0.0.0/8", xff: []string{"1.2.3.4"}, want: "127.0.0.1"},
		{name: "trusted peer without XFF", trusted: "127.0.0.0/8", want: "127.0.0.1"},
		{name: "trusted peer XFF", trusted: "127.0.0.0/8", xff: []string{"1.2.3.4"}, want: "1.2.3.4"},
		{name: "spoofed left entries ignored", trusted: "127.0.0.0/8, 10.0.0.0/8",
			xff: []string{"6.6.6.6, 1.2.3.4, 10.0.0.5"}, want: "1.2.3.4"},
		{name: "several header lines", trusted: "127.0.0.0/8", xff: []string{"6.6.6.6", "1.2.3.4"}, want: "1.2.3.4"},
		{name: "all trusted takes leftmost", trusted: "127.0.0.0/8, 10.0.0.0/8", xff: []string{"10.0.0.1, 10.0.0.2"}, want: "10.0.0.1"},
		{name: "malformed rightmost uses peer", trusted: "127.0.0.0/8", xff: []string{"1.2.3.4, garbage"}, want: "127.0.0.1"},
		{name: "malformed beyond client ignored", trusted: "127.0.0.0/8", xff: []string{"garbage, 1.2.3.4"}, want: "1.2.3.4"},
		{name: "empty entry uses peer", trusted: "127.0.0.0/8", xff: []string{"1.2.3.4,"}, want: "127.0.0.1"},
		{name: "v6 with port", trusted: "127.0.0.0/8", xff: []string{"[2001:db8::1]:443"}, want: "2001:db8::1"},
		{name: "v4 with port", trusted: "127.0.0.0/8", xff: []string{"1.2.3.4:5678"}, want: "1.2.3.4"},
		{name: "mapped v4 unmapped", trusted: "127.0.0.0/8", xff: []string{"::ffff:1.2.3.4"}, want: "1.2.3.4"},

		{name: "ACL allows peer", allowed: "127.0.0.1", want: "127.0.0.1"},
		{name: "ACL rejects peer", allowed: "10.0.0.0/8"},
		{name: "ACL allows resolved client", allowed: "1.2.3.0/24", trusted: "127.0.0.1", xff: []string{"1.2.3.4"}, want: "1.2.3.4"},
		{name: "ACL rejects resolved client", allowed: "1.2.3.0/24", trusted: "127.0.0.1", xff: []string{"5.6.7.8"}},
		{name: "ACL on client not proxy", allowed: "127.0.0.0/8", trusted: "127.0.0.0/8", xff: []string{"5.6.7.8"}},
		{name: "ACL ignores XFF from untrusted peer", allowed: "1.2.3.4", xff: []string{"1.2.3.4"}},
		{name: "ACL mapped prefix", allowed: "::ffff:127.0.0.0/104", want: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan string, 1)
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- auth.ClientIP(r)
			})
			cfg := IPConfig{Allowed: mustPrefixes(t, tt.allowed), TrustedProxies: mustPrefixes(t, tt.trusted)}
			srv := serve(t, ClientIP(cfg)(next))
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			resp, body := do(t, srv.Client(), req)
			if tt.want == "" {
				wantJSONError(t, resp, body, http.StatusForbidden, "forbidden", "source address not allowed")
				select {
				case ip := <-got:
					t.Fatalf("next handler ran for rejected client %s", ip)
				default:
				}
				return
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body %s", resp.StatusCode, body)
			}
			if ip := <-got; ip != tt.want {
				t.Errorf("client IP = %q, want %q", ip, tt.want)
			}
		})
	}
}

func TestResolveClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		remote string
		xff    string
		want   string
		ok     bool
	}{
		{remote: "192.0.2.1:1234", want: "192.0.2.1", ok: true},
		{remote: "[::ffff:192.0.2.1]:1234", want: "192.0.2.1", ok: true},
		{remote: "[fe80::1%eth0]:1234", want: "fe80::1", ok: true},
		{remote: "192.0.2.1", want: "192.0.2.1", ok: true},
		{remote: "[fd00::1]:1234", xff: "2001:db8::7", want: "2001:db8::7", ok: true},
		{remote: "[::ffff:10.1.1.1]:1234", xff: "192.0.2.9", want: "192.0.2.9", ok: true},
		{remote: "10.1.1.1:1", xff: "192.0.2.9, fd00::5, 10.9.9.9", want: "192.0.2.9", ok: true},
		{remote: "@", ok: false},
		{remote: "", ok: false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		ip, ok := ResolveClientIP(r, trusted)
		if ok != tt.ok || (ok && ip.String() != tt.want) {
			t.Errorf("ResolveClientIP(%q, XFF %q) = %v, %v; want %s, %v", tt.remote, tt.xff, ip, ok, tt.want, tt.ok)
		}
	}
}

func TestClientIPUnresolvable(t *testing.T) {
	for _, acl := range []bool{false, true} {
		var cfg IPConfig
		if acl {
			cfg.Allowed = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
		}
		ran := false
		h := ClientIP(cfg)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true }))
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "@" // unix socket peer
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if acl && (rec.Code != http.StatusForbidden || ran) {
			t.Errorf("with ACL: status %d, ran %v; want 403 and not run", rec.Code, ran)
		}
		if !acl && (rec.Code != http.StatusOK || !ran) {
			t.Errorf("without ACL: status %d, ran %v; want pass", rec.Code, ran)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in      string
		want    string // prefixes joined by " "
		wantErr string // substring of the error
	}{
		{in: "", want: ""},
		{in: "10.0.0.0/8, 192.168.1.5", want: "10.0.0.0/8 192.168.1.5/32"},
		{in: "::1,2001:db8::/32", want: "::1/128 2001:db8::/32"},
		{in: "::ffff:10.0.0.0/104", want: "10.0.0.0/8"},
		{in: "::ffff:1.2.3.4", want: "1.2.3.4/32"},
		{in: "10.1.2.3/8", want: "10.0.0.0/8"},
		{in: " 1.2.3.4 , ,5.6.7.8 ", want: "1.2.3.4/32 5.6.7.8/32"},
		{in: "10.0.0.0/8,10.0.0.0/33", wantErr: `entry 2 "10.0.0.0/33"`},
		{in: "foo", wantErr: `entry 1 "foo"`},
		{in: "1.2.3.4/x", wantErr: `"1.2.3.4/x"`},
		{in: "fe80::1%eth0", wantErr: `"fe80::1%eth0"`},
	}
	for _, tt := range tests {
		got, err := ParsePrefixes(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePrefixes(%q) error = %v, want one containing %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePrefixes(%q): %v", tt.in, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if strings.Join(s, " ") != tt.want {
			t.Errorf("ParsePrefixes(%q) = %v, want %s", tt.in, s, tt.want)
		}
	}
}

func TestClientIPNormalizesConfig(t *testing.T) {
	cfg := IPConfig{Allowed: []netip.Prefix{netip.MustParsePrefix("::ffff:192.0.2.0/120")}}
	h := ClientIP(cfg)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for remote, want := range map[string]int{"192.0.2.7:1": 200, "[::ffff:192.0.2.7]:1": 200, "192.0.3.7:1": 403} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != want {
			t.Errorf("%s: status %d, want %d", remote, rec.Code, want)
		}
	}
}

package idp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

// TestAuth0 reproduces Auth0's issuer, which keeps its trailing slash in
// discovery and in every ID token ("https://acme.us.auth0.com/"), and its
// `audience` authorize parameter (without it Auth0 issues opaque access
// tokens).
func TestAuth0(t *testing.T) {
	up := newUpstream(t, idptest.Options{IssuerPath: "/", AutoLogin: "alice"})
	if !strings.HasSuffix(up.op.Issuer, "/") {
		t.Fatalf("test OP issuer %q has no trailing slash", up.op.Issuer)
	}
	origin := strings.TrimSuffix(up.op.Issuer, "/")
	const audience = "https://mcp.example.com/mcp"

	for _, tt := range []struct {
		name  string
		extra map[string]any
		c     func(*Config)
	}{
		{name: "domain (a URL here; a host name in production)", extra: map[string]any{"domain": origin, "audience": audience}},
		{name: "issuer written without the trailing slash", extra: map[string]any{"audience": audience}, c: func(c *Config) { c.Issuer = origin }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := presetConfig(TypeAuth0, tt.extra)
			if tt.c != nil {
				tt.c(&c)
			}
			before := len(up.op.AuthRequests())
			id, err := presetLogin(t, up, c, "alice")
			wantOutcome(t, id, err, "", nil, "")
			if id.Claims["iss"] != up.op.Issuer || id.UserID() != "corp|u-alice" {
				t.Errorf("iss %v, user id %q", id.Claims["iss"], id.UserID())
			}
			ars := up.op.AuthRequests()
			if len(ars) != before+1 || ars[len(ars)-1].Query.Get("audience") != audience {
				t.Errorf("the authorize request did not carry audience=%s", audience)
			}
		})
	}

	// Without the preset, the same issuer typed without its slash is
	// explained at Open (not discovered by a user's failed login).
	c := up.config()
	c.Issuer = origin
	_, err := NewRegistry().Open(context.Background(), c, up.options())
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "issuer" || !strings.Contains(err.Error(), "trailing slash") {
		t.Errorf("generic oidc with the slash missing: %v", err)
	}
}

// TestOkta reproduces Okta's two kinds of authorization server: the org
// server (issuer https://<domain>) and a custom one (issuer
// https://<domain>/oauth2/default). Only the ID token is validated.
func TestOkta(t *testing.T) {
	for _, tt := range []struct{ name, path, as string }{
		{name: "org authorization server", path: "", as: ""},
		{name: "custom authorization server default", path: "/oauth2/default", as: "default"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, idptest.Options{IssuerPath: tt.path})
			extra := map[string]any{"domain": strings.TrimSuffix(up.op.Issuer, tt.path)}
			if tt.as != "" {
				extra["authorization_server"] = tt.as
			}
			id, err := presetLogin(t, up, presetConfig(TypeOkta, extra), "alice")
			wantOutcome(t, id, err, "", nil, "")
			if id.Claims["iss"] != up.op.Issuer || id.Subject != "u-alice" {
				t.Errorf("identity = %+v", id)
			}
		})
	}
}

// TestGoogleHostedDomain reproduces Google Workspace's hd claim: the `hd`
// login parameter is only a hint the user can edit, so the preset enforces
// the signed claim; consumer accounts have none.
func TestGoogleHostedDomain(t *testing.T) {
	up := newUpstream(t, idptest.Options{Users: users(
		idptest.User{Username: "alice", Email: "alice@example.com", EmailVerified: true, Claims: map[string]any{"hd": "example.com"}},
		idptest.User{Username: "bob", Email: "bob@other.example", EmailVerified: true, Claims: map[string]any{"hd": "other.example"}},
		idptest.User{Username: "carol", Email: "carol@gmail.com", EmailVerified: true},
	)})
	c := presetConfig(TypeGoogle, map[string]any{"hosted_domains": []string{"example.com"}})
	c.Issuer = up.op.Issuer // the test OP stands in for https://accounts.google.com
	tests := []struct{ user, rule, msg string }{
		{user: "alice"},
		{user: "bob", rule: "hosted_domains", msg: "other.example"},
		{user: "carol", rule: "hosted_domains", msg: "no hd claim"},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			id, err := presetLogin(t, up, c, tt.user)
			wantOutcome(t, id, err, tt.rule, nil, tt.msg)
			ars := up.op.AuthRequests()
			q := ars[len(ars)-1].Query
			if q.Get("hd") != "example.com" {
				t.Errorf("hd = %q", q.Get("hd"))
			}
			if q.Has("access_type") || q.Has("prompt") {
				t.Errorf("access_type/prompt sent though no upstream refresh token is used: %v", q)
			}
		})
	}
}

// TestKeycloakGroupsMapper reproduces a Keycloak realm (issuer
// <base>/realms/<realm>) whose client has a Group Membership mapper with
// its own token claim name.
func TestKeycloakGroupsMapper(t *testing.T) {
	up := newUpstream(t, idptest.Options{IssuerPath: "/realms/acme", Users: users(
		idptest.User{Username: "alice", Email: "alice@example.com", EmailVerified: true,
			Claims: map[string]any{"kc_groups": []string{"/staff", "mcp-users"}}},
		idptest.User{Username: "bob", Email: "bob@example.com", EmailVerified: true,
			Groups: []string{"mcp-users"}, // in the default "groups" claim, not the mapper's
			Claims: map[string]any{"kc_groups": []string{"/staff"}}},
	)})
	base := strings.TrimSuffix(up.op.Issuer, "/realms/acme")
	c := presetConfig(TypeKeycloak, map[string]any{"base_url": base, "realm": "acme", "groups_claim": "kc_groups"})
	c.Policy.AllowedGroups = []string{"mcp-users"}

	id, err := presetLogin(t, up, c, "alice")
	wantOutcome(t, id, err, "", nil, "")
	if strings.Join(id.Groups, ",") != "/staff,mcp-users" || id.Claims["iss"] != up.op.Issuer {
		t.Errorf("groups %v, iss %v", id.Groups, id.Claims["iss"])
	}
	id, err = presetLogin(t, up, c, "bob")
	wantOutcome(t, id, err, "allowed_groups", nil, "")
}

// cognitoHostedUI is a named shim for Cognito's split domains: the issuer,
// discovery document and JWKS are on cognito-idp.<region>.amazonaws.com
// while authorize/token/userInfo live on the pool's hosted-UI domain. The
// test OP plays the cognito-idp host; this front, on another port, plays
// the hosted-UI domain, proxying to the OP and recording what it served.
type cognitoHostedUI struct {
	srv   *httptest.Server
	mu    sync.Mutex
	paths []string
}

func newCognitoHostedUI(t *testing.T, op *idptest.Server) *cognitoHostedUI {
	target, _ := url.Parse(op.Issuer)
	target.Path = ""
	h := &cognitoHostedUI{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.paths = append(h.paths, r.Method+" "+r.URL.Path)
		h.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	// The discovery document points authorize, token and userinfo at the
	// hosted-UI domain, as Cognito's does.
	op.SetDiscoveryShim(func(doc map[string]any) {
		for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint"} {
			if s, ok := doc[k].(string); ok {
				doc[k] = strings.Replace(s, "http://"+target.Host, h.srv.URL, 1)
			}
		}
	})
	return h
}

func (h *cognitoHostedUI) served() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.paths...)
}

// TestCognitoSplitDomains logs in through a Cognito-shaped IdP: discovery
// on the issuer's host, the browser and the token request on the hosted-UI
// domain; email_verified arrives as the string "true" and groups in
// cognito:groups.
func TestCognitoSplitDomains(t *testing.T) {
	up := newUpstream(t, idptest.Options{IssuerPath: "/us-east-1_TestPool", Users: users(
		idptest.User{Username: "alice", Email: "alice@example.com",
			Claims: map[string]any{"email_verified": "true", "cognito:groups": []string{"admins"}, "cognito:username": "alice"}},
		idptest.User{Username: "bob", Email: "bob@example.com", Claims: map[string]any{"email_verified": "false"}},
	)})
	hosted := newCognitoHostedUI(t, up.op)
	c := presetConfig(TypeCognito, nil)
	c.Issuer = up.op.Issuer // stands in for https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool
	c.Policy.AllowedGroups = []string{"admins"}

	p := up.open(t, c, up.options())
	req := newLoginRequest(t)
	u, _ := p.LoginURL(context.Background(), req)
	if !strings.HasPrefix(u, hosted.srv.URL+"/") {
		t.Fatalf("login URL %s is not on the hosted-UI domain %s", u, hosted.srv.URL)
	}
	up.op.SetAutoLogin("alice")
	cb := up.cb.login(t, newBrowser(nil), p, req)
	id, err := p.HandleCallback(context.Background(), cb, req.LoginState())
	wantOutcome(t, id, err, "", nil, "")
	if id.EmailVerified == nil || !*id.EmailVerified || strings.Join(id.Groups, ",") != "admins" {
		t.Errorf("identity = %+v", id)
	}
	served := strings.Join(hosted.served(), "\n")
	if !strings.Contains(served, "GET /us-east-1_TestPool/authorize") || !strings.Contains(served, "POST /us-east-1_TestPool/oauth/token") {
		t.Errorf("the hosted-UI domain did not serve the authorize and token requests:\n%s", served)
	}
	if strings.Contains(served, "openid-configuration") {
		t.Errorf("discovery went to the hosted-UI domain:\n%s", served)
	}

	// email_verified "false" (a string) is read as false.
	c.Policy.AllowedGroups = nil
	id, err = presetLogin(t, up, c, "bob")
	wantOutcome(t, id, err, "require_verified_email", nil, "not verified")

	// A pool without a domain has no authorize endpoint: explained at Open.
	up.op.SetDiscoveryShim(func(doc map[string]any) { delete(doc, "authorization_endpoint") })
	_, err = NewRegistry().Open(context.Background(), c, up.options())
	if err == nil || !strings.Contains(err.Error(), "App integration → Domain") {
		t.Errorf("Open of a pool without a domain: %v", err)
	}
}

// TestPingOneOneAuthMethod reproduces PingOne/PingFederate, which refuse a
// token request that tries more than one client authentication method:
// the preset sends exactly one (basic), even after a failure, where the
// generic auto-detection retries with client_secret_post.
func TestPingOneOneAuthMethod(t *testing.T) {
	const env = "/6a2c2f3e-1b7a-4b8e-9d3f-5c6b7a8d9e0f/as"
	for _, tt := range []struct {
		name, typ, secret string
		wantAuth          []string
		wantErr           error
	}{
		{name: "pingone signs in with basic", typ: TypePingOne, secret: testClientSecret, wantAuth: []string{"basic"}},
		{name: "pingone wrong secret: one attempt only", typ: TypePingOne, secret: "wrong", wantAuth: []string{"basic"}, wantErr: ErrExchange},
		{name: "generic oidc wrong secret: auto-detection tries a second method", typ: TypeOIDC, secret: "wrong", wantAuth: []string{"basic", "post"}, wantErr: ErrExchange},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, idptest.Options{IssuerPath: env})
			c := presetConfig(tt.typ, nil)
			c.Issuer, c.ClientSecret = up.op.Issuer, tt.secret // stands in for https://auth.pingone.eu/<env>/as
			id, err := presetLogin(t, up, c, "alice")
			wantOutcome(t, id, err, "", tt.wantErr, "")
			var got []string
			for _, tr := range up.op.TokenRequests() {
				got = append(got, tr.ClientAuth)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantAuth, ",") {
				t.Errorf("token requests' client auth = %v, want %v", got, tt.wantAuth)
			}
		})
	}
}

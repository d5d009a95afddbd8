package oauthserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// fetchJWKS reads /jwks.json.
func (e *env) fetchJWKS() jose.JSONWebKeySet {
	e.t.Helper()
	resp, err := http.Get(e.base + "/jwks.json")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") {
		e.t.Errorf("JWKS Cache-Control = %q", cc)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		e.t.Fatal(err)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.KeyID == "" || k.Algorithm != "ES256" || k.Use != "sig" {
			e.t.Errorf("JWKS key %+v: want a public ES256 signing key with a kid", k)
		}
	}
	return set
}

// verifyAccessToken checks an access token against /jwks.json and the RFC
// 9068 profile, and returns its claims.
func (e *env) verifyAccessToken(token, clientID, aud, scope string) map[string]any {
	e.t.Helper()
	tok, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		e.t.Fatalf("access token is not an ES256 JWS: %v", err)
	}
	h := tok.Headers[0]
	if h.ExtraHeaders["typ"] != "at+jwt" || h.KeyID == "" {
		e.t.Errorf("header typ=%v kid=%q, want at+jwt and a kid (RFC 9068 §2.1)", h.ExtraHeaders["typ"], h.KeyID)
	}
	set := e.fetchJWKS()
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		e.t.Fatalf("kid %q not published at /jwks.json", h.KeyID)
	}
	var claims map[string]any
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		e.t.Fatalf("signature does not verify with the published key: %v", err)
	}
	var std josejwt.Claims
	_ = tok.Claims(keys[0].Key, &std)
	if err := std.ValidateWithLeeway(josejwt.Expected{Issuer: e.public, AnyAudience: josejwt.Audience{aud}, Time: time.Now()}, time.Minute); err != nil {
		e.t.Errorf("standard claims: %v (claims %v)", err, claims)
	}
	for k, want := range map[string]any{"iss": e.public, "sub": testUser, "client_id": clientID, "scope": scope} {
		if claims[k] != want {
			e.t.Errorf("claim %s = %v, want %v", k, claims[k], want)
		}
	}
	if claims["jti"] == nil || claims["iat"] == nil || claims["exp"] == nil || claims["grant_id"] == nil {
		e.t.Errorf("claims %v lack jti, iat, exp or grant_id", claims)
	}
	return claims
}

// TestFlow drives authorize → code → token (PKCE) → refresh → refresh with
// a real golang.org/x/oauth2 client, for a confidential and a public
// client.
func TestFlow(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		client func() (*oauth2.Config, string)
	}{
		{"confidential client, Basic auth", func() (*oauth2.Config, string) { return e.oauthConfig(e.conf), e.conf.ID }},
		{"public client, loopback redirect with a port", func() (*oauth2.Config, string) { return e.oauthConfig(e.pub), e.pub.ID }},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			conf, clientID := c.client()
			cl := e.conf
			if clientID == e.pub.ID {
				cl = e.pub
			}
			code, verifier := e.authorize(cl, oauth2.SetAuthURLParam("resource", e.resource))
			tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", e.resource))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if tok.RefreshToken == "" || !strings.EqualFold(tok.TokenType, "Bearer") || tok.Expiry.IsZero() {
				t.Fatalf("token type %q expiry %v, want a bearer token with expiry and a refresh token", tok.TokenType, tok.Expiry)
			}
			c1 := e.verifyAccessToken(tok.AccessToken, clientID, e.resource, "zscaler.read zscaler.write")
			if !e.active(tok.AccessToken) {
				t.Error("first access token not active")
			}

			// Refresh twice through x/oauth2's token source.
			rt := tok.RefreshToken
			prev := tok.AccessToken
			for i := range 2 {
				e.clock.Advance(10 * time.Second) // outside the grace window
				nt, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
				if err != nil {
					t.Fatalf("refresh %d: %v", i+1, err)
				}
				if nt.RefreshToken == "" || nt.RefreshToken == rt || nt.AccessToken == prev {
					t.Fatalf("refresh %d did not rotate the tokens", i+1)
				}
				c2 := e.verifyAccessToken(nt.AccessToken, clientID, e.resource, "zscaler.read zscaler.write")
				if c2["grant_id"] != c1["grant_id"] || c2["jti"] == c1["jti"] {
					t.Errorf("refresh %d: grant_id %v→%v jti %v→%v; want a stable grant id and a fresh jti", i+1, c1["grant_id"], c2["grant_id"], c1["jti"], c2["jti"])
				}
				if e.active(prev) {
					t.Errorf("refresh %d: the previous access token is still active", i+1)
				}
				rt, prev = nt.RefreshToken, nt.AccessToken
			}
		})
	}
}

// TestLoopbackAliasResource: on a loopback bind, a client that talks to
// 127.0.0.1 gets a token whose aud is that spelling.
func TestLoopbackAliasResource(t *testing.T) {
	e := newEnv(t, nil)
	alias := strings.Replace(e.resource, "localhost", "127.0.0.1", 1)
	code, verifier := e.authorize(e.conf, oauth2.SetAuthURLParam("resource", strings.ToUpper(alias[:4])+alias[4:]))
	status, body := e.exchange(e.conf, code, verifier, nil)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, body)
	}
	e.verifyAccessToken(str(body, "access_token"), e.conf.ID, alias, "zscaler.read zscaler.write")
}

// TestDefaultResourceAndScopes: no resource → <public-url>/mcp; habitual
// scopes are ignored; no scope of ours → zscaler.read.
func TestDefaultResourceAndScopes(t *testing.T) {
	e := newEnv(t, nil)
	conf := e.oauthConfig(e.conf)
	conf.Scopes = []string{"openid", "email", "profile", "offline_access"}
	verifier := oauth2.GenerateVerifier()
	loc := e.redirectOf(e.get(conf.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier))))
	code := loc.Query().Get("code")
	status, body := e.exchange(e.conf, code, verifier, nil)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v (authorize redirect %s)", status, body, loc)
	}
	if str(body, "scope") != ScopeRead {
		t.Errorf("scope = %q, want %q", str(body, "scope"), ScopeRead)
	}
	e.verifyAccessToken(str(body, "access_token"), e.conf.ID, e.resource, ScopeRead)
}

// TestResumeAndDeny: an Authenticator that takes over the response; the
// login flow later resumes or denies the pending request.
func TestResumeAndDeny(t *testing.T) {
	var pending []string
	e := newEnv(t, func(c *Config) {
		c.Authenticator = AuthenticatorFunc(func(w http.ResponseWriter, r *http.Request, req *AuthorizationRequest) (*Subject, error) {
			pending = append(pending, req.PendingID)
			http.Redirect(w, r, "/login?pending="+url.QueryEscape(req.PendingID), http.StatusSeeOther)
			return nil, nil
		})
	})
	conf := e.oauthConfig(e.conf)
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier))

	if loc := e.redirectOf(e.get(authURL)); loc.Path != "/login" {
		t.Fatalf("authorize redirected to %s, want the login page", loc)
	}
	loc := e.redirectOf(e.get(e.base + "/test/resume/" + pending[0]))
	if loc.Query().Get("iss") != e.public || loc.Query().Get("code") == "" || loc.Query().Get("state") != "state-0123456789" {
		t.Fatalf("resume redirect %s, want code, state and iss", loc)
	}
	if status, body := e.exchange(e.conf, loc.Query().Get("code"), verifier, nil); status != http.StatusOK {
		t.Fatalf("exchange after resume: %d %v", status, body)
	}
	if resp := e.get(e.base + "/test/resume/" + pending[0]); resp.StatusCode < 400 || resp.Header.Get("Location") != "" {
		t.Errorf("second resume: %d Location %q, want an error page", resp.StatusCode, resp.Header.Get("Location"))
	}

	e.get(authURL)
	loc = e.redirectOf(e.get(e.base + "/test/deny/" + pending[1]))
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("iss") != e.public {
		t.Errorf("deny redirect %s, want error=access_denied with iss", loc)
	}
}

// TestStateOptional: with PKCE, state is optional (OAuth 2.1 §4.1.1); a
// short state is echoed as sent, and no state means none in the response.
func TestStateOptional(t *testing.T) {
	e := newEnv(t, nil)
	for _, state := range []string{"", "abc"} {
		q, verifier := e.authzQuery()
		if state == "" {
			q.Del("state")
		} else {
			q.Set("state", state)
		}
		loc := e.redirectOf(e.get(e.base + "/authorize?" + q.Encode()))
		got := loc.Query()
		if got.Get("code") == "" || got.Get("iss") != e.public || got.Get("state") != state || (state == "" && got.Has("state")) {
			t.Fatalf("state %q: redirect %s", state, loc)
		}
		if s, b := e.exchange(e.conf, got.Get("code"), verifier, nil); s != 200 {
			t.Errorf("state %q: exchange %d %v", state, s, b)
		}
	}
}

// TestRedirectURIOmitted: a client with one registered redirect URI may
// omit redirect_uri at /authorize, and then at /token (RFC 6749 §4.1.3).
func TestRedirectURIOmitted(t *testing.T) {
	e := newEnv(t, nil)
	q, verifier := e.authzQuery()
	q.Del("redirect_uri")
	loc := e.redirectOf(e.get(e.base + "/authorize?" + q.Encode()))
	if loc.Scheme+"://"+loc.Host+loc.Path != confRedirect || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %s", loc)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "code_verifier": {verifier}}
	if s, b, _ := e.post("/token", form, e.conf.ID, e.confSec); s != 200 {
		t.Errorf("exchange without redirect_uri: %d %v", s, b)
	}
}

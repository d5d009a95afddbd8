package astoken_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/oauthserver"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/astoken"
	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

const (
	testUser     = "user-1"
	testClient   = "public-client"
	testRedirect = "http://localhost/cb"
)

// clock is a settable clock for the validator.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// asEnv is a real authorization server on a sqlite store, on loopback.
type asEnv struct {
	t       *testing.T
	srv     *oauthserver.Server
	st      *sqlite.Store
	public  string // issuer: http://localhost:PORT
	base    string // dialled: http://127.0.0.1:PORT
	noRedir *http.Client
}

func newAS(t *testing.T) *asEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/as.db", sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	r := chi.NewRouter()
	ts := httptest.NewUnstartedServer(r)
	port := ts.Listener.Addr().(*net.TCPAddr).Port
	a := &asEnv{t: t, st: st, public: fmt.Sprintf("http://localhost:%d", port), base: fmt.Sprintf("http://127.0.0.1:%d", port),
		noRedir: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	srv, err := oauthserver.New(ctx, oauthserver.Config{
		PublicURL:    a.public,
		LoopbackBind: true,
		Store:        st,
		Authenticator: oauthserver.AuthenticatorFunc(func(http.ResponseWriter, *http.Request, *oauthserver.AuthorizationRequest) (*oauthserver.Subject, error) {
			return &oauthserver.Subject{ID: testUser, IdP: "test"}, nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	a.srv = srv
	srv.Mount(r)
	ts.Start()
	t.Cleanup(ts.Close)
	if err := st.CreateClient(ctx, &store.Client{
		ID: testClient, RedirectURIs: []string{testRedirect}, GrantTypes: []string{"authorization_code", "refresh_token"},
		ResponseTypes: []string{"code"}, Scopes: []string{auth.ScopeRead, auth.ScopeWrite},
		TokenEndpointAuthMethod: store.AuthMethodNone, Origin: store.OriginDCR,
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

// token runs the real authorization-code flow (x/oauth2 client, PKCE) for
// resource and returns the access token.
func (a *asEnv) token(resource string, scopes ...string) string {
	a.t.Helper()
	conf := &oauth2.Config{
		ClientID:    testClient,
		Endpoint:    oauth2.Endpoint{AuthURL: a.base + "/authorize", TokenURL: a.base + "/token", AuthStyle: oauth2.AuthStyleInParams},
		Scopes:      scopes,
		RedirectURL: "http://localhost:53123/cb",
	}
	verifier := oauth2.GenerateVerifier()
	resp, err := a.noRedir.Get(conf.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", resource)))
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		a.t.Fatalf("authorize: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := conf.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		a.t.Fatalf("exchange: %v", err)
	}
	return tok.AccessToken
}

// activeKey returns the AS's signing key from the store.
func (a *asEnv) activeKey() jose.JSONWebKey { return a.activeKeyB(a.t) }

func (a *asEnv) activeKeyB(tb testing.TB) jose.JSONWebKey {
	tb.Helper()
	rows, err := a.st.ListSigningKeys(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range rows {
		if r.Alg == "ES256" && r.Active {
			var k jose.JSONWebKey
			if err := json.Unmarshal(r.PrivateKey, &k); err != nil {
				tb.Fatal(err)
			}
			return k
		}
	}
	tb.Fatal("no active ES256 key")
	return jose.JSONWebKey{}
}

// sign makes a token with the given key, header typ and claims.
func sign(t testing.TB, key jose.JSONWebKey, typ string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithHeader("kid", key.KeyID)
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key.Key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newValidator(t *testing.T, a *asEnv, c *clock, mod func(*astoken.Config)) *astoken.Validator {
	t.Helper()
	cfg := astoken.Config{
		Issuer:      a.srv.Issuer(),
		Resources:   a.srv.Resources(),
		Keys:        astoken.ServerKeys(a.srv),
		Revocations: a.st,
		Now:         c.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	v, err := astoken.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func validate(v *astoken.Validator, path, token string) (*auth.Identity, error) {
	r := httptest.NewRequest(http.MethodPost, path, nil)
	return v.Validate(context.Background(), r, auth.Credential{Kind: auth.KindBearer, Token: token})
}

func wantRejected(t *testing.T, err error, reason string) {
	t.Helper()
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || ae.Code != "invalid_token" || !strings.Contains(ae.Reason, reason) {
		t.Errorf("err = %v, want 401 invalid_token mentioning %q", err, reason)
	}
}

// TestValidate: tokens from the real AS, and crafted ones, per resource.
func TestValidate(t *testing.T) {
	a := newAS(t)
	c := &clock{}
	v := newValidator(t, a, c, nil)
	mcp, sse := a.public+"/mcp", a.public+"/sse"
	alias := strings.Replace(mcp, "localhost", "127.0.0.1", 1)
	mcpTok := a.token(mcp, auth.ScopeRead, auth.ScopeWrite, "openid")
	readTok := a.token(mcp, auth.ScopeRead)
	sseTok := a.token(sse, auth.ScopeRead)
	aliasTok := a.token(alias, auth.ScopeRead)
	key := a.activeKey()
	now := time.Now()
	claims := func(mod func(map[string]any)) map[string]any {
		m := map[string]any{"iss": a.public, "sub": testUser, "aud": []string{mcp}, "client_id": testClient,
			"scope": "zscaler.read openid other", "grant_id": "g-crafted", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if mod != nil {
			mod(m)
		}
		return m
	}
	foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreignKey := jose.JSONWebKey{Key: foreign, KeyID: "foreign", Algorithm: "ES256"}

	for _, tc := range []struct {
		name, path, token string
		wantScopes        []string
		reject            string // reason of a 401; "" accepts
		notMine           bool
	}{
		{"flow token on /mcp", "/mcp", mcpTok, []string{auth.ScopeRead, auth.ScopeWrite}, "", false},
		{"read-only token", "/mcp", readTok, []string{auth.ScopeRead}, "", false},
		{"/sse token on /sse", "/sse", sseTok, []string{auth.ScopeRead}, "", false},
		{"/sse token on /messages/", "/messages/", sseTok, []string{auth.ScopeRead}, "", false},
		{"loopback-alias audience on /mcp", "/mcp", aliasTok, []string{auth.ScopeRead}, "", false},
		{"/sse token refused on /mcp", "/mcp", sseTok, nil, "wrong audience", false},
		{"/mcp token refused on /sse", "/sse", mcpTok, nil, "wrong audience", false},
		{"crafted at+jwt, scopes intersected", "/mcp", sign(t, key, "at+jwt", claims(nil)), []string{auth.ScopeRead}, "", false},
		{"typ JWT refused", "/mcp", sign(t, key, "JWT", claims(nil)), nil, "typ must be at+jwt", false},
		{"no typ refused", "/mcp", sign(t, key, "", claims(nil)), nil, "typ must be at+jwt", false},
		{"audience outside the resource set", "/mcp", sign(t, key, "at+jwt", claims(func(m map[string]any) { m["aud"] = "https://other.example/mcp" })), nil, "wrong audience", false},
		{"expired", "/mcp", sign(t, key, "at+jwt", claims(func(m map[string]any) { m["exp"] = now.Add(-time.Hour).Unix() })), nil, "expired", false},
		{"signed by a foreign key with our issuer", "/mcp", sign(t, foreignKey, "at+jwt", claims(nil)), nil, "unknown signing key", false},
		{"foreign issuer is not ours", "/mcp", sign(t, foreignKey, "at+jwt", claims(func(m map[string]any) { m["iss"] = "https://idp.example" })), nil, "", true},
		{"opaque bearer is not ours", "/mcp", "opaque-api-key-0123456789", nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := validate(v, tc.path, tc.token)
			switch {
			case tc.notMine:
				if !errors.Is(err, auth.ErrNotMine) {
					t.Errorf("err = %v, want ErrNotMine", err)
				}
			case tc.reject != "":
				wantRejected(t, err, tc.reject)
			case err != nil:
				t.Fatalf("Validate: %v", err)
			default:
				if id.Mode != auth.ModeOIDCProxy || id.Subject != testUser || id.ClientID != testClient || id.Issuer != a.public || !slices.Equal(id.Scopes, tc.wantScopes) {
					t.Errorf("identity %+v, want oidcproxy/%s/%s/%s scopes %v", id, testUser, testClient, a.public, tc.wantScopes)
				}
				if id.Claims["grant_id"] == nil || id.ExpiresAt.IsZero() {
					t.Errorf("claims %v lack grant_id or expiry", id.Claims)
				}
			}
		})
	}

	t.Run("identity carries idp", func(t *testing.T) {
		id, err := validate(v, "/mcp", mcpTok)
		if err != nil || id.Claims["idp"] != "test" {
			t.Fatalf("idp claim: %v %v", id, err)
		}
	})
	t.Run("basic credential is not ours", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		if _, err := v.Validate(context.Background(), r, auth.Credential{Kind: auth.KindBasic, ID: "a", Secret: "b"}); !errors.Is(err, auth.ErrNotMine) {
			t.Errorf("err = %v, want ErrNotMine", err)
		}
	})
	t.Run("token expires on the validator's clock", func(t *testing.T) {
		c.Advance(2 * time.Hour)
		defer c.Advance(-2 * time.Hour)
		_, err := validate(v, "/mcp", mcpTok)
		wantRejected(t, err, "expired")
	})
}

// TestKeyRotation: a token signed with a key rotated in after the
// validator loaded the set is accepted after exactly one reload; another
// unknown kid within the cooldown does not reload again.
func TestKeyRotation(t *testing.T) {
	a := newAS(t)
	c := &clock{}
	v := newValidator(t, a, c, nil)
	res := a.public + "/mcp"
	if _, err := validate(v, "/mcp", a.token(res, auth.ScopeRead)); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	if err := a.srv.RotateKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	newTok := a.token(res, auth.ScopeRead)
	c.Advance(astoken.DefaultRefreshCooldown + time.Second)
	before := v.Stats().JWKSFetches
	if _, err := validate(v, "/mcp", newTok); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if n := v.Stats().JWKSFetches - before; n != 1 {
		t.Errorf("key reloads = %d, want 1", n)
	}
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tok := sign(t, jose.JSONWebKey{Key: stranger, KeyID: "stranger"}, "at+jwt", map[string]any{"iss": a.public, "sub": "x", "aud": res, "exp": time.Now().Add(time.Hour).Unix()})
	_, err := validate(v, "/mcp", tok)
	wantRejected(t, err, "unknown signing key")
	if n := v.Stats().JWKSFetches - before; n != 1 {
		t.Errorf("key reloads within the cooldown = %d, want 1", n)
	}

	t.Run("store keys", func(t *testing.T) {
		sv := newValidator(t, a, c, func(cfg *astoken.Config) { cfg.Keys = astoken.StoreKeys(a.st, nil) })
		if _, err := validate(sv, "/mcp", newTok); err != nil {
			t.Fatalf("StoreKeys: %v", err)
		}
	})
}

// TestRevocation: the log (written by "another process", i.e. direct
// store calls) is seen by the poller within 1.5 s; Revoke is immediate;
// OnRevoke fires once per event.
func TestRevocation(t *testing.T) {
	a := newAS(t)
	c := &clock{}
	v := newValidator(t, a, c, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := v.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []string
	v.OnRevoke(func(kind, value string) {
		mu.Lock()
		events = append(events, kind+":"+value)
		mu.Unlock()
	})
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(events)
	}
	go v.Run(ctx)
	res := a.public + "/mcp"
	grantOf := func(tok string) string {
		id, err := validate(v, "/mcp", tok)
		if err != nil {
			t.Fatalf("fresh token refused: %v", err)
		}
		return id.Claims["grant_id"].(string)
	}
	waitRevoked := func(t *testing.T, tok string) {
		t.Helper()
		deadline := time.Now().Add(1500 * time.Millisecond)
		for {
			_, err := validate(v, "/mcp", tok)
			if err != nil {
				wantRejected(t, err, "token revoked")
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("token still accepted 1.5 s after the revocation was logged")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	t.Run("grant revoked in the store", func(t *testing.T) {
		tok := a.token(res, auth.ScopeRead)
		g := grantOf(tok)
		if err := a.st.RevokeGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		waitRevoked(t, tok)
		if !slices.Contains(seen(), "grant:"+g) {
			t.Errorf("OnRevoke events %v lack grant:%s", seen(), g)
		}
	})
	t.Run("client deleted in the store", func(t *testing.T) {
		tok := a.token(res, auth.ScopeRead)
		grantOf(tok)
		other := &store.Client{ID: "other", RedirectURIs: []string{testRedirect}, TokenEndpointAuthMethod: store.AuthMethodNone, Origin: store.OriginDCR}
		if err := a.st.CreateClient(ctx, other); err != nil {
			t.Fatal(err)
		}
		if err := a.st.DeleteClient(ctx, testClient); err != nil {
			t.Fatal(err)
		}
		waitRevoked(t, tok)
		if !slices.Contains(seen(), "client:"+testClient) {
			t.Errorf("OnRevoke events %v lack client:%s", seen(), testClient)
		}
	})
	t.Run("direct Revoke is immediate and fires once", func(t *testing.T) {
		if err := a.st.CreateClient(ctx, &store.Client{
			ID: testClient, RedirectURIs: []string{testRedirect}, Scopes: []string{auth.ScopeRead},
			TokenEndpointAuthMethod: store.AuthMethodNone, Origin: store.OriginDCR,
		}); err != nil {
			t.Fatal(err)
		}
		// The re-created client's new tokens are not caught by the earlier
		// client revocation (it covers tokens issued up to then only).
		time.Sleep(1100 * time.Millisecond) // iat has second precision
		tok := a.token(res, auth.ScopeRead)
		g := grantOf(tok)
		v.Revoke(store.RevocationGrant, g)
		_, err := validate(v, "/mcp", tok)
		wantRejected(t, err, "token revoked")
		// The AS also logs it; the poller must not fire the hook again.
		if err := a.st.RevokeGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		n := 0
		for _, e := range seen() {
			if e == "grant:"+g {
				n++
			}
		}
		if n != 1 {
			t.Errorf("OnRevoke fired %d times for grant %s, want 1", n, g)
		}
	})
	t.Run("subject revoked", func(t *testing.T) {
		tok := a.token(res, auth.ScopeRead)
		grantOf(tok)
		if _, err := a.st.AppendRevocation(ctx, store.RevocationSubject, testUser); err != nil {
			t.Fatal(err)
		}
		waitRevoked(t, tok)
	})
}

// TestConfig: required fields.
func TestConfig(t *testing.T) {
	keys := func(context.Context) (jose.JSONWebKeySet, error) { return jose.JSONWebKeySet{}, nil }
	for _, c := range []struct {
		name string
		cfg  astoken.Config
	}{
		{"no issuer", astoken.Config{Resources: []string{"http://localhost/mcp"}, Keys: keys}},
		{"no keys", astoken.Config{Issuer: "http://localhost", Resources: []string{"http://localhost/mcp"}}},
		{"no resources", astoken.Config{Issuer: "http://localhost", Keys: keys}},
		{"relative resource", astoken.Config{Issuer: "http://localhost", Resources: []string{"/mcp"}, Keys: keys}},
	} {
		if _, err := astoken.New(c.cfg); err == nil {
			t.Errorf("%s: New succeeded", c.name)
		}
	}
}

// BenchmarkValidate: a valid token already verified once (the
// per-request cost on /mcp: header peek, cache hit, audience, revocation,
// identity).
func BenchmarkValidate(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir()+"/as.db", sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := oauthserver.New(ctx, oauthserver.Config{PublicURL: "http://localhost:8000", LoopbackBind: true, Store: st,
		Authenticator: oauthserver.AuthenticatorFunc(func(http.ResponseWriter, *http.Request, *oauthserver.AuthorizationRequest) (*oauthserver.Subject, error) {
			return nil, nil
		})})
	if err != nil {
		b.Fatal(err)
	}
	v, err := astoken.New(astoken.Config{Issuer: srv.Issuer(), Resources: srv.Resources(), Keys: astoken.ServerKeys(srv)})
	if err != nil {
		b.Fatal(err)
	}
	a := &asEnv{st: st}
	key := a.activeKeyB(b)
	now := time.Now()
	tok := sign(b, key, "at+jwt", map[string]any{"iss": srv.Issuer(), "sub": testUser, "aud": "http://localhost:8000/mcp",
		"client_id": testClient, "scope": "zscaler.read zscaler.write", "grant_id": "g", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	cred := auth.Credential{Kind: auth.KindBearer, Token: tok}
	if _, err := v.Validate(ctx, r, cred); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Validate(ctx, r, cred); err != nil {
			b.Fatal(err)
		}
	}
}

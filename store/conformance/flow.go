package conformance

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"

	"github.com/zscalermcp/zscaler-mcp/store"
)

const testIssuer = "https://as.example.com"

// flowEnv is a real fosite provider composed on the store under test, with
// the handlers our AS uses.
type flowEnv struct {
	t        *testing.T
	s        store.Store
	provider fosite.OAuth2Provider
	strategy oauth2.CoreStrategy
	client   *store.Client
	secret   string
	jwt      bool
}

func newFlowEnv(t *testing.T, s store.Store, jwtAccessTokens bool) *flowEnv {
	t.Helper()
	cfg := &fosite.Config{
		AccessTokenLifespan:        time.Hour,
		RefreshTokenLifespan:       30 * 24 * time.Hour,
		AuthorizeCodeLifespan:      10 * time.Minute,
		GlobalSecret:               []byte(randID(t)), // 32 bytes
		EnforcePKCE:                true,
		RefreshTokenScopes:         []string{}, // no offline_access needed
		AudienceMatchingStrategy:   fosite.ExactAudienceMatchingStrategy,
		ScopeStrategy:              fosite.ExactScopeStrategy,
		ClientSecretsHasher:        store.SHA256Hasher{},
		AccessTokenIssuer:          testIssuer,
		SendDebugMessagesToClients: true,
	}
	var strategy oauth2.CoreStrategy = compose.NewOAuth2HMACStrategy(cfg)
	if jwtAccessTokens {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		strategy = compose.NewOAuth2JWTStrategy(func(context.Context) (any, error) { return key, nil }, strategy, cfg)
	}
	e := &flowEnv{t: t, s: s, strategy: strategy, secret: "secret-" + randID(t), jwt: jwtAccessTokens}
	e.client = newClient(t, s, "flow-client-"+randID(t), e.secret)
	// Compose type-asserts the store to every storage interface the
	// factories need; a missing method panics here.
	e.provider = compose.Compose(cfg, s, &compose.CommonStrategy{CoreStrategy: strategy},
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2PKCEFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
	)
	return e
}

// authorize runs /authorize for the user and returns the code, the PKCE
// verifier and the grant (request) id.
func (e *flowEnv) authorize(grantExpiry time.Time) (code, verifier, grantID string) {
	t := e.t
	t.Helper()
	ctx := context.Background()
	verifier = randID(t) + randID(t)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {e.client.ID},
		"redirect_uri":          {testRedirect},
		"scope":                 {"zscaler.read"},
		"state":                 {"state-" + randID(t)},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		"audience":              {testResource},
	}
	r := httptest.NewRequest(http.MethodGet, testIssuer+"/authorize?"+q.Encode(), nil)
	ar, err := e.provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		t.Fatalf("NewAuthorizeRequest: %v", err)
	}
	ar.GrantScope("zscaler.read")
	ar.GrantAudience(testResource)
	sess := &store.Session{Subject: "pat", ClientID: e.client.ID, GrantID: ar.GetID(), IdP: "dev", GrantExpiresAt: grantExpiry}
	resp, err := e.provider.NewAuthorizeResponse(ctx, ar, sess)
	if err != nil {
		t.Fatalf("NewAuthorizeResponse: %v", err)
	}
	code = resp.GetParameters().Get("code")
	if code == "" {
		t.Fatalf("no code in the authorize response: %v", resp.GetParameters())
	}
	return code, verifier, ar.GetID()
}

type tokens struct{ access, refresh string }

func (e *flowEnv) token(form url.Values) (tokens, error) {
	ctx := context.Background()
	r := httptest.NewRequest(http.MethodPost, testIssuer+"/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(url.QueryEscape(e.client.ID), url.QueryEscape(e.secret))
	ar, err := e.provider.NewAccessRequest(ctx, r, &store.Session{})
	if err != nil {
		return tokens{}, err
	}
	resp, err := e.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		return tokens{}, err
	}
	rt, _ := resp.GetExtra("refresh_token").(string)
	return tokens{access: resp.GetAccessToken(), refresh: rt}, nil
}

func (e *flowEnv) exchange(code, verifier string) (tokens, error) {
	return e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}, "code_verifier": {verifier}})
}

func (e *flowEnv) refresh(rt string) (tokens, error) {
	return e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

func (e *flowEnv) mustExchange(code, verifier string) tokens {
	e.t.Helper()
	tok, err := e.exchange(code, verifier)
	if err != nil {
		e.t.Fatalf("code exchange: %v", describe(err))
	}
	if tok.access == "" || tok.refresh == "" {
		e.t.Fatalf("code exchange returned %+v, want an access and a refresh token", tok)
	}
	return tok
}

// introspect reports whether the token is active and, if so, its session.
func (e *flowEnv) introspect(token string) (*store.Session, bool) {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodPost, testIssuer+"/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(url.QueryEscape(e.client.ID), url.QueryEscape(e.secret))
	ir, err := e.provider.NewIntrospectionRequest(context.Background(), r, &store.Session{})
	if err != nil {
		if !errors.Is(err, fosite.ErrInactiveToken) {
			e.t.Fatalf("introspection: %v", describe(err))
		}
		return nil, false
	}
	sess, ok := ir.GetAccessRequester().GetSession().(*store.Session)
	if !ok {
		e.t.Fatalf("introspected session is %T", ir.GetAccessRequester().GetSession())
	}
	return sess, ir.IsActive()
}

func (e *flowEnv) revoke(token string) error {
	r := httptest.NewRequest(http.MethodPost, testIssuer+"/revoke", strings.NewReader(url.Values{"token": {token}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(url.QueryEscape(e.client.ID), url.QueryEscape(e.secret))
	return e.provider.NewRevocationRequest(context.Background(), r)
}

// describe renders a fosite error with its hint and debug text.
func describe(err error) string {
	if err == nil {
		return "<nil>"
	}
	rfc := fosite.ErrorToRFC6749Error(err)
	return rfc.ErrorField + " (" + strconv.Itoa(rfc.StatusCode()) + "): " + rfc.GetDescription() + " / " + rfc.Debug() + " / " + err.Error()
}

// jwtParts decodes a JWS compact token's header and claims (the signature
// is checked by introspection, which validates the token).
func jwtParts(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a JWS", token)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("decode JWT part %d: %v", i, err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatalf("decode JWT part %d: %v", i, err)
		}
	}
	return header, claims
}

func testFositeFlow(t *testing.T, s store.Store) {
	for _, strategy := range []struct {
		name string
		jwt  bool
	}{
		{"HMAC access tokens", false},
		{"JWT access tokens", true},
	} {
		t.Run(strategy.name, func(t *testing.T) {
			t.Parallel()
			e := newFlowEnv(t, s, strategy.jwt)
			farFuture := time.Now().Add(90 * 24 * time.Hour)

			t.Run("code+PKCE, refresh, refresh-token reuse revokes the family", func(t *testing.T) {
				e.t = t
				code, verifier, grantID := e.authorize(farFuture)
				tok1 := e.mustExchange(code, verifier)
				sess, active := e.introspect(tok1.access)
				if !active || sess.Subject != "pat" || sess.GrantID != grantID || sess.ClientID != e.client.ID {
					t.Fatalf("introspect AT1: active=%v session=%+v", active, sess)
				}
				if e.jwt {
					checkAccessJWT(t, tok1.access, e.client.ID, grantID, farFuture)
				}

				tok2, err := e.refresh(tok1.refresh)
				if err != nil {
					t.Fatalf("refresh: %s", describe(err))
				}
				if tok2.refresh == tok1.refresh || tok2.access == tok1.access {
					t.Fatal("refresh did not issue new tokens")
				}
				if _, active := e.introspect(tok1.access); active {
					t.Error("AT1 still active after refresh")
				}
				if sess, active := e.introspect(tok2.access); !active || sess.GrantID != grantID {
					t.Errorf("introspect AT2: active=%v session=%+v, want grant %s", active, sess, grantID)
				}
				if e.jwt {
					_, c1 := jwtParts(t, tok1.access)
					c2 := checkAccessJWT(t, tok2.access, e.client.ID, grantID, farFuture)
					if c1["jti"] == c2["jti"] {
						t.Error("refreshed access token reuses the jti")
					}
				}
				old := e.strategy.RefreshTokenSignature(context.Background(), tok1.refresh)
				st, err := e.s.RefreshTokenStatus(context.Background(), old)
				mustOK(t, "RefreshTokenStatus", err)
				if st.Active || st.ReplacedBy != e.strategy.RefreshTokenSignature(context.Background(), tok2.refresh) {
					t.Errorf("RT1 status = %+v, want rotated and replaced by RT2", st)
				}

				_, seq, err := e.s.RevocationsSince(context.Background(), 0)
				mustOK(t, "RevocationsSince", err)
				// Reuse of RT1: invalid_grant, and the whole family dies.
				if _, err := e.refresh(tok1.refresh); !errors.Is(err, fosite.ErrInvalidGrant) || !errors.Is(err, fosite.ErrInactiveToken) {
					t.Fatalf("reuse RT1: %s, want invalid_grant caused by ErrInactiveToken", describe(err))
				}
				if _, err := e.refresh(tok2.refresh); !errors.Is(err, fosite.ErrInvalidGrant) {
					t.Errorf("refresh with RT2 after reuse: %s, want invalid_grant", describe(err))
				}
				if _, active := e.introspect(tok2.access); active {
					t.Error("AT2 still active after reuse detection")
				}
				revs, _, err := e.s.RevocationsSince(context.Background(), seq)
				mustOK(t, "RevocationsSince", err)
				logged := 0 // (the other strategy's subtests share the store)
				for _, r := range revs {
					if r.Value == grantID && r.Kind == store.RevocationGrant {
						logged++
					}
				}
				if logged != 1 {
					t.Errorf("revocation log after reuse = %+v, want the grant %s once", revs, grantID)
				}
			})

			t.Run("code replay revokes what the first redemption issued", func(t *testing.T) {
				e.t = t
				code, verifier, _ := e.authorize(farFuture)
				tok := e.mustExchange(code, verifier)
				if _, err := e.exchange(code, verifier); !errors.Is(err, fosite.ErrInvalidGrant) {
					t.Fatalf("replayed code: %s, want invalid_grant", describe(err))
				}
				if _, active := e.introspect(tok.access); active {
					t.Error("access token of a replayed code still active")
				}
				if _, err := e.refresh(tok.refresh); !errors.Is(err, fosite.ErrInvalidGrant) {
					t.Errorf("refresh token of a replayed code: %s, want invalid_grant", describe(err))
				}
			})

			t.Run("wrong PKCE verifier", func(t *testing.T) {
				e.t = t
				code, _, _ := e.authorize(farFuture)
				if _, err := e.exchange(code, strings.Repeat("a", 64)); !errors.Is(err, fosite.ErrInvalidGrant) {
					t.Errorf("wrong verifier: %s, want invalid_grant", describe(err))
				}
			})

			t.Run("revocation endpoint revokes the grant", func(t *testing.T) {
				e.t = t
				code, verifier, _ := e.authorize(farFuture)
				tok := e.mustExchange(code, verifier)
				if err := e.revoke(tok.refresh); err != nil {
					t.Fatalf("revoke: %s", describe(err))
				}
				if _, active := e.introspect(tok.access); active {
					t.Error("access token still active after its refresh token was revoked")
				}
				if _, err := e.refresh(tok.refresh); !errors.Is(err, fosite.ErrInvalidGrant) {
					t.Errorf("refresh after revocation: %s, want invalid_grant", describe(err))
				}
				if err := e.revoke(tok.refresh); err != nil {
					t.Errorf("revoking again: %s, want success (RFC 7009 §2.2)", describe(err))
				}
			})

			t.Run("concurrent exchanges of one code: one winner", func(t *testing.T) {
				e.t = t
				code, verifier, _ := e.authorize(farFuture)
				errs := race(16, func(int) error { _, err := e.exchange(code, verifier); return err })
				winners, statuses := 0, map[string]int{}
				for _, err := range errs {
					if err == nil {
						winners++
						continue
					}
					statuses[fosite.ErrorToRFC6749Error(err).ErrorField+"/"+strconv.Itoa(fosite.ErrorToRFC6749Error(err).StatusCode())]++
					// A loser that read the code after the winner committed
					// gets invalid_grant (and revokes the winner's tokens, as
					// for any replay). One that read it before fails later,
					// when the code is read again or invalidated: fosite
					// v0.49.0 reports that as server_error wrapping
					// ErrInvalidatedAuthorizeCode or ErrSerializationFailure,
					// which the AS maps to invalid_grant (store.IsConcurrentUse).
					if !errors.Is(err, fosite.ErrInvalidGrant) && !store.IsConcurrentUse(err) {
						t.Errorf("loser: %s, want invalid_grant or a concurrent-use error", describe(err))
					}
				}
				if winners != 1 {
					t.Errorf("%d exchanges of one code succeeded, want 1", winners)
				}
				t.Logf("losers by error/status: %v", statuses)
			})

			t.Run("concurrent refreshes of one token: one winner", func(t *testing.T) {
				e.t = t
				code, verifier, _ := e.authorize(farFuture)
				tok := e.mustExchange(code, verifier)
				errs := race(16, func(int) error { _, err := e.refresh(tok.refresh); return err })
				winners, statuses := 0, map[string]int{}
				for _, err := range errs {
					if err == nil {
						winners++
						continue
					}
					statuses[fosite.ErrorToRFC6749Error(err).ErrorField+"/"+strconv.Itoa(fosite.ErrorToRFC6749Error(err).StatusCode())]++
					// Losers either lost the rotation (invalid_request,
					// "retry") or read the token after it was rotated (reuse:
					// invalid_grant, family revoked). Never a server error.
					if rfc := fosite.ErrorToRFC6749Error(err); rfc.StatusCode() >= 500 {
						t.Errorf("loser got a server error: %s", describe(err))
					}
				}
				if winners != 1 {
					t.Errorf("%d refreshes of one token succeeded, want 1", winners)
				}
				t.Logf("losers by error/status: %v", statuses)
			})

			t.Run("refreshing never extends the grant", func(t *testing.T) {
				e.t = t
				end := time.Now().Add(1500 * time.Millisecond)
				code, verifier, grantID := e.authorize(end)
				tok := e.mustExchange(code, verifier)
				if e.jwt {
					checkAccessJWT(t, tok.access, e.client.ID, grantID, end)
				}
				g, err := e.s.GetGrant(context.Background(), grantID)
				mustOK(t, "GetGrant", err)
				if !g.ExpiresAt.Equal(end.UTC().Truncate(time.Millisecond)) {
					t.Errorf("grant expiry = %v, want %v", g.ExpiresAt, end)
				}
				time.Sleep(time.Until(end) + 100*time.Millisecond)
				if _, err := e.refresh(tok.refresh); !errors.Is(err, fosite.ErrInvalidGrant) {
					t.Errorf("refresh after the grant's end: %s, want invalid_grant", describe(err))
				}
			})
		})
	}
}

// checkAccessJWT checks the RFC 9068 shape of an access token and returns
// its claims.
func checkAccessJWT(t *testing.T, token, clientID, grantID string, notAfter time.Time) map[string]any {
	t.Helper()
	h, c := jwtParts(t, token)
	if h["typ"] != store.AccessTokenType || h["alg"] != "ES256" {
		t.Errorf("JWT header = %v, want typ at+jwt, alg ES256", h)
	}
	aud, _ := c["aud"].([]any)
	if c["iss"] != testIssuer || c["sub"] != "pat" || c[store.ClaimClientID] != clientID ||
		c[store.ClaimGrantID] != grantID || c["scope"] != "zscaler.read" || c["idp"] != "dev" ||
		len(aud) != 1 || aud[0] != testResource || c["jti"] == "" || c["scp"] != nil {
		t.Errorf("JWT claims = %v", c)
	}
	exp, _ := c["exp"].(float64)
	iat, _ := c["iat"].(float64)
	if exp == 0 || iat == 0 || time.Unix(int64(exp), 0).After(notAfter) {
		t.Errorf("JWT exp = %v, iat = %v, want exp ≤ %v", exp, iat, notAfter)
	}
	return c
}

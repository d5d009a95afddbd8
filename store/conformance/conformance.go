// Package conformance is the test suite every store backend must pass, in
// the style of dex's storage/conformance: a backend's own test file calls
//
//	conformance.Run(t, func(t *testing.T) store.Store { ... })
//
// with a constructor that returns a fresh, empty store and registers its
// cleanup with t.Cleanup.
//
// The suite checks every method's happy path and not-found case, the fosite
// v0.49.0 storage contracts (invalidated codes, refresh rotation and reuse,
// revocation by request id, transactions), concurrency (one winner among
// many redeemers of one code or one refresh token; no lost registrations;
// a revocation-log poller that never misses an entry), and finally drives a
// real fosite provider composed on the store through authorization code +
// PKCE, refresh, refresh-token reuse, code replay, revocation and
// introspection.
package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// Run runs the whole suite. Subtests run in parallel, each on its own store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"ClientManager", testClientManager},
		{"AuthorizeCode", testAuthorizeCode},
		{"PKCE", testPKCE},
		{"AccessToken", testAccessToken},
		{"RefreshToken", testRefreshToken},
		{"RefreshRotation", testRefreshRotation},
		{"RevokeByRequestID", testRevokeByRequestID},
		{"RequestSerialization", testRequestSerialization},
		{"Transactions", testTransactions},
		{"Clients", testClients},
		{"StaleClients", testStaleClients},
		{"Grants", testGrants},
		{"Consents", testConsents},
		{"SigningKeys", testSigningKeys},
		{"RevocationLog", testRevocationLog},
		{"Audit", testAudit},
		{"GC", testGC},
		{"ConcurrentCodeRedemption", testConcurrentCodeRedemption},
		{"ConcurrentRefreshRotation", testConcurrentRefreshRotation},
		{"ConcurrentRegistrations", testConcurrentRegistrations},
		{"ConcurrentRevocationLog", testConcurrentRevocationLog},
		{"FositeFlow", testFositeFlow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}

// ---- helpers shared by the tests --------------------------------------------

const (
	testResource = "https://mcp.example.com/mcp"
	testRedirect = "https://client.example.com/callback"
)

func randID(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newClient stores a confidential client with the given id and secret
// (secret may be empty for a public client).
func newClient(t testing.TB, s store.Store, id, secret string) *store.Client {
	t.Helper()
	c := &store.Client{
		ID:                      id,
		RedirectURIs:            []string{testRedirect},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scopes:                  []string{"zscaler.read", "zscaler.write"},
		Audience:                []string{testResource},
		TokenEndpointAuthMethod: store.AuthMethodClientSecretBasic,
		Name:                    "Test client " + id,
		Origin:                  store.OriginDCR,
	}
	if secret == "" {
		c.TokenEndpointAuthMethod = store.AuthMethodNone
	} else {
		c.SecretHash = store.HashSecret(secret)
	}
	if err := s.CreateClient(context.Background(), c); err != nil {
		t.Fatalf("CreateClient(%s): %v", id, err)
	}
	return c
}

// newRequest returns a request of client for subject, as fosite would store
// it after an authorize request with PKCE.
func newRequest(t testing.TB, client fosite.Client, subject string) *fosite.Request {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	id := randID(t)
	r := &fosite.Request{
		ID:                id,
		RequestedAt:       now,
		Client:            client,
		RequestedScope:    fosite.Arguments{"zscaler.read", "openid"},
		GrantedScope:      fosite.Arguments{"zscaler.read"},
		RequestedAudience: fosite.Arguments{testResource},
		GrantedAudience:   fosite.Arguments{testResource},
		Form: url.Values{
			"redirect_uri":          {testRedirect},
			"code_challenge":        {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
			"code_challenge_method": {"S256"},
			"client_secret":         {"must-not-be-stored"},
		},
		Session: &store.Session{
			Subject:  subject,
			Username: subject + "@example.com",
			ClientID: client.GetID(),
			GrantID:  id,
			IdP:      "dev",
			Extra:    map[string]any{"email": subject + "@example.com"},
			ExpiresAt: map[fosite.TokenType]time.Time{
				fosite.AuthorizeCode: now.Add(10 * time.Minute),
				fosite.AccessToken:   now.Add(time.Hour),
				fosite.RefreshToken:  now.Add(30 * 24 * time.Hour),
			},
			GrantExpiresAt: now.Add(90 * 24 * time.Hour),
		},
	}
	return r
}

// withExpiry returns a copy of r whose session expiries (all token types)
// are exp.
func withExpiry(r *fosite.Request, exp time.Time) *fosite.Request {
	c := *r
	sess := r.Session.(*store.Session).Clone().(*store.Session)
	sess.GrantExpiresAt = time.Time{}
	for _, tt := range []fosite.TokenType{fosite.AuthorizeCode, fosite.AccessToken, fosite.RefreshToken} {
		sess.SetExpiresAt(tt, exp)
	}
	c.Session = sess
	return &c
}

// mustNotFound fails unless err matches both store.ErrNotFound and
// fosite.ErrNotFound.
func mustNotFound(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) || !errors.Is(err, fosite.ErrNotFound) {
		t.Fatalf("%s: err = %v, want store.ErrNotFound and fosite.ErrNotFound", what, err)
	}
}

func mustOK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// checkRequest compares a loaded request with the stored one.
func checkRequest(t testing.TB, what string, got fosite.Requester, want *fosite.Request) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil request", what)
	}
	if got.GetID() != want.GetID() {
		t.Errorf("%s: id = %q, want %q", what, got.GetID(), want.GetID())
	}
	if got.GetClient() == nil || got.GetClient().GetID() != want.GetClient().GetID() {
		t.Errorf("%s: client = %v, want %q", what, got.GetClient(), want.GetClient().GetID())
	}
	if !got.GetRequestedAt().Equal(want.GetRequestedAt()) {
		t.Errorf("%s: requested at = %v, want %v", what, got.GetRequestedAt(), want.GetRequestedAt())
	}
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"requested scopes", got.GetRequestedScopes(), want.GetRequestedScopes()},
		{"granted scopes", got.GetGrantedScopes(), want.GetGrantedScopes()},
		{"requested audience", got.GetRequestedAudience(), want.GetRequestedAudience()},
		{"granted audience", got.GetGrantedAudience(), want.GetGrantedAudience()},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %s = %v, want %v", what, c.name, c.got, c.want)
		}
	}
	if g, w := got.GetRequestForm().Get("redirect_uri"), want.GetRequestForm().Get("redirect_uri"); g != w {
		t.Errorf("%s: form redirect_uri = %q, want %q", what, g, w)
	}
	if v := got.GetRequestForm().Get("client_secret"); v != "" {
		t.Errorf("%s: client_secret was stored with the request", what)
	}
	if got.GetSession() == nil || got.GetSession().GetSubject() != want.GetSession().GetSubject() {
		t.Errorf("%s: session subject = %v, want %q", what, got.GetSession(), want.GetSession().GetSubject())
	}
}

package oauthserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/idp"
	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
	"github.com/zscalermcp/zscaler-mcp/store"
)

// The reload tests drive LoginAuthenticator.SetProviders (what a SIGHUP
// reload calls) against the real login environment of login_test.go: the
// sqlite store, a zitadel OP as "corp" and the dev IdP.

// corpConfig is the env's corp entry with policy p.
func (e *loginEnv) corpConfig(p idp.Policy) idp.Config {
	return idp.Config{ID: "corp", Type: idp.TypeOIDC, Name: "Sign in with Corp", Issuer: e.op.Issuer,
		ClientID: upstreamClientID, ClientSecret: upstreamSecret, Policy: p}
}

// swap opens cfgs and makes them the authenticator's providers.
func (e *loginEnv) swap(cfgs ...idp.Config) {
	e.t.Helper()
	set, err := idp.NewRegistry().OpenAll(context.Background(), cfgs, idp.Options{RedirectURI: e.base + "/auth/callback",
		HTTPClient: e.op.Client(), LoopbackBind: true, DiscoveryTimeout: 5 * time.Second})
	if err != nil {
		e.t.Fatalf("OpenAll: %v", err)
	}
	if err := e.login.SetProviders(set); err != nil {
		e.t.Fatalf("SetProviders: %v", err)
	}
}

// loginAs runs a whole login through idpID (dev: as username/email/groups)
// and returns the tokens.
func (e *loginEnv) loginAs(idpID, username, email, groups string) *oauth2.Token {
	e.t.Helper()
	b := e.newBrowser()
	p, verifier := e.start(b, idpID, nil, ScopeRead)
	if idpID == "dev" {
		f := hidden(e.t, p.body)
		f.Set("username", username)
		f.Set("email", email)
		f.Set("groups", groups)
		f.Set("action", "signin")
		r := b.post(p.url.String(), f)
		if r.resp.StatusCode != http.StatusSeeOther {
			e.t.Fatalf("dev form POST: %d %s", r.resp.StatusCode, r.body)
		}
		p = b.follow(r.location().String(), nil)
	}
	tok, err := e.oauthConfig().Exchange(context.Background(), e.codeOf(b.consent(p, "approve")), oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatalf("Exchange: %v", err)
	}
	return tok
}

// tryRefresh refreshes tok; it returns the new token or the token
// endpoint's error.
func (e *loginEnv) tryRefresh(tok *oauth2.Token) (*oauth2.Token, error) {
	t := *tok
	t.Expiry = time.Now().Add(-time.Minute)
	return e.oauthConfig().TokenSource(context.Background(), &t).Token()
}

func wantInvalidGrant(t *testing.T, what string, err error) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("%s: %v, want invalid_grant", what, err)
	}
}

// TestReloadRefreshPolicy: after a reload that changes an IdP's policy, the
// next refresh re-runs the whole new policy on the identity kept from the
// login: a user it refuses gets invalid_grant (and the grant is revoked),
// one it admits refreshes. Removing the IdP refuses every refresh of its
// users; another IdP's users are unaffected.
func TestReloadRefreshPolicy(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{})
	bob := idptest.User{ID: "u-bob", Username: "bob", Password: "bob-pw", Email: "bob@other.example", EmailVerified: true,
		Name: "Bob", Groups: []string{"ops"}}
	e.op.AddUser(bob)
	devCfg := idp.Config{ID: "dev", Type: idp.TypeDev, Name: "Dev sign-in"}

	aliceTok := e.loginAs("corp", "", "", "") // alice@example.com, no groups
	e.op.SetAutoLogin("bob")
	bobTok := e.loginAs("corp", "", "", "") // bob@other.example, group ops
	daveTok := e.loginAs("dev", "dave", "dave@dev.example", "admins")

	// Only what the login kept is in the grant; none of it is in the token.
	for name, tok := range map[string]*oauth2.Token{"alice": aliceTok, "bob": bobTok, "dave": daveTok} {
		c := e.claims(tok)
		for _, k := range []string{"email", "email_verified", "groups", "upstream"} {
			if _, ok := c[k]; ok {
				t.Errorf("%s's access token carries %q: %v", name, k, c)
			}
		}
	}

	steps := []struct {
		name     string
		cfgs     []idp.Config
		admitted map[string]bool // user → refresh must work
	}{
		{"domain rule admits bob's domain only", []idp.Config{e.corpConfig(idp.Policy{AllowedEmailDomains: []string{"other.example"}}), devCfg},
			map[string]bool{"alice": false, "bob": true, "dave": true}},
		{"group rule refuses dave", []idp.Config{e.corpConfig(idp.Policy{}), {ID: "dev", Type: idp.TypeDev, Policy: idp.Policy{AllowedGroups: []string{"ops"}}}},
			map[string]bool{"bob": true, "dave": false}},
		{"corp removed", []idp.Config{devCfg},
			map[string]bool{"bob": false}},
	}
	toks := map[string]*oauth2.Token{"alice": aliceTok, "bob": bobTok, "dave": daveTok}
	for _, s := range steps {
		e.swap(s.cfgs...)
		for user, ok := range s.admitted {
			nt, err := e.tryRefresh(toks[user])
			if ok {
				if err != nil {
					t.Fatalf("%s: %s's refresh: %v", s.name, user, err)
				}
				toks[user] = nt
				continue
			}
			wantInvalidGrant(t, s.name+": "+user+"'s refresh", err)
			var re *oauth2.RetrieveError
			errors.As(err, &re)
			if !strings.Contains(re.ErrorDescription, "no longer allowed") {
				t.Errorf("%s: description %q does not say why", s.name, re.ErrorDescription)
			}
			// The grant is revoked: nothing of it is left.
			grantID, _ := e.claims(toks[user])["grant_id"].(string)
			if _, err := e.st.GetGrant(context.Background(), grantID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: %s's grant after the refusal: %v, want revoked", s.name, user, err)
			}
			delete(toks, user)
		}
	}
}

// TestRefreshPolicyRules: RefreshPolicy on stored sessions, against the
// current policy, with and without the kept upstream identity.
func TestRefreshPolicyRules(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{single: true})
	yes, no := true, false
	full := &store.UpstreamIdentity{Email: "alice@example.com", EmailVerified: &yes, Groups: []string{"eng"}}
	rows := []struct {
		name     string
		policy   idp.Policy
		upstream *store.UpstreamIdentity
		sub      string
		wantRule string // "" = admitted
	}{
		{name: "empty policy", upstream: full, sub: "corp|u-alice"},
		{name: "domain admitted", policy: idp.Policy{AllowedEmailDomains: []string{"EXAMPLE.com"}}, upstream: full, sub: "corp|u-alice"},
		{name: "domain refused", policy: idp.Policy{AllowedEmailDomains: []string{"corp.example"}}, upstream: full, sub: "corp|u-alice", wantRule: "allowed_email_domains"},
		{name: "group admitted", policy: idp.Policy{AllowedGroups: []string{"ops", "eng"}}, upstream: full, sub: "corp|u-alice"},
		{name: "group refused", policy: idp.Policy{AllowedGroups: []string{"ops"}}, upstream: full, sub: "corp|u-alice", wantRule: "allowed_groups"},
		{name: "unverified email refused", upstream: &store.UpstreamIdentity{Email: "alice@example.com", EmailVerified: &no}, sub: "corp|u-alice", wantRule: "require_verified_email"},
		{name: "verification unknown refused", upstream: &store.UpstreamIdentity{Email: "alice@example.com"}, sub: "corp|u-alice", wantRule: "require_verified_email"},
		{name: "verification not required", policy: idp.Policy{RequireVerifiedEmail: &no}, upstream: &store.UpstreamIdentity{Email: "alice@example.com"}, sub: "corp|u-alice"},
		{name: "subject refused", policy: idp.Policy{AllowedSubjects: []string{"u-bob"}}, upstream: full, sub: "corp|u-alice", wantRule: "allowed_subjects"},
		// A grant stored before sessions kept the identity: only the
		// subject can be re-checked.
		{name: "old grant, domain rule", policy: idp.Policy{AllowedEmailDomains: []string{"corp.example"}}, sub: "corp|u-alice"},
		{name: "old grant, group rule", policy: idp.Policy{AllowedGroups: []string{"ops"}}, sub: "corp|u-alice"},
		{name: "old grant, subject admitted", policy: idp.Policy{AllowedSubjects: []string{"u-alice"}}, sub: "corp|u-alice"},
		{name: "old grant, subject refused", policy: idp.Policy{AllowedSubjects: []string{"u-bob"}}, sub: "corp|u-alice", wantRule: "allowed_subjects"},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			e.swap(e.corpConfig(tc.policy))
			err := e.login.RefreshPolicy(context.Background(), &store.Session{Subject: tc.sub, IdP: "corp", Upstream: tc.upstream})
			var pe *idp.PolicyError
			switch {
			case tc.wantRule == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.wantRule != "" && (!errors.As(err, &pe) || pe.Rule != tc.wantRule):
				t.Errorf("RefreshPolicy = %v, want a refusal by %s", err, tc.wantRule)
			}
		})
	}
}

// TestReloadOldGrantRefreshes: a grant whose stored session has no upstream
// identity (issued before this version) still refreshes, through /token.
func TestReloadOldGrantRefreshes(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{single: true})
	tok := e.loginAs("corp", "", "", "")
	// Rewrite the stored refresh-token session as an older binary wrote it.
	sig := e.srv.strategy.RefreshTokenSignature(context.Background(), tok.RefreshToken)
	n := stripUpstream(t, e, sig)
	if n != 1 {
		t.Fatalf("rewrote %d rows", n)
	}
	e.swap(e.corpConfig(idp.Policy{AllowedEmailDomains: []string{"corp.example"}, AllowedSubjects: []string{"u-alice"}}))
	nt, err := e.tryRefresh(tok)
	if err != nil {
		t.Fatalf("refresh of a grant without a stored identity: %v", err)
	}
	// Its next session is still the old one's (fosite copies it): the
	// subject rule keeps applying.
	e.swap(e.corpConfig(idp.Policy{AllowedSubjects: []string{"u-bob"}}))
	_, err = e.tryRefresh(nt)
	wantInvalidGrant(t, "old grant refused by allowed_subjects", err)
}

// TestReloadLoginInFlight: logins that were running when SetProviders
// swapped the set.
func TestReloadLoginInFlight(t *testing.T) {
	devCfg := idp.Config{ID: "dev", Type: idp.TypeDev, Name: "Dev sign-in"}

	t.Run("callback after its IdP was removed", func(t *testing.T) {
		e := newLoginEnv(t, loginEnvOpts{})
		b := e.newBrowser()
		p, _ := e.start(b, "corp", atCallback, ScopeRead)
		e.swap(devCfg)
		got := b.follow(p.location().String(), nil)
		if got.resp.StatusCode != http.StatusGone || !strings.Contains(got.body, "was removed") {
			t.Fatalf("callback: %d %.300s", got.resp.StatusCode, got.body)
		}
	})
	t.Run("consent after its IdP was removed", func(t *testing.T) {
		e := newLoginEnv(t, loginEnvOpts{})
		b := e.newBrowser()
		p, _ := e.start(b, "corp", nil, ScopeRead)
		e.swap(devCfg)
		got := b.consent(p, "approve")
		if got.resp.StatusCode != http.StatusGone || !strings.Contains(got.body, "was removed") {
			t.Fatalf("consent: %d %.300s", got.resp.StatusCode, got.body)
		}
		if gs, _ := e.st.ListGrants(context.Background(), store.GrantFilter{}); len(gs) != 0 {
			t.Errorf("a grant was stored: %+v", gs)
		}
	})
	t.Run("dev form after the dev IdP was removed", func(t *testing.T) {
		e := newLoginEnv(t, loginEnvOpts{})
		b := e.newBrowser()
		p, _ := e.start(b, "dev", nil, ScopeRead)
		e.swap(e.corpConfig(idp.Policy{}))
		f := hidden(t, p.body)
		f.Set("username", "dave")
		f.Set("action", "signin")
		got := b.post(p.url.String(), f)
		if got.resp.StatusCode != http.StatusGone || !strings.Contains(got.body, "was removed") {
			t.Fatalf("dev form POST: %d %.300s", got.resp.StatusCode, got.body)
		}
	})
	t.Run("dev form after the dev IdP changed finishes", func(t *testing.T) {
		e := newLoginEnv(t, loginEnvOpts{})
		b := e.newBrowser()
		p, verifier := e.start(b, "dev", nil, ScopeRead)
		e.swap(e.corpConfig(idp.Policy{}), idp.Config{ID: "dev", Type: idp.TypeDev, Name: "Renamed dev"})
		got := b.devSignIn(p, "dave", "dave@dev.example")
		c := e.exchange(e.codeOf(b.consent(got, "approve")), verifier)
		if c["sub"] != "dev|dave" {
			t.Errorf("sub %v", c["sub"])
		}
		// A new login uses the new provider object.
		b2 := e.newBrowser()
		p2, _ := e.start(b2, "dev", nil, ScopeRead)
		if got := b2.devSignIn(p2, "erin", ""); got.url.Path != "/consent" {
			t.Errorf("new login after the change ended at %s", got.url)
		}
	})
	t.Run("changed IdP's new policy applies to a login in flight", func(t *testing.T) {
		e := newLoginEnv(t, loginEnvOpts{})
		b := e.newBrowser()
		p, _ := e.start(b, "corp", atCallback, ScopeRead)
		e.swap(e.corpConfig(idp.Policy{AllowedEmailDomains: []string{"corp.example"}}), devCfg)
		got := b.follow(p.location().String(), nil)
		if got.resp.StatusCode != http.StatusForbidden || !strings.Contains(got.body, "allowed_email_domains") {
			t.Fatalf("callback: %d %.300s", got.resp.StatusCode, got.body)
		}
	})
	t.Run("chooser and dev form of an IdP added by a reload", func(t *testing.T) {
		e := newLoginEnv(t, loginEnvOpts{single: true})
		e.swap(e.corpConfig(idp.Policy{}), idp.Config{ID: "lab", Type: idp.TypeDev, Name: "Lab sign-in"})
		b := e.newBrowser()
		p := b.follow(e.oauthConfig(ScopeRead).AuthCodeURL(loginState, oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
		if p.url.Path != "/login" || !strings.Contains(p.body, "Lab sign-in") || !strings.Contains(p.body, "Sign in with Corp") {
			t.Fatalf("chooser: %s %.400s", p.url, p.body)
		}
		for _, m := range reChooserLink.FindAllStringSubmatch(p.body, -1) {
			if m[2] == "lab" {
				form := b.follow(e.base+m[1], nil)
				got := b.devSignIn(form, "lena", "")
				if got.url.Path != "/consent" || !strings.Contains(got.body, "Lab sign-in") {
					t.Fatalf("lab login ended at %s, want the consent page naming Lab sign-in: %.600s", got.url, got.body)
				}
				return
			}
		}
		t.Fatalf("no lab button: %s", p.body)
	})
	t.Run("empty set refused", func(t *testing.T) {
		e := newLoginEnv(t, loginEnvOpts{single: true})
		if err := e.login.SetProviders(nil); err == nil {
			t.Error("SetProviders(nil) accepted")
		}
		if e.login.Providers().Len() != 1 {
			t.Error("a refused SetProviders changed the set")
		}
	})
}

// stripUpstream rewrites the refresh-token session sig without its upstream
// identity, as a binary from before Session.Upstream stored it; it returns
// how many sessions it rewrote.
func stripUpstream(t *testing.T, e *loginEnv, sig string) int {
	t.Helper()
	ctx := context.Background()
	req, err := e.st.GetRefreshTokenSession(ctx, sig, &store.Session{})
	if err != nil {
		t.Fatal(err)
	}
	sess := req.GetSession().(*store.Session)
	if sess.Upstream == nil {
		t.Fatal("the login stored no upstream identity")
	}
	sess.Upstream = nil
	if err := e.st.DeleteRefreshTokenSession(ctx, sig); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateRefreshTokenSession(ctx, sig, "", req); err != nil {
		t.Fatal(err)
	}
	again, err := e.st.GetRefreshTokenSession(ctx, sig, &store.Session{})
	if err != nil || again.GetSession().(*store.Session).Upstream != nil {
		t.Fatalf("rewrite: %v", err)
	}
	return 1
}

// TestReloadRemovalRacesConsent: consents approved while a reload removes
// their IdP. SetProviders returns only after every approval that saw the
// old set has stored its code, so revoking the IdP's grants right after
// it leaves none behind: each approval either ends on the "removed" page or
// yields a code that can no longer be exchanged.
func TestReloadRemovalRacesConsent(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{})
	const n = 8
	type pending struct {
		b        *browser
		p        page
		verifier string
	}
	var ps []pending
	for i := range n {
		b := e.newBrowser()
		p, v := e.start(b, "dev", nil, ScopeRead)
		ps = append(ps, pending{b, b.devSignIn(p, "user"+string(rune('a'+i)), ""), v})
	}
	type answer struct {
		i int
		p page
	}
	results := make(chan answer, n)
	for i, x := range ps {
		go func() { results <- answer{i, x.b.consent(x.p, "approve")} }()
	}
	e.swap(e.corpConfig(idp.Policy{}))
	revoked, err := e.st.RevokeGrantsBySubjectPrefix(context.Background(), "dev|")
	if err != nil {
		t.Fatal(err)
	}
	var codes, gone int
	for range n {
		a := <-results
		p := a.p
		switch {
		case p.resp.StatusCode == http.StatusGone:
			gone++
		case p.resp.StatusCode == http.StatusSeeOther && p.location().Query().Get("code") != "":
			codes++
			_, err := e.oauthConfig().Exchange(context.Background(), p.location().Query().Get("code"),
				oauth2.VerifierOption(ps[a.i].verifier))
			if !strings.Contains(fmt.Sprint(err), "invalid_grant") {
				t.Errorf("exchange of a code issued through the removed IdP: %v, want invalid_grant", err)
			}
		default:
			t.Errorf("consent answered %d %.200s", p.resp.StatusCode, p.body)
		}
	}
	gs, err := e.st.ListGrants(context.Background(), store.GrantFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if strings.HasPrefix(g.Subject, "dev|") {
			t.Errorf("grant %s of %s survived the removal", g.ID, g.Subject)
		}
	}
	if codes != len(revoked) {
		t.Errorf("%d codes issued but %d grants revoked", codes, len(revoked))
	}
	t.Logf("%d approvals issued a code before the swap (all revoked), %d ended on the removed page", codes, gone)
}

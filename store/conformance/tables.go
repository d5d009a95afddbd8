package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// ms truncates to the stored precision.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func sameClient(t *testing.T, what string, got, want *store.Client) {
	t.Helper()
	eq := got.ID == want.ID &&
		string(got.SecretHash) == string(want.SecretHash) &&
		slices.Equal(got.RedirectURIs, want.RedirectURIs) &&
		slices.Equal(got.GrantTypes, want.GrantTypes) &&
		slices.Equal(got.ResponseTypes, want.ResponseTypes) &&
		slices.Equal(got.Scopes, want.Scopes) &&
		slices.Equal(got.Audience, want.Audience) &&
		got.TokenEndpointAuthMethod == want.TokenEndpointAuthMethod &&
		got.Name == want.Name &&
		string(got.RegistrationAccessTokenHash) == string(want.RegistrationAccessTokenHash) &&
		got.CreatedAt.Equal(ms(want.CreatedAt)) &&
		got.LastUsedAt.Equal(ms(want.LastUsedAt)) &&
		got.Origin == want.Origin
	if eq {
		var g, w any
		if err := json.Unmarshal(got.Metadata, &g); err != nil {
			t.Fatalf("%s: metadata %q: %v", what, got.Metadata, err)
		}
		wm := want.Metadata
		if len(wm) == 0 {
			wm = json.RawMessage("{}")
		}
		_ = json.Unmarshal(wm, &w)
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		eq = string(gb) == string(wb)
	}
	if !eq {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func testClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	created := time.Now().Add(-time.Hour)
	full := &store.Client{
		ID:                          "https://app.example.com/oauth/client.json",
		SecretHash:                  store.HashSecret("s3cret"),
		RedirectURIs:                []string{"https://app.example.com/cb", "cursor://anysphere.cursor-mcp/oauth/callback"},
		GrantTypes:                  []string{"authorization_code", "refresh_token"},
		ResponseTypes:               []string{"code"},
		Scopes:                      []string{"zscaler.read"},
		Audience:                    []string{testResource},
		TokenEndpointAuthMethod:     store.AuthMethodClientSecretPost,
		Name:                        "Cursor <script>",
		RegistrationAccessTokenHash: store.HashSecret("rat"),
		CreatedAt:                   created,
		Origin:                      store.OriginCIMD,
		Metadata:                    json.RawMessage(`{"client_name":"Cursor","logo_uri":"https://x/y.png"}`),
	}
	public := &store.Client{ID: "public", TokenEndpointAuthMethod: store.AuthMethodNone, Origin: store.OriginDCR}

	_, err := s.LookupClient(ctx, full.ID)
	mustNotFound(t, "LookupClient(missing)", err)
	mustOK(t, "CreateClient(full)", s.CreateClient(ctx, full))
	mustOK(t, "CreateClient(public)", s.CreateClient(ctx, public))
	if public.CreatedAt.IsZero() {
		t.Error("CreateClient did not set CreatedAt")
	}
	if err := s.CreateClient(ctx, &store.Client{ID: full.ID, TokenEndpointAuthMethod: "none", Origin: store.OriginDCR}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("CreateClient(duplicate): err = %v, want ErrAlreadyExists", err)
	}
	for _, bad := range []*store.Client{
		{ID: "", TokenEndpointAuthMethod: "none", Origin: store.OriginDCR},
		{ID: "x", TokenEndpointAuthMethod: "none", Origin: "other"},
		{ID: "x", Origin: store.OriginDCR},
		{ID: "x", TokenEndpointAuthMethod: "none", Origin: store.OriginDCR, Metadata: json.RawMessage("{")},
	} {
		if err := s.CreateClient(ctx, bad); err == nil || errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("CreateClient(%+v): err = %v, want a validation error", bad, err)
		}
	}

	got, err := s.LookupClient(ctx, full.ID)
	mustOK(t, "LookupClient", err)
	sameClient(t, "LookupClient(full)", got, full)
	got, err = s.LookupClient(ctx, public.ID)
	mustOK(t, "LookupClient(public)", err)
	sameClient(t, "LookupClient(public)", got, public)
	if !got.IsPublic() || !slices.Equal(got.GetGrantTypes(), fosite.Arguments{"authorization_code"}) ||
		!slices.Equal(got.GetResponseTypes(), fosite.Arguments{"code"}) || got.GetHashedSecret() != nil {
		t.Errorf("public client's fosite view: public=%v grants=%v responses=%v", got.IsPublic(), got.GetGrantTypes(), got.GetResponseTypes())
	}

	// Update replaces everything but CreatedAt and LastUsedAt.
	upd := full.Clone()
	upd.RedirectURIs = []string{"https://app.example.com/cb2"}
	upd.Name = "Renamed"
	upd.SecretHash = store.HashSecret("rotated")
	upd.Origin = store.OriginDCR
	upd.Metadata = nil
	upd.CreatedAt = time.Unix(0, 0)
	upd.LastUsedAt = time.Unix(1, 0)
	mustOK(t, "UpdateClient", s.UpdateClient(ctx, upd))
	got, err = s.LookupClient(ctx, full.ID)
	mustOK(t, "LookupClient after update", err)
	want := upd.Clone()
	want.CreatedAt, want.LastUsedAt = full.CreatedAt, time.Time{}
	sameClient(t, "LookupClient after update", got, want)
	mustNotFound(t, "UpdateClient(missing)", s.UpdateClient(ctx, &store.Client{ID: "missing", TokenEndpointAuthMethod: "none", Origin: store.OriginDCR}))

	// Touch only moves forward.
	t1 := time.Now().Add(-time.Minute)
	mustOK(t, "TouchClient", s.TouchClient(ctx, public.ID, t1))
	mustOK(t, "TouchClient(older)", s.TouchClient(ctx, public.ID, t1.Add(-time.Hour)))
	got, _ = s.LookupClient(ctx, public.ID)
	if !got.LastUsedAt.Equal(ms(t1)) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, ms(t1))
	}
	mustNotFound(t, "TouchClient(missing)", s.TouchClient(ctx, "missing", t1))

	list, err := s.ListClients(ctx)
	mustOK(t, "ListClients", err)
	if len(list) != 2 || list[0].ID != full.ID || list[1].ID != public.ID {
		t.Errorf("ListClients = %v, want [%s %s] (oldest first)", clientIDs(list), full.ID, public.ID)
	}

	// Delete cascades to grants, codes, tokens and consents, and is logged.
	req := newRequest(t, got, "henry")
	mustOK(t, "create AT", s.CreateAccessTokenSession(ctx, "del-at", req))
	mustOK(t, "create RT", s.CreateRefreshTokenSession(ctx, "del-rt", "del-at", req))
	mustOK(t, "create code", s.CreateAuthorizeCodeSession(ctx, "del-code", req))
	mustOK(t, "PutConsent", s.PutConsent(ctx, &store.Consent{Subject: "henry", ClientID: public.ID, Scopes: []string{"zscaler.read"}}))
	_, seq, err := s.RevocationsSince(ctx, 0)
	mustOK(t, "RevocationsSince", err)

	mustOK(t, "DeleteClient", s.DeleteClient(ctx, public.ID))
	_, err = s.LookupClient(ctx, public.ID)
	mustNotFound(t, "LookupClient(deleted)", err)
	_, err = s.GetClient(ctx, public.ID)
	mustNotFound(t, "GetClient(deleted)", err)
	for _, k := range []struct {
		kind tokenKind
		sig  string
	}{{kindAccess, "del-at"}, {kindRefresh, "del-rt"}, {kindCode, "del-code"}} {
		_, err := k.kind.get(ctx, s, k.sig, &store.Session{})
		mustNotFound(t, k.kind.name+" of a deleted client", err)
	}
	_, err = s.GetConsent(ctx, "henry", public.ID)
	mustNotFound(t, "consent of a deleted client", err)
	_, err = s.GetGrant(ctx, req.ID)
	mustNotFound(t, "grant of a deleted client", err)
	revs, _, err := s.RevocationsSince(ctx, seq)
	mustOK(t, "RevocationsSince", err)
	if len(revs) != 1 || revs[0].Kind != store.RevocationClient || revs[0].Value != public.ID {
		t.Errorf("revocation log after DeleteClient = %+v, want one client entry", revs)
	}
	mustNotFound(t, "DeleteClient(missing)", s.DeleteClient(ctx, public.ID))
}

func clientIDs(cs []*store.Client) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func testStaleClients(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now()
	old := now.Add(-48 * time.Hour)
	mk := func(id string, origin store.ClientOrigin, created, used time.Time) {
		t.Helper()
		mustOK(t, "CreateClient", s.CreateClient(ctx, &store.Client{ID: id, TokenEndpointAuthMethod: store.AuthMethodNone,
			Origin: origin, CreatedAt: created, LastUsedAt: used}))
	}
	mk("old-unused", store.OriginDCR, old, time.Time{})
	mk("old-used-long-ago", store.OriginDCR, old, old.Add(time.Hour))
	mk("old-used-recently", store.OriginDCR, old, now.Add(-time.Minute))
	mk("new", store.OriginDCR, now, time.Time{})
	mk("old-with-grant", store.OriginDCR, old, time.Time{})
	mk("old-cimd", store.OriginCIMD, old, time.Time{})
	mk("old-static", store.OriginStatic, old, time.Time{})
	c, err := s.LookupClient(ctx, "old-with-grant")
	mustOK(t, "LookupClient", err)
	mustOK(t, "create RT", s.CreateRefreshTokenSession(ctx, "stale-rt", "", newRequest(t, c, "ivy")))

	got, err := s.DeleteStaleClients(ctx, now.Add(-24*time.Hour), store.OriginDCR, store.OriginCIMD)
	mustOK(t, "DeleteStaleClients", err)
	want := []string{"old-cimd", "old-unused", "old-used-long-ago"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("DeleteStaleClients = %v, want %v", got, want)
	}
	for _, id := range want {
		_, err := s.LookupClient(ctx, id)
		mustNotFound(t, "stale client "+id, err)
	}
	list, err := s.ListClients(ctx)
	mustOK(t, "ListClients", err)
	if len(list) != 4 {
		t.Errorf("clients left = %v, want 4", clientIDs(list))
	}
	// Without an origin filter static clients are eligible too.
	got, err = s.DeleteStaleClients(ctx, now.Add(-24*time.Hour))
	mustOK(t, "DeleteStaleClients(all origins)", err)
	if !slices.Equal(got, []string{"old-static"}) {
		t.Errorf("DeleteStaleClients(all origins) = %v, want [old-static]", got)
	}
	revs, _, err := s.RevocationsSince(ctx, 0)
	mustOK(t, "RevocationsSince", err)
	if len(revs) != 4 {
		t.Errorf("revocation log = %+v, want 4 client entries", revs)
	}
}

func testGrants(t *testing.T, s store.Store) {
	ctx := context.Background()
	c1 := newClient(t, s, "grant-client-1", "secret")
	c2 := newClient(t, s, "grant-client-2", "")
	_, err := s.GetGrant(ctx, "missing")
	mustNotFound(t, "GetGrant(missing)", err)
	mustNotFound(t, "RevokeGrant(missing)", s.RevokeGrant(ctx, "missing"))

	r1, r2, r3 := newRequest(t, c1, "judy"), newRequest(t, c2, "judy"), newRequest(t, c1, "ken")
	before := time.Now().Add(-time.Second)
	mustOK(t, "create code 1", s.CreateAuthorizeCodeSession(ctx, "g-code-1", r1))
	mustOK(t, "create PKCE 1", s.CreatePKCERequestSession(ctx, "g-code-1", r1))
	mustOK(t, "create AT 1", s.CreateAccessTokenSession(ctx, "g-at-1", r1))
	mustOK(t, "create RT 1", s.CreateRefreshTokenSession(ctx, "g-rt-1", "g-at-1", r1))
	mustOK(t, "create AT 2", s.CreateAccessTokenSession(ctx, "g-at-2", r2))
	mustOK(t, "create RT 3", s.CreateRefreshTokenSession(ctx, "g-rt-3", "", r3))

	g, err := s.GetGrant(ctx, r1.ID)
	mustOK(t, "GetGrant", err)
	wantExp := r1.Session.(*store.Session).GrantExpiresAt
	if g.ID != r1.ID || g.Subject != "judy" || g.ClientID != c1.ID || g.CreatedAt.Before(ms(before)) || !g.ExpiresAt.Equal(ms(wantExp)) {
		t.Errorf("GetGrant = %+v, want judy/%s expiring %v", g, c1.ID, wantExp)
	}

	tests := []struct {
		filter store.GrantFilter
		want   []string
	}{
		{store.GrantFilter{}, []string{r1.ID, r2.ID, r3.ID}},
		{store.GrantFilter{Subject: "judy"}, []string{r1.ID, r2.ID}},
		{store.GrantFilter{ClientID: c1.ID}, []string{r1.ID, r3.ID}},
		{store.GrantFilter{Subject: "judy", ClientID: c2.ID}, []string{r2.ID}},
		{store.GrantFilter{Subject: "nobody"}, nil},
	}
	for _, tt := range tests {
		gs, err := s.ListGrants(ctx, tt.filter)
		mustOK(t, "ListGrants", err)
		var ids []string
		for _, g := range gs {
			ids = append(ids, g.ID)
		}
		slices.Sort(ids)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("ListGrants(%+v) = %v, want %v", tt.filter, ids, want)
		}
	}

	_, seq, _ := s.RevocationsSince(ctx, 0)
	mustOK(t, "RevokeGrant", s.RevokeGrant(ctx, r1.ID))
	for _, k := range []struct {
		kind tokenKind
		sig  string
	}{{kindCode, "g-code-1"}, {kindPKCE, "g-code-1"}, {kindAccess, "g-at-1"}, {kindRefresh, "g-rt-1"}} {
		_, err := k.kind.get(ctx, s, k.sig, &store.Session{})
		mustNotFound(t, k.kind.name+" of a revoked grant", err)
	}
	if _, err := s.GetAccessTokenSession(ctx, "g-at-2", &store.Session{}); err != nil {
		t.Errorf("other grant's AT: %v", err)
	}
	revs, _, _ := s.RevocationsSince(ctx, seq)
	if len(revs) != 1 || revs[0].Kind != store.RevocationGrant || revs[0].Value != r1.ID {
		t.Errorf("revocation log after RevokeGrant = %+v", revs)
	}
	// The grant row is not recreated by reading; a new token recreates it.
	_, err = s.GetGrant(ctx, r1.ID)
	mustNotFound(t, "GetGrant(revoked)", err)
}

func testConsents(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newClient(t, s, "consent-client", "secret")
	_, err := s.GetConsent(ctx, "leo", c.ID)
	mustNotFound(t, "GetConsent(missing)", err)

	at := time.Now().Add(-time.Hour)
	mustOK(t, "PutConsent", s.PutConsent(ctx, &store.Consent{Subject: "leo", ClientID: c.ID, Scopes: []string{"zscaler.read"}, GrantedAt: at}))
	got, err := s.GetConsent(ctx, "leo", c.ID)
	mustOK(t, "GetConsent", err)
	if got.Subject != "leo" || got.ClientID != c.ID || !slices.Equal(got.Scopes, []string{"zscaler.read"}) || !got.GrantedAt.Equal(ms(at)) {
		t.Errorf("GetConsent = %+v", got)
	}
	_, err = s.GetConsent(ctx, "other", c.ID)
	mustNotFound(t, "GetConsent(other subject)", err)

	// Put replaces.
	upd := &store.Consent{Subject: "leo", ClientID: c.ID, Scopes: []string{"zscaler.read", "zscaler.write"}}
	mustOK(t, "PutConsent(replace)", s.PutConsent(ctx, upd))
	got, err = s.GetConsent(ctx, "leo", c.ID)
	mustOK(t, "GetConsent", err)
	if !slices.Equal(got.Scopes, upd.Scopes) || !got.GrantedAt.After(ms(at)) || !got.GrantedAt.Equal(upd.GrantedAt) {
		t.Errorf("GetConsent after replace = %+v (put %+v)", got, upd)
	}

	mustNotFound(t, "PutConsent(unknown client)", s.PutConsent(ctx, &store.Consent{Subject: "leo", ClientID: "nope"}))
	mustOK(t, "DeleteConsent", s.DeleteConsent(ctx, "leo", c.ID))
	_, err = s.GetConsent(ctx, "leo", c.ID)
	mustNotFound(t, "GetConsent(deleted)", err)
	mustNotFound(t, "DeleteConsent(missing)", s.DeleteConsent(ctx, "leo", c.ID))
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	list, err := s.ListSigningKeys(ctx)
	mustOK(t, "ListSigningKeys(empty)", err)
	if len(list) != 0 {
		t.Fatalf("ListSigningKeys(empty) = %d keys", len(list))
	}
	now := time.Now()
	k1 := &store.SigningKey{KID: "k1", Alg: "ES256", PrivateKey: []byte("-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n"),
		CreatedAt: now.Add(-2 * time.Hour), Active: true}
	k2 := &store.SigningKey{KID: "k2", Alg: "ES256", PrivateKey: []byte(`{"kty":"EC"}`), CreatedAt: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), Active: true}
	mustOK(t, "CreateSigningKey(k1)", s.CreateSigningKey(ctx, k1))
	mustOK(t, "CreateSigningKey(k2)", s.CreateSigningKey(ctx, k2))
	if err := s.CreateSigningKey(ctx, &store.SigningKey{KID: "k1", Alg: "ES256", PrivateKey: []byte("x")}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("CreateSigningKey(duplicate): err = %v, want ErrAlreadyExists", err)
	}
	if err := s.CreateSigningKey(ctx, &store.SigningKey{KID: "k3"}); err == nil {
		t.Error("CreateSigningKey without alg and key succeeded")
	}

	list, err = s.ListSigningKeys(ctx)
	mustOK(t, "ListSigningKeys", err)
	if len(list) != 2 || list[0].KID != "k2" || list[1].KID != "k1" {
		t.Fatalf("ListSigningKeys = %+v, want k2, k1 (newest first)", list)
	}
	if string(list[1].PrivateKey) != string(k1.PrivateKey) || list[1].Alg != "ES256" || !list[1].Active ||
		!list[1].CreatedAt.Equal(ms(k1.CreatedAt)) || !list[1].NotAfter.IsZero() || !list[0].NotAfter.Equal(ms(k2.NotAfter)) {
		t.Errorf("ListSigningKeys: %+v / %+v", list[0], list[1])
	}

	until := now.Add(48 * time.Hour)
	mustOK(t, "DeactivateSigningKey(k1)", s.DeactivateSigningKey(ctx, "k1", until))
	mustOK(t, "DeactivateSigningKey(k2, keep not_after)", s.DeactivateSigningKey(ctx, "k2", time.Time{}))
	list, _ = s.ListSigningKeys(ctx)
	if list[1].Active || !list[1].NotAfter.Equal(ms(until)) || list[0].Active || !list[0].NotAfter.Equal(ms(k2.NotAfter)) {
		t.Errorf("after deactivation: %+v / %+v", list[0], list[1])
	}
	mustNotFound(t, "DeactivateSigningKey(missing)", s.DeactivateSigningKey(ctx, "missing", until))
}

func testRevocationLog(t *testing.T, s store.Store) {
	ctx := context.Background()
	revs, last, err := s.RevocationsSince(ctx, 0)
	mustOK(t, "RevocationsSince(empty)", err)
	if len(revs) != 0 || last != 0 {
		t.Fatalf("RevocationsSince(empty) = %v, %d", revs, last)
	}
	if _, err := s.AppendRevocation(ctx, "bogus", "x"); err == nil {
		t.Error("AppendRevocation with an invalid kind succeeded")
	}

	appendAll := func(entries []store.Revocation) []int64 {
		var seqs []int64
		for _, e := range entries {
			seq, err := s.AppendRevocation(ctx, e.Kind, e.Value)
			mustOK(t, "AppendRevocation", err)
			if len(seqs) > 0 && seq <= seqs[len(seqs)-1] {
				t.Fatalf("AppendRevocation returned seq %d after %d", seq, seqs[len(seqs)-1])
			}
			seqs = append(seqs, seq)
		}
		return seqs
	}
	check := func(since int64, want []store.Revocation, seqs []int64) int64 {
		t.Helper()
		got, last, err := s.RevocationsSince(ctx, since)
		mustOK(t, "RevocationsSince", err)
		if len(got) != len(want) {
			t.Fatalf("RevocationsSince(%d) = %+v, want %d entries", since, got, len(want))
		}
		for i := range got {
			if got[i].Seq != seqs[i] || got[i].Kind != want[i].Kind || got[i].Value != want[i].Value ||
				time.Since(got[i].At) > time.Minute {
				t.Errorf("entry %d = %+v, want seq %d %+v", i, got[i], seqs[i], want[i])
			}
		}
		if len(seqs) > 0 && last != seqs[len(seqs)-1] {
			t.Errorf("lastSeq = %d, want %d", last, seqs[len(seqs)-1])
		}
		return last
	}

	first := []store.Revocation{
		{Kind: store.RevocationGrant, Value: "g1"},
		{Kind: store.RevocationClient, Value: "c1"},
		{Kind: store.RevocationSubject, Value: "s1"},
	}
	seqs1 := appendAll(first)
	last = check(0, first, seqs1)

	got, last2, err := s.RevocationsSince(ctx, last)
	mustOK(t, "RevocationsSince(last)", err)
	if len(got) != 0 || last2 != last {
		t.Errorf("RevocationsSince(last) = %+v, %d; want none, %d", got, last2, last)
	}

	second := []store.Revocation{{Kind: store.RevocationGrant, Value: "g2"}, {Kind: store.RevocationGrant, Value: "g1"}}
	seqs2 := appendAll(second)
	check(last, second, seqs2)
	check(seqs1[1], append(first[2:], second...), append(seqs1[2:], seqs2...))
}

// uncappedSession reports token expiries without store.Session's cap at the
// grant's end, so a test can store tokens that outlive their grant.
type uncappedSession struct{ store.Session }

// GetExpiresAt implements fosite.Session without the cap.
func (s *uncappedSession) GetExpiresAt(k fosite.TokenType) time.Time { return s.ExpiresAt[k] }

// testGC: expired rows go, live rows stay.
func testGC(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	c := newClient(t, s, "gc-client", "secret")

	live := newRequest(t, c, "mia")
	expired := withExpiry(newRequest(t, c, "mia"), past)
	// A grant past its absolute expiry loses its tokens even if they have
	// not expired themselves.
	ended := newRequest(t, c, "mia")
	endedSess := &uncappedSession{Session: *ended.Session.(*store.Session)}
	endedSess.GrantExpiresAt = past
	endedSess.ExpiresAt = map[fosite.TokenType]time.Time{
		fosite.AccessToken: future, fosite.RefreshToken: future, fosite.AuthorizeCode: future}
	ended.Session = endedSess
	for _, r := range []*fosite.Request{live, expired, ended} {
		p := r.ID
		mustOK(t, "create code", s.CreateAuthorizeCodeSession(ctx, p+"-code", r))
		mustOK(t, "create PKCE", s.CreatePKCERequestSession(ctx, p+"-code", r))
		mustOK(t, "create AT", s.CreateAccessTokenSession(ctx, p+"-at", r))
		mustOK(t, "create RT", s.CreateRefreshTokenSession(ctx, p+"-rt", p+"-at", r))
	}
	// A grant whose tokens were all revoked is collected too.
	orphan := newRequest(t, c, "mia")
	mustOK(t, "create AT", s.CreateAccessTokenSession(ctx, "orphan-at", orphan))
	mustOK(t, "revoke", s.RevokeAccessToken(ctx, orphan.ID))

	mustOK(t, "jti live", s.SetClientAssertionJWT(ctx, "jti-live", future))
	mustOK(t, "jti expired", s.SetClientAssertionJWT(ctx, "jti-expired", past))
	mustOK(t, "key active", s.CreateSigningKey(ctx, &store.SigningKey{KID: "active", Alg: "ES256", PrivateKey: []byte("k"), Active: true, NotAfter: past}))
	mustOK(t, "key retired", s.CreateSigningKey(ctx, &store.SigningKey{KID: "retired", Alg: "ES256", PrivateKey: []byte("k"), NotAfter: past}))
	mustOK(t, "key published", s.CreateSigningKey(ctx, &store.SigningKey{KID: "published", Alg: "ES256", PrivateKey: []byte("k"), NotAfter: future}))

	n, err := s.GC(ctx, now)
	mustOK(t, "GC", err)
	if n < 8 {
		t.Errorf("GC removed %d rows, want at least 8", n)
	}

	kinds := []tokenKind{kindCode, kindPKCE, kindAccess, kindRefresh}
	sigs := []string{"-code", "-code", "-at", "-rt"}
	for i, k := range kinds {
		if _, err := k.get(ctx, s, live.ID+sigs[i], &store.Session{}); err != nil {
			t.Errorf("live %s collected: %v", k.name, err)
		}
		for _, r := range []*fosite.Request{expired, ended} {
			_, err := k.get(ctx, s, r.ID+sigs[i], &store.Session{})
			mustNotFound(t, "expired "+k.name, err)
		}
	}
	if _, err := s.GetGrant(ctx, live.ID); err != nil {
		t.Errorf("live grant collected: %v", err)
	}
	for _, id := range []string{expired.ID, ended.ID, orphan.ID} {
		_, err := s.GetGrant(ctx, id)
		mustNotFound(t, "collected grant", err)
	}
	if err := s.ClientAssertionJWTValid(ctx, "jti-live"); !errors.Is(err, fosite.ErrJTIKnown) {
		t.Errorf("live jti collected: %v", err)
	}
	keys, err := s.ListSigningKeys(ctx)
	mustOK(t, "ListSigningKeys", err)
	var kids []string
	for _, k := range keys {
		kids = append(kids, k.KID)
	}
	slices.Sort(kids)
	if !slices.Equal(kids, []string{"active", "published"}) {
		t.Errorf("signing keys after GC = %v, want [active published]", kids)
	}
	if _, err := s.LookupClient(ctx, c.ID); err != nil {
		t.Errorf("GC removed the client: %v", err)
	}

	n, err = s.GC(ctx, now)
	mustOK(t, "GC again", err)
	if n != 0 {
		t.Errorf("second GC removed %d rows, want 0", n)
	}
}

package conformance

import (
	"context"
	"slices"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// RunSubjectPrefixRevoker checks store.SubjectPrefixRevoker (what the AS
// uses to revoke the grants of an IdP removed from the configuration) on a
// fresh store from newStore, which must implement it. A backend's test file
// calls it beside Run.
func RunSubjectPrefixRevoker(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newStore(t)
	r, ok := s.(store.SubjectPrefixRevoker)
	if !ok {
		t.Fatalf("%T does not implement store.SubjectPrefixRevoker", s)
	}
	ctx := context.Background()
	c1 := newClient(t, s, "prefix-client-1", "secret")
	c2 := newClient(t, s, "prefix-client-2", "")

	// Each grant holds an access and a refresh token.
	grant := func(c *store.Client, subject string) string {
		t.Helper()
		req := newRequest(t, c, subject)
		mustOK(t, "create AT of "+subject, s.CreateAccessTokenSession(ctx, "at-"+req.ID, req))
		mustOK(t, "create RT of "+subject, s.CreateRefreshTokenSession(ctx, "rt-"+req.ID, "at-"+req.ID, req))
		return req.ID
	}
	alive := func(id string) bool {
		t.Helper()
		_, errAT := s.GetAccessTokenSession(ctx, "at-"+id, &store.Session{})
		_, errRT := s.GetRefreshTokenSession(ctx, "rt-"+id, &store.Session{})
		_, errG := s.GetGrant(ctx, id)
		if (errAT == nil) != (errRT == nil) || (errAT == nil) != (errG == nil) {
			t.Fatalf("grant %s half revoked: AT %v, RT %v, grant %v", id, errAT, errRT, errG)
		}
		return errAT == nil
	}

	corp := []string{grant(c1, "corp|alice"), grant(c2, "corp|alice"), grant(c1, "corp|bob")}
	others := map[string]string{
		"another IdP whose id extends the prefix": grant(c1, "corporate|carol"),
		"the prefix later in the subject":         grant(c1, "dev|corp|x"),
		"the prefix in another case":              grant(c2, "CORP|dan"),
		"LIKE wildcards are literal":              grant(c1, "c_rp|erin"),
	}
	wild := grant(c2, "a%b|frank")
	uni := grant(c2, "é|gina")
	slices.Sort(corp)

	if _, err := r.RevokeGrantsBySubjectPrefix(ctx, ""); err == nil {
		t.Error("an empty prefix was accepted (it would revoke every grant)")
	}
	if gs, _ := s.ListGrants(ctx, store.GrantFilter{}); len(gs) != len(corp)+len(others)+2 {
		t.Fatalf("after the refused empty prefix, %d grants remain, want %d", len(gs), len(corp)+len(others)+2)
	}

	_, seq, err := s.RevocationsSince(ctx, 0)
	mustOK(t, "RevocationsSince", err)
	got, err := r.RevokeGrantsBySubjectPrefix(ctx, "corp|")
	mustOK(t, "RevokeGrantsBySubjectPrefix(corp|)", err)
	if !slices.Equal(got, corp) {
		t.Errorf("revoked %v, want %v (sorted)", got, corp)
	}
	for _, id := range corp {
		if alive(id) {
			t.Errorf("grant %s of corp is still alive", id)
		}
	}
	for why, id := range others {
		if !alive(id) {
			t.Errorf("%s: grant %s was revoked", why, id)
		}
	}
	revs, seq, err := s.RevocationsSince(ctx, seq)
	mustOK(t, "RevocationsSince", err)
	var logged []string
	for _, e := range revs {
		if e.Kind != store.RevocationGrant {
			t.Errorf("log entry %+v, want kind %q", e, store.RevocationGrant)
		}
		logged = append(logged, e.Value)
	}
	slices.Sort(logged)
	if !slices.Equal(logged, corp) {
		t.Errorf("revocation log has %v, want one grant entry each for %v", logged, corp)
	}

	// Nothing left to revoke: no ids, no log entries.
	got, err = r.RevokeGrantsBySubjectPrefix(ctx, "corp|")
	mustOK(t, "second RevokeGrantsBySubjectPrefix(corp|)", err)
	if len(got) != 0 {
		t.Errorf("second call revoked %v", got)
	}
	if revs, _, _ := s.RevocationsSince(ctx, seq); len(revs) != 0 {
		t.Errorf("second call logged %+v", revs)
	}

	// Wildcard characters and non-ASCII prefixes are matched literally.
	for _, tc := range []struct{ prefix, want string }{{"a%", wild}, {"é|", uni}} {
		got, err := r.RevokeGrantsBySubjectPrefix(ctx, tc.prefix)
		mustOK(t, "RevokeGrantsBySubjectPrefix("+tc.prefix+")", err)
		if !slices.Equal(got, []string{tc.want}) || alive(tc.want) {
			t.Errorf("prefix %q revoked %v, want [%s]", tc.prefix, got, tc.want)
		}
	}
	for why, id := range others {
		if !alive(id) {
			t.Errorf("%s: grant %s was revoked by a later prefix", why, id)
		}
	}
}

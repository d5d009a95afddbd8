package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// tokenKind abstracts one of fosite's four signature-keyed session kinds.
type tokenKind struct {
	name   string
	create func(ctx context.Context, s store.Store, sig string, r fosite.Requester) error
	get    func(ctx context.Context, s store.Store, sig string, sess fosite.Session) (fosite.Requester, error)
	del    func(ctx context.Context, s store.Store, sig string) error // nil: no delete method
}

var (
	kindCode = tokenKind{
		name: "authorization code",
		create: func(ctx context.Context, s store.Store, sig string, r fosite.Requester) error {
			return s.CreateAuthorizeCodeSession(ctx, sig, r)
		},
		get: func(ctx context.Context, s store.Store, sig string, sess fosite.Session) (fosite.Requester, error) {
			return s.GetAuthorizeCodeSession(ctx, sig, sess)
		},
	}
	kindPKCE = tokenKind{
		name: "PKCE request",
		create: func(ctx context.Context, s store.Store, sig string, r fosite.Requester) error {
			return s.CreatePKCERequestSession(ctx, sig, r)
		},
		get: func(ctx context.Context, s store.Store, sig string, sess fosite.Session) (fosite.Requester, error) {
			return s.GetPKCERequestSession(ctx, sig, sess)
		},
		del: func(ctx context.Context, s store.Store, sig string) error {
			return s.DeletePKCERequestSession(ctx, sig)
		},
	}
	kindAccess = tokenKind{
		name: "access token",
		create: func(ctx context.Context, s store.Store, sig string, r fosite.Requester) error {
			return s.CreateAccessTokenSession(ctx, sig, r)
		},
		get: func(ctx context.Context, s store.Store, sig string, sess fosite.Session) (fosite.Requester, error) {
			return s.GetAccessTokenSession(ctx, sig, sess)
		},
		del: func(ctx context.Context, s store.Store, sig string) error {
			return s.DeleteAccessTokenSession(ctx, sig)
		},
	}
	kindRefresh = tokenKind{
		name: "refresh token",
		create: func(ctx context.Context, s store.Store, sig string, r fosite.Requester) error {
			return s.CreateRefreshTokenSession(ctx, sig, "at-"+sig, r)
		},
		get: func(ctx context.Context, s store.Store, sig string, sess fosite.Session) (fosite.Requester, error) {
			return s.GetRefreshTokenSession(ctx, sig, sess)
		},
		del: func(ctx context.Context, s store.Store, sig string) error {
			return s.DeleteRefreshTokenSession(ctx, sig)
		},
	}
)

// testSessionCRUD checks create, get, duplicate, unknown client, missing
// and delete for one kind.
func testSessionCRUD(t *testing.T, s store.Store, k tokenKind) {
	ctx := context.Background()
	client := newClient(t, s, "client-"+randID(t), "secret")
	req := newRequest(t, client, "alice")
	sig := randID(t)

	_, err := k.get(ctx, s, sig, &store.Session{})
	mustNotFound(t, "get missing "+k.name, err)

	mustOK(t, "create "+k.name, k.create(ctx, s, sig, req))
	got, err := k.get(ctx, s, sig, &store.Session{})
	mustOK(t, "get "+k.name, err)
	checkRequest(t, "get "+k.name, got, req)

	if err := k.create(ctx, s, sig, req); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("create duplicate %s: err = %v, want ErrAlreadyExists", k.name, err)
	}
	ghost := newRequest(t, &store.Client{ID: "no-such-client"}, "alice")
	mustNotFound(t, "create "+k.name+" for an unknown client", k.create(ctx, s, randID(t), ghost))

	if k.del == nil {
		return
	}
	mustOK(t, "delete "+k.name, k.del(ctx, s, sig))
	_, err = k.get(ctx, s, sig, &store.Session{})
	mustNotFound(t, "get deleted "+k.name, err)
	mustOK(t, "delete missing "+k.name+" (idempotent)", k.del(ctx, s, sig))
}

func testClientManager(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.GetClient(ctx, "nope")
	mustNotFound(t, "GetClient(missing)", err)

	want := newClient(t, s, "fosite-client", "secret")
	got, err := s.GetClient(ctx, want.ID)
	mustOK(t, "GetClient", err)
	c, ok := got.(*store.Client)
	if !ok {
		t.Fatalf("GetClient returned %T, want *store.Client", got)
	}
	if c.GetID() != want.ID || string(c.GetHashedSecret()) != string(store.HashSecret("secret")) || c.IsPublic() {
		t.Errorf("GetClient = %+v", c)
	}
	if err := (store.SHA256Hasher{}).Compare(ctx, c.GetHashedSecret(), []byte("secret")); err != nil {
		t.Errorf("stored secret hash does not verify: %v", err)
	}

	now := time.Now()
	tests := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"unknown jti is valid", func() error { return s.ClientAssertionJWTValid(ctx, "jti-1") }, nil},
		{"record jti", func() error { return s.SetClientAssertionJWT(ctx, "jti-1", now.Add(time.Hour)) }, nil},
		{"recorded jti is known", func() error { return s.ClientAssertionJWTValid(ctx, "jti-1") }, fosite.ErrJTIKnown},
		{"recording it again fails", func() error { return s.SetClientAssertionJWT(ctx, "jti-1", now.Add(time.Hour)) }, fosite.ErrJTIKnown},
		{"record an expired jti", func() error { return s.SetClientAssertionJWT(ctx, "jti-2", now.Add(-time.Minute)) }, nil},
		{"expired jti is valid again", func() error { return s.ClientAssertionJWTValid(ctx, "jti-2") }, nil},
		{"expired jti can be recorded again", func() error { return s.SetClientAssertionJWT(ctx, "jti-2", now.Add(time.Hour)) }, nil},
		{"re-recorded jti is known", func() error { return s.ClientAssertionJWTValid(ctx, "jti-2") }, fosite.ErrJTIKnown},
	}
	for _, tt := range tests {
		err := tt.op()
		if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

func testAuthorizeCode(t *testing.T, s store.Store) {
	testSessionCRUD(t, s, kindCode)

	ctx := context.Background()
	client := newClient(t, s, "code-client", "secret")
	req := newRequest(t, client, "bob")
	sig := randID(t)
	mustOK(t, "create code", s.CreateAuthorizeCodeSession(ctx, sig, req))

	// Invalidation: the request comes back together with
	// ErrInvalidatedAuthorizeCode, so fosite can revoke what the first
	// redemption issued.
	mustOK(t, "invalidate", s.InvalidateAuthorizeCodeSession(ctx, sig))
	got, err := s.GetAuthorizeCodeSession(ctx, sig, &store.Session{})
	if !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		t.Fatalf("get invalidated code: err = %v, want ErrInvalidatedAuthorizeCode", err)
	}
	checkRequest(t, "get invalidated code", got, req)

	// Conditional: a second invalidation (a concurrent redemption that read
	// the code before the first committed) is a serialization failure.
	if err := s.InvalidateAuthorizeCodeSession(ctx, sig); !errors.Is(err, fosite.ErrSerializationFailure) {
		t.Errorf("invalidate twice: err = %v, want ErrSerializationFailure", err)
	}
	if err := s.InvalidateAuthorizeCodeSession(ctx, "missing"); !errors.Is(err, fosite.ErrSerializationFailure) {
		t.Errorf("invalidate missing: err = %v, want ErrSerializationFailure", err)
	}
}

func testPKCE(t *testing.T, s store.Store)        { testSessionCRUD(t, s, kindPKCE) }
func testAccessToken(t *testing.T, s store.Store) { testSessionCRUD(t, s, kindAccess) }

func testRefreshToken(t *testing.T, s store.Store) {
	testSessionCRUD(t, s, kindRefresh)

	ctx := context.Background()
	_, err := s.RefreshTokenStatus(ctx, "missing")
	mustNotFound(t, "RefreshTokenStatus(missing)", err)

	client := newClient(t, s, "rt-client", "secret")
	req := newRequest(t, client, "carol")
	sig := randID(t)
	mustOK(t, "create refresh token", s.CreateRefreshTokenSession(ctx, sig, "at", req))
	st, err := s.RefreshTokenStatus(ctx, sig)
	mustOK(t, "RefreshTokenStatus", err)
	wantExp := req.Session.GetExpiresAt(fosite.RefreshToken)
	if !st.Active || st.RequestID != req.ID || !st.RotatedAt.IsZero() || st.ReplacedBy != "" || !st.ExpiresAt.Equal(wantExp) {
		t.Errorf("RefreshTokenStatus = %+v, want active, request %s, expiring %v", st, req.ID, wantExp)
	}
}

// testRefreshRotation follows fosite's refresh flow: the old token is read
// outside the transaction, then rotated, and the new access and refresh
// tokens are created in one transaction.
func testRefreshRotation(t *testing.T, s store.Store) {
	ctx := context.Background()
	client := newClient(t, s, "rotation-client", "secret")
	req := newRequest(t, client, "dave")
	rt1, at1 := "rt1-"+randID(t), "at1-"+randID(t)
	mustOK(t, "create AT1", s.CreateAccessTokenSession(ctx, at1, req))
	mustOK(t, "create RT1", s.CreateRefreshTokenSession(ctx, rt1, at1, req))

	rotate := func(old, newAT, newRT string, commit bool) error {
		txCtx, err := s.BeginTX(ctx)
		if err != nil {
			return err
		}
		err = s.RotateRefreshToken(txCtx, req.ID, old)
		if err == nil {
			err = s.CreateAccessTokenSession(txCtx, newAT, req)
		}
		if err == nil {
			err = s.CreateRefreshTokenSession(txCtx, newRT, newAT, req)
		}
		if err != nil || !commit {
			if rbErr := s.Rollback(txCtx); rbErr != nil {
				t.Errorf("rollback: %v", rbErr)
			}
			return err
		}
		return s.Commit(txCtx)
	}

	// A rolled-back rotation changes nothing.
	mustOK(t, "rotate RT1 (rolled back)", rotate(rt1, "at-x", "rt-x", false))
	if _, err := s.GetRefreshTokenSession(ctx, rt1, &store.Session{}); err != nil {
		t.Fatalf("RT1 after rolled-back rotation: %v", err)
	}
	_, err := s.GetRefreshTokenSession(ctx, "rt-x", &store.Session{})
	mustNotFound(t, "refresh token of a rolled-back rotation", err)

	rt2, at2 := "rt2-"+randID(t), "at2-"+randID(t)
	mustOK(t, "rotate RT1", rotate(rt1, at2, rt2, true))

	// The rotated token comes back with its request and ErrInactiveToken.
	got, err := s.GetRefreshTokenSession(ctx, rt1, &store.Session{})
	if !errors.Is(err, fosite.ErrInactiveToken) {
		t.Fatalf("get rotated RT1: err = %v, want ErrInactiveToken", err)
	}
	checkRequest(t, "get rotated RT1", got, req)
	if _, err := s.GetRefreshTokenSession(ctx, rt2, &store.Session{}); err != nil {
		t.Errorf("get RT2: %v", err)
	}
	// Rotation removed the grant's previous access token, not the new one.
	_, err = s.GetAccessTokenSession(ctx, at1, &store.Session{})
	mustNotFound(t, "AT1 after rotation", err)
	if _, err := s.GetAccessTokenSession(ctx, at2, &store.Session{}); err != nil {
		t.Errorf("get AT2: %v", err)
	}
	// Grace-window bookkeeping: when it was rotated and by what.
	st, err := s.RefreshTokenStatus(ctx, rt1)
	mustOK(t, "RefreshTokenStatus(RT1)", err)
	if st.Active || st.RotatedAt.IsZero() || st.ReplacedBy != rt2 {
		t.Errorf("RefreshTokenStatus(RT1) = %+v, want inactive, rotated, replaced by %s", st, rt2)
	}
	if time.Since(st.RotatedAt) > time.Minute || time.Until(st.RotatedAt) > time.Minute {
		t.Errorf("RotatedAt = %v, want about now", st.RotatedAt)
	}

	// Conditional: rotating an inactive token, a token of another grant, or
	// a missing one is a serialization failure.
	for _, tt := range []struct {
		name      string
		requestID string
		sig       string
	}{
		{"rotated token", req.ID, rt1},
		{"wrong request id", "other-request", rt2},
		{"missing token", req.ID, "missing"},
	} {
		if err := s.RotateRefreshToken(ctx, tt.requestID, tt.sig); !errors.Is(err, fosite.ErrSerializationFailure) {
			t.Errorf("rotate %s: err = %v, want ErrSerializationFailure", tt.name, err)
		}
	}
	// Outside a transaction rotation still works (no replacement recorded).
	mustOK(t, "rotate RT2 without a transaction", s.RotateRefreshToken(ctx, req.ID, rt2))
	if _, err := s.GetRefreshTokenSession(ctx, rt2, &store.Session{}); !errors.Is(err, fosite.ErrInactiveToken) {
		t.Errorf("get RT2 after rotation: err = %v, want ErrInactiveToken", err)
	}
}

// testRevokeByRequestID: RevokeRefreshToken / RevokeAccessToken take the
// grant's request id and remove all of its tokens of that kind, and nothing
// else.
func testRevokeByRequestID(t *testing.T, s store.Store) {
	ctx := context.Background()
	client := newClient(t, s, "revoke-client", "secret")
	a, b := newRequest(t, client, "erin"), newRequest(t, client, "erin")

	mint := func(r *fosite.Request, p string) (code string, ats, rts []string) {
		code = p + "-code"
		mustOK(t, "create code", s.CreateAuthorizeCodeSession(ctx, code, r))
		for i := range 2 {
			at, rt := p+"-at"+string(rune('0'+i)), p+"-rt"+string(rune('0'+i))
			mustOK(t, "create AT", s.CreateAccessTokenSession(ctx, at, r))
			mustOK(t, "create RT", s.CreateRefreshTokenSession(ctx, rt, at, r))
			ats, rts = append(ats, at), append(rts, rt)
		}
		return code, ats, rts
	}
	codeA, atsA, rtsA := mint(a, "a")
	codeB, atsB, rtsB := mint(b, "b")
	// One of A's refresh tokens is rotated: revocation removes it too.
	// (Rotation deletes the grant's access tokens; put them back.)
	mustOK(t, "rotate A's first RT", s.RotateRefreshToken(ctx, a.ID, rtsA[0]))
	for _, at := range atsA {
		mustOK(t, "recreate A's AT", s.CreateAccessTokenSession(ctx, at, a))
	}

	_, seq0, err := s.RevocationsSince(ctx, 0)
	mustOK(t, "RevocationsSince", err)

	exists := func(kind tokenKind, sig string) bool {
		t.Helper()
		_, err := kind.get(ctx, s, sig, &store.Session{})
		switch {
		case err == nil, errors.Is(err, fosite.ErrInactiveToken), errors.Is(err, fosite.ErrInvalidatedAuthorizeCode):
			return true
		case errors.Is(err, fosite.ErrNotFound):
			return false
		}
		t.Fatalf("get %s %s: %v", kind.name, sig, err)
		return false
	}

	mustOK(t, "RevokeRefreshToken(A)", s.RevokeRefreshToken(ctx, a.ID))
	for _, rt := range rtsA {
		if exists(kindRefresh, rt) {
			t.Errorf("A's refresh token %s survived RevokeRefreshToken", rt)
		}
	}
	for _, at := range atsA {
		if !exists(kindAccess, at) {
			t.Errorf("A's access token %s removed by RevokeRefreshToken", at)
		}
	}

	mustOK(t, "RevokeAccessToken(A)", s.RevokeAccessToken(ctx, a.ID))
	for _, at := range atsA {
		if exists(kindAccess, at) {
			t.Errorf("A's access token %s survived RevokeAccessToken", at)
		}
	}
	// Nothing of grant B, and not A's code, was touched.
	if !exists(kindCode, codeA) || !exists(kindCode, codeB) {
		t.Error("revocation removed authorization codes")
	}
	for _, at := range atsB {
		if !exists(kindAccess, at) {
			t.Errorf("B's access token %s was revoked", at)
		}
	}
	for _, rt := range rtsB {
		if !exists(kindRefresh, rt) {
			t.Errorf("B's refresh token %s was revoked", rt)
		}
	}

	// Revoking again, or an unknown grant, is not an error.
	mustOK(t, "RevokeRefreshToken(A) again", s.RevokeRefreshToken(ctx, a.ID))
	mustOK(t, "RevokeAccessToken(A) again", s.RevokeAccessToken(ctx, a.ID))
	mustOK(t, "RevokeRefreshToken(unknown)", s.RevokeRefreshToken(ctx, "unknown"))
	mustOK(t, "RevokeAccessToken(unknown)", s.RevokeAccessToken(ctx, "unknown"))

	// The grant's revocation was logged exactly once.
	revs, _, err := s.RevocationsSince(ctx, seq0)
	mustOK(t, "RevocationsSince", err)
	if len(revs) != 1 || revs[0].Kind != store.RevocationGrant || revs[0].Value != a.ID {
		t.Errorf("revocation log after revoking A = %+v, want one grant entry for %s", revs, a.ID)
	}
}

// testRequestSerialization: what fosite stores comes back intact, decoded
// into the session type fosite passes in, without touching that value.
func testRequestSerialization(t *testing.T, s store.Store) {
	ctx := context.Background()
	client := newClient(t, s, "serial-client", "secret")
	req := newRequest(t, client, "frank")
	sig := randID(t)
	mustOK(t, "create", s.CreateAccessTokenSession(ctx, sig, req))
	want := req.Session.(*store.Session)

	tests := []struct {
		name     string
		template fosite.Session
		check    func(t *testing.T, got fosite.Session)
	}{
		{"store.Session", &store.Session{Subject: "template"}, func(t *testing.T, got fosite.Session) {
			s, ok := got.(*store.Session)
			if !ok {
				t.Fatalf("session type %T, want *store.Session", got)
			}
			if s.Subject != want.Subject || s.Username != want.Username || s.ClientID != want.ClientID ||
				s.GrantID != want.GrantID || s.IdP != want.IdP || s.Extra["email"] != want.Extra["email"] ||
				!s.GrantExpiresAt.Equal(want.GrantExpiresAt) {
				t.Errorf("session = %+v, want %+v", s, want)
			}
			for _, tt := range []fosite.TokenType{fosite.AuthorizeCode, fosite.AccessToken, fosite.RefreshToken} {
				if !s.GetExpiresAt(tt).Equal(want.GetExpiresAt(tt)) {
					t.Errorf("expiry of %s = %v, want %v", tt, s.GetExpiresAt(tt), want.GetExpiresAt(tt))
				}
			}
		}},
		{"nil (fosite's revocation handler)", nil, func(t *testing.T, got fosite.Session) {
			if s, ok := got.(*store.Session); !ok || s.Subject != want.Subject {
				t.Errorf("session = %#v, want a *store.Session for %s", got, want.Subject)
			}
		}},
		{"fosite.DefaultSession", &fosite.DefaultSession{}, func(t *testing.T, got fosite.Session) {
			if s, ok := got.(*fosite.DefaultSession); !ok || s.Subject != want.Subject {
				t.Errorf("session = %#v, want a *fosite.DefaultSession for %s", got, want.Subject)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetAccessTokenSession(ctx, sig, tt.template)
			mustOK(t, "get", err)
			checkRequest(t, "get", got, req)
			tt.check(t, got.GetSession())
			if ts, ok := tt.template.(*store.Session); ok && ts.Subject != "template" {
				t.Errorf("the passed session was modified: %+v", ts)
			}
			if fr, ok := got.(*fosite.Request); !ok || fr.Form == nil {
				t.Errorf("request %T has no form map (fosite's Merge writes into it)", got)
			}
		})
	}
}

// testTransactions: commit persists, rollback discards, a transaction sees
// its own writes, others do not see them before commit.
func testTransactions(t *testing.T, s store.Store) {
	ctx := context.Background()
	client := newClient(t, s, "tx-client", "secret")

	tests := []struct {
		name   string
		commit bool
	}{
		{"commit persists", true},
		{"rollback discards", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, client, "grace")
			code, at, rt := randID(t), randID(t), randID(t)
			mustOK(t, "create code", s.CreateAuthorizeCodeSession(ctx, code, req))

			txCtx, err := s.BeginTX(ctx)
			mustOK(t, "BeginTX", err)
			mustOK(t, "invalidate code in tx", s.InvalidateAuthorizeCodeSession(txCtx, code))
			mustOK(t, "create AT in tx", s.CreateAccessTokenSession(txCtx, at, req))
			mustOK(t, "create RT in tx", s.CreateRefreshTokenSession(txCtx, rt, at, req))
			c2 := &store.Client{ID: "tx-" + randID(t), TokenEndpointAuthMethod: store.AuthMethodNone, Origin: store.OriginDCR}
			mustOK(t, "create client in tx", s.CreateClient(txCtx, c2))

			// Inside: own writes are visible.
			if _, err := s.GetAccessTokenSession(txCtx, at, &store.Session{}); err != nil {
				t.Errorf("AT not visible inside its tx: %v", err)
			}
			if _, err := s.GetAuthorizeCodeSession(txCtx, code, &store.Session{}); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
				t.Errorf("code invalidation not visible inside its tx: %v", err)
			}
			if _, err := s.LookupClient(txCtx, c2.ID); err != nil {
				t.Errorf("client not visible inside its tx: %v", err)
			}
			// Outside: nothing uncommitted is visible.
			_, err = s.GetAccessTokenSession(ctx, at, &store.Session{})
			mustNotFound(t, "AT outside the open tx", err)
			if _, err := s.GetAuthorizeCodeSession(ctx, code, &store.Session{}); err != nil {
				t.Errorf("code outside the open tx: %v, want still active", err)
			}

			if tt.commit {
				mustOK(t, "Commit", s.Commit(txCtx))
			} else {
				mustOK(t, "Rollback", s.Rollback(txCtx))
			}
			// Rolling back a finished transaction is a no-op (fosite's
			// error paths may do it after a failed commit).
			mustOK(t, "Rollback after end", s.Rollback(txCtx))

			_, errAT := s.GetAccessTokenSession(ctx, at, &store.Session{})
			_, errRT := s.GetRefreshTokenSession(ctx, rt, &store.Session{})
			_, errCode := s.GetAuthorizeCodeSession(ctx, code, &store.Session{})
			_, errClient := s.LookupClient(ctx, c2.ID)
			if tt.commit {
				for name, err := range map[string]error{"AT": errAT, "RT": errRT, "client": errClient} {
					if err != nil {
						t.Errorf("%s after commit: %v", name, err)
					}
				}
				if !errors.Is(errCode, fosite.ErrInvalidatedAuthorizeCode) {
					t.Errorf("code after commit: %v, want invalidated", errCode)
				}
			} else {
				mustNotFound(t, "AT after rollback", errAT)
				mustNotFound(t, "RT after rollback", errRT)
				mustNotFound(t, "client after rollback", errClient)
				if errCode != nil {
					t.Errorf("code after rollback: %v, want active", errCode)
				}
			}
		})
	}

	t.Run("misuse", func(t *testing.T) {
		if err := s.Commit(ctx); err == nil {
			t.Error("Commit without a transaction succeeded")
		}
		if err := s.Rollback(ctx); err == nil {
			t.Error("Rollback without a transaction succeeded")
		}
		txCtx, err := s.BeginTX(ctx)
		mustOK(t, "BeginTX", err)
		defer s.Rollback(txCtx)
		if _, err := s.BeginTX(txCtx); err == nil {
			t.Error("nested BeginTX succeeded")
		}
	})
}

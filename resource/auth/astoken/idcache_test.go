package astoken_test

import (
	"testing"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource/auth/astoken"
	"github.com/zscalermcp/zscaler-mcp/store"
)

// TestCachedIdentity: once a token was accepted, later requests with it
// are answered from the identity cache, and the checks that depend on the
// request or on time still apply to them: the audience is the resource
// being called, revocations (grant, client, subject) take effect at once,
// and an expired token is refused. With the cache off the answers are the
// same.
func TestCachedIdentity(t *testing.T) {
	a := newAS(t)
	for _, size := range []int{0, -1} {
		c := &clock{}
		v := newValidator(t, a, c, func(cfg *astoken.Config) { cfg.CacheSize = size })
		ok := func(path, tok string) {
			t.Helper()
			if _, err := validate(v, path, tok); err != nil {
				t.Fatalf("cache size %d: %s: %v", size, path, err)
			}
		}
		mcp := a.token(a.public + "/mcp")
		ok("/mcp", mcp)
		hits := v.Stats().CacheHits
		ok("/mcp", mcp)
		if size == 0 && v.Stats().CacheHits != hits+1 {
			t.Errorf("the second request with a token was not a cache hit")
		}
		_, err := validate(v, "/sse", mcp)
		wantRejected(t, err, "wrong audience")

		for _, kind := range []store.RevocationKind{store.RevocationGrant, store.RevocationClient, store.RevocationSubject} {
			c := &clock{} // a revocation of a client or subject covers every token issued before it
			v := newValidator(t, a, c, func(cfg *astoken.Config) { cfg.CacheSize = size })
			ok := func(path, tok string) {
				t.Helper()
				if _, err := validate(v, path, tok); err != nil {
					t.Fatalf("cache size %d: %s: %v", size, path, err)
				}
			}
			tok := a.token(a.public + "/mcp")
			id, err := validate(v, "/mcp", tok)
			if err != nil {
				t.Fatal(err)
			}
			ok("/mcp", tok)
			value := map[store.RevocationKind]string{store.RevocationGrant: id.Claims[store.ClaimGrantID].(string),
				store.RevocationClient: id.ClientID, store.RevocationSubject: id.Subject}[kind]
			c.Advance(time.Second) // revocations cover tokens issued up to then
			v.Revoke(kind, value)
			_, err = validate(v, "/mcp", tok)
			wantRejected(t, err, "revoked")
		}

		late := a.token(a.public + "/mcp")
		ok("/mcp", late)
		c.Advance(2 * time.Hour) // past exp (1 h) and the 60 s leeway
		_, err = validate(v, "/mcp", late)
		wantRejected(t, err, "expired")
	}
}

package oauthserver

import (
	"context"
	"sync"
)

// fosite's PKCE handler deletes the PKCE row of a code while it validates
// the token request, before the token transaction opens: on its own, that
// is one more commit (and fsync) per code exchange. Within a token request
// the delete is deferred instead: the code's invalidation, inside fosite's
// transaction, deletes it with the same commit; when the request fails
// before that commit, handleToken deletes it afterwards. Either way the
// PKCE row is gone after any attempt that reached it, as fosite intends (a
// wrong code_verifier still spends the code).

type pkceDeferKey struct{}

// pkceDeferred collects the PKCE signatures whose deletion was deferred.
type pkceDeferred struct {
	mu   sync.Mutex
	sigs []string
}

// withPKCEDeferral returns ctx carrying a fresh deferral list.
func withPKCEDeferral(ctx context.Context) (context.Context, *pkceDeferred) {
	d := &pkceDeferred{}
	return context.WithValue(ctx, pkceDeferKey{}, d), d
}

func pkceDeferral(ctx context.Context) *pkceDeferred {
	d, _ := ctx.Value(pkceDeferKey{}).(*pkceDeferred)
	return d
}

func (d *pkceDeferred) add(sig string) {
	d.mu.Lock()
	d.sigs = append(d.sigs, sig)
	d.mu.Unlock()
}

func (d *pkceDeferred) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.sigs...)
}

// DeletePKCERequestSession implements pkce.PKCERequestStorage: deferred
// within a token request, immediate otherwise.
func (fs *fositeStorage) DeletePKCERequestSession(ctx context.Context, signature string) error {
	if d := pkceDeferral(ctx); d != nil {
		d.add(signature)
		return nil
	}
	return fs.Store.DeletePKCERequestSession(ctx, signature)
}

// InvalidateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage:
// it invalidates the code and, in the same transaction, deletes the PKCE
// rows whose deletion this request deferred.
func (fs *fositeStorage) InvalidateAuthorizeCodeSession(ctx context.Context, signature string) error {
	if err := fs.Store.InvalidateAuthorizeCodeSession(ctx, signature); err != nil {
		return err
	}
	if d := pkceDeferral(ctx); d != nil {
		for _, sig := range d.list() {
			if err := fs.Store.DeletePKCERequestSession(ctx, sig); err != nil {
				return err
			}
		}
	}
	return nil
}

// flushPKCE deletes the deferred PKCE rows of a token request that did not
// commit (deletes are idempotent, so rows already gone are fine).
func (s *Server) flushPKCE(ctx context.Context, d *pkceDeferred) {
	for _, sig := range d.list() {
		if err := s.st.DeletePKCERequestSession(context.WithoutCancel(ctx), sig); err != nil {
			s.log.Warn("oauthserver: delete PKCE request", "err", err)
		}
	}
}

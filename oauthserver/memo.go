package oauthserver

import (
	"context"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// Request-scoped memos: reads this package already made for a request,
// handed to fosite's own reads of the same rows in the same request
// instead of a second query and JSON decode. They live only in the
// request's context.

type clientMemoKey struct{}

// withClientMemo records c, read (and authenticated) for this request.
func withClientMemo(ctx context.Context, c *store.Client) context.Context {
	return context.WithValue(ctx, clientMemoKey{}, c)
}

type refreshMemoKey struct{}

// refreshMemo is the refresh-token read of checkRefreshPolicy.
type refreshMemo struct {
	sig string
	req fosite.Requester
	err error
}

// refreshMemoFor returns the memo of the refresh token with signature sig
// in ctx, or nil.
func refreshMemoFor(ctx context.Context, sig string) *refreshMemo {
	if m, ok := ctx.Value(refreshMemoKey{}).(*refreshMemo); ok && m.sig == sig && m.req != nil {
		return m
	}
	return nil
}

// GetClient implements fosite.ClientManager: the client read earlier in
// this request, else the store's.
func (fs *fositeStorage) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	if c, ok := ctx.Value(clientMemoKey{}).(*store.Client); ok && c.ID == id {
		return fs.srv.wrapClient(ctx, c), nil
	}
	c, err := fs.Store.LookupClient(ctx, id)
	if err != nil {
		return nil, store.NotFound("client " + id)
	}
	return fs.srv.wrapClient(ctx, c), nil
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage: the read
// of checkRefreshPolicy for the same token in this request, else the
// store's. The memo holds what the store returned, error included (a
// rotated token's ErrInactiveToken drives fosite's reuse detection).
func (fs *fositeStorage) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	if m := refreshMemoFor(ctx, signature); m != nil {
		return m.req, m.err
	}
	return fs.Store.GetRefreshTokenSession(ctx, signature, session)
}

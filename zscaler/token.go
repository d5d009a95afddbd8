package zscaler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"
)

// maxRefreshMargin bounds how early before expiry a token is replaced.
const maxRefreshMargin = 60 * time.Second

// tokenCache holds the server's own OneAPI token. It fetches one on first
// use, hands the same token to every caller, replaces it before it expires
// (10 % of its lifetime early, at most 60 s early), lets only one fetch run
// at a time (callers arriving meanwhile wait for that fetch, each bounded by
// its own context) and drops a token the API refused.
type tokenCache struct {
	fetch   func(ctx context.Context) (*oauth2.Token, error)
	timeout time.Duration
	now     func() time.Time

	group singleflight.Group

	mu        sync.Mutex
	tok       *oauth2.Token
	refreshAt time.Time // on the c.now clock
	expiresAt time.Time // on the c.now clock
}

// token returns a usable access token, fetching one when needed.
func (c *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	c.mu.Lock()
	tok, refreshAt, expiresAt := c.tok, c.refreshAt, c.expiresAt
	c.mu.Unlock()
	now := c.now()
	if tok != nil && now.Before(refreshAt) {
		return tok, nil
	}
	ch := c.group.DoChan("token", func() (any, error) {
		// The fetch outlives any single caller's cancellation (others may be
		// waiting for it) but not the attempt timeout.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		return c.refresh(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			// A failed early refresh keeps using the old token while it is
			// still valid: the endpoint may be back before it expires.
			if tok != nil && c.now().Before(expiresAt) {
				return tok, nil
			}
			return nil, r.Err
		}
		return r.Val.(*oauth2.Token), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("zscaler: waiting for the OneAPI token: %w", ctx.Err())
	}
}

// refresh fetches a new token unless another caller just did.
func (c *tokenCache) refresh(ctx context.Context) (*oauth2.Token, error) {
	c.mu.Lock()
	if c.tok != nil && c.now().Before(c.refreshAt) {
		tok := c.tok
		c.mu.Unlock()
		return tok, nil
	}
	c.mu.Unlock()
	start, realStart := c.now(), time.Now()
	tok, err := c.fetch(ctx)
	if err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, errors.New("zscaler: the token endpoint answered without an access_token")
	}
	// x/oauth2 sets Expiry from expires_in on the wall clock.
	lifetime := time.Hour // OneAPI tokens live 1 h; assumed when expires_in is missing
	if !tok.Expiry.IsZero() {
		lifetime = max(tok.Expiry.Sub(realStart), 0)
	}
	margin := min(lifetime/10, maxRefreshMargin)
	c.mu.Lock()
	c.tok, c.refreshAt, c.expiresAt = tok, start.Add(lifetime-margin), start.Add(lifetime)
	c.mu.Unlock()
	return tok, nil
}

// invalidate drops tok if it is still the cached token (a 401 from the API
// means the server no longer accepts it); a newer token is kept.
func (c *tokenCache) invalidate(tok *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != nil && tok != nil && c.tok.AccessToken == tok.AccessToken {
		c.tok, c.refreshAt, c.expiresAt = nil, time.Time{}, time.Time{}
	}
}

// newFetcher returns the token request of cfg: the client-credentials grant
// of ZIdentity with the audience parameter, authenticated by the client
// secret in the form body (as the Zscaler SDKs send it:
// zscaler-sdk-go zscaler/oneapiclient.go Authenticate) or by a fresh
// private-key JWT client assertion (client_id, client_assertion,
// client_assertion_type in the form; authenticateWithCert there).
func newFetcher(cfg Config, tokenURL string, key *signingKey, hc *http.Client, now func() time.Time) func(ctx context.Context) (*oauth2.Token, error) {
	return func(ctx context.Context) (*oauth2.Token, error) {
		cc := clientcredentials.Config{
			ClientID: cfg.ClientID, TokenURL: tokenURL,
			EndpointParams: url.Values{"audience": {Audience}},
			AuthStyle:      oauth2.AuthStyleInParams,
		}
		if key != nil {
			a, err := key.assertion(cfg.ClientID, now())
			if err != nil {
				return nil, err
			}
			cc.EndpointParams.Set("client_assertion_type", AssertionType)
			cc.EndpointParams.Set("client_assertion", a)
		} else {
			cc.ClientSecret = cfg.ClientSecret
		}
		tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
		if err != nil {
			return nil, tokenError(tokenURL, err)
		}
		return tok, nil
	}
}

// tokenError turns an x/oauth2 failure into a *TokenError without the
// response body (it may echo form values).
func tokenError(tokenURL string, err error) error {
	te := &TokenError{TokenURL: tokenURL, Err: err}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te.Code, te.Description = re.ErrorCode, re.ErrorDescription
		if re.Response != nil {
			te.Status = re.Response.StatusCode
		}
		if te.Status == 0 {
			te.Status = http.StatusBadRequest // an RFC 6749 error in a 200 answer
		}
		te.Err = fmt.Errorf("token endpoint answered HTTP %d %s", te.Status, re.ErrorCode)
	}
	return te
}

package zscaler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Request is one OneAPI call.
type Request struct {
	// Service is the service code ("zia", "zpa", "zdx", "zcc",
	// "zidentity"); it selects the rate limiter and names the service in
	// errors. Empty means derived from the Path prefix.
	Service string
	// Method is the HTTP method; empty means GET.
	Method string
	// Path is the path below the base URL, starting with the service
	// prefix, e.g. "/zia/api/v1/urlCategories". Path segments taken from
	// tool arguments must be escaped with url.PathEscape by the caller;
	// "." and ".." segments are refused.
	Path string
	// Query is the query string.
	Query url.Values
	// Body, when non-nil, is sent as JSON.
	Body any
}

// Do sends req and decodes a JSON answer into out (unless out is nil or the
// answer has no body).
//
// Every attempt first waits for the service's rate limiter (respecting ctx;
// a wait longer than Config.MaxRetryDelay fails at once with
// ErrRateLimited), then is bounded by Config.Timeout. A 401 drops the
// cached token and the request is sent once more with a fresh one. 429 answers are retried
// for every method (the API refused the request without processing it),
// after the Retry-After the API sent or an exponential backoff with jitter.
// 5xx answers, attempt timeouts and connection errors are retried only for
// idempotent methods (GET, HEAD, PUT, DELETE): a POST or PATCH that may have
// been processed is never sent twice, except when the connection failed
// before the request was written. At most Config.MaxAttempts attempts are
// made, and no wait extends past ctx's deadline.
//
// Errors: *APIError for an API answer, *RequestError when no answer came,
// *TokenError when no token could be had; all match the sentinel kinds
// (ErrNotFound, ErrRateLimited, ErrUnauthorized, ErrUnavailable, ...).
func (c *Client) Do(ctx context.Context, req Request, out any) error {
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	service := req.Service
	if service == "" {
		service = serviceOf(req.Path)
	}
	u, err := c.url(req)
	if err != nil {
		return err
	}
	var body []byte
	if req.Body != nil {
		if body, err = json.Marshal(req.Body); err != nil {
			return fmt.Errorf("zscaler: encode %s %s body: %w", method, req.Path, err)
		}
	}
	lim := c.limits.limiter(service, method)
	sent, refreshed := 0, false
	for attempt := 1; ; attempt++ {
		if err := waitLimiter(ctx, lim, service, method, c.cfg.MaxRetryDelay); err != nil {
			return err
		}
		tok, err := c.tokens.token(ctx)
		if err != nil {
			if ctx.Err() != nil || !errors.Is(err, ErrUnavailable) || attempt >= c.cfg.MaxAttempts {
				return err
			}
			if werr := c.pause(ctx, c.backoff(attempt), err); werr != nil {
				return werr
			}
			continue
		}
		sent++
		res := c.send(ctx, method, u, body, tok)
		if res.err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("zscaler: %s %s %s: %w", service, method, req.Path, ctx.Err())
			}
			if res.fatal {
				return fmt.Errorf("zscaler: %s %s %s: %w", service, method, req.Path, res.err)
			}
			last := &RequestError{Service: service, Method: method, Path: req.Path, Attempts: sent, Err: res.err}
			if (!idempotent(method) && res.wrote) || attempt >= c.cfg.MaxAttempts {
				return last
			}
			c.log.DebugContext(ctx, "zscaler API retry", "service", service, "method", method, "path", req.Path, "attempt", attempt, "error", res.err.Error())
			if werr := c.pause(ctx, c.backoff(attempt), last); werr != nil {
				return werr
			}
			continue
		}
		if res.status/100 == 2 {
			if out == nil || len(bytes.TrimSpace(res.data)) == 0 {
				return nil
			}
			if err := json.Unmarshal(res.data, out); err != nil {
				return fmt.Errorf("zscaler: %s %s %s: decode answer: %w", service, method, req.Path, err)
			}
			return nil
		}
		apiErr := newAPIError(service, method, req.Path, res, c.now())
		apiErr.Attempts = sent
		if res.status == http.StatusUnauthorized && !refreshed {
			// The token may have been revoked or expired early: one more
			// try with a fresh token, not counted as an attempt.
			refreshed = true
			c.tokens.invalidate(tok)
			c.log.InfoContext(ctx, "zscaler API refused the OneAPI token; fetching a new one", "service", service, "path", req.Path)
			attempt--
			continue
		}
		if !retryableStatus(res.status, method) || attempt >= c.cfg.MaxAttempts {
			return apiErr
		}
		wait := c.backoff(attempt)
		if apiErr.RetryAfter > 0 || res.header.Get("Retry-After") != "" {
			if apiErr.RetryAfter > c.cfg.MaxRetryDelay {
				return apiErr
			}
			wait = apiErr.RetryAfter
		}
		c.log.DebugContext(ctx, "zscaler API retry", "service", service, "method", method, "path", req.Path, "status", res.status, "attempt", attempt, "wait", wait)
		if werr := c.pause(ctx, wait, apiErr); werr != nil {
			return werr
		}
	}
}

func (c *Client) backoff(attempt int) time.Duration {
	return backoff(c.cfg.RetryBaseDelay, c.cfg.MaxRetryDelay, attempt)
}

// pause waits d before the next attempt. If ctx ends first, or its deadline
// is sooner than d, it returns last (the error the retry was for) at once.
func (c *Client) pause(ctx context.Context, d time.Duration, last error) error {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return last
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return last
	}
}

// url builds the request URL, keeping the caller's path escaping.
func (c *Client) url(req Request) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("zscaler: invalid request path %q: %s", req.Path, why)
	}
	if !strings.HasPrefix(req.Path, "/") {
		return "", bad("it must start with /")
	}
	ref, err := url.Parse(req.Path)
	if err != nil {
		return "", bad(err.Error())
	}
	if ref.Scheme != "" || ref.Host != "" || ref.Opaque != "" || ref.User != nil || ref.RawQuery != "" || ref.ForceQuery || ref.Fragment != "" || strings.HasPrefix(req.Path, "//") {
		return "", bad("it must be a plain path (query parameters go in Request.Query)")
	}
	for _, seg := range strings.Split(ref.Path, "/") {
		if seg == "." || seg == ".." {
			return "", bad("dot segments are not allowed")
		}
	}
	u := *c.cfg.base
	u.Path = c.cfg.base.Path + ref.Path
	u.RawPath = c.cfg.base.EscapedPath() + ref.EscapedPath()
	u.RawQuery = req.Query.Encode()
	return u.String(), nil
}

// serviceOf derives the service code from an API path prefix.
func serviceOf(path string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch seg {
	case "ziam":
		return "zidentity"
	case "":
		return DefaultServiceKey
	}
	return seg
}

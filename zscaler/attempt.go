package zscaler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// result is the outcome of one attempt.
type result struct {
	status int
	header http.Header
	data   []byte
	// err is a transport failure (no usable answer); wrote reports whether
	// the request had been written before it; fatal marks failures a retry
	// cannot fix (an oversized answer).
	err   error
	wrote bool
	fatal bool
}

// send makes one attempt, bounded by Config.Timeout (the answer's body
// included).
func (c *Client) send(ctx context.Context, method string, u string, body []byte, tok *oauth2.Token) result {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	// The transport reports the write from its own goroutine, possibly
	// after Do has returned.
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace), method, u, rd)
	if err != nil {
		return result{err: err, fatal: true}
	}
	tok.SetAuthHeader(hr)
	hr.Header.Set("Accept", "application/json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.hc.Do(hr)
	if err != nil {
		return result{err: attemptError(actx, ctx, c.cfg.Timeout, err), wrote: wrote.Load()}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		// Headers came back: the request reached the server.
		return result{err: attemptError(actx, ctx, c.cfg.Timeout, fmt.Errorf("read answer: %w", err)), wrote: true}
	}
	if int64(len(data)) > c.cfg.MaxResponseBytes {
		return result{err: fmt.Errorf("the answer is larger than %d bytes", c.cfg.MaxResponseBytes), wrote: true, fatal: true}
	}
	return result{status: resp.StatusCode, header: resp.Header, data: data}
}

// attemptError says "timed out" for an attempt that hit Config.Timeout
// (rather than the caller's own deadline).
func attemptError(actx, ctx context.Context, timeout time.Duration, err error) error {
	if actx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("attempt timed out after %s", timeout)
	}
	return err
}

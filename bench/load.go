package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const protocolVersion = "2025-06-18"

// client is the harness's MCP client for one server. Every session gets its
// own keep-alive HTTP transport, so a worker uses exactly one TCP
// connection (a shared transport races dials against idle connections and
// opens more than one connection per worker when many start at once); a
// counter records the connections opened.
type client struct {
	base   string      // http://127.0.0.1:PORT
	header http.Header // credentials of the mode, sent on every request
	conns  int         // MaxIdleConnsPerHost of each transport (≥ the concurrency)
	dials  atomic.Int64

	mu  sync.Mutex
	trs []*http.Transport
}

func newClient(base string, conns int, header http.Header) *client {
	return &client{base: base, header: header, conns: conns}
}

// newHTTP returns a keep-alive HTTP client with a transport of its own that
// only dials 127.0.0.1.
func (c *client) newHTTP() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil || host != "127.0.0.1" {
				return nil, fmt.Errorf("bench: refusing to dial %q (loopback 127.0.0.1 only)", addr)
			}
			c.dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
		Proxy:               nil, // never a proxy: loopback only
		MaxIdleConns:        c.conns,
		MaxIdleConnsPerHost: c.conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	c.mu.Lock()
	c.trs = append(c.trs, tr)
	c.mu.Unlock()
	return &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// close closes every idle connection the client's transports hold.
func (c *client) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tr := range c.trs {
		tr.CloseIdleConnections()
	}
}

// rpcResponse is the part of a JSON-RPC response the harness checks.
type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result *struct {
		IsError bool `json:"isError"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// session is one MCP session (one worker's).
type session struct {
	c      *client
	hc     *http.Client
	id     string
	header http.Header // per-request headers, built once
	nextID int
	body   []byte       // request body buffer, reused
	resp   bytes.Buffer // response buffer, reused
}

// post sends body to /mcp with hdr and returns the status, the response
// headers and the JSON-RPC payload (from a JSON body or the first SSE
// event's data). The payload aliases buf.
func (c *client) post(ctx context.Context, hc *http.Client, hdr http.Header, body []byte, buf *bytes.Buffer) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/mcp", bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = hdr
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, 1<<20)); err != nil {
		return resp.StatusCode, resp.Header, nil, err
	}
	payload := buf.Bytes()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		payload = sseData(payload)
	}
	return resp.StatusCode, resp.Header, payload, nil
}

// sseData returns the data of the first event carrying data in an SSE body
// (multi-line data joined with \n, as the SSE spec says).
func sseData(b []byte) []byte {
	var out []byte
	found := false
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			if found {
				return out
			}
			continue
		}
		if d, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			d = bytes.TrimPrefix(d, []byte(" "))
			if found {
				out = append(out, '\n')
			}
			out = append(out, d...)
			found = true
		}
	}
	return out
}

func (c *client) baseHeader() http.Header {
	h := http.Header{}
	for k, v := range c.header {
		h[k] = slices.Clone(v)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	return h
}

// initialize opens a session on a connection of its own: initialize, then
// notifications/initialized. It returns the latency of the initialize
// request too (for the cold first-request measurements).
func (c *client) initialize(ctx context.Context, hdr http.Header) (*session, time.Duration, error) {
	return c.initializeOn(ctx, c.newHTTP(), hdr)
}

// initializeOn is initialize over hc (nil hdr: the mode's credentials).
func (c *client) initializeOn(ctx context.Context, hc *http.Client, hdr http.Header) (*session, time.Duration, error) {
	if hdr == nil {
		hdr = c.baseHeader()
	}
	s := &session{c: c, hc: hc, nextID: 2}
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"` + protocolVersion +
		`","capabilities":{},"clientInfo":{"name":"zscaler-mcp-bench","version":"1"}}}`)
	t0 := time.Now()
	status, rh, payload, err := c.post(ctx, s.hc, hdr, body, &s.resp)
	took := time.Since(t0)
	if err != nil {
		return nil, took, fmt.Errorf("initialize: %w", err)
	}
	if status != http.StatusOK {
		return nil, took, fmt.Errorf("initialize: HTTP %d: %.300s", status, s.resp.String())
	}
	if err := checkRPC(payload, false); err != nil {
		return nil, took, fmt.Errorf("initialize: %w", err)
	}
	s.id = rh.Get("Mcp-Session-Id")
	if s.id == "" {
		return nil, took, errors.New("initialize: no Mcp-Session-Id in the response")
	}
	s.header = hdr.Clone()
	s.header.Set("Mcp-Session-Id", s.id)
	s.header.Set("Mcp-Protocol-Version", protocolVersion)
	status, _, _, err = c.post(ctx, s.hc, s.header, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`), &s.resp)
	if err != nil {
		return nil, took, fmt.Errorf("notifications/initialized: %w", err)
	}
	if status/100 != 2 {
		return nil, took, fmt.Errorf("notifications/initialized: HTTP %d: %.300s", status, s.resp.String())
	}
	return s, took, nil
}

// checkRPC reports a JSON-RPC error, or (for tools/call) a tool error.
func checkRPC(payload []byte, tool bool) error {
	var r rpcResponse
	if err := json.Unmarshal(payload, &r); err != nil {
		return fmt.Errorf("bad JSON-RPC response %.200q: %w", payload, err)
	}
	if r.Error != nil {
		return fmt.Errorf("JSON-RPC error %d: %s", r.Error.Code, r.Error.Message)
	}
	if r.Result == nil {
		return fmt.Errorf("JSON-RPC response without result: %.200s", payload)
	}
	if tool && r.Result.IsError {
		return fmt.Errorf("tool error: %.200s", payload)
	}
	return nil
}

// callWhoami runs one tools/call whoami and returns the JSON-RPC payload.
func (s *session) callWhoami(ctx context.Context) ([]byte, error) {
	return s.callTool(ctx, "whoami")
}

// callTool runs one tools/call of name (no arguments) and returns the
// JSON-RPC payload; a JSON-RPC or tool error is an error.
func (s *session) callTool(ctx context.Context, name string) ([]byte, error) {
	s.body = append(s.body[:0], `{"jsonrpc":"2.0","id":`...)
	s.body = strconv.AppendInt(s.body, int64(s.nextID), 10)
	s.body = append(s.body, `,"method":"tools/call","params":{"name":"`...)
	s.body = append(s.body, name...)
	s.body = append(s.body, `","arguments":{}}}`...)
	s.nextID++
	status, _, payload, err := s.c.post(ctx, s.hc, s.header, s.body, &s.resp)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.200s", status, s.resp.String())
	}
	if err := checkRPC(payload, true); err != nil {
		return nil, err
	}
	return payload, nil
}

// whoamiText returns the text content of a whoami result.
func whoamiText(payload []byte) string {
	var r rpcResponse
	if json.Unmarshal(payload, &r) != nil || r.Result == nil {
		return ""
	}
	var sb strings.Builder
	for _, c := range r.Result.Content {
		if c.Type == "text" {
			sb.WriteString(c.Text)
		}
	}
	return sb.String()
}

// openSessions opens n sessions concurrently (bounded by 16 at a time).
func (c *client) openSessions(ctx context.Context, n int) ([]*session, error) {
	out := make([]*session, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], _, errs[i] = c.initialize(ctx, nil)
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// loadResult is what one load phase measured.
type loadResult struct {
	Requests  int           // tools/call completed inside the window (ok or not)
	Errors    int           // failed tools/call (transport, non-2xx, JSON-RPC or tool error)
	Elapsed   time.Duration // the window
	Latencies []time.Duration
	FirstErr  string
}

// runLoad drives every session in its own goroutine, back to back, for d.
// With record, each successful call's latency is kept (in a slice pre-sized
// from capHint per worker) for exact percentiles.
func runLoad(ctx context.Context, sessions []*session, d time.Duration, record bool, capHint int) loadResult {
	type workerOut struct {
		lat      []time.Duration
		n, errs  int
		firstErr error
	}
	outs := make([]workerOut, len(sessions))
	start := time.Now()
	end := start.Add(d)
	ctx, cancel := context.WithDeadline(ctx, end.Add(15*time.Second))
	defer cancel()
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &outs[i]
			if record {
				o.lat = make([]time.Duration, 0, capHint)
			}
			for {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				_, err := s.callWhoami(ctx)
				t1 := time.Now()
				if t1.After(end) {
					// Finished after the window: not part of the measurement,
					// but a failure still counts.
					if err != nil {
						o.errs++
						if o.firstErr == nil {
							o.firstErr = err
						}
					}
					return
				}
				o.n++
				if err != nil {
					o.errs++
					if o.firstErr == nil {
						o.firstErr = err
					}
					if ctx.Err() != nil {
						return
					}
					continue
				}
				if record {
					o.lat = append(o.lat, t1.Sub(t0))
				}
			}
		}()
	}
	wg.Wait()
	res := loadResult{Elapsed: d}
	total := 0
	for _, o := range outs {
		total += len(o.lat)
	}
	if record {
		res.Latencies = make([]time.Duration, 0, total)
	}
	for _, o := range outs {
		res.Requests += o.n
		res.Errors += o.errs
		res.Latencies = append(res.Latencies, o.lat...)
		if o.firstErr != nil && res.FirstErr == "" {
			res.FirstErr = o.firstErr.Error()
		}
	}
	return res
}

// percentile returns the exact nearest-rank p-quantile (0 < p <= 1) of
// sorted: the smallest value with at least p of the samples at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The epsilon keeps an exact rank (0.5 × 10000) from rounding up.
	rank := int(math.Ceil(p*float64(len(sorted)) - 1e-9))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

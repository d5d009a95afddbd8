package zscaler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/resource/auth/zscalerauth"
)

// DefaultBaseURL is the OneAPI base URL.
const DefaultBaseURL = "https://api.zsapi.net"

// Audience is the audience OneAPI tokens are requested for.
const Audience = "https://api.zscaler.com"

// Defaults of the transport settings of [Config].
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxAttempts      = 3
	DefaultRetryBaseDelay   = 500 * time.Millisecond
	DefaultMaxRetryDelay    = 30 * time.Second
	DefaultMaxResponseBytes = 32 << 20
)

// Config configures a [Client]. Its fields mirror the ZSCALER_* environment
// variables of DESIGN.md §3 (see [ConfigFromEnv]); zero values mean the
// documented defaults.
type Config struct {
	// ClientID and ClientSecret are the OneAPI client credentials
	// (ZSCALER_CLIENT_ID, ZSCALER_CLIENT_SECRET).
	ClientID, ClientSecret string
	// PrivateKey is a private key for private-key JWT client authentication
	// instead of ClientSecret (ZSCALER_PRIVATE_KEY): an inline PEM key
	// (RSA ≥ 2048 bits or EC P-256/384/521; PKCS#8, PKCS#1 or SEC1), an
	// inline JWK, or the path of a file holding either.
	PrivateKey string
	// VanityDomain and Cloud derive the token URL (ZSCALER_VANITY_DOMAIN,
	// ZSCALER_CLOUD); TokenURL overrides it (ZSCALER_TOKEN_URL).
	VanityDomain, Cloud, TokenURL string
	// BaseURL is the OneAPI base URL (ZSCALER_API_BASE_URL); empty means
	// DefaultBaseURL, or https://api.<cloud>.zsapi.net for a non-production
	// Cloud (as the Zscaler SDKs derive it).
	BaseURL string
	// CustomerID is the ZPA customer id (ZSCALER_CUSTOMER_ID).
	CustomerID string
	// HTTPClient sends API and token requests; nil means a dedicated client.
	// Its own Timeout, if any, applies on top of Timeout.
	HTTPClient *http.Client
	// Timeout bounds one HTTP attempt, reading the answer included, and one
	// token request; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxAttempts bounds how often one request is sent (first try
	// included); zero means DefaultMaxAttempts.
	MaxAttempts int
	// RetryBaseDelay is the first backoff; it doubles per retry, with
	// jitter, up to MaxRetryDelay. Zero means DefaultRetryBaseDelay.
	RetryBaseDelay time.Duration
	// MaxRetryDelay caps the backoff and the Retry-After the client is
	// willing to wait; an API asking for longer gets its 429 returned.
	// Zero means DefaultMaxRetryDelay.
	MaxRetryDelay time.Duration
	// RateLimits override [DefaultRateLimits] per service code ("zia",
	// "zpa", ..., or DefaultServiceKey); unset weights keep the default.
	RateLimits map[string]ServiceLimits
	// MaxResponseBytes bounds an answer body; zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// UserAgent is sent on every request; empty means zscaler-mcp/<version>
	// (the module version from the build info).
	UserAgent string
	// Logger receives retry and token-refresh events (never secrets); nil
	// means none.
	Logger *slog.Logger
}

// resolved is a validated Config with its derived values.
type resolved struct {
	Config
	tokenURL string
	base     *url.URL
	key      *signingKey
}

// Validate checks cfg without contacting the network: credentials present,
// private key parseable, token and base URLs well formed. Its errors name
// the environment variable to fix and never contain secrets.
func (cfg Config) Validate() error {
	_, err := cfg.resolve()
	return err
}

func (cfg Config) resolve() (*resolved, error) {
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, errors.New("zscaler: ZSCALER_CLIENT_ID is required")
	}
	if cfg.ClientSecret == "" && cfg.PrivateKey == "" {
		return nil, errors.New("zscaler: ZSCALER_CLIENT_SECRET or ZSCALER_PRIVATE_KEY is required")
	}
	if cfg.ClientSecret != "" && cfg.PrivateKey != "" {
		return nil, errors.New("zscaler: set either ZSCALER_CLIENT_SECRET or ZSCALER_PRIVATE_KEY, not both")
	}
	r := &resolved{Config: cfg}
	if cfg.PrivateKey != "" {
		k, err := loadPrivateKey(cfg.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("zscaler: %w", err)
		}
		r.key = k
	}
	tokenURL, err := zscalerauth.TokenURL(cfg.VanityDomain, cfg.Cloud, cfg.TokenURL)
	if err != nil {
		return nil, fmt.Errorf("zscaler: %w", err)
	}
	r.tokenURL = tokenURL
	if r.BaseURL == "" {
		r.BaseURL = DefaultBaseURL
		if c := strings.ToLower(strings.TrimSpace(cfg.Cloud)); c != "" && c != "production" {
			r.BaseURL = "https://api." + c + ".zsapi.net"
		}
	}
	base, err := url.Parse(strings.TrimRight(r.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("zscaler: ZSCALER_API_BASE_URL %q is not an absolute http(s) URL without query or credentials", r.BaseURL)
	}
	r.base = base
	if r.Timeout <= 0 {
		r.Timeout = DefaultTimeout
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.RetryBaseDelay <= 0 {
		r.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if r.MaxRetryDelay <= 0 {
		r.MaxRetryDelay = DefaultMaxRetryDelay
	}
	if r.MaxResponseBytes <= 0 {
		r.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if r.UserAgent == "" {
		r.UserAgent = defaultUserAgent()
	}
	return r, nil
}

func defaultUserAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "zscaler-mcp/" + v
}

// Client calls the Zscaler OneAPI with the server's own credential. It is
// safe for concurrent use.
type Client struct {
	cfg    *resolved
	hc     *http.Client
	tokens *tokenCache
	// token is tokens as an oauth2.TokenSource, for package code written
	// against the skeleton's field of that name.
	token  oauth2.TokenSource
	limits *limiters
	log    *slog.Logger
	now    func() time.Time
}

// New returns a client for cfg. It validates cfg but does not contact the
// network: the first token is fetched by the first call.
func New(ctx context.Context, cfg Config) (*Client, error) {
	_ = ctx // reserved: the client holds no goroutine or connection yet
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	hc := r.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	c := &Client{cfg: r, hc: hc, limits: newLimiters(r.RateLimits), log: r.Logger, now: time.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	// Token requests carry our User-Agent too.
	thc := *hc
	thc.Transport = uaTransport{ua: r.UserAgent, next: hc.Transport}
	c.tokens = &tokenCache{
		fetch:   newFetcher(r.Config, r.tokenURL, r.key, &thc, func() time.Time { return c.now() }),
		timeout: r.Timeout,
		now:     func() time.Time { return c.now() },
	}
	c.token = tokenSourceFunc(func() (*oauth2.Token, error) { return c.tokens.token(context.Background()) })
	return c, nil
}

// CustomerID is the configured ZPA customer id.
func (c *Client) CustomerID() string { return c.cfg.CustomerID }

// TokenURL is the token endpoint the client authenticates at.
func (c *Client) TokenURL() string { return c.cfg.tokenURL }

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
// ErrRateLimited), then is bounded by Config.Timeout. A 401 drops the cached token and
// the request is sent once more with a fresh one. 429 answers are retried
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

func (c *Client) send(ctx context.Context, method string, u string, body []byte, tok *oauth2.Token) result {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var res result
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { res.wrote = true }}
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
		res.err = attemptError(actx, ctx, c.cfg.Timeout, err)
		return res
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		res.err = attemptError(actx, ctx, c.cfg.Timeout, fmt.Errorf("read answer: %w", err))
		return res
	}
	if int64(len(data)) > c.cfg.MaxResponseBytes {
		return result{err: fmt.Errorf("the answer is larger than %d bytes", c.cfg.MaxResponseBytes), wrote: true, fatal: true}
	}
	res.status, res.header, res.data = resp.StatusCode, resp.Header, data
	return res
}

// attemptError says "timed out" for an attempt that hit Config.Timeout
// (rather than the caller's own deadline).
func attemptError(actx, ctx context.Context, timeout time.Duration, err error) error {
	if actx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("attempt timed out after %s", timeout)
	}
	return err
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

// newAPIError reads the API's error body: {"code", "message"} (ZIA),
// {"id", "reason"} (ZPA), and a few other spellings.
func newAPIError(service, method, path string, res result, now time.Time) *APIError {
	e := &APIError{Service: service, Method: method, Path: path, Status: res.status}
	if ra, ok := parseRetryAfter(res.header, res.data, now); ok {
		e.RetryAfter = ra
	}
	var m map[string]any
	if json.Unmarshal(res.data, &m) == nil {
		e.Code = firstString(m, "code", "id", "errorCode", "error")
		e.Message = firstString(m, "message", "reason", "errorMessage", "error_description", "detail", "description")
	} else if ct := res.header.Get("Content-Type"); strings.HasPrefix(ct, "text/plain") {
		e.Message = strings.TrimSpace(string(res.data))
	}
	e.Code, e.Message = truncate(e.Code, 100), truncate(e.Message, 500)
	return e
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return s
			}
		case float64:
			return fmt.Sprint(v)
		}
	}
	return ""
}

// tokenSourceFunc adapts a function to oauth2.TokenSource.
type tokenSourceFunc func() (*oauth2.Token, error)

// Token returns the cached token, fetching one when needed.
func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// uaTransport sets the User-Agent of token requests.
type uaTransport struct {
	ua   string
	next http.RoundTripper
}

func (t uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.ua)
	return next.RoundTrip(r)
}

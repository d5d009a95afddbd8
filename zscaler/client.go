package zscaler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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

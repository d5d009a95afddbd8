package zscaler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/zscalermcp/zscaler-mcp/resource/auth/zscalerauth"
)

// DefaultBaseURL is the OneAPI base URL.
const DefaultBaseURL = "https://api.zsapi.net"

// Audience is the audience OneAPI tokens are requested for.
const Audience = "https://api.zscaler.com"

// Config configures a [Client]. Its fields mirror the ZSCALER_* environment
// variables of DESIGN.md §3.
type Config struct {
	// ClientID and ClientSecret are the OneAPI client credentials
	// (ZSCALER_CLIENT_ID, ZSCALER_CLIENT_SECRET).
	ClientID, ClientSecret string
	// PrivateKey is a PEM private key for private-key JWT client
	// authentication instead of ClientSecret (ZSCALER_PRIVATE_KEY).
	PrivateKey string
	// VanityDomain and Cloud derive the token URL (ZSCALER_VANITY_DOMAIN,
	// ZSCALER_CLOUD); TokenURL overrides it (ZSCALER_TOKEN_URL).
	VanityDomain, Cloud, TokenURL string
	// BaseURL is the OneAPI base URL (ZSCALER_API_BASE_URL); empty means
	// DefaultBaseURL.
	BaseURL string
	// CustomerID is the ZPA customer id (ZSCALER_CUSTOMER_ID).
	CustomerID string
	// HTTPClient sends API and token requests; nil means a client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds one HTTP attempt; zero means 30 s.
	Timeout time.Duration
	// UserAgent is sent on every request.
	UserAgent string
}

// Client calls the Zscaler OneAPI. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  *url.URL
	hc    *http.Client
	token oauth2.TokenSource
}

// New returns a client for cfg. It does not contact the network.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("zscaler: ZSCALER_CLIENT_ID is required")
	}
	if cfg.ClientSecret == "" && cfg.PrivateKey == "" {
		return nil, errors.New("zscaler: ZSCALER_CLIENT_SECRET or ZSCALER_PRIVATE_KEY is required")
	}
	tokenURL, err := zscalerauth.TokenURL(cfg.VanityDomain, cfg.Cloud, cfg.TokenURL)
	if err != nil {
		return nil, fmt.Errorf("zscaler: %w", err)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("zscaler: ZSCALER_API_BASE_URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	cc := clientcredentials.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: tokenURL,
		EndpointParams: url.Values{"audience": {Audience}},
		AuthStyle:      oauth2.AuthStyleInParams,
	}
	// TODO(zscaler client owner): private-key JWT (cfg.PrivateKey), refresh
	// before expiry, retries, rate limits.
	tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, hc)
	return &Client{cfg: cfg, base: base, hc: hc, token: oauth2.ReuseTokenSource(nil, cc.TokenSource(tctx))}, nil
}

// CustomerID is the configured ZPA customer id.
func (c *Client) CustomerID() string { return c.cfg.CustomerID }

// Request is one OneAPI call.
type Request struct {
	// Service is the service code ("zia", "zpa", "zdx", "zcc",
	// "zidentity"); it selects the rate limiter and names the service in
	// errors.
	Service string
	// Method is the HTTP method; empty means GET.
	Method string
	// Path is the path below the base URL, starting with the service
	// prefix, e.g. "/zia/api/v1/urlCategories". Path segments taken from
	// tool arguments must be escaped with url.PathEscape by the caller.
	Path string
	// Query is the query string.
	Query url.Values
	// Body, when non-nil, is sent as JSON.
	Body any
}

// APIError is a non-2xx answer of the OneAPI.
type APIError struct {
	Service string
	Method  string
	Path    string
	// Status is the HTTP status code.
	Status int
	// Code and Message come from the API's error body when it has one.
	Code, Message string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s API %s %s: %d", e.Service, e.Method, e.Path, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	return s + ": " + msg
}

// Do sends req and decodes a JSON answer into out (unless out is nil or the
// answer has no body).
func (c *Client) Do(ctx context.Context, req Request, out any) error {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	u := *c.base
	u.Path += req.Path
	u.RawQuery = req.Query.Encode()
	var body io.Reader
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return fmt.Errorf("zscaler: encode %s %s body: %w", method, req.Path, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("zscaler: %s %s: %w", method, req.Path, err)
	}
	tok, err := c.token.Token()
	if err != nil {
		return fmt.Errorf("zscaler: get OneAPI token: %w", err)
	}
	tok.SetAuthHeader(hr)
	hr.Header.Set("Accept", "application/json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.UserAgent != "" {
		hr.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return fmt.Errorf("zscaler: %s %s: %w", method, req.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("zscaler: %s %s: read answer: %w", method, req.Path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &APIError{Service: req.Service, Method: method, Path: req.Path, Status: resp.StatusCode}
		var eb struct {
			Code    string `json:"code"`
			ID      string `json:"id"`
			Message string `json:"message"`
			Reason  string `json:"reason"`
		}
		if json.Unmarshal(data, &eb) == nil {
			e.Code = eb.Code
			if e.Code == "" {
				e.Code = eb.ID
			}
			e.Message = eb.Message
			if e.Message == "" {
				e.Message = eb.Reason
			}
		}
		return e
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("zscaler: %s %s: decode answer: %w", method, req.Path, err)
	}
	return nil
}

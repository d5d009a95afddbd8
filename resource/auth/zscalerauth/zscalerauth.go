// Package zscalerauth implements the "zscaler" client-auth mode of the MCP
// resource server (DESIGN.md §3): a client presents its own Zscaler OneAPI
// client credentials (Authorization: Basic base64(id:secret), or the
// X-Zscaler-Client-ID / X-Zscaler-Client-Secret pair) and the Validator
// proves them with a client-credentials token request to the Zscaler
// identity provider (ZIdentity).
//
// The IdP is an external, rate-limited service, so the validator spends as
// few token requests as it can:
//
//   - a successful validation is cached for the lifetime of the token the IdP
//     issued (minus a margin), keyed by an HMAC of the client id and secret
//     under a random per-process key; the secret itself is never stored;
//   - concurrent first requests with the same credential share one token
//     request (singleflight);
//   - credentials the IdP refused are remembered briefly (negative cache);
//   - refusals are budgeted per client IP: once an address has spent its
//     failure budget, its uncached credentials are rejected with 429 before
//     any token request, so guessing secrets costs the IdP nothing. Cached
//     (already proven) credentials keep working from that address.
//
// An IdP outage (timeout, network error, 5xx, 429, unparseable answer) is a
// 503 with Retry-After and is never cached, never counted as a failure and
// never reported as 401, which would make a client discard good credentials.
package zscalerauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultAudience is the OneAPI audience sent with every token request.
	DefaultAudience = "https://api.zscaler.com"
	// DefaultTimeout bounds one token request.
	DefaultTimeout = 10 * time.Second
	// DefaultCacheSize bounds the positive and negative caches (entries each).
	DefaultCacheSize = 10_000
	// DefaultTTL is how long a validation is cached when the IdP's answer
	// carries no expires_in.
	DefaultTTL = 5 * time.Minute
	// DefaultExpiryMargin is subtracted from the token lifetime.
	DefaultExpiryMargin = 60 * time.Second
	// DefaultNegativeTTL is how long a refused credential is remembered.
	DefaultNegativeTTL = 30 * time.Second
	// DefaultFailureBurst is how many refused credentials one client IP may
	// present before it is rate limited.
	DefaultFailureBurst = 5
	// DefaultFailureEvery is how often one more failure is allowed per IP
	// once the burst is spent.
	DefaultFailureEvery = 10 * time.Second
	// DefaultMaxTrackedIPs bounds the per-IP failure limiters kept.
	DefaultMaxTrackedIPs = 10_000
	// DefaultRetryAfter is the Retry-After sent with a 503 for an IdP outage
	// when the IdP did not send its own.
	DefaultRetryAfter = 30 * time.Second
)

// Rejection reasons (sent to clients; they never carry secrets).
const (
	reasonInvalid     = "invalid Zscaler credentials"
	reasonUnavailable = "Zscaler identity provider unavailable"
	reasonLimited     = "too many failed Zscaler credential checks from this address; retry later"
)

const (
	// maxTokenLifetime caps the expires_in we believe, so a bogus value cannot
	// pin a validation in the cache for years.
	maxTokenLifetime = 24 * time.Hour
	// maxRetryAfter caps a Retry-After taken from the IdP.
	maxRetryAfter = 10 * time.Minute
	// maxFlightRetries bounds how often a request re-runs a token request
	// whose shared result was a rate limit on another client's address.
	maxFlightRetries = 2
)

// Config configures a Validator. Zero fields take the defaults above.
type Config struct {
	// TokenURL is the IdP token endpoint, usually from TokenURL(). It must be
	// an absolute http(s) URL. Required.
	TokenURL string
	// Audience is sent as the "audience" form parameter
	// (default DefaultAudience).
	Audience string
	// HTTPClient sends token requests. Nil means a client with Timeout that
	// does not follow redirects (a redirect would re-send the secret to
	// another URL). A client given here is used as is; Timeout still bounds
	// each request through its context.
	HTTPClient *http.Client
	// Timeout bounds one token request (default DefaultTimeout).
	Timeout time.Duration
	// Scopes are granted to every caller this validator accepts
	// (nil means auth.DefaultScopes).
	Scopes []string
	// CacheSize bounds the positive and the negative cache, in entries each
	// (default DefaultCacheSize).
	CacheSize int
	// DefaultTTL is how long a validation is cached when the token response
	// carries no expires_in (default DefaultTTL).
	DefaultTTL time.Duration
	// ExpiryMargin is subtracted from the token's expires_in to get the cache
	// lifetime (default DefaultExpiryMargin). Tokens living no longer than the
	// margin are not cached.
	ExpiryMargin time.Duration
	// NegativeTTL is how long a credential the IdP refused is answered with
	// 401 without asking again (default DefaultNegativeTTL).
	NegativeTTL time.Duration
	// FailureBurst is how many refused credentials one client IP may present
	// before further uncached credentials from it get 429
	// (default DefaultFailureBurst).
	FailureBurst int
	// FailureEvery is the refill period of the per-IP failure budget: one more
	// failure is allowed every FailureEvery (default DefaultFailureEvery).
	FailureEvery time.Duration
	// MaxTrackedIPs bounds the per-IP failure limiters kept, least recently
	// used first out (default DefaultMaxTrackedIPs).
	MaxTrackedIPs int
	// RetryAfter is sent with a 503 for an IdP outage unless the IdP sent its
	// own Retry-After (default DefaultRetryAfter).
	RetryAfter time.Duration
	// Clock returns the current time for cache lifetimes and rate limits
	// (default time.Now); tests inject a fake clock. The HTTP timeout uses
	// real time.
	Clock func() time.Time
	// Logger receives one line per token request that failed (client id,
	// client IP, status; never the secret or a token). Nil discards.
	Logger *slog.Logger
}

// Stats are cumulative counters for metrics.
type Stats struct {
	// UpstreamCalls counts token requests sent to the IdP.
	UpstreamCalls uint64
	// CacheHits counts requests answered from the positive cache.
	CacheHits uint64
	// CacheMisses counts requests that missed both caches (they waited for a
	// token request, possibly shared with concurrent requests).
	CacheMisses uint64
	// NegativeHits counts requests refused from the negative cache.
	NegativeHits uint64
	// RateLimited counts requests refused with 429 by the per-IP failure
	// budget.
	RateLimited uint64
}

// credKey is HMAC-SHA256(per-process key, id + "\x00" + secret).
type credKey [sha256.Size]byte

// posEntry is a cached successful validation. It holds the Identity (which
// carries neither secret nor token), never the credential.
type posEntry struct {
	id    *auth.Identity
	until time.Time
	// gen is the client id's secret generation when the entry was proven;
	// a newer secret for the same id makes the entry stale.
	gen uint64
}

// idRecord tracks, per client id, the generation of the newest secret
// seen, so that after a rotation the old secret is proven again once.
type idRecord struct{ gen atomic.Uint64 }

// Validator validates Zscaler OneAPI client credentials. It implements
// auth.Validator and is safe for concurrent use.
type Validator struct {
	cfg     Config
	client  *http.Client
	now     func() time.Time
	log     *slog.Logger
	hashers sync.Pool // of HMAC hash.Hash under a per-process random key

	pos    *lru.Cache[credKey, posEntry]
	neg    *lru.Cache[credKey, time.Time]
	ids    *lru.Cache[string, *idRecord]
	ips    *lru.Cache[string, *ipBudget]
	flight singleflight.Group
	gen    atomic.Uint64

	upstream, hits, misses, negHits, limited atomic.Uint64
}

var _ auth.Validator = (*Validator)(nil)

// New returns a Validator for cfg.
func New(cfg Config) (*Validator, error) {
	if cfg.TokenURL == "" {
		return nil, errors.New("zscalerauth: TokenURL is required (set ZSCALER_VANITY_DOMAIN or ZSCALER_TOKEN_URL)")
	}
	if err := checkTokenURL(cfg.TokenURL); err != nil {
		return nil, fmt.Errorf("zscalerauth: %w", err)
	}
	for name, d := range map[string]time.Duration{
		"Timeout": cfg.Timeout, "DefaultTTL": cfg.DefaultTTL, "ExpiryMargin": cfg.ExpiryMargin,
		"NegativeTTL": cfg.NegativeTTL, "FailureEvery": cfg.FailureEvery, "RetryAfter": cfg.RetryAfter,
	} {
		if d < 0 {
			return nil, fmt.Errorf("zscalerauth: %s must not be negative (got %v)", name, d)
		}
	}
	if cfg.CacheSize < 0 || cfg.FailureBurst < 0 || cfg.MaxTrackedIPs < 0 {
		return nil, errors.New("zscalerauth: CacheSize, FailureBurst and MaxTrackedIPs must not be negative")
	}
	setDefault(&cfg.Audience, DefaultAudience)
	setDefault(&cfg.Timeout, DefaultTimeout)
	setDefault(&cfg.CacheSize, DefaultCacheSize)
	setDefault(&cfg.DefaultTTL, DefaultTTL)
	setDefault(&cfg.ExpiryMargin, DefaultExpiryMargin)
	setDefault(&cfg.NegativeTTL, DefaultNegativeTTL)
	setDefault(&cfg.FailureBurst, DefaultFailureBurst)
	setDefault(&cfg.FailureEvery, DefaultFailureEvery)
	setDefault(&cfg.MaxTrackedIPs, DefaultMaxTrackedIPs)
	setDefault(&cfg.RetryAfter, DefaultRetryAfter)
	if cfg.Scopes == nil {
		cfg.Scopes = auth.DefaultScopes
	} else {
		cfg.Scopes = slices.Clone(cfg.Scopes)
	}

	v := &Validator{cfg: cfg, client: cfg.HTTPClient, now: cfg.Clock, log: cfg.Logger}
	if v.client == nil {
		v.client = &http.Client{
			Timeout: cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("zscalerauth: generating cache key: %w", err)
	}
	v.hashers.New = func() any { return hmac.New(sha256.New, key) }

	var err error
	if v.pos, err = lru.New[credKey, posEntry](cfg.CacheSize); err != nil {
		return nil, fmt.Errorf("zscalerauth: positive cache: %w", err)
	}
	if v.neg, err = lru.New[credKey, time.Time](cfg.CacheSize); err != nil {
		return nil, fmt.Errorf("zscalerauth: negative cache: %w", err)
	}
	if v.ids, err = lru.New[string, *idRecord](cfg.CacheSize); err != nil {
		return nil, fmt.Errorf("zscalerauth: client id cache: %w", err)
	}
	if v.ips, err = lru.New[string, *ipBudget](cfg.MaxTrackedIPs); err != nil {
		return nil, fmt.Errorf("zscalerauth: IP limiter cache: %w", err)
	}
	return v, nil
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// Name implements auth.Validator.
func (v *Validator) Name() string { return auth.ModeZscaler }

// Stats returns the cumulative counters.
func (v *Validator) Stats() Stats {
	return Stats{
		UpstreamCalls: v.upstream.Load(),
		CacheHits:     v.hits.Load(),
		CacheMisses:   v.misses.Load(),
		NegativeHits:  v.negHits.Load(),
		RateLimited:   v.limited.Load(),
	}
}

// Validate implements auth.Validator. It handles Basic and X-Zscaler-*
// credentials (auth.ErrNotMine otherwise) and returns an *auth.Error to
// reject: 401 for credentials the IdP refused, 429 when the client IP has
// spent its failure budget, 503 when the IdP is unavailable.
//
// The returned Identity is shared with the cache (and with every request
// presenting the same credential): it is read-only, as auth.Identity says.
func (v *Validator) Validate(ctx context.Context, r *http.Request, c auth.Credential) (*auth.Identity, error) {
	if c.Kind != auth.KindBasic && c.Kind != auth.KindZscaler {
		return nil, auth.ErrNotMine
	}
	if c.ID == "" || c.Secret == "" || strings.IndexByte(c.ID, 0) >= 0 {
		// A NUL in the id would make id+"\x00"+secret ambiguous.
		return nil, auth.Invalid(reasonInvalid, errors.New("empty or malformed client id or secret"))
	}
	key := v.credKey(c.ID, c.Secret)
	now := v.now()
	if id, ok := v.cached(c.ID, key, now); ok {
		v.hits.Add(1)
		return id, nil
	}
	if v.refused(key, now) {
		v.negHits.Add(1)
		return nil, auth.Invalid(reasonInvalid, errors.New("credential recently refused by the Zscaler IdP"))
	}
	v.misses.Add(1)
	ip := ""
	if r != nil {
		ip = auth.ClientIP(r)
	}
	for attempt := 0; ; attempt++ {
		ch := v.flight.DoChan(string(key[:]), func() (any, error) {
			return v.fetch(ctx, c, key, ip)
		})
		var res singleflight.Result
		select {
		case res = <-ch:
		case <-ctx.Done():
			return nil, auth.Unavailable(reasonUnavailable, v.cfg.RetryAfter,
				fmt.Errorf("waiting for the Zscaler token endpoint: %w", ctx.Err()))
		}
		if res.Err == nil {
			return res.Val.(*auth.Identity), nil
		}
		var le *limitedError
		if errors.As(res.Err, &le) {
			if le.ip != ip && attempt < maxFlightRetries {
				// We joined a token request that another address's
				// exhausted budget stopped; ours may still allow it.
				continue
			}
			v.limited.Add(1)
			return nil, auth.TooMany(reasonLimited, le.retryAfter)
		}
		return nil, res.Err
	}
}

// credKey returns the keyed hash of the credential.
func (v *Validator) credKey(id, secret string) credKey {
	h := v.hashers.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	var k credKey
	h.Sum(k[:0])
	h.Reset()
	v.hashers.Put(h)
	return k
}

// cached returns the cached identity for key if it is live and has not been
// superseded by a newer secret for the same client id.
func (v *Validator) cached(clientID string, key credKey, now time.Time) (*auth.Identity, bool) {
	e, ok := v.pos.Get(key)
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	rec, ok := v.ids.Get(clientID)
	if !ok || rec.gen.Load() != e.gen {
		return nil, false
	}
	return e.id, true
}

// refused reports whether key is in the live negative cache.
func (v *Validator) refused(key credKey, now time.Time) bool {
	until, ok := v.neg.Get(key)
	return ok && now.Before(until)
}

// fetch runs once per concurrent group of requests presenting the same
// credential: it re-checks the caches, charges the leading request's client
// IP, asks the IdP and records the outcome.
func (v *Validator) fetch(ctx context.Context, c auth.Credential, key credKey, ip string) (*auth.Identity, error) {
	now := v.now()
	// A token request that just finished may have filled a cache between our
	// caller's lookup and this flight starting.
	if id, ok := v.cached(c.ID, key, now); ok {
		return id, nil
	}
	if v.refused(key, now) {
		return nil, auth.Invalid(reasonInvalid, errors.New("credential recently refused by the Zscaler IdP"))
	}
	b := v.budget(ip)
	if wait, ok := b.acquire(now); !ok {
		return nil, &limitedError{ip: ip, retryAfter: wait}
	}
	id, ttl, err := v.exchange(ctx, c)
	done := v.now()
	if err != nil {
		var ae *auth.Error
		refused := errors.As(err, &ae) && ae.Status == http.StatusUnauthorized
		b.release(done, refused)
		level := slog.LevelWarn
		if refused {
			level = slog.LevelInfo
			v.pos.Remove(key)
			v.neg.Add(key, done.Add(v.cfg.NegativeTTL))
		}
		v.log.LogAttrs(ctx, level, "zscaler credential check failed",
			slog.String("client_id", c.ID), slog.String("client_ip", ip), slog.Any("error", err))
		return nil, err
	}
	b.release(done, false)
	_, known := v.pos.Peek(key)
	gen := v.noteSecret(c.ID, !known)
	if ttl > 0 {
		v.pos.Add(key, posEntry{id: id, until: done.Add(ttl), gen: gen})
	} else {
		v.pos.Remove(key)
	}
	return id, nil
}

// noteSecret returns the current secret generation of clientID. A secret
// not seen before (isNew) starts a new generation, so entries cached for
// the id's other secrets are proven again once (and dropped if the IdP now
// refuses them) instead of living on after a rotation.
func (v *Validator) noteSecret(clientID string, isNew bool) uint64 {
	rec, ok := v.ids.Get(clientID)
	if !ok {
		fresh := &idRecord{}
		fresh.gen.Store(v.gen.Add(1))
		prev, existed, _ := v.ids.PeekOrAdd(clientID, fresh)
		if !existed {
			return fresh.gen.Load()
		}
		rec = prev
	}
	if isNew {
		g := v.gen.Add(1)
		rec.gen.Store(g)
		return g
	}
	return rec.gen.Load()
}

// exchange performs the client-credentials token request and turns the
// answer into an Identity and a cache lifetime.
func (v *Validator) exchange(ctx context.Context, c auth.Credential) (*auth.Identity, time.Duration, error) {
	v.upstream.Add(1)
	// The request is shared by every caller waiting on this credential, so it
	// must not die with the first caller's context; Timeout bounds it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.cfg.Timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, v.client)
	cc := clientcredentials.Config{
		ClientID:       c.ID,
		ClientSecret:   c.Secret,
		TokenURL:       v.cfg.TokenURL,
		EndpointParams: url.Values{"audience": {v.cfg.Audience}},
		// ZIdentity takes client_id and client_secret in the form body (the
		// OneAPI docs and SDKs send them so); an explicit style also avoids
		// oauth2's auto-detection, which would double failed requests.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	tok, err := cc.Token(ctx)
	if err != nil {
		return nil, 0, v.classify(err, c.Secret)
	}
	now := v.now()
	id := &auth.Identity{
		Mode:     auth.ModeZscaler,
		Subject:  "zscaler:" + c.ID,
		ClientID: c.ID,
		Scopes:   v.cfg.Scopes,
		Claims:   UnverifiedClaims(tok.AccessToken),
	}
	if iss, ok := id.Claims["iss"].(string); ok {
		id.Issuer = iss
	}
	lifetime, ok := expiresIn(tok)
	if !ok {
		id.ExpiresAt = now.Add(v.cfg.DefaultTTL)
		return id, v.cfg.DefaultTTL, nil
	}
	id.ExpiresAt = now.Add(lifetime)
	return id, lifetime - v.cfg.ExpiryMargin, nil
}

// classify maps a token request failure to the rejection the client sees.
// The oauth2 error is not kept as the cause: its text can carry the IdP's
// response body. Nothing returned mentions the secret.
func (v *Validator) classify(err error, secret string) *auth.Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		var header http.Header
		if re.Response != nil {
			status, header = re.Response.StatusCode, re.Response.Header
		}
		cause := &UpstreamError{Status: status, Code: truncate(redact(re.ErrorCode, secret), 64)}
		switch {
		case status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden:
			return auth.Invalid(reasonInvalid, cause)
		case status >= 200 && status < 300 && refusalCodes[re.ErrorCode]:
			// An IdP answering 200 with an OAuth error body.
			return auth.Invalid(reasonInvalid, cause)
		default:
			return auth.Unavailable(reasonUnavailable, retryAfter(header, v.cfg.RetryAfter), cause)
		}
	}
	return auth.Unavailable(reasonUnavailable, v.cfg.RetryAfter,
		&redactedError{msg: "Zscaler token request: " + redact(err.Error(), secret), err: err})
}

// refusalCodes are RFC 6749 §5.2 error codes that mean "these credentials
// are not accepted" rather than "the IdP is broken".
var refusalCodes = map[string]bool{
	"invalid_client": true, "unauthorized_client": true, "invalid_grant": true,
	"access_denied": true, "invalid_request": true,
}

// UpstreamError is the cause recorded when the IdP answered a token request
// with an error status. It never holds the response body.
type UpstreamError struct {
	// Status is the IdP's HTTP status.
	Status int
	// Code is the OAuth error code the IdP sent, if any.
	Code string
}

func (e *UpstreamError) Error() string {
	s := fmt.Sprintf("Zscaler token endpoint answered HTTP %d", e.Status)
	if e.Code != "" {
		s += fmt.Sprintf(" (%q)", e.Code)
	}
	return s
}

// redactedError carries a cause whose message had the secret removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// limitedError is a flight's result when the leading request's client IP
// had no failure budget left.
type limitedError struct {
	ip         string
	retryAfter time.Duration
}

func (e *limitedError) Error() string { return "client IP over its failure budget" }

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[REDACTED]")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// retryAfter reads a Retry-After header (seconds or HTTP date), bounded to
// [1s, maxRetryAfter], or returns def.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	s := strings.TrimSpace(h.Get("Retry-After"))
	if s == "" {
		return def
	}
	var d time.Duration
	if n, err := parseSeconds(s); err == nil {
		d = n
	} else if t, err := http.ParseTime(s); err == nil {
		d = time.Until(t)
	} else {
		return def
	}
	return min(max(d, time.Second), maxRetryAfter)
}

func parseSeconds(s string) (time.Duration, error) {
	var n int64
	if s == "" || len(s) > 9 {
		return 0, errors.New("not a small integer")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not an integer")
		}
		n = n*10 + int64(s[i]-'0')
	}
	return time.Duration(n) * time.Second, nil
}

// ipBudget is one client IP's failure budget. inflight counts token
// requests from the IP still running, so concurrent guesses cannot overrun
// the budget before their failures are recorded.
type ipBudget struct {
	mu       sync.Mutex
	lim      *rate.Limiter
	inflight int
}

// budget returns ip's budget, creating it.
func (v *Validator) budget(ip string) *ipBudget {
	if b, ok := v.ips.Get(ip); ok {
		return b
	}
	b := &ipBudget{lim: rate.NewLimiter(rate.Every(v.cfg.FailureEvery), v.cfg.FailureBurst)}
	if prev, ok, _ := v.ips.PeekOrAdd(ip, b); ok {
		return prev
	}
	return b
}

// acquire reserves the right to send one token request at now, or returns
// how long until the budget allows one.
func (b *ipBudget) acquire(now time.Time) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	avail := b.lim.TokensAt(now) - float64(b.inflight)
	if avail < 1 {
		wait := time.Duration((1 - avail) / float64(b.lim.Limit()) * float64(time.Second))
		return max(wait, time.Second), false
	}
	b.inflight++
	return 0, true
}

// release ends a token request; failed charges one failure to the budget
// (going into debt if concurrent failures overran it).
func (b *ipBudget) release(now time.Time, failed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight--
	if failed {
		b.lim.ReserveN(now, 1)
	}
}

package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// KeySet gives the Verifier the public key a token names. The remote JWKS
// (RemoteKeySet) is one implementation; an in-process set holding our own
// authorization server's keys is another.
type KeySet interface {
	// Key returns the key with key id kid for verifying a token signed with
	// alg. kid is "" when the token names no key; an implementation may then
	// return its only key usable with alg. It returns an error wrapping
	// ErrKeyNotFound when there is no such key, or an *auth.Error (503) when
	// the keys cannot be obtained at all. The Verifier re-checks that the
	// key's type and "alg" fit the token, so Key need not.
	Key(ctx context.Context, kid, alg string) (jose.JSONWebKey, error)
}

// ErrKeyNotFound is wrapped by KeySet.Key when no key has the requested id.
var ErrKeyNotFound = errors.New("signing key not found")

// Defaults and bounds of RemoteKeySetConfig.
const (
	DefaultJWKSTimeout     = 10 * time.Second
	DefaultJWKSMaxBytes    = 1 << 20
	DefaultJWKSTTL         = 10 * time.Minute
	MinJWKSTTL             = time.Minute
	MaxJWKSTTL             = 24 * time.Hour
	DefaultRefetchCooldown = 30 * time.Second
	DefaultNegativeTTL     = 2 * time.Minute
	DefaultNegativeSize    = 4096
)

// RemoteKeySetConfig configures a RemoteKeySet. Zero values mean the
// documented defaults.
type RemoteKeySetConfig struct {
	// URI is the http(s) URL of the JSON Web Key Set. Required.
	URI string
	// HTTPClient fetches URI; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Timeout bounds one fetch (default DefaultJWKSTimeout).
	Timeout time.Duration
	// MaxBytes bounds the JWKS body (default DefaultJWKSMaxBytes, 1 MiB).
	MaxBytes int64
	// DefaultTTL is how long a fetched set is fresh when the response has no
	// Cache-Control max-age (default DefaultJWKSTTL). max-age is honoured
	// within [MinJWKSTTL, MaxJWKSTTL].
	DefaultTTL time.Duration
	// RefetchCooldown is the least time between two fetches triggered by an
	// unknown kid, and between a failed fetch and the next attempt of any
	// kind (default DefaultRefetchCooldown).
	RefetchCooldown time.Duration
	// NegativeTTL is how long a kid absent from a freshly fetched set is
	// answered "not found" without considering a fetch (default
	// DefaultNegativeTTL). A later fetch that contains the kid still wins:
	// the positive set is consulted first.
	NegativeTTL time.Duration
	// NegativeSize bounds the negative cache (default DefaultNegativeSize).
	NegativeSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// RemoteKeySet is a KeySet backed by a JWKS URL. It caches the set for its
// Cache-Control max-age, refetches on an unknown kid at most once per
// cooldown (concurrent misses share one fetch), remembers recently unknown
// kids, and keeps serving the cached keys while the URL is down: a failed
// fetch never clears the cache. A stale set is refreshed by the request
// that finds it stale (others wait for the same fetch, bounded by the
// timeout). It is safe for concurrent use.
type RemoteKeySet struct {
	uri         string
	client      *http.Client
	timeout     time.Duration
	maxBytes    int64
	defaultTTL  time.Duration
	cooldown    time.Duration
	negativeTTL time.Duration
	now         func() time.Time

	group    singleflight.Group
	negative *lru.Cache[string, time.Time] // kid → until when it is known absent

	mu          sync.RWMutex
	byKID       map[string][]jose.JSONWebKey
	all         []jose.JSONWebKey
	expires     time.Time // when the cached set goes stale
	lastAttempt time.Time // last fetch attempt, successful or not
	lastMiss    time.Time // last fetch triggered by an unknown kid
	lastErr     error     // error of the last attempt, nil after a success

	fetches, fetchErrors atomic.Uint64
}

// NewRemoteKeySet validates cfg and returns a key set. It does not fetch:
// the first Key call does.
func NewRemoteKeySet(cfg RemoteKeySetConfig) (*RemoteKeySet, error) {
	if err := checkHTTPURL(cfg.URI); err != nil {
		return nil, fmt.Errorf("JWKS URI: %w", err)
	}
	if cfg.Timeout < 0 || cfg.MaxBytes < 0 || cfg.DefaultTTL < 0 || cfg.RefetchCooldown < 0 ||
		cfg.NegativeTTL < 0 || cfg.NegativeSize < 0 {
		return nil, errors.New("JWKS settings must not be negative")
	}
	s := &RemoteKeySet{
		uri:         cfg.URI,
		client:      cfg.HTTPClient,
		timeout:     orDefault(cfg.Timeout, DefaultJWKSTimeout),
		maxBytes:    orDefault(cfg.MaxBytes, DefaultJWKSMaxBytes),
		defaultTTL:  clampTTL(orDefault(cfg.DefaultTTL, DefaultJWKSTTL)),
		cooldown:    orDefault(cfg.RefetchCooldown, DefaultRefetchCooldown),
		negativeTTL: orDefault(cfg.NegativeTTL, DefaultNegativeTTL),
		now:         cfg.Now,
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: DefaultJWKSTimeout}
	}
	if s.now == nil {
		s.now = time.Now
	}
	neg, err := lru.New[string, time.Time](orDefault(cfg.NegativeSize, DefaultNegativeSize))
	if err != nil {
		return nil, fmt.Errorf("negative kid cache: %w", err)
	}
	s.negative = neg
	return s, nil
}

// Key implements KeySet.
func (s *RemoteKeySet) Key(ctx context.Context, kid, alg string) (jose.JSONWebKey, error) {
	now := s.now()
	s.mu.RLock()
	k, found := s.lookup(kid, alg)
	fresh := now.Before(s.expires)
	s.mu.RUnlock()
	if found && fresh {
		return k, nil
	}
	if !found {
		if until, ok := s.negative.Get(kid); ok && now.Before(until) {
			return jose.JSONWebKey{}, fmt.Errorf("kid %q: %w (recently absent from the JWKS)", kid, ErrKeyNotFound)
		}
	}
	if err := s.refresh(ctx, kid, alg, !found); err != nil {
		return jose.JSONWebKey{}, err
	}

	now = s.now()
	s.mu.RLock()
	k, found = s.lookup(kid, alg)
	haveKeys := len(s.all) > 0
	lastErr, lastAttempt := s.lastErr, s.lastAttempt
	s.mu.RUnlock()
	switch {
	case found:
		return k, nil // possibly stale: a JWKS outage keeps the cached keys
	case lastErr != nil:
		// Without a working JWKS we cannot tell a rotated key from a bogus
		// one, and with no keys at all nothing can be verified: an outage.
		reason := "signing keys unavailable"
		if haveKeys {
			reason = "signing key unknown and the key set cannot be refreshed"
		}
		return jose.JSONWebKey{}, auth.Unavailable(reason, s.retryAfter(now, lastAttempt), lastErr)
	default:
		s.negative.Add(kid, now.Add(s.negativeTTL))
		return jose.JSONWebKey{}, fmt.Errorf("kid %q: %w", kid, ErrKeyNotFound)
	}
}

// lookup finds kid among the cached keys, preferring one usable with alg.
// For kid "" it returns the only key usable with alg, if exactly one is.
// The caller holds s.mu.
func (s *RemoteKeySet) lookup(kid, alg string) (jose.JSONWebKey, bool) {
	if kid == "" {
		var match []jose.JSONWebKey
		for _, k := range s.all {
			if _, err := publicKeyFor(k, alg); err == nil {
				match = append(match, k)
			}
		}
		if len(match) == 1 {
			return match[0], true
		}
		return jose.JSONWebKey{}, false
	}
	keys := s.byKID[kid]
	for _, k := range keys {
		if _, err := publicKeyFor(k, alg); err == nil {
			return k, true
		}
	}
	if len(keys) > 0 {
		return keys[0], true // the Verifier reports the mismatch
	}
	return jose.JSONWebKey{}, false
}

// refresh fetches the set if it is needed and allowed: the cache is empty
// or stale, or (miss) kid is unknown and no miss-triggered fetch happened
// within the cooldown; never within the cooldown after a failed fetch.
// Concurrent callers share one fetch. Fetch errors are recorded in
// s.lastErr, not returned; the returned error is the caller's context's.
func (s *RemoteKeySet) refresh(ctx context.Context, kid, alg string, miss bool) error {
	ch := s.group.DoChan("jwks", func() (any, error) {
		now := s.now()
		s.mu.Lock()
		_, found := s.lookup(kid, alg)
		needed := len(s.all) == 0 || !now.Before(s.expires) ||
			(miss && !found && (s.lastMiss.IsZero() || now.Sub(s.lastMiss) >= s.cooldown))
		backoff := s.lastErr != nil && now.Sub(s.lastAttempt) < s.cooldown
		if !needed || backoff {
			s.mu.Unlock()
			return nil, nil
		}
		s.lastAttempt = now
		if miss && len(s.all) > 0 {
			s.lastMiss = now
		}
		s.mu.Unlock()

		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		keys, ttl, err := s.fetch(fctx)
		s.fetches.Add(1)

		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.fetchErrors.Add(1)
			s.lastErr = err
			return nil, nil
		}
		s.lastErr = nil
		s.all = keys
		s.byKID = make(map[string][]jose.JSONWebKey, len(keys))
		for _, k := range keys {
			s.byKID[k.KeyID] = append(s.byKID[k.KeyID], k)
		}
		s.expires = now.Add(ttl)
		return nil, nil
	})
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for JWKS: %w", ctx.Err())
	}
}

// fetch downloads and parses the set. Keys the server marks for another
// use, private or symmetric keys, and key types we do not know are skipped;
// a set with no usable key is an error (it never replaces the cache).
func (s *RemoteKeySet) fetch(ctx context.Context) ([]jose.JSONWebKey, time.Duration, error) {
	where := redactURL(s.uri)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.uri, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("JWKS %s: %w", where, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	body, header, err := getBounded(s.client, req, s.maxBytes)
	if err != nil {
		return nil, 0, fmt.Errorf("JWKS %s: %w", where, err)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, 0, fmt.Errorf("JWKS %s: not a JSON Web Key Set: %w", where, err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		if hasPrivateParams(raw) {
			continue // never parse private or symmetric key material
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue // RFC 7517 §5: ignore keys we do not understand
		}
		if !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, 0, fmt.Errorf("JWKS %s: no usable public signing keys", where)
	}
	return keys, s.ttl(header.Get("Cache-Control")), nil
}

// hasPrivateParams reports whether a JWK carries private or symmetric key
// members (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 "d").
func hasPrivateParams(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return true
	}
	for _, p := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"} {
		if _, ok := m[p]; ok {
			return true
		}
	}
	return false
}

// ttl turns a Cache-Control header into a freshness lifetime.
func (s *RemoteKeySet) ttl(cacheControl string) time.Duration {
	ttl := s.defaultTTL
	for d := range strings.SplitSeq(cacheControl, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-cache", "no-store":
			return MinJWKSTTL
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 {
				ttl = time.Duration(min(n, int64(MaxJWKSTTL/time.Second))) * time.Second
			}
		}
	}
	return clampTTL(ttl)
}

func (s *RemoteKeySet) retryAfter(now, lastAttempt time.Time) time.Duration {
	return max(lastAttempt.Add(s.cooldown).Sub(now), time.Second)
}

// Stats reports the JWKS fetch counters.
func (s *RemoteKeySet) Stats() Stats {
	return Stats{JWKSFetches: s.fetches.Load(), JWKSFetchErrors: s.fetchErrors.Load()}
}

func clampTTL(d time.Duration) time.Duration { return min(max(d, MinJWKSTTL), MaxJWKSTTL) }

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// getBounded performs req and returns a 200 response's body, refusing
// bodies over maxBytes.
func getBounded(c *http.Client, req *http.Request, maxBytes int64) ([]byte, http.Header, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, nil, fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading body: %w", err)
	}
	if int64(len(body)) > maxBytes {
		return nil, nil, fmt.Errorf("body larger than %d bytes", maxBytes)
	}
	return body, resp.Header, nil
}

// checkHTTPURL accepts an absolute http or https URL with a host.
func checkHTTPURL(s string) error {
	if s == "" {
		return errors.New("missing")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", redactURL(s))
	}
	if u.User != nil {
		return errors.New("URL must not carry credentials")
	}
	return nil
}

// redactURL drops the query, fragment and userinfo so errors and logs never
// carry a secret embedded in a URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

package oauthserver

import (
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Defaults of the per-IP rate limits.
const (
	defaultRegistrationRate  = rate.Limit(10.0 / 60) // 10 per minute
	defaultRegistrationBurst = 20
	// /token, /revoke and /introspect, each with its own buckets: a
	// NAT'd office of thousands of users refreshing hourly needs ~1/s; a
	// resource server introspecting from one address needs more, so the
	// default is generous and only stops floods.
	defaultTokenEndpointRate  = rate.Limit(50)
	defaultTokenEndpointBurst = 200
	maxRateLimitedIPs         = 10000
)

// ipLimiter is a per-IP token bucket with a bounded LRU of buckets; an
// evicted IP starts again with a full bucket. IPv6 addresses share the
// bucket of their /64 (one subscriber's prefix: rotating addresses within
// it must not reset the budget).
type ipLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu       sync.Mutex
	limiters *lru.Cache[netip.Addr, *rate.Limiter]
}

func newIPLimiter(limit rate.Limit, burst int, now func() time.Time) (*ipLimiter, error) {
	c, err := lru.New[netip.Addr, *rate.Limiter](maxRateLimitedIPs)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: rate limiter cache: %w", err)
	}
	return &ipLimiter{limit: limit, burst: burst, now: now, limiters: c}, nil
}

// limiterKey is the bucket of ip: the address itself (IPv4, and IPv4
// mapped into IPv6), or its /64 for IPv6. An unparsable address (never
// produced by auth.ClientIP) shares one bucket.
func limiterKey(ip string) netip.Addr {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Addr{}
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// allow takes a token for ip; when none is left it returns false and how
// long until the next one.
func (l *ipLimiter) allow(ip string) (bool, time.Duration) {
	key := limiterKey(ip)
	l.mu.Lock()
	lim, ok := l.limiters.Get(key)
	if !ok {
		lim = rate.NewLimiter(l.limit, l.burst)
		l.limiters.Add(key, lim)
	}
	l.mu.Unlock()
	now := l.now()
	if lim.AllowN(now, 1) {
		return true, 0
	}
	res := lim.ReserveN(now, 1)
	defer res.CancelAt(now)
	if !res.OK() {
		return false, time.Minute
	}
	return false, res.DelayFrom(now)
}

// retryAfter formats wait as whole seconds, at least 1.
func retryAfter(wait time.Duration) string {
	return fmt.Sprint(int64(math.Max(1, math.Ceil(wait.Seconds()))))
}

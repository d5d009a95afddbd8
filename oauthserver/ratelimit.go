package oauthserver

import (
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// Defaults of the per-IP registration rate limit.
const (
	defaultRegistrationRate  = rate.Limit(10.0 / 60) // 10 per minute
	defaultRegistrationBurst = 20
	maxRateLimitedIPs        = 10000
)

// ipLimiter is a per-IP token bucket with a bounded LRU of buckets; an
// evicted IP starts again with a full bucket.
type ipLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu       sync.Mutex
	limiters *lru.Cache[string, *rate.Limiter]
}

func newIPLimiter(limit rate.Limit, burst int, now func() time.Time) (*ipLimiter, error) {
	c, err := lru.New[string, *rate.Limiter](maxRateLimitedIPs)
	if err != nil {
		return nil, fmt.Errorf("oauthserver: rate limiter cache: %w", err)
	}
	return &ipLimiter{limit: limit, burst: burst, now: now, limiters: c}, nil
}

// allow takes a token for ip; when none is left it returns false and how
// long until the next one.
func (l *ipLimiter) allow(ip string) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.limiters.Get(ip)
	if !ok {
		lim = rate.NewLimiter(l.limit, l.burst)
		l.limiters.Add(ip, lim)
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

// limitRegistration answers 429 with Retry-After when the client IP
// (auth.ClientIP) has exhausted its registration budget.
func (s *Server) limitRegistration(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.regLimit == nil {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := s.regLimit.allow(auth.ClientIP(r))
		if !ok {
			w.Header().Set("Retry-After", fmt.Sprint(int64(math.Max(1, math.Ceil(wait.Seconds())))))
			writeRegistrationError(w, http.StatusTooManyRequests, &registrationError{Code: "too_many_requests", Description: "Too many registrations from this address; retry later."})
			return
		}
		next.ServeHTTP(w, r)
	})
}

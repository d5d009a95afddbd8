package zscaler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a token bucket: Rate requests per second sustained, Burst at
// once. Rate < 0 means unlimited; the zero Limit means "use the default".
type Limit struct {
	Rate  float64
	Burst int
}

// ServiceLimits are one service's limits by request weight: reads (GET,
// HEAD), writes (POST, PUT, PATCH) and deletes (DELETE).
type ServiceLimits struct {
	Read, Write, Delete Limit
}

// DefaultServiceKey is the RateLimits entry used for services without one.
const DefaultServiceKey = "default"

// DefaultRateLimits are the client-side limits per service. Each keeps our
// own traffic under the tenant's documented short-window quota so one agent
// cannot use it all up; a 429 the API still sends (for example for the
// hourly quotas, which are not modelled here) is retried after its
// Retry-After. A bucket of rate r and burst b lets at most b + ⌈r·T⌉ − 1
// requests through in any window of length T; the numbers below keep that
// within the quota (TestDefaultRateLimitsWithinDocumentedQuotas checks it).
//
//   - zia: https://help.zscaler.com/oneapi/understanding-rate-limiting (ZIA
//     weights): GET 2/s (1/s sustained with bursts of 2), POST/PUT 1/s,
//     DELETE 1/min.
//   - zpa: 20 GET and 10 POST/PUT/DELETE per 10 s per IP (same page; the
//     zscaler-sdk-go limiter in zscaler/oneapiclient.go setHttpClients uses
//     the same numbers): 1.5/s with bursts of 5, and 0.5/s with bursts of 5.
//   - zcc: 100 requests per hour (zscaler-sdk-go setHttpClients): 90/h
//     with bursts of 10.
//   - zdx, zidentity, others: no published per-second figure; 2/s reads,
//     1/s writes and deletes.
func DefaultRateLimits() map[string]ServiceLimits {
	return map[string]ServiceLimits{
		"zia":             {Read: Limit{1, 2}, Write: Limit{1, 1}, Delete: Limit{1.0 / 60, 1}},
		"zpa":             {Read: Limit{1.5, 5}, Write: Limit{0.5, 5}, Delete: Limit{0.5, 5}},
		"zcc":             {Read: Limit{90.0 / 3600, 10}, Write: Limit{90.0 / 3600, 10}, Delete: Limit{90.0 / 3600, 10}},
		DefaultServiceKey: {Read: Limit{2, 2}, Write: Limit{1, 1}, Delete: Limit{1, 1}},
	}
}

// NoRateLimits turns every client-side limiter off: for tests and
// benchmarks against a loopback stand-in. The API's own 429 answers are
// still honoured.
func NoRateLimits() map[string]ServiceLimits {
	off := Limit{Rate: -1}
	out := map[string]ServiceLimits{}
	for svc := range DefaultRateLimits() {
		out[svc] = ServiceLimits{Read: off, Write: off, Delete: off}
	}
	return out
}

// limiters holds one token bucket per service and weight.
type limiters struct {
	mu    sync.Mutex
	byKey map[string]*rate.Limiter // "zia/read"
	conf  map[string]ServiceLimits
}

func newLimiters(conf map[string]ServiceLimits) *limiters {
	merged := DefaultRateLimits()
	for svc, l := range conf {
		d, ok := merged[svc]
		if !ok {
			d = merged[DefaultServiceKey]
		}
		merged[svc] = ServiceLimits{Read: orDefault(l.Read, d.Read), Write: orDefault(l.Write, d.Write), Delete: orDefault(l.Delete, d.Delete)}
	}
	return &limiters{byKey: map[string]*rate.Limiter{}, conf: merged}
}

func orDefault(l, d Limit) Limit {
	if l == (Limit{}) {
		return d
	}
	return l
}

// weight classifies a method as read, write or delete.
func weight(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return "read"
	case http.MethodDelete:
		return "delete"
	}
	return "write"
}

// limiter returns the bucket for service and method; it is created on
// first use, so the set of services need not be known up front.
func (ls *limiters) limiter(service, method string) *rate.Limiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	key := service + "/" + weight(method)
	if l, ok := ls.byKey[key]; ok {
		return l
	}
	sl, ok := ls.conf[service]
	if !ok {
		sl = ls.conf[DefaultServiceKey]
	}
	var lim Limit
	switch weight(method) {
	case "read":
		lim = sl.Read
	case "delete":
		lim = sl.Delete
	default:
		lim = sl.Write
	}
	l := rate.NewLimiter(rate.Inf, 0)
	if lim.Rate >= 0 {
		l = rate.NewLimiter(rate.Limit(lim.Rate), max(lim.Burst, 1))
	}
	ls.byKey[key] = l
	return l
}

// waitLimiter blocks until l grants a request or ctx ends. A wait longer
// than maxWait, or past ctx's deadline, fails at once (rather than holding
// the agent's call for a minute) with an error that says when the next slot
// is and matches ErrRateLimited (and context.DeadlineExceeded for the
// deadline case).
func waitLimiter(ctx context.Context, l *rate.Limiter, service, method string, maxWait time.Duration) error {
	if l.Limit() == rate.Inf {
		return nil
	}
	r := l.Reserve()
	if !r.OK() {
		return fmt.Errorf("zscaler: %s %s rate limiter refuses requests: %w", service, weight(method), ErrRateLimited)
	}
	d := r.Delay()
	if d == 0 {
		return nil
	}
	if d > maxWait {
		r.Cancel()
		return fmt.Errorf("zscaler: %s %s requests are limited to %s to stay within the tenant's API quota: the next slot is in %s, try again then: %w", service, weight(method), describeLimit(l), d.Round(time.Second), ErrRateLimited)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		r.Cancel()
		return fmt.Errorf("zscaler: %s %s rate limit: the next slot is in %s, after the request's deadline: %w", service, weight(method), d.Round(time.Millisecond), errors.Join(ErrRateLimited, context.DeadlineExceeded))
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return fmt.Errorf("zscaler: waiting for the %s %s rate limiter: %w", service, weight(method), ctx.Err())
	}
}

// describeLimit says a limiter's rate in human units ("1 per minute").
func describeLimit(l *rate.Limiter) string {
	per := float64(l.Limit())
	switch {
	case per >= 1:
		return strconv.FormatFloat(per, 'f', -1, 64) + " per second"
	case per*60 >= 1:
		return strconv.FormatFloat(math.Round(per*600)/10, 'f', -1, 64) + " per minute"
	}
	return strconv.FormatFloat(math.Round(per*36000)/10, 'f', -1, 64) + " per hour"
}

// ParseRateLimits parses a rate-limit override list such as
// "zia.read=2:4,zia.delete=0.1:1,zpa=5:10,zdx=off": comma-separated
// SERVICE[.WEIGHT]=RATE[:BURST] entries, RATE in requests per second (or
// "off" for unlimited), WEIGHT one of read, write, delete (none: all three).
// Unset weights keep their defaults.
func ParseRateLimits(s string) (map[string]ServiceLimits, error) {
	out := map[string]ServiceLimits{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want SERVICE[.read|.write|.delete]=RATE[:BURST]", item)
		}
		svc, w, _ := strings.Cut(strings.ToLower(strings.TrimSpace(k)), ".")
		if svc == "" {
			return nil, fmt.Errorf("%q: missing service", item)
		}
		lim, err := parseLimit(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		sl := out[svc]
		switch w {
		case "":
			sl.Read, sl.Write, sl.Delete = lim, lim, lim
		case "read":
			sl.Read = lim
		case "write":
			sl.Write = lim
		case "delete":
			sl.Delete = lim
		default:
			return nil, fmt.Errorf("%q: weight %q is not read, write or delete", item, w)
		}
		out[svc] = sl
	}
	return out, nil
}

func parseLimit(v string) (Limit, error) {
	if strings.EqualFold(v, "off") {
		return Limit{Rate: -1}, nil
	}
	r, b, hasBurst := strings.Cut(v, ":")
	rt, err := strconv.ParseFloat(r, 64)
	if err != nil || rt <= 0 || math.IsInf(rt, 0) || math.IsNaN(rt) {
		return Limit{}, fmt.Errorf("rate %q is not a positive number of requests per second (or \"off\")", r)
	}
	burst := max(1, int(math.Ceil(rt)))
	if hasBurst {
		burst, err = strconv.Atoi(b)
		if err != nil || burst < 1 {
			return Limit{}, fmt.Errorf("burst %q is not a positive integer", b)
		}
	}
	return Limit{Rate: rt, Burst: burst}, nil
}

package zscaler

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// idempotent reports whether a request with this method can be sent again
// after the server may already have processed it (RFC 9110 §9.2.2).
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// retryableStatus reports whether an answer with this status is worth
// retrying: 429 always (the request was refused, not processed), 5xx only
// for idempotent methods.
func retryableStatus(status int, method string) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent(method)
	}
	return false
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). ok is false when the header is absent or invalid.
// ZIA also puts {"Retry-After": "0 seconds"} in 429 bodies; body is
// consulted when the header is missing.
func parseRetryAfter(h http.Header, body []byte, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		var b struct {
			RetryAfter string `json:"Retry-After"`
		}
		if json.Unmarshal(body, &b) != nil || b.RetryAfter == "" {
			return 0, false
		}
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(b.RetryAfter), "seconds"))
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > 24*3600 {
			n = 24 * 3600
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// backoff is the wait before attempt n+1 (n ≥ 1): exponential from base,
// capped, with "equal jitter" (half fixed, half random) so concurrent
// callers spread out without ever retrying immediately.
func backoff(base, capd time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < capd; i++ {
		d *= 2
	}
	d = min(d, capd)
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

package auth

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrNotMine is returned by a Validator whose credential kind does not match
// the request (for example a Basic credential offered to the jwt validator).
// The middleware then tries the next validator.
var ErrNotMine = errors.New("credential not handled by this validator")

// Error is a rejection the middleware turns into an HTTP response. Validators
// return it (possibly wrapped) to control status and message.
type Error struct {
	// Status is the HTTP status: 401 (bad credential), 403 (forbidden),
	// 429 (rate limited) or 503 (upstream outage).
	Status int
	// Code is the RFC 6750 error code for WWW-Authenticate ("invalid_token",
	// "invalid_request", "insufficient_scope"), or "" for none.
	Code string
	// Reason is a human-readable message without secrets.
	Reason string
	// RetryAfter is sent as Retry-After on 429/503 when non-zero.
	RetryAfter time.Duration
	// Err is the underlying cause, for logs only (never sent to the client).
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Reason, e.Err)
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid is a 401 invalid_token rejection.
func Invalid(reason string, cause error) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "invalid_token", Reason: reason, Err: cause}
}

// Unavailable is a 503 rejection for an upstream outage (JWKS, Zscaler IdP):
// it must never be a 401, which would make a client discard good credentials.
func Unavailable(reason string, retryAfter time.Duration, cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Reason: reason, RetryAfter: retryAfter, Err: cause}
}

// TooMany is a 429 rejection (failures rate-limited per client IP).
func TooMany(reason string, retryAfter time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: "", Reason: reason, RetryAfter: retryAfter}
}

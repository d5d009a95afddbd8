package zscaler

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel kinds of failure. Every error [Client.Do] returns matches at most
// one of them with errors.Is, so a tool can say what went wrong without
// parsing messages:
//
//	if errors.Is(err, zscaler.ErrNotFound) { ... }
var (
	// ErrBadRequest: the API refused the request as invalid (400, 422).
	ErrBadRequest = errors.New("zscaler: bad request")
	// ErrUnauthorized: the server's OneAPI credential was refused (401 from
	// the API after one fresh token, or the token endpoint refused the
	// client credentials).
	ErrUnauthorized = errors.New("zscaler: unauthorized")
	// ErrForbidden: the credential's role may not do this (403).
	ErrForbidden = errors.New("zscaler: forbidden")
	// ErrNotFound: no such object or route (404).
	ErrNotFound = errors.New("zscaler: not found")
	// ErrConflict: the object changed or already exists (409, 412).
	ErrConflict = errors.New("zscaler: conflict")
	// ErrRateLimited: the tenant's API quota is exhausted (429 after the
	// retries), or waiting for our own per-service limiter would outlast
	// the caller's deadline.
	ErrRateLimited = errors.New("zscaler: rate limited")
	// ErrUnavailable: the API or the token endpoint failed (5xx, timeout,
	// connection error) and the retries did not help.
	ErrUnavailable = errors.New("zscaler: unavailable")
)

// APIError is a non-2xx answer of the OneAPI. It matches one of the sentinel
// kinds above with errors.Is (by Status).
type APIError struct {
	Service string
	Method  string
	Path    string
	// Status is the HTTP status code.
	Status int
	// Code and Message come from the API's error body when it has one.
	Code, Message string
	// RetryAfter is the wait the API asked for (Retry-After), if any.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent.
	Attempts int
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
	s += ": " + msg
	if e.Status == http.StatusTooManyRequests && e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	return s
}

// Is makes errors.Is(err, ErrNotFound) and friends work on an *APIError.
func (e *APIError) Is(target error) bool {
	k := statusKind(e.Status)
	return k != nil && target == k
}

// statusKind maps an HTTP status to its sentinel kind, or nil.
func statusKind(status int) error {
	switch {
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return ErrBadRequest
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict || status == http.StatusPreconditionFailed:
		return ErrConflict
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 500:
		return ErrUnavailable
	}
	return nil
}

// RequestError is a OneAPI call that got no usable HTTP answer: a
// connection error or an attempt timeout, after the retries. It matches
// ErrUnavailable and unwraps to the last transport error.
type RequestError struct {
	Service, Method, Path string
	// Attempts is how many times the request was sent (or tried).
	Attempts int
	Err      error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("%s API %s %s: no answer after %d attempt(s): %v", e.Service, e.Method, e.Path, e.Attempts, e.Err)
}

// Unwrap returns the transport error.
func (e *RequestError) Unwrap() error { return e.Err }

// Is matches ErrUnavailable.
func (e *RequestError) Is(target error) bool { return target == ErrUnavailable }

// TokenError is a failure to get the server's own OneAPI token. It matches
// ErrUnauthorized when the token endpoint refused the credentials (4xx) and
// ErrUnavailable when it could not be reached or failed (5xx, timeout). It
// never carries the client secret or the private key.
type TokenError struct {
	// TokenURL is the token endpoint.
	TokenURL string
	// Status is the token endpoint's HTTP status, 0 when there was none.
	Status int
	// Code and Description are the RFC 6749 error and error_description.
	Code, Description string
	Err               error
}

func (e *TokenError) Error() string {
	s := "zscaler: get OneAPI token from " + e.TokenURL + ": "
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusBadRequest && e.Code == "invalid_client":
		s += "the token endpoint refused the client credentials (check ZSCALER_CLIENT_ID and ZSCALER_CLIENT_SECRET or ZSCALER_PRIVATE_KEY)"
	case e.Status != 0:
		s += fmt.Sprintf("HTTP %d", e.Status)
	default:
		return s + e.Err.Error()
	}
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Description != "" {
		s += ": " + truncate(e.Description, 300)
	}
	return s
}

// Unwrap returns the underlying error.
func (e *TokenError) Unwrap() error { return e.Err }

// Is matches ErrUnauthorized (refused) or ErrUnavailable (endpoint failed).
func (e *TokenError) Is(target error) bool {
	if e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests {
		return target == ErrUnauthorized
	}
	if e.Status == http.StatusTooManyRequests {
		return target == ErrRateLimited
	}
	return target == ErrUnavailable
}

// truncate shortens s to at most n bytes (on a rune boundary), marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
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

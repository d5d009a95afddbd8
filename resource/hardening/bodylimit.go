package hardening

import (
	"errors"
	"net/http"
	"strconv"
)

// DefaultMaxBodyBytes is the request body limit used when BodyLimit is given
// a non-positive size: 4 MiB.
const DefaultMaxBodyBytes int64 = 4 << 20

// BodyLimit caps request bodies at n bytes (n <= 0 means
// DefaultMaxBodyBytes). A request whose Content-Length exceeds n is
// answered 413 at once; otherwise r.Body is wrapped with
// http.MaxBytesReader, and a later reader that gets an error for which
// IsTooLarge is true should answer with WriteTooLarge.
func BodyLimit(n int64) func(http.Handler) http.Handler {
	if n <= 0 {
		n = DefaultMaxBodyBytes
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				WriteTooLarge(w, n)
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// IsTooLarge reports whether err (or an error it wraps) is the
// *http.MaxBytesError of a body that exceeded its limit.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// WriteTooLarge answers 413 with
// {"error":"request_too_large","error_description":"request body exceeds N bytes"}.
func WriteTooLarge(w http.ResponseWriter, limit int64) {
	WriteJSONError(w, http.StatusRequestEntityTooLarge, "request_too_large",
		"request body exceeds "+strconv.FormatInt(limit, 10)+" bytes")
}

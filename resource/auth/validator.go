package auth

import (
	"context"
	"net/http"
)

// Validator checks one kind of client credential. Validate returns
// ErrNotMine when the credential's kind is not one it handles, an *Error (or
// an error wrapping one) to reject, or the caller's Identity.
//
// Validators are safe for concurrent use. The request is passed for the
// client IP (rate limits) and must not be read beyond its headers.
type Validator interface {
	// Name is the mode name reported in logs, metrics and whoami.
	Name() string
	// Validate checks c.
	Validate(ctx context.Context, r *http.Request, c Credential) (*Identity, error)
}

// ClientIPFunc returns the client IP of r as the hardening layer resolved it
// (honouring X-Forwarded-For only from trusted proxies).
type ClientIPFunc func(r *http.Request) string

type clientIPKey struct{}

// WithClientIP stores the resolved client IP in ctx.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the client IP stored by WithClientIP, or the host part
// of r.RemoteAddr.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok && ip != "" {
		return ip
	}
	return remoteHost(r.RemoteAddr)
}

package oauthserver

import (
	"net/http"

	"golang.org/x/time/rate"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// endpointLimits are the per-IP limits of the JSON endpoints that touch
// the store or check secrets: /token, /revoke, /introspect and the RFC 7592
// management endpoint /register/{client_id}, each with its own buckets (a
// client's introspections do not eat its refreshes). nil fields are
// unlimited. POST /register has its own, stricter limit (regLimit).
//
// Metadata and /jwks.json are not limited: they are constant documents
// served from memory (cheaper than the limiter's own bookkeeping), and a
// verifier that meets an unknown kid must be able to refetch the key set
// at once.
type endpointLimits struct {
	token, revoke, introspect, manage *ipLimiter
}

func (s *Server) newEndpointLimits() (endpointLimits, error) {
	var l endpointLimits
	if s.cfg.TokenEndpointRate == rate.Inf {
		return l, nil
	}
	for _, p := range []**ipLimiter{&l.token, &l.revoke, &l.introspect, &l.manage} {
		lim, err := newIPLimiter(s.cfg.TokenEndpointRate, s.cfg.TokenEndpointBurst, s.now)
		if err != nil {
			return l, err
		}
		*p = lim
	}
	return l, nil
}

// limited answers 429 with Retry-After and an OAuth error body when the
// client IP (auth.ClientIP: X-Forwarded-For only from trusted proxies)
// has exhausted lim's budget; a nil lim lets everything through.
func (s *Server) limited(lim *ipLimiter, next http.HandlerFunc) http.HandlerFunc {
	return limitedBy(lim, "Too many requests from this address; retry after the number of seconds in Retry-After.", next)
}

// limitedBy is limited with the error_description of the 429 (POST
// /register has its own, RFC 7591 §3.2.2 uses the same body shape).
func limitedBy(lim *ipLimiter, description string, next http.HandlerFunc) http.HandlerFunc {
	if lim == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := lim.allow(auth.ClientIP(r)); !ok {
			h := w.Header()
			h.Set("Retry-After", retryAfter(wait))
			h.Set("Cache-Control", "no-store")
			h.Set("Pragma", "no-cache")
			writeJSON(w, http.StatusTooManyRequests, map[string]string{
				"error":             "too_many_requests",
				"error_description": description,
			})
			return
		}
		next(w, r)
	}
}

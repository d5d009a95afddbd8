package oauthserver

import (
	"context"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// maxTouchInterval bounds how stale a client's last-used time may be.
const maxTouchInterval = time.Hour

// touchInterval is how often a client's last-used time is written: at
// most hourly, and at most a tenth of ClientTTL, so GCClients never
// misjudges a client by more than 10% of the TTL. Writing it on every
// token request would cost one more commit (and fsync) per request.
func (s *Server) touchInterval() time.Duration {
	d := maxTouchInterval
	if s.cfg.ClientTTL > 0 {
		d = min(d, s.cfg.ClientTTL/10)
	}
	return d
}

// touchClient records that c was used now, unless the stored time (read
// with the client for this request) is more recent than touchInterval.
func (s *Server) touchClient(ctx context.Context, c *store.Client) {
	now := s.now()
	if !c.LastUsedAt.IsZero() && now.Sub(c.LastUsedAt) < s.touchInterval() {
		return
	}
	if err := s.st.TouchClient(ctx, c.ID, now); err != nil {
		s.log.Warn("oauthserver: touch client", "client_id", c.ID, "err", err)
	}
}

package astoken

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/jwtauth"
)

// idCache remembers, by the SHA-256 of a token that passed every check
// except the per-request ones, the Identity built for it. A client reuses
// its access token for every MCP request until it expires, so the hit
// path — hash, lookup, expiry, audience for the path, revocation — skips
// the unverified header and payload decoding that picks the validator, the
// verifier's own lookup, the scope parsing and the Identity allocation.
// Entries are used only before the token's exp (no leeway: an expiring
// token takes the full path, which applies it).
type idCache struct {
	mu   sync.Mutex
	c    *lru.Cache[[sha256.Size]byte, *idEntry]
	hits atomic.Uint64
}

type idEntry struct {
	id       *auth.Identity // shared, read-only
	audience []string
	grantID  string
	issued   time.Time
	expires  time.Time
}

// newIDCache returns a cache of size entries, or nil when size < 0.
func newIDCache(size int) *idCache {
	if size < 0 {
		return nil
	}
	if size == 0 {
		size = jwtauth.DefaultCacheSize
	}
	c, err := lru.New[[sha256.Size]byte, *idEntry](size)
	if err != nil {
		return nil
	}
	return &idCache{c: c}
}

func (c *idCache) get(sum [sha256.Size]byte) (*idEntry, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c.Get(sum)
}

func (c *idCache) put(sum [sha256.Size]byte, e *idEntry) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.c.Add(sum, e)
	c.mu.Unlock()
}

func (c *idCache) remove(sum [sha256.Size]byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.c.Remove(sum)
	c.mu.Unlock()
}

package oauthserver

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/ory/fosite/token/jwt"
)

// maxDecodedTokens bounds the verified-token cache.
const maxDecodedTokens = 10000

// decodeCache remembers access tokens whose ES256 signature was verified,
// by their exact bytes: a resource server introspecting the token of every
// request it serves would otherwise cost one signature verification per
// introspection (the most expensive step of it). A hit is used only while
// the key that signed it is still published; expiry and the other claims
// are checked by fosite on every use (Claims.Valid), cached or not.
type decodeCache struct {
	mu sync.Mutex
	c  *lru.Cache[string, decoded]
}

type decoded struct {
	tok *jwt.Token
	kid string
}

func newDecodeCache() *decodeCache {
	c, _ := lru.New[string, decoded](maxDecodedTokens) // only fails for a size ≤ 0
	return &decodeCache{c: c}
}

func (d *decodeCache) get(token string) (decoded, bool) {
	if d == nil {
		return decoded{}, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.c.Get(token)
}

func (d *decodeCache) put(token string, v decoded) {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.c.Add(token, v)
	d.mu.Unlock()
}

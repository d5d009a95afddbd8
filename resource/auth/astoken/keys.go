package astoken

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/jwtauth"
	"github.com/zscalermcp/zscaler-mcp/store"
)

var b64 = base64.RawURLEncoding

// keySet is the jwtauth.KeySet over a KeysFunc: it keeps the last set and
// reloads it on an unknown kid at most once per cooldown (concurrent
// misses wait for one reload). A failed reload keeps the old set.
type keySet struct {
	fn       KeysFunc
	cooldown time.Duration
	now      func() time.Time

	mu         sync.Mutex // serialises reloads
	set        atomic.Pointer[jose.JSONWebKeySet]
	lastReload time.Time
	loaded     bool

	fetches, errors atomic.Uint64
}

var _ jwtauth.KeySet = (*keySet)(nil)

// Key implements jwtauth.KeySet.
func (k *keySet) Key(ctx context.Context, kid, alg string) (jose.JSONWebKey, error) {
	if key, ok := k.find(kid, alg); ok {
		return key, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.find(kid, alg); ok { // reloaded while we waited
		return key, nil
	}
	if k.loaded && k.now().Sub(k.lastReload) < k.cooldown {
		return jose.JSONWebKey{}, fmt.Errorf("astoken: kid %q: %w", kid, jwtauth.ErrKeyNotFound)
	}
	k.lastReload, k.loaded = k.now(), true
	k.fetches.Add(1)
	set, err := k.fn(ctx)
	if err != nil {
		k.errors.Add(1)
		if k.set.Load() == nil {
			return jose.JSONWebKey{}, auth.Unavailable("signing keys unavailable", time.Second, fmt.Errorf("astoken: load keys: %w", err))
		}
		return jose.JSONWebKey{}, fmt.Errorf("astoken: kid %q (reload failed: %v): %w", kid, err, jwtauth.ErrKeyNotFound)
	}
	k.set.Store(&set)
	if key, ok := k.find(kid, alg); ok {
		return key, nil
	}
	return jose.JSONWebKey{}, fmt.Errorf("astoken: kid %q: %w", kid, jwtauth.ErrKeyNotFound)
}

// find looks kid up in the current set; a token without kid matches the
// only key usable with alg.
func (k *keySet) find(kid, alg string) (jose.JSONWebKey, bool) {
	set := k.set.Load()
	if set == nil {
		return jose.JSONWebKey{}, false
	}
	var match []jose.JSONWebKey
	for _, key := range set.Keys {
		if key.Algorithm != "" && key.Algorithm != alg {
			continue
		}
		if kid == "" || key.KeyID == kid {
			match = append(match, key)
		}
	}
	if len(match) != 1 {
		return jose.JSONWebKey{}, false
	}
	return match[0], true
}

func (k *keySet) stats() (fetches, errs uint64) { return k.fetches.Load(), k.errors.Load() }

// ServerKeys adapts an in-process authorization server (anything with a
// JWKS method, such as *oauthserver.Server) to a KeysFunc.
func ServerKeys(s interface{ JWKS() jose.JSONWebKeySet }) KeysFunc {
	return func(context.Context) (jose.JSONWebKeySet, error) { return s.JWKS(), nil }
}

// StoreKeys returns a KeysFunc that reads the AS's signing keys from the
// store, for a resource server in another process than the AS: the ES256
// rows (never the fosite HMAC secret stored alongside) that are still
// published at now, reduced to their public halves.
func StoreKeys(st store.SigningKeys, now func() time.Time) KeysFunc {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context) (jose.JSONWebKeySet, error) {
		rows, err := st.ListSigningKeys(ctx)
		if err != nil {
			return jose.JSONWebKeySet{}, fmt.Errorf("astoken: list signing keys: %w", err)
		}
		t := now()
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
		for _, row := range rows {
			if row.Alg != jwtauth.ES256 || (!row.NotAfter.IsZero() && !t.Before(row.NotAfter)) {
				continue
			}
			var k jose.JSONWebKey
			if err := json.Unmarshal(row.PrivateKey, &k); err != nil {
				return jose.JSONWebKeySet{}, fmt.Errorf("astoken: decode signing key %q: %w", row.KID, err)
			}
			pub := k.Public()
			if !pub.Valid() {
				return jose.JSONWebKeySet{}, fmt.Errorf("astoken: signing key %q has no public half", row.KID)
			}
			pub.KeyID, pub.Algorithm, pub.Use = row.KID, jwtauth.ES256, "sig"
			set.Keys = append(set.Keys, pub)
		}
		return set, nil
	}
}

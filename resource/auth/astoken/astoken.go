// Package astoken is the resource server's validator for access tokens
// issued by our own authorization server (the oidcproxy mode, DESIGN.md §3,
// issue 3 "The resource side").
//
// A token is accepted when it is an RFC 9068 JWT (header typ at+jwt)
// signed by one of the AS's current keys, iss is the AS issuer byte for
// byte, aud is the resource of the request being served (a token for
// <public-url>/sse does not work on /mcp), it has not expired, and neither
// its grant, its client nor its subject has been revoked. Scopes come
// from the space-separated scope claim (only zscaler.read and
// zscaler.write are kept).
//
// Keys come from a KeysFunc (the in-process oauthserver.Server.JWKS, or
// StoreKeys for a separate process); an unknown kid reloads them at most
// once per RefreshCooldown. Revocations come from two sources: Revoke, for
// in-process callers (the AS, admin code) that want the effect at once, and
// the store's revocation log, which Run polls (every second by default)
// for everything else, including revocations fosite makes inside the store
// (reuse detection) and changes by other processes. Nothing is read from
// the database per request.
//
// The validator claims only tokens whose (unverified) iss is the AS
// issuer; any other credential gets auth.ErrNotMine, so static validators
// (api-key, jwt, zscaler) can be chained after it.
package astoken

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/jwtauth"
	"github.com/zscalermcp/zscaler-mcp/store"
)

// Defaults of Config.
const (
	DefaultPollInterval    = time.Second
	DefaultRefreshCooldown = 5 * time.Second
	DefaultRetention       = 24 * time.Hour
	// dedupWindow: a revocation of a client or subject that is already
	// known with an At less than this much earlier does not fire OnRevoke
	// again (the AS's direct call and the log entry describe one event).
	dedupWindow = 5 * time.Second
)

// KeysFunc returns the authorization server's current public signing
// keys.
type KeysFunc func(ctx context.Context) (jose.JSONWebKeySet, error)

// Config configures a Validator.
type Config struct {
	// Issuer is the AS issuer (its public URL), compared byte for byte.
	// Required.
	Issuer string
	// Resources is the AS's resource set (oauthserver.Server.Resources):
	// <public-url>/mcp and /sse plus loopback-alias spellings. Required.
	Resources []string
	// Keys returns the AS's public keys. Required.
	Keys KeysFunc
	// Revocations is the store's revocation log that Run polls; nil means
	// only Revoke feeds the revoked set.
	Revocations store.Revocations
	// PollInterval is Run's polling period (default 1 s).
	PollInterval time.Duration
	// RefreshCooldown is the least time between two key reloads caused by
	// an unknown kid (default 5 s).
	RefreshCooldown time.Duration
	// Retention is how long a revocation is remembered; it must exceed the
	// AS's access-token lifetime (default 24 h).
	Retention time.Duration
	// ResourcePath maps a request to the path of the resource it uses
	// ("/mcp" or "/sse"); nil means DefaultResourcePath.
	ResourcePath func(r *http.Request) string
	// Leeway is the clock skew allowed on exp, nbf and iat (see
	// jwtauth.VerifierConfig; 0 means 60 s).
	Leeway time.Duration
	// CacheSize bounds the verified-token cache (see
	// jwtauth.VerifierConfig).
	CacheSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives poll failures (default: discard).
	Logger *slog.Logger
}

// DefaultResourcePath maps /mcp (and below) to "/mcp", /sse and the SSE
// transport's /messages/ endpoint to "/sse", anything else to the path
// itself.
func DefaultResourcePath(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/mcp" || strings.HasPrefix(p, "/mcp/"):
		return "/mcp"
	case p == "/sse" || strings.HasPrefix(p, "/sse/") || p == "/messages" || strings.HasPrefix(p, "/messages/"):
		return "/sse"
	}
	return p
}

// Validator is the auth.Validator of the oidcproxy mode. It is safe for
// concurrent use.
type Validator struct {
	issuer       string
	byPath       map[string][]string // resource path → accepted aud values
	resourcePath func(*http.Request) string
	keys         *keySet
	verifier     *jwtauth.Verifier
	ids          *idCache // nil when CacheSize < 0
	revs         store.Revocations
	poll         time.Duration
	retention    time.Duration
	now          func() time.Time
	log          *slog.Logger

	mu       sync.RWMutex
	grants   map[string]time.Time // grant id → revoked at (any token of it)
	clients  map[string]time.Time // client id → tokens issued up to then revoked
	subjects map[string]time.Time // subject → tokens issued up to then revoked
	seq      int64
	hooks    []func(kind, value string)
}

var _ auth.Validator = (*Validator)(nil)

// New validates cfg and returns a Validator. It does not load keys or
// read the revocation log: call Sync once before serving, then run Run.
func New(cfg Config) (*Validator, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("astoken: Config.Issuer is required")
	}
	if cfg.Keys == nil {
		return nil, errors.New("astoken: Config.Keys is required")
	}
	if len(cfg.Resources) == 0 {
		return nil, errors.New("astoken: Config.Resources is required")
	}
	byPath := map[string][]string{}
	for _, res := range cfg.Resources {
		u, err := url.Parse(res)
		if err != nil || u.Scheme == "" || u.Host == "" || u.Path == "" {
			return nil, fmt.Errorf("astoken: resource %q is not an absolute URL with a path", res)
		}
		byPath[u.Path] = append(byPath[u.Path], res)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ResourcePath == nil {
		cfg.ResourcePath = DefaultResourcePath
	}
	setDefault(&cfg.PollInterval, DefaultPollInterval)
	setDefault(&cfg.RefreshCooldown, DefaultRefreshCooldown)
	setDefault(&cfg.Retention, DefaultRetention)
	ks := &keySet{fn: cfg.Keys, cooldown: cfg.RefreshCooldown, now: cfg.Now}
	ver, err := jwtauth.NewVerifier(ks, jwtauth.VerifierConfig{
		Issuers:   []string{cfg.Issuer},
		Audiences: slices.Clone(cfg.Resources),
		Leeway:    cfg.Leeway,
		CacheSize: cfg.CacheSize,
		Now:       cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("astoken: %w", err)
	}
	return &Validator{
		issuer:       cfg.Issuer,
		byPath:       byPath,
		resourcePath: cfg.ResourcePath,
		keys:         ks,
		verifier:     ver,
		ids:          newIDCache(cfg.CacheSize),
		revs:         cfg.Revocations,
		poll:         cfg.PollInterval,
		retention:    cfg.Retention,
		now:          cfg.Now,
		log:          cfg.Logger,
		grants:       map[string]time.Time{},
		clients:      map[string]time.Time{},
		subjects:     map[string]time.Time{},
	}, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Name implements auth.Validator: "oidcproxy".
func (v *Validator) Name() string { return auth.ModeOIDCProxy }

// Validate implements auth.Validator. A credential that is not a bearer
// JWT whose unverified iss is our issuer is auth.ErrNotMine.
func (v *Validator) Validate(ctx context.Context, r *http.Request, c auth.Credential) (*auth.Identity, error) {
	if c.Kind != auth.KindBearer {
		return nil, auth.ErrNotMine
	}
	var sum [sha256.Size]byte
	if v.ids != nil {
		sum = auth.TokenHash(c.Token)
		if e, ok := v.ids.get(sum); ok {
			if v.now().Before(e.expires) {
				v.ids.hits.Add(1)
				return v.checkRequest(r, e)
			}
			v.ids.remove(sum)
		}
	}
	if !jwtauth.LooksLikeJWT(c.Token) {
		return nil, auth.ErrNotMine
	}
	hdr, iss, ok := peek(c.Token)
	if !ok || iss != v.issuer {
		return nil, auth.ErrNotMine
	}
	if !strings.EqualFold(hdr.Typ, store.AccessTokenType) && !strings.EqualFold(hdr.Typ, "application/"+store.AccessTokenType) {
		return nil, auth.Invalid("not an access token (typ must be at+jwt)", nil)
	}
	cl, err := v.verifier.Verify(ctx, c.Token)
	if err != nil {
		return nil, err
	}
	if cl.Subject == "" {
		return nil, auth.Invalid("token has no subject (sub)", nil)
	}
	grantID, _ := cl.Raw[store.ClaimGrantID].(string)
	e := &idEntry{id: identityOf(cl), audience: cl.Audience, grantID: grantID, issued: cl.IssuedAt, expires: cl.ExpiresAt}
	id, err := v.checkRequest(r, e)
	if err == nil && v.ids != nil {
		v.ids.put(sum, e)
	}
	return id, err
}

// checkRequest applies the checks that depend on the request and on time
// beyond the token itself: the audience must be the resource being called,
// and the token must not be revoked.
func (v *Validator) checkRequest(r *http.Request, e *idEntry) (*auth.Identity, error) {
	var accepted []string // a request without a resource accepts nothing
	if r != nil {
		accepted = v.byPath[v.resourcePath(r)]
	}
	if !slices.ContainsFunc(e.audience, func(a string) bool { return slices.Contains(accepted, a) }) {
		return nil, auth.Invalid("wrong audience: the token is for another resource of this server", nil)
	}
	if v.revoked(e.grantID, e.id.ClientID, e.id.Subject, e.issued) {
		return nil, auth.Invalid("token revoked", nil)
	}
	return e.id, nil
}

// identityOf is the caller a verified token describes.
func identityOf(cl *jwtauth.Claims) *auth.Identity {
	scopeStr, _ := cl.Raw["scope"].(string)
	var scopes []string
	for _, s := range strings.Fields(scopeStr) {
		if (s == auth.ScopeRead || s == auth.ScopeWrite) && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	if scopes == nil {
		scopes = []string{}
	}
	return &auth.Identity{
		Mode:      auth.ModeOIDCProxy,
		Subject:   cl.Subject,
		ClientID:  cl.ClientID,
		Issuer:    cl.Issuer,
		Scopes:    scopes,
		ExpiresAt: cl.ExpiresAt,
		Claims:    cl.Raw, // shared with the verification cache: read-only (incl. idp, grant_id)
	}
}

type header struct {
	Typ string `json:"typ"`
}

// peek decodes the header and the iss claim without verifying anything;
// only to choose the validator and check typ (the signature covers both).
func peek(token string) (header, string, bool) {
	h, rest, ok1 := strings.Cut(token, ".")
	pl, _, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || len(h) > jwtauth.MaxHeaderBytes || len(h)+len(pl) > jwtauth.MaxTokenBytes {
		return header{}, "", false
	}
	var hdr header
	var claims struct {
		Iss string `json:"iss"`
	}
	if decodeSegment(h, &hdr) != nil || decodeSegment(pl, &claims) != nil {
		return header{}, "", false
	}
	return hdr, claims.Iss, true
}

func decodeSegment(seg string, v any) error {
	b, err := b64.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// revoked reports whether a token with these claims is revoked: its grant
// was revoked, or its client or subject was revoked at or after iat (a
// token without iat counts as issued at the epoch).
func (v *Validator) revoked(grantID, clientID, subject string, iat time.Time) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if grantID != "" {
		if _, ok := v.grants[grantID]; ok {
			return true
		}
	}
	if at, ok := v.clients[clientID]; ok && clientID != "" && !iat.After(at) {
		return true
	}
	if at, ok := v.subjects[subject]; ok && !iat.After(at) {
		return true
	}
	return false
}

// Revoke records a revocation now: kind is store.RevocationGrant (value a
// grant id), RevocationClient (a client id) or RevocationSubject (a
// subject). Tokens of a revoked grant are refused from then on; tokens of
// a client or subject issued up to now are refused. The in-process AS
// calls it right after writing the revocation log, so the effect is
// immediate; OnRevoke hooks run (once per event, see OnRevoke).
func (v *Validator) Revoke(kind store.RevocationKind, value string) {
	v.record(kind, value, v.now())
}

// OnRevoke registers fn to be called for every new revocation, from Revoke
// or from the log, with the kind ("grant", "client", "subject") and value;
// the resource server uses it to close the open MCP streams of a revoked
// grant, client or subject. A revocation seen twice (the AS's direct call
// and then its log entry) fires once. fn runs on the revoking goroutine
// and must not block.
func (v *Validator) OnRevoke(fn func(kind, value string)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.hooks = append(v.hooks, fn)
}

func (v *Validator) record(kind store.RevocationKind, value string, at time.Time) {
	if value == "" {
		return
	}
	var m map[string]time.Time
	v.mu.Lock()
	switch kind {
	case store.RevocationGrant:
		m = v.grants
	case store.RevocationClient:
		m = v.clients
	case store.RevocationSubject:
		m = v.subjects
	default:
		v.mu.Unlock()
		v.log.Warn("astoken: unknown revocation kind", "kind", string(kind))
		return
	}
	old, seen := m[value]
	fire := !seen || (kind != store.RevocationGrant && at.Sub(old) >= dedupWindow)
	if !seen || at.After(old) {
		m[value] = at
	}
	hooks := v.hooks
	v.mu.Unlock()
	if fire {
		for _, fn := range hooks {
			fn(string(kind), value)
		}
	}
}

// Sync reads the revocation log entries added since the last Sync and
// applies them, and forgets revocations older than Retention. Call it
// once before serving (so revocations made while this process was down
// apply), then let Run call it periodically.
func (v *Validator) Sync(ctx context.Context) error {
	v.prune()
	if v.revs == nil {
		return nil
	}
	v.mu.RLock()
	seq := v.seq
	v.mu.RUnlock()
	entries, last, err := v.revs.RevocationsSince(ctx, seq)
	if err != nil {
		return fmt.Errorf("astoken: read revocation log: %w", err)
	}
	cutoff := v.now().Add(-v.retention)
	for _, e := range entries {
		if e.At.Before(cutoff) {
			continue
		}
		v.record(e.Kind, e.Value, e.At)
	}
	v.mu.Lock()
	if last > v.seq {
		v.seq = last
	}
	v.mu.Unlock()
	return nil
}

func (v *Validator) prune() {
	cutoff := v.now().Add(-v.retention)
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, m := range []map[string]time.Time{v.grants, v.clients, v.subjects} {
		for k, at := range m {
			if at.Before(cutoff) {
				delete(m, k)
			}
		}
	}
}

// Run calls Sync every PollInterval until ctx ends. Failures are logged
// and retried at the next tick. Start it in its own goroutine.
func (v *Validator) Run(ctx context.Context) {
	t := time.NewTicker(v.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := v.Sync(ctx); err != nil && ctx.Err() == nil {
				v.log.Warn("astoken: revocation poll failed", "err", err)
			}
		}
	}
}

// Stats reports the verification counters (jwtauth.Stats; JWKSFetches
// counts key reloads).
func (v *Validator) Stats() jwtauth.Stats {
	s := v.verifier.Stats()
	s.JWKSFetches, s.JWKSFetchErrors = v.keys.stats()
	if v.ids != nil {
		s.CacheHits += v.ids.hits.Load() // answered before the verifier
	}
	return s
}

// Package oauthserver is the OAuth 2.1 authorization server of the oidcproxy
// mode (DESIGN.md §3, issue 3), built on fosite v0.49.0 and the store
// package: RFC 8414 metadata, /authorize, /token (authorization code with
// PKCE S256, refresh with rotation, reuse detection and a grace window),
// /revoke (RFC 7009), /introspect (RFC 7662, confidential clients only),
// /register (RFC 7591 dynamic client registration) and /register/{client_id}
// (RFC 7592 management), /jwks.json and the ES256 keys that sign RFC 9068
// JWT access tokens.
//
// Use: New(ctx, Config{PublicURL, LoopbackBind, Store, Authenticator, ...}),
// then Mount(router); run RunKeyRotation in a goroutine and call GCClients
// periodically (e.g. hourly).
//
// # Dynamic client registration
//
// POST /register takes a JSON body of at most 64 KiB. redirect_uris is
// required (1–10 URIs, each ≤ 2000 characters and accepted by
// ValidateRedirectURI: invalid_redirect_uri otherwise); grant_types ⊆
// {authorization_code, refresh_token} (refresh_token is always added),
// response_types ⊆ {code}, token_endpoint_auth_method ∈ {none,
// client_secret_basic, client_secret_post} (omitted → client_secret_basic,
// RFC 7591 §2), scope ⊆ our scopes (habitual ones ignored; none → all of
// ours); strings are bounded (client_name 200, URIs 2000). Anything else is
// invalid_client_metadata (413 for an oversized body); unknown fields are
// ignored. The client is stored with origin dcr; a confidential one gets a
// 256-bit secret, stored as SHA-256 (store.HashSecret), returned once with
// client_secret_expires_at 0. Every response echoes the effective metadata
// and carries a registration access token (stored hashed, compared in
// constant time) and registration_client_uri <public-url>/register/{id}.
// GET, PUT (full replacement, same validation; the secret is kept while the
// client stays confidential, a client turning confidential gets a new one)
// and DELETE there need that token; a missing or wrong token and an unknown
// client all get 401 invalid_token. Reads echo the presented registration
// token (RFC 7592 §3 requires it) but cannot return the hashed secret.
// POST /register is limited per client IP (auth.ClientIP; RegistrationRate,
// RegistrationBurst; an LRU of 10,000 buckets; IPv6 per /64) with 429 and
// Retry-After, and so are /token, /revoke, /introspect and
// /register/{client_id} (TokenEndpointRate, TokenEndpointBurst; their own
// buckets each).
// GCClients deletes dcr clients unused for ClientTTL and holding no grant
// (after the store's GC has removed expired ones); their later use gets
// invalid_client, which makes clients re-register.
//
// # Client ID Metadata Documents
//
// A client_id that is an http(s) URL is a metadata document URL (cimd.go).
// Before the client lookup of /authorize and /token, the document is
// fetched unless a fresh copy is known: https only, canonical URL with a
// path, no userinfo, fragment or dot segments; every resolved address must
// be public (no loopback, private, link-local, unspecified, multicast,
// CGNAT, documentation, NAT64 or 6to4 ranges; IPv4-mapped addresses judged
// as IPv4) and the dialer connects to a checked address and re-checks it in
// the socket's Control hook; no proxy, no redirects, ≤ 5 KiB, ≤ 5 s. The
// document's client_id must equal the URL byte for byte; it is validated
// like a registration (redirect_uris required), must not carry a secret,
// and its token_endpoint_auth_method must be none (or omitted). The client
// is created or updated in the store with origin cimd. Freshness follows
// Cache-Control (max-age up to 24 h; no-store, no-cache and max-age=0 mean
// refetch next time; default 5 minutes), kept in memory; a deleted row is
// fetched again. When the host fails (network error, timeout, 5xx) the
// stored copy of a known client is used for another minute; a refused
// document (4xx, mismatch, invalid) ends it. A URL-shaped id that an
// administrator stored with another origin is used as is. Any failure is
// invalid_client (an error page at /authorize).
//
// # What this package adds to fosite
//
//   - RFC 8707 resource indicators. fosite knows only "audience". /authorize
//     canonicalises the resource (scheme and host case-insensitive, exact
//     path; absent → <public-url>/mcp; one resource per request) and hands
//     it to fosite as the audience; /token checks a resource against the
//     code's or refresh token's granted audience before fosite runs, then
//     removes resource and audience from the form (fosite issues the granted
//     audience). Every client's audience is our resource set (oauthClient).
//     Errors: invalid_target.
//   - RFC 9207: every authorization response, success or error, is written by
//     redirectWith with iss = the public URL; only response_mode=query.
//   - Redirect URIs: this package validates (ValidateRedirectURI) and matches
//     (MatchRedirectURI: exact, plus the RFC 8252 §7.3 port rule for
//     localhost, 127.0.0.1 and [::1]) before fosite; fosite then sees a
//     client whose only redirect URI is the matched one (the matched URI
//     travels in the context to fositeStorage.GetClient). An unknown client
//     or unmatched redirect URI gets an error page, never a redirect.
//   - Scopes: openid, email, profile and offline_access are dropped; other
//     unknown scopes are invalid_scope; none left → zscaler.read.
//     RefreshTokenScopes is empty, so every grant gets a refresh token.
//   - state: fosite demands ≥ 8 characters; OAuth 2.1 makes state optional
//     with PKCE. fosite gets a placeholder and the client's own state (or
//     none) goes back.
//   - Refresh grace window: refreshes of one token are serialised in
//     process (keyedMutex). A refresh's response is kept for
//     RefreshGraceWindow keyed by the old token's signature; a repeat within
//     the window, by the same client, while the store says the old token was
//     replaced by exactly that response's refresh token and the replacement
//     is still active (store.RefreshTokenStatus), gets the same bytes again:
//     never a second token family. Outside the window fosite's reuse
//     detection revokes the family.
//   - Concurrent use: fosite reports some losers of a code race as
//     server_error; store.IsConcurrentUse errors become invalid_grant.
//   - Keys: ES256 keys live in the store's signing-key table as JWK JSON.
//     The newest active key signs (kid in the header); verification picks
//     the published key named by the token's kid (an unknown kid reloads the
//     store at most every 5 s), so tokens outlive a rotation. RotateKeys
//     retires the previous key, which stays published for AccessTokenTTL + 5
//     minutes. fosite's HMAC global secret (it signs codes and refresh
//     tokens) is kept in the same table under the algorithm name
//     "fosite-hmac-global-secret", active and never published: verifiers must
//     only accept ES256 rows.
//
// # Login hand-off
//
// After validation, /authorize stores the original request form in memory
// under a random pending id (PendingTTL, default 10 minutes) and calls the
// Authenticator. It may approve at once (return a Subject) or take over the
// response and later call Resume(w, r, pendingID, subject) or Deny; Resume
// re-validates the stored request from scratch (the client may have been
// deleted meanwhile) and completes it. Pending requests are single-use and do
// not survive a restart (the user starts again from the client); several
// replicas need sticky sessions or a store-backed pending table.
//
// # Deliberate leniencies
//
// A confidential client may authenticate with client_secret_basic or
// client_secret_post whatever it registered (store.Client does not enforce
// TokenEndpointAuthMethod; RFC 7591 clients that omit it get
// client_secret_basic and must be able to use Basic). Introspection answers
// for any token to any authenticated confidential client.
package oauthserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"golang.org/x/time/rate"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// Config configures the authorization server.
type Config struct {
	// PublicURL is scheme://host[:port] (no path, no trailing slash); it is
	// the issuer, byte for byte.
	PublicURL string
	// LoopbackBind accepts the loopback alias spellings (localhost,
	// 127.0.0.1, [::1]) of a loopback PublicURL as resources.
	LoopbackBind bool
	// Store persists clients, grants, tokens and keys.
	Store store.Store
	// Authenticator logs the user in at /authorize. Required.
	Authenticator Authenticator

	// AccessTokenTTL is the access-token lifetime (default 1h).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the refresh-token lifetime (default 720h).
	RefreshTokenTTL time.Duration
	// GrantMaxLifetime is the absolute lifetime of a grant, never extended
	// by refreshing (default 2160h).
	GrantMaxLifetime time.Duration
	// CodeTTL is the authorization-code lifetime (default 5m, at most 10m).
	CodeTTL time.Duration
	// RefreshGraceWindow is how long a concurrent refresh with a just-rotated
	// token gets the first response replayed. Zero means the default (5s);
	// a negative value disables the window (every reuse revokes the family).
	RefreshGraceWindow time.Duration
	// PendingTTL is how long a pending authorization request waits for
	// Resume (default 10m).
	PendingTTL time.Duration
	// KeyRotationPeriod is the age at which the signing key is replaced
	// (default 720h; negative disables rotation).
	KeyRotationPeriod time.Duration

	// RegistrationRate is the per-IP rate of POST /register (default 10 per
	// minute); rate.Inf disables the limit.
	RegistrationRate rate.Limit
	// RegistrationBurst is the per-IP burst of POST /register (default 20).
	RegistrationBurst int
	// TokenEndpointRate is the per-IP rate of each of POST /token, /revoke,
	// /introspect and /register/{client_id} (separate buckets; default 50
	// per second); rate.Inf disables these limits.
	TokenEndpointRate rate.Limit
	// TokenEndpointBurst is their per-IP burst (default 200).
	TokenEndpointBurst int
	// ClientTTL is how long a dynamically registered client may stay unused
	// (and without a grant) before GCClients deletes it (default 720h;
	// negative disables the deletion).
	ClientTTL time.Duration

	// RefreshPolicy, when set, re-checks the user's access on every refresh
	// (e.g. the IdP entry still exists, the email domain is still allowed).
	// It sees the grant's session; an error refuses the refresh with
	// invalid_grant and revokes the grant.
	RefreshPolicy func(ctx context.Context, sess *store.Session) error

	// Now is the clock (default time.Now). fosite's own clock is time.Now.
	Now func() time.Time
	// Logger receives structured logs, never secrets (default: discard).
	Logger *slog.Logger
	// Audit receives the audit events (see Auditor). Default: an AuditLog
	// on Store and Logger.
	Audit Auditor
	// HTTPClient is for outbound requests. Client ID Metadata Document
	// fetches keep only the TLS settings of its *http.Transport (see
	// cimd.go): no proxy, no redirects, 5 s, 5 KiB, public addresses only.
	HTTPClient *http.Client
	// Debug sends fosite's debug messages to clients (tests only).
	Debug bool

	// cimdAllowLoopback lets metadata-document fetches reach loopback
	// addresses. Unexported so that only this package's tests can set it:
	// no configuration path of the binary can.
	cimdAllowLoopback bool
}

// Server is the authorization server. Create it with New and mount its
// routes with Mount.
type Server struct {
	cfg      Config
	id       identity
	st       store.Store
	provider *fosite.Fosite
	fcfg     *fosite.Config
	strategy oauth2.CoreStrategy
	keys     *keyManager
	now      func() time.Time
	log      *slog.Logger
	auth     Authenticator

	pending  *pendingStore
	grace    *graceCache
	locks    keyedMutex
	regLimit *ipLimiter // nil: unlimited
	limits   endpointLimits
	cimd     *cimdResolver
	auditor  Auditor
	ownAudit bool // auditor is the default AuditLog, closed by Close
}

// New validates cfg, loads or creates the signing keys and composes fosite.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("oauthserver: Config.Store is required")
	}
	if cfg.Authenticator == nil {
		return nil, errors.New("oauthserver: Config.Authenticator is required")
	}
	id, err := newIdentity(cfg.PublicURL, cfg.LoopbackBind)
	if err != nil {
		return nil, err
	}
	setDefault(&cfg.AccessTokenTTL, time.Hour)
	setDefault(&cfg.RefreshTokenTTL, 720*time.Hour)
	setDefault(&cfg.GrantMaxLifetime, 2160*time.Hour)
	setDefault(&cfg.CodeTTL, 5*time.Minute)
	setDefault(&cfg.RefreshGraceWindow, 5*time.Second)
	setDefault(&cfg.PendingTTL, 10*time.Minute)
	setDefault(&cfg.KeyRotationPeriod, 720*time.Hour)
	setDefault(&cfg.ClientTTL, 720*time.Hour)
	if cfg.RegistrationRate == 0 {
		cfg.RegistrationRate = defaultRegistrationRate
	}
	if cfg.RegistrationBurst == 0 {
		cfg.RegistrationBurst = defaultRegistrationBurst
	}
	if cfg.TokenEndpointRate == 0 {
		cfg.TokenEndpointRate = defaultTokenEndpointRate
	}
	if cfg.TokenEndpointBurst == 0 {
		cfg.TokenEndpointBurst = defaultTokenEndpointBurst
	}
	if cfg.RegistrationRate < 0 || cfg.RegistrationBurst < 0 || cfg.TokenEndpointRate < 0 || cfg.TokenEndpointBurst < 0 {
		return nil, errors.New("oauthserver: rate limits and bursts must not be negative")
	}
	if cfg.CodeTTL > 10*time.Minute {
		return nil, fmt.Errorf("oauthserver: CodeTTL %v exceeds 10m", cfg.CodeTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	secret, err := globalSecret(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	km := &keyManager{st: cfg.Store, now: cfg.Now, ttl: cfg.AccessTokenTTL, period: cfg.KeyRotationPeriod, logger: cfg.Logger}
	if err := km.load(ctx); err != nil {
		return nil, err
	}

	fcfg := &fosite.Config{
		AccessTokenLifespan:            cfg.AccessTokenTTL,
		RefreshTokenLifespan:           cfg.RefreshTokenTTL,
		AuthorizeCodeLifespan:          cfg.CodeTTL,
		GlobalSecret:                   secret,
		EnforcePKCE:                    true,
		EnablePKCEPlainChallengeMethod: false,
		RefreshTokenScopes:             []string{},
		AudienceMatchingStrategy:       fosite.ExactAudienceMatchingStrategy,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		ClientSecretsHasher:            store.SHA256Hasher{},
		AccessTokenIssuer:              id.issuer,
		IDTokenIssuer:                  id.issuer,
		TokenURL:                       id.issuer + "/token",
		SendDebugMessagesToClients:     cfg.Debug,
		// Redirect URIs are validated and matched by this package before
		// fosite sees them (see MatchRedirectURI).
		RedirectSecureChecker: func(context.Context, *url.URL) bool { return true },
	}
	var strategy oauth2.CoreStrategy = compose.NewOAuth2HMACStrategy(fcfg)
	strategy = &oauth2.DefaultJWTStrategy{Signer: kidSigner{km: km, decoded: newDecodeCache()}, HMACSHAStrategy: strategy, Config: fcfg}
	s := &Server{
		cfg:      cfg,
		id:       id,
		st:       cfg.Store,
		fcfg:     fcfg,
		strategy: strategy,
		keys:     km,
		now:      cfg.Now,
		log:      cfg.Logger,
		auth:     cfg.Authenticator,
		pending:  newPendingStore(cfg.PendingTTL, cfg.Now),
		grace:    newGraceCache(cfg.Now),
		auditor:  cfg.Audit,
	}
	s.cimd = newCIMDResolver(s, cfg.HTTPClient, cfg.cimdAllowLoopback)
	if cfg.RegistrationRate != rate.Inf {
		if s.regLimit, err = newIPLimiter(cfg.RegistrationRate, cfg.RegistrationBurst, cfg.Now); err != nil {
			return nil, err
		}
	}
	if s.limits, err = s.newEndpointLimits(); err != nil {
		return nil, err
	}
	provider := compose.Compose(fcfg, &fositeStorage{Store: cfg.Store, srv: s}, &compose.CommonStrategy{CoreStrategy: strategy},
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2PKCEFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
	)
	f, ok := provider.(*fosite.Fosite)
	if !ok {
		return nil, fmt.Errorf("oauthserver: compose returned %T", provider)
	}
	s.provider = f
	if s.auditor == nil {
		// Last: its writer goroutine must not outlive a failed New.
		s.auditor, s.ownAudit = NewAuditLog(cfg.Store, cfg.Logger), true
	}
	return s, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// Issuer returns the issuer (the public URL).
func (s *Server) Issuer() string { return s.id.issuer }

// JWKS returns the public signing keys currently published at /jwks.json
// (for an in-process resource server).
func (s *Server) JWKS() jose.JSONWebKeySet { return s.keys.jwks() }

// Resources returns the resource set: <public-url>/mcp and /sse, plus
// their loopback-alias spellings on a loopback bind.
func (s *Server) Resources() []string { return append([]string(nil), s.id.resources...) }

// Mount adds the authorization server's routes to r. The JSON endpoints
// (metadata, /jwks.json, /token, /revoke, /introspect, /register and
// /register/{client_id}) answer CORS with
// Access-Control-Allow-Origin "*" and no credentials (browser-based MCP
// clients call them), including preflights; /authorize is same-origin HTML
// with frame-ancestors 'none', X-Frame-Options DENY and no-store. POST
// /register (RegistrationRate) and /token, /revoke, /introspect and
// /register/{client_id} (TokenEndpointRate, each its own buckets) are
// limited per client IP with 429 and Retry-After; metadata and /jwks.json
// are not (see endpointLimits). The IP ACL is the router's business.
func (s *Server) Mount(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(corsJSON)
		for _, p := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/jwks.json", "/token", "/revoke", "/introspect"} {
			r.Options(p, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
		}
		r.Get("/.well-known/oauth-authorization-server", s.handleMetadata)
		r.Get("/.well-known/openid-configuration", s.handleMetadata)
		r.Get("/jwks.json", s.handleJWKS)
		r.Post("/token", s.limited(s.limits.token, s.handleToken))
		r.Post("/revoke", s.limited(s.limits.revoke, s.handleRevoke))
		r.Post("/introspect", s.limited(s.limits.introspect, s.handleIntrospect))
		s.mountRegistration(r)
	})
	r.Group(func(r chi.Router) {
		r.Use(htmlHeaders)
		r.Get("/authorize", s.handleAuthorize)
		r.Post("/authorize", s.handleAuthorize)
	})
}

// corsJSON allows cross-origin calls without credentials.
func corsJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
			h.Set("Access-Control-Max-Age", "600")
		}
		next.ServeHTTP(w, r)
	})
}

// htmlHeaders are the headers of every response of the browser-facing
// endpoints.
func htmlHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// FlushAudit waits until the audit events recorded so far are stored
// (when the Auditor batches its writes, as the default AuditLog does).
func (s *Server) FlushAudit(ctx context.Context) error {
	if f, ok := s.auditor.(interface{ Flush(context.Context) error }); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Close stores the pending audit events of the default AuditLog and stops
// its writer. Call it after the HTTP server stopped, before closing the
// store.
func (s *Server) Close() error {
	if c, ok := s.auditor.(interface{ Close() error }); ok && s.ownAudit {
		return c.Close()
	}
	return nil
}

// RotateKeys creates a new signing key and retires the current one; the
// retired key stays published at /jwks.json until every access token it
// signed has expired (AccessTokenTTL plus 5 minutes).
func (s *Server) RotateKeys(ctx context.Context) error { return s.keys.rotate(ctx) }

// RunKeyRotation reloads the keys every interval (picking up rotations by
// other processes) and rotates when the active key is older than
// KeyRotationPeriod, until ctx ends. Start it in its own goroutine.
func (s *Server) RunKeyRotation(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.keys.load(ctx); err != nil {
				s.log.Warn("oauthserver: signing-key maintenance failed", "err", err)
			}
		}
	}
}

// keyedMutex serialises work on one key (a refresh-token signature).
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns its unlock function.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyedEntry)
	}
	e := k.locks[key]
	if e == nil {
		e = &keyedEntry{}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

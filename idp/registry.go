package idp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"sync"
	"time"
)

// Options are what every provider gets from the server, beside its Config.
type Options struct {
	// HTTPClient is used for every call to the IdP (discovery, JWKS, token,
	// userinfo). Nil means a client with a 30 s timeout that follows only
	// same-host GET redirects. Its Transport must be an *http.Transport (or
	// nil) for [Config.RootCA] to apply.
	HTTPClient *http.Client
	// RedirectURI is our callback, <public-url>/auth/callback: the redirect
	// URI registered at every IdP. Required.
	RedirectURI string
	// LoopbackBind is true when the server listens on loopback only; the dev
	// IdP refuses to open otherwise.
	LoopbackBind bool
	// Logger receives the providers' logs (never secrets, codes or tokens);
	// nil discards them.
	Logger *slog.Logger
	// DiscoveryTimeout bounds OpenID discovery at Open; default 10 s.
	DiscoveryTimeout time.Duration
	// Now is the clock (ID token expiry, dev codes); nil means time.Now.
	Now func() time.Time
}

const (
	defaultDiscoveryTimeout = 10 * time.Second
	defaultHTTPTimeout      = 30 * time.Second
)

// withDefaults fills the defaults and checks the options every kind needs.
func (o Options) withDefaults() (Options, error) {
	if o.RedirectURI == "" {
		return o, errors.New("options: RedirectURI is required (<public-url>/auth/callback)")
	}
	u, err := url.Parse(o.RedirectURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return o, fmt.Errorf("options: RedirectURI %q is not an absolute http(s) URL", o.RedirectURI)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout, CheckRedirect: safeRedirects}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DiscoveryTimeout <= 0 {
		o.DiscoveryTimeout = defaultDiscoveryTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// safeRedirects lets GETs (discovery, JWKS, userinfo) follow redirects on
// the same host, and nothing else: a token request redirected with 307/308
// would carry our client secret to wherever it points.
func safeRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 || req.Method != http.MethodGet || req.URL.Host != via[0].URL.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

// Factory builds a provider of one kind from its entry. It validates the
// entry (built-in kinds call [Config.Validate]) and may use the network
// (OpenID discovery), bounded by ctx and [Options.DiscoveryTimeout]. Its
// errors name the IdP id.
type Factory func(ctx context.Context, c Config, opts Options) (Provider, error)

// Registry maps a kind ([Config.Type]) to its factory. Build one with
// [NewRegistry]; it is not safe to Register while another goroutine Opens.
type Registry struct {
	factories map[string]Factory
}

// NewRegistry returns a registry with the built-in kinds: "oidc", "dev"
// and the presets (entra, auth0, okta, google, keycloak, cognito, pingone).
func NewRegistry() *Registry {
	r := &Registry{factories: map[string]Factory{}}
	r.factories[TypeOIDC] = openOIDCType
	r.factories[TypeDev] = openDevType
	for _, t := range presetTypes() {
		r.factories[t] = openPreset
	}
	return r
}

// Register adds a kind. Registering an existing kind is an error.
func (r *Registry) Register(typ string, f Factory) error {
	if typ == "" || f == nil {
		return errors.New("idp: Register needs a type name and a factory")
	}
	if _, ok := r.factories[typ]; ok {
		return fmt.Errorf("idp: type %q is already registered", typ)
	}
	r.factories[typ] = f
	return nil
}

// Types lists the registered kinds, sorted.
func (r *Registry) Types() []string {
	return sortedKeys(r.factories)
}

// Open builds the provider for one entry.
func (r *Registry) Open(ctx context.Context, c Config, opts Options) (Provider, error) {
	f, ok := r.factories[c.Type]
	if !ok {
		return nil, &ConfigError{IdP: c.ID, Field: "type", Msg: fmt.Sprintf("unknown type %q (one of %v)", c.Type, r.Types())}
	}
	p, err := f(ctx, c, opts)
	if err != nil {
		return nil, err
	}
	if p.ID() != c.ID {
		return nil, fmt.Errorf("idp %q: factory for type %q returned a provider with id %q", c.ID, c.Type, p.ID())
	}
	return p, nil
}

// OpenAll validates the entries (built-in kinds with [Config.Validate],
// unique ids), then opens them concurrently. It returns every problem
// found, joined, or the set of providers in config order.
func (r *Registry) OpenAll(ctx context.Context, cs []Config, opts Options) (*Set, error) {
	var errs []error
	seen := map[string]int{}
	for i, c := range cs {
		if j, dup := seen[c.ID]; dup && c.ID != "" {
			errs = append(errs, &ConfigError{IdP: c.ID, Field: "id",
				Msg: fmt.Sprintf("duplicate id (entries %d and %d of idps)", j+1, i+1)})
		}
		seen[c.ID] = i
		if r.factories[c.Type] != nil && !slices.Contains(builtinTypes(), c.Type) {
			continue // a custom kind: its factory validates
		}
		if err := c.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	providers := make([]Provider, len(cs))
	openErrs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() { providers[i], openErrs[i] = r.Open(ctx, c, opts) })
	}
	wg.Wait()
	if err := errors.Join(openErrs...); err != nil {
		return nil, err
	}
	s := &Set{byID: make(map[string]int, len(cs)), providers: providers, configs: cs}
	for i, c := range cs {
		s.byID[c.ID] = i
	}
	return s, nil
}

// Set is the opened providers of a config, in config order. It is
// immutable, so safe for concurrent use; a reload builds a new Set.
type Set struct {
	providers []Provider
	configs   []Config
	byID      map[string]int
}

// List returns the providers in config order (for the IdP chooser).
func (s *Set) List() []Provider {
	return append([]Provider(nil), s.providers...)
}

// Get returns the provider with this id.
func (s *Set) Get(id string) (Provider, bool) {
	i, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	return s.providers[i], true
}

// Config returns the entry of the provider with this id (e.g. for its
// [Policy] when re-checking a user at refresh).
func (s *Set) Config(id string) (Config, bool) {
	i, ok := s.byID[id]
	if !ok {
		return Config{}, false
	}
	return s.configs[i], true
}

// Len is the number of providers.
func (s *Set) Len() int { return len(s.providers) }

// IDs returns the provider ids, sorted.
func (s *Set) IDs() []string {
	ids := make([]string, 0, len(s.byID))
	for id := range s.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

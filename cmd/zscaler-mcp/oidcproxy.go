package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/zscalermcp/zscaler-mcp/idp"
	"github.com/zscalermcp/zscaler-mcp/oauthserver"
	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/astoken"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
	"github.com/zscalermcp/zscaler-mcp/web"
)

// Background periods of the oidcproxy mode.
const (
	keyReloadInterval = time.Hour        // RunKeyRotation's tick
	storeGCInterval   = 10 * time.Minute // expired codes, tokens, grants
	clientGCInterval  = time.Hour        // unused dynamically registered clients
)

// oidcProxy is the running authorization server of the oidcproxy mode and
// what it needs to stop: its background loops and its store.
type oidcProxy struct {
	// Validator accepts the access tokens our AS issues.
	Validator *astoken.Validator
	// PRM advertises our AS in RFC 9728 metadata and 401 challenges.
	PRM *resource.PRM
	// Mount adds the AS, login and consent routes to the resource router.
	Mount func(r chi.Router)
	// Reload re-reads the config file and replaces the IdPs (reload.go);
	// nil without a config file, and then NoReload says why.
	Reload   func(ctx context.Context) (*reloadResult, error)
	NoReload string

	cancel context.CancelFunc
	wg     sync.WaitGroup
	store  *sqlite.Store
	as     *oauthserver.Server
}

// startOIDCProxy opens the store and the upstream IdPs, builds the
// authorization server with the login and consent pages, and starts the
// background loops (key rotation, garbage collection, revocation polling).
// Call Close when the server has stopped.
func startOIDCProxy(ctx context.Context, cfg *config, logger *slog.Logger) (_ *oidcProxy, err error) {
	if err := ensureDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	st, err := sqlite.OpenDir(ctx, cfg.DataDir, sqlite.Options{Logger: logger, AuditRetention: cfg.AuditRetention})
	if err != nil {
		return nil, fmt.Errorf("oidcproxy mode: open the store in %s: %w", cfg.DataDir, err)
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	idpOpts := idp.Options{
		RedirectURI:  cfg.PublicURL + "/auth/callback",
		LoopbackBind: cfg.LoopbackBind,
		Logger:       logger,
	}
	providers, err := idp.NewRegistry().OpenAll(ctx, cfg.IdPs, idpOpts)
	if err != nil {
		return nil, fmt.Errorf("oidcproxy mode: open the IdPs: %w", err)
	}
	pages, err := web.New()
	if err != nil {
		return nil, fmt.Errorf("oidcproxy mode: pages: %w", err)
	}
	login, err := oauthserver.NewLoginAuthenticator(oauthserver.LoginConfig{
		Providers: providers, Store: st, PublicURL: cfg.PublicURL, Pages: pages, Logger: logger,
	})
	if err != nil {
		return nil, fmt.Errorf("oidcproxy mode: login: %w", err)
	}
	as, err := oauthserver.New(ctx, oauthserver.Config{
		PublicURL:        cfg.PublicURL,
		LoopbackBind:     cfg.LoopbackBind,
		Store:            st,
		Authenticator:    login,
		RefreshPolicy:    login.RefreshPolicy,
		AccessTokenTTL:   cfg.OAuth.AccessTokenTTL,
		RefreshTokenTTL:  cfg.OAuth.RefreshTokenTTL,
		GrantMaxLifetime: cfg.OAuth.GrantMaxLifetime,
		Logger:           logger,

		TokenEndpointRate:  cfg.ASLimits.TokenRate,
		TokenEndpointBurst: cfg.ASLimits.TokenBurst,
		RegistrationRate:   cfg.ASLimits.RegistrationRate,
		RegistrationBurst:  cfg.ASLimits.RegistrationBurst,
	})
	if err != nil {
		return nil, fmt.Errorf("oidcproxy mode: authorization server: %w", err)
	}
	defer func() {
		if err != nil {
			as.Close() // stops its audit writer
		}
	}()
	v, err := astoken.New(astoken.Config{
		Issuer:      as.Issuer(),
		Resources:   as.Resources(),
		Keys:        astoken.ServerKeys(as),
		Revocations: st,
		Logger:      logger,
	})
	if err != nil {
		return nil, fmt.Errorf("oidcproxy mode: token validator: %w", err)
	}
	if err := v.Sync(ctx); err != nil {
		return nil, fmt.Errorf("oidcproxy mode: read the revocation log: %w", err)
	}

	issuer := as.Issuer()
	p := &oidcProxy{
		as:        as,
		Validator: v,
		// The issuer is the public URL, byte for byte as the AS metadata's
		// issuer; the PRM's resource follows the alias the client used.
		PRM: &resource.PRM{AuthorizationServers: func(*http.Request) []string { return []string{issuer} }},
		Mount: func(r chi.Router) {
			as.Mount(r)
			login.Mount(r, as)
		},
		store: st,
	}
	if cfg.src.path == "" {
		p.NoReload = "oidcproxy mode without a --config file (the IdP comes from the OIDCPROXY_* variables): restart to change it"
	} else {
		r := &idpReloader{start: cfg.src, getenv: cfg.getenv, idps: cfg.IdPs, opts: idpOpts,
			login: login, revoker: st, apply: v.Sync, logger: logger}
		p.Reload = r.Reload
		if hook := reloadHookFrom(ctx); hook != nil {
			hook(r.Reload)
		}
	}
	bg, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	p.goRun(func() { v.Run(bg) })
	p.goRun(func() { as.RunKeyRotation(bg, keyReloadInterval) })
	p.goRun(func() { st.RunGC(bg, storeGCInterval) })
	p.goRun(func() { runClientGC(bg, as, logger) })
	return p, nil
}

func (p *oidcProxy) goRun(f func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
}

// Close stops the background loops and closes the store.
func (p *oidcProxy) Close() error {
	p.cancel()
	p.wg.Wait()
	var errs []error
	if err := p.as.Close(); err != nil {
		errs = append(errs, fmt.Errorf("flush the audit log: %w", err))
	}
	if err := p.store.Close(); err != nil { // even when the flush failed
		errs = append(errs, fmt.Errorf("close the store: %w", err))
	}
	return errors.Join(errs...)
}

// runClientGC deletes unused dynamically registered clients every
// clientGCInterval until ctx ends.
func runClientGC(ctx context.Context, as *oauthserver.Server, logger *slog.Logger) {
	t := time.NewTicker(clientGCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ids, err := as.GCClients(ctx)
			switch {
			case err != nil && !errors.Is(err, context.Canceled):
				logger.Warn("oidcproxy: client GC failed", "err", err)
			case len(ids) > 0:
				logger.Info("oidcproxy: deleted unused clients", "count", len(ids))
			}
		}
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// authSetup is what buildAuth assembles for the resource server.
type authSetup struct {
	Options auth.Options
	Metrics *resource.Metrics
	// PRM is the RFC 9728 metadata, where an OAuth flow can succeed.
	PRM *resource.PRM
	// Mount adds the authorization server's routes (oidcproxy mode).
	Mount func(r chi.Router)
	// Close releases what the mode holds (oidcproxy: its store and loops).
	Close func() error
	// Started, if set, is told the resource server once it exists
	// (oidcproxy: revocations close the streams of what they revoke).
	Started func(srv *resource.Server)
	// Reload, if set, reloads what can change at run time (oidcproxy with
	// a config file: the IdPs) on SIGHUP; otherwise NoReload says why
	// there is nothing to reload.
	Reload   func(ctx context.Context) error
	NoReload string
}

// buildAuth constructs the validators of cfg.Mode, the metrics they report
// to, the RFC 9728 metadata where an OAuth flow can succeed and, in
// oidcproxy mode, the authorization server.
func buildAuth(ctx context.Context, cfg *config, logger *slog.Logger, stderr io.Writer) (*authSetup, error) {
	s := &authSetup{
		Options:  auth.Options{Logger: logger},
		Metrics:  resource.NewMetrics(),
		Close:    func() error { return nil },
		NoReload: fmt.Sprintf("auth mode %s has no run-time reloadable configuration (only the idps: of oidcproxy mode reload): restart to apply changes", cfg.Mode),
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = nil // validators default to both scopes
	}
	switch cfg.Mode {
	case auth.ModeNone:
		s.Options.AllowNone = true
	case auth.ModeAPIKey:
		keys := cfg.APIKeys
		if len(keys) == 0 {
			k, created, err := loadOrCreateAPIKey(cfg.DataDir)
			if err != nil {
				return nil, err
			}
			if created {
				// Printed once, to stderr (stdout may carry JSON-RPC).
				fmt.Fprintf(stderr, "Generated API key (stored in %s, shown only once):\n%s\n", cfg.DataDir, k)
			}
			keys = []string{k}
		}
		v, err := auth.NewAPIKeyValidator(keys, scopes)
		if err != nil {
			return nil, fmt.Errorf("ZSCALER_MCP_AUTH_API_KEY: %w", err)
		}
		s.Options.Validators = append(s.Options.Validators, v)
	case auth.ModeJWT, auth.ModeOIDC, auth.ModeZscaler:
		v, as, err := buildTokenValidator(ctx, cfg, cfg.Mode, scopes, s.Metrics, logger)
		if err != nil {
			return nil, err
		}
		s.Options.Validators = append(s.Options.Validators, v)
		if cfg.Mode == auth.ModeZscaler {
			s.Options.Challenge.Basic = true
		}
		if as != "" {
			s.PRM = &resource.PRM{AuthorizationServers: func(*http.Request) []string { return []string{as} }}
		}
	case auth.ModeOIDCProxy:
		p, err := startOIDCProxy(ctx, cfg, logger)
		if err != nil {
			return nil, err
		}
		s.Close, s.PRM, s.Mount = p.Close, p.PRM, p.Mount
		if p.Reload != nil {
			s.Reload = func(ctx context.Context) error { _, err := p.Reload(ctx); return err }
		} else {
			s.NoReload = p.NoReload
		}
		s.Options.Validators = append(s.Options.Validators, p.Validator)
		s.Started = func(srv *resource.Server) {
			p.Validator.OnRevoke(func(kind, value string) { srv.CloseStreamsOf(kind, value) })
		}
		s.Metrics.RegisterCache("oidcproxy_tokens", func() (uint64, uint64) {
			st := p.Validator.Stats()
			return st.CacheHits, st.CacheMisses
		})
		// The static validators configured beside stay accepted as
		// fallbacks (DESIGN.md §3), after ours.
		if len(cfg.APIKeys) > 0 {
			v, err := auth.NewAPIKeyValidator(cfg.APIKeys, scopes)
			if err != nil {
				_ = p.Close()
				return nil, fmt.Errorf("ZSCALER_MCP_AUTH_API_KEY: %w", err)
			}
			s.Options.Validators = append(s.Options.Validators, v)
		}
		if cfg.JWKSURI != "" {
			v, _, err := buildTokenValidator(ctx, cfg, auth.ModeJWT, scopes, s.Metrics, logger)
			if err != nil {
				_ = p.Close()
				return nil, err
			}
			s.Options.Validators = append(s.Options.Validators, v)
		}
		// zscaler only when ZSCALER_MCP_AUTH_FALLBACKS names it. The 401
		// challenge stays Bearer with resource_metadata (Challenge.Basic
		// is not set): a browser flow is what a new client should do.
		if cfg.hasFallback(auth.ModeZscaler) {
			v, _, err := buildTokenValidator(ctx, cfg, auth.ModeZscaler, scopes, s.Metrics, logger)
			if err != nil {
				_ = p.Close()
				return nil, err
			}
			s.Options.Validators = append(s.Options.Validators, v)
		}
	default:
		return nil, fmt.Errorf("auth mode %q is not available", cfg.Mode)
	}
	return s, nil
}

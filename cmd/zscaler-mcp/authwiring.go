package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// buildAuth constructs the validators of cfg.Mode, the metrics they report
// to, and the RFC 9728 metadata where an OAuth flow can succeed.
func buildAuth(ctx context.Context, cfg *config, logger *slog.Logger, stderr io.Writer) (auth.Options, *resource.Metrics, *resource.PRM, error) {
	metrics := resource.NewMetrics()
	opts := auth.Options{Logger: logger}
	var prm *resource.PRM
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = nil // validators default to both scopes
	}
	switch cfg.Mode {
	case auth.ModeNone:
		opts.AllowNone = true
	case auth.ModeAPIKey:
		keys := cfg.APIKeys
		if len(keys) == 0 {
			k, created, err := loadOrCreateAPIKey(cfg.DataDir)
			if err != nil {
				return opts, nil, nil, err
			}
			if created {
				// Printed once, to stderr (stdout may carry JSON-RPC).
				fmt.Fprintf(stderr, "Generated API key (stored in %s, shown only once):\n%s\n", cfg.DataDir, k)
			}
			keys = []string{k}
		}
		v, err := auth.NewAPIKeyValidator(keys, scopes)
		if err != nil {
			return opts, nil, nil, fmt.Errorf("ZSCALER_MCP_AUTH_API_KEY: %w", err)
		}
		opts.Validators = append(opts.Validators, v)
	case auth.ModeJWT, auth.ModeOIDC, auth.ModeZscaler:
		v, as, err := buildTokenValidator(ctx, cfg, scopes, metrics, logger)
		if err != nil {
			return opts, nil, nil, err
		}
		opts.Validators = append(opts.Validators, v)
		if cfg.Mode == auth.ModeZscaler {
			opts.Challenge.Basic = true
		}
		if as != "" {
			prm = &resource.PRM{AuthorizationServers: func(*http.Request) []string { return []string{as} }}
		}
	default:
		return opts, nil, nil, fmt.Errorf("auth mode %q is not available", cfg.Mode)
	}
	return opts, metrics, prm, nil
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/jwtauth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/zscalerauth"
)

// buildTokenValidator builds the jwt, oidc or zscaler validator (mode), registers
// its cache counters, and returns the authorization server to advertise in
// RFC 9728 metadata ("" when no OAuth flow can succeed in this mode).
func buildTokenValidator(ctx context.Context, cfg *config, mode string, scopes []string, m *resource.Metrics, logger *slog.Logger) (auth.Validator, string, error) {
	httpc := &http.Client{Timeout: 10 * time.Second}
	switch mode {
	case auth.ModeJWT:
		v, err := jwtauth.New(jwtauth.Config{Mode: auth.ModeJWT, JWKSURI: cfg.JWKSURI, HTTPClient: httpc,
			Issuers: cfg.Issuers, Audiences: cfg.Audiences, Scopes: scopes})
		if err != nil {
			return nil, "", fmt.Errorf("jwt mode (ZSCALER_MCP_AUTH_JWKS_URI): %w", err)
		}
		registerJWTStats(m, "jwt", v)
		return v, "", nil
	case auth.ModeOIDC:
		dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		issuer, jwks, err := jwtauth.Discover(dctx, httpc, cfg.OIDC.ConfigURL)
		if err != nil {
			return nil, "", fmt.Errorf("oidc mode: discovery at OIDCPROXY_CONFIG_URL failed: %w", err)
		}
		v, err := jwtauth.New(jwtauth.Config{Mode: auth.ModeOIDC, JWKSURI: jwks, HTTPClient: httpc,
			Issuers: []string{issuer}, Audiences: []string{cfg.OIDC.Audience}, Scopes: scopes})
		if err != nil {
			return nil, "", fmt.Errorf("oidc mode: %w", err)
		}
		registerJWTStats(m, "oidc", v)
		logger.Info("oidc mode: upstream IdP discovered", "issuer", issuer, "jwks_uri", jwks, "audience", cfg.OIDC.Audience)
		return v, issuer, nil
	case auth.ModeZscaler:
		tokenURL, err := zscalerauth.TokenURL(cfg.ZscalerVanity, cfg.ZscalerCloud, cfg.ZscalerTokenURL)
		if err != nil {
			return nil, "", fmt.Errorf("zscaler mode: %w", err)
		}
		v, err := zscalerauth.New(zscalerauth.Config{TokenURL: tokenURL, Scopes: scopes, Logger: logger})
		if err != nil {
			return nil, "", fmt.Errorf("zscaler mode: %w", err)
		}
		m.RegisterCache("zscaler_credentials", func() (uint64, uint64) {
			s := v.Stats()
			return s.CacheHits + s.NegativeHits, s.CacheMisses
		})
		return v, "", nil
	}
	return nil, "", fmt.Errorf("no token validator for mode %q", mode)
}

func registerJWTStats(m *resource.Metrics, name string, v *jwtauth.Validator) {
	m.RegisterCache(name+"_tokens", func() (uint64, uint64) {
		s := v.Stats()
		return s.CacheHits, s.CacheMisses
	})
}

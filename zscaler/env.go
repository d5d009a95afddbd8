package zscaler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by [ConfigFromEnv].
const (
	EnvClientID     = "ZSCALER_CLIENT_ID"
	EnvClientSecret = "ZSCALER_CLIENT_SECRET"
	EnvPrivateKey   = "ZSCALER_PRIVATE_KEY"
	EnvVanityDomain = "ZSCALER_VANITY_DOMAIN"
	EnvCloud        = "ZSCALER_CLOUD"
	EnvCustomerID   = "ZSCALER_CUSTOMER_ID"
	EnvTokenURL     = "ZSCALER_TOKEN_URL"
	EnvAPIBaseURL   = "ZSCALER_API_BASE_URL"
	EnvTimeout      = "ZSCALER_MCP_API_TIMEOUT"
	EnvMaxAttempts  = "ZSCALER_MCP_API_MAX_ATTEMPTS"
	EnvRateLimits   = "ZSCALER_MCP_API_RATE_LIMITS"
)

// EnvVars lists every environment variable [ConfigFromEnv] reads, for
// documentation and settings tables.
var EnvVars = []string{
	EnvClientID, EnvClientSecret, EnvPrivateKey, EnvVanityDomain, EnvCloud,
	EnvCustomerID, EnvTokenURL, EnvAPIBaseURL, EnvTimeout, EnvMaxAttempts, EnvRateLimits,
}

// ErrNotConfigured is returned by [ConfigFromEnv] when no OneAPI credential
// is set at all (no ZSCALER_CLIENT_ID, secret or private key): the server
// can then run without Zscaler tools.
var ErrNotConfigured = errors.New("zscaler: no OneAPI credentials: set ZSCALER_CLIENT_ID and ZSCALER_CLIENT_SECRET (or ZSCALER_PRIVATE_KEY), and ZSCALER_VANITY_DOMAIN")

// ConfigFromEnv builds a Config from environment variables read with getenv
// (os.Getenv, or a map lookup in tests) and validates it. Errors name the
// variable to fix and never contain a secret.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	cfg := Config{
		ClientID:     get(EnvClientID),
		ClientSecret: get(EnvClientSecret),
		PrivateKey:   get(EnvPrivateKey),
		VanityDomain: get(EnvVanityDomain),
		Cloud:        get(EnvCloud),
		CustomerID:   get(EnvCustomerID),
		TokenURL:     get(EnvTokenURL),
		BaseURL:      get(EnvAPIBaseURL),
	}
	if cfg.ClientID == "" && cfg.ClientSecret == "" && cfg.PrivateKey == "" {
		return Config{}, ErrNotConfigured
	}
	if v := get(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("zscaler: %s %q is not a positive duration such as 30s", EnvTimeout, v)
		}
		cfg.Timeout = d
	}
	if v := get(EnvMaxAttempts); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			return Config{}, fmt.Errorf("zscaler: %s %q is not a whole number from 1 to 10", EnvMaxAttempts, v)
		}
		cfg.MaxAttempts = n
	}
	if v := get(EnvRateLimits); v != "" {
		rl, err := ParseRateLimits(v)
		if err != nil {
			return Config{}, fmt.Errorf("zscaler: %s: %w", EnvRateLimits, err)
		}
		cfg.RateLimits = rl
	}
	if cfg.CustomerID != "" {
		if _, err := strconv.ParseUint(cfg.CustomerID, 10, 64); err != nil {
			return Config{}, fmt.Errorf("zscaler: %s %q is not a numeric ZPA customer id", EnvCustomerID, cfg.CustomerID)
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

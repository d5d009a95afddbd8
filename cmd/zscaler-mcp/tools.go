package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/zscaler"
	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
)

// toolsConfig is what decides which Zscaler tools the server registers and
// how they are gated.
type toolsConfig struct {
	// Catalogue is every tool the binary has (tools.All()).
	Catalogue []tools.Spec
	Selection tools.Selection
	// ListTools prints the selected catalogue and exits.
	ListTools bool
	// NoEntitlementFilter turns off hiding tools by service-info, both for
	// the server's credential and per caller.
	NoEntitlementFilter bool
	ConfirmationTTL     time.Duration
	// OneAPI is the server's own Zscaler credential and client settings;
	// HasOneAPI is false when no credential is configured at all (no
	// Zscaler tools).
	OneAPI    zscaler.Config
	HasOneAPI bool
}

// parseOneAPI reads the OneAPI client settings with zscaler.ConfigFromEnv,
// each variable resolved like every other setting (flag > env > config
// file) where the settings table has it, else from the environment. No
// credential at all is not an error (the server runs with whoami only); a
// partial or invalid one is, naming the variable.
func parseOneAPI(v values, getenv func(string) string) (zscaler.Config, bool, error) {
	byEnv := map[string]string{}
	for _, s := range settings {
		for _, e := range s.env {
			byEnv[e] = s.key()
		}
	}
	cfg, err := zscaler.ConfigFromEnv(func(name string) string {
		if k, ok := byEnv[name]; ok {
			return v.get(k)
		}
		return getenv(name)
	})
	if errors.Is(err, zscaler.ErrNotConfigured) {
		return zscaler.Config{}, false, nil
	}
	if err != nil {
		return zscaler.Config{}, false, err
	}
	return cfg, true, nil
}

// parseTools reads the tool settings of v and checks the selection against
// catalogue, naming the setting and listing the valid values on error.
func parseTools(v values, catalogue []tools.Spec) (toolsConfig, error) {
	tc := toolsConfig{
		Catalogue: catalogue,
		Selection: tools.Selection{
			Services:         v.list("services"),
			DisabledServices: v.list("disabled-services"),
			Toolsets:         v.list("toolsets"),
			DisabledToolsets: v.list("disabled-toolsets"),
			DisabledTools:    v.list("disabled-tools"),
			WritePatterns:    v.list("write-tools"),
		},
	}
	var err error
	if tc.ListTools, err = v.bool("list-tools"); err != nil {
		return tc, err
	}
	if tc.Selection.EnableWrite, err = v.bool("enable-write-tools"); err != nil {
		return tc, err
	}
	if tc.NoEntitlementFilter, err = v.bool("no-entitlement-filter"); err != nil {
		return tc, err
	}
	if tc.ConfirmationTTL, err = time.ParseDuration(v.get("confirmation-ttl")); err != nil || tc.ConfirmationTTL < time.Second {
		return tc, fmt.Errorf("%s: %q is not a duration of at least 1s (e.g. 5m)", v.describe("confirmation-ttl"), v.get("confirmation-ttl"))
	}
	if err := tc.Selection.Validate(catalogue); err != nil {
		var se *tools.SelectionError
		if errors.As(err, &se) {
			return tc, fmt.Errorf("%s: %w", v.describe(se.Setting), err)
		}
		return tc, err
	}
	return tc, nil
}

// toolSetup is the registry the server exposes and its per-caller filter.
type toolSetup struct {
	Registry *resource.Registry
	// Visible and HiddenReason are the per-caller entitlement filter (nil
	// when off).
	Visible      resource.VisibleFunc
	HiddenReason func(*auth.Identity, resource.Tool) string
}

// buildTools registers whoami and the selected Zscaler tools: write tools
// only through the write gate, delete tools behind confirmations, tools of
// services the server's own credential is not entitled to hidden. It logs
// one line for each decision a user may wonder about.
func buildTools(ctx context.Context, tc toolsConfig, logger *slog.Logger) (*toolSetup, error) {
	reg := resource.NewRegistry()
	if err := reg.Add(resource.WhoamiTool()); err != nil {
		return nil, err
	}
	ts := &toolSetup{Registry: reg}
	if !tc.HasOneAPI {
		logger.Info("no Zscaler tools: ZSCALER_CLIENT_ID is not set (set it with ZSCALER_CLIENT_SECRET or ZSCALER_PRIVATE_KEY, and ZSCALER_VANITY_DOMAIN or ZSCALER_TOKEN_URL); only whoami is on")
		return ts, nil
	}
	tc.OneAPI.Logger = logger
	client, err := zscaler.New(ctx, tc.OneAPI)
	if err != nil {
		return nil, fmt.Errorf("zscaler tools: %w", err)
	}
	specs, warnings := tc.Selection.Apply(tc.Catalogue)
	for _, w := range warnings {
		logger.Warn("write tools: " + w)
	}
	if !tc.NoEntitlementFilter {
		specs = filterByServerEntitlements(ctx, client, specs, logger)
	}
	confirmer, err := tools.NewConfirmer(tc.ConfirmationTTL)
	if err != nil {
		return nil, err
	}
	for _, t := range tools.Build(tools.WithConfirmationParam(specs), client, confirmer.Middleware) {
		if err := reg.Add(t); err != nil {
			return nil, err
		}
	}
	if !tc.NoEntitlementFilter {
		f := &tools.CallerFilter{Logger: logger}
		ts.Visible, ts.HiddenReason = f.Visible, f.Reason
	}
	return ts, nil
}

// filterByServerEntitlements hides the tools of services the server's own
// OneAPI credential is not entitled to (its token's service-info claim),
// in one log line. Without the claim, or when the token cannot be read,
// nothing is hidden (the API still refuses what the credential may not do).
func filterByServerEntitlements(ctx context.Context, c *zscaler.Client, specs []tools.Spec, logger *slog.Logger) []tools.Spec {
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	e, err := c.Entitlements(cctx)
	if err != nil {
		logger.Warn("entitlement filter: cannot read the service-info of the server's OneAPI token; no tools hidden", "err", err)
		return specs
	}
	if !e.Present {
		logger.Info("entitlement filter: the server's OneAPI token has no service-info claim; no tools hidden")
		return specs
	}
	kept, hidden := tools.FilterEntitled(specs, e)
	attrs := []any{"entitled", strings.Join(e.Services, ","), "hidden_services", strings.Join(hidden, ","), "hidden_tools", len(specs) - len(kept)}
	if len(e.Unknown) > 0 {
		attrs = append(attrs, "unknown_products", strings.Join(e.Unknown, ","), "unknown_note", "unknown products hide no tools")
	}
	if len(hidden) > 0 {
		logger.Info("entitlement filter: hid the tools of services the server's OneAPI credential is not entitled to (not in its token's service-info claim)", attrs...)
	} else {
		logger.Info("entitlement filter: the server's OneAPI credential is entitled to every selected service", attrs...)
	}
	return kept
}

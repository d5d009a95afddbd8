package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/zscalermcp/zscaler-mcp/idp"
	"github.com/zscalermcp/zscaler-mcp/oauthserver"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/store"
)

// reloadOpenTimeout bounds opening the new IdPs (OpenID discovery) at a
// reload.
const reloadOpenTimeout = 30 * time.Second

// reloadResult is what an accepted reload changed.
type reloadResult struct {
	// Added, Changed and Removed are IdP ids, in config order (Removed in
	// the previous config's order); Unchanged counts the others.
	Added, Changed, Removed []string
	Unchanged               int
	// RevokedGrants is how many grants of removed IdPs' users were revoked.
	RevokedGrants int
	// NeedRestart names the other settings and sections that changed in
	// the file but only apply at start-up.
	NeedRestart []string
}

// idpReloader re-reads the configuration of a running oidcproxy server and
// replaces its IdPs: on SIGHUP, or when called directly. Only the `idps:`
// list (with each IdP's access policy) is reloaded; other changed settings
// are reported as needing a restart. A new configuration that does not
// parse, does not validate, or names an IdP that fails to open is rejected
// as a whole, and the running IdPs keep serving.
type idpReloader struct {
	mu      sync.Mutex // one reload at a time
	start   values     // the settings the server started with
	getenv  func(string) string
	idps    []idp.Config // the IdPs now serving
	opts    idp.Options  // how they are opened (redirect URI, bind, logger)
	login   *oauthserver.LoginAuthenticator
	revoker store.SubjectPrefixRevoker
	// apply makes the resource side read the revocation log now (the
	// token validator's Sync) instead of at its next poll; nil skips it.
	apply  func(context.Context) error
	logger *slog.Logger
}

// Reload re-reads the configuration and, if it is valid and every IdP in
// it opens, swaps the IdP set, revokes the grants of the users of removed
// IdPs and logs a summary. A rejected configuration is logged with the
// reason and returned as the error; nothing changes.
func (r *idpReloader) Reload(ctx context.Context) (*reloadResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, set, next, err := r.prepare(ctx)
	if err != nil {
		r.logger.Error("config reload rejected; the previous IdP configuration keeps serving", "file", r.start.path, "err", err)
		return nil, err
	}
	if err := r.login.SetProviders(set); err != nil {
		r.logger.Error("config reload rejected; the previous IdP configuration keeps serving", "file", r.start.path, "err", err)
		return nil, fmt.Errorf("swap the IdPs: %w", err)
	}
	r.idps = next
	r.revokeRemoved(ctx, res)
	r.logger.Info("config reloaded", "file", r.start.path,
		"added", strings.Join(res.Added, ","), "changed", strings.Join(res.Changed, ","),
		"removed", strings.Join(res.Removed, ","), "unchanged", res.Unchanged, "revoked_grants", res.RevokedGrants)
	if len(res.NeedRestart) > 0 {
		r.logger.Warn("config reload: these changed settings apply only after a restart", "file", r.start.path,
			"settings", strings.Join(res.NeedRestart, ","))
	}
	return res, nil
}

// prepare reads, validates and opens the new configuration without
// changing anything.
func (r *idpReloader) prepare(ctx context.Context) (*reloadResult, *idp.Set, []idp.Config, error) {
	v, err := parseSettings(r.start.args, r.getenv, io.Discard)
	if err != nil {
		return nil, nil, nil, err
	}
	if v.path != r.start.path {
		return nil, nil, nil, fmt.Errorf("the config file would change from %q to %q: that needs a restart", r.start.path, v.path)
	}
	c, err := buildConfig(v, r.getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.Mode != auth.ModeOIDCProxy {
		return nil, nil, nil, fmt.Errorf("the auth mode would change to %s (%s): that needs a restart", c.Mode, c.ModeReason)
	}
	octx, cancel := context.WithTimeout(ctx, reloadOpenTimeout)
	defer cancel()
	set, err := idp.NewRegistry().OpenAll(octx, c.IdPs, r.opts)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: open the IdPs: %w", v.path, err)
	}
	res := diffIdPs(r.idps, c.IdPs)
	res.NeedRestart = restartOnlyChanges(r.start, v)
	return res, set, c.IdPs, nil
}

// revokeRemoved revokes every grant of the removed IdPs' users and makes
// the resource side refuse their tokens (and close their streams) now.
func (r *idpReloader) revokeRemoved(ctx context.Context, res *reloadResult) {
	for _, id := range res.Removed {
		ids, err := r.revoker.RevokeGrantsBySubjectPrefix(ctx, userIDPrefix(id))
		if err != nil {
			// Their refreshes are refused anyway (the IdP is gone); their
			// access tokens stay valid until they expire.
			r.logger.Error("config reload: could not revoke the grants of a removed IdP", "idp", id, "err", err)
			continue
		}
		res.RevokedGrants += len(ids)
		auditIdPRemoved(ctx, r.revoker, r.logger, id, ids)
	}
	if res.RevokedGrants > 0 && r.apply != nil {
		if err := r.apply(ctx); err != nil {
			r.logger.Warn("config reload: revocations apply at the next poll", "err", err)
		}
	}
}

// userIDPrefix is the start of every user id of IdP id ("<id>|").
func userIDPrefix(id string) string {
	return strings.TrimSuffix(idp.Identity{ProviderID: id, Subject: "-"}.UserID(), "-")
}

// diffIdPs compares two IdP lists by id.
func diffIdPs(old, next []idp.Config) *reloadResult {
	res := &reloadResult{}
	byID := make(map[string]idp.Config, len(old))
	for _, c := range old {
		byID[c.ID] = c
	}
	seen := make(map[string]bool, len(next))
	for _, c := range next {
		seen[c.ID] = true
		prev, ok := byID[c.ID]
		switch {
		case !ok:
			res.Added = append(res.Added, c.ID)
		case !reflect.DeepEqual(prev, c):
			res.Changed = append(res.Changed, c.ID)
		default:
			res.Unchanged++
		}
	}
	for _, c := range old {
		if !seen[c.ID] {
			res.Removed = append(res.Removed, c.ID)
		}
	}
	return res
}

// restartOnlyChanges names the settings (by config-file key, else flag)
// and sections whose value differs between the start-up settings and the
// re-read ones: everything but `idps:` applies only at start-up. Values
// are never included (they may be secrets).
func restartOnlyChanges(old, next values) []string {
	var out []string
	for _, s := range settings {
		k := s.key()
		if k == "config" || s.bool || old.v[k] == next.v[k] {
			continue
		}
		name := s.yaml
		if name == "" {
			name = "--" + k
		}
		out = append(out, name)
	}
	for _, sec := range []string{"oauth", "tools"} { // sections read only at start-up
		if !reflect.DeepEqual(lookupYAML(old.file, sec), lookupYAML(next.file, sec)) {
			out = append(out, sec)
		}
	}
	return out
}

// reloadHookKey carries, in a context given to serve, a function that is
// handed the running server's reload function (tests reload without a
// signal through it).
type reloadHookKey struct{}

// withReloadHook returns ctx carrying hook (see reloadHookKey).
func withReloadHook(ctx context.Context, hook func(reload func(context.Context) (*reloadResult, error))) context.Context {
	return context.WithValue(ctx, reloadHookKey{}, hook)
}

func reloadHookFrom(ctx context.Context) func(reload func(context.Context) (*reloadResult, error)) {
	h, _ := ctx.Value(reloadHookKey{}).(func(reload func(context.Context) (*reloadResult, error)))
	return h
}

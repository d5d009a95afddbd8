package tools

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"weak"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// FilterEntitled keeps the specs of services e entitles and returns the
// services it hid, sorted. Without a service-info claim (e.Present false)
// nothing is hidden. Unknown product codes (e.Unknown) never hide anything:
// only the known services a credential lacks are hidden.
func FilterEntitled(specs []Spec, e zscaler.Entitlements) (kept []Spec, hidden []string) {
	if !e.Present {
		return specs, nil
	}
	for _, s := range specs {
		if e.Allows(s.Service) {
			kept = append(kept, s)
			continue
		}
		if !slices.Contains(hidden, s.Service) {
			hidden = append(hidden, s.Service)
		}
	}
	slices.Sort(hidden)
	return kept, hidden
}

// CallerFilter is the per-caller entitlement filter of the zscaler
// client-auth mode: a caller authenticated with its own OneAPI credential
// sees, and may call, only the tools of services that credential's
// service-info claim lists. Callers of other modes, built-in tools
// (Service "") and credentials without a service-info claim are not
// filtered.
//
// The claim is parsed once per identity: the zscaler validator hands the
// same read-only *auth.Identity to every request of a credential, so the
// parsed entitlements are memoised by that pointer (weakly, dropped when
// the validator lets the identity go). The zero value is ready to use.
type CallerFilter struct {
	// Logger, if set, is told once per identity about product codes in
	// its service-info that we do not know (they hide nothing).
	Logger *slog.Logger

	m sync.Map // weak.Pointer[auth.Identity] → *zscaler.Entitlements
}

// Visible is the resource.VisibleFunc.
func (f *CallerFilter) Visible(_ context.Context, id *auth.Identity, t resource.Tool) bool {
	if t.Service == "" || id == nil || id.Mode != auth.ModeZscaler {
		return true
	}
	e := f.entitlements(id)
	return !e.Present || e.Allows(t.Service)
}

// Reason explains to a caller why t is hidden from it.
func (f *CallerFilter) Reason(_ *auth.Identity, t resource.Tool) string {
	return fmt.Sprintf("it is a %s tool, and your Zscaler credential is not entitled to %s (the service-info claim of its OneAPI token does not list it)", t.Service, strings.ToUpper(t.Service))
}

func (f *CallerFilter) entitlements(id *auth.Identity) *zscaler.Entitlements {
	k := weak.Make(id)
	if v, ok := f.m.Load(k); ok {
		return v.(*zscaler.Entitlements)
	}
	e := zscaler.ParseEntitlements(id.Claims)
	if v, loaded := f.m.LoadOrStore(k, &e); loaded {
		return v.(*zscaler.Entitlements)
	}
	runtime.AddCleanup(id, func(k weak.Pointer[auth.Identity]) { f.m.Delete(k) }, k)
	if len(e.Unknown) > 0 && f.Logger != nil {
		f.Logger.Info("entitlement filter: a caller's service-info names products we do not know; they hide no tools",
			"client_id", id.ClientID, "unknown_products", strings.Join(e.Unknown, ","), "entitled", strings.Join(e.Services, ","))
	}
	return &e
}

// cached is the number of identities whose entitlements are memoised (for tests).
func (f *CallerFilter) cached() int {
	n := 0
	f.m.Range(func(any, any) bool { n++; return true })
	return n
}

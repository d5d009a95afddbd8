package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// clientView is a client as the admin commands print it (no secret hashes).
type clientView struct {
	ID           string     `json:"client_id"`
	Name         string     `json:"name"`
	Origin       string     `json:"origin"`
	RedirectURIs []string   `json:"redirect_uris"`
	AuthMethod   string     `json:"token_endpoint_auth_method"`
	Scopes       []string   `json:"scopes"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	LiveGrants   int        `json:"live_grants"`
}

// grantView is a grant as the admin commands print it.
type grantView struct {
	ID        string     `json:"grant_id"`
	Subject   string     `json:"subject"`
	ClientID  string     `json:"client_id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func viewClient(c *store.Client, grants int) clientView {
	v := clientView{ID: c.ID, Name: c.Name, Origin: string(c.Origin), RedirectURIs: c.RedirectURIs,
		AuthMethod: c.TokenEndpointAuthMethod, Scopes: c.Scopes, CreatedAt: c.CreatedAt.UTC(), LiveGrants: grants}
	if v.RedirectURIs == nil {
		v.RedirectURIs = []string{}
	}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	if !c.LastUsedAt.IsZero() {
		t := c.LastUsedAt.UTC()
		v.LastUsedAt = &t
	}
	return v
}

func viewGrant(g *store.Grant) grantView {
	v := grantView{ID: g.ID, Subject: g.Subject, ClientID: g.ClientID, CreatedAt: g.CreatedAt.UTC()}
	if !g.ExpiresAt.IsZero() {
		t := g.ExpiresAt.UTC()
		v.ExpiresAt = &t
	}
	return v
}

// liveGrants returns the grants matching f that have not reached their
// absolute expiry (GC removes those later).
func liveGrants(ctx context.Context, st store.Grants, f store.GrantFilter) ([]*store.Grant, error) {
	all, err := st.ListGrants(ctx, f)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	live := all[:0]
	for _, g := range all {
		if g.ExpiresAt.IsZero() || now.Before(g.ExpiresAt) {
			live = append(live, g)
		}
	}
	return live, nil
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func fmtTimePtr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return fmtTime(*t)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func clientsList(ctx context.Context, env adminEnv, args []string) int {
	a := newAdminFlags("clients list", "clients list [--json] [--data-dir DIR | --config FILE]", env.stderr)
	return runAdmin(ctx, env, a, args, 0, func(st *sqlite.Store, _ values, _ []string) error {
		clients, err := st.ListClients(ctx)
		if err != nil {
			return err
		}
		grants, err := liveGrants(ctx, st, store.GrantFilter{})
		if err != nil {
			return err
		}
		count := map[string]int{}
		for _, g := range grants {
			count[g.ClientID]++
		}
		views := make([]clientView, 0, len(clients))
		for _, c := range clients {
			views = append(views, viewClient(c, count[c.ID]))
		}
		if a.json {
			return writeJSON(env.stdout, views)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT ID\tNAME\tORIGIN\tREDIRECT URIS\tCREATED\tLAST USED\tGRANTS")
		for _, v := range views {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", v.ID, orDash(oneLine(v.Name)), v.Origin,
				strings.Join(v.RedirectURIs, ","), fmtTime(v.CreatedAt), fmtTimePtr(v.LastUsedAt, "never"), v.LiveGrants)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%d client(s)\n", len(views))
		return nil
	})
}

func clientsShow(ctx context.Context, env adminEnv, args []string) int {
	a := newAdminFlags("clients show", "clients show CLIENT_ID [--json] [--data-dir DIR | --config FILE]", env.stderr)
	return runAdmin(ctx, env, a, args, 1, func(st *sqlite.Store, _ values, pos []string) error {
		c, err := st.LookupClient(ctx, pos[0])
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no client %q (see: zscaler-mcp clients list)", pos[0])
		}
		if err != nil {
			return err
		}
		grants, err := liveGrants(ctx, st, store.GrantFilter{ClientID: c.ID})
		if err != nil {
			return err
		}
		gv := make([]grantView, 0, len(grants))
		for _, g := range grants {
			gv = append(gv, viewGrant(g))
		}
		cv := viewClient(c, len(grants))
		if a.json {
			return writeJSON(env.stdout, struct {
				clientView
				Grants []grantView `json:"grants"`
			}{cv, gv})
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
		for _, row := range [][2]string{
			{"Client ID", cv.ID}, {"Name", orDash(oneLine(cv.Name))}, {"Origin", cv.Origin},
			{"Auth method", cv.AuthMethod}, {"Scopes", strings.Join(cv.Scopes, " ")},
			{"Redirect URIs", strings.Join(cv.RedirectURIs, "\n\t")},
			{"Created", fmtTime(cv.CreatedAt)}, {"Last used", fmtTimePtr(cv.LastUsedAt, "never")},
			{"Live grants", fmt.Sprint(len(gv))},
		} {
			fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(gv) > 0 {
			fmt.Fprintln(env.stdout)
			tw = tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "GRANT ID\tSUBJECT\tCREATED\tEXPIRES")
			for _, g := range gv {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.ID, g.Subject, fmtTime(g.CreatedAt), fmtTimePtr(g.ExpiresAt, "never"))
			}
			return tw.Flush()
		}
		return nil
	})
}

func clientsDelete(ctx context.Context, env adminEnv, args []string) int {
	a := newAdminFlags("clients delete", "clients delete [flags] [--] CLIENT_ID   (flags: --json, --data-dir DIR, --config FILE; -- before an id that starts with -)", env.stderr)
	return runAdmin(ctx, env, a, args, 1, func(st *sqlite.Store, _ values, pos []string) error {
		id := pos[0]
		grants, err := st.ListGrants(ctx, store.GrantFilter{ClientID: id})
		if err != nil {
			return err
		}
		if err := st.DeleteClient(ctx, id); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no client %q (see: zscaler-mcp clients list)", id)
		} else if err != nil {
			return err
		}
		adminAudit(ctx, env, st, store.AuditEvent{Type: store.AuditClientDeleted, Outcome: store.OutcomeSuccess, ClientID: id,
			Reason: "admin: clients delete"})
		if a.json {
			return writeJSON(env.stdout, map[string]any{"deleted": id, "grants_revoked": len(grants)})
		}
		fmt.Fprintf(env.stdout, "deleted client %s; %d grant(s) revoked\n", id, len(grants))
		return nil
	})
}

// oneLine keeps a client-chosen name on one table line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/zscalermcp/zscaler-mcp/oauthserver"
	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// defaultAccessTokenTTL is the AS's default access-token lifetime
// (oauthserver.Config.AccessTokenTTL), used for the key overlap when the
// config does not set oauth.access_token_ttl.
const defaultAccessTokenTTL = time.Hour

// keysRotate creates a new signing key. The retired key stays published
// for the access-token lifetime plus the server's key-reload interval (a
// running server signs with its current key until it reloads).
func keysRotate(ctx context.Context, env adminEnv, args []string) int {
	a := newAdminFlags("keys rotate", "keys rotate [--json] [--data-dir DIR | --config FILE]", env.stderr)
	return runAdmin(ctx, env, a, args, 0, func(st *sqlite.Store, v values, _ []string) error {
		var c config
		if err := c.resolveOAuth(v); err != nil {
			return err
		}
		ttl := c.OAuth.AccessTokenTTL
		if ttl <= 0 {
			ttl = defaultAccessTokenTTL
		}
		before, err := oauthserver.SigningKeys(ctx, st)
		if err != nil {
			return err
		}
		kid, err := oauthserver.RotateSigningKeys(ctx, st, ttl+keyReloadInterval)
		if err != nil {
			return err
		}
		var retired []string
		for _, k := range before {
			if k.Active {
				retired = append(retired, k.KID)
			}
		}
		adminAudit(ctx, env, st, store.AuditEvent{Type: store.AuditKeysRotated, Outcome: store.OutcomeSuccess,
			Reason: "admin: keys rotate; new kid " + kid})
		keys, err := oauthserver.SigningKeys(ctx, st)
		if err != nil {
			return err
		}
		if a.json {
			if retired == nil {
				retired = []string{}
			}
			return writeJSON(env.stdout, map[string]any{"new_kid": kid, "retired_kids": retired, "keys": keys})
		}
		fmt.Fprintf(env.stdout, "new signing key %s\n", kid)
		for _, r := range retired {
			fmt.Fprintf(env.stdout, "retired %s (still published for %v so tokens it signed stay valid)\n", r, ttl+keyReloadInterval)
		}
		fmt.Fprintln(env.stdout)
		return printKeys(env.stdout, keys)
	})
}

func keysList(ctx context.Context, env adminEnv, args []string) int {
	a := newAdminFlags("keys list", "keys list [--json] [--data-dir DIR | --config FILE]", env.stderr)
	return runAdmin(ctx, env, a, args, 0, func(st *sqlite.Store, _ values, _ []string) error {
		keys, err := oauthserver.SigningKeys(ctx, st)
		if err != nil {
			return err
		}
		if a.json {
			if keys == nil {
				keys = []oauthserver.KeyInfo{}
			}
			return writeJSON(env.stdout, keys)
		}
		return printKeys(env.stdout, keys)
	})
}

func printKeys(w io.Writer, keys []oauthserver.KeyInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATUS\tCREATED\tPUBLISHED UNTIL")
	for _, k := range keys {
		status, until := "retired", "-"
		if k.Active {
			status = "active"
		}
		if !k.NotAfter.IsZero() {
			until = fmtTime(k.NotAfter)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.KID, k.Alg, status, fmtTime(k.CreatedAt), until)
	}
	return tw.Flush()
}

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// tokensRevoke revokes every grant of a client or a subject. Each grant's
// revocation is appended to the revocation log (by the store), which a
// running server polls every second; a subject revocation is logged too,
// so tokens of that subject issued until now stop working even if their
// grant was created after the listing.
func tokensRevoke(ctx context.Context, env adminEnv, args []string) int {
	a := newAdminFlags("tokens revoke", "tokens revoke --client CLIENT_ID | --subject SUBJECT [--json] [--data-dir DIR | --config FILE]", env.stderr)
	var clientID, subject string
	a.fs.StringVar(&clientID, "client", "", "revoke every grant of this client id")
	a.fs.StringVar(&subject, "subject", "", "revoke every grant of this subject (the sub claim, e.g. corp|u-alice)")
	if _, code, err := a.parse(args, 0); err != nil {
		return code
	}
	if (clientID == "") == (subject == "") {
		fmt.Fprintln(env.stderr, "zscaler-mcp tokens revoke: give exactly one of --client and --subject")
		a.fs.Usage()
		return 2
	}
	return runAdmin(ctx, env, a, nil, 0, func(st *sqlite.Store, _ values, _ []string) error {
		f := store.GrantFilter{ClientID: clientID, Subject: subject}
		what := "client " + clientID
		if subject != "" {
			what = "subject " + subject
		} else if _, err := st.LookupClient(ctx, clientID); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no client %q (see: zscaler-mcp clients list)", clientID)
		} else if err != nil {
			return err
		}
		grants, err := st.ListGrants(ctx, f)
		if err != nil {
			return err
		}
		if subject != "" {
			if _, err := st.AppendRevocation(ctx, store.RevocationSubject, subject); err != nil {
				return err
			}
		}
		revoked := []string{}
		for _, g := range grants {
			switch err := st.RevokeGrant(ctx, g.ID); {
			case errors.Is(err, store.ErrNotFound): // expired or revoked meanwhile
				continue
			case err != nil:
				return fmt.Errorf("revoked %d grant(s) of %s, then: %w", len(revoked), what, err)
			}
			revoked = append(revoked, g.ID)
			adminAudit(ctx, env, st, store.AuditEvent{Type: store.AuditTokenRevoked, Outcome: store.OutcomeSuccess,
				ClientID: g.ClientID, Subject: g.Subject, GrantID: g.ID, Reason: "admin: tokens revoke"})
		}
		if a.json {
			return writeJSON(env.stdout, map[string]any{"revoked": len(revoked), "grant_ids": revoked})
		}
		fmt.Fprintf(env.stdout, "revoked %d grant(s) of %s\n", len(revoked), what)
		return nil
	})
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// auditPollInterval is how often `audit tail --follow` polls the store.
const auditPollInterval = 500 * time.Millisecond

// auditJSON is an audit event as `audit tail --json` prints it: one JSON
// object per line.
type auditJSON struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	Event    string    `json:"event"`
	Outcome  string    `json:"outcome"`
	ClientID string    `json:"client_id,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	IdP      string    `json:"idp,omitempty"`
	GrantID  string    `json:"grant_id,omitempty"`
	IP       string    `json:"ip,omitempty"`
	Reason   string    `json:"reason,omitempty"`
}

// auditTail prints the newest audit events and, with --follow, the new
// ones as they are recorded, until interrupted.
func auditTail(ctx context.Context, env adminEnv, args []string) int {
	a := newAdminFlags("audit tail", "audit tail [-n N] [--follow] [--json] [--data-dir DIR | --config FILE]", env.stderr)
	var n int
	var follow bool
	a.fs.IntVar(&n, "n", 20, "how many of the newest events to print (0: all)")
	a.fs.BoolVar(&follow, "follow", false, "keep printing new events until interrupted")
	a.fs.BoolVar(&follow, "f", false, "short for --follow")
	return runAdmin(ctx, env, a, args, 0, func(st *sqlite.Store, _ values, _ []string) error {
		if n < 0 {
			return fmt.Errorf("-n must not be negative, got %d", n)
		}
		evs, err := st.ListAudit(ctx, store.AuditFilter{Limit: n, Newest: true})
		if err != nil {
			return err
		}
		var last int64
		print := func(evs []store.AuditEvent) error {
			for _, e := range evs {
				if err := writeAuditEvent(env.stdout, e, a.json); err != nil {
					return err
				}
				last = e.Seq
			}
			return nil
		}
		if err := print(evs); err != nil {
			return err
		}
		if !follow {
			return nil
		}
		if len(evs) == 0 { // start after whatever exists (nothing, or -n 0 printed all)
			all, err := st.ListAudit(ctx, store.AuditFilter{Limit: 1, Newest: true})
			if err != nil {
				return err
			}
			if len(all) > 0 {
				last = all[0].Seq
			}
		}
		t := time.NewTicker(auditPollInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			evs, err := st.ListAudit(ctx, store.AuditFilter{AfterSeq: last})
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if err := print(evs); err != nil {
				return err
			}
		}
	})
}

// writeAuditEvent prints e as one line: JSON, or
// "TIME EVENT OUTCOME key=value ...".
func writeAuditEvent(w io.Writer, e store.AuditEvent, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(auditJSON{Seq: e.Seq, At: e.At.UTC(), Event: e.Type, Outcome: e.Outcome, ClientID: e.ClientID,
			Subject: e.Subject, IdP: e.IdP, GrantID: e.GrantID, IP: e.IP, Reason: e.Reason})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-19s %-7s", e.At.UTC().Format(time.RFC3339), e.Type, e.Outcome)
	for _, f := range []struct{ k, v string }{
		{"client", e.ClientID}, {"subject", e.Subject}, {"idp", e.IdP}, {"grant", e.GrantID}, {"ip", e.IP}, {"reason", e.Reason},
	} {
		if f.v == "" {
			continue
		}
		v := f.v
		if strings.ContainsAny(v, " \"=\t\n") || !strconv.CanBackquote(v) {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %s=%s", f.k, v)
	}
	_, err := fmt.Fprintln(w, b.String())
	return err
}

// parseRetention reads --audit-retention: a duration, "0" meaning forever
// (returned as -1, the store's "keep forever").
func parseRetention(v values) (time.Duration, error) {
	raw := strings.TrimSpace(v.get("audit-retention"))
	if raw == "0" {
		return -1, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: %q is not a duration (e.g. 720h; 0 keeps the audit log forever)", v.describe("audit-retention"), raw)
	}
	if d == 0 {
		return -1, nil
	}
	return d, nil
}

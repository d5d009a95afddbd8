package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/zscalermcp/zscaler-mcp/oauthserver"
	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// The admin subcommands (`zscaler-mcp clients list`, ...) work on the same
// data dir and database as the server, possibly while it runs: SQLite in
// WAL mode lets both use the file, and the server polls the revocation log,
// so a revocation made here takes effect there within seconds.

// adminEnv is what every subcommand gets from run.
type adminEnv struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// subcommand is one admin command: `zscaler-mcp <group> <name> [flags]`.
type subcommand struct {
	summary string
	run     func(ctx context.Context, env adminEnv, args []string) int
}

// subcommandGroups maps the first argument to its commands.
var subcommandGroups = map[string]map[string]subcommand{
	"clients": {
		"list":   {"list the registered OAuth clients", clientsList},
		"show":   {"show one client and its grants: clients show CLIENT_ID", clientsShow},
		"delete": {"delete a client and revoke its grants: clients delete CLIENT_ID", clientsDelete},
	},
	"tokens": {
		"revoke": {"revoke every grant of a client or a subject: tokens revoke --client ID | --subject ID", tokensRevoke},
	},
	"keys": {
		"rotate": {"create a new signing key; the old ones stay published for the overlap", keysRotate},
		"list":   {"list the signing keys", keysList},
	},
	"audit": {
		"tail": {"print the newest audit events: audit tail [-n N] [--follow] [--json]", auditTail},
	},
	"config": {
		"check": {"validate a config file as the server would: config check --config FILE [--probe]", configCheck},
	},
}

// runSubcommand runs the admin command named by args, if args names one;
// ok is false when args are server flags.
func runSubcommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	group, found := subcommandGroups[args[0]]
	if !found {
		return 0, false
	}
	env := adminEnv{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		groupUsage(stderr, args[0], group)
		if len(args) < 2 {
			return 2, true
		}
		return 0, true
	}
	cmd, found := group[args[1]]
	if !found {
		fmt.Fprintf(stderr, "zscaler-mcp %s: unknown command %q\n", args[0], args[1])
		groupUsage(stderr, args[0], group)
		return 2, true
	}
	return cmd.run(ctx, env, args[2:]), true
}

func groupUsage(w io.Writer, name string, group map[string]subcommand) {
	fmt.Fprintf(w, "Usage: zscaler-mcp %s <command> [flags]\n\nCommands:\n", name)
	for _, n := range sortedKeys(group) {
		fmt.Fprintf(w, "  %-8s %s\n", n, group[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'zscaler-mcp %s <command> -h' for its flags.\n", name)
}

// adminFlags are the flags every store command takes.
type adminFlags struct {
	fs      *flag.FlagSet
	config  string
	dataDir string
	json    bool
}

// newAdminFlags returns a flag set for `zscaler-mcp name` with --config,
// --data-dir and --json; usage is the synopsis line.
func newAdminFlags(name, usage string, stderr io.Writer) *adminFlags {
	a := &adminFlags{fs: flag.NewFlagSet("zscaler-mcp "+name, flag.ContinueOnError)}
	a.fs.SetOutput(stderr)
	a.fs.StringVar(&a.config, "config", "", "YAML config file (for data_dir and oauth lifetimes; env ZSCALER_MCP_CONFIG)")
	a.fs.StringVar(&a.dataDir, "data-dir", "", "state directory holding the database (env ZSCALER_MCP_DATA_DIR)")
	a.fs.BoolVar(&a.json, "json", false, "print JSON for scripts instead of a table")
	a.fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: zscaler-mcp %s\n\nFlags:\n", usage)
		a.fs.PrintDefaults()
	}
	return a
}

// parse parses args, allowing flags after positional arguments
// (`clients show ID --json`), and returns the positional ones. The exit
// code is meaningful when err is non-nil: 0 for -h, 2 for a usage error.
func (a *adminFlags) parse(args []string, npos int) ([]string, int, error) {
	var pos []string
	for {
		if err := a.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0, err
			}
			return nil, 2, err
		}
		args = a.fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != npos {
		err := fmt.Errorf("want %d argument(s), got %d", npos, len(pos))
		if npos == 0 {
			err = fmt.Errorf("unexpected argument %q", pos[0])
		}
		fmt.Fprintln(a.fs.Output(), "zscaler-mcp:", err)
		a.fs.Usage()
		return nil, 2, err
	}
	return pos, 0, nil
}

// settings resolves --config and --data-dir exactly as the server does
// (flag > env > config file > default).
func (a *adminFlags) settings(getenv func(string) string) (values, string, error) {
	var args []string
	if a.config != "" {
		args = append(args, "--config", a.config)
	}
	if a.dataDir != "" {
		args = append(args, "--data-dir", a.dataDir)
	}
	v, err := parseSettings(args, getenv, io.Discard)
	if err != nil {
		return values{}, "", err
	}
	dir, err := dataDir(v.get("data-dir"), getenv)
	if err != nil {
		return values{}, "", err
	}
	return v, dir, nil
}

// openStore opens the server's database in the data dir resolved from
// the flags. A missing database is refused (an admin command must not
// create an empty one next to the real one).
func (a *adminFlags) openStore(ctx context.Context, getenv func(string) string) (*sqlite.Store, values, error) {
	v, dir, err := a.settings(getenv)
	if err != nil {
		return nil, values{}, err
	}
	path := filepath.Join(dir, sqlite.DefaultFileName)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, values{}, fmt.Errorf("no database at %s: run the server in oidcproxy mode first, or point --data-dir (ZSCALER_MCP_DATA_DIR) or --config at the server's data dir", path)
		}
		return nil, values{}, fmt.Errorf("database %s: %w", path, err)
	}
	st, err := sqlite.OpenDir(ctx, dir, sqlite.Options{}) // as the server opens it
	if err != nil {
		return nil, values{}, fmt.Errorf("open the database: %w", err)
	}
	return st, v, nil
}

// adminAudit records an admin action in the audit log (and nowhere else:
// the command's own output tells the operator). The action has happened:
// a failure to record it is a warning on stderr, not the command's error.
func adminAudit(ctx context.Context, env adminEnv, st store.Audit, e store.AuditEvent) {
	if e.Reason == "" {
		e.Reason = "admin command"
	}
	if _, err := st.AppendAudit(ctx, &e); err != nil {
		fmt.Fprintln(env.stderr, "zscaler-mcp: warning: the audit log did not record this action:", err)
	}
}

// fail prints err for the operator and returns exit code 1.
func fail(env adminEnv, err error) int {
	fmt.Fprintln(env.stderr, "zscaler-mcp:", err)
	return 1
}

// runAdmin is the common shape of a store command: parse, open the store,
// run f, close.
func runAdmin(ctx context.Context, env adminEnv, a *adminFlags, args []string, npos int,
	f func(st *sqlite.Store, v values, pos []string) error) int {
	pos, code, err := a.parse(args, npos)
	if err != nil {
		return code
	}
	st, v, err := a.openStore(ctx, env.getenv)
	if err != nil {
		return fail(env, err)
	}
	defer st.Close()
	if err := f(st, v, pos); err != nil {
		return fail(env, err)
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// auditIdPRemoved records, in the audit log of st (when it keeps one) and
// in logger, the grants revoked because a reload removed IdP id.
func auditIdPRemoved(ctx context.Context, st any, logger *slog.Logger, id string, grantIDs []string) {
	a, ok := st.(store.Audit)
	if !ok {
		return
	}
	l := oauthserver.NewAuditLog(a, logger)
	defer l.Close()
	for _, g := range grantIDs {
		l.Audit(ctx, store.AuditEvent{Type: store.AuditTokenRevoked, Outcome: store.OutcomeSuccess, IdP: id, GrantID: g,
			Reason: "config reload removed the IdP"})
	}
}

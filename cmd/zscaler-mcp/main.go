// Command zscaler-mcp is the Zscaler MCP server: an MCP resource server over
// stdio, SSE or streamable HTTP whose HTTP routes are guarded by pluggable
// client authentication (api-key, jwt, oidc, zscaler, none) or by its own
// OAuth 2.1 authorization server federating to upstream IdPs (oidcproxy).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/zscalermcp/zscaler-mcp/zscaler/tools"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile := startBenchProfile()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	os.Exit(code)
}

// run is main without process globals, so tests can drive it. It returns
// the exit code. In stdio mode nothing but JSON-RPC goes to stdout.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if code, ok := runSubcommand(ctx, args, getenv, stdout, stderr); ok {
		return code
	}
	return runWith(ctx, args, getenv, stdin, stdout, stderr, tools.All())
}

// runWith is run with the tool catalogue given (tests use their own).
func runWith(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, catalogue []tools.Spec) int {
	v, err := parseSettings(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "zscaler-mcp:", err)
		return 2
	}
	if b, _ := v.bool("version"); b {
		fmt.Fprintln(stdout, "zscaler-mcp", version)
		return 0
	}
	if b, _ := v.bool("generate-auth-token"); b {
		fmt.Fprintln(stdout, generateKey())
		return 0
	}
	if b, _ := v.bool("list-tools"); b {
		tc, err := parseTools(v, catalogue)
		if err == nil {
			err = listTools(stdout, tc)
		}
		if err != nil {
			fmt.Fprintln(stderr, "zscaler-mcp:", err)
			return 2
		}
		return 0
	}
	cfg, err := buildConfigWith(v, getenv, catalogue)
	if err != nil {
		fmt.Fprintln(stderr, "zscaler-mcp:", err)
		return 2
	}
	logger := newLogger(cfg, stderr)
	if err := serve(ctx, cfg, logger, stdin, stdout, stderr); err != nil {
		logger.Error("zscaler-mcp stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

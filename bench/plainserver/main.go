// Command plainserver is the ceiling of the benchmark in ../: plain mcp-go
// (server.NewMCPServer + server.NewStreamableHTTPServer mounted at /mcp) with
// no auth, hardening, metrics or session binding, serving a whoami tool
// equivalent to zscaler-mcp's (a small JSON text result).
//
// It prints one start-up line on stderr containing bind=http://HOST:PORT,
// like zscaler-mcp, and stops on SIGINT/SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// whoamiResult mirrors resource.WhoamiResult for the none mode.
type whoamiResult struct {
	Mode    string   `json:"mode"`
	Subject string   `json:"subject"`
	Scopes  []string `json:"scopes"`
}

func main() {
	host := flag.String("host", "127.0.0.1", "address to bind")
	port := flag.Int("port", 0, "port to bind (0: ephemeral)")
	flag.Parse()
	// ZSCALER_MCP_BENCH_CPUPROFILE: a CPU profile of the whole run, for
	// comparing with zscaler-mcp built with -tags benchprof.
	if path := os.Getenv("ZSCALER_MCP_BENCH_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s := server.NewMCPServer("plain-mcp-go", "1",
		server.WithToolCapabilities(false),
		server.WithRecovery(),
	)
	s.AddTool(mcp.NewTool("whoami",
		mcp.WithDescription("Show how this MCP server authenticated you."),
		mcp.WithReadOnlyHintAnnotation(true),
	), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultJSON(whoamiResult{Mode: "none", Subject: "anonymous", Scopes: []string{"zscaler.read", "zscaler.write"}})
	})
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	mux := http.NewServeMux()
	mux.Handle("/mcp", server.NewStreamableHTTPServer(s, server.WithStreamableHTTPLogger(logger)))

	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "plainserver:", err)
		os.Exit(1)
	}
	// The same server timeouts as zscaler-mcp.
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	fmt.Fprintf(os.Stderr, "plain-mcp-go started bind=http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintln(os.Stderr, "plainserver:", err)
		os.Exit(1)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = hs.Close()
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/jwtauth"
	"github.com/zscalermcp/zscaler-mcp/resource/auth/zscalerauth"
	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
)

// The in-process variant of the benchmark: the same handlers the binaries
// serve (resource.New(...).Handler wired like cmd/zscaler-mcp, and plain
// mcp-go wired like bench/plainserver) behind httptest, driven by the
// harness's client. It exists to profile the server side:
//
//	go test -run '^$' -bench 'BenchmarkToolsCall' -benchtime 5s -cpu 1 \
//	    -cpuprofile /tmp/cpu.out ./bench/
//	go tool pprof -top -focus 'net/http.\(\*conn\).serve' bench.test /tmp/cpu.out

// plainHandler is bench/plainserver's handler.
func plainHandler() http.Handler {
	s := server.NewMCPServer("plain-mcp-go", "1", server.WithToolCapabilities(false), server.WithRecovery())
	s.AddTool(mcp.NewTool("whoami", mcp.WithDescription("Show how this MCP server authenticated you."),
		mcp.WithReadOnlyHintAnnotation(true)),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultJSON(map[string]any{"mode": "none", "subject": "anonymous",
				"scopes": []string{"zscaler.read", "zscaler.write"}})
		})
	mux := http.NewServeMux()
	mux.Handle("/mcp", server.NewStreamableHTTPServer(s,
		server.WithStreamableHTTPLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))))
	return mux
}

// ourHandler is zscaler-mcp's handler in mode, as cmd/zscaler-mcp builds it
// for a loopback bind on base's port (info-level logs, discarded).
func ourHandler(tb testing.TB, mode, base string, id *idp) http.Handler {
	tb.Helper()
	port := base[strings.LastIndexByte(base, ':')+1:]
	public := "http://localhost:" + port
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	metrics := resource.NewMetrics()
	opts := auth.Options{Logger: logger}
	var (
		prm   *resource.PRM
		mount func(chi.Router)
	)
	switch mode {
	case "none":
		opts.AllowNone = true
	case "api-key":
		v, err := auth.NewAPIKeyValidator([]string{strings.Repeat("b3", 32)}, nil)
		if err != nil {
			tb.Fatal(err)
		}
		opts.Validators = append(opts.Validators, v)
	case "jwt":
		v, err := jwtauth.New(jwtauth.Config{Mode: auth.ModeJWT, JWKSURI: id.base + "/jwks.json",
			Issuers: []string{jwtIssuer}, Audiences: []string{jwtAudience}})
		if err != nil {
			tb.Fatal(err)
		}
		metrics.RegisterCache("jwt_tokens", func() (uint64, uint64) { s := v.Stats(); return s.CacheHits, s.CacheMisses })
		opts.Validators = append(opts.Validators, v)
	case "zscaler":
		v, err := zscalerauth.New(zscalerauth.Config{TokenURL: id.base + "/oauth2/v1/token", Logger: logger})
		if err != nil {
			tb.Fatal(err)
		}
		metrics.RegisterCache("zscaler_credentials", func() (uint64, uint64) {
			s := v.Stats()
			return s.CacheHits + s.NegativeHits, s.CacheMisses
		})
		opts.Validators = append(opts.Validators, v)
		opts.Challenge.Basic = true
	case "oidcproxy":
		v, p, m := ourOIDCProxy(tb, public, logger)
		opts.Validators = append(opts.Validators, v)
		prm, mount = p, m
	default:
		tb.Fatalf("unknown mode %q", mode)
	}
	srv, err := resource.New(resource.Config{
		Name: "zscaler-mcp", Version: "bench",
		PRM: prm, Mount: mount,
		Identity:       resource.Identity{PublicURL: public, LoopbackBind: true},
		Auth:           opts,
		AllowedHosts:   hardening.DefaultAllowedHosts(public, true),
		AllowedOrigins: hardening.DefaultAllowedOrigins(public, true),
		MaxBodyBytes:   4 << 20,
		Logger:         logger,
		Metrics:        metrics,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return srv.Handler
}

// inProcess starts mode's handler on 127.0.0.1 and returns a client with
// the mode's credentials.
func inProcess(tb testing.TB, mode string, id *idp) *client {
	tb.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	if mode == "plain" {
		ts.Config.Handler = plainHandler()
	} else {
		ts.Config.Handler = ourHandler(tb, mode, base, id)
	}
	ts.Start()
	tb.Cleanup(ts.Close)
	spec, err := specFor(options{}, mode, id)
	if err != nil {
		tb.Fatal(err)
	}
	if spec.login != nil {
		if spec.header, err = spec.login(context.Background(), base); err != nil {
			tb.Fatal(err)
		}
	}
	c := newClient(base, 64, spec.header)
	tb.Cleanup(c.close)
	return c
}

func testIdP(tb testing.TB) *idp {
	tb.Helper()
	id, err := startIdP()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(id.close)
	return id
}

// TestInProcessWhoami checks the in-process wiring of every mode: a session
// and a tools/call whoami reporting the mode.
func TestInProcessWhoami(t *testing.T) {
	id := testIdP(t)
	for _, mode := range allModes {
		t.Run(mode, func(t *testing.T) {
			c := inProcess(t, mode, id)
			s, _, err := c.initialize(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			payload, err := s.callWhoami(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := mode
			if mode == "plain" {
				want = "none"
			}
			if got := whoamiText(payload); !strings.Contains(got, `"mode":"`+want+`"`) {
				t.Fatalf("whoami = %s, want mode %s", got, want)
			}
		})
	}
}

// BenchmarkToolsCall is one tools/call whoami per op over streamable HTTP,
// 16 sessions per GOMAXPROCS in parallel (b.SetParallelism).
func BenchmarkToolsCall(b *testing.B) {
	id := testIdP(b)
	for _, mode := range allModes {
		b.Run(mode, func(b *testing.B) {
			c := inProcess(b, mode, id)
			var mu sync.Mutex
			var firstErr error
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				s, _, err := c.initialize(context.Background(), nil)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					for pb.Next() {
					}
					return
				}
				for pb.Next() {
					if _, err := s.callWhoami(context.Background()); err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
				}
			})
			if firstErr != nil {
				b.Fatal(firstErr)
			}
		})
	}
}

// TestProfileServer serves one mode's in-process handler on 127.0.0.1 until
// SIGTERM, printing bind=http://127.0.0.1:PORT on stderr like the real
// servers, so the harness can drive it (-bin / -plain-bin pointing at a
// wrapper script) while -test.cpuprofile records the server side alone. It
// only runs when ZSCALER_MCP_BENCH_PROFILE names the mode; jwt and zscaler
// read the harness's IdP from the environment the harness sets
// (ZSCALER_MCP_AUTH_JWKS_URI, ZSCALER_TOKEN_URL). Example wrapper:
//
//	#!/bin/sh
//	cd /path/to/repo/bench && ZSCALER_MCP_BENCH_PROFILE=none exec /tmp/bench.test \
//	    -test.run '^TestProfileServer$' -test.cpuprofile /tmp/srv-none.out
func TestProfileServer(t *testing.T) {
	mode := os.Getenv("ZSCALER_MCP_BENCH_PROFILE")
	if mode == "" {
		t.Skip("set ZSCALER_MCP_BENCH_PROFILE=MODE to serve MODE for profiling")
	}
	id := &idp{}
	if u := os.Getenv("ZSCALER_MCP_AUTH_JWKS_URI"); u != "" {
		id.base = strings.TrimSuffix(u, "/jwks.json")
	}
	if u := os.Getenv("ZSCALER_TOKEN_URL"); u != "" {
		id.base = strings.TrimSuffix(u, "/oauth2/v1/token")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	var h http.Handler
	if mode == "plain" {
		h = plainHandler()
	} else {
		h = ourHandler(t, mode, base, id)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	hs := &http.Server{Handler: h}
	go func() { _ = hs.Serve(ln) }()
	fmt.Fprintf(os.Stderr, "profile server %s started bind=%s\n", mode, base)
	<-ctx.Done()
	_ = hs.Close()
}

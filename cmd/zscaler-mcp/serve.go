package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
)

func generateKey() string { return auth.GenerateAPIKey() }

// serve runs the configured transport until ctx ends.
func serve(ctx context.Context, cfg *config, logger *slog.Logger, stdin io.Reader, stdout, stderr io.Writer) error {
	if cfg.Transport == "stdio" {
		return serveStdio(ctx, cfg, logger, stdin, stdout)
	}
	ln, err := net.Listen("tcp", cfg.listenAddr())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	cfg.setPort(ln.Addr().(*net.TCPAddr).Port)
	as, err := buildAuth(ctx, cfg, logger, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := as.Close(); cerr != nil {
			logger.Warn("auth shutdown", "err", cerr)
		}
	}()
	defer watchReloadSignal(ctx, logger, as.Reload, as.NoReload)()
	ts, err := buildTools(ctx, cfg.Tools, logger)
	if err != nil {
		return err
	}
	srv, err := resource.New(resource.Config{
		Name: "zscaler-mcp", Version: version,
		Identity:          resource.Identity{PublicURL: cfg.PublicURL, LoopbackBind: cfg.LoopbackBind},
		Auth:              as.Options,
		PRM:               as.PRM,
		Mount:             as.Mount,
		AllowedHosts:      cfg.AllowedHosts,
		AllowedOrigins:    cfg.AllowedOrigins,
		SourceIPs:         cfg.SourceIPs,
		TrustedProxies:    cfg.TrustedProxies,
		RequireClientCert: cfg.TLSCA != "",
		MaxBodyBytes:      cfg.MaxBody,
		Logger:            logger,
		Metrics:           as.Metrics,
		Registry:          ts.Registry,
		Visible:           ts.Visible,
		HiddenReason:      ts.HiddenReason,
	})
	if err != nil {
		return err
	}
	if as.Started != nil {
		as.Started(srv)
	}
	return serveHTTP(ctx, cfg, logger, ln, srv, as.Options)
}

func serveStdio(ctx context.Context, cfg *config, logger *slog.Logger, stdin io.Reader, stdout io.Writer) error {
	ts, err := buildTools(ctx, cfg.Tools, logger)
	if err != nil {
		return err
	}
	reg := ts.Registry
	s := server.NewStdioServer(resource.NewMCPServer("zscaler-mcp", version, reg, nil, nil))
	s.SetErrorLogger(slog.NewLogLogger(logger.Handler(), slog.LevelError))
	s.SetContextFunc(resource.StdioContext)
	logger.Info("zscaler-mcp started", "version", version, "transport", "stdio", "tools", len(reg.Tools()), "write_tools", reg.WriteCount())
	err = s.Listen(ctx, stdin, stdout)
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return fmt.Errorf("stdio: %w", err)
}

// serveHTTP listens, prints the one-line summary and shuts down gracefully
// when ctx ends: new connections stop, open streams are closed, in-flight
// requests get cfg.ShutdownTimeout to finish.
func serveHTTP(ctx context.Context, cfg *config, logger *slog.Logger, ln net.Listener, srv *resource.Server, ao auth.Options) error {
	hs := &http.Server{
		Handler:           srv.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // bodies are bounded; streams are responses, so no WriteTimeout
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		tc, err := hardening.ServerTLSConfig(cfg.TLSCert, cfg.TLSKey, cfg.TLSCA)
		if err != nil {
			return err
		}
		hs.TLSConfig = tc
		scheme = "https"
	}
	if hs.TLSConfig != nil {
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	names := make([]string, 0, len(ao.Validators)+1)
	for _, v := range ao.Validators {
		names = append(names, v.Name())
	}
	if ao.AllowNone {
		names = append(names, auth.ModeNone)
	}
	attrs := []any{
		"version", version, "transport", cfg.Transport, "shutdown_timeout", cfg.ShutdownTimeout.String(),
		"bind", scheme + "://" + ln.Addr().String(), "public_url", cfg.PublicURL,
		"auth_mode", cfg.Mode, "auth_reason", cfg.ModeReason, "validators", strings.Join(names, ","),
	}
	if cfg.Mode == auth.ModeOIDCProxy {
		attrs = append(attrs, "idps", strings.Join(cfg.idpIDs(), ","))
	}
	attrs = append(attrs, "mtls", cfg.TLSCA != "", "tools", srv.ToolCount(), "write_tools", srv.WriteToolCount())
	logger.Info("zscaler-mcp started", attrs...)

	if err := srv.Serve(ctx, hs, ln, cfg.ShutdownTimeout); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

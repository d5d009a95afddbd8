package resource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
	"github.com/zscalermcp/zscaler-mcp/resource/jsonguard"
)

// Config configures the resource server.
type Config struct {
	// Name and Version are announced to MCP clients.
	Name, Version string
	// Identity is how the server names itself.
	Identity Identity
	// Auth configures client authentication on the MCP routes.
	Auth auth.Options
	// PRM, when set, serves RFC 9728 metadata and advertises it in 401s
	// (only in modes where an OAuth flow can succeed).
	PRM *PRM
	// AllowedHosts is the Host allowlist (421 otherwise); "*" disables it.
	AllowedHosts []string
	// AllowedOrigins is the Origin allowlist of the MCP routes (403 otherwise).
	AllowedOrigins []string
	// SourceIPs restricts clients to these prefixes (empty: any), checked
	// before auth on every route.
	SourceIPs []netip.Prefix
	// TrustedProxies may set the client IP with X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// RequireClientCert requires a verified TLS client certificate on the
	// MCP routes (mTLS); other routes only request one.
	RequireClientCert bool
	// MaxBodyBytes bounds request bodies (413 beyond). Zero means 4 MiB.
	MaxBodyBytes int64
	// Registry holds the tools; nil means only whoami.
	Registry *Registry
	// Visible filters tools per caller (nil: all visible).
	Visible VisibleFunc
	// HiddenReason, with Visible, explains to a caller why a tool it tried
	// to call is hidden from it (nil: a generic explanation).
	HiddenReason func(id *auth.Identity, t Tool) string
	// Mount adds more routes (the authorization server) to the router.
	Mount func(r chi.Router)
	// Ready reports readiness for /readyz (nil: always ready).
	Ready func(ctx context.Context) error
	// SessionIdle is how long an idle MCP session binding lives (default 24h).
	SessionIdle time.Duration
	// Logger receives structured logs (never secrets).
	Logger *slog.Logger
	// Metrics collects Prometheus metrics (nil: a fresh set).
	Metrics *Metrics

	// noDirect (tests) sends every /mcp request through mcp-go's own
	// streamable HTTP handler, to compare the two paths.
	noDirect bool
}

// Server is the assembled resource server.
type Server struct {
	// MCP is the mcp-go server (also used by the stdio transport).
	MCP *server.MCPServer
	// Handler is the HTTP handler with every route and guard.
	Handler http.Handler
	// Sessions holds the session → identity bindings.
	Sessions *Sessions
	// Metrics are the server's collectors.
	Metrics *Metrics

	sse        *server.SSEServer
	streamable *server.StreamableHTTPServer
	registry   *Registry
	logger     *slog.Logger
	streams    streams
	direct     *directCalls
	router     chi.Router              // every route but the MCP ones
	mcpRoutes  map[string]http.Handler // path → guarded MCP handler
}

// NewMCPServer builds the mcp-go server with reg's tools behind the
// per-caller filter; hooks (nil: none of the caller's) become the server's
// hooks and opts are added after the defaults.
//
// A caller without an identity sees and calls no tool (the auth middleware
// gives every HTTP request one, stdio installs its own). With a
// VisibleFunc that is mcp-go's tool filter, which mcp-go applies to
// tools/list and tools/call. Without one nothing differs per caller, so
// the check is a tools/list hook and a check in each tool's handler, and
// mcp-go's per-call filter (which copies the tool's definition on every
// tools/call) is not installed.
func NewMCPServer(name, version string, reg *Registry, visible VisibleFunc, hooks *server.Hooks, opts ...server.ServerOption) *server.MCPServer {
	if hooks == nil {
		hooks = &server.Hooks{}
	}
	base := []server.ServerOption{
		server.WithToolCapabilities(false),
		server.WithRecovery(),
		// Delete tools ask the human to confirm when the client can.
		server.WithElicitation(),
		server.WithInstructions("Tools for Zscaler services. Call whoami to see how you are authenticated."),
		server.WithHooks(hooks),
	}
	if visible != nil {
		base = append(base, server.WithToolFilter(reg.filter(visible)))
	} else {
		hooks.AddAfterListTools(func(ctx context.Context, _ any, _ *mcp.ListToolsRequest, res *mcp.ListToolsResult) {
			if _, ok := auth.FromContext(ctx); !ok {
				res.Tools = []mcp.Tool{}
			}
		})
	}
	s := server.NewMCPServer(name, version, append(base, opts...)...)
	for _, t := range reg.Tools() {
		s.AddTool(t.Def, wrapHandler(t.Handler))
	}
	return s
}

// StdioIdentity is the caller of the stdio transport: the local user who
// started the process (stdio has no network surface).
var StdioIdentity = auth.Identity{Mode: "stdio", Subject: "local", Scopes: auth.DefaultScopes}

// StdioContext adds the stdio identity to ctx (for server.WithStdioContextFunc).
func StdioContext(ctx context.Context) context.Context {
	id := StdioIdentity
	return auth.WithIdentity(ctx, &id)
}

// New assembles the HTTP server.
func New(cfg Config) (*Server, error) {
	if cfg.Identity.PublicURL == "" {
		return nil, errors.New("resource: public URL is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Registry == nil {
		cfg.Registry = NewRegistry()
		if err := cfg.Registry.Add(WhoamiTool()); err != nil {
			return nil, err
		}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = hardening.DefaultMaxBodyBytes
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 24 * time.Hour
	}
	hooks := &server.Hooks{}
	refuseHidden(hooks, cfg.Registry, cfg.Visible, cfg.HiddenReason)
	direct := newDirectCalls(hooks, cfg.Registry)
	s := &Server{
		MCP:      NewMCPServer(cfg.Name, cfg.Version, cfg.Registry, cfg.Visible, hooks),
		Sessions: NewSessions(100_000, cfg.SessionIdle),
		Metrics:  cfg.Metrics,
		registry: cfg.Registry,
		logger:   cfg.Logger,
		direct:   direct,
	}
	if cfg.PRM != nil {
		cfg.Auth.Challenge.ResourceMetadata = cfg.Identity.MetadataURL
	}
	if cfg.Auth.Observe == nil {
		cfg.Auth.Observe = cfg.Metrics.ObserveAuth
	}
	if cfg.Auth.Logger == nil {
		cfg.Auth.Logger = cfg.Logger
	}

	// No WithSessionIdleTTL: session idleness is Sessions' (directCalls
	// relies on that).
	s.streamable = server.NewStreamableHTTPServer(s.MCP,
		server.WithDisableLocalhostProtection(true), // ours is the Host allowlist
		server.WithSessionIdManagerResolver(resolver{s.Sessions}),
		server.WithStreamableHTTPLogger(cfg.Logger),
	)
	s.Sessions.onEnd = endSessions(s.streamable)
	cfg.Metrics.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "zscaler_mcp_direct_tool_calls_total",
		Help: "tools/call requests on /mcp served straight from the MCP server rather than through mcp-go's streamable HTTP handler.",
	}, func() float64 { return float64(direct.served.Load()) }))
	s.sse = server.NewSSEServer(s.MCP,
		server.WithSSEDisableLocalhostProtection(true),
		server.WithBaseURL(cfg.Identity.PublicURL),
		server.WithUseFullURLForMessageEndpoint(true),
		server.WithMessageEndpoint("/messages/"),
		server.WithSessionIDGenerator(func(ctx context.Context, _ *http.Request) (string, error) {
			id, ok := auth.FromContext(ctx)
			if !ok {
				return "", errors.New("no identity")
			}
			return s.Sessions.Bind(id), nil
		}),
		// mcp-go answers "*" on SSE unless CORS is configured; configure it
		// with our allowlist so it only echoes origins we already admitted
		// (the never-matching first entry keeps it enabled for an empty list).
		server.WithSSECORS(server.WithCORSAllowedOrigins(append([]string{"null.invalid"}, cfg.AllowedOrigins...)...),
			server.WithCORSExposedHeaders("WWW-Authenticate", server.HeaderKeySessionID)),
	)

	r := chi.NewRouter()
	clientIP := hardening.ClientIP(hardening.IPConfig{Allowed: cfg.SourceIPs, TrustedProxies: cfg.TrustedProxies})
	r.Use(middleware.Recoverer, s.Metrics.Middleware, accessLog(cfg.Logger), clientIP)

	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Ready != nil {
			if err := cfg.Ready(r.Context()); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	r.Method(http.MethodGet, "/metrics", s.Metrics.Handler())

	if cfg.PRM != nil {
		r.Group(func(r chi.Router) {
			r.Use(hardening.PublicCORS())
			h := cfg.Identity.prmHandler(*cfg.PRM)
			for _, p := range []string{PRMPathPrefix, PRMPathPrefix + "/mcp", PRMPathPrefix + "/sse"} {
				r.Method(http.MethodGet, p, h)
				r.Method(http.MethodOptions, p, h)
			}
		})
	}

	// The MCP routes: the same outer layers as the router's, then the
	// guards, in this order. They are served before the router (see
	// ServeHTTP), which saves chi's per-request context and tree walk on
	// the hottest path.
	guards := []func(http.Handler) http.Handler{
		hardening.HostAllowlist(cfg.AllowedHosts),
		hardening.Origins(hardening.OriginConfig{Allowed: cfg.AllowedOrigins}),
		hardening.RequireClientCert(cfg.RequireClientCert),
		hardening.BodyLimit(cfg.MaxBodyBytes),
		jsonguard.Middleware(jsonguard.Options{}),
		auth.Middleware(cfg.Auth),
		requireScopes(cfg.Registry, cfg.Auth.Challenge),
		s.Sessions.Guard,
		s.streams.track,
	}
	messages := s.sse.MessageHandler()
	s.mcpRoutes = map[string]http.Handler{}
	for path, h := range map[string]http.Handler{
		"/mcp":       direct.handler(s.MCP, s.streamable, !cfg.noDirect),
		"/sse":       sseEndpointFor(cfg.Identity, s.sse.SSEHandler()),
		"/messages":  messages,
		"/messages/": messages,
	} {
		outer := []func(http.Handler) http.Handler{middleware.Recoverer, s.Metrics.Route(path), accessLog(cfg.Logger), clientIP}
		s.mcpRoutes[path] = chi.Chain(append(outer, guards...)...).Handler(h)
	}

	if cfg.Mount != nil {
		cfg.Mount(r)
	}
	s.router = r
	s.Handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

// serveHTTP serves the MCP routes from s.mcpRoutes and everything else
// through the chi router. It matches the path exactly as chi does (the
// escaped path when the request has one), so a path reaches the same
// handler either way.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	if h, ok := s.mcpRoutes[path]; ok {
		h.ServeHTTP(w, r)
		return
	}
	s.router.ServeHTTP(w, r)
}

// CloseStreams ends open SSE and streamable-HTTP streams so a graceful
// shutdown does not wait for clients that never hang up.
func (s *Server) CloseStreams(ctx context.Context) {
	s.sse.CloseSessions()
	s.streamable.CloseSessions(ctx)
}

// CloseStreamsOf ends the open MCP streams (SSE, streamable-HTTP GET) of a
// revoked grant, client or subject (kind RevokeGrant, RevokeClient or
// RevokeSubject) and reports how many it ended. Revoked tokens are refused
// by the validators; this ends what they had already opened.
func (s *Server) CloseStreamsOf(kind, value string) int {
	n := s.streams.close(kind, value)
	if n > 0 {
		s.logger.Info("closed MCP streams of a revoked credential", "kind", kind, "streams", n)
	}
	return n
}

// ToolCount is the number of registered tools.
func (s *Server) ToolCount() int { return len(s.registry.Tools()) }

// WriteToolCount is the number of registered write (and delete) tools.
func (s *Server) WriteToolCount() int { return s.registry.WriteCount() }

// Serve serves hs (whose Handler is s.Handler) on ln until ctx ends, then
// shuts down gracefully: no new connections, open streams closed, and
// in-flight requests given grace to finish before connections are cut.
func (s *Server) Serve(ctx context.Context, hs *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	s.CloseStreams(sctx)
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
		return fmt.Errorf("shutdown: in-flight requests did not finish within %s", grace)
	}
	return nil
}

// requireScopes enforces DESIGN.md §3 "Scopes" at the HTTP layer, on the
// same parsed request mcp-go will execute: every MCP request needs
// zscaler.read; tools/call of a write tool needs zscaler.write (403
// insufficient_scope with the step-up scope).
func requireScopes(reg *Registry, ch auth.Challenge) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := auth.FromContext(r.Context())
			if !id.HasScope(auth.ScopeRead) {
				auth.WriteError(w, r, ch, auth.InsufficientScope(auth.ScopeRead))
				return
			}
			for _, c := range jsonguard.Calls(r.Context()) {
				if c.Method != string(mcp.MethodToolsCall) {
					continue
				}
				if t, ok := reg.Get(c.Name); ok && t.Write && !id.HasScope(auth.ScopeWrite) {
					auth.WriteError(w, r, ch, auth.InsufficientScope(auth.ScopeRead+" "+auth.ScopeWrite))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

// sseEndpointFor makes the SSE "endpoint" event name the base URL the client
// connected to. mcp-go advertises one static base (the public URL); on a
// loopback bind a client that connected through another loopback alias
// (127.0.0.1 vs localhost) would reject it, as MCP SDKs require the message
// endpoint to share the stream's origin.
func sseEndpointFor(id Identity, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := id.Base(r)
		if base == id.PublicURL {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&endpointRewriter{ResponseWriter: w, from: "data: " + id.PublicURL + "/", to: "data: " + base + "/"}, r)
	})
}

type endpointRewriter struct {
	http.ResponseWriter
	from, to string
	done     bool
}

func (e *endpointRewriter) Write(p []byte) (int, error) {
	if !e.done {
		if i := bytes.Index(p, []byte(e.from)); i >= 0 {
			e.done = true
			out := make([]byte, 0, len(p)+len(e.to)-len(e.from))
			out = append(append(append(out, p[:i]...), e.to...), p[i+len(e.from):]...)
			if _, err := e.ResponseWriter.Write(out); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	return e.ResponseWriter.Write(p)
}

func (e *endpointRewriter) Flush() {
	if f, ok := e.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (e *endpointRewriter) Unwrap() http.ResponseWriter { return e.ResponseWriter }

// accessLog writes one debug line per request (method, path, status,
// duration; never headers or query strings, which may carry credentials
// or session ids).
func accessLog(l *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !l.Enabled(r.Context(), slog.LevelDebug) {
				next.ServeHTTP(w, r)
				return
			}
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			l.LogAttrs(r.Context(), slog.LevelDebug, "http request", slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", ww.Status()), slog.Duration("took", time.Since(start)))
		})
	}
}

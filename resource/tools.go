// Package resource is the MCP resource server: the mcp-go server and its
// transports mounted on a chi router, guarded by the hardening and
// client-auth middlewares, with the tool registry and its per-caller filter.
package resource

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// Tool is one MCP tool with the metadata the server uses to decide who may
// see and call it.
type Tool struct {
	// Def is the MCP definition (name, description, schema, annotations).
	Def mcp.Tool
	// Handler runs the tool. The caller's identity is in ctx (auth.FromContext).
	Handler server.ToolHandlerFunc
	// Service is the Zscaler service the tool talks to ("zia", "zpa", ...),
	// or "" for built-in tools.
	Service string
	// Toolset groups tools of a service for selection flags.
	Toolset string
	// Write marks a tool that changes state: calling it needs zscaler.write.
	Write bool
	// Interactive marks a tool whose handler may send the client a request
	// while it runs (an elicitation, a sampling request). Its calls keep
	// mcp-go's full streamable HTTP path, which carries such requests on
	// the POST's SSE stream; other calls may be served directly (see
	// directCalls).
	Interactive bool
}

// VisibleFunc decides whether the caller id may see and call t. It runs on
// every tools/list and tools/call (mcp-go applies tool filters to both).
type VisibleFunc func(ctx context.Context, id *auth.Identity, t Tool) bool

// Registry holds the tools the server exposes. It is filled before the
// server starts and read-only afterwards.
type Registry struct {
	tools map[string]Tool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{tools: map[string]Tool{}} }

// Add registers t; names must be unique.
func (r *Registry) Add(t Tool) error {
	if t.Def.Name == "" || t.Handler == nil {
		return fmt.Errorf("tool %q: name and handler are required", t.Def.Name)
	}
	if _, dup := r.tools[t.Def.Name]; dup {
		return fmt.Errorf("tool %q registered twice", t.Def.Name)
	}
	r.tools[t.Def.Name] = t
	return nil
}

// Get returns the tool named name.
func (r *Registry) Get(name string) (Tool, bool) {
	t, ok := r.tools[name]
	return t, ok
}

// Tools returns every tool sorted by name.
func (r *Registry) Tools() []Tool {
	out := make([]Tool, 0, len(r.tools))
	for _, t := range r.tools {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Def.Name < out[j].Def.Name })
	return out
}

// WriteCount is the number of registered write tools.
func (r *Registry) WriteCount() int {
	n := 0
	for _, t := range r.tools {
		if t.Write {
			n++
		}
	}
	return n
}

// filter returns the mcp-go tool filter for a per-caller visible (not nil):
// a tool is shown (and callable) only when the request carries an identity
// and visible admits it. Without an identity nothing is shown: the auth
// middleware guarantees one on every HTTP request, and stdio installs its
// own.
func (r *Registry) filter(visible VisibleFunc) server.ToolFilterFunc {
	return func(ctx context.Context, tools []mcp.Tool) []mcp.Tool {
		id, ok := auth.FromContext(ctx)
		if !ok {
			return nil
		}
		keep := func(m mcp.Tool) bool {
			t, known := r.tools[m.Name]
			return known && visible(ctx, id, t)
		}
		// Copy only when something is hidden: this runs on every tools/call.
		for i, m := range tools {
			if !keep(m) {
				out := slices.Clone(tools[:i])
				for _, m := range tools[i+1:] {
					if keep(m) {
						out = append(out, m)
					}
				}
				return out
			}
		}
		return tools
	}
}

// WhoamiTool is the built-in diagnostic tool: it returns the caller's
// identity as the auth layer saw it (never the credential).
func WhoamiTool() Tool {
	def := mcp.NewTool("whoami",
		mcp.WithDescription("Show how this MCP server authenticated you: auth mode, subject, client id and scopes."),
		mcp.WithTitleAnnotation("Who am I"),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
		mcp.WithIdempotentHintAnnotation(true),
		mcp.WithOpenWorldHintAnnotation(false),
	)
	c := &whoamiCache{m: map[*auth.Identity]*whoamiRendered{}}
	return Tool{Def: def, Handler: c.whoamiResult}
}

// whoamiCacheMax bounds whoamiCache; it starts over when full.
const whoamiCacheMax = 1024

// whoamiCache keeps whoami's rendered result per identity: the validators
// hand out the same *auth.Identity for every request with the same
// credential, so a client asking again gets the bytes made the first time.
// An entry is reused only when the identity still has the fields it was
// rendered from (a pointer can be reused by a new identity).
type whoamiCache struct {
	mu sync.Mutex
	m  map[*auth.Identity]*whoamiRendered
}

type whoamiRendered struct {
	res     WhoamiResult
	expires time.Time
	text    string          // the JSON, for the text content
	raw     json.RawMessage // the same JSON, for structuredContent
}

// WhoamiResult is the structured result of the whoami tool.
type WhoamiResult struct {
	Mode     string `json:"mode"`
	Subject  string `json:"subject"`
	ClientID string `json:"client_id,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	// IdP is the upstream identity provider the user signed in with
	// (oidcproxy mode: the token's idp claim).
	IdP     string   `json:"idp,omitempty"`
	Scopes  []string `json:"scopes"`
	Expires string   `json:"expires_at,omitempty"`
}

// whoami returns the caller's identity: text content and structured
// content hold the same JSON (a WhoamiResult).
func (c *whoamiCache) whoamiResult(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return mcp.NewToolResultError("no identity on this request"), nil
	}
	c.mu.Lock()
	r := c.m[id]
	c.mu.Unlock()
	if r == nil || !r.renders(id) {
		var err error
		if r, err = renderWhoami(id); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if len(c.m) >= whoamiCacheMax {
			clear(c.m)
		}
		c.m[id] = r
		c.mu.Unlock()
	}
	return &mcp.CallToolResult{
		Content:              []mcp.Content{mcp.TextContent{Type: mcp.ContentTypeText, Text: r.text}},
		RawStructuredContent: r.raw,
	}, nil
}

func whoamiOf(id *auth.Identity) WhoamiResult {
	res := WhoamiResult{Mode: id.Mode, Subject: id.Subject, ClientID: id.ClientID, Issuer: id.Issuer, Scopes: id.Scopes}
	if s, ok := id.Claims["idp"].(string); ok {
		res.IdP = s
	}
	if !id.ExpiresAt.IsZero() {
		res.Expires = id.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	return res
}

func renderWhoami(id *auth.Identity) (*whoamiRendered, error) {
	res := whoamiOf(id)
	b, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("whoami: %w", err)
	}
	return &whoamiRendered{res: res, expires: id.ExpiresAt, text: string(b), raw: b}, nil
}

// renders reports whether r was rendered from id's current fields.
func (r *whoamiRendered) renders(id *auth.Identity) bool {
	idp, _ := id.Claims["idp"].(string)
	return r.res.Mode == id.Mode && r.res.Subject == id.Subject && r.res.ClientID == id.ClientID &&
		r.res.Issuer == id.Issuer && r.res.IdP == idp && r.expires.Equal(id.ExpiresAt) &&
		slices.Equal(r.res.Scopes, id.Scopes) && (r.res.Scopes == nil) == (id.Scopes == nil)
}

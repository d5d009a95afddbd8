package resource

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/jsonguard"
)

// directCalls serves the hottest request of the streamable HTTP transport
// straight from mcp-go's MCPServer.HandleMessage: a tools/call, in an
// established session, of a tool that sends the client nothing while it
// runs. Everything else goes to mcp-go's StreamableHTTPServer (next)
// unchanged.
//
// mcp-go's POST handler decodes every message twice more before
// HandleMessage (for its protocol era and its shape), then starts a
// goroutine and two channels per request so that notifications and server
// requests sent while the message is handled can turn the response into
// an SSE stream. A tools/call that sends neither needs none of it; on this
// path that work is about a fifth of a call's CPU (bench/README.md).
//
// The call is handled exactly as mcp-go's handler would, by the same
// MCPServer, with the same session object and a context carrying the same
// session and protocol versions; the response is the same JSON body with
// the same status and Content-Type. A request takes this path only when
// every condition below holds, and each one is something the fallback
// would otherwise have to decide:
//
//   - POST with Content-Type exactly "application/json";
//   - an MCP-Protocol-Version header naming a supported version older
//     than 2026-07-28 (the session era; later versions have no sessions);
//   - a body the JSON guard parsed as a single message (no batch) with
//     method tools/call, a non-null id and no params._meta (which can
//     declare the 2026-07-28 era or ask for progress notifications);
//   - a registered tool that is not Interactive (Tool.Interactive: a tool
//     that may send the client a request, such as an elicitation, needs
//     the POST's SSE stream);
//   - an Mcp-Session-Id that mcp-go registered for a streamable HTTP
//     session (the session guard in front has already checked that it is
//     bound to the caller; DELETE unregisters it).
//
// What differs, by design: a notification the server sends to the session
// while such a call runs is not turned into an SSE response on this POST;
// it waits in the session's queue for the client's GET stream or its next
// request that mcp-go handles, which the MCP transport allows. mcp-go's
// idle-session timer (WithSessionIdleTTL) is not touched on this path, so
// the server must not set one: session idleness is ours (Sessions).
type directCalls struct {
	mcp      *server.MCPServer
	registry *Registry
	versions []string // the protocol versions the transport advertises
	next     http.Handler

	sessions sync.Map     // session id → server.ClientSession (streamable HTTP only)
	served   atomic.Int64 // calls served directly (metrics, tests)
}

// newDirectCalls wires d to hooks, which must be the MCPServer's, so it
// learns the sessions mcp-go registers and unregisters.
func newDirectCalls(hooks *server.Hooks, reg *Registry) *directCalls {
	d := &directCalls{registry: reg}
	hooks.AddOnRegisterSession(func(_ context.Context, s server.ClientSession) {
		// Only sessions of the streamable HTTP transport; an SSE session
		// id sent as Mcp-Session-Id goes to mcp-go, as before.
		if _, ok := s.(server.SessionWithStreamableHTTPConfig); ok {
			d.sessions.Store(s.SessionID(), s)
		}
	})
	hooks.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) {
		d.sessions.CompareAndDelete(s.SessionID(), s)
	})
	return d
}

// handler returns the /mcp handler: d in front of next (mcp-go's
// streamable HTTP server, whose advertised versions d copies), or next
// alone when on is false.
func (d *directCalls) handler(mcpServer *server.MCPServer, next *server.StreamableHTTPServer, on bool) http.Handler {
	if !on {
		return next
	}
	d.mcp = mcpServer
	d.versions = server.FilterSupportedVersions(next)
	d.next = next
	return d
}

func (d *directCalls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	session, body, ok := d.eligible(r)
	if !ok {
		d.next.ServeHTTP(w, r)
		return
	}
	ctx := d.mcp.WithContext(r.Context(), session)
	ctx = server.WithSupportedProtocolVersions(ctx, d.versions)
	ctx = withRequestHeader(ctx, r.Header)
	d.served.Add(1)
	resp := d.mcp.HandleMessage(ctx, body)
	if resp == nil {
		// A message with both a method and a result is a response to
		// mcp-go (it answers nothing), as on its own path.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if r.Context().Err() != nil {
		return // the client is gone; mcp-go writes nothing either
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if writeToolResponse(w, resp) {
		return
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// writeToolResponse writes a tools/call result response exactly as
// json.NewEncoder(w).Encode(resp) writes it (what mcp-go's handler sends),
// without encoding/json's second pass over the result: encoding/json
// re-validates and compacts the output of every json.Marshaler, and a
// CallToolResult's MarshalJSON output is already compact and escaped
// (json.Marshal made it), so that pass changes nothing and costs a scan of
// every byte. It writes nothing and reports false for any other response,
// which the caller encodes the usual way.
func writeToolResponse(w io.Writer, resp mcp.JSONRPCMessage) bool {
	id, result, ok := toolResponseParts(resp)
	if !ok {
		return false
	}
	for _, part := range [...][]byte{responsePrefix, id, responseMiddle, result, responseSuffix} {
		if _, err := w.Write(part); err != nil {
			break // the client is gone; mcp-go ignores this error too
		}
	}
	return true
}

var (
	responsePrefix = []byte(`{"jsonrpc":"2.0","id":`)
	responseMiddle = []byte(`,"result":`)
	responseSuffix = []byte("}\n")
)

// toolResponseParts returns the encoded id and result of a tools/call
// result response; ok is false for any other message.
func toolResponseParts(resp mcp.JSONRPCMessage) (id, result []byte, ok bool) {
	r, ok := resp.(mcp.JSONRPCResponse)
	if !ok || r.JSONRPC != mcp.JSONRPC_VERSION {
		return nil, nil, false
	}
	var err error
	switch res := r.Result.(type) {
	case *mcp.CallToolResult:
		if res == nil {
			return nil, nil, false
		}
		result, err = res.MarshalJSON()
	case mcp.CallToolResult:
		result, err = res.MarshalJSON()
	default:
		return nil, nil, false
	}
	if err != nil {
		return nil, nil, false
	}
	if id, err = json.Marshal(r.ID); err != nil {
		return nil, nil, false
	}
	return id, result, true
}

// eligible reports whether r takes the direct path, with its session and
// body.
func (d *directCalls) eligible(r *http.Request) (server.ClientSession, []byte, bool) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		return nil, nil, false
	}
	if v := r.Header.Get(mcp.HeaderProtocolVersion); v == "" || mcp.IsModernProtocol(v) || !mcp.IsValidProtocolVersion(v) {
		return nil, nil, false
	}
	c, body, ok := jsonguard.MessageFromContext(r.Context())
	if !ok || c.Method != string(mcp.MethodToolsCall) || !c.ID || c.Meta {
		return nil, nil, false
	}
	if t, known := d.registry.Get(c.Name); !known || t.Interactive {
		return nil, nil, false
	}
	s, ok := d.sessions.Load(r.Header.Get(server.HeaderKeySessionID))
	if !ok {
		return nil, nil, false
	}
	return s.(server.ClientSession), body, true
}

type requestHeaderKey struct{}

// withRequestHeader keeps the HTTP request header for the tool handlers:
// mcp-go's own path hands it to them in CallToolRequest.Header through a
// context key of its own, which the direct path cannot set; the registry's
// handler wrapper (wrapHandler) fills it in from this one.
func withRequestHeader(ctx context.Context, h http.Header) context.Context {
	return context.WithValue(ctx, requestHeaderKey{}, h)
}

// wrapHandler wraps every tool handler: it refuses a call without an
// identity (see NewMCPServer) and makes CallToolRequest.Header the HTTP
// request header on the direct path too.
func wrapHandler(h server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if _, ok := auth.FromContext(ctx); !ok {
			return mcp.NewToolResultError("no identity on this request"), nil
		}
		if len(req.Header) == 0 {
			if hdr, ok := ctx.Value(requestHeaderKey{}).(http.Header); ok {
				req.Header = hdr
			}
		}
		return h(ctx, req)
	}
}

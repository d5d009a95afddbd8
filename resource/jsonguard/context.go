package jsonguard

import (
	"context"
	"slices"
)

// Call summarises one JSON-RPC message of a request body, as mcp-go will
// read it.
type Call struct {
	// Method is the JSON-RPC method ("tools/call", ...); "" for a response
	// or a message without one.
	Method string
	// Name is params.name for tools/call and prompts/get, params.uri for
	// resources/read, "" otherwise.
	Name string
	// ID reports an id member that is not null: a request, or a response
	// when Method is "".
	ID bool
	// Meta reports a params._meta member (any value).
	Meta bool
}

type callsKey struct{}

// parsed is what Middleware stores in the request context.
type parsed struct {
	calls []Call
	batch bool
	body  []byte
}

// WithCalls returns a copy of ctx carrying calls. Middleware calls it; tests
// of later middlewares may too.
func WithCalls(ctx context.Context, calls []Call) context.Context {
	return context.WithValue(ctx, callsKey{}, &parsed{calls: slices.Clone(calls)})
}

// CallsFromContext returns the messages Middleware parsed from the request
// body (one per batch element; read-only, shared by the request's handlers)
// and whether Middleware parsed a body at all.
// ok is false for GET, DELETE and empty bodies, and when the middleware is
// not mounted: a check that depends on the tool name must then refuse
// rather than assume there is none.
func CallsFromContext(ctx context.Context) (calls []Call, ok bool) {
	p, ok := ctx.Value(callsKey{}).(*parsed)
	if !ok {
		return nil, false
	}
	return p.calls, true
}

// MessageFromContext returns the single message of a body Middleware parsed
// and the body itself (read-only, shared by the request's handlers; r.Body
// replays the same bytes). ok is false when no body was parsed and for a
// batch, even of one message.
func MessageFromContext(ctx context.Context) (c Call, body []byte, ok bool) {
	p, ok := ctx.Value(callsKey{}).(*parsed)
	if !ok || p.batch || len(p.calls) != 1 {
		return Call{}, nil, false
	}
	return p.calls[0], p.body, true
}

// Calls returns the messages Middleware parsed from the request body, or
// nil; see CallsFromContext to tell "no body" from "not parsed".
func Calls(ctx context.Context) []Call {
	calls, _ := CallsFromContext(ctx)
	return calls
}

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
}

type callsKey struct{}

// WithCalls returns a copy of ctx carrying calls. Middleware calls it; tests
// of later middlewares may too.
func WithCalls(ctx context.Context, calls []Call) context.Context {
	return context.WithValue(ctx, callsKey{}, slices.Clone(calls))
}

// CallsFromContext returns the messages Middleware parsed from the request
// body (one per batch element; read-only, shared by the request's handlers)
// and whether Middleware parsed a body at all.
// ok is false for GET, DELETE and empty bodies, and when the middleware is
// not mounted: a check that depends on the tool name must then refuse
// rather than assume there is none.
func CallsFromContext(ctx context.Context) (calls []Call, ok bool) {
	calls, ok = ctx.Value(callsKey{}).([]Call)
	return calls, ok
}

// Calls returns the messages Middleware parsed from the request body, or
// nil; see CallsFromContext to tell "no body" from "not parsed".
func Calls(ctx context.Context) []Call {
	calls, _ := CallsFromContext(ctx)
	return calls
}

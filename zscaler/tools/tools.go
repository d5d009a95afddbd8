// Package tools is the catalogue of Zscaler MCP tools: one [Spec] per tool,
// grouped by service (zia, zpa, zdx, zcc, zidentity) and toolset, each read,
// write or delete, turned into resource.Tool values by [Build].
//
// Naming is <service>_<verb>_<object> (zpa_list_application_segments).
// Each service's tools live in their own file (zia.go, zpa.go, ...).
package tools

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource"
	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// Kind says what a tool does to the tenant.
type Kind int

const (
	// Read tools only read (readOnlyHint).
	Read Kind = iota
	// Write tools create or change objects (need zscaler.write).
	Write
	// Delete tools remove objects (need zscaler.write and a confirmation).
	Delete
)

func (k Kind) String() string {
	switch k {
	case Write:
		return "write"
	case Delete:
		return "delete"
	}
	return "read"
}

// Spec describes one tool.
type Spec struct {
	// Name is <service>_<verb>_<object>.
	Name string
	// Title is a short human title (the MCP title annotation).
	Title string
	// Description tells an agent what the tool does and returns.
	Description string
	// Service is the service code: zia, zpa, zdx, zcc, zidentity.
	Service string
	// Toolset groups related tools of a service, <service>_<area>
	// (e.g. zia_url_filtering); selection flags pick toolsets.
	Toolset string
	// Kind is read, write or delete.
	Kind Kind
	// Idempotent marks write tools that can be repeated safely (updates).
	Idempotent bool
	// Params are the input schema options (mcp.WithString(..., mcp.Required()), ...).
	Params []mcp.ToolOption
	// ArgsConverted marks tools whose Run reads its arguments through
	// converting accessors that check each value themselves (the ZIA and
	// ZCC tools' ziaArgs: digit strings as integers, null as absent,
	// trimmed strings). Before Run, the handler then checks only the
	// argument names against the schema; otherwise it checks the values
	// too (see checkArgs).
	ArgsConverted bool
	// Run calls the API and returns the JSON-serialisable result. It runs
	// only on arguments checkArgs accepted. An *ArgError or
	// *zscaler.APIError becomes an isError result.
	Run func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error)
}

// Write reports whether the tool changes state.
func (s Spec) Write() bool { return s.Kind != Read }

// ArgError is an invalid tool argument.
type ArgError struct{ Msg string }

func (e *ArgError) Error() string { return "invalid arguments: " + e.Msg }

// Argf returns an *ArgError.
func Argf(format string, args ...any) error { return &ArgError{Msg: fmt.Sprintf(format, args...)} }

// All returns every tool of the catalogue, sorted by name.
func All() []Spec {
	var out []Spec
	for _, f := range []func() []Spec{ziaSpecs, zpaSpecs, zdxSpecs, zccSpecs, zidentitySpecs} {
		out = append(out, f()...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Middleware wraps a tool's handler; gating (delete confirmations) plugs in here.
type Middleware func(s Spec, next server.ToolHandlerFunc) server.ToolHandlerFunc

// Build turns specs into resource tools calling c, each handler wrapped by
// mw (outermost first).
func Build(specs []Spec, c *zscaler.Client, mw ...Middleware) []resource.Tool {
	out := make([]resource.Tool, 0, len(specs))
	for _, s := range specs {
		h := handler(s, c)
		for i := len(mw) - 1; i >= 0; i-- {
			h = mw[i](s, h)
		}
		// Delete tools may ask the human to confirm (an elicitation).
		out = append(out, resource.Tool{Def: s.Def(), Handler: h, Service: s.Service, Toolset: s.Toolset, Write: s.Write(), Interactive: s.Kind == Delete})
	}
	return out
}

// Def is the MCP definition: name, description, schema (which refuses
// arguments it does not declare) and annotations.
func (s Spec) Def() mcp.Tool {
	opts := []mcp.ToolOption{
		mcp.WithDescription(s.Description),
		mcp.WithTitleAnnotation(s.Title),
		mcp.WithReadOnlyHintAnnotation(s.Kind == Read),
		mcp.WithDestructiveHintAnnotation(s.Kind == Delete),
		mcp.WithIdempotentHintAnnotation(s.Kind == Read || s.Kind == Delete || s.Idempotent),
		mcp.WithOpenWorldHintAnnotation(true),
	}
	opts = append(opts, s.Params...)
	return mcp.NewTool(s.Name, append(opts, mcp.WithSchemaAdditionalProperties(false))...)
}

// handler checks each call's arguments against the schema of s.Def()
// (checkArgs), then runs s.
func handler(s Spec, c *zscaler.Client) server.ToolHandlerFunc {
	schema := s.Def().InputSchema
	accepted := argNames(schema)
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if err := checkArgs(s, schema, accepted, req.Params.Arguments); err != nil {
			return ErrorResult(err), nil
		}
		v, err := s.Run(ctx, c, req)
		if err != nil {
			return ErrorResult(err), nil
		}
		return mcp.NewToolResultJSON(v)
	}
}

// ErrorResult turns an error into an isError tool result that says what
// went wrong: the API's status and message, or the invalid argument.
func ErrorResult(err error) *mcp.CallToolResult {
	var ae *zscaler.APIError
	var arg *ArgError
	switch {
	case errors.As(err, &arg):
		return mcp.NewToolResultError(arg.Error())
	case errors.As(err, &ae):
		return mcp.NewToolResultError(ae.Error())
	}
	return mcp.NewToolResultError(err.Error())
}

package tools

import (
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// zpaArgs reads the arguments of a call that the framework already checked
// against the schema, so the getters only apply defaults. It serves the
// zpa, zdx and zidentity tools.
type zpaArgs map[string]any

func zpaArgsOf(req mcp.CallToolRequest) zpaArgs { return zpaArgs(req.GetArguments()) }

func (a zpaArgs) has(name string) bool { _, ok := a[name]; return ok }

func (a zpaArgs) str(name string) string { s, _ := a[name].(string); return s }

func (a zpaArgs) strOr(name, def string) string {
	if s, ok := a[name].(string); ok {
		return s
	}
	return def
}

func (a zpaArgs) boolOr(name string, def bool) bool {
	if b, ok := a[name].(bool); ok {
		return b
	}
	return def
}

func (a zpaArgs) intOr(name string, def int) int {
	if f, ok := argNum(a[name]); ok {
		return int(f)
	}
	return def
}

func (a zpaArgs) strs(name string) []string {
	l, _ := a[name].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// maxItems is the max_items argument of list tools.
func (a zpaArgs) maxItems() int { return a.intOr("max_items", zscaler.DefaultMaxItems) }

// zpaIDPattern is the pattern of ZPA (and ZIdentity-style) numeric ids,
// which are JSON strings because they exceed a float64's exact range.
const zpaIDPattern = `^[0-9]{1,20}$`

// zpaIDParam is a required numeric id string argument.
func zpaIDParam(name, what string) mcp.ToolOption {
	return mcp.WithString(name, mcp.Required(), mcp.Pattern(zpaIDPattern),
		mcp.Description("The "+what+" id: a numeric string such as \"216196257331291961\" (from the matching list tool). Pass it as a string: ZPA ids are too large for JSON numbers."))
}

// zpaMaxItemsParam is the max_items argument of list tools.
func zpaMaxItemsParam() mcp.ToolOption {
	return mcp.WithInteger("max_items", mcp.Min(1), mcp.Max(zscaler.DefaultMaxItems),
		mcp.Description("Stop after this many items (default and maximum "+strconv.Itoa(zscaler.DefaultMaxItems)+"); the answer's truncated flag says when more exist."))
}

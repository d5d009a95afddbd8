package resource

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
	"github.com/zscalermcp/zscaler-mcp/resource/jsonguard"
)

// refuseHidden adds to hooks the mcp-go hook that refuses a tools/call of a
// registered tool the caller's filter hides, with a JSON-RPC error saying
// why, before mcp-go's own filter would answer the vaguer "tool not found".
// The filter stays the enforcement; this only makes the refusal clear.
// Nothing is added without a VisibleFunc.
func refuseHidden(hooks *server.Hooks, reg *Registry, visible VisibleFunc, reason func(*auth.Identity, Tool) string) {
	if visible == nil {
		return
	}
	hooks.AddOnRequestInitialization(func(ctx context.Context, _ any, message any) error {
		name, ok := toolCallName(ctx, message)
		if !ok {
			return nil
		}
		t, known := reg.Get(name)
		if !known {
			return nil
		}
		id, _ := auth.FromContext(ctx)
		if id == nil || visible(ctx, id, t) {
			return nil
		}
		why := "it is not available with your credential"
		if reason != nil {
			why = reason(id, t)
		}
		return fmt.Errorf("tool %q is hidden from this caller: %s", name, why)
	})
}

// toolCallName is the tool a tools/call message names. The JSON guard has
// already parsed a single message (and refused duplicate or case-variant
// keys, so this reading agrees with mcp-go's); a batch is parsed here.
func toolCallName(ctx context.Context, message any) (string, bool) {
	if calls, ok := jsonguard.CallsFromContext(ctx); ok && len(calls) == 1 {
		c := calls[0]
		return c.Name, c.Method == string(mcp.MethodToolsCall)
	}
	raw, ok := message.(json.RawMessage)
	if !ok {
		return "", false
	}
	var m struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Method != string(mcp.MethodToolsCall) {
		return "", false
	}
	return m.Params.Name, true
}

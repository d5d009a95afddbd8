package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/zscalermcp/zscaler-mcp/resource/auth"
)

// confirmInputID keys the elicitation in a multi round-trip tools/call.
const confirmInputID = "confirm_delete"

// Confirmer makes delete tools ask before they delete. Its Middleware
// wraps every Kind Delete tool:
//
//   - When the client declared the elicitation capability, the human is
//     asked (elicitation/create, or the input_required round trip of
//     protocol 2026-07-28) with a message naming the tool and the object;
//     only an accept carrying confirm=true proceeds. Decline, cancel, no
//     answer within the TTL or any error fails closed with an isError
//     result.
//   - Otherwise the first call deletes nothing and returns (not as an
//     error) a single-use confirmation token bound to the tool, the caller
//     and the exact arguments; the agent repeats the call with the same
//     arguments plus confirmation_token to delete.
type Confirmer struct {
	tokens *tokens
	ttl    time.Duration
}

// NewConfirmer returns a Confirmer whose tokens and elicitations live for
// ttl (≤ 0: DefaultConfirmationTTL), under a fresh random key.
func NewConfirmer(ttl time.Duration) (*Confirmer, error) {
	return newConfirmer(ttl, time.Now)
}

func newConfirmer(ttl time.Duration, now func() time.Time) (*Confirmer, error) {
	if ttl <= 0 {
		ttl = DefaultConfirmationTTL
	}
	t, err := newTokens(ttl, now)
	if err != nil {
		return nil, err
	}
	return &Confirmer{tokens: t, ttl: ttl}, nil
}

// WithConfirmationParam returns specs with the optional confirmation_token
// string parameter added to the input schema of every delete tool (the
// other specs are returned unchanged; specs itself is not modified).
func WithConfirmationParam(specs []Spec) []Spec {
	out := slices.Clone(specs)
	for i, s := range out {
		if s.Kind != Delete {
			continue
		}
		s.Params = append(slices.Clone(s.Params), mcp.WithString(ConfirmationArg,
			mcp.Description("Leave out on the first call. If the result says a confirmation is needed, call again with exactly the same arguments plus this token (single use, expires).")))
		out[i] = s
	}
	return out
}

// ConfirmationRequired is the structured result of a delete call that
// needs the agent to confirm with a token.
type ConfirmationRequired struct {
	ConfirmationRequired bool           `json:"confirmation_required"`
	Tool                 string         `json:"tool"`
	Arguments            map[string]any `json:"arguments"`
	ConfirmationToken    string         `json:"confirmation_token"`
	ExpiresAt            string         `json:"expires_at"`
	Message              string         `json:"message"`
}

// Middleware is the tools.Middleware that gates Kind Delete tools; other
// kinds pass through untouched.
func (c *Confirmer) Middleware(s Spec, next server.ToolHandlerFunc) server.ToolHandlerFunc {
	if s.Kind != Delete {
		return next
	}
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		raw := req.Params.RawArguments
		if len(raw) == 0 && req.Params.Arguments != nil {
			b, err := json.Marshal(req.Params.Arguments)
			if err != nil {
				return ErrorResult(Argf("arguments must be a JSON object")), nil
			}
			raw = b
		}
		canon, argsNum, tok, err := splitConfirmation(raw)
		if err != nil {
			return ErrorResult(err), nil
		}
		// The tool runs on the arguments without the token.
		run := func() (*mcp.CallToolResult, error) {
			r := req
			r.Params.RawArguments = canon
			plain := map[string]any{}
			if err := json.Unmarshal(canon, &plain); err != nil {
				return ErrorResult(fmt.Errorf("arguments: %w", err)), nil
			}
			r.Params.Arguments = plain
			return next(ctx, r)
		}
		caller := callerKey(ctx)
		if tok != "" {
			if err := c.tokens.redeem(tok, s.Name, caller, canon); err != nil {
				return mcp.NewToolResultError(fmt.Sprintf("%s: nothing was deleted: %v; call %s again without %s to get a new token", s.Name, err, s.Name, ConfirmationArg)), nil
			}
			return run()
		}
		msg := confirmMessage(s, argsNum)
		if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
			if info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil {
				return c.roundTrip(ctx, s, req, caller, canon, msg, run)
			}
		} else if canElicit(ctx) {
			return c.elicit(ctx, s, msg, run)
		}
		t, exp, err := c.tokens.issue(s.Name, caller, canon)
		if err != nil {
			return ErrorResult(err), nil
		}
		text := fmt.Sprintf("Confirmation needed: nothing was deleted. %s To delete, call %s again with exactly the same arguments plus %q: %q (single use, valid until %s). Ask the user first if they have not already agreed to this deletion.",
			msg, s.Name, ConfirmationArg, t, exp.UTC().Format(time.RFC3339))
		return mcp.NewToolResultStructured(ConfirmationRequired{
			ConfirmationRequired: true, Tool: s.Name, Arguments: argsNum, ConfirmationToken: t,
			ExpiresAt: exp.UTC().Format(time.RFC3339), Message: text,
		}, text), nil
	}
}

// elicit asks the human through a server-initiated elicitation/create
// (protocol revisions before 2026-07-28) and runs the tool only on an
// explicit confirmation.
func (c *Confirmer) elicit(ctx context.Context, s Spec, msg string, run func() (*mcp.CallToolResult, error)) (*mcp.CallToolResult, error) {
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return mcp.NewToolResultError(s.Name + ": nothing was deleted: could not ask the user to confirm (no MCP server in context)"), nil
	}
	ectx, cancel := context.WithTimeout(ctx, c.ttl)
	defer cancel()
	res, err := srv.RequestElicitation(ectx, mcp.ElicitationRequest{
		Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
		Params:  elicitParams(msg),
	})
	if err != nil {
		why := "the confirmation request failed"
		if errors.Is(ectx.Err(), context.DeadlineExceeded) {
			why = "no answer within " + c.ttl.String()
		}
		return mcp.NewToolResultError(fmt.Sprintf("%s: nothing was deleted: the user did not confirm (%s)", s.Name, why)), nil
	}
	if refusal := confirmed(res); refusal != "" {
		return mcp.NewToolResultError(fmt.Sprintf("%s: nothing was deleted: %s", s.Name, refusal)), nil
	}
	return run()
}

// roundTrip asks the human through an input_required result (protocol
// 2026-07-28 and later). The request state is a token bound to the tool,
// caller and arguments, spent when the answer comes back, so an answer
// cannot be replayed or applied to other arguments, and it is never a
// valid confirmation_token.
func (c *Confirmer) roundTrip(ctx context.Context, s Spec, req mcp.CallToolRequest, caller string, canon []byte, msg string, run func() (*mcp.CallToolResult, error)) (*mcp.CallToolResult, error) {
	stateTool := "elicit:" + s.Name
	answer := server.ElicitationResponse(req.Params.InputResponses, confirmInputID)
	if answer == nil && req.Params.RequestState == "" {
		state, _, err := c.tokens.issue(stateTool, caller, canon)
		if err != nil {
			return ErrorResult(err), nil
		}
		return server.NewInputRequestBuilder(state).Elicit(confirmInputID, elicitParams(msg)).ToolResult(), nil
	}
	if err := c.tokens.redeem(req.Params.RequestState, stateTool, caller, canon); err != nil {
		return mcp.NewToolResultError(fmt.Sprintf("%s: nothing was deleted: the confirmation round trip is not valid: %v", s.Name, err)), nil
	}
	if refusal := confirmed(answer); refusal != "" {
		return mcp.NewToolResultError(fmt.Sprintf("%s: nothing was deleted: %s", s.Name, refusal)), nil
	}
	return run()
}

// confirmed returns "" for an accept with confirm=true, else why not.
func confirmed(res *mcp.ElicitationResult) string {
	if res == nil {
		return "the user did not answer the confirmation"
	}
	switch res.Action {
	case mcp.ElicitationResponseActionAccept:
	case mcp.ElicitationResponseActionDecline:
		return "the user declined the deletion"
	case mcp.ElicitationResponseActionCancel:
		return "the user cancelled the confirmation"
	default:
		return fmt.Sprintf("unexpected confirmation answer %q", res.Action)
	}
	m, _ := res.Content.(map[string]any)
	if v, _ := m["confirm"].(bool); !v {
		return "the user did not tick confirm"
	}
	return ""
}

func elicitParams(msg string) mcp.ElicitationParams {
	return mcp.ElicitationParams{
		Message: msg + " This cannot be undone.",
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"confirm": map[string]any{
					"type": "boolean", "title": "Delete",
					"description": "Set to true to delete; anything else cancels.",
				},
			},
			"required": []string{"confirm"},
		},
	}
}

// confirmMessage names the tool and the object it would delete.
func confirmMessage(s Spec, args map[string]any) string {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v, _ := json.Marshal(args[k])
		parts = append(parts, k+"="+string(v))
	}
	what := s.Title
	if what == "" {
		what = s.Name
	}
	obj := "(no arguments)"
	if len(parts) > 0 {
		obj = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%s (tool %s, %s service): %s.", what, s.Name, strings.ToUpper(s.Service), obj)
}

// splitConfirmation parses the raw arguments into their canonical JSON
// without the token, the decoded arguments (numbers as json.Number) and the
// token itself ("" if absent).
func splitConfirmation(raw []byte) (canon []byte, args map[string]any, tok string, err error) {
	var probe map[string]json.RawMessage
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, nil, "", Argf("arguments must be a JSON object")
		}
	}
	if t, ok := probe[ConfirmationArg]; ok {
		if err := json.Unmarshal(t, &tok); err != nil || tok == "" {
			return nil, nil, "", Argf("%s must be a non-empty string", ConfirmationArg)
		}
	}
	canon, args, err = canonicalArgs(raw)
	if err != nil {
		return nil, nil, "", Argf("%v", err)
	}
	return canon, args, tok, nil
}

// canElicit reports whether the session's client declared the elicitation
// capability at initialize and its transport can carry the question
// (mcp-go's legacy SSE sessions cannot: those clients get a token).
func canElicit(ctx context.Context) bool {
	sess := server.ClientSessionFromContext(ctx)
	if _, ok := sess.(server.SessionWithElicitation); !ok {
		return false
	}
	s, ok := sess.(server.SessionWithClientInfo)
	return ok && s.GetClientCapabilities().Elicitation != nil
}

// callerKey binds tokens to the caller, so one caller's token is useless
// to another.
func callerKey(ctx context.Context) string {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return ""
	}
	return id.Mode + "\x00" + id.Issuer + "\x00" + id.Subject
}

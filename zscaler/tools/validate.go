package tools

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// zpaStrict returns s with additionalProperties false in its schema and a
// Run that first checks the call's arguments against the schema built from
// s.Params: unknown names, missing required ones, JSON types, enums,
// patterns, lengths, bounds and array items. Every failure is an *ArgError
// naming the argument, so an agent can correct its call, and Run only ever
// sees well-typed arguments. It serves the zpa, zdx and zidentity tools.
func zpaStrict(s Spec) Spec {
	s.Params = append(slices.Clip(s.Params), mcp.WithSchemaAdditionalProperties(false))
	schema := s.Def().InputSchema
	run := s.Run
	s.Run = func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
		if raw := req.Params.Arguments; raw != nil {
			if _, ok := raw.(map[string]any); !ok {
				return nil, Argf("arguments must be a JSON object, not %s", argJSONType(raw))
			}
		}
		if err := checkArgs(schema, req.GetArguments()); err != nil {
			return nil, err
		}
		return run(ctx, c, req)
	}
	return s
}

func checkArgs(schema mcp.ToolInputSchema, args map[string]any) error {
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		prop, ok := schema.Properties[k].(map[string]any)
		if !ok {
			known := make([]string, 0, len(schema.Properties))
			for p := range schema.Properties {
				known = append(known, p)
			}
			sort.Strings(known)
			return Argf("unknown argument %q (this tool takes: %s)", k, strings.Join(known, ", "))
		}
		if err := checkValue(k, prop, args[k]); err != nil {
			return err
		}
	}
	for _, r := range schema.Required {
		if _, ok := args[r]; !ok {
			return Argf("%s is required", r)
		}
	}
	return nil
}

func checkValue(name string, prop map[string]any, v any) error {
	switch prop["type"] {
	case "string":
		s, ok := v.(string)
		if !ok {
			return Argf("%s must be a string, not %s", name, argJSONType(v))
		}
		return checkString(name, prop, s)
	case "integer", "number":
		f, ok := argNum(v)
		if !ok {
			return Argf("%s must be a number, not %s", name, argJSONType(v))
		}
		if prop["type"] == "integer" && f != math.Trunc(f) {
			return Argf("%s must be an integer, not %v", name, f)
		}
		if m, ok := argNum(prop["minimum"]); ok && f < m {
			return Argf("%s must be at least %v, not %v", name, m, f)
		}
		if m, ok := argNum(prop["maximum"]); ok && f > m {
			return Argf("%s must be at most %v, not %v", name, m, f)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return Argf("%s must be true or false, not %s", name, argJSONType(v))
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			return Argf("%s must be an array, not %s", name, argJSONType(v))
		}
		if m, ok := argNum(prop["minItems"]); ok && float64(len(l)) < m {
			return Argf("%s must have at least %v item(s)", name, m)
		}
		if m, ok := argNum(prop["maxItems"]); ok && float64(len(l)) > m {
			return Argf("%s must have at most %v item(s)", name, m)
		}
		if items, ok := prop["items"].(map[string]any); ok {
			for i, it := range l {
				if err := checkValue(fmt.Sprintf("%s[%d]", name, i), items, it); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkString(name string, prop map[string]any, s string) error {
	if enum, ok := prop["enum"].([]string); ok && !slices.Contains(enum, s) {
		return Argf("%s must be one of %s, not %q", name, strings.Join(enum, ", "), s)
	}
	if m, ok := argNum(prop["minLength"]); ok && float64(len([]rune(s))) < m {
		return Argf("%s must be at least %v character(s) long", name, m)
	}
	if m, ok := argNum(prop["maxLength"]); ok && float64(len([]rune(s))) > m {
		return Argf("%s must be at most %v characters long", name, m)
	}
	if p, ok := prop["pattern"].(string); ok {
		re, err := regexp.Compile(p)
		if err != nil {
			return fmt.Errorf("tool schema: %s: bad pattern %q: %w", name, p, err)
		}
		if !re.MatchString(s) {
			return Argf("%s %q does not match %s", name, s, p)
		}
	}
	return nil
}

func argNum(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func argJSONType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64, int, int64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

package tools

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// checkArgs checks a call's arguments against the tool's input schema
// before Run sees them, and returns an *ArgError naming the argument, so an
// agent can correct its call:
//
//   - every tool refuses arguments its schema does not declare (the schema
//     says additionalProperties false), listing the accepted ones;
//   - unless the spec sets ArgsConverted, the values are checked too: the
//     arguments must be a JSON object, required ones present, and each one
//     of its JSON type, within its enum, pattern, lengths and bounds, array
//     items included. Run then only ever sees well-typed arguments.
//
// raw is the call's arguments as decoded (req.Params.Arguments).
func checkArgs(s Spec, schema mcp.ToolInputSchema, accepted []string, raw any) error {
	args, isObject := raw.(map[string]any)
	if !isObject && raw != nil && !s.ArgsConverted {
		return Argf("arguments must be a JSON object, not %s", argJSONType(raw))
	}
	var unknown []string
	for name := range args {
		if !slices.Contains(accepted, name) {
			unknown = append(unknown, strconv.Quote(name))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		if len(accepted) == 0 {
			return Argf("unknown argument %s: %s takes no arguments", strings.Join(unknown, ", "), s.Name)
		}
		return Argf("unknown argument %s: %s accepts %s", strings.Join(unknown, ", "), s.Name, strings.Join(accepted, ", "))
	}
	if s.ArgsConverted {
		return nil
	}
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		prop, _ := schema.Properties[k].(map[string]any)
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

// argNames returns the sorted names of the schema's properties.
func argNames(schema mcp.ToolInputSchema) []string {
	names := make([]string, 0, len(schema.Properties))
	for p := range schema.Properties {
		names = append(names, p)
	}
	slices.Sort(names)
	return names
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

package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// Helpers shared by the ZIA and ZCC tools (zia.go, zia_*.go, zcc.go). Every
// identifier is prefixed zia so it cannot collide with the other services'
// files in this package.

// ziaMaxPageSize is the largest page ZIA list APIs serve (zscaler-sdk-go
// zia/services/common: defaultPageSize 1000); the tools ask for full pages.
const ziaMaxPageSize = 1000

// ziaArgs reads tool arguments strictly: a wrong type or an out-of-range
// value is an *ArgError naming the argument, never a silent default. The
// framework has already refused unknown argument names; ZIA and ZCC specs
// set ArgsConverted (ziaConverted), so the value checks are these
// accessors', which also convert (digit strings as integers, null as
// absent, trimmed strings).
type ziaArgs struct{ m map[string]any }

func ziaArgsOf(req mcp.CallToolRequest) ziaArgs {
	m := req.GetArguments()
	if m == nil {
		m = map[string]any{}
	}
	return ziaArgs{m: m}
}

// has reports whether the argument was given (and is not null).
func (a ziaArgs) has(name string) bool {
	v, ok := a.m[name]
	return ok && v != nil
}

// str returns a string argument; required means it must be present and not blank.
func (a ziaArgs) str(name string, required bool) (string, error) {
	v, ok := a.m[name]
	if !ok || v == nil {
		if required {
			return "", Argf("%s is required", name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", Argf("%s must be a string", name)
	}
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", Argf("%s must not be empty", name)
	}
	return s, nil
}

// enum returns a string argument that must be one of values (or absent when
// not required).
func (a ziaArgs) enum(name string, required bool, values ...string) (string, error) {
	s, err := a.str(name, required)
	if err != nil || s == "" {
		return s, err
	}
	if !slices.Contains(values, s) {
		return "", Argf("%s must be one of %s, got %q", name, strings.Join(values, ", "), s)
	}
	return s, nil
}

// ziaMaxExactInt is the largest integer a JSON number (a float64) carries
// exactly; ZIA ids are far below it.
const ziaMaxExactInt = 1 << 53

// int returns an integer argument within [lo, hi]; def when absent and not
// required. Whole JSON numbers and digit strings are accepted.
func (a ziaArgs) int(name string, required bool, def, lo, hi int) (int, error) {
	v, ok := a.m[name]
	if !ok || v == nil {
		if required {
			return 0, Argf("%s is required", name)
		}
		return def, nil
	}
	var n int
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > ziaMaxExactInt {
			return 0, Argf("%s must be a whole number", name)
		}
		n = int(x)
	case int:
		n = x
	case int64:
		n = int(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return 0, Argf("%s must be a whole number", name)
		}
		n = int(i)
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return 0, Argf("%s must be a whole number", name)
		}
		n = i
	default:
		return 0, Argf("%s must be a whole number", name)
	}
	if n < lo || n > hi {
		return 0, Argf("%s must be between %d and %d, got %d", name, lo, hi, n)
	}
	return n, nil
}

// id returns the required positive integer id argument.
func (a ziaArgs) id(name string) (int, error) { return a.int(name, true, 0, 1, ziaMaxExactInt) }

// bool returns a boolean argument, def when absent.
func (a ziaArgs) bool(name string, def bool) (bool, error) {
	v, ok := a.m[name]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, Argf("%s must be true or false", name)
	}
	return b, nil
}

// strs returns a string-array argument; when values is not empty every
// element must be one of them. Blank elements are rejected.
func (a ziaArgs) strs(name string, values ...string) ([]string, error) {
	v, ok := a.m[name]
	if !ok || v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, Argf("%s must be an array of strings", name)
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return nil, Argf("%s[%d] must be a non-empty string", name, i)
		}
		s = strings.TrimSpace(s)
		if len(values) > 0 && !slices.Contains(values, s) {
			return nil, Argf("%s[%d] must be one of %s, got %q", name, i, strings.Join(values, ", "), s)
		}
		out = append(out, s)
	}
	return out, nil
}

// idRefs returns an integer-array argument as ZIA {"id": n} references.
func (a ziaArgs) idRefs(name string) ([]map[string]any, error) {
	v, ok := a.m[name]
	if !ok || v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, Argf("%s must be an array of ids", name)
	}
	out := make([]map[string]any, 0, len(arr))
	for i, e := range arr {
		f, ok := e.(float64)
		if !ok || f != math.Trunc(f) || f < 1 || f > ziaMaxExactInt {
			return nil, Argf("%s[%d] must be a positive whole number", name, i)
		}
		out = append(out, map[string]any{"id": int64(f)})
	}
	return out, nil
}

// ziaListOpts are the arguments every paged list tool shares.
type ziaListOpts struct {
	maxItems, pageSize int
	search             string
}

// ziaListParams are the schema options of ziaListOpts. searchHelp says what
// search matches.
func ziaListParams(searchHelp string, maxPage int) []mcp.ToolOption {
	return []mcp.ToolOption{
		mcp.WithString("search", mcp.Description(searchHelp)),
		mcp.WithInteger("max_items", mcp.Min(1), mcp.Max(zscaler.DefaultMaxItems),
			mcp.Description(fmt.Sprintf("Stop after this many items (default and maximum %d); the result says truncated=true when more exist.", zscaler.DefaultMaxItems))),
		mcp.WithInteger("page_size", mcp.Min(1), mcp.Max(maxPage),
			mcp.Description(fmt.Sprintf("Items per API request while paging (default %d, the API maximum). Lower it only to make each API call smaller.", maxPage))),
	}
}

func (a ziaArgs) listOpts(maxPage int) (ziaListOpts, error) {
	var o ziaListOpts
	var err error
	if o.search, err = a.str("search", false); err != nil {
		return o, err
	}
	if o.maxItems, err = a.int("max_items", false, zscaler.DefaultMaxItems, 1, zscaler.DefaultMaxItems); err != nil {
		return o, err
	}
	if o.pageSize, err = a.int("page_size", false, maxPage, 1, maxPage); err != nil {
		return o, err
	}
	return o, nil
}

// ziaCollect pages through a bare-array list API (page/pageSize query
// parameters, 1-based; a short page is the last one) and returns the
// result. keep, when not nil, filters items client-side (for APIs without a
// server-side search).
func ziaCollect(ctx context.Context, c *zscaler.Client, service, path string, q url.Values, o ziaListOpts, keep func(map[string]any) bool) (listResult, error) {
	return ziaCollectWith(ctx, o, keep, func(ctx context.Context, page int) ([]map[string]any, bool, error) {
		pq := pageQuery(q)
		pq.Set("page", strconv.Itoa(page))
		pq.Set("pageSize", strconv.Itoa(o.pageSize))
		var raw []map[string]any
		if err := c.Do(ctx, zscaler.Request{Service: service, Path: path, Query: pq}, &raw); err != nil {
			return nil, false, err
		}
		return raw, len(raw) >= o.pageSize, nil
	})
}

// ziaCollectWith runs zscaler.CollectPages over fetch, applying keep to
// each page. A page that keep empties entirely does not end the walk: the
// next API page is fetched within the same step (CollectPages stops on an
// empty step), so the API page number is tracked here.
func ziaCollectWith(ctx context.Context, o ziaListOpts, keep func(map[string]any) bool, fetch func(ctx context.Context, page int) ([]map[string]any, bool, error)) (listResult, error) {
	next := 1
	items, truncated, err := zscaler.CollectPages(ctx, o.maxItems, func(ctx context.Context, _ int) ([]map[string]any, bool, error) {
		for {
			raw, more, err := fetch(ctx, next)
			if err != nil {
				return nil, false, err
			}
			next++
			if keep == nil {
				return raw, more, nil
			}
			kept := make([]map[string]any, 0, len(raw))
			for _, it := range raw {
				if keep(it) {
					kept = append(kept, it)
				}
			}
			if len(kept) > 0 || !more || len(raw) == 0 {
				return kept, more, nil
			}
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
		}
	})
	if err != nil {
		return listResult{}, err
	}
	return listOf(items, truncated), nil
}

// ziaNameMatches returns a filter matching search (case-insensitive
// substring) against the string fields named fields; nil when search is
// empty.
func ziaNameMatches(search string, fields ...string) func(map[string]any) bool {
	if search == "" {
		return nil
	}
	needle := strings.ToLower(search)
	return func(it map[string]any) bool {
		for _, f := range fields {
			if s, ok := it[f].(string); ok && strings.Contains(strings.ToLower(s), needle) {
				return true
			}
		}
		return false
	}
}

// ziaGet reads one object.
func ziaGet(ctx context.Context, c *zscaler.Client, service, path string) (map[string]any, error) {
	var out map[string]any
	if err := c.Do(ctx, zscaler.Request{Service: service, Path: path}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ziaSend sends body with method and returns the answer object (or an
// empty object when the API answers without a body).
func ziaSend(ctx context.Context, c *zscaler.Client, service, method, path string, q url.Values, body any) (map[string]any, error) {
	var out map[string]any
	if err := c.Do(ctx, zscaler.Request{Service: service, Method: method, Path: path, Query: q, Body: body}, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// ziaIDPath is path/{id}.
func ziaIDPath(path string, id int) string { return path + "/" + strconv.Itoa(id) }

// ziaConverted marks specs ArgsConverted: their Run reads arguments with
// ziaArgs. specs is modified in place and returned.
func ziaConverted(specs []Spec) []Spec {
	for i := range specs {
		specs[i].ArgsConverted = true
	}
	return specs
}

// ziaActivationNote ends the description of every ZIA write tool.
const ziaActivationNote = " ZIA changes are staged: they take effect after zia_activate_changes."

// ziaTrim filters an unpaged list with keep (nil keeps all) and cuts it to max.
func ziaTrim(all []map[string]any, keep func(map[string]any) bool, max int) listResult {
	if keep != nil {
		kept := make([]map[string]any, 0, len(all))
		for _, it := range all {
			if keep(it) {
				kept = append(kept, it)
			}
		}
		all = kept
	}
	if len(all) > max {
		return listOf(all[:max], true)
	}
	return listOf(all, false)
}

package tools

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// zdxCollect follows a ZDX cursor list: each answer holds its items under
// key and a next_offset (string, number, or null when the list is done)
// that the next request sends as offset (zscaler-sdk-go
// zscaler/zdx/services/reports/devices/types.go GetDevicesFilters.Offset).
func zdxCollect(ctx context.Context, c *zscaler.Client, path string, query url.Values, key string, maxItems int) (listResult, error) {
	offset := ""
	items, truncated, err := zscaler.CollectPages(ctx, maxItems, func(ctx context.Context, page int) ([]map[string]any, bool, error) {
		q := pageQuery(query)
		if offset != "" {
			q.Set("offset", offset)
		}
		var out map[string]any
		if err := c.Do(ctx, zscaler.Request{Service: "zdx", Path: path, Query: q}, &out); err != nil {
			return nil, false, err
		}
		raw, _ := out[key].([]any)
		list := make([]map[string]any, 0, len(raw))
		for _, it := range raw {
			m, ok := it.(map[string]any)
			if !ok {
				return nil, false, fmt.Errorf("zdx: GET %s: %s holds a %T, not objects", path, key, it)
			}
			list = append(list, m)
		}
		next := zdxOffset(out["next_offset"])
		// A cursor that does not move would loop forever: stop there.
		more := next != "" && next != offset
		offset = next
		return list, more, nil
	})
	if err != nil {
		return listResult{}, err
	}
	return listOf(items, truncated), nil
}

func zdxOffset(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		if t == 0 {
			return ""
		}
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return ""
}

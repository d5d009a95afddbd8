package zscaler

import (
	"context"
	"fmt"
)

// DefaultMaxItems bounds what one list tool call collects across pages, so
// an agent asking for everything cannot page through a huge tenant.
const DefaultMaxItems = 1000

// CollectPages calls fetch for pages 1, 2, ... and concatenates the items,
// until fetch reports no more pages, returns no items, or maxItems (≤ 0:
// DefaultMaxItems) are collected; truncated reports that the limit cut the
// list short. Each service pages differently (ZIA page/pageSize returning
// a bare array, ZPA page/pagesize returning {totalPages, list}, ...):
// fetch hides that.
func CollectPages[T any](ctx context.Context, maxItems int, fetch func(ctx context.Context, page int) (items []T, more bool, err error)) (out []T, truncated bool, err error) {
	if maxItems <= 0 {
		maxItems = DefaultMaxItems
	}
	for page := 1; ; page++ {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		items, more, err := fetch(ctx, page)
		if err != nil {
			return nil, false, fmt.Errorf("page %d: %w", page, err)
		}
		out = append(out, items...)
		if len(out) >= maxItems {
			return out[:maxItems], len(out) > maxItems || more, nil
		}
		if !more || len(items) == 0 {
			return out, false, nil
		}
	}
}

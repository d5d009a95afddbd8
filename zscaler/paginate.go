package zscaler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
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

// ZIAPages returns a CollectPages fetch for ZIA-style paging: query
// page=N&pageSize=S, the answer a bare JSON array; there are more pages
// while a page comes back full (zscaler-sdk-go zia common.ReadAllPages).
// The same shape serves ZCC (page/pageSize, bare array). req.Query is
// copied, never modified. pageSize ≤ 0 means 100.
func ZIAPages[T any](c *Client, req Request, pageSize int) func(ctx context.Context, page int) ([]T, bool, error) {
	if pageSize <= 0 {
		pageSize = 100
	}
	return func(ctx context.Context, page int) ([]T, bool, error) {
		r := req
		r.Query = withPage(req.Query, "page", page, "pageSize", pageSize)
		var items []T
		if err := c.Do(ctx, r, &items); err != nil {
			return nil, false, err
		}
		return items, len(items) >= pageSize, nil
	}
}

// ZPAPages returns a CollectPages fetch for ZPA-style paging: query
// page=N&pagesize=S, the answer {"totalPages": "3", "list": [...]}
// (totalPages is a string in the ZPA API; a number is accepted too)
// (zscaler-sdk-go zpa common.GetAllPagesGenericWithCustomFilters). req.Query
// is copied, never modified. pageSize ≤ 0 means 100; ZPA allows up to 500.
func ZPAPages[T any](c *Client, req Request, pageSize int) func(ctx context.Context, page int) ([]T, bool, error) {
	if pageSize <= 0 {
		pageSize = 100
	}
	return func(ctx context.Context, page int) ([]T, bool, error) {
		r := req
		r.Query = withPage(req.Query, "page", page, "pagesize", pageSize)
		var answer struct {
			TotalPages json.Number `json:"totalPages"`
			List       []T         `json:"list"`
		}
		if err := c.Do(ctx, r, &answer); err != nil {
			return nil, false, err
		}
		total, err := strconv.Atoi(strings.Trim(answer.TotalPages.String(), `"`))
		if answer.TotalPages == "" {
			total, err = 0, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("zscaler: %s: totalPages %q is not a number", req.Path, answer.TotalPages)
		}
		return answer.List, page < total, nil
	}
}

func withPage(q url.Values, pageKey string, page int, sizeKey string, size int) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	out.Set(pageKey, strconv.Itoa(page))
	out.Set(sizeKey, strconv.Itoa(size))
	return out
}

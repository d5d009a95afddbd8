package tools

import (
	"context"
	"net/url"
	"strconv"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// zidMaxLimit is the largest page ZIdentity serves (zscaler-sdk-go
// zscaler/zidentity/services/common/common.go MaxPageSize).
const zidMaxLimit = 1000

// zidCollect follows a ZIdentity list: offset and limit in the query, an
// answer {"records": [...], "next_link": "..."}; the next offset is the
// previous one plus the records received (the server may send fewer than
// limit), and the list ends when next_link is absent, as in the SDK's
// ReadAllPagesWithPagination.
func zidCollect(ctx context.Context, c *zscaler.Client, path string, query url.Values, maxItems int) (listResult, error) {
	limit := min(zidMaxLimit, max(maxItems, 1))
	offset := 0
	items, truncated, err := zscaler.CollectPages(ctx, maxItems, func(ctx context.Context, page int) ([]map[string]any, bool, error) {
		q := pageQuery(query)
		q.Set("offset", strconv.Itoa(offset))
		q.Set("limit", strconv.Itoa(limit))
		var out struct {
			Records  []map[string]any `json:"records"`
			NextLink string           `json:"next_link"`
		}
		if err := c.Do(ctx, zscaler.Request{Service: "zidentity", Path: path, Query: q}, &out); err != nil {
			return nil, false, err
		}
		offset += len(out.Records)
		return out.Records, out.NextLink != "", nil
	})
	if err != nil {
		return listResult{}, err
	}
	return listOf(items, truncated), nil
}

package tools

import "net/url"

// listResult is what every list tool returns: an object (MCP structured
// content must be one) with the items collected across pages, their count,
// and truncated telling the agent that max_items cut the list short and it
// should narrow the search.
type listResult struct {
	Count     int              `json:"count"`
	Truncated bool             `json:"truncated"`
	Items     []map[string]any `json:"items"`
}

// listOf is the listResult of items (never a null list).
func listOf(items []map[string]any, truncated bool) listResult {
	if items == nil {
		items = []map[string]any{}
	}
	return listResult{Count: len(items), Truncated: truncated, Items: items}
}

// deletedResult is what delete tools return.
type deletedResult struct {
	Deleted bool   `json:"deleted"`
	ID      string `json:"id"`
}

// pageQuery returns a copy of query (never nil) for one page's request, to
// which the caller adds the page's own parameters.
func pageQuery(query url.Values) url.Values {
	q := make(url.Values, len(query)+2)
	for k, v := range query {
		q[k] = v
	}
	return q
}

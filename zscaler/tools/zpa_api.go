package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// zpaPageSize is the largest page ZPA serves (zscaler-sdk-go
// zscaler/zpa/services/common/common.go: DefaultPageSize = 500).
const zpaPageSize = 500

// errZPANoCustomer is returned by every ZPA tool when the client has no
// customer id: ZPA paths need it.
var errZPANoCustomer = errors.New("zpa: no ZPA customer id is configured: set ZSCALER_CUSTOMER_ID to the tenant's ZPA customer id (ZPA admin portal: Administration > Company)")

// zpaPath is the path of a ZPA management API object below
// /zpa/mgmtconfig/{version}/admin/customers/{customerId}/, each segment
// path-escaped.
func zpaPath(c *zscaler.Client, version string, segments ...string) (string, error) {
	cid := c.CustomerID()
	if cid == "" {
		return "", errZPANoCustomer
	}
	var b strings.Builder
	b.WriteString("/zpa/mgmtconfig/" + version + "/admin/customers/" + url.PathEscape(cid))
	for _, s := range segments {
		b.WriteString("/" + url.PathEscape(s))
	}
	return b.String(), nil
}

// zpaList collects a ZPA list across pages: query page and pagesize,
// answer {"totalPages": "3", "list": [...]} with totalPages a string (or a
// number), as the SDK's getAllPagesGenericWithCustomFilters reads it.
func zpaList(ctx context.Context, c *zscaler.Client, path string, query url.Values, maxItems int) (listResult, error) {
	size := min(zpaPageSize, max(maxItems, 1))
	items, truncated, err := zscaler.CollectPages(ctx, maxItems, func(ctx context.Context, page int) ([]map[string]any, bool, error) {
		q := pageQuery(query)
		q.Set("page", strconv.Itoa(page))
		q.Set("pagesize", strconv.Itoa(size))
		var out struct {
			TotalPages any              `json:"totalPages"`
			List       []map[string]any `json:"list"`
		}
		if err := c.Do(ctx, zscaler.Request{Service: "zpa", Path: path, Query: q}, &out); err != nil {
			return nil, false, err
		}
		total, err := zpaTotalPages(out.TotalPages)
		if err != nil {
			return nil, false, fmt.Errorf("zpa: GET %s: %w", path, err)
		}
		return out.List, page < total, nil
	})
	if err != nil {
		return listResult{}, err
	}
	return listOf(items, truncated), nil
}

func zpaTotalPages(v any) (int, error) {
	switch t := v.(type) {
	case nil:
		return 0, nil
	case float64:
		return int(t), nil
	case string:
		if t == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(t)
		if err != nil {
			return 0, fmt.Errorf("totalPages %q is not a number", t)
		}
		return n, nil
	}
	return 0, fmt.Errorf("totalPages has unexpected type %T", v)
}

// zpaSearch is the query of a list tool's search argument.
func zpaSearch(a zpaArgs) url.Values {
	q := url.Values{}
	if s := a.str("search"); s != "" {
		q.Set("search", s)
	}
	return q
}

// zpaDo sends one ZPA request to the object path built from segments.
func zpaDo(ctx context.Context, c *zscaler.Client, method string, query url.Values, body, out any, segments ...string) error {
	path, err := zpaPath(c, "v1", segments...)
	if err != nil {
		return err
	}
	return c.Do(ctx, zscaler.Request{Service: "zpa", Method: method, Path: path, Query: query, Body: body}, out)
}

// zpaGetObject reads one object.
func zpaGetObject(ctx context.Context, c *zscaler.Client, segments ...string) (map[string]any, error) {
	var out map[string]any
	if err := zpaDo(ctx, c, http.MethodGet, nil, nil, &out, segments...); err != nil {
		return nil, err
	}
	return out, nil
}

// zpaListRun returns the Run of a plain list tool over the collection at
// segments, with the search and max_items arguments.
func zpaListRun(segments ...string) func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	return func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
		path, err := zpaPath(c, "v1", segments...)
		if err != nil {
			return nil, err
		}
		return zpaList(ctx, c, path, zpaSearch(a), a.maxItems())
	}
}

// zpaGetRun returns the Run of a plain get tool: GET {collection}/{id}.
func zpaGetRun(collection string) func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	return func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
		return zpaGetObject(ctx, c, collection, a.str("id"))
	}
}

// zpaDeleteRun returns the Run of a plain delete tool: DELETE {collection}/{id}.
func zpaDeleteRun(collection string) func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	return func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
		id := a.str("id")
		if err := zpaDo(ctx, c, http.MethodDelete, nil, nil, nil, collection, id); err != nil {
			return nil, err
		}
		return deletedResult{Deleted: true, ID: id}, nil
	}
}

// zpaCreateRun returns the Run of a create tool posting the body built by
// build to {collection} and answering the created object.
func zpaCreateRun(collection string, build func(a zpaArgs) (map[string]any, error)) func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	return func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
		body, err := build(a)
		if err != nil {
			return nil, err
		}
		var out map[string]any
		if err := zpaDo(ctx, c, http.MethodPost, nil, body, &out, collection); err != nil {
			return nil, err
		}
		return out, nil
	}
}

// zpaRefs turns ids into the [{"id": ...}] references ZPA bodies carry.
func zpaRefs(ids []string) []map[string]any {
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, map[string]any{"id": id})
	}
	return out
}

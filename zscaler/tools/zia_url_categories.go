package tools

import (
	"context"
	"net/http"
	"net/url"
	"regexp"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// URL categories: zscaler-sdk-go zscaler/zia/services/urlcategories/urlcategories.go.
// Ids are strings (predefined "NEWS_AND_MEDIA", custom "CUSTOM_01"); the
// list is one unpaged array.

const ziaURLCategoriesPath = ziaAPI + "/urlCategories"

// ziaSuperCategories are the super categories a custom URL category may
// belong to (the ZIA API's superCategory enum, most used values).
var ziaSuperCategories = []string{
	"USER_DEFINED", "BUSINESS_AND_ECONOMY", "NEWS_AND_MEDIA", "INFORMATION_TECHNOLOGY",
	"ENTERTAINMENT_AND_RECREATION", "SECURITY", "SOCIAL_AND_FAMILY_ISSUES", "TRAVEL",
	"ADULT_MATERIAL", "GAMBLING", "INTERNET_COMMUNICATION", "SHOPPING_AND_AUCTIONS",
}

var ziaCategoryIDPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`)

// ziaCategoryListFields maps the list arguments of create/update to API fields.
var ziaCategoryListFields = []struct{ arg, field, help string }{
	{"urls", "urls", "URLs, domains (.example.com matches subdomains) or wildcards in this category."},
	{"keywords", "keywords", "Keywords: any URL containing one is in this category."},
	{"db_categorized_urls", "dbCategorizedUrls", "URLs that also stay in their original (parent) category."},
	{"ip_ranges", "ipRanges", "IP addresses or CIDR ranges in this category."},
}

func ziaCategoryID(a ziaArgs) (string, error) {
	id, err := a.str("id", true)
	if err != nil {
		return "", err
	}
	if !ziaCategoryIDPattern.MatchString(id) {
		return "", Argf("id must be a URL category id such as CUSTOM_01 or NEWS_AND_MEDIA, got %q", id)
	}
	return id, nil
}

func ziaCategoryIDParam() mcp.ToolOption {
	return mcp.WithString("id", mcp.Required(), mcp.Pattern(ziaCategoryIDPattern.String()),
		mcp.Description("URL category id: CUSTOM_nn for custom categories, or a predefined id such as NEWS_AND_MEDIA (see zia_list_url_categories)."))
}

// ziaCategoryParams are the optional fields of create and update.
func ziaCategoryParams(requireNames bool) []mcp.ToolOption {
	nameOpts := []mcp.PropertyOption{mcp.MinLength(1), mcp.MaxLength(255), mcp.Description("Name of the custom URL category, unique in the tenant.")}
	superOpts := []mcp.PropertyOption{mcp.Enum(ziaSuperCategories...), mcp.Description("Super category the custom category is grouped under.")}
	if requireNames {
		nameOpts = append(nameOpts, mcp.Required())
		superOpts = append(superOpts, mcp.Required())
	}
	out := []mcp.ToolOption{
		mcp.WithString("configured_name", nameOpts...),
		mcp.WithString("super_category", superOpts...),
		mcp.WithString("description", mcp.MaxLength(10240), mcp.Description("Free-text description.")),
	}
	for _, f := range ziaCategoryListFields {
		out = append(out, mcp.WithArray(f.arg, mcp.WithStringItems(mcp.MinLength(1)), mcp.Description(f.help)))
	}
	return out
}

// ziaCategoryFields reads the given create/update arguments into API fields.
func ziaCategoryFields(a ziaArgs, requireNames bool) (map[string]any, error) {
	body := map[string]any{}
	name, err := a.str("configured_name", requireNames)
	if err != nil {
		return nil, err
	}
	if name != "" {
		body["configuredName"] = name
	}
	super, err := a.enum("super_category", requireNames, ziaSuperCategories...)
	if err != nil {
		return nil, err
	}
	if super != "" {
		body["superCategory"] = super
	}
	if a.has("description") {
		d, err := a.str("description", false)
		if err != nil {
			return nil, err
		}
		body["description"] = d
	}
	for _, f := range ziaCategoryListFields {
		if !a.has(f.arg) {
			continue
		}
		v, err := a.strs(f.arg)
		if err != nil {
			return nil, err
		}
		body[f.field] = v
	}
	return body, nil
}

func ziaURLCategorySpecs() []Spec {
	const ts = "zia_url_categories"
	return []Spec{
		{
			Name: "zia_list_url_categories", Title: "List ZIA URL categories", Service: "zia", Toolset: ts, Kind: Read,
			Description: "List ZIA URL categories (predefined and custom) with their id, name, super category and URL/keyword counts. " +
				"Use custom_only to see only custom categories, include_urls to get the URL and keyword lists too.",
			Params: []mcp.ToolOption{
				mcp.WithBoolean("custom_only", mcp.Description("Only custom categories (default false).")),
				mcp.WithBoolean("include_urls", mcp.Description("Include each category's urls and keywords (default false: counts only, much smaller).")),
				mcp.WithString("search", mcp.Description("Case-insensitive substring matched against the category id and configured name.")),
				mcp.WithInteger("max_items", mcp.Min(1), mcp.Max(zscaler.DefaultMaxItems), mcp.Description("Return at most this many categories (default 1000).")),
			},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				a := ziaArgsOf(req)
				customOnly, err := a.bool("custom_only", false)
				if err != nil {
					return nil, err
				}
				withURLs, err := a.bool("include_urls", false)
				if err != nil {
					return nil, err
				}
				search, err := a.str("search", false)
				if err != nil {
					return nil, err
				}
				max, err := a.int("max_items", false, zscaler.DefaultMaxItems, 1, zscaler.DefaultMaxItems)
				if err != nil {
					return nil, err
				}
				q := url.Values{}
				if customOnly {
					q.Set("customOnly", "true")
				}
				if !withURLs {
					q.Set("includeOnlyUrlKeywordCounts", "true")
				}
				var all []map[string]any
				if err := c.Do(ctx, zscaler.Request{Service: "zia", Path: ziaURLCategoriesPath, Query: q}, &all); err != nil {
					return nil, err
				}
				return ziaTrim(all, ziaNameMatches(search, "id", "configuredName"), max), nil
			},
		},
		{
			Name: "zia_lookup_urls", Title: "Look up ZIA URL categories of URLs", Service: "zia", Toolset: ts, Kind: Read,
			Description: "Look up which URL categories (predefined and custom) ZIA puts up to 100 URLs or domains in, and any security alert classifications. " +
				"Use it to see which URL filtering rules would match a site.",
			Params: []mcp.ToolOption{mcp.WithArray("urls", mcp.Required(), mcp.MinItems(1), mcp.MaxItems(100), mcp.WithStringItems(mcp.MinLength(1)),
				mcp.Description("URLs or domains to classify, e.g. [\"www.example.com\", \"https://example.org/path\"]."))},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				a := ziaArgsOf(req)
				if !a.has("urls") {
					return nil, Argf("urls is required")
				}
				urls, err := a.strs("urls")
				if err != nil {
					return nil, err
				}
				if len(urls) == 0 || len(urls) > 100 {
					return nil, Argf("urls must hold 1 to 100 URLs, got %d", len(urls))
				}
				var out []map[string]any
				if err := c.Do(ctx, zscaler.Request{Service: "zia", Method: http.MethodPost, Path: ziaAPI + "/urlLookup", Body: urls}, &out); err != nil {
					return nil, err
				}
				return listOf(out, false), nil
			},
		},
		{
			Name: "zia_get_url_category", Title: "Get a ZIA URL category", Service: "zia", Toolset: ts, Kind: Read,
			Description: "Get one ZIA URL category by id, with its URLs, keywords, IP ranges and super category.",
			Params:      []mcp.ToolOption{ziaCategoryIDParam()},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				id, err := ziaCategoryID(ziaArgsOf(req))
				if err != nil {
					return nil, err
				}
				return ziaGet(ctx, c, "zia", ziaURLCategoriesPath+"/"+url.PathEscape(id))
			},
		},
		{
			Name: "zia_create_url_category", Title: "Create a ZIA custom URL category", Service: "zia", Toolset: ts, Kind: Write,
			Description: "Create a custom ZIA URL category from URLs, keywords and/or IP ranges; returns it with its new id (CUSTOM_nn)." + ziaActivationNote,
			Params:      ziaCategoryParams(true),
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				body, err := ziaCategoryFields(ziaArgsOf(req), true)
				if err != nil {
					return nil, err
				}
				body["customCategory"] = true
				body["type"] = "URL_CATEGORY"
				for _, f := range ziaCategoryListFields {
					if body[f.field] == nil {
						body[f.field] = []string{}
					}
				}
				return ziaSend(ctx, c, "zia", http.MethodPost, ziaURLCategoriesPath, nil, body)
			},
		},
		{
			Name: "zia_update_url_category", Title: "Update a ZIA URL category", Service: "zia", Toolset: ts, Kind: Write, Idempotent: true,
			Description: "Update a ZIA URL category, changing only the fields given: with list_action REPLACE (default) the given lists replace the current ones, " +
				"with ADD_TO_LIST / REMOVE_FROM_LIST just the given URLs, keywords or IP ranges are added or removed." + ziaActivationNote,
			Params: append([]mcp.ToolOption{
				ziaCategoryIDParam(),
				mcp.WithString("list_action", mcp.Enum("REPLACE", "ADD_TO_LIST", "REMOVE_FROM_LIST"),
					mcp.Description("How the given urls/keywords/db_categorized_urls/ip_ranges apply: REPLACE (default), ADD_TO_LIST or REMOVE_FROM_LIST.")),
			}, ziaCategoryParams(false)...),
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				a := ziaArgsOf(req)
				id, err := ziaCategoryID(a)
				if err != nil {
					return nil, err
				}
				action, err := a.enum("list_action", false, "REPLACE", "ADD_TO_LIST", "REMOVE_FROM_LIST")
				if err != nil {
					return nil, err
				}
				change, err := ziaCategoryFields(a, false)
				if err != nil {
					return nil, err
				}
				if len(change) == 0 {
					return nil, Argf("give at least one field to change (configured_name, super_category, description, urls, keywords, db_categorized_urls, ip_ranges)")
				}
				path := ziaURLCategoriesPath + "/" + url.PathEscape(id)
				cur, err := ziaGet(ctx, c, "zia", path)
				if err != nil {
					return nil, err
				}
				var q url.Values
				if action == "ADD_TO_LIST" || action == "REMOVE_FROM_LIST" {
					q = url.Values{"action": {action}}
					// The incremental form carries only the lists to add or
					// remove; the names identify the category.
					for _, f := range ziaCategoryListFields {
						if _, given := change[f.field]; !given {
							delete(cur, f.field)
						}
					}
				}
				for k, v := range change {
					cur[k] = v
				}
				return ziaSend(ctx, c, "zia", http.MethodPut, path, q, cur)
			},
		},
		{
			Name: "zia_delete_url_category", Title: "Delete a ZIA custom URL category", Service: "zia", Toolset: ts, Kind: Delete,
			Description: "Delete a custom ZIA URL category by id (predefined categories cannot be deleted). Rules referencing it must be changed first." + ziaActivationNote,
			Params:      []mcp.ToolOption{ziaCategoryIDParam()},
			Run: func(ctx context.Context, c *zscaler.Client, req mcp.CallToolRequest) (any, error) {
				id, err := ziaCategoryID(ziaArgsOf(req))
				if err != nil {
					return nil, err
				}
				if err := c.Do(ctx, zscaler.Request{Service: "zia", Method: http.MethodDelete, Path: ziaURLCategoriesPath + "/" + url.PathEscape(id)}, nil); err != nil {
					return nil, err
				}
				return deletedResult{Deleted: true, ID: id}, nil
			},
		},
	}
}

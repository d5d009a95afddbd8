package zscalertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ZIA is the in-memory ZIA tenant behind the ZIA routes. Tests may add,
// read or change objects through its collections at any time.
type ZIA struct {
	// URLCategories are keyed by their numeric "val"; their API id is the
	// string "id" (predefined: "NEWS_AND_MEDIA", custom: "CUSTOM_01").
	URLCategories       *Collection
	URLFilteringRules   *Collection
	FirewallRules       *Collection
	Locations           *Collection
	Users               *Collection
	Departments         *Collection
	Groups              *Collection
	RuleLabels          *Collection
	IPDestinationGroups *Collection

	mu     sync.Mutex // serialises URL category writes (name uniqueness, id assignment)
	status string
}

// ZIASuperCategories are the superCategory values the stand-in accepts for
// custom URL categories (a subset of the ZIA API's enum, as listed in
// zscaler-sdk-python zscaler/zia/url_categories.py).
var ZIASuperCategories = []string{
	"USER_DEFINED", "BUSINESS_AND_ECONOMY", "NEWS_AND_MEDIA", "INFORMATION_TECHNOLOGY",
	"ENTERTAINMENT_AND_RECREATION", "SECURITY", "SOCIAL_AND_FAMILY_ISSUES", "TRAVEL",
	"ADULT_MATERIAL", "GAMBLING", "INTERNET_COMMUNICATION", "SHOPPING_AND_AUCTIONS",
}

// ZIAURLFilteringActions are the URL filtering rule actions
// (zscaler-sdk-go zia/services/urlfilteringpolicies: action).
var ZIAURLFilteringActions = []string{"ALLOW", "CAUTION", "BLOCK", "ISOLATE", "ICAP_RESPONSE"}

// ServeZIA registers the ZIA routes on s, seeded with a small realistic
// tenant, and returns the tenant. Unknown ids answer 404 with a ZIA error
// body, invalid bodies 400, and every successful write makes the
// activation status PENDING until POST /status/activate.
func ServeZIA(s *Server) *ZIA {
	z := &ZIA{status: "ACTIVE"}
	z.seed()
	changed := z.markPending

	// Activation: zscaler-sdk-go zscaler/zia/services/activation/activation.go
	// (GET /status, POST /status/activate; body {"status": "ACTIVE"|"PENDING"|"INPROGRESS"}).
	s.Handle("GET /zia/api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": z.Status()})
	})
	s.Handle("POST /zia/api/v1/status/activate", func(w http.ResponseWriter, r *http.Request) {
		z.mu.Lock()
		z.status = "ACTIVE"
		z.mu.Unlock()
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ACTIVE"})
	})

	// URL categories: zscaler-sdk-go zscaler/zia/services/urlcategories/urlcategories.go
	// (string ids, bare-array list without pagination, customOnly filter,
	// PUT ?action=ADD_TO_LIST|REMOVE_FROM_LIST for incremental edits).
	z.serveURLCategories(s)

	// URL lookup: zscaler-sdk-go zscaler/zia/services/urlcategories/urlcategories.go
	// GetURLLookup (POST /urlLookup with a JSON array of at most 100 URLs).
	s.Handle("POST /zia/api/v1/urlLookup", z.lookupURLs)

	// URL filtering rules: zscaler-sdk-go zscaler/zia/services/urlfilteringpolicies/urlfilteringpolicies.go
	// (paged bare array via common.ReadAllPages, CRUD on /urlFilteringRules/{id}).
	ziaServeCRUD(s, ziaResource{
		path: "/zia/api/v1/urlFilteringRules", what: "URL filtering rule", coll: z.URLFilteringRules,
		writable: true, validate: validateURLFilteringRule, changed: changed,
	})
	// Cloud firewall rules: zscaler-sdk-go zscaler/zia/services/firewallpolicies/filteringrules/filteringrules.go.
	ziaServeCRUD(s, ziaResource{path: "/zia/api/v1/firewallFilteringRules", what: "firewall filtering rule", coll: z.FirewallRules})
	// Locations: zscaler-sdk-go zscaler/zia/services/location/locationmanagement/locationmanagement.go
	// (GET /locations?search=&page=&pageSize=, GET /locations/{id}).
	ziaServeCRUD(s, ziaResource{path: "/zia/api/v1/locations", what: "location", coll: z.Locations,
		filters: map[string]ziaMatch{"search": ziaSearch("name")}})
	// Users, departments, groups: zscaler-sdk-go zscaler/zia/services/usermanagement/{users,departments,groups}
	// and zscaler-sdk-python zscaler/zia/user_management.py (GET /users?name=&dept=&group=&page=&pageSize=,
	// all three "starts with" matches; GET /departments and /groups ?search=).
	ziaServeCRUD(s, ziaResource{path: "/zia/api/v1/users", what: "user", coll: z.Users,
		filters: map[string]ziaMatch{
			"name": {fields: []string{"name"}, prefix: true}, "dept": {fields: []string{"department"}, prefix: true},
			"group": {fields: []string{"groups"}, prefix: true},
		}})
	ziaServeCRUD(s, ziaResource{path: "/zia/api/v1/departments", what: "department", coll: z.Departments,
		filters: map[string]ziaMatch{"search": ziaSearch("name")}})
	ziaServeCRUD(s, ziaResource{path: "/zia/api/v1/groups", what: "group", coll: z.Groups,
		filters: map[string]ziaMatch{"search": ziaSearch("name")}})
	// Rule labels: zscaler-sdk-go zscaler/zia/services/rule_labels/rule_labels.go.
	ziaServeCRUD(s, ziaResource{path: "/zia/api/v1/ruleLabels", what: "rule label", coll: z.RuleLabels,
		filters: map[string]ziaMatch{"search": ziaSearch("name")}, writable: true, changed: changed,
		validate: func(o map[string]any) string {
			if n, _ := o["name"].(string); strings.TrimSpace(n) == "" {
				return "name is required"
			}
			return ""
		}})
	// IP destination groups: zscaler-sdk-go zscaler/zia/services/firewallpolicies/ipdestinationgroups/ipdestinationgroups.go
	// (a bare array without pagination).
	s.Handle("GET /zia/api/v1/ipDestinationGroups", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, z.IPDestinationGroups.List())
	})
	s.Handle("GET /zia/api/v1/ipDestinationGroups/{id}", func(w http.ResponseWriter, r *http.Request) {
		o, ok := z.IPDestinationGroups.Get(r.PathValue("id"))
		if !ok {
			ziaNotFound(w, "IP destination group", r.PathValue("id"))
			return
		}
		WriteJSON(w, http.StatusOK, o)
	})
	return z
}

// Status is the activation status: ACTIVE, or PENDING after a change that
// has not been activated.
func (z *ZIA) Status() string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.status
}

func (z *ZIA) markPending() {
	z.mu.Lock()
	z.status = "PENDING"
	z.mu.Unlock()
}

func validateURLFilteringRule(o map[string]any) string {
	if name, _ := o["name"].(string); strings.TrimSpace(name) == "" {
		return "name is required"
	}
	if order, _ := o["order"].(float64); order < 1 {
		return "order must be a positive integer"
	}
	if a, _ := o["action"].(string); !slices.Contains(ZIAURLFilteringActions, a) {
		return fmt.Sprintf("action %q is not one of %s", a, strings.Join(ZIAURLFilteringActions, ", "))
	}
	if st, ok := o["state"]; ok && st != "ENABLED" && st != "DISABLED" {
		return "state must be ENABLED or DISABLED"
	}
	if a, _ := o["action"].(string); a == "ISOLATE" && o["cbiProfile"] == nil {
		return "cbiProfile is required for the ISOLATE action"
	}
	return ""
}

func (z *ZIA) serveURLCategories(s *Server) {
	const base = "/zia/api/v1/urlCategories"
	s.Handle("GET "+base, func(w http.ResponseWriter, r *http.Request) {
		all := z.URLCategories.List()
		if r.URL.Query().Get("customOnly") == "true" {
			all = slices.DeleteFunc(all, func(o map[string]any) bool { c, _ := o["customCategory"].(bool); return !c })
		}
		if r.URL.Query().Get("includeOnlyUrlKeywordCounts") == "true" {
			for _, o := range all {
				for _, f := range []string{"urls", "keywords", "dbCategorizedUrls", "ipRanges", "keywordsRetainingParentCategory"} {
					delete(o, f)
				}
			}
		}
		WriteJSON(w, http.StatusOK, all)
	})
	s.Handle("GET "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		o, ok := z.categoryByID(r.PathValue("id"))
		if !ok {
			ziaNotFound(w, "URL category", r.PathValue("id"))
			return
		}
		WriteJSON(w, http.StatusOK, o)
	})
	s.Handle("POST "+base, func(w http.ResponseWriter, r *http.Request) {
		o, ok := DecodeObject(w, r)
		if !ok {
			return
		}
		if msg := validateURLCategory(o); msg != "" {
			ziaBadRequest(w, msg)
			return
		}
		z.mu.Lock()
		defer z.mu.Unlock()
		name, _ := o["configuredName"].(string)
		if z.categoryNamed(name, "") {
			ziaError(w, http.StatusConflict, "DUPLICATE_ITEM", "a URL category named "+strconv.Quote(name)+" already exists")
			return
		}
		delete(o, "val")
		o["customCategory"] = true
		o["editable"] = true
		if o["type"] == nil {
			o["type"] = "URL_CATEGORY"
		}
		created := z.URLCategories.Create(o)
		val, _ := strconv.Atoi(ziaValString(created))
		created["id"] = fmt.Sprintf("CUSTOM_%02d", val-ziaFirstCustomVal+1)
		ziaCountURLs(created)
		created, _ = z.URLCategories.Update(ziaValString(created), created)
		z.status = "PENDING"
		WriteJSON(w, http.StatusOK, created)
	})
	s.Handle("PUT "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		action := r.URL.Query().Get("action")
		if action != "" && action != "ADD_TO_LIST" && action != "REMOVE_FROM_LIST" {
			ziaBadRequest(w, "action must be ADD_TO_LIST or REMOVE_FROM_LIST")
			return
		}
		o, ok := DecodeObject(w, r)
		if !ok {
			return
		}
		z.mu.Lock()
		defer z.mu.Unlock()
		old, ok := z.categoryByID(id)
		if !ok {
			ziaNotFound(w, "URL category", id)
			return
		}
		if action != "" {
			o = ziaApplyListAction(old, o, action)
		}
		if custom, _ := old["customCategory"].(bool); custom {
			if msg := validateURLCategory(o); msg != "" {
				ziaBadRequest(w, msg)
				return
			}
			name, _ := o["configuredName"].(string)
			if z.categoryNamed(name, id) {
				ziaError(w, http.StatusConflict, "DUPLICATE_ITEM", "a URL category named "+strconv.Quote(name)+" already exists")
				return
			}
		}
		for _, k := range []string{"id", "val", "customCategory", "editable"} {
			o[k] = old[k]
		}
		ziaCountURLs(o)
		updated, _ := z.URLCategories.Update(ziaValString(old), o)
		z.status = "PENDING"
		WriteJSON(w, http.StatusOK, updated)
	})
	s.Handle("DELETE "+base+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		z.mu.Lock()
		defer z.mu.Unlock()
		old, ok := z.categoryByID(id)
		if !ok {
			ziaNotFound(w, "URL category", id)
			return
		}
		if custom, _ := old["customCategory"].(bool); !custom {
			ziaBadRequest(w, "predefined URL category "+id+" cannot be deleted")
			return
		}
		z.URLCategories.Delete(ziaValString(old))
		z.status = "PENDING"
		w.WriteHeader(http.StatusNoContent)
	})
}

func validateURLCategory(o map[string]any) string {
	if name, _ := o["configuredName"].(string); strings.TrimSpace(name) == "" {
		return "configuredName is required for a custom URL category"
	}
	if sc, _ := o["superCategory"].(string); !slices.Contains(ZIASuperCategories, sc) {
		return fmt.Sprintf("superCategory %q is not a valid super category", sc)
	}
	for _, f := range []string{"urls", "keywords", "dbCategorizedUrls", "ipRanges"} {
		if v, ok := o[f]; ok && v != nil {
			arr, ok := v.([]any)
			if !ok {
				return f + " must be an array of strings"
			}
			for _, e := range arr {
				if s, ok := e.(string); !ok || s == "" {
					return f + " must contain non-empty strings"
				}
			}
		}
	}
	return ""
}

// categoryByID finds a URL category by its string id.
func (z *ZIA) categoryByID(id string) (map[string]any, bool) {
	for _, o := range z.URLCategories.List() {
		if o["id"] == id {
			return o, true
		}
	}
	return nil, false
}

// categoryNamed reports whether a category other than exceptID has this
// configuredName (case-insensitive).
func (z *ZIA) categoryNamed(name, exceptID string) bool {
	for _, o := range z.URLCategories.List() {
		n, _ := o["configuredName"].(string)
		if strings.EqualFold(n, name) && o["id"] != exceptID {
			return true
		}
	}
	return false
}

func ziaValString(o map[string]any) string {
	switch v := o["val"].(type) {
	case float64:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// ziaApplyListAction applies an incremental edit: the urls/keywords of
// change are added to (or removed from) those of old; other fields come
// from old.
func ziaApplyListAction(old, change map[string]any, action string) map[string]any {
	out := clone(old)
	for _, f := range []string{"urls", "keywords", "dbCategorizedUrls", "ipRanges"} {
		add, _ := change[f].([]any)
		if len(add) == 0 {
			continue
		}
		cur, _ := out[f].([]any)
		for _, e := range add {
			has := slices.Contains(cur, e)
			switch {
			case action == "ADD_TO_LIST" && !has:
				cur = append(cur, e)
			case action == "REMOVE_FROM_LIST" && has:
				cur = slices.DeleteFunc(cur, func(x any) bool { return x == e })
			}
		}
		if cur == nil {
			cur = []any{}
		}
		out[f] = cur
	}
	return out
}

// ziaCountURLs fills the count fields ZIA computes.
func ziaCountURLs(o map[string]any) {
	n := func(f string) int { a, _ := o[f].([]any); return len(a) }
	o["customUrlsCount"] = n("urls")
	o["urlsRetainingParentCategoryCount"] = n("dbCategorizedUrls")
	o["customIpRangesCount"] = n("ipRanges")
	o["urlKeywordCounts"] = map[string]any{
		"totalUrlCount": n("urls") + n("dbCategorizedUrls"), "retainParentUrlCount": n("dbCategorizedUrls"),
		"totalKeywordCount": n("keywords"), "retainParentKeywordCount": 0,
	}
}

// ziaKnownHosts classifies a few well-known hosts like the ZIA URL database.
var ziaKnownHosts = map[string]string{
	"news.example.com": "NEWS_AND_MEDIA", "search.example.com": "WEB_SEARCH",
	"casino.example.com": "GAMBLING", "shop.example.com": "ONLINE_SHOPPING",
}

// lookupURLs answers [{"url", "urlClassifications", "urlClassificationsWithSecurityAlert"}]:
// the custom categories listing the host (exact or .suffix), else the
// predefined category of a known host, else MISCELLANEOUS_OR_UNKNOWN.
func (z *ZIA) lookupURLs(w http.ResponseWriter, r *http.Request) {
	var urls []string
	if err := json.NewDecoder(r.Body).Decode(&urls); err != nil || len(urls) == 0 {
		ziaBadRequest(w, "body must be a non-empty JSON array of URLs")
		return
	}
	if len(urls) > 100 {
		ziaBadRequest(w, "at most 100 URLs can be looked up at once")
		return
	}
	cats := z.URLCategories.List()
	out := make([]map[string]any, 0, len(urls))
	for _, u := range urls {
		host := strings.ToLower(u)
		if i := strings.Index(host, "://"); i >= 0 {
			host = host[i+3:]
		}
		host, _, _ = strings.Cut(host, "/")
		var classes []string
		for _, c := range cats {
			list, _ := c["urls"].([]any)
			for _, e := range list {
				p, _ := e.(string)
				if p == host || (strings.HasPrefix(p, ".") && (strings.HasSuffix(host, p) || host == p[1:])) {
					classes = append(classes, c["id"].(string))
					break
				}
			}
		}
		if len(classes) == 0 {
			if c, ok := ziaKnownHosts[host]; ok {
				classes = []string{c}
			} else {
				classes = []string{"MISCELLANEOUS_OR_UNKNOWN"}
			}
		}
		out = append(out, map[string]any{"url": u, "urlClassifications": classes, "urlClassificationsWithSecurityAlert": []string{}})
	}
	WriteJSON(w, http.StatusOK, out)
}

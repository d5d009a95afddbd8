package zscalertest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Generic pieces of the ZIA stand-in routes (zia.go): pagination, error
// bodies and a CRUD route set over a Collection. Identifiers are prefixed
// zia so they do not collide with other services' files.

// ziaStandInMaxPageSize is the largest pageSize the ZIA stand-in accepts
// (zscaler-sdk-go zia/services/common: defaultPageSize 1000).
const ziaStandInMaxPageSize = 1000

// ziaError writes a ZIA-style error body: {"code": ..., "message": ...}.
func ziaError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, map[string]string{"code": code, "message": msg})
}

func ziaNotFound(w http.ResponseWriter, what, id string) {
	ziaError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", what+" with id "+id+" not found")
}

func ziaBadRequest(w http.ResponseWriter, msg string) {
	ziaError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", msg)
}

// ziaPageParams parses page (1-based, default 1) and pageSize (default def,
// at most max); on a bad value it answers 400 and returns false.
func ziaPageParams(w http.ResponseWriter, r *http.Request, def, max int) (page, size int, ok bool) {
	page, size = 1, def
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			ziaBadRequest(w, "page must be a positive integer")
			return 0, 0, false
		}
		page = n
	}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			ziaBadRequest(w, "pageSize must be between 1 and "+strconv.Itoa(max))
			return 0, 0, false
		}
		size = n
	}
	return page, size, true
}

// ziaPaged answers one page of items as a bare JSON array (the ZIA list
// shape), an empty array past the end.
func ziaPaged(w http.ResponseWriter, r *http.Request, items []map[string]any, def, max int) {
	page, size, ok := ziaPageParams(w, r, def, max)
	if !ok {
		return
	}
	start := (page - 1) * size
	if start > len(items) {
		start = len(items)
	}
	end := min(start+size, len(items))
	WriteJSON(w, http.StatusOK, items[start:end])
}

// ziaContains reports whether the string field f of o contains needle
// (or, with prefix, starts with it), case-insensitively. A nested
// {"name": ...} object, or an array of them, matches on the names.
func ziaContains(o map[string]any, f, needle string, prefix bool) bool {
	needle = strings.ToLower(needle)
	match := func(s string) bool {
		s = strings.ToLower(s)
		if prefix {
			return strings.HasPrefix(s, needle)
		}
		return strings.Contains(s, needle)
	}
	switch v := o[f].(type) {
	case string:
		return match(v)
	case map[string]any:
		s, _ := v["name"].(string)
		return match(s)
	case []any:
		return slices.ContainsFunc(v, func(e any) bool {
			m, _ := e.(map[string]any)
			s, _ := m["name"].(string)
			return match(s)
		})
	}
	return false
}

// ziaMatch says which fields a list query parameter searches, and whether
// it is a starts-with match (ZIA /users name, dept, group) rather than a
// substring match (search).
type ziaMatch struct {
	fields []string
	prefix bool
}

// ziaSearch is the usual substring search over fields.
func ziaSearch(fields ...string) ziaMatch { return ziaMatch{fields: fields} }

// ziaFilter keeps the items matching every query parameter of filters that
// the request carries: an item matches a parameter when any of its fields
// does.
func ziaFilter(r *http.Request, items []map[string]any, filters map[string]ziaMatch) []map[string]any {
	q := r.URL.Query()
	out := items[:0:0]
	for _, it := range items {
		ok := true
		for param, m := range filters {
			v := q.Get(param)
			if v == "" {
				continue
			}
			if !slices.ContainsFunc(m.fields, func(f string) bool { return ziaContains(it, f, v, m.prefix) }) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, it)
		}
	}
	return out
}

// ziaResource describes one ZIA object type served with ziaServeCRUD.
type ziaResource struct {
	// path is the collection path, e.g. "/zia/api/v1/urlFilteringRules".
	path string
	// what names the object in error messages.
	what string
	coll *Collection
	// filters maps list query parameters to the fields they search.
	filters map[string]ziaMatch
	// writable adds POST, PUT and DELETE routes.
	writable bool
	// validate checks a created or updated object; a non-empty answer is
	// a 400 message.
	validate func(o map[string]any) string
	// changed is called after every successful write.
	changed func()
}

// ziaServeCRUD registers the list (paged), get and, when writable, the
// create/update/delete routes of res.
func ziaServeCRUD(s *Server, res ziaResource) {
	s.Handle("GET "+res.path, func(w http.ResponseWriter, r *http.Request) {
		ziaPaged(w, r, ziaFilter(r, res.coll.List(), res.filters), 100, ziaStandInMaxPageSize)
	})
	s.Handle("GET "+res.path+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		o, ok := res.coll.Get(r.PathValue("id"))
		if !ok {
			ziaNotFound(w, res.what, r.PathValue("id"))
			return
		}
		WriteJSON(w, http.StatusOK, o)
	})
	if !res.writable {
		return
	}
	check := func(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
		o, ok := DecodeObject(w, r)
		if !ok {
			return nil, false
		}
		if res.validate != nil {
			if msg := res.validate(o); msg != "" {
				ziaBadRequest(w, msg)
				return nil, false
			}
		}
		return o, true
	}
	s.Handle("POST "+res.path, func(w http.ResponseWriter, r *http.Request) {
		o, ok := check(w, r)
		if !ok {
			return
		}
		delete(o, res.coll.IDField)
		created := res.coll.Create(o)
		res.changed()
		WriteJSON(w, http.StatusOK, created)
	})
	s.Handle("PUT "+res.path+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, ok := res.coll.Get(id); !ok {
			ziaNotFound(w, res.what, id)
			return
		}
		o, ok := check(w, r)
		if !ok {
			return
		}
		updated, ok := res.coll.Update(id, o)
		if !ok {
			ziaNotFound(w, res.what, id)
			return
		}
		res.changed()
		WriteJSON(w, http.StatusOK, updated)
	})
	s.Handle("DELETE "+res.path+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !res.coll.Delete(r.PathValue("id")) {
			ziaNotFound(w, res.what, r.PathValue("id"))
			return
		}
		res.changed()
		w.WriteHeader(http.StatusNoContent)
	})
}

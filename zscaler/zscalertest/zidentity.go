package zscalertest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// zidBase is the ZIdentity admin API below the OneAPI base URL
// (zscaler-sdk-go zscaler/zidentity/services/users/users.go usersEndpoint
// "/admin/api/v1/users", served by OneAPI under /ziam).
const zidBase = "/ziam/admin/api/v1"

// ZIdentity is the in-memory state of the ZIdentity stand-in. Users and
// groups have alphanumeric string ids, as in ZIdentity.
type ZIdentity struct {
	mu        sync.Mutex
	users     map[string]map[string]any // id → user
	groups    map[string]map[string]any // id → group
	userIDs   []string                  // list order
	groupIDs  []string                  // list order
	members   map[string][]string       // group id → user ids
	serverMax atomic.Int64
	base      string
}

// SetMaxPageSize makes list routes answer at most n records per page
// whatever limit the client asks for (n ≤ 0: only the API's 1000), so a
// test can prove that a tool follows next_link.
func (z *ZIdentity) SetMaxPageSize(n int) { z.serverMax.Store(int64(n)) }

// ServeZIdentity registers the ZIdentity routes on s, seeded with a small
// directory, and returns their state.
func ServeZIdentity(s *Server) *ZIdentity {
	z := &ZIdentity{base: s.URL}
	z.seed()
	// zscaler-sdk-go zscaler/zidentity/services/users/users.go and
	// services/common/common.go: GET /users (offset, limit ≤ 1000,
	// loginname[like], displayname[like], primaryemail[like]) answers
	// {"results_total", "pageOffset", "pageSize", "next_link", "prev_link",
	// "records"}; GET /users/{id}; GET /users/{id}/groups (paged).
	s.Handle("GET "+zidBase+"/users", func(w http.ResponseWriter, r *http.Request) {
		z.page(w, r, z.filterUsers(r, z.all(z.userIDs, z.users)))
	})
	s.Handle("GET "+zidBase+"/users/{id}", z.get(z.users, "user"))
	s.Handle("GET "+zidBase+"/users/{id}/groups", func(w http.ResponseWriter, r *http.Request) {
		uid := r.PathValue("id")
		if _, ok := z.lookup(z.users, uid); !ok {
			zidError(w, http.StatusNotFound, "user "+uid+" not found")
			return
		}
		var out []map[string]any
		for _, g := range z.all(z.groupIDs, z.groups) {
			if slices.Contains(z.memberIDs(g["id"].(string)), uid) {
				out = append(out, g)
			}
		}
		z.page(w, r, out)
	})
	// zscaler-sdk-python zscaler/zidentity/groups.py (list_groups,
	// get_group, list_group_users_details) with the Go SDK's query names
	// (common.go PaginationQueryParams): GET /groups (name[like],
	// excludedynamicgroups), GET /groups/{id}, GET /groups/{id}/users.
	s.Handle("GET "+zidBase+"/groups", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		like := strings.ToLower(q.Get("name[like]"))
		excl := q.Get("excludedynamicgroups") == "true"
		var out []map[string]any
		for _, g := range z.all(z.groupIDs, z.groups) {
			name, _ := g["name"].(string)
			if (like != "" && !strings.Contains(strings.ToLower(name), like)) || (excl && g["isDynamicGroup"] == true) {
				continue
			}
			out = append(out, g)
		}
		z.page(w, r, out)
	})
	s.Handle("GET "+zidBase+"/groups/{id}", z.get(z.groups, "group"))
	s.Handle("GET "+zidBase+"/groups/{id}/users", func(w http.ResponseWriter, r *http.Request) {
		gid := r.PathValue("id")
		if _, ok := z.lookup(z.groups, gid); !ok {
			zidError(w, http.StatusNotFound, "group "+gid+" not found")
			return
		}
		var users []map[string]any
		for _, uid := range z.memberIDs(gid) {
			if u, ok := z.lookup(z.users, uid); ok {
				users = append(users, u)
			}
		}
		z.page(w, r, z.filterUsers(r, users))
	})
	return z
}

// zidError writes an error body with a code and message.
func zidError(w http.ResponseWriter, status int, msg string) {
	code := "invalid_request"
	if status == http.StatusNotFound {
		code = "resource_not_found"
	}
	WriteJSON(w, status, map[string]string{"code": code, "message": msg})
}

func (z *ZIdentity) lookup(m map[string]map[string]any, id string) (map[string]any, bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	o, ok := m[id]
	if !ok {
		return nil, false
	}
	return clone(o), true
}

func (z *ZIdentity) all(ids []string, m map[string]map[string]any) []map[string]any {
	z.mu.Lock()
	defer z.mu.Unlock()
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		if o, ok := m[id]; ok {
			out = append(out, clone(o))
		}
	}
	return out
}

func (z *ZIdentity) memberIDs(gid string) []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.members[gid])
}

func (z *ZIdentity) get(m map[string]map[string]any, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o, ok := z.lookup(m, r.PathValue("id"))
		if !ok {
			zidError(w, http.StatusNotFound, what+" "+r.PathValue("id")+" not found")
			return
		}
		WriteJSON(w, http.StatusOK, o)
	}
}

// filterUsers applies the [like] filters of the user lists.
func (z *ZIdentity) filterUsers(r *http.Request, users []map[string]any) []map[string]any {
	q := r.URL.Query()
	var out []map[string]any
	for _, u := range users {
		keep := true
		for param, field := range map[string]string{"loginname[like]": "loginName", "displayname[like]": "displayName", "primaryemail[like]": "primaryEmail"} {
			v, _ := u[field].(string)
			if like := strings.ToLower(q.Get(param)); like != "" && !strings.Contains(strings.ToLower(v), like) {
				keep = false
			}
		}
		if keep {
			out = append(out, u)
		}
	}
	return out
}

// page answers one offset/limit page with next_link and prev_link.
func (z *ZIdentity) page(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	q := r.URL.Query()
	offset, limit := 0, 100
	for name, dst := range map[string]*int{"offset": &offset, "limit": &limit} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "limit" && n > 1000) {
				zidError(w, http.StatusBadRequest, name+" must be an integer (limit 0-1000)")
				return
			}
			*dst = n
		}
	}
	if m := int(z.serverMax.Load()); m > 0 && limit > m {
		limit = m
	}
	start := min(offset, len(items))
	end := min(start+limit, len(items))
	link := func(off int) string {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("offset", strconv.Itoa(off))
		nq.Set("limit", strconv.Itoa(limit))
		return z.base + r.URL.Path + "?" + nq.Encode()
	}
	out := map[string]any{"results_total": len(items), "pageOffset": offset, "pageSize": limit, "records": items[start:end]}
	if end < len(items) && limit > 0 {
		out["next_link"] = link(end)
	}
	if start > 0 {
		out["prev_link"] = link(max(start-limit, 0))
	}
	WriteJSON(w, http.StatusOK, out)
}

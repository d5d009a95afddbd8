package zscalertest

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// zpaMaxPageSize is the largest pagesize ZPA accepts (zscaler-sdk-go
// zscaler/zpa/services/common/common.go: DefaultPageSize = 500).
const zpaMaxPageSize = 500

// zpaError writes a ZPA-style error body: {"id": "...", "reason": "..."}.
func zpaError(w http.ResponseWriter, status int, id, reason string) {
	WriteJSON(w, status, map[string]string{"id": id, "reason": reason})
}

// zpaPager answers list routes the way ZPA pages them (zscaler-sdk-go
// zscaler/zpa/services/common/common.go getAllPagesGenericWithCustomFilters):
// query page (from 1) and pagesize (≤ 500, default 20), optional search on
// the name; answer {"totalPages": "N", "totalCount": "M", "list": [...]}
// with the counts as strings, and no list when there is nothing.
type zpaPager struct {
	// serverMax caps the page size below what the client asks (0: no cap
	// beyond zpaMaxPageSize), so tests can prove the client follows pages.
	serverMax atomic.Int64
}

func (p *zpaPager) write(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	q := r.URL.Query()
	page, size := 1, 20
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			zpaError(w, http.StatusBadRequest, "invalid.input.parameter", "page must be a positive integer")
			return
		}
		page = n
	}
	if v := q.Get("pagesize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > zpaMaxPageSize {
			zpaError(w, http.StatusBadRequest, "invalid.input.parameter", "pagesize must be between 1 and 500")
			return
		}
		size = n
	}
	if m := int(p.serverMax.Load()); m > 0 && size > m {
		size = m
	}
	if s := strings.ToLower(q.Get("search")); s != "" {
		kept := items[:0:0]
		for _, o := range items {
			if name, _ := o["name"].(string); strings.Contains(strings.ToLower(name), s) {
				kept = append(kept, o)
			}
		}
		items = kept
	}
	total := (len(items) + size - 1) / size
	out := map[string]any{"totalPages": strconv.Itoa(total), "totalCount": strconv.Itoa(len(items))}
	if from := (page - 1) * size; from < len(items) {
		out["list"] = items[from:min(from+size, len(items))]
	}
	WriteJSON(w, http.StatusOK, out)
}

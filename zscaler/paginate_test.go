package zscaler

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

type item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// pageOf returns page (1-based) of size from items.
func pageOf(items []item, page, size int) []item {
	lo := min((page-1)*size, len(items))
	hi := min(lo+size, len(items))
	return items[lo:hi]
}

func seven() []item {
	var out []item
	for i := 1; i <= 7; i++ {
		out = append(out, item{ID: i, Name: "n" + strconv.Itoa(i)})
	}
	return out
}

func TestZIAPages(t *testing.T) {
	s := zscalertest.New(t)
	all := seven()
	// ZIA list endpoints page with page/pageSize and answer a bare array
	// (zscaler-sdk-go zscaler/zia/services/common/common.go ReadAllPages).
	s.Handle("GET /zia/api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		page, err1 := strconv.Atoi(r.URL.Query().Get("page"))
		size, err2 := strconv.Atoi(r.URL.Query().Get("pageSize"))
		if err1 != nil || err2 != nil || page < 1 || size < 1 {
			zscalertest.WriteJSON(w, http.StatusBadRequest, map[string]string{"message": "page and pageSize required"})
			return
		}
		zscalertest.WriteJSON(w, http.StatusOK, pageOf(all, page, size))
	})
	c := newClient(t, s)
	req := Request{Service: "zia", Path: "/zia/api/v1/users", Query: url.Values{"search": {"n"}}}

	got, truncated, err := CollectPages(context.Background(), 0, ZIAPages[item](c, req, 3))
	if err != nil || truncated || len(got) != 7 || got[6].ID != 7 {
		t.Fatalf("got %d items (truncated %v, err %v), want all 7", len(got), truncated, err)
	}
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("pages fetched = %d, want 3", len(reqs))
	}
	for i, r := range reqs {
		q, _ := url.ParseQuery(r.Query)
		if q.Get("page") != strconv.Itoa(i+1) || q.Get("pageSize") != "3" || q.Get("search") != "n" {
			t.Errorf("page %d query = %q", i+1, r.Query)
		}
	}
	if len(req.Query) != 1 {
		t.Errorf("the caller's query was modified: %v", req.Query)
	}

	got, truncated, err = CollectPages(context.Background(), 4, ZIAPages[item](c, req, 3))
	if err != nil || !truncated || len(got) != 4 {
		t.Fatalf("with max 4: got %d items, truncated %v, err %v", len(got), truncated, err)
	}

	// An exact multiple of the page size ends on the empty page after it.
	all = all[:6]
	got, _, err = CollectPages(context.Background(), 0, ZIAPages[item](c, req, 3))
	if err != nil || len(got) != 6 {
		t.Fatalf("got %d items, err %v, want 6", len(got), err)
	}
}

func TestZPAPages(t *testing.T) {
	s := zscalertest.New(t)
	all := seven()
	numeric := false
	failPage := 0
	// ZPA list endpoints page with page/pagesize and answer
	// {"totalPages": "N", "list": [...]} (zscaler-sdk-go
	// zscaler/zpa/services/common/common.go getAllPagesGenericWithCustomFilters).
	s.Handle("GET /zpa/mgmtconfig/v1/admin/customers/{cid}/segmentGroup", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("cid") != s.CustomerID {
			zscalertest.WriteJSON(w, http.StatusNotFound, map[string]string{"id": "customer.not.found"})
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("pagesize"))
		if page == failPage {
			zscalertest.WriteJSON(w, http.StatusBadRequest, map[string]string{"id": "bad.page", "reason": "page out of range"})
			return
		}
		total := (len(all) + size - 1) / size
		var tp any = strconv.Itoa(total)
		if numeric {
			tp = total
		}
		zscalertest.WriteJSON(w, http.StatusOK, map[string]any{"totalPages": tp, "list": pageOf(all, page, size)})
	})
	c := newClient(t, s)
	req := Request{Service: "zpa", Path: "/zpa/mgmtconfig/v1/admin/customers/" + c.CustomerID() + "/segmentGroup"}

	for _, num := range []bool{false, true} {
		numeric = num
		before := len(s.Requests())
		got, truncated, err := CollectPages(context.Background(), 0, ZPAPages[item](c, req, 3))
		if err != nil || truncated || len(got) != 7 {
			t.Fatalf("numeric=%v: got %d items, truncated %v, err %v", num, len(got), truncated, err)
		}
		if n := len(s.Requests()) - before; n != 3 {
			t.Fatalf("numeric=%v: pages fetched = %d, want 3 (stop at totalPages)", num, n)
		}
		q, _ := url.ParseQuery(s.Requests()[before].Query)
		if q.Get("pagesize") != "3" || q.Get("page") != "1" {
			t.Errorf("query = %v", q)
		}
	}

	failPage = 2
	_, _, err := CollectPages(context.Background(), 0, ZPAPages[item](c, req, 3))
	if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "page 2") || !strings.Contains(err.Error(), "page out of range") {
		t.Fatalf("err = %v, want the page-2 API error", err)
	}
}

package zscaler

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/zscaler/zscalertest"
)

func TestAPIErrorsSurfaced(t *testing.T) {
	s := zscalertest.New(t)
	// Error bodies as the APIs send them: ZIA {"code","message"}, ZPA
	// {"id","reason"}, a gateway's HTML page.
	s.Handle("GET /zia/api/v1/urlCategories/{id}", func(w http.ResponseWriter, r *http.Request) {
		status, _ := strconv.Atoi(r.URL.Query().Get("status"))
		switch r.URL.Query().Get("shape") {
		case "zpa":
			zscalertest.WriteJSON(w, status, map[string]string{"id": "resource.not.found", "reason": "Resource does not exist"})
		case "html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = w.Write([]byte("<html><body><h1>Bad Gateway</h1><script>x()</script></body></html>"))
		default:
			zscalertest.WriteJSON(w, status, map[string]string{"code": "INVALID_INPUT_ARGUMENT", "message": "Invalid category id " + r.PathValue("id")})
		}
	})
	c := newClient(t, s, func(c *Config) { c.MaxAttempts = 1 })
	kinds := []error{ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrRateLimited, ErrUnavailable}
	for _, tc := range []struct {
		status   int
		shape    string
		kind     error
		wantText string
	}{
		{400, "", ErrBadRequest, "zia API GET /zia/api/v1/urlCategories/7: 400 INVALID_INPUT_ARGUMENT: Invalid category id 7"},
		{422, "", ErrBadRequest, "422 INVALID_INPUT_ARGUMENT"},
		{403, "", ErrForbidden, "403 INVALID_INPUT_ARGUMENT"},
		{404, "zpa", ErrNotFound, "404 resource.not.found: Resource does not exist"},
		{409, "", ErrConflict, "409"},
		{412, "", ErrConflict, "412"},
		{429, "", ErrRateLimited, "429"},
		{502, "html", ErrUnavailable, "zia API GET /zia/api/v1/urlCategories/7: 502: Bad Gateway"},
		{418, "", nil, "418 INVALID_INPUT_ARGUMENT"},
	} {
		t.Run(strconv.Itoa(tc.status)+tc.shape, func(t *testing.T) {
			err := c.Do(context.Background(), Request{Service: "zia", Path: "/zia/api/v1/urlCategories/7", Query: map[string][]string{"status": {strconv.Itoa(tc.status)}, "shape": {tc.shape}}}, nil)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tc.status {
				t.Fatalf("err = %v, want an *APIError with status %d", err, tc.status)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("message %q does not contain %q", err, tc.wantText)
			}
			if strings.Contains(err.Error(), "<") {
				t.Errorf("message %q carries markup", err)
			}
			for _, k := range kinds {
				if errors.Is(err, k) != (k == tc.kind) {
					t.Errorf("errors.Is(err, %v) = %v", k, errors.Is(err, k))
				}
			}
		})
	}
}

func TestUnknownRouteIsNotFoundWithoutRetry(t *testing.T) {
	s := zscalertest.New(t)
	c := newClient(t, s)
	err := c.Do(context.Background(), Request{Service: "zia", Path: "/zia/api/v1/noSuchThing"}, nil)
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrNotFound) || ae.Code != "RESOURCE_NOT_FOUND" || ae.Attempts != 1 {
		t.Fatalf("err = %#v, want a single-attempt 404 RESOURCE_NOT_FOUND", err)
	}
	if len(s.Requests()) != 1 {
		t.Fatalf("sent %d times, want 1", len(s.Requests()))
	}
}

func TestRequestPaths(t *testing.T) {
	s := zscalertest.New(t)
	var gotID, gotRaw string
	s.Handle("GET /zia/api/v1/urlCategories/{id}", func(w http.ResponseWriter, r *http.Request) {
		gotID, gotRaw = r.PathValue("id"), r.URL.EscapedPath()
		zscalertest.WriteJSON(w, http.StatusOK, map[string]any{"id": gotID})
	})
	c := newClient(t, s)

	// An escaped argument stays one segment, escaped once.
	if err := c.Do(context.Background(), Request{Path: "/zia/api/v1/urlCategories/" + "a%2Fb%20c"}, nil); err != nil {
		t.Fatal(err)
	}
	if gotID != "a/b c" || gotRaw != "/zia/api/v1/urlCategories/a%2Fb%20c" {
		t.Fatalf("server saw id %q at %q", gotID, gotRaw)
	}

	for _, p := range []string{
		"zia/api/v1/urlCategories",
		"/zia/api/v1/urlCategories/../../admin",
		"/zia/api/v1/urlCategories/%2e%2e",
		"/zia/api/v1/urlCategories/./x",
		"/zia/api/v1/urlCategories?id=1",
		"/zia/api/v1/urlCategories#frag",
		"//evil.example/zia",
	} {
		err := c.Do(context.Background(), Request{Path: p}, nil)
		if err == nil || !strings.Contains(err.Error(), "invalid request path") {
			t.Errorf("path %q: err = %v, want it refused", p, err)
		}
	}
	if n := len(s.Requests()); n != 1 {
		t.Fatalf("%d requests reached the API, want only the valid one", n)
	}
}

func TestAnswerBodyBounded(t *testing.T) {
	s := zscalertest.New(t)
	s.Handle("GET /zia/api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		zscalertest.WriteJSON(w, http.StatusOK, []string{strings.Repeat("x", 4096)})
	})
	c := newClient(t, s, func(c *Config) { c.MaxResponseBytes = 1024 })
	var out []string
	err := c.Do(context.Background(), Request{Path: "/zia/api/v1/users"}, &out)
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Fatalf("err = %v, want the size bound named", err)
	}
	if len(s.Requests()) != 1 {
		t.Fatalf("an oversized answer was retried")
	}
}

func TestBodySentAsJSONAndAnswerDecoded(t *testing.T) {
	s := zscalertest.New(t)
	col := zscalertest.NewCollection("id", false)
	s.Handle("POST /zia/api/v1/urlCategories", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			zscalertest.WriteJSON(w, http.StatusUnsupportedMediaType, map[string]string{"message": "json only"})
			return
		}
		o, ok := zscalertest.DecodeObject(w, r)
		if !ok {
			return
		}
		zscalertest.WriteJSON(w, http.StatusOK, col.Create(o))
	})
	s.Handle("DELETE /zia/api/v1/urlCategories/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !col.Delete(r.PathValue("id")) {
			zscalertest.WriteJSON(w, http.StatusNotFound, map[string]string{"code": "RESOURCE_NOT_FOUND", "message": "no category"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	c := newClient(t, s)
	var created struct {
		ID   int    `json:"id"`
		Name string `json:"configuredName"`
	}
	if err := c.Do(context.Background(), Request{Method: "post", Path: "/zia/api/v1/urlCategories", Body: map[string]string{"configuredName": "Blocked"}}, &created); err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 || created.Name != "Blocked" {
		t.Fatalf("created = %+v", created)
	}
	del := Request{Method: http.MethodDelete, Path: "/zia/api/v1/urlCategories/" + strconv.Itoa(created.ID)}
	if err := c.Do(context.Background(), del, &created); err != nil {
		t.Fatalf("delete with an empty 204 answer: %v", err)
	}
	if err := c.Do(context.Background(), del, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: err = %v, want ErrNotFound", err)
	}
}

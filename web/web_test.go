package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		page string
		data any
		want []string
	}{
		{PageError, map[string]string{"Title": "<b>t</b>", "Message": `<script>alert(1)</script>`, "RetryURL": "javascript:alert(1)"},
			[]string{"&lt;b&gt;t&lt;/b&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;", `href="#ZgotmplZ"`}},
		{PageChooser, map[string]any{"ClientName": `"><img src=x>`, "Providers": []map[string]string{{"Name": "Corp & Co", "URL": "/login/corp?pending=a&b"}}},
			[]string{"&#34;&gt;&lt;img src=x&gt;", "Corp &amp; Co", `href="/login/corp?pending=a&amp;b"`}},
	} {
		t.Run(tc.page, func(t *testing.T) {
			w := httptest.NewRecorder()
			if err := p.Render(w, http.StatusTeapot, tc.page, tc.data); err != nil {
				t.Fatal(err)
			}
			if w.Code != http.StatusTeapot || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("status %d, type %q", w.Code, w.Header().Get("Content-Type"))
			}
			for k, v := range map[string]string{"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Cache-Control": "no-store",
				"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "<img") || strings.Contains(body, "style=") {
				t.Errorf("unescaped markup or inline style:\n%s", body)
			}
		})
	}
}

func TestRenderUnknownPage(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := p.Render(w, http.StatusOK, "nope", nil); err == nil || w.Code != http.StatusInternalServerError {
		t.Errorf("unknown page: err %v, status %d", err, w.Code)
	}
}

func TestStatic(t *testing.T) {
	h := Static()
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/static/style.css", http.StatusOK},
		{"/static/", http.StatusNotFound},
		{"/static/nope.css", http.StatusNotFound},
		{"/static/../web.go", http.StatusNotFound},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if w.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, w.Code, tc.status)
		}
		if tc.status == http.StatusOK && !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
			t.Errorf("%s: type %q", tc.path, w.Header().Get("Content-Type"))
		}
	}
}

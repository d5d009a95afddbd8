package hardening

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// okHandler answers 200 "ok" and records that it ran.
type okHandler struct{ called chan struct{} }

func newOK() *okHandler { return &okHandler{called: make(chan struct{}, 16)} }

func (h *okHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h.called <- struct{}{}
	_, _ = io.WriteString(w, "ok")
}

func (h *okHandler) ran() bool {
	select {
	case <-h.called:
		return true
	default:
		return false
	}
}

// serve starts a loopback server for h.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// do sends req and returns the response with its body read.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// wantJSONError checks a rejection body exactly.
func wantJSONError(t *testing.T, resp *http.Response, body string, status int, code, desc string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	if e.Error != code || e.Description != desc {
		t.Errorf("body = %+v, want error %q description %q", e, code, desc)
	}
}

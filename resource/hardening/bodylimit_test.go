package hardening

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestBodyLimit(t *testing.T) {
	tests := []struct {
		name     string
		limit    int64
		size     int
		chunked  bool
		want     int
		wantNext bool // the handler ran (a 413 from it means the reader hit the limit)
		wantDesc string
	}{
		{name: "under", limit: 16, size: 10, want: 200, wantNext: true},
		{name: "exactly", limit: 16, size: 16, want: 200, wantNext: true},
		{name: "content-length over", limit: 16, size: 17, want: 413, wantDesc: "request body exceeds 16 bytes"},
		{name: "chunked under", limit: 16, size: 16, chunked: true, want: 200, wantNext: true},
		{name: "chunked over", limit: 16, size: 100, chunked: true, want: 413, wantNext: true, wantDesc: "request body exceeds 16 bytes"},
		{name: "default limit", limit: 0, size: int(DefaultMaxBodyBytes) + 1, want: 413, wantDesc: "request body exceeds 4194304 bytes"},
		{name: "default limit fits", limit: -1, size: int(DefaultMaxBodyBytes), want: 200, wantNext: true},
		{name: "empty", limit: 16, size: 0, want: 200, wantNext: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := make(chan struct{}, 1)
			limit := tt.limit
			if limit <= 0 {
				limit = DefaultMaxBodyBytes
			}
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran <- struct{}{}
				b, err := io.ReadAll(r.Body)
				if IsTooLarge(err) {
					WriteTooLarge(w, limit)
					return
				}
				if err != nil {
					t.Errorf("read: %v", err)
				}
				_, _ = io.WriteString(w, strconv.Itoa(len(b)))
			})
			srv := serve(t, BodyLimit(tt.limit)(next))
			var body io.Reader = bytes.NewReader(bytes.Repeat([]byte("x"), tt.size))
			if tt.chunked {
				body = io.MultiReader(body)
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL, body)
			resp, got := do(t, srv.Client(), req)
			if tt.want == 413 {
				wantJSONError(t, resp, got, 413, "request_too_large", tt.wantDesc)
			} else if resp.StatusCode != tt.want || got != strconv.Itoa(tt.size) {
				t.Fatalf("status %d body %q, want %d and %d", resp.StatusCode, got, tt.want, tt.size)
			}
			select {
			case <-ran:
				if !tt.wantNext {
					t.Error("handler ran although Content-Length was over the limit")
				}
			default:
				if tt.wantNext {
					t.Error("handler did not run")
				}
			}
		})
	}
}

func TestIsTooLarge(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&http.MaxBytesError{Limit: 1}, true},
		{fmt.Errorf("read body: %w", &http.MaxBytesError{Limit: 1}), true},
		{io.ErrUnexpectedEOF, false},
		{errors.New(strings.Repeat("x", 3)), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := IsTooLarge(tt.err); got != tt.want {
			t.Errorf("IsTooLarge(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

package jsonguard

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/resource/hardening"
)

// seen is what the next handler observed.
type seen struct {
	called bool
	body   string
	calls  []Call
	parsed bool
}

func newServer(t *testing.T, chain func(http.Handler) http.Handler) (*httptest.Server, chan seen) {
	t.Helper()
	got := make(chan seen, 1)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("next handler: read body: %v", err)
		}
		calls, ok := CallsFromContext(r.Context())
		msg, msgBody, msgOK := MessageFromContext(r.Context())
		single := ok && len(calls) == 1 && !bytes.HasPrefix(bytes.TrimSpace(b), []byte("["))
		if msgOK != single || single && (msg != calls[0] || string(msgBody) != string(b)) {
			t.Errorf("MessageFromContext = %+v, %q, %v; want the one message and the body replayed (%q) exactly for a single message (%v)", msg, msgBody, msgOK, b, single)
		}
		got <- seen{called: true, body: string(b), calls: calls, parsed: ok}
		w.WriteHeader(http.StatusOK)
	})
	srv := httptest.NewServer(chain(next))
	t.Cleanup(srv.Close)
	return srv, got
}

type rpcErrorBody struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func TestMiddleware(t *testing.T) {
	const call = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"zia_list_users","arguments":{}}}`
	tests := []struct {
		name      string
		method    string
		body      string
		chunked   bool // send without Content-Length
		headers   map[string][]string
		opts      Options
		limit     int64 // hardening.BodyLimit in front when > 0
		wantCode  int   // HTTP status
		wantRPC   int   // JSON-RPC error code on rejection
		wantMsg   string
		wantCalls []Call // on success
		wantParse bool   // CallsFromContext ok
	}{
		{name: "GET passes", method: http.MethodGet, wantCode: 200},
		{name: "DELETE passes untouched", method: http.MethodDelete, body: `{"a":1,"A":2}`, wantCode: 200},
		{name: "empty POST passes", method: http.MethodPost, wantCode: 200},
		{name: "empty chunked POST passes", method: http.MethodPost, chunked: true, wantCode: 200},
		{name: "tools/call", method: http.MethodPost, body: call, wantCode: 200,
			wantCalls: []Call{{Method: "tools/call", Name: "zia_list_users", ID: true}}, wantParse: true},
		{name: "chunked tools/call", method: http.MethodPost, body: call, chunked: true, wantCode: 200,
			wantCalls: []Call{{Method: "tools/call", Name: "zia_list_users", ID: true}}, wantParse: true},
		{name: "prompts/get", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"p"}}`,
			wantCode: 200, wantCalls: []Call{{Method: "prompts/get", Name: "p", ID: true}}, wantParse: true},
		{name: "resources/read", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"zscaler://x","name":"ignored"}}`,
			wantCode: 200, wantCalls: []Call{{Method: "resources/read", Name: "zscaler://x", ID: true}}, wantParse: true},
		{name: "tools/list has no name", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":"x"}}`,
			wantCode: 200, wantCalls: []Call{{Method: "tools/list", ID: true}}, wantParse: true},
		{name: "response message", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":7,"result":{}}`,
			wantCode: 200, wantCalls: []Call{{ID: true}}, wantParse: true},
		{name: "batch", method: http.MethodPost, body: `[{"jsonrpc":"2.0","method":"notifications/initialized"},` + call + `]`,
			wantCode: 200, wantCalls: []Call{{Method: "notifications/initialized"}, {Method: "tools/call", Name: "zia_list_users", ID: true}}, wantParse: true},

		{name: "id null is no id", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"a"}}`,
			wantCode: 200, wantCalls: []Call{{Method: "tools/call", Name: "a"}}, wantParse: true},
		{name: "id matched as mcp-go matches it", method: http.MethodPost, body: `{"jsonrpc":"2.0","ID":"x","method":"ping"}`,
			wantCode: 200, wantCalls: []Call{{Method: "ping", ID: true}}, wantParse: true},
		{name: "params._meta", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","_meta":{"progressToken":1}}}`,
			wantCode: 200, wantCalls: []Call{{Method: "tools/call", Name: "a", ID: true, Meta: true}}, wantParse: true},
		{name: "params._META null", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_META":null}}`,
			wantCode: 200, wantCalls: []Call{{Method: "tools/list", ID: true, Meta: true}}, wantParse: true},
		{name: "_meta outside params", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":1,"_meta":{},"method":"tools/call","params":{"name":"a","arguments":{"_meta":1}}}`,
			wantCode: 200, wantCalls: []Call{{Method: "tools/call", Name: "a", ID: true}}, wantParse: true},
		{name: "case variant method", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","Method":"tools/call"}`,
			wantCode: 400, wantRPC: -32600, wantMsg: `duplicate key "Method" (same as "method") at $`},
		{name: "case variant tool name", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","Name":"b"}}`,
			wantCode: 400, wantRPC: -32600, wantMsg: `duplicate key "Name" (same as "name") at $.params`},
		{name: "duplicate in batch", method: http.MethodPost, body: `[{"method":"ping"},{"method":"ping","method":"tools/call"}]`,
			wantCode: 400, wantRPC: -32600, wantMsg: `duplicate key "method" (same as "method") at $[1]`},
		{name: "too deep", method: http.MethodPost, body: `{"a":[[[1]]]}`, opts: Options{MaxDepth: 3},
			wantCode: 400, wantRPC: -32600},
		{name: "invalid JSON", method: http.MethodPost, body: `{"method":`, wantCode: 400, wantRPC: -32700},
		{name: "trailing data", method: http.MethodPost, body: call + `{}`, wantCode: 400, wantRPC: -32700},
		{name: "PUT is checked too", method: http.MethodPut, body: `{"a":1,"A":2}`, wantCode: 400, wantRPC: -32600},
		{name: "message not an object", method: http.MethodPost, body: `"tools/call"`, wantCode: 400, wantRPC: -32600},
		{name: "method not a string", method: http.MethodPost, body: `{"method":5}`, wantCode: 400, wantRPC: -32600},
		{name: "tool name not a string", method: http.MethodPost, body: `{"method":"tools/call","params":{"name":["a"]}}`,
			wantCode: 400, wantRPC: -32600},
		{name: "params not an object", method: http.MethodPost, body: `{"method":"tools/call","params":["a"]}`,
			wantCode: 400, wantRPC: -32600},
		{name: "empty batch", method: http.MethodPost, body: `[]`, wantCode: 400, wantRPC: -32600},
		{name: "batch element not an object", method: http.MethodPost, body: `[{"method":"ping"},1]`, wantCode: 400, wantRPC: -32600},

		{name: "headers match", method: http.MethodPost, body: call,
			headers:  map[string][]string{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"zia_list_users"}},
			wantCode: 200, wantCalls: []Call{{Method: "tools/call", Name: "zia_list_users", ID: true}}, wantParse: true},
		{name: "base64 name header matches", method: http.MethodPost,
			body:     `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"é"}}`,
			headers:  map[string][]string{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"=?base64?w6k=?="}},
			wantCode: 200, wantCalls: []Call{{Method: "tools/call", Name: "é", ID: true}}, wantParse: true},
		{name: "method header mismatch", method: http.MethodPost, body: call,
			headers:  map[string][]string{"Mcp-Method": {"tools/list"}},
			wantCode: 400, wantRPC: -32020, wantMsg: `header Mcp-Method "tools/list" does not match body method "tools/call"`},
		{name: "name header mismatch", method: http.MethodPost, body: call,
			headers:  map[string][]string{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"zia_delete_user"}},
			wantCode: 400, wantRPC: -32020},
		{name: "name header case mismatch", method: http.MethodPost, body: call,
			headers:  map[string][]string{"Mcp-Name": {"ZIA_LIST_USERS"}},
			wantCode: 400, wantRPC: -32020},
		{name: "name header for nameless method", method: http.MethodPost, body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
			headers:  map[string][]string{"Mcp-Name": {""}},
			wantCode: 400, wantRPC: -32020},
		{name: "bad base64 name header", method: http.MethodPost, body: call,
			headers:  map[string][]string{"Mcp-Name": {"=?base64?***?="}},
			wantCode: 400, wantRPC: -32020},
		{name: "uri header mismatch", method: http.MethodPost, body: `{"method":"resources/read","params":{"uri":"a://1"}}`,
			headers:  map[string][]string{"Mcp-Name": {"a://2"}},
			wantCode: 400, wantRPC: -32020},
		{name: "method header twice", method: http.MethodPost, body: call,
			headers:  map[string][]string{"Mcp-Method": {"tools/call", "tools/call"}},
			wantCode: 400, wantRPC: -32020},
		{name: "headers with batch", method: http.MethodPost, body: `[` + call + `]`,
			headers:  map[string][]string{"Mcp-Method": {"tools/call"}},
			wantCode: 400, wantRPC: -32020},

		{name: "over own limit", method: http.MethodPost, body: call, opts: Options{MaxBytes: 16},
			wantCode: 413, wantRPC: -32600},
		{name: "over own limit chunked", method: http.MethodPost, body: call, chunked: true, opts: Options{MaxBytes: 16},
			wantCode: 413, wantRPC: -32600},
		{name: "over BodyLimit chunked", method: http.MethodPost, body: call, chunked: true, limit: 16,
			wantCode: 413, wantRPC: -32600},
		{name: "under BodyLimit", method: http.MethodPost, body: call, limit: 1 << 10, wantCode: 200,
			wantCalls: []Call{{Method: "tools/call", Name: "zia_list_users", ID: true}}, wantParse: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := Middleware(tt.opts)
			if tt.limit > 0 {
				limit := hardening.BodyLimit(tt.limit)
				chain = func(h http.Handler) http.Handler { return limit(Middleware(tt.opts)(h)) }
			}
			srv, got := newServer(t, chain)
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(strings.NewReader(tt.body)) // unknown length
			}
			req, err := http.NewRequestWithContext(context.Background(), tt.method, srv.URL, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			for k, vs := range tt.headers {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			respBody, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantCode, respBody)
			}
			if tt.wantCode != http.StatusOK {
				select {
				case <-got:
					t.Fatal("next handler ran for a rejected request")
				default:
				}
				var e rpcErrorBody
				if err := json.Unmarshal(respBody, &e); err != nil {
					t.Fatalf("error body %q: %v", respBody, err)
				}
				if e.JSONRPC != "2.0" || string(e.ID) != "null" || e.Error.Code != tt.wantRPC {
					t.Errorf("error body = %s, want jsonrpc 2.0, id null, code %d", respBody, tt.wantRPC)
				}
				if tt.wantMsg != "" && e.Error.Message != tt.wantMsg {
					t.Errorf("message = %q, want %q", e.Error.Message, tt.wantMsg)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				return
			}
			s := <-got
			if s.body != tt.body {
				t.Errorf("next handler read body %q, want %q", s.body, tt.body)
			}
			if s.parsed != tt.wantParse || !slices.Equal(s.calls, tt.wantCalls) {
				t.Errorf("calls = %+v (parsed %v), want %+v (parsed %v)", s.calls, s.parsed, tt.wantCalls, tt.wantParse)
			}
		})
	}
}

func TestMiddlewareReplaysBody(t *testing.T) {
	const body = `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	for _, chunked := range []bool{false, true} {
		var got string
		h := Middleware(Options{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got = string(b)
			if r.ContentLength != int64(len(body)) {
				t.Errorf("ContentLength = %d", r.ContentLength)
			}
			if err := r.Body.Close(); err != nil {
				t.Error(err)
			}
		}))
		req := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewBufferString(body))
		if chunked {
			req.ContentLength = -1 // unknown length: read through the limit
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || got != body {
			t.Fatalf("chunked=%v: status %d, next handler read %q", chunked, rec.Code, got)
		}
	}
}

func TestCallsContext(t *testing.T) {
	if c, ok := CallsFromContext(context.Background()); ok || c != nil {
		t.Fatalf("empty context: %v %v", c, ok)
	}
	in := []Call{{Method: "tools/call", Name: "a"}}
	ctx := WithCalls(context.Background(), in)
	in[0].Name = "mutated"
	got := Calls(ctx)
	if len(got) != 1 || got[0].Name != "a" {
		t.Fatalf("Calls = %+v, want the value stored", got)
	}
}

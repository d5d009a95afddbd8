package jsonguard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/mark3labs/mcp-go/mcp"
)

// DefaultMaxBytes bounds the body Middleware reads when Options.MaxBytes is
// not positive (4 MiB, as hardening.DefaultMaxBodyBytes). A smaller limit
// applied before, by hardening.BodyLimit, takes effect first.
const DefaultMaxBytes int64 = 4 << 20

// JSON-RPC error codes written by Middleware.
const (
	// CodeParseError: the body is not a single JSON value.
	CodeParseError = -32700
	// CodeInvalidRequest: duplicate keys, nesting, a malformed message, or
	// a body too large.
	CodeInvalidRequest = -32600
	// CodeHeaderMismatch: Mcp-Method / Mcp-Name disagree with the body (the
	// code mcp-go uses for the same check).
	CodeHeaderMismatch = mcp.HEADER_MISMATCH
)

// Options configure Middleware. The zero value is the safe default.
type Options struct {
	// MaxDepth is the nesting limit for CheckDuplicateKeys; <= 0 means
	// DefaultMaxDepth.
	MaxDepth int
	// MaxBytes bounds the body read; <= 0 means DefaultMaxBytes.
	MaxBytes int64
}

// Middleware guards JSON-RPC request bodies. For every request except GET,
// HEAD, DELETE and OPTIONS that has a non-empty body it:
//
//  1. reads the body, answering 413 when it exceeds a limit (its own
//     MaxBytes or an earlier http.MaxBytesReader such as
//     hardening.BodyLimit's);
//  2. runs CheckDuplicateKeys: 400 with a JSON-RPC error (-32700 for
//     invalid JSON or trailing data, -32600 for duplicate or case-variant
//     keys and excessive nesting);
//  3. parses the message or batch minimally: every message must be an
//     object with a string method (or none) and, for tools/call,
//     prompts/get and resources/read, a string params.name / params.uri
//     (-32600 otherwise; an empty batch too);
//  4. checks the Mcp-Method and Mcp-Name headers when present: Mcp-Method
//     must equal the method and Mcp-Name (decoded from its =?base64?...?=
//     form if so) must equal params.name or params.uri, and neither may be
//     sent more than once or with a batch (400, -32020);
//  5. restores r.Body for the next handler and stores the parsed messages
//     and the body for CallsFromContext and MessageFromContext.
//
// Error bodies are {"jsonrpc":"2.0","id":null,"error":{"code":...,"message":...}}.
func Middleware(opts Options) func(http.Handler) http.Handler {
	maxBytes := opts.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	maxDepth := opts.MaxDepth
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions:
				next.ServeHTTP(w, r)
				return
			}
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			if r.ContentLength > maxBytes {
				writeRPCError(w, http.StatusRequestEntityTooLarge, CodeInvalidRequest, "request body too large")
				return
			}
			body, err := readBody(w, r, maxBytes)
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					writeRPCError(w, http.StatusRequestEntityTooLarge, CodeInvalidRequest, "request body too large")
					return
				}
				writeRPCError(w, http.StatusBadRequest, CodeInvalidRequest, "cannot read request body")
				return
			}
			if len(body) == 0 {
				next.ServeHTTP(w, withBody(r.Context(), r, body))
				return
			}
			// One pass: duplicate/case-variant keys, depth, and the calls.
			calls, batch, err := scanMessagesValidating(body, maxDepth, false)
			if err != nil {
				code := CodeInvalidRequest
				if errors.Is(err, ErrInvalidJSON) || errors.Is(err, ErrTrailingData) {
					code = CodeParseError
				}
				writeRPCError(w, http.StatusBadRequest, code, err.Error())
				return
			}
			if err := checkHeaders(r.Header, calls, batch); err != nil {
				writeRPCError(w, http.StatusBadRequest, CodeHeaderMismatch, err.Error())
				return
			}
			next.ServeHTTP(w, withBody(context.WithValue(r.Context(), callsKey{}, &parsed{calls: calls, batch: batch, body: body}), r, body))
		})
	}
}

// withBody returns a shallow copy of r carrying ctx, whose body replays body.
func withBody(ctx context.Context, r *http.Request, body []byte) *http.Request {
	r2 := r.WithContext(ctx)
	rb := &replayBody{}
	rb.Reset(body)
	r2.Body = rb
	r2.ContentLength = int64(len(body))
	return r2
}

// replayBody is the already-read body handed to the next handler.
type replayBody struct{ bytes.Reader }

func (*replayBody) Close() error { return nil }

// readBody reads the whole body: with a known Content-Length into one
// buffer of that size (net/http enforces the length), otherwise through a
// limit of maxBytes.
func readBody(w http.ResponseWriter, r *http.Request, maxBytes int64) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= maxBytes {
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
}

// rpcError is a JSON-RPC 2.0 error response with a null id.
type rpcError struct {
	JSONRPC string `json:"jsonrpc"`
	ID      any    `json:"id"`
	Error   struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeRPCError(w http.ResponseWriter, status, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	e := rpcError{JSONRPC: "2.0"}
	e.Error.Code, e.Error.Message = code, msg
	_ = json.NewEncoder(w).Encode(e)
}

// parseCalls summarises a valid JSON body: one message or a batch. It is
// the encoding/json reference that scanMessages must agree with (see the
// fuzz target), and its fallback.
func parseCalls(body []byte) (calls []Call, batch bool, err error) {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(body, &elems); err != nil {
			return nil, true, fmt.Errorf("invalid JSON-RPC batch: %w", err)
		}
		if len(elems) == 0 {
			return nil, true, errors.New("empty JSON-RPC batch")
		}
		for i, e := range elems {
			c, err := parseCall(e)
			if err != nil {
				return nil, true, fmt.Errorf("batch element %d: %w", i, err)
			}
			calls = append(calls, c)
		}
		return calls, true, nil
	}
	c, err := parseCall(body)
	if err != nil {
		return nil, false, err
	}
	return []Call{c}, false, nil
}

// parseCall reads the method, whether the message has an id and a
// params._meta, and, for the methods that name a target, params.name or
// params.uri, with encoding/json (as mcp-go does).
func parseCall(raw json.RawMessage) (Call, error) {
	if !isObject(raw) {
		return Call{}, errors.New("a JSON-RPC message must be an object")
	}
	var m struct {
		Method json.RawMessage `json:"method"`
		ID     json.RawMessage `json:"id"`
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return Call{}, fmt.Errorf("invalid JSON-RPC message: %w", err)
	}
	method, err := optString(m.Method)
	if err != nil {
		return Call{}, errors.New("method must be a string")
	}
	c := Call{Method: method, ID: len(m.ID) > 0 && !isNull(m.ID)}
	var p struct {
		Name json.RawMessage `json:"name"`
		URI  json.RawMessage `json:"uri"`
		Meta json.RawMessage `json:"_meta"`
	}
	if isObject(m.Params) {
		if err := json.Unmarshal(m.Params, &p); err != nil {
			return Call{}, fmt.Errorf("invalid params of %s: %w", method, err)
		}
		c.Meta = len(p.Meta) > 0
	}
	field := nameField(method)
	if field == "" || isNull(m.Params) {
		return c, nil
	}
	if !isObject(m.Params) {
		return Call{}, fmt.Errorf("params of %s must be an object", method)
	}
	v := p.Name
	if field == "uri" {
		v = p.URI
	}
	if c.Name, err = optString(v); err != nil {
		return Call{}, fmt.Errorf("params.%s of %s must be a string", field, method)
	}
	return c, nil
}

// nameField is the params member Mcp-Name mirrors for method, or "".
func nameField(method string) string {
	switch mcp.MCPMethod(method) {
	case mcp.MethodToolsCall, mcp.MethodPromptsGet:
		return "name"
	case mcp.MethodResourcesRead:
		return "uri"
	}
	return ""
}

// checkHeaders compares Mcp-Method and Mcp-Name, when sent, with the body.
func checkHeaders(h http.Header, calls []Call, batch bool) error {
	methods, names := h.Values(mcp.HeaderMethod), h.Values(mcp.HeaderName)
	if len(methods) == 0 && len(names) == 0 {
		return nil
	}
	if batch {
		return errors.New("headers Mcp-Method and Mcp-Name are not allowed with a JSON-RPC batch")
	}
	if len(methods) > 1 || len(names) > 1 {
		return errors.New("headers Mcp-Method and Mcp-Name must not be sent more than once")
	}
	c := calls[0]
	if len(methods) == 1 && methods[0] != c.Method {
		return fmt.Errorf("header Mcp-Method %s does not match body method %s", quoteKey(methods[0]), quoteKey(c.Method))
	}
	if len(names) == 1 {
		if nameField(c.Method) == "" {
			return fmt.Errorf("header Mcp-Name is not allowed for method %s", quoteKey(c.Method))
		}
		name, ok := mcp.DecodeHeaderValue(names[0])
		if !ok {
			return errors.New("header Mcp-Name has invalid base64 encoding")
		}
		if name != c.Name {
			return fmt.Errorf("header Mcp-Name %s does not match body value %s", quoteKey(name), quoteKey(c.Name))
		}
	}
	return nil
}

func optString(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("not a string: %w", err)
	}
	return s, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

func isObject(raw json.RawMessage) bool {
	t := bytes.TrimLeft(raw, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

package jsonguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// collector extracts, during the duplicate-key scan, what parseCalls reads
// with encoding/json: per JSON-RPC message its method and, for the methods
// that name a target, params.name / params.uri. Keys match as mcp-go's
// decoding matches them (case-insensitively; the scan has already refused
// two keys that fold alike, so at most one can match).
type collector struct {
	batch bool // the body is an array of messages
	calls []Call
	cur   msgState
	err   error
}

// msgState is what the scan saw of the message being read.
type msgState struct {
	method     rawField
	id         rawField
	params     rawField
	name, uri  rawField
	meta       bool // params has a _meta member
	paramsOpen bool // the params object of this message is open
}

// rawField is one member value: absent, a string (decoded), null, or
// something else (kind names it for errors).
type rawField struct {
	present bool
	isStr   bool
	isNull  bool
	isObj   bool
	str     string
}

var (
	methodKey = []byte("method")
	idKey     = []byte("id")
	metaKey   = []byte("_meta")
	paramsKey = []byte("params")
	nameKey   = []byte("name")
	uriKey    = []byte("uri")
)

// msgDepth is the stack depth at which a message object's members sit.
func (c *collector) msgDepth() int {
	if c.batch {
		return 2
	}
	return 1
}

// fail records the first message error; the scan goes on, since a
// duplicate key or invalid JSON later in the body takes precedence.
func (c *collector) fail(err error) error {
	if c.err == nil {
		c.err = err
	}
	return nil
}

// value is called before the value at data[i] is read, with stack the
// containers around it.
func (c *collector) value(stack []scanFrame, data []byte, i int) error {
	n := len(stack)
	if n == 0 {
		switch data[i] {
		case '[':
			c.batch = true
		case '{':
		default:
			return c.fail(errors.New("a JSON-RPC message must be an object"))
		}
		return nil
	}
	d := c.msgDepth()
	top := &stack[n-1]
	switch {
	case c.batch && n == 1: // a batch element
		if data[i] != '{' {
			return c.fail(fmt.Errorf("batch element %d: a JSON-RPC message must be an object", top.index))
		}
		c.cur = msgState{}
	case n == d && top.object:
		switch {
		case bytes.EqualFold(top.key, methodKey):
			c.cur.method = readField(data, i)
		case bytes.EqualFold(top.key, idKey):
			c.cur.id = readField(data, i)
		case bytes.EqualFold(top.key, paramsKey):
			c.cur.params = readField(data, i)
			c.cur.paramsOpen = data[i] == '{'
		}
	case n == d+1 && top.object && c.cur.paramsOpen:
		switch {
		case bytes.EqualFold(top.key, nameKey):
			c.cur.name = readField(data, i)
		case bytes.EqualFold(top.key, uriKey):
			c.cur.uri = readField(data, i)
		case bytes.EqualFold(top.key, metaKey):
			c.cur.meta = true
		}
	}
	return nil
}

// closed is called before the innermost container of stack is popped.
func (c *collector) closed(stack []scanFrame) error {
	n, d := len(stack), c.msgDepth()
	switch {
	case n == d+1 && c.cur.paramsOpen:
		c.cur.paramsOpen = false
	case n == d && stack[n-1].object:
		call, err := c.cur.call()
		if err != nil {
			if c.batch {
				return c.fail(fmt.Errorf("batch element %d: %w", stack[0].index, err))
			}
			return c.fail(err)
		}
		c.calls = append(c.calls, call)
	case c.batch && n == 1 && stack[0].index == 0 && len(c.calls) == 0 && c.err == nil:
		return c.fail(errors.New("empty JSON-RPC batch"))
	}
	return nil
}

func (m *msgState) call() (Call, error) {
	if m.method.present && !m.method.isStr && !m.method.isNull {
		return Call{}, errors.New("method must be a string")
	}
	c := Call{Method: m.method.str, ID: m.id.present && !m.id.isNull, Meta: m.meta}
	field, v := nameField(c.Method), m.name
	if field == "uri" {
		v = m.uri
	}
	if field == "" || !m.params.present || m.params.isNull {
		return c, nil
	}
	if !m.params.isObj {
		return Call{}, fmt.Errorf("params of %s must be an object", c.Method)
	}
	if v.present && !v.isStr && !v.isNull {
		return Call{}, fmt.Errorf("params.%s of %s must be a string", field, c.Method)
	}
	c.Name = v.str
	return c, nil
}

// readField classifies the value at data[i] (valid JSON is assumed; the
// caller validates) and decodes it when it is a string.
func readField(data []byte, i int) rawField {
	f := rawField{present: true}
	switch data[i] {
	case '"':
		j, escaped, ok := skipString(data, i)
		if !ok {
			return f
		}
		f.isStr = true
		if raw := data[i+1 : j-1]; !escaped && utf8.Valid(raw) {
			f.str = string(raw)
		} else {
			var str string // escapes; invalid UTF-8 becomes U+FFFD
			f.isStr = json.Unmarshal(data[i:j], &str) == nil
			f.str = str
		}
	case '{':
		f.isObj = true
	case 'n':
		f.isNull = bytes.HasPrefix(data[i:], []byte("null"))
	}
	return f
}

// scanMessages runs the duplicate-key scan and extracts the calls in one
// pass. Its verdicts match CheckDuplicateKeys followed by parseCalls.
func scanMessages(body []byte, maxDepth int) ([]Call, bool, error) {
	return scanMessagesValidating(body, maxDepth, true)
}

// scanMessagesValidating is scanMessages; with validate false, a body the
// scan finds well-formed is not also checked with json.Valid. The
// middleware uses that: the next handler (mcp-go) decodes the body with
// encoding/json, which refuses invalid JSON whole, so nothing runs from a
// body json.Valid would refuse, and on valid JSON the scan is exact.
func scanMessagesValidating(body []byte, maxDepth int, validate bool) ([]Call, bool, error) {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	col := &collector{}
	err, tail := scanKeys(body, maxDepth, col)
	if err == nil && tail >= 0 {
		err = fmt.Errorf("%w at offset %d", ErrTrailingData, tail)
	}
	if err != nil && !errors.Is(err, ErrInvalidJSON) && !errors.Is(err, ErrTrailingData) {
		return nil, col.batch, err
	}
	if err == nil && col.err == nil && !validate {
		return col.calls, col.batch, nil
	}
	if !json.Valid(body) {
		if err == nil || errors.Is(err, ErrInvalidJSON) {
			err = fmt.Errorf("%w", ErrInvalidJSON)
		}
		return nil, col.batch, err
	}
	if err != nil {
		// The scan called valid JSON malformed: decide with the reference.
		if err := CheckDuplicateKeys(body, maxDepth); err != nil {
			return nil, false, err
		}
		return parseCalls(body)
	}
	if col.err != nil {
		return nil, col.batch, errMessage{col.err}
	}
	return col.calls, col.batch, nil
}

// errMessage marks a malformed JSON-RPC message (as opposed to malformed
// JSON or duplicate keys).
type errMessage struct{ err error }

func (e errMessage) Error() string { return e.err.Error() }
func (e errMessage) Unwrap() error { return e.err }

package jsonguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzCheckDuplicateKeys compares CheckDuplicateKeys with a reference built
// from independent parts: json.Valid for syntax, json.Unmarshal into maps
// plus a count of member separators for exact duplicates, strings.EqualFold
// for case variants, and a byte scanner for depth. The two must agree on
// every input, and CheckDuplicateKeys must never panic.
func FuzzCheckDuplicateKeys(f *testing.F) {
	seeds := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"zia_list_users","arguments":{"page":1,"filter":{"Name":"a","name_exact":true}}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/list","Method":"tools/call"}`,
		`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"a","NAME":"b"}}`,
		`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"a","\u004eame":"b"}}`,
		`{"\u006Dethod":1,"method":2}`,
		`{"k":1,"\u212a":2}`,
		`{"s":1,"\u017f":2}`,
		`{"\ud800":1,"\udc00":2}`,
		`{"a\u0000":1,"a":2}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}]`,
		`[{"a":1},{"a":1,"A":2}]`,
		`{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{}}}}}}}}}}}`,
		strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70),
		strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100),
		`{"a":1,"a":2}`,
		`{"a":1}{"a":1}`,
		`{"a":1,}`,
		`[1,2,3,"x",true,false,null,-0.5e+10,1e400]`,
		`"just a string"`,
		`{"a":"\"b\":1","b":1}`,
		`{"a:b":1,"a":{"b":2}}`,
		`{"jsonrpc":"2.0","id":1,"METHOD":"tools/call","Params":{"NAME":"x\u0041"}}`,
		`{"method":"resources/read","params":{"uri":"file:///a","name":"n"}}`,
		`{"method":"tools/call","params":{"name":5}}`,
		`{"method":"tools/call","params":[]}`,
		`{"method":7}`,
		`[{"method":"ping"},3]`,
		`[]`,
		`{"params":{"name":"a"},"method":"tools/call"}`,
		`{"method":"tools/call","params":{"arguments":{"name":"inner"},"name":"outer"}}`,
		`{"method":null,"params":null}`,
		"{\"\xff\":1,\"\xfe\":2}",
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, depth uint8) {
		maxDepth := int(depth % 80) // 0 means DefaultMaxDepth
		err := CheckDuplicateKeys(data, maxDepth)
		checkScanMessages(t, data, maxDepth, err)
		if err != nil && !errors.Is(err, ErrInvalidJSON) && !errors.Is(err, ErrTrailingData) &&
			!errors.Is(err, ErrTooDeep) && !errors.Is(err, ErrDuplicateKey) {
			t.Fatalf("error %v wraps none of the sentinels", err)
		}
		if !json.Valid(data) {
			if err == nil {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			return
		}
		if errors.Is(err, ErrInvalidJSON) || errors.Is(err, ErrTrailingData) {
			t.Fatalf("valid JSON %q rejected as invalid: %v", data, err)
		}
		effDepth := maxDepth
		if effDepth <= 0 {
			effDepth = DefaultMaxDepth
		}
		nesting, members := scan(data)
		dup := hasDuplicates(t, data, members)
		tooDeep := nesting > effDepth
		switch {
		case err == nil && (dup || tooDeep):
			t.Fatalf("accepted %q: reference says duplicate=%v depth=%d (max %d)", data, dup, nesting, effDepth)
		case errors.Is(err, ErrDuplicateKey) && !dup:
			t.Fatalf("%q: false duplicate: %v", data, err)
		case errors.Is(err, ErrTooDeep) && !tooDeep:
			t.Fatalf("%q: depth %d <= %d but: %v", data, nesting, effDepth, err)
		}
	})
}

// scan returns the maximum nesting depth and the number of object members
// (':' outside strings) of valid JSON.
func scan(data []byte) (maxNesting, members int) {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			maxNesting = max(maxNesting, depth)
		case c == '}' || c == ']':
			depth--
		case c == ':':
			members++
		}
	}
	return maxNesting, members
}

// hasDuplicates decodes valid JSON into maps: if the maps hold fewer keys
// than the text has members, two keys unescaped equal; if two keys of one
// map are strings.EqualFold, they are case variants.
func hasDuplicates(t *testing.T, data []byte, members int) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("reference decode of valid JSON: %v", err)
	}
	distinct, caseDup := 0, false
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			distinct += len(v)
			keys := make([]string, 0, len(v))
			for k, e := range v {
				keys = append(keys, k)
				walk(e)
			}
			for i := range keys {
				for j := i + 1; j < len(keys); j++ {
					if strings.EqualFold(keys[i], keys[j]) {
						caseDup = true
					}
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return caseDup || distinct != members
}

// checkScanMessages: the one-pass scan the middleware uses agrees with
// CheckDuplicateKeys followed by the encoding/json parseCalls.
func checkScanMessages(t *testing.T, data []byte, maxDepth int, dupErr error) {
	t.Helper()
	calls, batch, err := scanMessages(data, maxDepth)
	if dupErr != nil {
		if err == nil {
			t.Fatalf("%q: scanMessages accepted what CheckDuplicateKeys refused: %v", data, dupErr)
		}
		for _, sentinel := range []error{ErrInvalidJSON, ErrTrailingData, ErrTooDeep, ErrDuplicateKey} {
			if errors.Is(dupErr, sentinel) != errors.Is(err, sentinel) {
				t.Fatalf("%q: scanMessages %v, CheckDuplicateKeys %v", data, err, dupErr)
			}
		}
		return
	}
	wantCalls, wantBatch, wantErr := parseCalls(data)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: scanMessages err %v, parseCalls err %v", data, err, wantErr)
	}
	if err == nil && (batch != wantBatch || !slices.Equal(calls, wantCalls)) {
		t.Fatalf("%q: scanMessages %v %v, parseCalls %v %v", data, calls, batch, wantCalls, wantBatch)
	}
}

package jsonguard

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"
)

func TestCheckDuplicateKeys(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name     string
		in       string
		maxDepth int
		wantErr  error  // nil: accepted
		wantMsg  string // exact error text when set
	}{
		{name: "json-rpc call", in: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"x":1,"y":[1,{"z":null}]}}}`},
		{name: "same key in sibling objects", in: `{"a":{"a":1},"b":[{"a":1},{"a":2}]}`},
		{name: "batch", in: `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]`},
		{name: "string values equal to keys", in: `{"a":"a","b":"A","c":["a","A"]}`},
		{name: "scalar", in: ` 1e400 `},
		{name: "null", in: `null`},
		{name: "empty object", in: `{}`},
		{name: "keys differing by more than case", in: `{"name":1,"names":2,"nam":3,"na_me":4}`},
		{name: "depth at limit", in: deep(64), maxDepth: 64},
		{name: "default depth", in: deep(DefaultMaxDepth)},

		{name: "exact duplicate", in: `{"a":1,"a":2}`, wantErr: ErrDuplicateKey,
			wantMsg: `duplicate key "a" (same as "a") at $`},
		{name: "case variant method", in: `{"method":"tools/list","Method":"tools/call"}`, wantErr: ErrDuplicateKey,
			wantMsg: `duplicate key "Method" (same as "method") at $`},
		{name: "case variant in params", in: `{"method":"tools/call","params":{"name":"a","Name":"b"}}`, wantErr: ErrDuplicateKey,
			wantMsg: `duplicate key "Name" (same as "name") at $.params`},
		{name: "in batch element", in: `[{"a":1},{"x":{"y":1,"Y":2}}]`, wantErr: ErrDuplicateKey,
			wantMsg: `duplicate key "Y" (same as "y") at $[1].x`},
		{name: "deep in arguments", in: `{"params":{"arguments":{"list":[0,{"K":1,"k":2}]}}}`, wantErr: ErrDuplicateKey,
			wantMsg: `duplicate key "k" (same as "K") at $.params.arguments.list[1]`},
		{name: "after a nested value", in: `{"a":{"b":1},"A":2}`, wantErr: ErrDuplicateKey,
			wantMsg: `duplicate key "A" (same as "a") at $`},
		{name: "escaped key equals plain", in: `{"Method":1,"\u004dethod":2}`, wantErr: ErrDuplicateKey,
			wantMsg: `duplicate key "Method" (same as "Method") at $`},
		{name: "escaped key case variant", in: `{"method":1,"\u004Dethod":2}`, wantErr: ErrDuplicateKey},
		{name: "kelvin sign folds to k", in: `{"k":1,"\u212a":2}`, wantErr: ErrDuplicateKey},
		{name: "long s folds to s", in: `{"name":1,"ſ":0,"S":2}`, wantErr: ErrDuplicateKey},
		{name: "lone surrogates both U+FFFD", in: `{"\ud800":1,"\udc00":2}`, wantErr: ErrDuplicateKey},
		{name: "non-identifier path", in: `{"a b":{"x":1,"X":2}}`, wantErr: ErrDuplicateKey,
			wantMsg: `duplicate key "X" (same as "x") at $["a b"]`},

		{name: "too deep", in: deep(65), maxDepth: 64, wantErr: ErrTooDeep},
		{name: "too deep default", in: deep(DefaultMaxDepth + 1), wantErr: ErrTooDeep},
		{name: "too deep message", in: `{"a":[{"b":1}]}`, maxDepth: 2, wantErr: ErrTooDeep,
			wantMsg: `JSON nested too deeply: more than 2 levels at $.a[0]`},
		{name: "very deep is cheap", in: deep(1 << 20), wantErr: ErrTooDeep},

		{name: "empty", in: ``, wantErr: ErrInvalidJSON},
		{name: "blank", in: "  \n", wantErr: ErrInvalidJSON},
		{name: "trailing comma", in: `{"a":1,}`, wantErr: ErrInvalidJSON},
		{name: "missing colon", in: `{"a" 1}`, wantErr: ErrInvalidJSON},
		{name: "missing comma", in: `[1 2]`, wantErr: ErrInvalidJSON},
		{name: "unterminated", in: `{"a":[1`, wantErr: ErrInvalidJSON},
		{name: "bad literal", in: `nul`, wantErr: ErrInvalidJSON},
		{name: "control char in string", in: "{\"a\":\"\x01\"}", wantErr: ErrInvalidJSON},
		{name: "non-string key", in: `{1:2}`, wantErr: ErrInvalidJSON},
		{name: "two values", in: `{} {}`, wantErr: ErrTrailingData},
		{name: "extra close", in: `{"a":1}}`, wantErr: ErrTrailingData},
		{name: "trailing garbage", in: `[1] x`, wantErr: ErrTrailingData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDuplicateKeys([]byte(tt.in), tt.maxDepth)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("CheckDuplicateKeys: unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CheckDuplicateKeys error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("error text = %q, want %q", err.Error(), tt.wantMsg)
			}
		})
	}
}

// TestCaseVariantsReachTheSameField shows the attack the check prevents:
// encoding/json decodes every case variant (Unicode folding included) into
// the same struct field, last one winning.
func TestCaseVariantsReachTheSameField(t *testing.T) {
	for _, in := range []string{
		`{"method":"tools/list","Method":"tools/call"}`,
		`{"method":"tools/list","METHOD":"tools/call"}`,
		`{"method":"tools/list","\u004dethod":"tools/call"}`,
		`{"mask":"tools/list","ma\u017fk":"tools/call"}`,      // ſ (long s)
		`{"mask":"tools/list","ma\u017f\u212a":"tools/call"}`, // ſ and Kelvin sign
	} {
		var m struct {
			Method string `json:"method"`
			Mask   string `json:"mask"`
		}
		if err := json.Unmarshal([]byte(in), &m); err != nil {
			t.Fatal(err)
		}
		if m.Method != "tools/call" && m.Mask != "tools/call" {
			t.Errorf("%s: encoding/json did not take the variant (%+v); the premise changed", in, m)
		}
		if err := CheckDuplicateKeys([]byte(in), 0); !errors.Is(err, ErrDuplicateKey) {
			t.Errorf("%s: CheckDuplicateKeys = %v, want ErrDuplicateKey", in, err)
		}
	}
}

// TestFoldKeyMatchesEqualFold checks foldKey against strings.EqualFold over
// every rune's simple folding orbit.
func TestFoldKeyMatchesEqualFold(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		f := foldRune(r)
		if !strings.EqualFold(string(r), string(f)) {
			t.Fatalf("foldRune(%U) = %U, not EqualFold", r, f)
		}
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if foldRune(o) != f {
				t.Fatalf("foldRune(%U) = %U but foldRune(%U) = %U", o, foldRune(o), r, f)
			}
			if o < f {
				t.Fatalf("foldRune(%U) = %U is not the smallest of its orbit (%U)", r, f, o)
			}
		}
	}
	if foldKey("Method") != foldKey("mETHOD") || foldKey("a") == foldKey("b") {
		t.Fatal("foldKey does not fold ASCII case")
	}
}

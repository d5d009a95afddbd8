package jsonguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxDepth is the nesting limit used when CheckDuplicateKeys is
// given a non-positive depth.
const DefaultMaxDepth = 64

// Errors returned (wrapped) by CheckDuplicateKeys; test with errors.Is.
var (
	// ErrDuplicateKey: an object has two keys equal exactly or under case
	// folding.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrInvalidJSON: the input is not JSON.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrTrailingData: something other than white space follows the value.
	ErrTrailingData = errors.New("trailing data after JSON value")
	// ErrTooDeep: objects and arrays nest deeper than allowed.
	ErrTooDeep = errors.New("JSON nested too deeply")
)

// CheckDuplicateKeys streams over data (one JSON value) and returns nil when
// it is valid JSON, nests at most maxDepth objects/arrays deep (maxDepth <= 0
// means DefaultMaxDepth) and no object anywhere, inside arrays included, has
// two keys that are equal, or equal under the case folding encoding/json
// uses to match keys to struct fields (Unicode simple folding, as
// strings.EqualFold). Keys are compared after JSON unescaping, so
// "\u004dethod" is "Method"; invalid UTF-8 and lone surrogates unescape to
// U+FFFD as they do in encoding/json.
//
// The error wraps ErrDuplicateKey, ErrInvalidJSON, ErrTrailingData or
// ErrTooDeep and names where the problem is as a path from the root "$", for
// example `duplicate key "Method" (same as "method") at $.params` or
// `... at $[1].params.arguments`.
func CheckDuplicateKeys(data []byte, maxDepth int) error {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	// The byte scanner is the fast path (one pass, few allocations); it
	// finds duplicates and excess depth on any input, and json.Valid then
	// decides syntax. Should it ever call valid JSON malformed, the
	// token-based walk below decides instead.
	err, tail := scanKeys(data, maxDepth, nil)
	switch {
	case err != nil && !errors.Is(err, ErrInvalidJSON):
		return err
	case json.Valid(data):
		if err == nil {
			return nil
		}
		return checkTokens(data, maxDepth)
	case err == nil && tail >= 0:
		return fmt.Errorf("%w at offset %d", ErrTrailingData, tail)
	default:
		return fmt.Errorf("%w", ErrInvalidJSON)
	}
}

// checkTokens is the reference walk with encoding/json's tokenizer.
func checkTokens(data []byte, maxDepth int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers stay text: 1e400 is valid JSON, not a range error
	var stack []frame
	done := false
	for !done {
		tok, err := dec.Token()
		if err == io.EOF {
			return fmt.Errorf("%w: unexpected end of input", ErrInvalidJSON)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidJSON, err)
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxDepth {
					return fmt.Errorf("%w: more than %d levels at %s", ErrTooDeep, maxDepth, path(stack, len(stack)))
				}
				stack = append(stack, frame{object: t == '{', expectKey: t == '{'})
				continue
			default: // '}' or ']'
				stack = stack[:len(stack)-1]
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].expectKey {
				if err := stack[n-1].addKey(t); err != nil {
					return fmt.Errorf("%w at %s", err, path(stack, n-1))
				}
				continue
			}
		}
		// A complete value ended.
		if n := len(stack); n == 0 {
			done = true
		} else if stack[n-1].object {
			stack[n-1].expectKey = true
		} else {
			stack[n-1].index++
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w at offset %d", ErrTrailingData, dec.InputOffset())
	}
	// Decoder.Token is strict, but json.Valid is the reference for what
	// json.Unmarshal accepts; it costs one more linear pass.
	if !json.Valid(data) {
		return fmt.Errorf("%w", ErrInvalidJSON)
	}
	return nil
}

// frame is one open object or array during the walk.
type frame struct {
	object    bool
	expectKey bool              // object: the next string token is a key
	key       string            // object: the key of the member being read
	index     int               // array: the index of the element being read
	seen      map[string]string // object: folded key → key as first seen
}

// addKey records key in an object frame, failing when a key that folds to
// the same string was seen before.
func (f *frame) addKey(key string) error {
	fk := foldKey(key)
	if prev, ok := f.seen[fk]; ok {
		return fmt.Errorf("%w %s (same as %s)", ErrDuplicateKey, quoteKey(key), quoteKey(prev))
	}
	if f.seen == nil {
		f.seen = make(map[string]string)
	}
	f.seen[fk] = key
	f.key = key
	f.expectKey = false
	return nil
}

// foldKey maps every rune of s to the smallest rune of its simple case
// folding orbit, so foldKey(a) == foldKey(b) exactly when
// strings.EqualFold(a, b), which is also when encoding/json treats a and b as
// the same field name.
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s { // invalid UTF-8 reads as U+FFFD, as in EqualFold
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf { // ASCII upper case is the smallest of its orbit (K, S included)
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// path renders the location of the value held by stack[depth] (the
// enclosing containers being stack[:depth]) as "$", "$.params",
// "$[0].params", `$["a b"]`.
func path(stack []frame, depth int) string {
	var b strings.Builder
	b.WriteString("$")
	for _, f := range stack[:depth] {
		if !f.object {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
			continue
		}
		if isIdent(f.key) {
			b.WriteString("." + f.key)
		} else {
			b.WriteString("[" + quoteKey(f.key) + "]")
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" || len(s) > maxKeyEcho {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return true
}

// maxKeyEcho bounds how much of a key an error message repeats.
const maxKeyEcho = 64

func quoteKey(s string) string {
	if len(s) > maxKeyEcho {
		s = s[:maxKeyEcho] + "..."
	}
	return strconv.Quote(s)
}

package jsonguard

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// smallObject is how many keys an object holds before its seen-set moves
// from a slice (linear search, no allocation) to a map.
const smallObject = 16

// scanFrame is one open object or array of the byte scanner.
type scanFrame struct {
	object   bool
	key      []byte // object: the key of the member being read
	index    int    // array: the index of the element being read
	keyStart int    // object: where its keys start in the scanner's key arena
	big      map[string]string
}

// addKey records key (a slice of the input, or its unescaped copy) in the
// innermost object f, appending it to keys: the keys of every open object,
// innermost last (objects nest, so an object's keys are always the tail,
// and closing it truncates the slice; one slice serves the whole scan). Small objects compare with bytes.EqualFold, which
// matches exactly when foldKey does, without allocating.
func (f *scanFrame) addKey(key []byte, keys [][]byte) ([][]byte, error) {
	if f.big != nil {
		fk := foldKey(string(key))
		if prev, ok := f.big[fk]; ok {
			return keys, fmt.Errorf("%w %s (same as %s)", ErrDuplicateKey, quoteKey(string(key)), quoteKey(prev))
		}
		f.big[fk] = string(key)
	} else {
		mine := keys[f.keyStart:]
		for _, k := range mine {
			if bytes.EqualFold(k, key) {
				return keys, fmt.Errorf("%w %s (same as %s)", ErrDuplicateKey, quoteKey(string(key)), quoteKey(string(k)))
			}
		}
		keys = append(keys, key)
		if len(mine)+1 > smallObject {
			f.big = make(map[string]string, 2*smallObject)
			for _, k := range keys[f.keyStart:] {
				f.big[foldKey(string(k))] = string(k)
			}
			keys = keys[:f.keyStart]
		}
	}
	f.key = key
	return keys, nil
}

type scanState int

const (
	wantValue scanState = iota
	wantKey
	afterValue
)

// scanKeys walks data once. It returns a duplicate-key or depth error as
// soon as it sees one (whatever the rest of the input), ErrInvalidJSON when
// the structure is broken, or nil with tail = the offset of non-space bytes
// after the top-level value (-1 when there are none). It does not check
// literals, numbers or escapes: json.Valid does, and on valid JSON the walk
// is exact.
func scanKeys(data []byte, maxDepth int, col *collector) (err error, tail int) {
	var (
		frames [16]scanFrame
		keys   [32][]byte
		stack  = frames[:0]
		arena  = keys[:0]
		i      = skipSpace(data, 0)
		state  = wantValue
	)
	pop := func() {
		if f := stack[len(stack)-1]; f.object {
			arena = arena[:f.keyStart]
		}
		stack = stack[:len(stack)-1]
	}
	invalid := func() (error, int) { return fmt.Errorf("%w", ErrInvalidJSON), -1 }
	for {
		switch state {
		case wantValue:
			if i >= len(data) {
				return invalid()
			}
			if col != nil {
				if err := col.value(stack, data, i); err != nil {
					return err, -1
				}
			}
			switch data[i] {
			case '{', '[':
				if len(stack) >= maxDepth {
					return fmt.Errorf("%w: more than %d levels at %s", ErrTooDeep, maxDepth, scanPath(stack)), -1
				}
				obj := data[i] == '{'
				stack = append(stack, scanFrame{object: obj, keyStart: len(arena)})
				i = skipSpace(data, i+1)
				if i < len(data) && (data[i] == '}' && obj || data[i] == ']' && !obj) {
					if col != nil {
						if err := col.closed(stack); err != nil {
							return err, -1
						}
					}
					pop()
					i++
					state = afterValue
				} else if obj {
					state = wantKey
				}
			case '"':
				j, _, ok := skipString(data, i)
				if !ok {
					return invalid()
				}
				i, state = j, afterValue
			default:
				j := i
				for j < len(data) && !isDelim(data[j]) {
					j++
				}
				if j == i {
					return invalid()
				}
				i, state = j, afterValue
			}
		case wantKey:
			if i >= len(data) || data[i] != '"' {
				return invalid()
			}
			j, escaped, ok := skipString(data, i)
			if !ok {
				return invalid()
			}
			key := data[i+1 : j-1]
			if escaped {
				var k string
				if json.Unmarshal(data[i:j], &k) != nil {
					return invalid()
				}
				key = []byte(k)
			}
			top := &stack[len(stack)-1]
			if arena, err = top.addKey(key, arena); err != nil {
				return fmt.Errorf("%w at %s", err, scanPath(stack[:len(stack)-1])), -1
			}
			i = skipSpace(data, j)
			if i >= len(data) || data[i] != ':' {
				return invalid()
			}
			i, state = skipSpace(data, i+1), wantValue
		case afterValue:
			i = skipSpace(data, i)
			if len(stack) == 0 {
				if i < len(data) {
					return nil, i
				}
				return nil, -1
			}
			if i >= len(data) {
				return invalid()
			}
			top := &stack[len(stack)-1]
			switch c := data[i]; {
			case c == ',':
				i = skipSpace(data, i+1)
				if top.object {
					state = wantKey
				} else {
					top.index++
					state = wantValue
				}
			case c == '}' && top.object, c == ']' && !top.object:
				if col != nil {
					if err := col.closed(stack); err != nil {
						return err, -1
					}
				}
				pop()
				i++
			default:
				return invalid()
			}
		}
	}
}

// skipString returns the offset after the string starting at data[i] == '"',
// whether it contains escapes, and false when it is unterminated.
func skipString(data []byte, i int) (int, bool, bool) {
	escaped := false
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, true
		}
	}
	return 0, false, false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func isDelim(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
		return true
	}
	return false
}

// scanPath renders the location of the value held inside stack's innermost
// container, like path does for the token walk.
func scanPath(stack []scanFrame) string {
	fr := make([]frame, len(stack))
	for i, f := range stack {
		fr[i] = frame{object: f.object, key: string(f.key), index: f.index}
	}
	return path(fr, len(fr))
}

package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestDecodeStringList: the fast path agrees with encoding/json on what it
// accepts and hands everything else to it (same result, same errors).
func TestDecodeStringList(t *testing.T) {
	for _, src := range []string{
		`[]`, `[ ]`, `["a"]`, `["https://x.example/cb","http://127.0.0.1/cb"]`, ` [ "a" , "b" ] `,
		`["with \"quote\""]`, `["tab\tand \u00e9"]`, `["a",]`, `["a" "b"]`, `[1]`, `["a"`, `null`, `"a"`, `["é ü"]`, `[""]`, ``, "[\"raw\ttab\"]", `["<&>"]`,
	} {
		var want, got []string
		wantErr := json.Unmarshal([]byte(src), &want)
		gotErr := decodeStringList(src, &got)
		if (wantErr == nil) != (gotErr == nil) {
			t.Errorf("%q: error %v, encoding/json %v", src, gotErr, wantErr)
			continue
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%q: %q, encoding/json %q", src, got, want)
		}
	}
}

func BenchmarkDecodeStringList(b *testing.B) {
	src := `["https://client.example.com/callback","http://127.0.0.1/callback"]`
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var l []string
			_ = decodeStringList(src, &l)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var l []string
			_ = json.Unmarshal([]byte(src), &l)
		}
	})
}

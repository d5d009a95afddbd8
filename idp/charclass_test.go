package idp

import (
	"regexp"
	"strings"
	"testing"
)

// TestCharclassMatchesRegexp: the hand-written matchers accept exactly
// what the regular expressions they replace accepted, on boundary cases
// (lengths, first character, every character class edge, non-ASCII and
// control bytes) and on every string derived from them by one edit.
func TestCharclassMatchesRegexp(t *testing.T) {
	matchers := []struct {
		name string
		re   *regexp.Regexp
		fn   func(string) bool
	}{
		{"validID", regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`), validID},
		{"validOktaAS", regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`), validOktaAS},
		{"isGUID", regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`), isGUID},
	}
	seeds := []string{
		"", "a", "Z", "0", "9", ".", "_", "-", "a.b_c-d", ".abc", "_abc", "-abc",
		"corp", "dev", "my-idp.v2", "aus1abcdEFGH2345",
		strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 65),
		"a" + strings.Repeat(".", 63), "a" + strings.Repeat("-", 64),
		"00000000-0000-0000-0000-000000000000", "9188040d-6c67-4c5b-b112-36a304b66dad",
		"9188040D-6C67-4C5B-B112-36A304B66DAD", "9188040d-6c67-4c5b-b112-36a304b66da",
		"9188040d-6c67-4c5b-b112-36a304b66dadd", "9188040d6c674c5bb11236a304b66dad",
		"9188040g-6c67-4c5b-b112-36a304b66dad", "9188040d_6c67-4c5b-b112-36a304b66dad",
		"{9188040d-6c67-4c5b-b112-36a304b66dad}", "é", "aé", "a\x00", "a\n", "a b", "a/b", "a:b",
		"contoso.onmicrosoft.com", "common",
	}
	// Every string one edit away from a seed: each byte replaced by a
	// boundary character, deleted, or doubled.
	edges := []byte{'/', '0', '9', ':', '@', 'A', 'F', 'G', 'Z', '[', '`', 'a', 'f', 'g', 'z', '{', '-', '.', '_', ' ', 0x7f, 0xc3}
	inputs := append([]string(nil), seeds...)
	for _, s := range seeds {
		for i := 0; i < len(s); i++ {
			for _, c := range edges {
				inputs = append(inputs, s[:i]+string([]byte{c})+s[i+1:])
			}
			inputs = append(inputs, s[:i]+s[i+1:], s[:i+1]+s[i:])
		}
	}
	for _, m := range matchers {
		accepted := 0
		for _, in := range inputs {
			want := m.re.MatchString(in)
			if got := m.fn(in); got != want {
				t.Errorf("%s(%q) = %v, the regexp says %v", m.name, in, got, want)
			}
			if want {
				accepted++
			}
		}
		if accepted == 0 {
			t.Errorf("%s: no input accepted; the table tests nothing", m.name)
		}
	}
}

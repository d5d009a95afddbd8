package sqlite

import (
	"encoding/json"
	"strings"
)

// decodeStringList decodes a JSON array of strings as written by
// json.Marshal([]string) (the client's list columns). Strings without
// escapes — every redirect URI, grant type and scope in practice — are
// sliced out directly; anything else goes through encoding/json, which
// costs several allocations and a reflection walk per list and showed up
// in every token request's profile (a client is read once or twice per
// request).
func decodeStringList(src string, dst *[]string) error {
	s := strings.TrimSpace(src)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' || strings.IndexByte(s, '\\') >= 0 {
		return json.Unmarshal([]byte(src), dst)
	}
	body := strings.TrimSpace(s[1 : len(s)-1])
	out := []string{}
	for body != "" {
		if body[0] != '"' {
			return json.Unmarshal([]byte(src), dst)
		}
		end := strings.IndexByte(body[1:], '"')
		if end < 0 {
			return json.Unmarshal([]byte(src), dst)
		}
		v := body[1 : 1+end]
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 { // raw control characters are invalid JSON
				return json.Unmarshal([]byte(src), dst)
			}
		}
		out = append(out, v)
		body = strings.TrimSpace(body[2+end:])
		if body == "" {
			break
		}
		if body[0] != ',' {
			return json.Unmarshal([]byte(src), dst)
		}
		body = strings.TrimSpace(body[1:])
		if body == "" { // trailing comma: invalid JSON
			return json.Unmarshal([]byte(src), dst)
		}
	}
	*dst = out
	return nil
}

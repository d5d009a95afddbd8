package hardening

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// errorBody is the JSON rejection written by every middleware here.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// WriteJSONError writes status with the body
// {"error": code, "error_description": description}. The response is never
// cached and never sniffed.
func WriteJSONError(w http.ResponseWriter, status int, code, description string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: code, Description: description})
}

// maxEcho bounds how much of a client-supplied value a rejection repeats.
const maxEcho = 200

// quoteClient quotes a client-supplied value for an error message,
// truncating it so a rejection never amplifies a large header.
func quoteClient(s string) string {
	if len(s) > maxEcho {
		s = s[:maxEcho] + "..."
	}
	return strconv.Quote(s)
}

// SplitList splits a comma- or whitespace-separated configuration list (as
// in ZSCALER_MCP_ALLOWED_HOSTS), dropping empty entries; an empty list gives
// nil.
func SplitList(list string) []string {
	out := strings.FieldsFunc(list, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type stubValidator struct {
	name string
	kind Kind
	id   *Identity
	err  error
}

func (s stubValidator) Name() string { return s.name }
func (s stubValidator) Validate(_ context.Context, _ *http.Request, c Credential) (*Identity, error) {
	if c.Kind != s.kind {
		return nil, ErrNotMine
	}
	return s.id, s.err
}

func TestMiddlewareRejections(t *testing.T) {
	key := strings.Repeat("k", 32)
	apikey, err := NewAPIKeyValidator([]string{key, strings.Repeat("r", 32)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prm := func(*http.Request) string { return "http://localhost:8000/.well-known/oauth-protected-resource/mcp" }
	tests := []struct {
		name       string
		opts       Options
		headers    map[string]string
		host       string
		wantStatus int
		wantWWW    string // exact WWW-Authenticate
		wantRetry  string
	}{
		{"missing credential, api-key mode: no error param, no metadata (RFC 6750 §3.1)", Options{Validators: []Validator{apikey}}, nil, "", 401,
			`Bearer realm="zscaler-mcp"`, ""},
		{"wrong key: invalid_token", Options{Validators: []Validator{apikey}}, map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 32)}, "", 401,
			`Bearer realm="zscaler-mcp", error="invalid_token"`, ""},
		{"right key via Bearer", Options{Validators: []Validator{apikey}}, map[string]string{"Authorization": "Bearer " + key}, "", 200, "", ""},
		{"right key via X-Api-Key", Options{Validators: []Validator{apikey}}, map[string]string{"X-Api-Key": key}, "", 200, "", ""},
		{"second (rotated-in) key accepted", Options{Validators: []Validator{apikey}}, map[string]string{"X-Api-Key": strings.Repeat("r", 32)}, "", 200, "", ""},
		{"malformed header: invalid_token", Options{Validators: []Validator{apikey}}, map[string]string{"Authorization": "Token abc"}, "", 401,
			`Bearer realm="zscaler-mcp", error="invalid_token"`, ""},
		{"oauth mode advertises metadata and scope (RFC 9728 §5.1)", Options{Validators: []Validator{apikey}, Challenge: Challenge{ResourceMetadata: prm}}, nil, "", 401,
			`Bearer realm="zscaler-mcp", resource_metadata="http://localhost:8000/.well-known/oauth-protected-resource/mcp", scope="zscaler.read"`, ""},
		{"zscaler mode: Basic challenge", Options{Validators: []Validator{stubValidator{name: ModeZscaler, kind: KindBasic}}, Challenge: Challenge{Basic: true}}, nil, "", 401,
			`Basic realm="zscaler-mcp"`, ""},
		{"upstream outage: 503 + Retry-After, never 401", Options{Validators: []Validator{stubValidator{name: ModeZscaler, kind: KindBearer, err: Unavailable("idp down", 30*time.Second, nil)}}},
			map[string]string{"Authorization": "Bearer t"}, "", 503, "", "30"},
		{"none mode on loopback", Options{AllowNone: true}, nil, "localhost:8000", 200, "", ""},
		{"none mode refuses non-loopback Host", Options{AllowNone: true}, nil, "evil.example:8000", 401, `Bearer realm="zscaler-mcp"`, ""},
		{"none mode refuses forwarded request", Options{AllowNone: true}, map[string]string{"X-Forwarded-For": "203.0.113.9"}, "localhost:8000", 401, `Bearer realm="zscaler-mcp"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *Identity
			h := Middleware(tt.opts)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = FromContext(r.Context())
			}))
			req := httptest.NewRequest("POST", "/mcp", nil)
			req.RemoteAddr = "127.0.0.1:5555"
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == 200 {
				if got == nil {
					t.Fatal("no identity in context")
				}
				return
			}
			if w := rec.Header().Get("WWW-Authenticate"); w != tt.wantWWW {
				t.Errorf("WWW-Authenticate = %q, want %q", w, tt.wantWWW)
			}
			if r := rec.Header().Get("Retry-After"); r != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", r, tt.wantRetry)
			}
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error_description"] == "" {
				t.Errorf("body %q is not a JSON error with a reason", rec.Body)
			}
			for _, v := range tt.headers {
				if len(v) > 8 && strings.Contains(rec.Body.String(), v) {
					t.Errorf("body echoes the credential")
				}
			}
		})
	}
}

func TestInsufficientScopeChallenge(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("POST", "/mcp", nil), Challenge{}, InsufficientScope(ScopeRead+" "+ScopeWrite))
	if rec.Code != 403 {
		t.Fatalf("status %d", rec.Code)
	}
	want := `Bearer realm="zscaler-mcp", error="insufficient_scope", scope="zscaler.read zscaler.write"`
	if got := rec.Header().Get("WWW-Authenticate"); got != want {
		t.Fatalf("WWW-Authenticate = %q, want %q", got, want)
	}
}

func TestAPIKeyConfig(t *testing.T) {
	if _, err := NewAPIKeyValidator(nil, nil); err == nil {
		t.Error("no keys accepted")
	}
	if _, err := NewAPIKeyValidator([]string{"short"}, nil); err == nil || !strings.Contains(err.Error(), "shorter than") {
		t.Errorf("short key: %v", err)
	}
	if k := GenerateAPIKey(); len(k) != 64 || strings.Trim(k, "0123456789abcdef") != "" || k == GenerateAPIKey() {
		t.Errorf("GenerateAPIKey = %q, want 64 fresh hex chars", k)
	}
	if got := ParseAPIKeys(" a, ,b ,"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("ParseAPIKeys = %q", got)
	}
	a, _ := NewAPIKeyValidator([]string{strings.Repeat("a", 20), strings.Repeat("b", 20)}, []string{ScopeRead})
	id1, _ := a.Validate(context.Background(), nil, Credential{Kind: KindBearer, Token: strings.Repeat("a", 20)})
	id2, _ := a.Validate(context.Background(), nil, Credential{Kind: KindBearer, Token: strings.Repeat("b", 20)})
	if id1 == nil || id2 == nil || id1.Subject == id2.Subject || strings.Contains(id1.Subject, "aaaa") {
		t.Fatalf("keys must map to distinct subjects that do not reveal the key: %+v %+v", id1, id2)
	}
	if id1.HasScope(ScopeWrite) || !id1.HasScope(ScopeRead) {
		t.Errorf("configured narrower scopes not applied: %v", id1.Scopes)
	}
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/token/jwt"
)

func TestErrors(t *testing.T) {
	nf := NotFound("refresh token")
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"NotFound is ErrNotFound", nf, ErrNotFound, true},
		{"NotFound is fosite.ErrNotFound", nf, fosite.ErrNotFound, true},
		{"wrapped NotFound is fosite.ErrNotFound", fmt.Errorf("ctx: %w", nf), fosite.ErrNotFound, true},
		{"NotFound is not ErrAlreadyExists", nf, ErrAlreadyExists, false},
		{"schema error is ErrSchemaTooNew", &SchemaTooNewError{3, 2}, ErrSchemaTooNew, true},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("%s: errors.Is = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got, want := (&SchemaTooNewError{3, 2}).Error(), "database schema version 3 is newer than this binary supports (2); upgrade zscaler-mcp"; got != want {
		t.Errorf("SchemaTooNewError = %q, want %q", got, want)
	}
	if got := nf.Error(); got != "refresh token: not found" {
		t.Errorf("NotFound message = %q", got)
	}
}

func TestIsConcurrentUse(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{fosite.ErrServerError.WithWrap(fmt.Errorf("x: %w", fosite.ErrSerializationFailure)), true},
		{fosite.ErrServerError.WithWrap(fmt.Errorf("x: %w", fosite.ErrInvalidatedAuthorizeCode)), true},
		{fosite.ErrInvalidGrant, false},
		{fosite.ErrServerError.WithWrap(errors.New("disk full")), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := IsConcurrentUse(tt.err); got != tt.want {
			t.Errorf("IsConcurrentUse(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestSHA256Hasher(t *testing.T) {
	ctx := context.Background()
	h := SHA256Hasher{}
	hash, err := h.Hash(ctx, []byte("s3cret"))
	if err != nil || string(hash) != string(HashSecret("s3cret")) || len(hash) != 32 {
		t.Fatalf("Hash = %x, %v", hash, err)
	}
	tests := []struct {
		name string
		hash []byte
		data string
		ok   bool
	}{
		{"match", hash, "s3cret", true},
		{"wrong secret", hash, "s3cret!", false},
		{"empty secret", hash, "", false},
		{"truncated hash", hash[:16], "s3cret", false},
		{"no hash (public client)", nil, "s3cret", false},
	}
	for _, tt := range tests {
		err := h.Compare(ctx, tt.hash, []byte(tt.data))
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrHashMismatch) {
			t.Errorf("%s: Compare = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestClientFositeView(t *testing.T) {
	tests := []struct {
		name      string
		c         Client
		public    bool
		grants    fosite.Arguments
		responses fosite.Arguments
	}{
		{"defaults", Client{TokenEndpointAuthMethod: AuthMethodNone}, true, fosite.Arguments{"authorization_code"}, fosite.Arguments{"code"}},
		{"confidential", Client{TokenEndpointAuthMethod: AuthMethodClientSecretBasic, GrantTypes: []string{"authorization_code", "refresh_token"},
			ResponseTypes: []string{"code"}}, false, fosite.Arguments{"authorization_code", "refresh_token"}, fosite.Arguments{"code"}},
		{"post", Client{TokenEndpointAuthMethod: AuthMethodClientSecretPost}, false, fosite.Arguments{"authorization_code"}, fosite.Arguments{"code"}},
	}
	for _, tt := range tests {
		if tt.c.IsPublic() != tt.public || !equal(tt.c.GetGrantTypes(), tt.grants) || !equal(tt.c.GetResponseTypes(), tt.responses) {
			t.Errorf("%s: public=%v grants=%v responses=%v", tt.name, tt.c.IsPublic(), tt.c.GetGrantTypes(), tt.c.GetResponseTypes())
		}
	}
	// Clone is deep.
	c := &Client{ID: "x", RedirectURIs: []string{"a"}, SecretHash: []byte{1}, Metadata: json.RawMessage(`{}`)}
	d := c.Clone()
	d.RedirectURIs[0], d.SecretHash[0], d.Metadata[0] = "b", 2, '['
	if c.RedirectURIs[0] != "a" || c.SecretHash[0] != 1 || c.Metadata[0] != '{' {
		t.Error("Clone shares memory with the original")
	}
}

func equal(a, b fosite.Arguments) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSessionGrantExpiryCap(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	end := now.Add(time.Hour)
	tests := []struct {
		name  string
		grant time.Time
		key   fosite.TokenType
		set   time.Time // zero: not set
		want  time.Time
	}{
		{"no grant end: as set", time.Time{}, fosite.RefreshToken, now.Add(48 * time.Hour), now.Add(48 * time.Hour)},
		{"no grant end: unset stays zero", time.Time{}, fosite.RefreshToken, time.Time{}, time.Time{}},
		{"before the end: as set", end, fosite.AccessToken, now.Add(time.Minute), now.Add(time.Minute)},
		{"after the end: capped", end, fosite.RefreshToken, now.Add(48 * time.Hour), end},
		{"access token after the end: capped", end, fosite.AccessToken, now.Add(2 * time.Hour), end},
		{"unset refresh token (unlimited): the end", end, fosite.RefreshToken, time.Time{}, end},
		{"unset access token: stays zero (fosite applies its lifespan)", end, fosite.AccessToken, time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Session{GrantExpiresAt: tt.grant}
			if !tt.set.IsZero() {
				s.SetExpiresAt(tt.key, tt.set)
			}
			if got := s.GetExpiresAt(tt.key); !got.Equal(tt.want) {
				t.Errorf("GetExpiresAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSessionCloneIsDeep(t *testing.T) {
	s := &Session{Subject: "a", Extra: map[string]any{"groups": []any{"x"}, "m": map[string]any{"k": "v"}},
		ExpiresAt: map[fosite.TokenType]time.Time{fosite.AccessToken: time.Unix(1, 0)}}
	c := s.Clone().(*Session)
	c.Subject = "b"
	c.Extra["groups"].([]any)[0] = "y"
	c.Extra["m"].(map[string]any)["k"] = "w"
	c.ExpiresAt[fosite.AccessToken] = time.Unix(2, 0)
	if s.Subject != "a" || s.Extra["groups"].([]any)[0] != "x" || s.Extra["m"].(map[string]any)["k"] != "v" ||
		!s.ExpiresAt[fosite.AccessToken].Equal(time.Unix(1, 0)) {
		t.Errorf("Clone shares state: %+v", s)
	}
	if (*Session)(nil).Clone() != nil {
		t.Error("nil Clone is not nil")
	}
}

func TestSessionJWT(t *testing.T) {
	s := &Session{Subject: "alice", ClientID: "client-1", GrantID: "grant-1", IdP: "corp",
		Extra: map[string]any{"email": "a@example.com", "iss": "forged", ClaimClientID: "forged"}}
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	mint := func(field jwt.JWTScopeFieldEnum) jwt.MapClaims {
		// What fosite's DefaultJWTStrategy does.
		return s.GetJWTClaims().
			With(exp, []string{"zscaler.read", "zscaler.write"}, []string{"https://mcp.example.com/mcp"}).
			WithDefaults(time.Now().UTC(), "https://as.example.com").
			WithScopeField(field).
			ToMapClaims()
	}
	for _, field := range []jwt.JWTScopeFieldEnum{jwt.JWTScopeFieldUnset, jwt.JWTScopeFieldList, jwt.JWTScopeFieldBoth} {
		c := mint(field)
		if c["scope"] != "zscaler.read zscaler.write" || c["scp"] != nil {
			t.Errorf("scope field %v: scope=%v scp=%v, want only the space-separated string", field, c["scope"], c["scp"])
		}
	}
	a, b := mint(jwt.JWTScopeFieldUnset), mint(jwt.JWTScopeFieldUnset)
	want := map[string]any{"sub": "alice", ClaimClientID: "client-1", ClaimGrantID: "grant-1", ClaimIdP: "corp",
		"iss": "https://as.example.com", "email": "a@example.com", "exp": exp.Unix()}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("claim %s = %v, want %v", k, a[k], v)
		}
	}
	if a["jti"] == "" || a["jti"] == b["jti"] {
		t.Errorf("jti %v / %v: want fresh per token", a["jti"], b["jti"])
	}
	if s.Extra["iss"] != "forged" || len(s.Extra) != 3 {
		t.Error("GetJWTClaims modified the session's Extra")
	}
	if h := s.GetJWTHeader().ToMap(); h["typ"] != "at+jwt" {
		t.Errorf("header = %v, want typ at+jwt", h)
	}
	ec := s.GetExtraClaims()
	if ec[ClaimGrantID] != "grant-1" || ec[ClaimIdP] != "corp" || ec["email"] != "a@example.com" {
		t.Errorf("GetExtraClaims = %v", ec)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	client := &Client{ID: "c1"}
	req := &fosite.Request{
		ID: "r1", RequestedAt: time.Unix(1700000000, 0).UTC(), Client: client,
		RequestedScope: fosite.Arguments{"a", "b"}, GrantedScope: fosite.Arguments{"a"},
		RequestedAudience: fosite.Arguments{"x"}, GrantedAudience: fosite.Arguments{"x"},
		Form:    url.Values{"redirect_uri": {"https://x/cb"}, "client_secret": {"no"}, "code_verifier": {"no"}, "refresh_token": {"no"}},
		Session: &Session{Subject: "sub", GrantID: "r1"},
	}
	b, err := MarshalRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	if req.Form.Get("client_secret") != "no" {
		t.Error("MarshalRequest modified the request's form")
	}
	got, err := UnmarshalRequest(b, client, &Session{Subject: "template"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "r1" || !got.RequestedAt.Equal(req.RequestedAt) || got.Client != client ||
		!equal(got.RequestedScope, req.RequestedScope) || !equal(got.GrantedAudience, req.GrantedAudience) ||
		got.Form.Get("redirect_uri") != "https://x/cb" || len(got.Form) != 1 ||
		got.Session.(*Session).Subject != "sub" || got.Session.(*Session).GrantID != "r1" {
		t.Errorf("round trip = %+v", got)
	}
	if _, err := UnmarshalRequest(b, &Client{ID: "other"}, nil); err == nil {
		t.Error("UnmarshalRequest accepted a different client")
	}
	if _, err := MarshalRequest(&fosite.Request{}); err == nil {
		t.Error("MarshalRequest accepted a request without a client")
	}
}

type countingGC struct{ n atomic.Int64 }

func (c *countingGC) GC(context.Context, time.Time) (int, error) { c.n.Add(1); return 0, nil }

func TestRunGCStops(t *testing.T) {
	gc := &countingGC{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { RunGC(ctx, gc, time.Millisecond, nil); close(done) }()
	for gc.n.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunGC did not return after its context ended")
	}
}

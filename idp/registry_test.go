package idp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

// stubProvider is a custom kind for registry tests.
type stubProvider struct{ id string }

func (s stubProvider) ID() string          { return s.id }
func (s stubProvider) DisplayName() string { return s.id }
func (s stubProvider) LoginURL(context.Context, LoginRequest) (string, error) {
	return "https://stub.example/login", nil
}
func (s stubProvider) HandleCallback(context.Context, *http.Request, LoginState) (Identity, error) {
	return Identity{ProviderID: s.id, Subject: "x"}, nil
}

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	if got := r.Types(); !slices.Equal(got, []string{"auth0", "cognito", "dev", "entra", "google", "keycloak", "oidc", "okta", "pingone"}) {
		t.Errorf("built-in types = %v", got)
	}
	if err := r.Register("oidc", openOIDCType); err == nil {
		t.Error("registering oidc twice succeeded")
	}
	if err := r.Register("stub", func(_ context.Context, c Config, _ Options) (Provider, error) { return stubProvider{c.ID}, nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("liar", func(context.Context, Config, Options) (Provider, error) { return stubProvider{"someone-else"}, nil }); err != nil {
		t.Fatal(err)
	}
	// Registries are independent: no package-level state.
	if slices.Contains(NewRegistry().Types(), "stub") {
		t.Error("a new registry sees another registry's type")
	}

	ctx := context.Background()
	if p, err := r.Open(ctx, Config{ID: "s", Type: "stub"}, Options{}); err != nil || p.ID() != "s" {
		t.Errorf("Open(stub) = %v, %v", p, err)
	}
	if _, err := r.Open(ctx, Config{ID: "l", Type: "liar"}, Options{}); err == nil {
		t.Error("a factory returning another id was accepted")
	}
	_, err := r.Open(ctx, Config{ID: "x", Type: "saml"}, Options{})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.IdP != "x" || ce.Field != "type" {
		t.Errorf("Open(unknown type) = %v", err)
	}
}

func TestOpenAll(t *testing.T) {
	up := newUpstream(t, idptest.Options{AutoLogin: "alice"})
	opts := up.options()
	opts.LoopbackBind = true
	dev := Config{ID: "dev", Type: TypeDev}
	corp := up.config()
	r := NewRegistry()
	if err := r.Register("stub", func(_ context.Context, c Config, _ Options) (Provider, error) { return stubProvider{c.ID}, nil }); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	set, err := r.OpenAll(ctx, []Config{corp, dev, {ID: "custom", Type: "stub"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range set.List() {
		ids = append(ids, p.ID())
	}
	if !slices.Equal(ids, []string{"corp", "dev", "custom"}) || set.Len() != 3 || !slices.Equal(set.IDs(), []string{"corp", "custom", "dev"}) {
		t.Errorf("List = %v, IDs = %v", ids, set.IDs())
	}
	if p, ok := set.Get("dev"); !ok || p.ID() != "dev" {
		t.Error("Get(dev)")
	}
	if _, ok := set.Get("nope"); ok {
		t.Error("Get(nope)")
	}
	if c, ok := set.Config("corp"); !ok || c.Issuer != up.op.Issuer {
		t.Error("Config(corp)")
	}

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	broken := corp
	broken.ID, broken.Issuer = "broken", down.URL
	badCorp := corp
	badCorp.ClientSecret = ""

	tests := []struct {
		name string
		cs   []Config
		want []string
	}{
		{"duplicate ids", []Config{corp, dev, corp}, []string{`idp "corp": id: duplicate id (entries 1 and 3 of idps)`}},
		{"every invalid entry is reported", []Config{badCorp, {ID: "x"}}, []string{`idp "corp": client_secret: required`, `idp "x": type: required`}},
		{"an IdP that cannot be discovered", []Config{dev, broken}, []string{`idp "broken": OpenID discovery`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.OpenAll(ctx, tt.cs, opts)
			if err == nil {
				t.Fatal("OpenAll succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestSafeRedirects(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(target.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect)
		case "/ok":
			w.WriteHeader(http.StatusOK)
		default:
			http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(redirector.Close)
	o, err := Options{RedirectURI: "http://127.0.0.1/auth/callback"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/same", http.StatusOK},
		{http.MethodGet, "/other-host", http.StatusTemporaryRedirect},
		{http.MethodPost, "/same", http.StatusTemporaryRedirect}, // a token request keeps its secret
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, redirector.URL+tt.path, strings.NewReader("client_secret=s"))
		resp, err := o.HTTPClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

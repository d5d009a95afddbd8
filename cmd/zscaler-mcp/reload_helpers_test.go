package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// reloadFunc is a running server's reload function.
type reloadFunc = func(context.Context) (*reloadResult, error)

// startReloadable is start (harness_test.go) with the reload hook: it
// returns the in-process server and its reload function.
func startReloadable(t *testing.T, env map[string]string, args ...string) (*running, reloadFunc) {
	t.Helper()
	args = append([]string{"--port", "0", "--data-dir", t.TempDir()}, args...)
	var reload reloadFunc
	hooked := make(chan struct{})
	ctx, cancel := context.WithCancel(withReloadHook(context.Background(), func(f reloadFunc) {
		reload = f
		close(hooked)
	}))
	r := &running{Stderr: &syncBuffer{}, Stdout: &syncBuffer{}, stop: cancel, done: make(chan int, 1)}
	getenv := func(k string) string { return env[k] }
	go func() { r.done <- run(ctx, args, getenv, strings.NewReader(""), r.Stdout, r.Stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := bindRE.FindStringSubmatch(r.Stderr.String()); m != nil {
			r.URL = "http://" + m[1]
			t.Cleanup(func() { r.Stop(t) })
			select {
			case <-hooked:
			default:
				t.Fatalf("the server started without a reload function:\n%s", r.Stderr)
			}
			return r, reload
		}
		select {
		case code := <-r.done:
			t.Fatalf("server exited with %d before starting:\n%s", code, r.Stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start:\n%s", r.Stderr)
	return nil, nil
}

// issuerOf is the public URL (the issuer) of a server bound on loopback
// without --public-url: http://localhost:PORT. Browser flows use it, so
// that the login cookie and the IdP's redirect to <issuer>/auth/callback
// share a host.
func issuerOf(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return "http://localhost:" + u.Port()
}

// writeConfig (re)writes the config file at path.
func writeConfig(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newConfigFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeConfig(t, path, body)
	return path
}

// registerClient registers a public client with a loopback redirect URI
// at issuer (RFC 7591) and returns its OAuth config.
func registerClient(t *testing.T, issuer string) *oauth2.Config {
	t.Helper()
	const redirect = "http://127.0.0.1:9/callback"
	reg, _ := json.Marshal(map[string]any{"client_name": "reload test", "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}})
	resp, err := http.Post(issuer+"/register", "application/json", bytes.NewReader(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	return &oauth2.Config{ClientID: c.ClientID, RedirectURL: redirect, Scopes: []string{"zscaler.read"},
		Endpoint: oauth2.Endpoint{AuthURL: issuer + "/authorize", TokenURL: issuer + "/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// devUser is what to type into a dev IdP's form.
type devUser struct{ Username, Email, Groups string }

var reChooser = regexp.MustCompile(`href="(/login/([^"?]+)\?pending=[^"]+)"`)

// chooserIDs starts an authorization at oc and returns the ids on the IdP
// chooser ("" when the chooser was skipped: one IdP).
func chooserIDs(t *testing.T, oc *oauth2.Config) []string {
	t.Helper()
	b := newBrowser(t)
	resp, body, at := b.Follow(oc.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())),
		func(u *url.URL) bool { return u.Path == "/login" })
	if resp.StatusCode != http.StatusSeeOther || at.Path != "/login" {
		return nil
	}
	resp, body, _ = b.Follow(at.String(), func(*url.URL) bool { return false })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chooser: %d %.300s", resp.StatusCode, body)
	}
	var ids []string
	for _, m := range reChooser.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[2])
	}
	return ids
}

// loginVia runs the browser flow at oc through IdP idpID (picked on the
// chooser when there is one; as user on a dev IdP's form), approves the
// consent and exchanges the code.
func loginVia(t *testing.T, oc *oauth2.Config, idpID string, user devUser) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	b := newBrowser(t)
	atClient := func(u *url.URL) bool { return strings.HasPrefix(u.String(), oc.RedirectURL) }
	resp, body, at := b.Follow(oc.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier)), atClient)
	if at.Path == "/login" {
		next := ""
		for _, m := range reChooser.FindAllStringSubmatch(body, -1) {
			if m[2] == idpID {
				next = m[1]
			}
		}
		if next == "" {
			t.Fatalf("the chooser has no %s: %.600s", idpID, body)
		}
		u, err := at.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		resp, body, at = b.Follow(u.String(), atClient)
	}
	if strings.HasPrefix(at.Path, "/auth/dev/") {
		if resp.StatusCode != http.StatusOK || at.Path != "/auth/dev/"+idpID {
			t.Fatalf("expected the %s form, got %d at %s: %.400s", idpID, resp.StatusCode, at, body)
		}
		form := hiddenInputs(body)
		form.Set("username", user.Username)
		form.Set("email", user.Email)
		form.Set("groups", user.Groups)
		form.Set("action", "signin")
		resp, body = b.Post(at.String(), form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("dev form POST: %d %.400s", resp.StatusCode, body)
		}
		next, _ := at.Parse(resp.Header.Get("Location"))
		resp, body, at = b.Follow(next.String(), atClient)
	}
	loc := at // a remembered consent skips the page
	if !atClient(at) {
		if resp.StatusCode != http.StatusOK || at.Path != "/consent" {
			t.Fatalf("expected the consent page, got %d at %s: %.400s", resp.StatusCode, at, body)
		}
		form := hiddenInputs(body)
		form.Set("decision", "approve")
		resp, body = b.Post(at.String(), form)
		loc, _ = url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("consent POST: %d to %s: %.400s", resp.StatusCode, loc, body)
		}
	}
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("no code in the authorization response %s", loc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := oc.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	return tok
}

// refreshOf refreshes tok at oc.
func refreshOf(oc *oauth2.Config, tok *oauth2.Token) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return oc.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
}

func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// waitFor polls cond every 50 ms for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

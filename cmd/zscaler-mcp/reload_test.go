package main

import (
	"bufio"
	"context"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

// The reload tests run the real server in-process (run(), as the other
// cmd tests) with a config file, rewrite the file and call the server's
// reload function — what SIGHUP calls (TestReloadSIGHUP sends the real
// signal to the built binary). Upstream IdPs are the dev IdP's form and a
// real OpenID provider (idptest, zitadel's op package) on loopback; the
// store is the server's sqlite file in a temporary data dir.

const devOnly = "idps:\n  - id: dev\n    type: dev\n"

func reloadOK(t *testing.T, srv *running, reload reloadFunc) *reloadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := reload(ctx)
	if err != nil {
		t.Fatalf("reload: %v\n%s", err, srv.Stderr)
	}
	return res
}

// TestReloadAddIdP: an IdP added to the file by a reload appears on the
// chooser and signs users in, while a client logged in before keeps calling
// tools on the same MCP session.
func TestReloadAddIdP(t *testing.T) {
	op := idptest.New(t, idptest.Options{
		Users:     []idptest.User{{ID: "u-carol", Username: "carol", Password: "pw", Email: "carol@corp.example", EmailVerified: true}},
		AutoLogin: "carol",
	})
	cfgFile := newConfigFile(t, devOnly)
	env := map[string]string{"CORP_SECRET": "corp-secret-0123456789"}
	srv, reload := startReloadable(t, env, "--transport", "streamable-http", "--config", cfgFile)
	issuer := issuerOf(t, srv.URL)
	oc := registerClient(t, issuer)

	alice := loginVia(t, oc, "dev", devUser{Username: "alice"})
	c, err := connect(t, srv.URL, "streamable-http", map[string]string{"Authorization": "Bearer " + alice.AccessToken})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	mustEqual(t, "alice before the reload", whoami(t, c).Subject, "dev|alice")

	// The admin registers our app at the IdP, then adds it to the file;
	// its secret comes from the environment, as at start-up.
	op.AddClient(idptest.Client{ID: "zscaler-mcp", Secret: env["CORP_SECRET"], RedirectURIs: []string{issuer + "/auth/callback"}})
	writeConfig(t, cfgFile, devOnly+"  - id: corp\n    type: oidc\n    name: Sign in with Corp\n    issuer: "+op.Issuer+
		"\n    client_id: zscaler-mcp\n    client_secret: ${CORP_SECRET}\n    allowed_email_domains: [corp.example]\n")
	res := reloadOK(t, srv, reload)
	if !slices.Equal(res.Added, []string{"corp"}) || len(res.Changed)+len(res.Removed) != 0 || res.Unchanged != 1 || len(res.NeedRestart) != 0 {
		t.Errorf("reload result %+v, want corp added and dev unchanged", res)
	}
	if !strings.Contains(srv.Stderr.String(), "config reloaded") || !strings.Contains(srv.Stderr.String(), "added=corp") {
		t.Errorf("no reload summary in the log:\n%s", srv.Stderr)
	}
	if ids := chooserIDs(t, oc); !slices.Equal(ids, []string{"dev", "corp"}) {
		t.Errorf("chooser after the reload lists %v, want [dev corp]", ids)
	}
	carol := loginVia(t, oc, "corp", devUser{})
	c2, err := connect(t, srv.URL, "streamable-http", map[string]string{"Authorization": "Bearer " + carol.AccessToken})
	if err != nil {
		t.Fatalf("initialize with the new IdP's token: %v", err)
	}
	w := whoami(t, c2)
	mustEqual(t, "carol's subject", w.Subject, "corp|u-carol")
	mustEqual(t, "carol's idp", w.IdP, "corp")

	// The session opened before the reload is still alive and still works.
	mustEqual(t, "alice after the reload, same session", whoami(t, c).Subject, "dev|alice")
	if _, err := refreshOf(oc, alice); err != nil {
		t.Errorf("alice's refresh after the reload: %v", err)
	}
}

// TestReloadRemoveIdP: removing an IdP revokes its users' grants — their
// access tokens get 401 within seconds, their open streams close and their
// refresh gets invalid_grant — while another IdP's user keeps working.
func TestReloadRemoveIdP(t *testing.T) {
	both := devOnly + "  - id: lab\n    type: dev\n"
	cfgFile := newConfigFile(t, both)
	srv, reload := startReloadable(t, nil, "--transport", "streamable-http", "--config", cfgFile)
	oc := registerClient(t, issuerOf(t, srv.URL))
	alice := loginVia(t, oc, "dev", devUser{Username: "alice"})
	bob := loginVia(t, oc, "lab", devUser{Username: "bob"})
	bob2 := loginVia(t, oc, "lab", devUser{Username: "bob"}) // a second grant of the same user
	ca, err := connect(t, srv.URL, "streamable-http", map[string]string{"Authorization": "Bearer " + alice.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "alice", whoami(t, ca).Subject, "dev|alice")

	// bob has an MCP session with an open stream.
	hb := map[string]string{"Authorization": "Bearer " + bob.AccessToken}
	resp, body := do(t, "POST", srv.URL+"/mcp", hb, initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || sid == "" {
		t.Fatalf("bob's initialize: %d %s", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+bob.AccessToken)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", sid)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("open bob's stream: %v %v", stream, err)
	}
	ended := make(chan struct{})
	go func() {
		defer stream.Body.Close()
		for sc := bufio.NewScanner(stream.Body); sc.Scan(); {
		}
		close(ended)
	}()

	writeConfig(t, cfgFile, devOnly)
	removedAt := time.Now()
	res := reloadOK(t, srv, reload)
	if !slices.Equal(res.Removed, []string{"lab"}) || res.RevokedGrants != 2 || len(res.Added)+len(res.Changed) != 0 {
		t.Errorf("reload result %+v, want lab removed with its 2 grants", res)
	}
	if !waitFor(3*time.Second, func() bool {
		r, _ := do(t, "POST", srv.URL+"/mcp", hb, initBody)
		return r.StatusCode == http.StatusUnauthorized
	}) {
		t.Fatalf("bob's access token still accepted %v after lab was removed", time.Since(removedAt))
	}
	select {
	case <-ended:
	case <-time.After(3 * time.Second):
		t.Errorf("bob's open stream was not closed")
	}
	for name, tok := range map[string]string{"bob": bob.RefreshToken, "bob's second grant": bob2.RefreshToken} {
		if _, err := refreshOf(oc, &oauth2.Token{RefreshToken: tok}); !isInvalidGrant(err) {
			t.Errorf("%s's refresh after the removal: %v, want invalid_grant", name, err)
		}
	}
	if r, _ := do(t, "POST", srv.URL+"/mcp", map[string]string{"Authorization": "Bearer " + bob2.AccessToken}, initBody); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("bob's second access token: %d, want 401", r.StatusCode)
	}
	// alice (dev) is untouched: same session, and her refresh works.
	mustEqual(t, "alice after the removal", whoami(t, ca).Subject, "dev|alice")
	if _, err := refreshOf(oc, alice); err != nil {
		t.Errorf("alice's refresh: %v", err)
	}
	if ids := chooserIDs(t, oc); ids != nil {
		t.Errorf("one IdP left, yet the chooser lists %v", ids)
	}
}

// TestReloadRejected: a new config that does not parse, does not validate
// or names an IdP that cannot be opened is rejected with an error naming
// the problem, logged, and the running IdPs keep serving.
func TestReloadRejected(t *testing.T) {
	both := devOnly + "  - id: lab\n    type: dev\n"
	cfgFile := newConfigFile(t, both)
	srv, reload := startReloadable(t, nil, "--transport", "streamable-http", "--config", cfgFile)
	oc := registerClient(t, issuerOf(t, srv.URL))
	lab := loginVia(t, oc, "lab", devUser{Username: "bob"})

	rows := []struct {
		name, body string
		want       []string
	}{
		{"bad YAML", "idps:\n  - id: dev\n   type: [dev\n", []string{cfgFile}},
		{"validation error", devOnly + "  - id: corp\n    type: oidc\n    issuer: https://idp.example.com\n    client_secret: s\n", []string{cfgFile, `idp "corp"`, "client_id"}},
		{"unknown type", devOnly + "  - id: corp\n    type: magic\n", []string{cfgFile, `idp "corp"`, "type", "magic"}},
		{"unknown key", devOnly + "    clientsecret: x\n", []string{cfgFile, "clientsecret"}},
		{"duplicate id", devOnly + devOnly[len("idps:\n"):], []string{`idp "dev"`, "duplicate"}},
		{"unset secret variable", devOnly + "  - id: corp\n    type: oidc\n    issuer: https://idp.example.com\n    client_id: c\n    client_secret: ${NOT_SET_ANYWHERE}\n", []string{cfgFile, "NOT_SET_ANYWHERE"}},
		{"IdP that fails to open", devOnly + "  - id: down\n    type: oidc\n    issuer: http://127.0.0.1:1\n    client_id: c\n    client_secret: s\n", []string{cfgFile, `idp "down"`}},
		{"empty list", "idps: []\n", []string{cfgFile, "empty"}},
		{"auth mode change", "auth:\n  mode: api-key\n  api_key: " + strings.Repeat("ab", 32) + "\n" + both, []string{"auth mode", "restart"}},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			writeConfig(t, cfgFile, tc.body)
			before := strings.Count(srv.Stderr.String(), "config reload rejected")
			res, err := reload(context.Background())
			if err == nil {
				t.Fatalf("accepted: %+v", res)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Count(srv.Stderr.String(), "config reload rejected") != before+1 {
				t.Errorf("the rejection was not logged:\n%s", srv.Stderr)
			}
			// The old IdPs keep serving: both buttons, a working login.
			if ids := chooserIDs(t, oc); !slices.Equal(ids, []string{"dev", "lab"}) {
				t.Errorf("chooser lists %v, want [dev lab]", ids)
			}
		})
	}
	loginVia(t, oc, "lab", devUser{Username: "erin"})
	if _, err := refreshOf(oc, lab); err != nil {
		t.Errorf("refresh after the rejected reloads: %v", err)
	}

	// A valid file again: accepted; settings outside idps: are reported as
	// needing a restart (names only, never values).
	writeConfig(t, cfgFile, "log_level: debug\noauth:\n  access_token_ttl: 5m\n"+both)
	res := reloadOK(t, srv, reload)
	if res.Unchanged != 2 || !slices.Equal(res.NeedRestart, []string{"log_level", "oauth"}) {
		t.Errorf("reload result %+v, want 2 unchanged and log_level, oauth needing a restart", res)
	}
	if !strings.Contains(srv.Stderr.String(), "apply only after a restart") || !strings.Contains(srv.Stderr.String(), "settings=log_level,oauth") {
		t.Errorf("no restart notice in the log:\n%s", srv.Stderr)
	}
}

// TestReloadPolicyChange: a changed access policy applies at the next
// refresh — in full, on the identity kept from the login: the users it now
// refuses get invalid_grant, the others refresh.
func TestReloadPolicyChange(t *testing.T) {
	cfgFile := newConfigFile(t, devOnly)
	srv, reload := startReloadable(t, nil, "--transport", "streamable-http", "--config", cfgFile)
	oc := registerClient(t, issuerOf(t, srv.URL))
	dave := loginVia(t, oc, "dev", devUser{Username: "dave", Email: "dave@a.example", Groups: "eng"})
	erin := loginVia(t, oc, "dev", devUser{Username: "erin", Email: "erin@b.example", Groups: "ops"})

	writeConfig(t, cfgFile, devOnly+"    allowed_email_domains: [a.example]\n")
	if res := reloadOK(t, srv, reload); !slices.Equal(res.Changed, []string{"dev"}) {
		t.Errorf("reload result %+v, want dev changed", res)
	}
	if _, err := refreshOf(oc, erin); !isInvalidGrant(err) {
		t.Errorf("erin (b.example) refresh: %v, want invalid_grant", err)
	}
	dave2, err := refreshOf(oc, dave)
	if err != nil {
		t.Fatalf("dave (a.example) refresh: %v", err)
	}

	writeConfig(t, cfgFile, devOnly+"    allowed_groups: [ops]\n")
	reloadOK(t, srv, reload)
	if _, err := refreshOf(oc, dave2); !isInvalidGrant(err) {
		t.Errorf("dave (group eng) refresh under allowed_groups [ops]: %v, want invalid_grant", err)
	}
	if !waitFor(3*time.Second, func() bool {
		r, _ := do(t, "POST", srv.URL+"/mcp", map[string]string{"Authorization": "Bearer " + dave2.AccessToken}, initBody)
		return r.StatusCode == http.StatusUnauthorized
	}) {
		t.Error("dave's access token still accepted after the refused refresh revoked his grant")
	}
}

// TestReloadSIGHUP sends real SIGHUPs to the built binary: in oidcproxy
// mode with a config file it reloads (and rejects a bad file, still
// serving); in another mode it logs that there is nothing to reload and
// keeps running.
func TestReloadSIGHUP(t *testing.T) {
	cfgFile := newConfigFile(t, devOnly)
	cmd, base, stderr := startProcess(t, nil, "--transport", "streamable-http", "--config", cfgFile)
	writeConfig(t, cfgFile, devOnly+"  - id: lab\n    type: dev\n    name: Lab sign-in\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { return strings.Contains(stderr.String(), "added=lab") }) {
		t.Fatalf("no reload after SIGHUP:\n%s", stderr)
	}
	oc := registerClient(t, issuerOf(t, base))
	if ids := chooserIDs(t, oc); !slices.Equal(ids, []string{"dev", "lab"}) {
		t.Errorf("chooser after SIGHUP lists %v", ids)
	}

	writeConfig(t, cfgFile, "idps:\n  - id: lab\n    type: magic\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { return strings.Contains(stderr.String(), "config reload rejected") }) {
		t.Fatalf("bad config after SIGHUP not rejected:\n%s", stderr)
	}
	loginVia(t, oc, "lab", devUser{Username: "lena"})

	t.Run("api-key mode", func(t *testing.T) {
		cmd, base, stderr := startProcess(t, []string{"ZSCALER_MCP_AUTH_API_KEY=" + strings.Repeat("ef", 32)}, "--transport", "streamable-http")
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		if !waitFor(10*time.Second, func() bool { return strings.Contains(stderr.String(), "nothing to reload") }) {
			t.Fatalf("no log line for SIGHUP:\n%s", stderr)
		}
		r, err := http.Get(base + "/healthz")
		if err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("after SIGHUP: %v %v", r, err)
		}
		r.Body.Close()
	})
}

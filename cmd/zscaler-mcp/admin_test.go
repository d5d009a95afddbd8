package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// admin runs `zscaler-mcp args...` in-process with env and returns the
// exit code, stdout and stderr.
func admin(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// adminJSON runs an admin command with --json and decodes its output.
func adminJSON(t *testing.T, env map[string]string, out any, args ...string) {
	t.Helper()
	code, stdout, stderr := admin(t, env, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		t.Fatalf("%v: output is not JSON: %v\n%s", args, err, stdout)
	}
}

// TestAdminCommands drives the admin commands against the database of a
// running server that a real flow populated (dynamic registration, dev IdP
// login, consent, code exchange): list and show the client, revoke the
// subject's tokens (the running server refuses the access token within
// seconds, the refresh token is dead), read the audit log, rotate the
// signing key (the old token's key stays published, the server keeps
// accepting the token) and delete the client.
func TestAdminCommands(t *testing.T) {
	dataDir, cfgFile := t.TempDir(), devIdPConfig(t)
	env := map[string]string{"ZSCALER_MCP_DATA_DIR": dataDir}
	srv := start(t, env, "--transport", "streamable-http", "--config", cfgFile)
	oc, tok, clientID := oidcLogin(t, srv.URL, "alice")
	_, tokBob, bobClient := oidcLogin(t, srv.URL, "bob")
	bearer := func(tok *oauth2.Token) map[string]string {
		return map[string]string{"Authorization": "Bearer " + tok.AccessToken}
	}
	if resp, body := do(t, "POST", srv.URL+"/mcp", bearer(tok), initBody); resp.StatusCode != 200 {
		t.Fatalf("token before revocation: %d %s", resp.StatusCode, body)
	}

	// clients list: a table, and JSON for scripts.
	code, out, stderr := admin(t, env, "clients", "list")
	if code != 0 {
		t.Fatalf("clients list: %d %s", code, stderr)
	}
	for _, want := range []string{"CLIENT ID", "ORIGIN", "LAST USED", clientID, "dcr", "http://127.0.0.1:9/callback", "2 client(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("clients list lacks %q:\n%s", want, out)
		}
	}
	var list []clientView
	adminJSON(t, env, &list, "clients", "list")
	var found *clientView
	for i := range list {
		if list[i].ID == clientID {
			found = &list[i]
		}
	}
	if found == nil || found.Origin != "dcr" || found.LiveGrants != 1 || found.LastUsedAt == nil || found.Name != "test" {
		t.Fatalf("clients list --json: %+v", found)
	}

	// clients show (flags after the id work too).
	var shown struct {
		clientView
		Grants []grantView `json:"grants"`
	}
	adminJSON(t, map[string]string{}, &shown, "clients", "show", clientID, "--data-dir", dataDir)
	if shown.ID != clientID || len(shown.Grants) != 1 || shown.Grants[0].Subject != "dev|alice" {
		t.Fatalf("clients show --json: %+v", shown)
	}
	if code, out, _ := admin(t, env, "clients", "show", clientID); code != 0 || !strings.Contains(out, "dev|alice") || !strings.Contains(out, "Redirect URIs:") {
		t.Errorf("clients show: %d\n%s", code, out)
	}

	// tokens revoke --subject, while the server runs.
	code, out, stderr = admin(t, env, "tokens", "revoke", "--subject", "dev|alice")
	if code != 0 || strings.TrimSpace(out) != "revoked 1 grant(s) of subject dev|alice" {
		t.Fatalf("tokens revoke: %d %q %s", code, out, stderr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, _ := do(t, "POST", srv.URL+"/mcp", bearer(tok), initBody)
		if resp.StatusCode == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the revoked subject's access token still gets %d after 5 s", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := oc.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("the revoked subject's refresh token still works")
	}
	if resp, body := do(t, "POST", srv.URL+"/mcp", bearer(tokBob), initBody); resp.StatusCode != 200 {
		t.Fatalf("another subject's token after the revocation: %d %s", resp.StatusCode, body)
	}
	var rev struct {
		Revoked  int      `json:"revoked"`
		GrantIDs []string `json:"grant_ids"`
	}
	adminJSON(t, env, &rev, "tokens", "revoke", "--subject", "dev|alice")
	if rev.Revoked != 0 || len(rev.GrantIDs) != 0 {
		t.Errorf("second revoke: %+v, want nothing left", rev)
	}

	// audit tail: the flow and the admin revocation, no tokens.
	code, out, _ = admin(t, env, "audit", "tail", "-n", "100", "--json")
	if code != 0 {
		t.Fatalf("audit tail: %d", code)
	}
	var types []string
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var ev auditJSON
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		types = append(types, ev.Event+"/"+ev.Outcome)
		if ev.Event == store.AuditTokenRevoked && (ev.Subject != "dev|alice" || ev.ClientID != clientID || !strings.Contains(ev.Reason, "admin")) {
			t.Errorf("admin revocation event %+v", ev)
		}
	}
	joined := strings.Join(types, " ")
	for _, want := range []string{"client.registered/success", "login/success", "consent/success", "token.issued/success", "token.revoked/success"} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit tail lacks %s: %v", want, types)
		}
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, tokBob.AccessToken} {
		if strings.Contains(out, secret) {
			t.Error("audit output contains a token")
		}
	}
	code, out, _ = admin(t, env, "audit", "tail", "-n", "2")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "token.revoked") {
		t.Errorf("audit tail -n 2: %d\n%s", code, out)
	}

	// keys rotate: a new kid signs; the old one stays published (10m TTL
	// from the config + the server's 1h reload interval).
	var before []struct {
		KID    string `json:"kid"`
		Active bool   `json:"active"`
	}
	adminJSON(t, env, &before, "keys", "list")
	if len(before) != 1 || !before[0].Active {
		t.Fatalf("keys before rotation: %+v", before)
	}
	var rot struct {
		NewKID  string   `json:"new_kid"`
		Retired []string `json:"retired_kids"`
		Keys    []struct {
			KID      string    `json:"kid"`
			Active   bool      `json:"active"`
			NotAfter time.Time `json:"not_after"`
		} `json:"keys"`
	}
	adminJSON(t, env, &rot, "keys", "rotate")
	if rot.NewKID == "" || rot.NewKID == before[0].KID || len(rot.Retired) != 1 || rot.Retired[0] != before[0].KID || len(rot.Keys) != 2 {
		t.Fatalf("keys rotate: %+v (before %+v)", rot, before)
	}
	if k := rot.Keys[1]; k.KID != before[0].KID || k.Active || time.Until(k.NotAfter) < time.Hour+9*time.Minute {
		t.Errorf("retired key %+v: want inactive and published for 1h10m+", k)
	}
	if resp, body := do(t, "POST", srv.URL+"/mcp", bearer(tokBob), initBody); resp.StatusCode != 200 {
		t.Fatalf("a token signed by the retired key: %d %s", resp.StatusCode, body)
	}
	if code, out, _ := admin(t, env, "keys", "rotate"); code != 0 || !strings.Contains(out, "new signing key") || !strings.Contains(out, "retired "+rot.NewKID) {
		t.Errorf("keys rotate (table): %d\n%s", code, out)
	}

	// clients delete: the client and its grants go; a token of a deleted
	// client stops working in the running server.
	code, out, stderr = admin(t, env, "clients", "delete", bobClient)
	if code != 0 || strings.TrimSpace(out) != "deleted client "+bobClient+"; 1 grant(s) revoked" {
		t.Fatalf("clients delete: %d %q %s", code, out, stderr)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		resp, _ := do(t, "POST", srv.URL+"/mcp", bearer(tokBob), initBody)
		if resp.StatusCode == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a deleted client's access token still gets %d after 5 s", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	code, out, stderr = admin(t, env, "clients", "delete", clientID)
	if code != 0 || strings.TrimSpace(out) != "deleted client "+clientID+"; 0 grant(s) revoked" {
		t.Fatalf("clients delete: %d %q %s", code, out, stderr)
	}
	if code, _, stderr := admin(t, env, "clients", "show", clientID); code != 1 || !strings.Contains(stderr, "no client") {
		t.Errorf("show a deleted client: %d %s", code, stderr)
	}
	if code, _, stderr := admin(t, env, "clients", "delete", clientID); code != 1 || !strings.Contains(stderr, "no client") {
		t.Errorf("delete twice: %d %s", code, stderr)
	}
}

// TestAdminUsage: usage errors exit 2 with help, -h exits 0, and a data
// dir without a database is refused without creating one.
func TestAdminUsage(t *testing.T) {
	empty := t.TempDir()
	env := map[string]string{"ZSCALER_MCP_DATA_DIR": empty}
	for _, tc := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"clients"}, 2, "Usage: zscaler-mcp clients <command>"},
		{[]string{"clients", "bogus"}, 2, `unknown command "bogus"`},
		{[]string{"clients", "-h"}, 0, "list"},
		{[]string{"clients", "list", "-h"}, 0, "--json"},
		{[]string{"clients", "show"}, 2, "want 1 argument"},
		{[]string{"clients", "list", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"tokens", "revoke"}, 2, "exactly one of --client and --subject"},
		{[]string{"tokens", "revoke", "--client", "a", "--subject", "b"}, 2, "exactly one of"},
		{[]string{"audit", "tail", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"config", "check"}, 2, "--config FILE is required"},
		{[]string{"clients", "list"}, 1, "no database at " + filepath.Join(empty, sqlite.DefaultFileName)},
		{[]string{"keys", "rotate"}, 1, "no database at"},
		{[]string{"audit", "tail", "-n", "5"}, 1, "no database at"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := admin(t, env, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.inStderr) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s", code, tc.code, tc.inStderr, stderr)
			}
		})
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("the admin commands created %v in the data dir", entries)
	}
}

// TestAuditTailFollow: --follow prints events appended after it started
// (by another process, here the store opened separately) and stops
// cleanly when interrupted.
func TestAuditTailFollow(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.OpenDir(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.AppendAudit(context.Background(), &store.AuditEvent{Type: store.AuditLogin, Outcome: store.OutcomeSuccess, Subject: "old"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"audit", "tail", "--follow", "--data-dir", dir}, func(string) string { return "" }, strings.NewReader(""), out, &syncBuffer{})
	}()
	waitFor := func(sub string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(out.String(), sub) {
			if time.Now().After(deadline) {
				t.Fatalf("audit tail --follow did not print %q:\n%s", sub, out)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("subject=old")
	if _, err := st.AppendAudit(context.Background(), &store.AuditEvent{Type: store.AuditConsent, Outcome: store.OutcomeDenied,
		Subject: "corp|u-new", Reason: `user said "no"`}); err != nil {
		t.Fatal(err)
	}
	waitFor(`consent             denied  subject=corp|u-new reason="user said \"no\""`)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after interrupt", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("audit tail --follow did not stop")
	}
	if n := strings.Count(out.String(), "subject=old"); n != 1 {
		t.Errorf("old event printed %d times", n)
	}
}

// TestAuditReloadRemovedIdP: the grants a reload revokes because their IdP
// was removed are in the audit log, named by the IdP.
func TestAuditReloadRemovedIdP(t *testing.T) {
	dataDir := t.TempDir()
	env := map[string]string{"ZSCALER_MCP_DATA_DIR": dataDir}
	cfgFile := newConfigFile(t, devOnly+"  - id: lab\n    type: dev\n")
	// The last --data-dir wins over the helper's own.
	srv, reload := startReloadable(t, nil, "--transport", "streamable-http", "--config", cfgFile, "--data-dir", dataDir)
	oc := registerClient(t, issuerOf(t, srv.URL))
	loginVia(t, oc, "lab", devUser{Username: "bob"})
	writeConfig(t, cfgFile, devOnly)
	if res := reloadOK(t, srv, reload); res.RevokedGrants != 1 {
		t.Fatalf("reload revoked %d grants, want 1", res.RevokedGrants)
	}
	code, out, _ := admin(t, env, "audit", "tail", "-n", "1", "--json")
	var ev auditJSON
	if err := json.Unmarshal([]byte(out), &ev); code != 0 || err != nil {
		t.Fatalf("audit tail: %d %v %q", code, err, out)
	}
	if ev.Event != store.AuditTokenRevoked || ev.IdP != "lab" || ev.GrantID == "" || !strings.Contains(ev.Reason, "reload removed the IdP") {
		t.Errorf("last audit event %+v, want the reload's revocation of lab's grant", ev)
	}
}

// failingAudit is an audit log that refuses every event.
type failingAudit struct{ store.Audit }

func (failingAudit) AppendAudit(context.Context, *store.AuditEvent) (int64, error) {
	return 0, errors.New("database is locked")
}

// TestAdminAuditFailureIsReported: an admin action the audit log did not
// record is reported to the operator, not silently dropped.
func TestAdminAuditFailureIsReported(t *testing.T) {
	var out, errb bytes.Buffer
	env := adminEnv{getenv: func(string) string { return "" }, stdout: &out, stderr: &errb}
	adminAudit(context.Background(), env, failingAudit{}, store.AuditEvent{Type: store.AuditKeysRotated, Outcome: store.OutcomeSuccess})
	if !strings.Contains(errb.String(), "audit log did not record") || !strings.Contains(errb.String(), "database is locked") {
		t.Errorf("stderr %q", errb.String())
	}
}

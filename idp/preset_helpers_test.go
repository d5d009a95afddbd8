package idp

import (
	"context"
	"errors"
	"testing"

	"github.com/zscalermcp/zscaler-mcp/idp/idptest"
)

// presetConfig is an entry of a preset type for our test client.
func presetConfig(typ string, extra map[string]any) Config {
	return Config{ID: "corp", Type: typ, ClientID: testClientID, ClientSecret: testClientSecret, Extra: extra}
}

// presetLogin opens c against up, signs username in at the OP (auto-login)
// and returns what HandleCallback made of it.
func presetLogin(t *testing.T, up upstream, c Config, username string) (Identity, error) {
	t.Helper()
	p := up.open(t, c, up.options())
	up.op.SetAutoLogin(username)
	req := newLoginRequest(t)
	cb := up.cb.login(t, newBrowser(up.op.Client()), p, req)
	return p.HandleCallback(context.Background(), cb, req.LoginState())
}

// wantOutcome checks a login's outcome: admitted (rule and errIs empty), or
// refused by a policy rule, or failed with an error kind; msg, if set, must
// be in the error.
func wantOutcome(t *testing.T, id Identity, err error, rule string, errIs error, msg string) {
	t.Helper()
	switch {
	case rule == "" && errIs == nil:
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	case err == nil:
		t.Fatalf("admitted %+v; want a refusal (rule %q, error %v)", id, rule, errIs)
	case rule != "":
		var pe *PolicyError
		if !errors.As(err, &pe) || pe.Rule != rule || pe.ProviderID != "corp" {
			t.Fatalf("error = %v; want a *PolicyError of rule %q for idp corp", err, rule)
		}
	case !errors.Is(err, errIs):
		t.Fatalf("error = %v; want %v", err, errIs)
	}
	if msg != "" {
		mustContain(t, err.Error(), msg)
	}
}

// users makes OP users from a list, each with a password.
func users(us ...idptest.User) []idptest.User {
	for i := range us {
		if us[i].Password == "" {
			us[i].Password = "pw"
		}
		if us[i].ID == "" {
			us[i].ID = "id-" + us[i].Username
		}
	}
	return us
}
